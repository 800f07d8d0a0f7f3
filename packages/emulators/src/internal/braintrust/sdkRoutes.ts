/**
 * The private endpoints the official `braintrust` SDK (3.35.0) calls besides the documented REST API
 * (vendors/braintrust.md §1.4, §5). They are not in the OpenAPI file, so each is registered as an extra operation
 * with a schema written from what the SDK sends and reads; where the rows or objects are the documented ones
 * (`InsertProjectLogsEvent`, `Project`, `Experiment`, `ScoreSummary`, `MetricSummary`) the schemas `$ref` the file.
 *
 * - `POST /api/apikey/login` (app URL): the key's organisation, with `api_url` = this emulator (from `Host`).
 * - `POST /api/project/register`: get-or-create a project by name → `{project}`.
 * - `GET /api/project?id=`: a project by id.
 * - `POST /api/experiment/register`: create an experiment (`update: true` resumes one of that name, otherwise a
 *   clash gets a suffixed name), resolving its base from `base_exp_id`, `base_experiment` (a name; unknown → 400
 *   "base experiment … not found", which the SDK retries without) or `ancestor_commits` (the newest experiment of
 *   the project whose commit is among them) → `{project, experiment}`.
 * - `POST /api/base_experiment/get_id`: the base recorded at register time → `{base_exp_id, base_exp_name}`, 400
 *   when there is none (the SDK reads 400 as "no base").
 * - `GET /version`: `{version, logs3_payload_max_bytes: null}` (no server limit, so the SDK never uses overflow).
 * - `POST /logs3`: `{rows, api_version: 2}`. Each row names its destination (`experiment_id`, `dataset_id`, or
 *   `project_id` with `log_id: "g"`) and is otherwise an insert event; rows are written into the same containers
 *   the `/v1/.../insert` routes use, one transaction per destination, with the same replace / `_is_merge` rules,
 *   so `/v1/.../fetch` sees them. Overflow references (`rows: {type: "logs3_overflow"}`) get 400.
 * - `GET /experiment-comparison2?experiment_id=&base_experiment_id=`: `{scores, metrics}` as the documented
 *   summarize computes them, compared with `base_experiment_id` only (none when it is absent).
 */
