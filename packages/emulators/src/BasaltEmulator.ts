/**
 * A loopback emulator of the Basalt REST API (`https://api.getbasalt.ai`), checked against Basalt's official
 * OpenAPI file (`specs/basalt-openapi.json`, "Basalt API" 0.2.1).
 *
 * Semantics, from `vendors/basalt.md`:
 * - prompts resolve `version` → `tag` → the `production` tag; both given: the version wins with the warning
 *   "Both version and tag were provided. Ignoring the tag."; a version or tag that does not exist falls back to
 *   production with a 200 and a `warning`; 404 `{error}` with Basalt's texts when nothing resolves; `latest`
 *   always exists (the newest version); `publish` moves (or creates) a tag and answers 201;
 * - datasets: rows are added with 201; values for columns the dataset does not have are dropped with a
 *   `warning`; a missing required column is a 400; a `file` / `image` column must hold the `fileKey` of an
 *   uploaded file;
 * - files: `POST /files/generate-upload-url` (not in the OpenAPI file; registered as an extra operation with the
 *   SDKs' shapes) hands out a presigned-style URL on the emulator's own loopback upload server (a second port,
 *   as S3 is another host), which takes one `PUT` of the bytes with the same `Content-Type`, refuses an
 *   `Authorization` header as S3 does, and stores the file under its `fileKey`;
 * - monitoring: experiments belong to a known feature (404 otherwise); a trace needs a known feature, its logs'
 *   ids must be unique and every `parentId` must name a log of the same payload (400 otherwise), its experiment
 *   must exist and belong to the trace's feature; a generation log's `prompt` is looked up and a miss is a
 *   `warning`; `POST /monitor/log` resolves its prompt like `GET /prompts/{slug}`.
 *
 * Every request and response is validated against the OpenAPI file (a bad request is a 400, a bad response a
 * recorded `violation`). Where the file declares a 400 without a body, the emulator sends none and puts its
 * reason in the `x-emulator-error` header. Faults are injected as in the Braintrust emulator (`faults`), on the
 * API and on the upload server alike.
 *
 * `autoCreateDatasets` (off by default) creates an unknown dataset on its first row, with the row's columns: a
 * convenience for suites that name datasets at run time; Basalt itself only creates datasets in its app.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, type Scope } from "effect"
import { randomBytes, randomUUID } from "node:crypto"
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import {
  type CapturedRequest,
  type ContractViolation,
  empty,
  EmulatorHttpError,
  json,
  type RequestRejection,
  type Route,
  type RouteContext,
  type RouteResponse,
  scopedEmulator,
  startEmulatorServer,
  text,
  type VendorHooks
} from "./EmulatorServer.js"
import { Faults } from "./Faults.js"
import { type ExtraOperationInput, OpenApiValidator, type OperationSpec } from "./OpenApiValidator.js"

// ---------------------------------------------------------------------------------------------------------------
// Seeds and stored state
// ---------------------------------------------------------------------------------------------------------------

/**
 * A prompt's model as Basalt stores it.
 *
 * @since 0.1.0
 */
export interface PromptModel {
  readonly provider: string
  readonly client: "open-ai" | "anthropic" | "hugging-face" | "mistral" | "gemini" | "azure" | "bedrock" | "xai" | "deepseek"
  readonly model: string
  readonly version: string
  readonly parameters: { readonly maxLength: number; readonly responseFormat: string; readonly [key: string]: unknown }
}

/**
 * @since 0.1.0
 */
export interface PromptVariable {
  readonly label: string
  readonly type: string
  readonly description?: string
}

/**
 * One version of a seeded prompt.
 *
 * @since 0.1.0
 */
export interface SeedPromptVersion {
  readonly version: string
  readonly text: string
  readonly systemText?: string
  /** Default: `gpt-4o` on `open-ai`, `maxLength` 4096, `responseFormat` `text`. */
  readonly model?: PromptModel
  /** Default: the `{{ name }}` variables found in the templates, typed `string`. */
  readonly variables?: ReadonlyArray<PromptVariable>
}

/**
 * @since 0.1.0
 */
export interface SeedPrompt {
  readonly slug: string
  readonly name?: string
  readonly description?: string
  readonly status?: "live" | "draft"
  /** The features the prompt belongs to (the `featureSlug` filter of `GET /prompts`). */
  readonly featureSlugs?: ReadonlyArray<string>
  /** Oldest first; the last one is `latest`. */
  readonly versions: ReadonlyArray<SeedPromptVersion>
  /** Tag → version, e.g. `{ production: "1.0.0", staging: "1.1.0" }`. */
  readonly tags?: Readonly<Record<string, string>>
}

/**
 * A dataset column. A bare string is a `text` column.
 *
 * @since 0.1.0
 */
export type SeedColumn =
  | string
  | { readonly name: string; readonly type?: "text" | "image" | "file" | "json"; readonly required?: boolean }

/**
 * @since 0.1.0
 */
export interface SeedDatasetRow {
  readonly name?: string | null
  readonly values: Readonly<Record<string, string>>
  readonly idealOutput?: string | null
  readonly metadata?: Readonly<Record<string, unknown>> | null
}

