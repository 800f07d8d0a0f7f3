/**
 * The by-id routes of the objects stored as `ObjectRecord`s (projects, experiments, datasets, environments), on
 * the shared resource handlers: `GET` serves `data`, `PATCH` deep-merges into it (`null` ignored, §2.0), `DELETE`
 * marks the record deleted and stamps `deleted_at`; each answers with the record's `data`.
 */
import type { Route, RouteContext } from "../../../EmulatorServer.js"
import type { JsonObject } from "../../Json.js"
import { type ResourcePatch, resourceRoutes } from "../../Resources.js"
import type { BraintrustDeps } from "../Context.js"
import type { ObjectRecord } from "../Store.js"

export interface ObjectResource extends Pick<ResourcePatch<ObjectRecord>, "fields" | "ignore" | "check"> {
  /** `/v1/project/{project_id}` */
  readonly path: string
  readonly idParam: string
  /** The live record; a miss throws Braintrust's 404. */
  readonly require: (deps: BraintrustDeps, path: string, id: string) => ObjectRecord
  /** Derived fields to refresh after a merge (e.g. an experiment's `commit`). */
  readonly afterPatch?: (record: ObjectRecord) => void
  /** What else a delete drops (e.g. the versions an environment points at). */
  readonly afterDelete?: (record: ObjectRecord) => void
}

export const objectRoutes = (deps: BraintrustDeps, spec: ObjectResource): ReadonlyArray<Route> =>
  resourceRoutes<ObjectRecord>({
    path: spec.path,
    idParam: spec.idParam,
    require: (context: RouteContext, id: string) => spec.require(deps, context.path, id),
    view: (record) => record.data,
    patch: {
      ...(spec.fields !== undefined ? { fields: spec.fields } : {}),
      ...(spec.ignore !== undefined ? { ignore: spec.ignore } : {}),
      ...(spec.check !== undefined ? { check: spec.check } : {}),
      editable: (record) => record.data,
      write: (record, merged: JsonObject) => {
        record.data = merged
        spec.afterPatch?.(record)
        return record.data
      }
    },
    remove: (_, record) => {
      record.deleted = true
      record.data = { ...record.data, deleted_at: deps.store.isoNow() }
      spec.afterDelete?.(record)
    }
  })
