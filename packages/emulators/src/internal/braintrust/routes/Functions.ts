/**
 * `/v1/prompt` and `/v1/function`: one versioned store (`log_id: "p"`), two views. A prompt is a function whose
 * `function_data` is `{type: "prompt"}`; the prompt view hides `function_data`, `origin` and `function_schema`
 * and lists prompts only. Every write (create, replace, patch) appends a version with a new `_xact_id`; old
 * versions stay readable with `version=<xact id | pretty id>` (as-of semantics: the newest version ≤ the given one).
 *
 * Environments: a create or replace (`POST`/`PUT`) carrying `environment_slugs: [..]` (an extension beyond the
 * OpenAPI file, documented by Braintrust's knowledge base) points each named environment at the version it writes.
 * Every slug is checked before anything is written: an unknown one is a 400 naming it and nothing changes. A `POST`
 * that finds an existing object writes nothing, so it moves no environment either ("returns the existing prompt
 * unmodified"). `environment=<slug>` on a read resolves to the version the environment points at.
 *
 * Also: `POST /v1/function/{id}/invoke` (see Runtime.ts) and the legacy `POST /v1/function/{id}/feedback`.
 */
import { empty, json, type Route, type RouteResponse, sse, type SseEvent } from "../../../EmulatorServer.js"
import type { ExtraOperationInput } from "../../../OpenApiValidator.js"
import { clone, isPlainObject, type JsonObject } from "../../Json.js"
import { resourceRoutes } from "../../Resources.js"
import type { BraintrustDeps } from "../Context.js"
import { badRequest, failBadRequest, failNotFound } from "../Errors.js"
import { containerKeys, insertEvents } from "../Events.js"
import { idsFilter, paginate, stringParam } from "../Lists.js"
import { type CallArgs, functionAt, FunctionRunError, storedCallable } from "../Runtime.js"
import type { FunctionRecord, ObjectRecord } from "../Store.js"
import { parseVersion } from "../XactId.js"
import { FOUND_EXISTING, orgMatches, requireProject } from "./Projects.js"

type Flavour = "prompt" | "function"

const PROMPT_FIELDS = ["name", "slug", "description", "prompt_data", "tags", "metadata", "function_type"] as const
const FUNCTION_ONLY_FIELDS = ["function_data", "origin", "function_schema"] as const
const IDENTITY_FIELDS = ["id", "_xact_id", "project_id", "log_id", "org_id", "created"] as const

const current = (record: FunctionRecord): JsonObject => record.versions[record.versions.length - 1]!.data

const isPrompt = (data: JsonObject): boolean =>
  !isPlainObject(data["function_data"]) || data["function_data"]["type"] === "prompt"

const view = (flavour: Flavour, data: JsonObject): JsonObject => {
  if (flavour === "function") return clone(data)
  const out = clone(data)
  for (const key of FUNCTION_ONLY_FIELDS) delete out[key]
  return out
}

const visible = (flavour: Flavour, data: JsonObject): boolean => flavour === "function" || isPrompt(data)

const fieldsFrom = (flavour: Flavour, body: JsonObject): JsonObject => {
  const out: JsonObject = {}
  const keys = flavour === "function" ? [...PROMPT_FIELDS, ...FUNCTION_ONLY_FIELDS] : PROMPT_FIELDS
  for (const key of keys) if (body[key] !== undefined) out[key] = clone(body[key])
  if (flavour === "prompt") out["function_data"] = { type: "prompt" }
  return out
}

const findBySlug = (deps: BraintrustDeps, projectId: string, slug: string): FunctionRecord | undefined => {
  for (const record of deps.store.functions.values()) {
    if (record.deleted) continue
    const data = current(record)
    if (data["project_id"] === projectId && data["slug"] === slug) return record
  }
  return undefined
}

const appendVersion = (deps: BraintrustDeps, record: FunctionRecord, fields: JsonObject): JsonObject => {
  const xactId = deps.store.nextXact()
  const previous = current(record)
  const data: JsonObject = {
    id: record.id,
    _xact_id: xactId.toString(),
    project_id: previous["project_id"],
    log_id: "p",
    org_id: deps.store.org.id,
    created: previous["created"],
    ...fields
  }
  record.versions.push({ xactId, data })
  return data
}

const createFunction = (deps: BraintrustDeps, projectId: string, fields: JsonObject): JsonObject => {
  const { store } = deps
  const id = store.uuid()
  const xactId = store.nextXact()
  const data: JsonObject = {
    id,
    _xact_id: xactId.toString(),
    project_id: projectId,
    log_id: "p",
    org_id: store.org.id,
    created: store.isoNow(),
    ...fields
  }
  store.functions.set(id, { id, seq: store.nextSeq(), versions: [{ xactId, data }], deleted: false })
  return data
}