/**
 * @since 0.1.0
 */
export interface SeedDataset {
  readonly slug: string
  readonly name?: string
  readonly columns: ReadonlyArray<SeedColumn>
  readonly rows?: ReadonlyArray<SeedDatasetRow>
}

/**
 * @since 0.1.0
 */
export interface StoredPromptVersion {
  readonly version: string
  readonly text: string
  readonly systemText: string
  readonly model: PromptModel
  readonly variables: ReadonlyArray<PromptVariable>
}

/**
 * @since 0.1.0
 */
export interface StoredPrompt {
  readonly slug: string
  readonly name: string
  readonly description: string | null
  readonly status: "live" | "draft"
  readonly featureSlugs: Set<string>
  readonly versions: Array<StoredPromptVersion>
  /** Tag → version. `latest` is implicit (the newest version) unless set here. */
  readonly tags: Map<string, string>
  /** Tag → its deployment-tag id (stable across publishes). */
  readonly tagIds: Map<string, string>
}

/**
 * @since 0.1.0
 */
export interface StoredColumn {
  readonly name: string
  readonly type: "text" | "image" | "file" | "json"
  readonly required: boolean
}

/**
 * @since 0.1.0
 */
export interface StoredDatasetRow {
  readonly name: string | null
  readonly values: Record<string, string>
  readonly idealOutput: string | null
  readonly metadata: Record<string, unknown> | null
}

/**
 * @since 0.1.0
 */
export interface StoredDataset {
  readonly slug: string
  readonly name: string
  readonly columns: Array<StoredColumn>
  readonly rows: Array<StoredDatasetRow>
}

/**
 * @since 0.1.0
 */
export interface StoredExperiment {
  readonly id: string
  readonly name: string
  readonly featureSlug: string
  readonly createdAt: string
}

/**
 * A trace Basalt accepted: from `POST /monitor/trace` (`body` is the payload as sent) or `POST /monitor/log`
 * (`body` is the log request; `logId` its log).
 *
 * @since 0.1.0
 */
export interface StoredTrace {
  readonly id: string
  readonly source: "trace" | "log"
  readonly featureSlug: string | undefined
  readonly experimentId: string | undefined
  readonly body: Record<string, unknown>
  readonly logId?: string
  readonly warning: string | undefined
  readonly receivedAt: number
}

/**
 * @since 0.1.0
 */
export interface StoredFile {
  readonly fileKey: string
  readonly fileName: string
  readonly contentType: string
  readonly bytes: Uint8Array
  readonly uploadedAt: number
}

/**
 * An upload URL handed out and not yet expired.
 *
 * @since 0.1.0
 */
export interface UploadSlot {
  readonly token: string
  readonly fileKey: string
  readonly fileName: string
  readonly contentType: string
  readonly maxSizeBytes: number
  readonly expiresAt: number
}

/**
 * A request the upload server received.
 *
 * @since 0.1.0
 */
export interface UploadRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly bytes: number
  status: number | undefined
}

const defaultModel: PromptModel = {
  provider: "open-ai",
  client: "open-ai",
  model: "gpt-4o",
  version: "latest",
  parameters: { maxLength: 4096, responseFormat: "text", temperature: 0.7, topP: 1 }
}

