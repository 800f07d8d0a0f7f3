/**
 * The one implementation of a resource's by-id routes, shared by both emulators: `GET` looks the record up (a miss
 * is the vendor's 404, thrown by `require`), `PATCH` deep-merges the body into it, `DELETE` marks it deleted. Each
 * resource supplies only what differs: how to find a record, what it serves, which body keys a PATCH may change,
 * the checks before a write, and what deleting means.
 */
import { json, type Route, type RouteContext } from "../EmulatorServer.js"
import { type JsonObject, patchMerge } from "./Json.js"

export interface ResourcePatch<R> {
  /** Only these body keys are merged, in this order (default: every key of the body). */
  readonly fields?: ReadonlyArray<string>
  /** Body keys never merged (e.g. the parent's id, which a PATCH cannot move). */
  readonly ignore?: ReadonlyArray<string>
  /** Runs on the raw body before anything is written: a clash throws the vendor's 400. */
  readonly check?: (context: RouteContext, record: R, patch: JsonObject) => void
  /** The data the patch merges into. */
  readonly editable: (record: R) => JsonObject
  /** Stores the merged data and returns the body to answer with. */
  readonly write: (record: R, merged: JsonObject) => unknown
}

export interface ResourceSpec<R> {
  /** The item's path template, e.g. `/v1/project/{project_id}`. */
  readonly path: string
  readonly idParam: string
  /** The live record with this id; a miss must throw the vendor's 404. */
  readonly require: (context: RouteContext, id: string) => R
  /** What `GET` and `DELETE` answer with. */
  readonly view: (record: R) => unknown
  /** Serve `GET` (default true); false where the resource's `GET` takes more than an id (versions, pins). */
  readonly get?: boolean
  readonly patch?: ResourcePatch<R>
  /** Marks the record deleted; `DELETE` then answers with its view. */
  readonly remove?: (context: RouteContext, record: R) => void
}

/** Keeps the keys a PATCH may change; `fields` sets the order, so merged records keep their key order. */
const patchable = (body: JsonObject, spec: ResourcePatch<unknown>): JsonObject => {
  const out: JsonObject = {}
  if (spec.fields !== undefined) {
    for (const key of spec.fields) if (key in body) out[key] = body[key]
  } else {
    Object.assign(out, body)
  }
  for (const key of spec.ignore ?? []) delete out[key]
  return out
}

/** The `GET` / `PATCH` / `DELETE` routes of `spec.path` (only the ones the spec asks for). */
export const resourceRoutes = <R>(spec: ResourceSpec<R>): ReadonlyArray<Route> => {
  const find = (context: RouteContext): R => spec.require(context, String(context.params[spec.idParam]))
  const routes: Array<Route> = []
  if (spec.get !== false) {
    routes.push({ method: "GET", path: spec.path, write: false, handle: (context) => json(spec.view(find(context))) })
  }
  const patch = spec.patch
  if (patch !== undefined) {
    routes.push({
      method: "PATCH",
      path: spec.path,
      write: true,
      handle: (context) => {
        const record = find(context)
        const body = context.body as JsonObject
        patch.check?.(context, record, body)
        return json(patch.write(record, patchMerge(patch.editable(record), patchable(body, patch as ResourcePatch<unknown>))))
      }
    })
  }
  const remove = spec.remove
  if (remove !== undefined) {
    routes.push({
      method: "DELETE",
      path: spec.path,
      write: true,
      handle: (context) => {
        const record = find(context)
        remove(context, record)
        return json(spec.view(record))
      }
    })
  }
  return routes
}
