/**
 * `/environment` (the OpenAPI file serves it without the `/v1` prefix): organisation-level environments that pin
 * one version of each prompt/function.
 *
 * - `POST` creates. The file says "Create a new environment" and documents no get-or-create, so a slug already used
 *   by a live environment of the organisation is a 400 (an assumption: the file documents no error for it).
 * - `GET` lists newest first, filtered by `ids`, `name` and `org_name`; the file gives it no pagination.
 * - `PATCH` deep-merges like every Braintrust PATCH (`null` is ignored); a slug clash is a 400.
 * - `DELETE` marks the environment deleted (`deleted_at`), frees its slug and drops the versions it pointed at.
 *
 * The versions an environment points at are written by `environment_slugs` on prompt/function writes
 * (see Functions.ts).
 */
import { json, type Route } from "../../../EmulatorServer.js"
import type { JsonObject } from "../../Json.js"
import type { BraintrustDeps } from "../Context.js"
import { failBadRequest, failNotFound } from "../Errors.js"
import { idsFilter, stringParam } from "../Lists.js"
import type { ObjectRecord } from "../Store.js"
import { objectRoutes } from "./Objects.js"
import { checkOrgName, orgMatches } from "./Projects.js"

export const requireEnvironment = (deps: BraintrustDeps, path: string, id: unknown): ObjectRecord =>
  deps.store.liveEnvironment(String(id)) ?? failNotFound(path, `Environment ${String(id)} not found`)

const checkSlug = (deps: BraintrustDeps, path: string, slug: unknown, except?: string): string => {
  if (typeof slug !== "string" || slug.trim() === "") return failBadRequest(deps, path, "An environment needs a non-empty slug")
  const clash = deps.store.environmentBySlug(slug)
  if (clash && clash.id !== except) {
    failBadRequest(deps, path, `An environment with slug ${slug} already exists in organization ${deps.store.org.name}`)
  }
  return slug
}

export const environmentRoutes = (deps: BraintrustDeps): ReadonlyArray<Route> => [
  {
    method: "POST",
    path: "/environment",
    write: true,
    handle: ({ body, path }) => {
      const input = body as JsonObject
      checkOrgName(deps, path, input["org_name"])
      if (typeof input["name"] !== "string") return failBadRequest(deps, path, "An environment needs a name")
      const slug = checkSlug(deps, path, input["slug"])
      const { store } = deps
      const id = store.uuid()
      const record: ObjectRecord = {
        id,
        seq: store.nextSeq(),
        deleted: false,
        data: {
          id,
          org_id: store.org.id,
          name: input["name"],
          slug,
          description: typeof input["description"] === "string" ? input["description"] : null,
          created: store.isoNow(),
          deleted_at: null
        }
      }
      store.environments.set(id, record)
      return json(record.data)
    }
  },
  {
    method: "GET",
    path: "/environment",
    write: false,
    handle: ({ query }) => {
      const ids = idsFilter(query["ids"])
      const name = stringParam(query, "name")
      const matching = [...deps.store.environments.values()]
        .filter((e) =>
          !e.deleted && (!ids || ids.has(e.id)) && (name === undefined || e.data["name"] === name) &&
          orgMatches(deps, query)
        )
        .sort((a, b) => b.seq - a.seq)
      return json({ objects: matching.map((e) => e.data) })
    }
  },
  ...objectRoutes(deps, {
    path: "/environment/{environment_id}",
    idParam: "environment_id",
    require: requireEnvironment,
    fields: ["name", "slug", "description"],
    check: ({ path }, record, patch) => {
      if (patch["slug"] !== null && patch["slug"] !== undefined) checkSlug(deps, path, patch["slug"], record.id)
    },
    afterDelete: (record) => {
      deps.store.environmentVersions.delete(record.id)
    }
  })
]