const templateVariables = (...templates: ReadonlyArray<string>): Array<PromptVariable> => {
  const names = new Set<string>()
  for (const template of templates) {
    for (const match of template.matchAll(/\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(match[1]!)
  }
  return [...names].map((label) => ({ label, type: "string" }))
}

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * The emulator's in-memory state. Tests read it, and seed it with the `add*` methods.
 *
 * @since 0.1.0
 */
export class BasaltStore {
  readonly features: Set<string> = new Set()
  readonly prompts: Map<string, StoredPrompt> = new Map()
  readonly datasets: Map<string, StoredDataset> = new Map()
  readonly experiments: Map<string, StoredExperiment> = new Map()
  readonly traces: Array<StoredTrace> = []
  readonly files: Map<string, StoredFile> = new Map()
  readonly uploads: Map<string, UploadSlot> = new Map()

  constructor(readonly now: () => number, readonly uuid: () => string) {}

  /** @since 0.1.0 */
  addFeature(slug: string): void {
    this.features.add(slug)
  }

  /** Adds (or replaces) a prompt. @since 0.1.0 */
  addPrompt(seed: SeedPrompt): StoredPrompt {
    if (seed.versions.length === 0) throw new Error(`BasaltEmulator: prompt "${seed.slug}" needs at least one version`)
    const prompt: StoredPrompt = {
      slug: seed.slug,
      name: seed.name ?? seed.slug,
      description: seed.description ?? null,
      status: seed.status ?? "live",
      featureSlugs: new Set(seed.featureSlugs ?? []),
      versions: seed.versions.map((version) => ({
        version: version.version,
        text: version.text,
        systemText: version.systemText ?? "",
        model: version.model ?? defaultModel,
        variables: version.variables ?? templateVariables(version.systemText ?? "", version.text)
      })),
      tags: new Map(Object.entries(seed.tags ?? {})),
      tagIds: new Map()
    }
    for (const [tag, version] of prompt.tags) {
      if (!prompt.versions.some((v) => v.version === version)) {
        throw new Error(`BasaltEmulator: prompt "${seed.slug}" tag "${tag}" names unknown version ${version}`)
      }
      prompt.tagIds.set(tag, this.uuid())
    }
    for (const feature of prompt.featureSlugs) this.features.add(feature)
    this.prompts.set(prompt.slug, prompt)
    return prompt
  }

  /** Adds (or replaces) a dataset. @since 0.1.0 */
  addDataset(seed: SeedDataset): StoredDataset {
    const dataset: StoredDataset = {
      slug: seed.slug,
      name: seed.name ?? seed.slug,
      columns: seed.columns.map((column) =>
        typeof column === "string"
          ? { name: column, type: "text", required: false }
          : { name: column.name, type: column.type ?? "text", required: column.required ?? false }
      ),
      rows: (seed.rows ?? []).map((row) => ({
        name: row.name ?? null,
        values: { ...row.values },
        idealOutput: row.idealOutput ?? null,
        metadata: row.metadata === undefined || row.metadata === null ? null : structuredClone({ ...row.metadata })
      }))
    }
    this.datasets.set(dataset.slug, dataset)
    return dataset
  }

  /** The traces whose `metadata` has `key` set to `value` (e.g. `promptops.traceId`). @since 0.1.0 */
  tracesWithMetadata(key: string, value: unknown): Array<StoredTrace> {
    return this.traces.filter((trace) => isRecord(trace.body["metadata"]) && trace.body["metadata"][key] === value)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Prompt resolution
// ---------------------------------------------------------------------------------------------------------------

/** Basalt's texts (vendors/basalt.md §2.1). @since 0.1.0 */
export const messages = {
  bothGiven: "Both version and tag were provided. Ignoring the tag.",
  versionFallback: "No prompt found at the specified version. Falling back to the production version.",
  tagFallback: "No prompt found with the specified tag. Falling back to the production version.",
  noPrompt: (slug: string) => `No prompt with slug "${slug}" exists.`,
  noProduction: "No production version found. Please check on the app.",
  nothingResolves:
    "No prompt found at the specified version or tag. The production version is also missing. Please check on the app.",
  noFeature: (slug: string) => `No feature with slug "${slug}" exists.`,
  promptNotFoundForLog:
    "No prompt found with the given slug or no production version found or no prompt found with the given version or tag (production version also missing)",
  droppedColumns: (columns: ReadonlyArray<string>) =>
    `The following columns do not exist in the dataset and were omitted: ${columns.join(", ")}`,
  datasetNotFound: "Dataset not found"
} as const

type Resolution =
  | { readonly _tag: "Resolved"; readonly version: StoredPromptVersion; readonly tag: string | undefined; readonly warning: string | undefined }
  | { readonly _tag: "Missing"; readonly error: string }

const versionOfTag = (prompt: StoredPrompt, tag: string): StoredPromptVersion | undefined => {
  const version = prompt.tags.get(tag) ?? (tag === "latest" ? prompt.versions[prompt.versions.length - 1]?.version : undefined)
  return version === undefined ? undefined : prompt.versions.find((v) => v.version === version)
}

const availableTags = (prompt: StoredPrompt): Array<string> =>
  prompt.tags.has("latest") ? [...prompt.tags.keys()] : [...prompt.tags.keys(), "latest"]

/**
 * Basalt's resolution: version → tag → production, with the fallback warnings.
 *
 * @since 0.1.0
 */
export const resolvePrompt = (
  prompt: StoredPrompt,
  selector: { readonly version?: string | undefined; readonly tag?: string | undefined }
): Resolution => {
  const warnings: Array<string> = []
  let tag = selector.tag
  if (selector.version !== undefined && tag !== undefined) {
    warnings.push(messages.bothGiven)
    tag = undefined
  }
  const production = versionOfTag(prompt, "production")
  const fallback = (why: string): Resolution =>
    production === undefined
      ? { _tag: "Missing", error: messages.nothingResolves }
      : { _tag: "Resolved", version: production, tag: "production", warning: [...warnings, why].join(" ") }
  const done = (version: StoredPromptVersion, resolvedTag: string | undefined): Resolution => ({
    _tag: "Resolved",
    version,
    tag: resolvedTag,
    warning: warnings.length === 0 ? undefined : warnings.join(" ")
  })
  if (selector.version !== undefined) {
    const version = prompt.versions.find((v) => v.version === selector.version)
    return version === undefined ? fallback(messages.versionFallback) : done(version, undefined)
  }
  if (tag !== undefined) {
    const version = versionOfTag(prompt, tag)
    return version === undefined ? fallback(messages.tagFallback) : done(version, tag)
  }
  return production === undefined ? { _tag: "Missing", error: messages.noProduction } : done(production, "production")
}

// ---------------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------------

/**
 * Basalt's error answer for an operation: `{error}` where the OpenAPI file declares a body for the status (or
 * does not declare the status), no body where it declares the status without one.
 */
const errorResponse = (operation: OperationSpec | undefined, status: number, message: string): RouteResponse => {
  const spec = operation?.responses[String(status)]
  if (spec !== undefined && Object.keys(spec.content ?? {}).length === 0) {
    return empty({ status, headers: { "x-emulator-error": message.replace(/[^\x20-\x7e]/g, "?") } })
  }
  return json({ error: message }, { status })
}

const fail = (context: RouteContext, status: number, message: string): never => {
  throw new EmulatorHttpError(errorResponse(context.operation, status, message), message)
}

const bearer = (request: CapturedRequest): string | undefined => {
  const header = request.headers.authorization
  if (typeof header !== "string") return undefined
  const m = /^\s*Bearer\s+(.+)$/i.exec(header)
  return m ? m[1]!.trim() : undefined
}

const gatewayPage = (status: number): string =>
  `<!DOCTYPE html><html><head><title>${status} ${
    status === 502 ? "Bad Gateway" : status === 504 ? "Gateway Timeout" : "Service Unavailable"
  }</title></head><body><h1>${status}</h1><p>The upstream server did not answer.</p></body></html>`

const hooks = (apiKeys: ReadonlyArray<string>, validator: OpenApiValidator): VendorHooks => ({
  authenticate: (request) => {
    const token = bearer(request)
    if (token === undefined || !apiKeys.includes(token)) {
      return json({ error: token === undefined ? "Missing API key" : "Invalid API key" }, { status: 401 })
    }
    return { key: token, readOnly: false }
  },
  badRequest: (request, issues) => {
    const lookup = validator.lookup(request.method, request.path)
    return errorResponse(
      lookup._tag === "Found" ? lookup.match.operation : undefined,
      400,
      `Invalid request: ${issues.map((issue) => issue.message).join("; ")}`
    )
  },
  unknownRoute: () => json({ error: "Not found" }, { status: 404 }),
  notImplemented: (_, operation) =>
    json({ error: `The Basalt emulator does not implement ${operation.method} ${operation.path}` }, { status: 501 }),
  internalError: () => json({ error: "Internal server error" }, { status: 500 }),
  contractViolation: (request, issues) =>
    json({
      error: `EmulatorContractViolation: the response to ${request.method} ${request.path} breaks the OpenAPI contract: ${
        issues.map((issue) => issue.message).join("; ")
      }`
    }, { status: 500 }),
  faultStatus: (request, action) => {
    const headers: Record<string, string> = { ...action.headers }
    if (action.retryAfter !== undefined) headers["retry-after"] = String(action.retryAfter)
    if (action.body !== undefined) return json(action.body, { status: action.status, headers })
    if (action.status === 502 || action.status === 503 || action.status === 504) {
      // What a gateway in front of the API sends: an HTML page, not JSON.
      return text(gatewayPage(action.status), { status: action.status, headers: { ...headers, "content-type": "text/html; charset=utf-8" } })
    }
    const error = action.status === 429
      ? "Too many requests"
      : action.status === 500 && request.path === "/monitor/trace"
      ? "Failed to create trace"
      : action.status === 500 && request.path === "/monitor/log"
      ? "Failed to create log"
      : `HTTP ${action.status}`
    return json({ error }, { status: action.status, headers })
  },
  payloadTooLarge: () => json({ error: "Request body too large" }, { status: 413 })
})

// ---------------------------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------------------------

/**
 * `POST /files/generate-upload-url`, which the OpenAPI file does not list: the shapes both SDKs use.
 *
 * @since 0.1.0
 */
export const generateUploadUrlOperation: ExtraOperationInput = {
  method: "POST",
  path: "/files/generate-upload-url",
  operationId: "generateUploadUrl",
  requestBody: {
    required: true,
    schema: {
      type: "object",
      properties: {
        fileName: { type: "string", minLength: 1 },
        contentType: { type: "string", minLength: 1 },
        sizeBytes: { type: "integer", minimum: 0 }
      },
      required: ["fileName", "contentType"]
    }
  },
  responses: {
    "200": {
      schema: {
        type: "object",
        properties: {
          uploadUrl: { type: "string" },
          fileKey: { type: "string" },
          expiresAt: { type: "string" },
          maxSizeBytes: { type: "number" }
        },
        required: ["uploadUrl", "fileKey", "expiresAt", "maxSizeBytes"]
      }
    },
    "400": { schema: { type: "object", properties: { error: { type: "string" } }, required: ["error"] } }
  }
}

interface Deps {
  readonly store: BasaltStore
  readonly autoCreateDatasets: boolean
  readonly dropGenerationTraces: boolean
  readonly maxUploadBytes: number
  readonly uploadTtlMs: number
  /** Set once the upload server listens. */
  uploadBase: string
}

const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)

const promptBody = (prompt: StoredPrompt, resolution: Extract<Resolution, { _tag: "Resolved" }>) => ({
  slug: prompt.slug,
  version: resolution.version.version,
  ...(resolution.tag !== undefined ? { tag: resolution.tag } : {}),
  text: resolution.version.text,
  systemText: resolution.version.systemText,
  model: resolution.version.model
})

const resolveOrFail = (
  context: RouteContext,
  prompt: StoredPrompt,
  selector: { version?: string | undefined; tag?: string | undefined }
): Extract<Resolution, { _tag: "Resolved" }> => {
  const resolution = resolvePrompt(prompt, selector)
  return resolution._tag === "Missing" ? fail(context, 404, resolution.error) : resolution
}

const promptOf = (context: RouteContext, store: BasaltStore, slug: string): StoredPrompt =>
  store.prompts.get(slug) ?? fail(context, 404, messages.noPrompt(slug))

/** The prompt of `/prompts/{slug}…` resolved by the request's `version` / `tag`, and Basalt's fallback warning. */
const requestedPrompt = (context: RouteContext, store: BasaltStore) => {
  const prompt = promptOf(context, store, String(context.params["slug"]))
  const resolution = resolveOrFail(context, prompt, {
    version: str(context.query["version"]),
    tag: str(context.query["tag"])
  })
  const warning = resolution.warning !== undefined ? { warning: resolution.warning } : {}
  return { prompt, resolution, warning }
}

const featureOf = (context: RouteContext, store: BasaltStore, slug: string): string =>
  store.features.has(slug) ? slug : fail(context, 404, messages.noFeature(slug))

/** Checks a trace's logs: unique ids, and every `parentId` names a log of the payload, without cycles. */
const checkLogs = (context: RouteContext, logs: ReadonlyArray<Record<string, unknown>>): void => {
  const ids = new Map<string, Record<string, unknown>>()
  for (const log of logs) {
    const id = str(log["id"])!
    if (ids.has(id)) fail(context, 400, `Duplicate log id "${id}" in the trace`)
    ids.set(id, log)
  }
  for (const log of logs) {
    const parentId = log["parentId"]
    if (parentId === undefined || parentId === null) continue
    if (typeof parentId !== "string" || !ids.has(parentId)) {
      fail(context, 400, `Log "${String(log["id"])}" has parentId "${String(parentId)}", which is not a log of this trace`)
    }
    // Walk up: a cycle never reaches a root.
    const seen = new Set<string>([String(log["id"])])
    let current: unknown = parentId
    while (typeof current === "string") {
      if (seen.has(current)) fail(context, 400, `The logs' parentId links form a cycle at "${current}"`)
      seen.add(current)
      current = ids.get(current)?.["parentId"]
    }
  }
}

const routes = (deps: Deps): ReadonlyArray<Route> => {
  const { store } = deps
  return [
    {
      method: "GET",
      path: "/prompts",
      write: false,
      handle: (context) => {
        const feature = str(context.query["featureSlug"])
        const prompts = [...store.prompts.values()]
          .filter((prompt) => feature === undefined || prompt.featureSlugs.has(feature))
          .map((prompt) => ({
            slug: prompt.slug,
            name: prompt.name,
            status: prompt.status,
            description: prompt.description,
            availableVersions: prompt.versions.map((v) => v.version),
            availableTags: availableTags(prompt)
          }))
        return json({ prompts })
      }
    },
    {
      method: "GET",
      path: "/prompts/{slug}",
      write: false,
      handle: (context) => {
        const { prompt, resolution, warning } = requestedPrompt(context, store)
        return json({ ...warning, prompt: promptBody(prompt, resolution) })
      }
    },
    {
      method: "GET",
      path: "/prompts/{slug}/describe",
      write: false,
      handle: (context) => {
        const { prompt, resolution, warning } = requestedPrompt(context, store)
        return json({
          ...warning,
          prompt: {
            slug: prompt.slug,
            name: prompt.name,
            status: prompt.status,
            description: prompt.description,
            availableVersions: prompt.versions.map((v) => v.version),
            availableTags: availableTags(prompt),
            variables: resolution.version.variables
          }
        })
      }
    },
    {
      method: "POST",
      path: "/prompts/{slug}/publish",
      write: true,
      handle: (context) => {
        const prompt = promptOf(context, store, String(context.params["slug"]))
        const body = context.body as { newTag: string; version?: string; tag?: string }
        if (body.newTag === "latest") fail(context, 400, "The latest tag always points to the newest version; it cannot be published")
        let version: StoredPromptVersion | undefined
        if (body.version !== undefined) {
          version = prompt.versions.find((v) => v.version === body.version)
          if (version === undefined) fail(context, 404, `No version "${body.version}" found for prompt "${prompt.slug}".`)
        } else if (body.tag !== undefined) {
          version = versionOfTag(prompt, body.tag)
          if (version === undefined) fail(context, 404, `No tag "${body.tag}" found for prompt "${prompt.slug}".`)
        } else {
          version = versionOfTag(prompt, "production")
          if (version === undefined) fail(context, 404, messages.noProduction)
        }
        prompt.tags.set(body.newTag, version!.version)
        let id = prompt.tagIds.get(body.newTag)
        if (id === undefined) {
          id = store.uuid()
          prompt.tagIds.set(body.newTag, id)
        }
        return json({ deploymentTag: { id, label: body.newTag } }, { status: 201 })
      }
    },
    {
      method: "GET",
      path: "/datasets",
      write: false,
      handle: () =>
        json({
          datasets: [...store.datasets.values()].map((dataset) => ({
            slug: dataset.slug,
            name: dataset.name,
            columns: dataset.columns.map((column) => ({ name: column.name, type: column.type }))
          }))
        })
    },
    {
      method: "GET",
      path: "/datasets/{slug}",
      write: false,
      handle: (context) => {
        const dataset = store.datasets.get(String(context.params["slug"])) ?? fail(context, 404, messages.datasetNotFound)
        return json({
          dataset: {
            slug: dataset.slug,
            name: dataset.name,
            columns: dataset.columns.map((column) => ({ name: column.name, type: column.type })),
            rows: dataset.rows.map((row) => ({
              values: row.values,
              idealOutput: row.idealOutput,
              metadata: row.metadata
            }))
          }
        })
      }
    },
    {
      method: "POST",
      path: "/datasets/{slug}/items",
      write: true,
      handle: (context) => {
        const slug = String(context.params["slug"])
        const body = context.body as {
          values: Record<string, string>
          name?: string | null
          idealOutput?: string | null
          metadata?: Record<string, unknown> | null
        }
        let dataset = store.datasets.get(slug)
        if (dataset === undefined) {
          if (!deps.autoCreateDatasets) return fail(context, 404, messages.datasetNotFound)
          dataset = store.addDataset({ slug, columns: Object.keys(body.values) })
        }
        const known = new Set(dataset.columns.map((column) => column.name))
        const dropped = Object.keys(body.values).filter((column) => !known.has(column))
        const missing = dataset.columns.filter((column) => column.required && !(column.name in body.values))
        if (missing.length > 0) {
          fail(context, 400, `Missing required columns: ${missing.map((column) => column.name).join(", ")}`)
        }
        const values: Record<string, string> = {}
        for (const column of dataset.columns) {
          const value = body.values[column.name]
          if (value === undefined) continue
          if ((column.type === "file" || column.type === "image") && !store.files.has(value)) {
            fail(context, 400, `The value of column "${column.name}" is not the key of an uploaded file`)
          }
          values[column.name] = value
        }
        const row: StoredDatasetRow = {
          name: body.name ?? null,
          values,
          idealOutput: body.idealOutput ?? null,
          metadata: body.metadata ?? null
        }
        dataset.rows.push(row)
        return json({
          ...(dropped.length > 0 ? { warning: messages.droppedColumns(dropped) } : {}),
          datasetRow: row
        }, { status: 201 })
      }
    },
    {
      method: "POST",
      path: "/monitor/experiments",
      write: true,
      handle: (context) => {
        const body = context.body as { featureSlug: string; name: string }
        const featureSlug = featureOf(context, store, body.featureSlug)
        const experiment: StoredExperiment = {
          id: store.uuid(),
          name: body.name,
          featureSlug,
          createdAt: new Date(store.now()).toISOString()
        }
        store.experiments.set(experiment.id, experiment)
        return json(experiment)
      }
    },
    {
      method: "POST",
      path: "/monitor/trace",
      write: true,
      handle: (context) => {
        const body = context.body as Record<string, unknown>
        const featureSlug = str(body["featureSlug"]) ?? str(body["chainSlug"])
        if (featureSlug === undefined) fail(context, 400, "featureSlug is required")
        featureOf(context, store, featureSlug!)
        const logs = Array.isArray(body["logs"]) ? (body["logs"] as Array<Record<string, unknown>>) : []
        checkLogs(context, logs)
        const experimentRef = body["experiment"]
        let experimentId: string | undefined
        if (isRecord(experimentRef)) {
          const experiment = store.experiments.get(String(experimentRef["id"]))
          if (experiment === undefined) fail(context, 404, `No experiment with id "${String(experimentRef["id"])}" exists.`)
          if (experiment!.featureSlug !== featureSlug) {
            fail(context, 400, `Experiment "${experiment!.id}" belongs to feature "${experiment!.featureSlug}", not "${featureSlug}"`)
          }
          experimentId = experiment!.id
        }
        let warning: string | undefined
        for (const log of logs) {
          const prompt = log["prompt"]
          if (log["type"] !== "generation" || !isRecord(prompt)) continue
          const stored = store.prompts.get(String(prompt["slug"]))
          const resolution = stored === undefined
            ? undefined
            : resolvePrompt(stored, { version: str(prompt["version"]), tag: str(prompt["tag"]) })
          if (resolution === undefined || resolution._tag === "Missing") warning = messages.promptNotFoundForLog
        }
        const id = store.uuid()
        const hasGeneration = logs.some((log) => log["type"] === "generation")
        // Basalt's raw-REST example says such traces may be dropped silently: answered, never stored.
        if (!(deps.dropGenerationTraces && hasGeneration)) {
          store.traces.push({ id, source: "trace", featureSlug, experimentId, body, warning, receivedAt: store.now() })
        }
        return json({ trace: { id }, ...(warning !== undefined ? { warning } : {}) })
      }
    },
    {
      method: "POST",
      path: "/monitor/log",
      write: true,
      handle: (context) => {
        const body = context.body as Record<string, unknown>
        const slug = String(body["slug"])
        const prompt = promptOf(context, store, slug)
        const resolution = resolvePrompt(prompt, { version: str(body["version"]), tag: str(body["tag"]) })
        const warning = resolution._tag === "Missing" ? messages.promptNotFoundForLog : resolution.warning
        const id = store.uuid()
        const logId = store.uuid()
        store.traces.push({
          id,
          source: "log",
          featureSlug: undefined,
          experimentId: undefined,
          body,
          logId,
          warning,
          receivedAt: store.now()
        })
        return json({ trace: { id }, log: { id: logId }, ...(warning !== undefined ? { warning } : {}) })
      }
    },
    {
      method: "POST",
      path: "/files/generate-upload-url",
      write: true,
      handle: (context) => {
        const body = context.body as { fileName: string; contentType: string; sizeBytes?: number }
        if (body.sizeBytes !== undefined && body.sizeBytes > deps.maxUploadBytes) {
          fail(context, 400, `File too large: ${body.sizeBytes} bytes (at most ${deps.maxUploadBytes})`)
        }
        const token = randomBytes(12).toString("hex")
        const fileKey = `files/${store.uuid()}-${body.fileName.replace(/[^A-Za-z0-9._-]/g, "_")}`
        const expiresAt = store.now() + deps.uploadTtlMs
        store.uploads.set(token, {
          token,
          fileKey,
          fileName: body.fileName,
          contentType: body.contentType,
          maxSizeBytes: deps.maxUploadBytes,
          expiresAt
        })
        const signature = randomBytes(16).toString("hex")
        return json({
          uploadUrl: `${deps.uploadBase}/uploads/${token}?X-Amz-Expires=${Math.floor(deps.uploadTtlMs / 1000)}&X-Amz-Signature=${signature}`,
          fileKey,
          expiresAt: new Date(expiresAt).toISOString(),
          maxSizeBytes: deps.maxUploadBytes
        })
      }
    }
  ]
}

// ---------------------------------------------------------------------------------------------------------------
// The upload server (S3's role)
// ---------------------------------------------------------------------------------------------------------------

const s3Error = (res: ServerResponse, status: number, code: string, message: string): void => {
  res.writeHead(status, { "content-type": "application/xml" })
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`)
}

const readBytes = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

const startUploadServer = (
  store: BasaltStore,
  faults: Faults,
  sleep: (ms: number) => Promise<void>,
  requests: Array<UploadRequest>,
  host: string
): Promise<{ readonly url: string; readonly close: () => Promise<void> }> => {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const bytes = await readBytes(req)
    const url = new URL(req.url ?? "/", "http://upload.invalid")
    const captured: UploadRequest = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, bytes: bytes.length, status: undefined }
    requests.push(captured)
    const reply = (status: number, code: string, message: string) => {
      captured.status = status
      s3Error(res, status, code, message)
    }
    const fault = faults.next({ method: captured.method, path: url.pathname, bodyBytes: bytes.length })
    if (fault?.kind === "reset") {
      req.socket.destroy()
      return
    }
    if (fault?.kind === "status") return reply(fault.status, "ServiceUnavailable", "Injected fault")
    if (fault?.kind === "payloadTooLarge") return reply(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
    if (fault?.kind === "delay") await sleep(fault.ms)

    const m = /^\/uploads\/([0-9a-f]+)$/.exec(url.pathname)
    if (captured.method !== "PUT" || m === null) return reply(405, "MethodNotAllowed", "Only PUT to an upload URL")
    if (req.headers.authorization !== undefined) {
      return reply(400, "InvalidArgument", "Only one auth mechanism allowed; the upload URL is already signed")
    }
    const slot = store.uploads.get(m[1]!)
    if (slot === undefined || !url.searchParams.has("X-Amz-Signature")) {
      return reply(403, "AccessDenied", "The upload URL is not valid")
    }
    if (store.now() > slot.expiresAt) return reply(403, "AccessDenied", "Request has expired")
    if ((req.headers["content-type"] ?? "") !== slot.contentType) {
      return reply(403, "SignatureDoesNotMatch", "The Content-Type does not match the one the URL was signed for")
    }
    if (bytes.length > slot.maxSizeBytes) return reply(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
    store.files.set(slot.fileKey, {
      fileKey: slot.fileKey,
      fileName: slot.fileName,
      contentType: slot.contentType,
      bytes: new Uint8Array(bytes),
      uploadedAt: store.now()
    })
    captured.status = 200
    res.writeHead(200, { etag: `"${randomBytes(8).toString("hex")}"` })
    res.end()
  }
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) s3Error(res, 500, "InternalError", "upload failed")
    })
  })
  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, host, () => {
      server.off("error", reject)
      const address = server.address() as AddressInfo
      let closed: Promise<void> | undefined
      resolve({
        url: `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`,
        close: () => {
          closed ??= new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          })
          return closed
        }
      })
    })
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Starting
// ---------------------------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 */
export interface BasaltEmulatorOptions {
  /** Accepted keys (`Authorization: Bearer <key>`); default `["test-key"]`. */
  readonly apiKeys?: ReadonlyArray<string>
  /** Known feature slugs (traces and experiments need one); default `["default"]`. Prompts add theirs. */
  readonly features?: ReadonlyArray<string>
  readonly prompts?: ReadonlyArray<SeedPrompt>
  readonly datasets?: ReadonlyArray<SeedDataset>
  /** Create an unknown dataset on its first row (not Basalt's behaviour; see the module notes). Default false. */
  readonly autoCreateDatasets?: boolean
  /** Answer traces with generation logs but never store them, as Basalt's raw-REST example warns. Default false. */
  readonly dropGenerationTraces?: boolean
  /** Largest upload; default 10 MiB (Basalt's `maxSizeBytes`). */
  readonly maxUploadBytes?: number
  /** How long an upload URL stays valid; default 10 minutes. */
  readonly uploadTtlMs?: number
  /** Milliseconds clock for timestamps, upload expiry and fault windows; default `Date.now`. */
  readonly now?: () => number
  /** How `delay` faults wait; default `setTimeout`. */
  readonly sleep?: (ms: number) => Promise<void>
  /** Id generator for experiments, traces and deployment tags; default `crypto.randomUUID`. */
  readonly uuid?: () => string
  /** Overrides the bundled `specs/basalt-openapi.json`. */
  readonly specPath?: string
  readonly host?: string
  /** Default 0: an ephemeral port. */
  readonly port?: number
}

/**
 * A running emulator.
 *
 * @since 0.1.0
 */
export interface BasaltEmulatorHandle {
  /** `http://127.0.0.1:<port>`: use it as the API URL. */
  readonly url: string
  /** The first configured key. */
  readonly apiKey: string
  readonly store: BasaltStore
  readonly faults: Faults
  /** Every API request received, in order, with headers and body text. */
  readonly requests: ReadonlyArray<CapturedRequest>
  /** Responses that broke the contract, and handler crashes: emulator bugs. Tests expect none. */
  readonly violations: ReadonlyArray<ContractViolation>
  /** Client requests that broke the contract (answered 400). */
  readonly rejections: ReadonlyArray<RequestRejection>
  readonly validator: OpenApiValidator
  /** The upload server's base URL, and what it received. */
  readonly uploadUrl: string
  readonly uploadRequests: ReadonlyArray<UploadRequest>
  readonly close: () => Promise<void>
}

/**
 * The bundled OpenAPI file.
 *
 * @since 0.1.0
 */
export const defaultSpecPath = (): string => fileURLToPath(new URL("../specs/basalt-openapi.json", import.meta.url))

/**
 * Starts an emulator (and its upload server) on `127.0.0.1`, on ephemeral ports.
 *
 * @since 0.1.0
 */
export const start = async (options: BasaltEmulatorOptions = {}): Promise<BasaltEmulatorHandle> => {
  const validator = OpenApiValidator.fromFile(options.specPath ?? defaultSpecPath())
  validator.registerOperation(generateUploadUrlOperation)
  const now = options.now ?? Date.now
  const store = new BasaltStore(now, options.uuid ?? randomUUID)
  for (const feature of options.features ?? ["default"]) store.addFeature(feature)
  for (const prompt of options.prompts ?? []) store.addPrompt(prompt)
  for (const dataset of options.datasets ?? []) store.addDataset(dataset)
  const apiKeys = options.apiKeys ?? ["test-key"]
  const faults = new Faults({ now })
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const host = options.host ?? "127.0.0.1"
  const uploadRequests: Array<UploadRequest> = []
  const uploads = await startUploadServer(store, faults, sleep, uploadRequests, host)
  const deps: Deps = {
    store,
    autoCreateDatasets: options.autoCreateDatasets ?? false,
    dropGenerationTraces: options.dropGenerationTraces ?? false,
    maxUploadBytes: options.maxUploadBytes ?? 10 * 1024 * 1024,
    uploadTtlMs: options.uploadTtlMs ?? 10 * 60 * 1000,
    uploadBase: uploads.url
  }
  const server = await startEmulatorServer({
    validator,
    routes: routes(deps),
    hooks: hooks(apiKeys, validator),
    faults,
    sleep,
    host,
    ...(options.port !== undefined ? { port: options.port } : {})
  }).catch(async (error: unknown) => {
    await uploads.close()
    throw error
  })
  return {
    url: server.url,
    apiKey: apiKeys[0] ?? "",
    store,
    faults,
    requests: server.requests,
    violations: server.violations,
    rejections: server.rejections,
    validator,
    uploadUrl: uploads.url,
    uploadRequests,
    close: async () => {
      await Promise.all([server.close(), uploads.close()])
    }
  }
}

/**
 * The running emulator as an Effect service.
 *
 * @since 0.1.0
 */
export class BasaltEmulator extends Context.Tag("@promptops/emulators/BasaltEmulator")<
  BasaltEmulator,
  BasaltEmulatorHandle
>() {}

/**
 * Starts an emulator for the lifetime of the surrounding scope.
 *
 * @since 0.1.0
 */
export const make = (options: BasaltEmulatorOptions = {}): Effect.Effect<BasaltEmulatorHandle, never, Scope.Scope> =>
  scopedEmulator(() => start(options))

/**
 * @since 0.1.0
 */
export const layer = (options: BasaltEmulatorOptions = {}): Layer.Layer<BasaltEmulator> =>
  Layer.scoped(BasaltEmulator, make(options))
