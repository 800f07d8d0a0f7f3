/**
 * `/v1/experiment`: create (get-or-create by name, `ensure_new` for a unique name), list, get, patch, delete,
 * events (insert / fetch / feedback) and summarize.
 */
import { json, type Route } from "../../../EmulatorServer.js"
import { clone, isPlainObject, type JsonObject } from "../../Json.js"
import type { BraintrustDeps } from "../Context.js"
import { failBadRequest, failNotFound } from "../Errors.js"
import { idsFilter, paginate, stringParam } from "../Lists.js"
import type { ObjectRecord } from "../Store.js"
import { summarizeExperiment } from "../Summaries.js"
import { type ContainerSpec, containerRoutes } from "./Containers.js"
import { objectRoutes } from "./Objects.js"
import { FOUND_EXISTING, orgMatches, requireProject } from "./Projects.js"

const OPTIONAL_FIELDS = [
  "description",
  "repo_info",
  "base_exp_id",
  "dataset_id",
  "dataset_version",
  "internal_metadata",
  "parameters_id",
  "parameters_version",
  "metadata",
  "tags"
] as const

export const requireExperiment = (deps: BraintrustDeps, path: string, id: unknown): ObjectRecord =>
  deps.store.liveExperiment(String(id)) ?? failNotFound(path, `Experiment ${String(id)} not found`)

export const experimentByName = (deps: BraintrustDeps, projectId: string, name: string): ObjectRecord | undefined => {
  for (const record of deps.store.experiments.values()) {
    if (!record.deleted && record.data["project_id"] === projectId && record.data["name"] === name) return record
  }
  return undefined
}

const uniqueName = (deps: BraintrustDeps, projectId: string, base: string): string => {
  if (!experimentByName(deps, projectId, base)) return base
  for (let n = 1;; n++) {
    const candidate = `${base}-${n}`
    if (!experimentByName(deps, projectId, candidate)) return candidate
  }
}

/** Creates an experiment; `ensureNew` suffixes the name on a clash instead of returning the existing one. */
export const createExperiment = (
  deps: BraintrustDeps,
  projectId: string,
  input: JsonObject,
  ensureNew: boolean
): { readonly record: ObjectRecord; readonly existing: boolean } => {
  const { store } = deps
  const requested = typeof input["name"] === "string" ? input["name"] : undefined
  if (requested !== undefined && !ensureNew) {
    const existing = experimentByName(deps, projectId, requested)
    if (existing) return { record: existing, existing: true }
  }
  const seq = store.nextSeq()
  const name = uniqueName(deps, projectId, requested ?? `experiment-${seq}`)
  const id = store.uuid()
  const data: JsonObject = { id, project_id: projectId, name, created: store.isoNow(), deleted_at: null, public: false }
  for (const key of OPTIONAL_FIELDS) if (input[key] !== undefined && input[key] !== null) data[key] = clone(input[key])
  if (typeof input["public"] === "boolean") data["public"] = input["public"]
  const repo = input["repo_info"]
  data["commit"] = isPlainObject(repo) && typeof repo["commit"] === "string" ? repo["commit"] : null
  const record: ObjectRecord = { id, seq, data, deleted: false }
  store.experiments.set(id, record)
  return { record, existing: false }
}

export const experimentSpec = (deps: BraintrustDeps): ContainerSpec => ({
  kind: "experiment",
  base: "/v1/experiment/{experiment_id}",
  idParam: "experiment_id",
  projectOf: (path, id) => String(requireExperiment(deps, path, id).data["project_id"])
})

export const experimentRoutes = (deps: BraintrustDeps): ReadonlyArray<Route> => [
  {
    method: "POST",
    path: "/v1/experiment",
    write: true,
    handle: ({ body, path }) => {
      const input = body as JsonObject
      const project = requireProject(deps, path, input["project_id"])
      const { existing, record } = createExperiment(deps, project.id, input, input["ensure_new"] === true)
      return json(record.data, existing ? { headers: FOUND_EXISTING } : {})
    }
  },
  {
    method: "GET",
    path: "/v1/experiment",
    write: false,
    handle: ({ path, query }) => {
      if (!orgMatches(deps, query)) return json({ objects: [] })
      const ids = idsFilter(query["ids"])
      const name = stringParam(query, "experiment_name")
      const projectId = stringParam(query, "project_id")
      const projectName = stringParam(query, "project_name")
      const all = [...deps.store.experiments.values()]
      const matching = all.filter((e) => {
        if (e.deleted) return false
        const project = deps.store.liveProject(String(e.data["project_id"]))
        return project !== undefined && (!ids || ids.has(e.id)) && (name === undefined || e.data["name"] === name) &&
          (projectId === undefined || project.id === projectId) &&
          (projectName === undefined || project.data["name"] === projectName)
      })
      return json({ objects: paginate(deps, path, matching, all, query, 1000).map((e) => e.data) })
    }
  },
  ...objectRoutes(deps, {
    path: "/v1/experiment/{experiment_id}",
    idParam: "experiment_id",
    require: requireExperiment,
    // An experiment cannot move to another project.
    ignore: ["project_id", "ensure_new"],
    check: ({ path }, record, patch) => {
      if (typeof patch["name"] === "string" && patch["name"] !== record.data["name"]) {
        if (experimentByName(deps, String(record.data["project_id"]), patch["name"])) {
          failBadRequest(deps, path, `An experiment named ${patch["name"]} already exists in this project`)
        }
      }
    },
    afterPatch: (record) => {
      const repo = record.data["repo_info"]
      if (isPlainObject(repo) && typeof repo["commit"] === "string") record.data["commit"] = repo["commit"]
    }
  }),
  ...containerRoutes(deps, experimentSpec(deps)),
  {
    method: "GET",
    path: "/v1/experiment/{experiment_id}/summarize",
    write: false,
    handle: ({ params, path, query }) => {
      const record = requireExperiment(deps, path, params["experiment_id"])
      const comparisonId = stringParam(query, "comparison_experiment_id")
      if (comparisonId !== undefined && !deps.store.experiments.has(comparisonId)) {
        failNotFound(path, `Comparison experiment ${comparisonId} not found`)
      }
      return json(
        summarizeExperiment(deps, record, {
          summarizeScores: query["summarize_scores"] === true,
          ...(comparisonId !== undefined ? { comparisonId } : {})
        })
      )
    }
  }
]