/** The environments `environment_slugs` names, all checked before anything is written. */
const environmentsFrom = (deps: BraintrustDeps, path: string, body: JsonObject): ReadonlyArray<ObjectRecord> => {
  const slugs = body["environment_slugs"]
  if (slugs === undefined || slugs === null) return []
  if (!Array.isArray(slugs) || !slugs.every((slug) => typeof slug === "string")) {
    return failBadRequest(deps, path, "environment_slugs must be an array of environment slugs")
  }
  const found = new Map<string, ObjectRecord>()
  for (const slug of slugs as Array<string>) {
    const environment = deps.store.environmentBySlug(slug) ??
      failBadRequest(deps, path, `Environment ${slug} not found in organization ${deps.store.org.name}`)
    found.set(environment.id, environment)
  }
  return [...found.values()]
}

/** The stored version with exactly this transaction id. */
const versionWithXact = (record: FunctionRecord, xactId: bigint): JsonObject | undefined =>
  record.versions.find((v) => v.xactId === xactId)?.data

/** The version `environment` points at for the object, if any. */
const environmentVersionOf = (deps: BraintrustDeps, environment: ObjectRecord, record: FunctionRecord): JsonObject | undefined => {
  const xactId = deps.store.environmentVersion(environment.id, record.id)
  return xactId === undefined ? undefined : versionWithXact(record, xactId)
}

const requireVisible = (deps: BraintrustDeps, flavour: Flavour, path: string, id: unknown): FunctionRecord => {
  const record = deps.store.liveFunction(String(id))
  if (!record || !visible(flavour, current(record))) return failNotFound(path, `${flavour === "prompt" ? "Prompt" : "Function"} ${String(id)} not found`)
  return record
}

interface VersionPin {
  readonly version: string | undefined
  readonly environment: ObjectRecord | undefined
}

const checkVersionQuery = (deps: BraintrustDeps, path: string, query: { readonly [k: string]: unknown }): VersionPin => {
  const version = stringParam(query, "version")
  const slug = stringParam(query, "environment")
  if (version !== undefined && slug !== undefined) {
    failBadRequest(deps, path, "version and environment cannot be used together")
  }
  if (version !== undefined && parseVersion(version) === undefined) {
    failBadRequest(deps, path, `Invalid version ${version}: expected a transaction id or a 16-hex version id`)
  }
  const environment = slug === undefined
    ? undefined
    : deps.store.environmentBySlug(slug) ??
      failBadRequest(deps, path, `Environment ${slug} not found in organization ${deps.store.org.name}`)
  return { version, environment }
}