import type { IncomingHttpHeaders } from "node:http"
import { json, type Route } from "../../EmulatorServer.js"
import type { ExtraOperationInput, JsonSchema } from "../../OpenApiValidator.js"
import { isPlainObject, type JsonObject } from "../Json.js"
import type { BraintrustDeps } from "./Context.js"
import { failBadRequest, failNotFound } from "./Errors.js"
import { type ContainerSpec, insertInto } from "./routes/Containers.js"
import { datasetSpec, requireDataset } from "./routes/Datasets.js"
import { createExperiment, experimentByName, experimentSpec, requireExperiment } from "./routes/Experiments.js"
import { projectLogsSpec } from "./routes/Logs.js"
import { createProject, requireProject } from "./routes/Projects.js"
import type { ObjectRecord } from "./Store.js"
import { summarizeExperiment } from "./Summaries.js"

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` })

/** Every error status the SDK may see, as in the file: any JSON or nothing. */
const errorResponses = {
  "400": { schema: { nullable: true } },
  "401": { schema: { nullable: true } },
  "403": { schema: { nullable: true } },
  "404": { schema: { nullable: true } },
  "429": { schema: { nullable: true } },
  "500": { schema: { nullable: true } }
} as const

const uuid: JsonSchema = { type: "string", format: "uuid" }
const nullableString: JsonSchema = { type: "string", nullable: true }

const projectEnvelope: JsonSchema = {
  type: "object",
  required: ["project"],
  properties: { project: ref("Project") }
}

/** A logs3 row: an insert event plus the ids of its destination. */
const logs3Row: JsonSchema = {
  type: "object",
  required: ["id"],
  properties: {
    id: { type: "string", minLength: 1 },
    experiment_id: uuid,
    dataset_id: uuid,
    project_id: uuid,
    org_id: { type: "string" },
    log_id: { type: "string", enum: ["g"] }
  },
  anyOf: [{ required: ["experiment_id"] }, { required: ["dataset_id"] }, { required: ["project_id", "log_id"] }],
  allOf: [ref("InsertProjectLogsEvent")]
}

/** The operations, as the validator registers them. */
export const sdkOperations: ReadonlyArray<ExtraOperationInput> = [
  {
    method: "POST",
    path: "/api/apikey/login",
    operationId: "sdkApiKeyLogin",
    responses: {
      "200": {
        schema: {
          type: "object",
          required: ["org_info"],
          properties: {
            org_info: {
              type: "array",
              items: {
                type: "object",
                required: ["id", "name", "api_url"],
                properties: {
                  id: uuid,
                  name: { type: "string" },
                  api_url: { type: "string" },
                  proxy_url: nullableString,
                  git_metadata: { type: "object", nullable: true }
                }
              }
            }
          }
        }
      },
      ...errorResponses
    }
  },
  {
    method: "POST",
    path: "/api/project/register",
    operationId: "sdkProjectRegister",
    requestBody: {
      required: true,
      schema: {
        type: "object",
        properties: { project_name: { type: "string", minLength: 1 }, project_id: uuid, org_id: nullableString },
        anyOf: [{ required: ["project_name"] }, { required: ["project_id"] }]
      }
    },
    responses: { "200": { schema: projectEnvelope }, ...errorResponses }
  },
  {
    method: "GET",
    path: "/api/project",
    operationId: "sdkProjectGet",
    parameters: [{ name: "id", in: "query", required: true, schema: uuid }],
    responses: { "200": { schema: ref("Project") }, ...errorResponses }
  },
  {
    method: "POST",
    path: "/api/experiment/register",
    operationId: "sdkExperimentRegister",
    requestBody: {
      required: true,
      schema: {
        type: "object",
        properties: {
          project_name: { type: "string", minLength: 1 },
          project_id: uuid,
          org_id: nullableString,
          experiment_name: { type: "string", minLength: 1 },
          description: nullableString,
          update: { type: "boolean", nullable: true },
          repo_info: ref("RepoInfo"),
          base_exp_id: { ...uuid, nullable: true },
          base_experiment: nullableString,
          ancestor_commits: { type: "array", items: { type: "string" } },
          dataset_id: { ...uuid, nullable: true },
          dataset_version: nullableString,
          internal_metadata: { type: "object", nullable: true },
          parameters_id: { ...uuid, nullable: true },
          parameters_version: nullableString,
          public: { type: "boolean", nullable: true },
          metadata: { type: "object", nullable: true },
          tags: { type: "array", nullable: true, items: { type: "string" } }
        },
        anyOf: [{ required: ["project_name"] }, { required: ["project_id"] }]
      }
    },
    responses: {
      "200": {
        schema: {
          type: "object",
          required: ["project", "experiment"],
          properties: { project: ref("Project"), experiment: ref("Experiment") }
        }
      },
      ...errorResponses
    }
  },
  {
    method: "POST",
    path: "/api/base_experiment/get_id",
    operationId: "sdkBaseExperimentGetId",
    requestBody: { required: true, schema: { type: "object", required: ["id"], properties: { id: uuid } } },
    responses: {
      "200": {
        schema: {
          type: "object",
          required: ["base_exp_id", "base_exp_name"],
          properties: { base_exp_id: uuid, base_exp_name: { type: "string" } }
        }
      },
      ...errorResponses
    }
  },
  {
    method: "GET",
    path: "/version",
    operationId: "sdkVersion",
    responses: {
      "200": {
        schema: {
          type: "object",
          properties: { version: { type: "string" }, logs3_payload_max_bytes: { type: "number", nullable: true } }
        }
      },
      ...errorResponses
    }
  },
  {
    method: "POST",
    path: "/logs3",
    operationId: "sdkLogs3",
    requestBody: {
      required: true,
      schema: {
        type: "object",
        required: ["rows"],
        properties: {
          // An array of rows, or an overflow reference (answered 400: the emulator offers no upload URL).
          rows: { anyOf: [{ type: "array", items: logs3Row }, { type: "object" }] },
          api_version: { type: "integer", enum: [2] }
        }
      }
    },
    responses: {
      "200": { schema: { type: "object", required: ["row_ids"], properties: { row_ids: { type: "array", items: { type: "string" } } } } },
      ...errorResponses
    }
  },
  {
    method: "GET",
    path: "/experiment-comparison2",
    operationId: "sdkExperimentComparison2",
    parameters: [
      { name: "experiment_id", in: "query", required: true, schema: uuid },
      { name: "base_experiment_id", in: "query", required: false, schema: uuid }
    ],
    responses: {
      "200": {
        schema: {
          type: "object",
          required: ["scores", "metrics"],
          properties: {
            scores: { type: "object", additionalProperties: ref("ScoreSummary") },
            metrics: { type: "object", additionalProperties: ref("MetricSummary") }
          }
        }
      },
      ...errorResponses
    }
  }
]

/** The destination fields of a logs3 row: the container keys are written back by the insert itself. */
const DESTINATION_FIELDS = ["experiment_id", "dataset_id", "project_id", "log_id", "org_id"] as const
/** Audit fields of SDK feedback rows: the audit trail is not modelled for logs3, so they are not stored on the row. */
const AUDIT_FIELDS = ["_audit_source", "_audit_metadata"] as const

const selfUrl = (headers: IncomingHttpHeaders): string =>
  `http://${typeof headers.host === "string" && headers.host !== "" ? headers.host : "127.0.0.1"}`

