/**
 * Project logs (`/v1/project_logs/{project_id}/…`) and the cross-object `POST /v1/insert`.
 */
import { json, type Route } from "../../../EmulatorServer.js"
import { isPlainObject, type JsonObject } from "../../Json.js"
import type { BraintrustDeps } from "../Context.js"
import { type ContainerSpec, containerRoutes, feedbackInto, insertInto } from "./Containers.js"
import { datasetSpec } from "./Datasets.js"
import { experimentSpec } from "./Experiments.js"
import { requireProject } from "./Projects.js"

export const projectLogsSpec = (deps: BraintrustDeps): ContainerSpec => ({
  kind: "project_logs",
  base: "/v1/project_logs/{project_id}",
  idParam: "project_id",
  projectOf: (path, id) => requireProject(deps, path, id).id
})

const crossInsertRoute = (deps: BraintrustDeps): Route => ({
  method: "POST",
  path: "/v1/insert",
  write: true,
  handle: ({ body, path }) => {
    const input = body as JsonObject
    const specs: ReadonlyArray<readonly [string, ContainerSpec]> = [
      ["experiment", experimentSpec(deps)],
      ["dataset", datasetSpec(deps)],
      ["project_logs", projectLogsSpec(deps)]
    ]
    const response: JsonObject = {}
    for (const [key, spec] of specs) {
      const section = input[key]
      if (!isPlainObject(section)) continue
      const results: JsonObject = {}
      for (const [id, payload] of Object.entries(section)) {
        const part = isPlainObject(payload) ? payload : {}
        const events = Array.isArray(part["events"]) ? (part["events"] as Array<JsonObject>) : []
        const feedback = Array.isArray(part["feedback"]) ? (part["feedback"] as Array<JsonObject>) : []
        // Resolve the object first so an unknown id fails before anything is written.
        spec.projectOf(path, id)
        const rowIds = events.length > 0 ? insertInto(deps, spec, path, id, events) : []
        if (feedback.length > 0) feedbackInto(deps, spec, path, id, feedback)
        results[id] = { row_ids: rowIds }
      }
      response[key] = results
    }
    return json(response)
  }
})

export const logRoutes = (deps: BraintrustDeps): ReadonlyArray<Route> => [
  ...containerRoutes(deps, projectLogsSpec(deps)),
  crossInsertRoute(deps)
]