const crudRoutes = (deps: BraintrustDeps, flavour: Flavour): ReadonlyArray<Route> => {
  const base = `/v1/${flavour}`
  const idParam = `${flavour}_id`
  const nameParam = `${flavour}_name`
  const upsert = (replace: boolean) => ({ body, path }: { body: unknown; path: string }): RouteResponse => {
    const input = body as JsonObject
    const project = requireProject(deps, path, input["project_id"])
    const environments = environmentsFrom(deps, path, input)
    const existing = findBySlug(deps, project.id, String(input["slug"]))
    const fields = fieldsFrom(flavour, input)
    // Get-or-create returns an existing object unmodified: nothing is written, no environment moves.
    if (existing && !replace) return json(view(flavour, current(existing)), { headers: FOUND_EXISTING })
    const written = existing ? appendVersion(deps, existing, fields) : createFunction(deps, project.id, fields)
    const id = String(written["id"])
    const xactId = BigInt(String(written["_xact_id"]))
    for (const environment of environments) deps.store.assignEnvironment(environment.id, id, xactId)
    return json(view(flavour, written), existing ? { headers: FOUND_EXISTING } : {})
  }
  return [
    { method: "POST", path: base, write: true, handle: upsert(false) },
    { method: "PUT", path: base, write: true, handle: upsert(true) },
    {
      method: "GET",
      path: base,
      write: false,
      handle: ({ path, query }) => {
        const { environment, version } = checkVersionQuery(deps, path, query)
        if (!orgMatches(deps, query)) return json({ objects: [] })
        const ids = idsFilter(query["ids"])
        const name = stringParam(query, nameParam)
        const slug = stringParam(query, "slug")
        const projectId = stringParam(query, "project_id")
        const projectName = stringParam(query, "project_name")
        const functionType = stringParam(query, "function_type")
        const all = [...deps.store.functions.values()]
        const matching: Array<{ id: string; seq: number; data: JsonObject }> = []
        for (const record of all) {
          if (record.deleted) continue
          const data = functionAt(record, version)
          if (!data || !visible(flavour, data)) continue
          const project = deps.store.projects.get(String(data["project_id"]))
          if (!project || project.deleted) continue
          if (ids && !ids.has(record.id)) continue
          if (name !== undefined && data["name"] !== name) continue
          if (slug !== undefined && data["slug"] !== slug) continue
          if (projectId !== undefined && data["project_id"] !== projectId) continue
          if (projectName !== undefined && project.data["name"] !== projectName) continue
          if (flavour === "function" && functionType !== undefined && data["function_type"] !== functionType) continue
          matching.push({ id: record.id, seq: record.seq, data })
        }
        const page = paginate(deps, path, matching, all, query)
        if (environment === undefined) return json({ objects: page.map((m) => view(flavour, m.data)) })
        // The PromptEnvironment parameter: resolving an environment needs the request to match one object.
        if (page.length > 1) {
          return failBadRequest(
            deps,
            path,
            `environment requires the request to match a single ${flavour}, but ${page.length} match; add limit=1 or narrow the filters (slug, project_id)`
          )
        }
        const resolved = page.flatMap((m) => {
          const data = environmentVersionOf(deps, environment, deps.store.functions.get(m.id)!)
          return data !== undefined && visible(flavour, data) ? [view(flavour, data)] : []
        })
        return json({ objects: resolved })
      }
    },
    {
      method: "GET",
      path: `${base}/{${idParam}}`,
      write: false,
      handle: ({ params, path, query }) => {
        const { environment, version } = checkVersionQuery(deps, path, query)
        const record = requireVisible(deps, flavour, path, params[idParam])
        if (environment !== undefined) {
          const data = environmentVersionOf(deps, environment, record)
          if (!data || !visible(flavour, data)) {
            return failNotFound(path, `${String(params[idParam])} has no version in environment ${String(environment.data["slug"])}`)
          }
          return json(view(flavour, data))
        }
        const data = functionAt(record, version)
        if (!data) return failNotFound(path, `${String(params[idParam])} has no version ${String(version)}`)
        return json(view(flavour, data))
      }
    },
    // GET by id is the route above (it also serves pinned versions); PATCH appends a version, DELETE hides it.
    ...resourceRoutes<FunctionRecord>({
      path: `${base}/{${idParam}}`,
      idParam,
      require: ({ path }, id) => requireVisible(deps, flavour, path, id),
      view: (record) => view(flavour, current(record)),
      get: false,
      patch: {
        fields: flavour === "function" ? [...PROMPT_FIELDS, ...FUNCTION_ONLY_FIELDS] : PROMPT_FIELDS,
        check: ({ path }, record, patch) => {
          const before = current(record)
          if (typeof patch["slug"] === "string" && patch["slug"] !== before["slug"]) {
            if (findBySlug(deps, String(before["project_id"]), patch["slug"])) {
              failBadRequest(deps, path, `Slug ${patch["slug"]} is already used in this project`)
            }
          }
        },
        editable: (record) => {
          const editable: JsonObject = { ...current(record) }
          for (const key of IDENTITY_FIELDS) delete editable[key]
          return editable
        },
        write: (record, merged) => view(flavour, appendVersion(deps, record, merged))
      },
      remove: (_, record) => {
        record.deleted = true
      }
    })
  ]
}

// ---------------------------------------------------------------------------------------------------------------
// Invoke
// ---------------------------------------------------------------------------------------------------------------

/** Splits text into word-sized deltas, so clients see more than one event. */
const textDeltas = (text: string): Array<string> => text.match(/\S+\s*|\s+/g) ?? []

const streamOf = (output: unknown): Array<SseEvent> => {
  const events: Array<SseEvent> = []
  if (typeof output === "string") {
    for (const delta of textDeltas(output)) events.push({ event: "text_delta", data: JSON.stringify(delta) })
  } else {
    const text = JSON.stringify(output ?? null)
    const middle = Math.ceil(text.length / 2)
    for (const chunk of [text.slice(0, middle), text.slice(middle)]) {
      if (chunk !== "") events.push({ event: "json_delta", data: chunk })
    }
  }
  events.push({ event: "done", data: "" })
  return events
}

/** Logs the invocation under `parent` when it names a project's logs or an experiment. */
const logToParent = (deps: BraintrustDeps, fn: JsonObject, body: JsonObject, output: unknown): void => {
  const parent = body["parent"]
  if (!isPlainObject(parent)) return
  const kind = parent["object_type"]
  const objectId = String(parent["object_id"])
  let projectId: string | undefined
  if (kind === "project_logs") projectId = deps.store.liveProject(objectId)?.id
  else if (kind === "experiment") projectId = deps.store.liveExperiment(objectId)?.data["project_id"] as string | undefined
  if (projectId === undefined || (kind !== "project_logs" && kind !== "experiment")) return
  const rowIds = isPlainObject(parent["row_ids"]) ? parent["row_ids"] : undefined
  const id = deps.store.uuid()
  const now = deps.store.now() / 1000
  insertEvents(
    deps.store,
    deps.store.container(kind, objectId),
    [{
      id,
      span_id: id,
      root_span_id: rowIds ? rowIds["root_span_id"] : id,
      ...(rowIds ? { span_parents: [rowIds["span_id"]] } : {}),
      input: body["input"] ?? null,
      output: output ?? null,
      ...(body["expected"] !== undefined ? { expected: body["expected"] } : {}),
      ...(isPlainObject(body["metadata"]) ? { metadata: body["metadata"] } : {}),
      metrics: { start: now, end: now },
      span_attributes: { name: String(fn["name"]), type: "function" }
    }],
    containerKeys(deps.store, kind, objectId, projectId)
  )
}