const checkOrgId = (deps: BraintrustDeps, path: string, orgId: unknown): void => {
  if (typeof orgId === "string" && orgId !== deps.store.org.id) {
    failBadRequest(deps, path, `Organization ${orgId} not found; this key belongs to ${deps.store.org.id}`)
  }
}

/** Get-or-create by name, with the object shape `POST /v1/project` serves. */
const ensureProject = (deps: BraintrustDeps, name: string): ObjectRecord =>
  deps.store.projectByName(name) ?? createProject(deps, name)

const projectOfRegistration = (deps: BraintrustDeps, path: string, input: JsonObject): ObjectRecord =>
  typeof input["project_id"] === "string"
    ? requireProject(deps, path, input["project_id"])
    : ensureProject(deps, String(input["project_name"]))

/** The base experiment of a new one: explicit id, then a name, then the newest experiment on an ancestor commit. */
const resolveBase = (deps: BraintrustDeps, path: string, projectId: string, input: JsonObject): string | undefined => {
  if (typeof input["base_exp_id"] === "string") {
    const base = deps.store.liveExperiment(input["base_exp_id"])
    if (!base) failBadRequest(deps, path, `The base experiment ${input["base_exp_id"]} was not found`)
    return input["base_exp_id"]
  }
  if (typeof input["base_experiment"] === "string") {
    const base = experimentByName(deps, projectId, input["base_experiment"])
    if (!base) failBadRequest(deps, path, `The base experiment ${input["base_experiment"]} was not found`)
    return base!.id
  }
  const commits = Array.isArray(input["ancestor_commits"]) ? new Set(input["ancestor_commits"] as Array<string>) : undefined
  if (!commits || commits.size === 0) return undefined
  let best: ObjectRecord | undefined
  for (const record of deps.store.experiments.values()) {
    if (record.deleted || record.data["project_id"] !== projectId) continue
    if (typeof record.data["commit"] !== "string" || !commits.has(record.data["commit"])) continue
    if (!best || record.seq > best.seq) best = record
  }
  return best?.id
}

/** Where a logs3 row goes. */
const destinationOf = (
  deps: BraintrustDeps,
  path: string,
  row: JsonObject,
  index: number
): { readonly spec: ContainerSpec; readonly id: string } => {
  if (typeof row["experiment_id"] === "string") {
    requireExperiment(deps, path, row["experiment_id"])
    return { spec: experimentSpec(deps), id: row["experiment_id"] }
  }
  if (typeof row["dataset_id"] === "string") {
    requireDataset(deps, path, row["dataset_id"])
    return { spec: datasetSpec(deps), id: row["dataset_id"] }
  }
  if (typeof row["project_id"] === "string" && row["log_id"] === "g") {
    requireProject(deps, path, row["project_id"])
    return { spec: projectLogsSpec(deps), id: row["project_id"] }
  }
  return failBadRequest(deps, path, `rows[${index}] names no destination (experiment_id, dataset_id, or project_id with log_id "g")`)
}

