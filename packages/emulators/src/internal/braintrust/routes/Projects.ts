/**
 * `/v1/project`: get-or-create by name, list with filters, get, deep-merge patch, delete.
 */
import { json, type Route } from "../../../EmulatorServer.js"
import type { JsonObject } from "../../Json.js"
import type { BraintrustDeps } from "../Context.js"
import { failBadRequest, failNotFound } from "../Errors.js"
import { idsFilter, paginate, stringParam } from "../Lists.js"
import type { ObjectRecord } from "../Store.js"
import { objectRoutes } from "./Objects.js"

export const FOUND_EXISTING = { "x-bt-found-existing": "true" } as const

export const requireProject = (deps: BraintrustDeps, path: string, id: unknown): ObjectRecord =>
  deps.store.liveProject(String(id)) ?? failNotFound(path, `Project ${String(id)} not found`)

/** `org_name` on a list filters: another organisation's objects are never visible, so nothing matches. */
export const orgMatches = (deps: BraintrustDeps, query: { readonly [k: string]: unknown }): boolean => {
  const orgName = stringParam(query, "org_name")
  return orgName === undefined || orgName === deps.store.org.name
}

export const checkOrgName = (deps: BraintrustDeps, path: string, orgName: unknown): void => {
  if (typeof orgName === "string" && orgName !== deps.store.org.name) {
    failBadRequest(deps, path, `Organization ${orgName} not found; this key belongs to ${deps.store.org.name}`)
  }
}

/** A new project record, stored; the shape `POST /v1/project` serves. */
export const createProject = (deps: BraintrustDeps, name: string, description?: unknown): ObjectRecord => {
  const { store } = deps
  const id = store.uuid()
  const record: ObjectRecord = {
    id,
    seq: store.nextSeq(),
    deleted: false,
    data: {
      id,
      org_id: store.org.id,
      name,
      ...(typeof description === "string" ? { description } : {}),
      created: store.isoNow(),
      deleted_at: null,
      user_id: null,
      settings: null
    }
  }
  store.projects.set(id, record)
  return record
}

export const projectRoutes = (deps: BraintrustDeps): ReadonlyArray<Route> => [
  {
    method: "POST",
    path: "/v1/project",
    write: true,
    handle: ({ body, path }) => {
      const input = body as JsonObject
      checkOrgName(deps, path, input["org_name"])
      const name = String(input["name"])
      const existing = deps.store.projectByName(name)
      if (existing) return json(existing.data, { headers: FOUND_EXISTING })
      return json(createProject(deps, name, input["description"]).data)
    }
  },
  {
    method: "GET",
    path: "/v1/project",
    write: false,
    handle: ({ path, query }) => {
      const ids = idsFilter(query["ids"])
      const name = stringParam(query, "project_name")
      const all = [...deps.store.projects.values()]
      const matching = all.filter((p) =>
        !p.deleted && (!ids || ids.has(p.id)) && (name === undefined || p.data["name"] === name) &&
        orgMatches(deps, query)
      )
      return json({ objects: paginate(deps, path, matching, all, query).map((p) => p.data) })
    }
  },
  ...objectRoutes(deps, {
    path: "/v1/project/{project_id}",
    idParam: "project_id",
    require: requireProject,
    check: ({ path }, record, patch) => {
      if (typeof patch["name"] === "string" && patch["name"] !== record.data["name"]) {
        const clash = deps.store.projectByName(patch["name"])
        if (clash) failBadRequest(deps, path, `A project named ${patch["name"]} already exists`)
      }
    }
  })
]