const invokeRoute = (deps: BraintrustDeps): Route => ({
  method: "POST",
  path: "/v1/function/{function_id}/invoke",
  write: false,
  handle: ({ body, params, path }) => {
    const input = body as JsonObject
    const record = requireVisible(deps, "function", path, params["function_id"])
    const version = typeof input["version"] === "string" ? input["version"] : undefined
    if (version !== undefined && parseVersion(version) === undefined) {
      failBadRequest(deps, path, `Invalid version ${version}`)
    }
    const fn = functionAt(record, version) ?? failNotFound(path, `Function has no version ${String(version)}`)
    const callable = storedCallable(deps, path, fn, "task")
    const arg = input["input"]
    const messages = Array.isArray(input["messages"]) ? input["messages"] : []
    const args: CallArgs = callable.role === "scorer" && isPlainObject(arg)
      ? {
        input: arg["input"],
        output: arg["output"],
        expected: arg["expected"] ?? input["expected"],
        metadata: arg["metadata"] ?? input["metadata"],
        messages,
        strict: input["strict"] === true
      }
      : {
        input: arg,
        output: arg,
        expected: input["expected"],
        metadata: input["metadata"],
        messages,
        strict: input["strict"] === true
      }
    let output: unknown
    try {
      output = callable.run(args)
    } catch (e) {
      if (!(e instanceof FunctionRunError)) throw e
      if (input["stream"] === true) {
        return sse([{ event: "error", data: JSON.stringify(e.message) }, { event: "done", data: "" }])
      }
      return badRequest(deps, path, e.message)
    }
    logToParent(deps, fn, input, output)
    if (input["stream"] === true) return sse(streamOf(output))
    return json(output === undefined ? null : output)
  }
})

// ---------------------------------------------------------------------------------------------------------------
// Legacy function feedback
// ---------------------------------------------------------------------------------------------------------------

/**
 * `POST /v1/function/{function_id}/feedback`, documented by the older API reference but no longer in the OpenAPI
 * file (removed 2024-07). Registered as an extra operation with the shape the reference documents.
 */
export const functionFeedbackOperation: ExtraOperationInput = {
  method: "POST",
  path: "/v1/function/{function_id}/feedback",
  operationId: "postFunctionIdFeedback",
  parameters: [{ name: "function_id", in: "path", required: true, schema: { type: "string", format: "uuid" } }],
  requestBody: {
    required: true,
    schema: {
      type: "object",
      properties: {
        feedback: {
          type: "array",
          items: {
            type: "object",
            properties: {
              id: { type: "string" },
              scores: {
                type: "object",
                nullable: true,
                additionalProperties: { type: "number", nullable: true, minimum: 0, maximum: 1 }
              },
              expected: { nullable: true },
              comment: { type: "string", nullable: true },
              metadata: { type: "object", nullable: true, additionalProperties: { nullable: true } },
              source: { type: "string", nullable: true, enum: ["app", "api", "external", null] }
            },
            required: ["id"]
          }
        }
      },
      required: ["feedback"]
    }
  },
  responses: {
    "200": {},
    "400": { schema: { nullable: true } },
    "401": { schema: { nullable: true } },
    "403": { schema: { nullable: true } },
    "429": { schema: { nullable: true } },
    "500": { schema: { nullable: true } }
  },
  security: [{ bearerAuth: [] }, {}]
}

const functionFeedbackRoute = (deps: BraintrustDeps): Route => ({
  method: "POST",
  path: "/v1/function/{function_id}/feedback",
  write: true,
  handle: ({ body, params, path }) => {
    const record = requireVisible(deps, "function", path, params["function_id"])
    const xactId = deps.store.nextXact()
    for (const item of (body as JsonObject)["feedback"] as Array<JsonObject>) {
      deps.store.functionFeedback.push({ functionId: record.id, xactId, item: clone(item) })
    }
    return empty({ status: 200 })
  }
})

export const functionRoutes = (deps: BraintrustDeps): ReadonlyArray<Route> => [
  ...crudRoutes(deps, "prompt"),
  ...crudRoutes(deps, "function"),
  invokeRoute(deps),
  functionFeedbackRoute(deps)
]
