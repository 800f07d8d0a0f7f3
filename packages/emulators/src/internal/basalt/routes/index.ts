/**
 * Every route the Basalt emulator serves.
 */
import type { Route } from "../../../EmulatorServer.js"
import type { BasaltDeps } from "../Context.js"
import { datasetRoutes } from "./Datasets.js"
import { fileRoutes } from "./Files.js"
import { monitorRoutes } from "./Monitor.js"
import { promptRoutes } from "./Prompts.js"

export { generateUploadUrlOperation } from "./Files.js"

export const basaltRoutes = (deps: BasaltDeps): ReadonlyArray<Route> => [
  ...promptRoutes(deps),
  ...datasetRoutes(deps),
  ...monitorRoutes(deps),
  ...fileRoutes(deps)
]
