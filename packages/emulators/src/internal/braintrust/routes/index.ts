/**
 * Every route the Braintrust emulator serves.
 */
import { type Route, text } from "../../../EmulatorServer.js"
import type { BraintrustDeps } from "../Context.js"
import { datasetRoutes } from "./Datasets.js"
import { environmentRoutes } from "./Environments.js"
import { evalRoutes } from "./Eval.js"
import { experimentRoutes } from "./Experiments.js"
import { functionRoutes } from "./Functions.js"
import { logRoutes } from "./Logs.js"
import { projectRoutes } from "./Projects.js"

export { functionFeedbackOperation } from "./Functions.js"

export const braintrustRoutes = (deps: BraintrustDeps): ReadonlyArray<Route> => [
  { method: "GET", path: "/v1", write: false, handle: () => text("Hello, World!") },
  ...projectRoutes(deps),
  ...functionRoutes(deps),
  ...environmentRoutes(deps),
  ...experimentRoutes(deps),
  ...datasetRoutes(deps),
  ...logRoutes(deps),
  ...evalRoutes(deps)
]
