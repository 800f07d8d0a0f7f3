/**
 * `/v1/dataset`: get-or-create by name, list, get, patch, delete, events and summarize.
 */
import { json, type Route } from "../../../EmulatorServer.js"
import { clone, type JsonObject } from "../../Json.js"
import type { BraintrustDeps } from "../Context.js"
import { failBadRequest, failNotFound } from "../Errors.js"
import { idsFilter, paginate, stringParam } from "../Lists.js"
import type { ObjectRecord } from "../Store.js"
import { summarizeDataset } from "../Summaries.js"
import { type ContainerSpec, containerRoutes } from "./Containers.js"
import { objectRoutes } from "./Objects.js"
import { FOUND_EXISTING, orgMatches, requireProject } from "./Projects.js"

export const requireDataset = (deps: BraintrustDeps, path: string, id: unknown): ObjectRecord =>
  deps.store.liveDataset(String(id)) ?? failNotFound(path, `Dataset ${String(id)} not found`)

export const datasetByName = (deps: BraintrustDeps, projectId: string, name: string): ObjectRecord | undefined => {
  for (const record of deps.store.datasets.values()) {
    if (!record.deleted && record.data["project_id"] === projectId && record.data["name"] === name) return record
  }
  return undefined
}

const urlSlug = (name: string): string =>
  name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "dataset"

export const datasetSpec = (deps: BraintrustDeps): ContainerSpec => ({
  kind: "dataset",
  base: "/v1/dataset/{dataset_id}",
  idParam: "dataset_id",
  projectOf: (path, id) => String(requireDataset(deps, path, id).data["project_id"])
})

export const datasetRoutes = (deps: BraintrustDeps): ReadonlyArray<Route> => [
  {
    method: "POST",
    path: "/v1/dataset",
    write: true,
    handle: ({ body, path }) => {
      const input = body as JsonObject
      const project = requireProject(deps, path, input["project_id"])
      const name = String(input["name"])
      const existing = datasetByName(deps, project.id, name)
      if (existing) return json(existing.data, { headers: FOUND_EXISTING })
      const { store } = deps
      const id = store.uuid()
      const data: JsonObject = {
        id,
        project_id: project.id,
        name,
        url_slug: urlSlug(name),
        created: store.isoNow(),
        deleted_at: null
      }
      for (const key of ["description", "tags", "metadata"]) {
        if (input[key] !== undefined && input[key] !== null) data[key] = clone(input[key])
      }
      store.datasets.set(id, { id, seq: store.nextSeq(), data, deleted: false })
      return json(data)
    }
  },
  {
    method: "GET",
    path: "/v1/dataset",
    write: false,
    handle: ({ path, query }) => {
      if (!orgMatches(deps, query)) return json({ objects: [] })
      const ids = idsFilter(query["ids"])
      const name = stringParam(query, "dataset_name")
      const projectId = stringParam(query, "project_id")
      const projectName = stringParam(query, "project_name")
      const all = [...deps.store.datasets.values()]
      const matching = all.filter((d) => {
        if (d.deleted) return false
        const project = deps.store.liveProject(String(d.data["project_id"]))
        return project !== undefined && (!ids || ids.has(d.id)) && (name === undefined || d.data["name"] === name) &&
          (projectId === undefined || project.id === projectId) &&
          (projectName === undefined || project.data["name"] === projectName)
      })
      return json({ objects: paginate(deps, path, matching, all, query).map((d) => d.data) })
    }
  },
  ...objectRoutes(deps, {
    path: "/v1/dataset/{dataset_id}",
    idParam: "dataset_id",
    require: requireDataset,
    check: ({ path }, record, patch) => {
      if (typeof patch["name"] === "string" && patch["name"] !== record.data["name"]) {
        if (datasetByName(deps, String(record.data["project_id"]), patch["name"])) {
          failBadRequest(deps, path, `A dataset named ${patch["name"]} already exists in this project`)
        }
      }
    }
  }),
  ...containerRoutes(deps, datasetSpec(deps)),
  {
    method: "GET",
    path: "/v1/dataset/{dataset_id}/summarize",
    write: false,
    handle: ({ params, path, query }) =>
      json(summarizeDataset(deps, requireDataset(deps, path, params["dataset_id"]), { summarizeData: query["summarize_data"] === true }))
  }
]
