/**
 * The insert / fetch / feedback routes every event container has (experiments, datasets, project logs).
 */
import { json, type Route } from "../../../EmulatorServer.js"
import type { JsonObject } from "../../Json.js"
import type { BraintrustDeps } from "../Context.js"
import { applyFeedback, containerKeys, fetchEvents, insertEvents } from "../Events.js"
import type { ContainerKind } from "../Store.js"

export interface ContainerSpec {
  readonly kind: ContainerKind
  /** `/v1/experiment/{experiment_id}` */
  readonly base: string
  readonly idParam: string
  /** The project the container belongs to; fails with 404 when the container does not exist. */
  readonly projectOf: (path: string, id: string) => string
}

/** Inserts into a container by kind and id, resolving its project (used by `/v1/insert` too). */
export const insertInto = (
  deps: BraintrustDeps,
  spec: ContainerSpec,
  path: string,
  id: string,
  events: ReadonlyArray<JsonObject>
): Array<string> => {
  const projectId = spec.projectOf(path, id)
  return insertEvents(
    deps.store,
    deps.store.container(spec.kind, id),
    events,
    containerKeys(deps.store, spec.kind, id, projectId),
    { datasetFields: spec.kind === "dataset" }
  )
}

export const feedbackInto = (
  deps: BraintrustDeps,
  spec: ContainerSpec,
  path: string,
  id: string,
  items: ReadonlyArray<JsonObject>
): void => {
  const projectId = spec.projectOf(path, id)
  applyFeedback(deps.store, deps.store.container(spec.kind, id), items, containerKeys(deps.store, spec.kind, id, projectId), {
    // Dataset feedback takes no scores and no expected (§2.5).
    allowScores: spec.kind !== "dataset"
  })
}

export const containerRoutes = (deps: BraintrustDeps, spec: ContainerSpec): ReadonlyArray<Route> => {
  const idOf = (params: { readonly [k: string]: unknown }): string => String(params[spec.idParam])
  return [
    {
      method: "POST",
      path: `${spec.base}/insert`,
      write: true,
      handle: ({ body, params, path }) =>
        json({ row_ids: insertInto(deps, spec, path, idOf(params), (body as JsonObject)["events"] as Array<JsonObject>) })
    },
    {
      method: "GET",
      path: `${spec.base}/fetch`,
      write: false,
      handle: ({ params, path, query }) => {
        spec.projectOf(path, idOf(params))
        return json(fetchEvents(deps, path, deps.store.container(spec.kind, idOf(params)), query))
      }
    },
    {
      method: "POST",
      path: `${spec.base}/fetch`,
      write: false,
      handle: ({ body, params, path }) => {
        spec.projectOf(path, idOf(params))
        return json(fetchEvents(deps, path, deps.store.container(spec.kind, idOf(params)), body as JsonObject))
      }
    },
    {
      method: "POST",
      path: `${spec.base}/feedback`,
      write: true,
      handle: ({ body, params, path }) => {
        feedbackInto(deps, spec, path, idOf(params), (body as JsonObject)["feedback"] as Array<JsonObject>)
        return json({ status: "success" })
      }
    }
  ]
}