/** The handlers of `sdkOperations`. */
export const sdkRoutes = (deps: BraintrustDeps): ReadonlyArray<Route> => [
  {
    method: "POST",
    path: "/api/apikey/login",
    write: false,
    handle: ({ headers }) => {
      const url = selfUrl(headers)
      return json({
        org_info: [{ id: deps.store.org.id, name: deps.store.org.name, api_url: url, proxy_url: url, git_metadata: null }]
      })
    }
  },
  {
    method: "POST",
    path: "/api/project/register",
    write: true,
    handle: ({ body, path }) => {
      const input = body as JsonObject
      checkOrgId(deps, path, input["org_id"])
      return json({ project: projectOfRegistration(deps, path, input).data })
    }
  },
  {
    method: "GET",
    path: "/api/project",
    write: false,
    handle: ({ path, query }) => json(requireProject(deps, path, query["id"]).data)
  },
  {
    method: "POST",
    path: "/api/experiment/register",
    write: true,
    handle: ({ body, path }) => {
      const input = body as JsonObject
      checkOrgId(deps, path, input["org_id"])
      const project = projectOfRegistration(deps, path, input)
      const name = typeof input["experiment_name"] === "string" ? input["experiment_name"] : undefined
      if (input["update"] === true && name !== undefined) {
        const existing = experimentByName(deps, project.id, name)
        if (existing) return json({ project: project.data, experiment: existing.data })
      }
      const baseId = resolveBase(deps, path, project.id, input)
      const fields: JsonObject = {}
      for (const [key, value] of Object.entries(input)) {
        if (value !== null && !["project_name", "project_id", "org_id", "experiment_name", "update", "base_experiment", "ancestor_commits"].includes(key)) {
          fields[key] = value
        }
      }
      if (name !== undefined) fields["name"] = name
      if (baseId !== undefined) fields["base_exp_id"] = baseId
      const { record } = createExperiment(deps, project.id, fields, true)
      return json({ project: project.data, experiment: record.data })
    }
  },
  {
    method: "POST",
    path: "/api/base_experiment/get_id",
    write: false,
    handle: ({ body, path }) => {
      const experiment = deps.store.liveExperiment(String((body as JsonObject)["id"]))
      if (!experiment) return failNotFound(path, `Experiment ${String((body as JsonObject)["id"])} not found`)
      const baseId = experiment.data["base_exp_id"]
      const base = typeof baseId === "string" ? deps.store.liveExperiment(baseId) : undefined
      if (!base) return failBadRequest(deps, path, `Experiment ${experiment.id} has no base experiment`)
      return json({ base_exp_id: base.id, base_exp_name: String(base.data["name"]) })
    }
  },
  {
    method: "GET",
    path: "/version",
    write: false,
    handle: () => json({ version: "promptops-emulator", logs3_payload_max_bytes: null })
  },
  {
    method: "POST",
    path: "/logs3",
    write: true,
    handle: ({ body, path }) => {
      const rows = (body as JsonObject)["rows"]
      if (!Array.isArray(rows)) {
        return failBadRequest(deps, path, "logs3 overflow uploads are not supported by the emulator (it advertises no payload limit)")
      }
      // Resolve every destination first, so an unknown object fails the request before anything is written.
      const groups = new Map<string, { spec: ContainerSpec; id: string; events: Array<JsonObject> }>()
      const order: Array<{ readonly key: string; readonly index: number }> = []
      rows.forEach((row: JsonObject, index) => {
        const { id, spec } = destinationOf(deps, path, row, index)
        const key = `${spec.kind}:${id}`
        let group = groups.get(key)
        if (!group) {
          group = { spec, id, events: [] }
          groups.set(key, group)
        }
        const event: JsonObject = {}
        for (const [field, value] of Object.entries(row)) {
          if (!(DESTINATION_FIELDS as ReadonlyArray<string>).includes(field) && !(AUDIT_FIELDS as ReadonlyArray<string>).includes(field)) {
            event[field] = value
          }
        }
        order.push({ key, index: group.events.length })
        group.events.push(event)
      })
      const written = new Map<string, Array<string>>()
      for (const [key, group] of groups) written.set(key, insertInto(deps, group.spec, path, group.id, group.events))
      return json({ row_ids: order.map(({ index, key }) => written.get(key)![index]!) })
    }
  },
  {
    method: "GET",
    path: "/experiment-comparison2",
    write: false,
    handle: ({ path, query }) => {
      const experiment = requireExperiment(deps, path, query["experiment_id"])
      const baseId = typeof query["base_experiment_id"] === "string" ? query["base_experiment_id"] : undefined
      if (baseId !== undefined) requireExperiment(deps, path, baseId)
      // The SDK resolves the base itself (get_id) and sends none when there is none: then nothing is compared,
      // unlike the documented summarize, which falls back to the newest older experiment. "" matches no experiment.
      const summary = summarizeExperiment(deps, experiment, { summarizeScores: true, comparisonId: baseId ?? "" })
      return json({
        scores: isPlainObject(summary["scores"]) ? summary["scores"] : {},
        metrics: isPlainObject(summary["metrics"]) ? summary["metrics"] : {}
      })
    }
  }
]
