/**
 * Contract checks against a vendor's OpenAPI file.
 *
 * Loads an OpenAPI 3.0.x document (with `nullable`) or a 3.1 document, matches a request's method and path to
 * an operation (`/v1/function/{function_id}`), and validates path parameters, query parameters (strings coerced
 * to the declared types, repeated parameters become arrays), request bodies and response bodies per status
 * code with ajv. Schemas are compiled lazily, once per operation and location, and the compiled form is shared by
 * every validator built from the same file.
 *
 * @since 0.1.0
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv"
import { Ajv2020 } from "ajv/dist/2020.js"
import * as AjvFormatsModule from "ajv-formats"
import { readFileSync } from "node:fs"

/**
 * @since 0.1.0
 */
export type JsonSchema = boolean | { readonly [key: string]: unknown }

/**
 * A parsed OpenAPI document; only the parts the validator reads are typed.
 *
 * @since 0.1.0
 */
export interface OpenApiDocument {
  readonly openapi: string
  readonly info?: { readonly [key: string]: unknown }
  readonly paths: { readonly [path: string]: { readonly [key: string]: unknown } }
  readonly components?: { readonly [section: string]: { readonly [name: string]: unknown } }
  readonly security?: ReadonlyArray<unknown>
}

/**
 * @since 0.1.0
 */
export type ParameterLocation = "path" | "query" | "header" | "cookie"

/**
 * @since 0.1.0
 */
export interface ParameterSpec {
  readonly name: string
  readonly in: ParameterLocation
  readonly required: boolean
  readonly schema: JsonSchema
}

/**
 * @since 0.1.0
 */
export interface MediaTypeSpec {
  readonly schema?: JsonSchema
}

/**
 * @since 0.1.0
 */
export interface ResponseSpec {
  readonly content?: { readonly [mediaType: string]: MediaTypeSpec }
  readonly headers?: { readonly [name: string]: unknown }
}

/**
 * An operation with every `$ref` outside schemas (parameters, request bodies, responses) already resolved.
 * Schemas may still `$ref` `#/components/schemas/...`.
 *
 * @since 0.1.0
 */
export interface OperationSpec {
  readonly method: string
  readonly path: string
  readonly operationId?: string
  readonly parameters: ReadonlyArray<ParameterSpec>
  readonly requestBody?: {
    readonly required: boolean
    readonly content: { readonly [mediaType: string]: MediaTypeSpec }
  }
  readonly responses: { readonly [status: string]: ResponseSpec }
  /** `[]` means the operation needs no credentials. */
  readonly security?: ReadonlyArray<unknown>
  /** True for operations registered by the emulator rather than read from the file. */
  readonly extra: boolean
}

/**
 * An operation the emulator serves although the file does not list it.
 *
 * @since 0.1.0
 */
export interface ExtraOperationInput {
  readonly method: string
  readonly path: string
  readonly operationId?: string
  readonly parameters?: ReadonlyArray<ParameterSpec>
  readonly requestBody?: { readonly required?: boolean; readonly schema: JsonSchema }
  readonly responses: { readonly [status: string]: { readonly schema?: JsonSchema; readonly mediaType?: string } }
  readonly security?: ReadonlyArray<unknown>
}

/**
 * One broken rule, named by where it sits (`location` + `path`) and what ajv said.
 *
 * @since 0.1.0
 */
export interface ValidationIssue {
  readonly location: "path" | "query" | "body" | "response" | "request"
  /** Path segments to the offending value; for a missing property, ends with the property's name. */
  readonly path: ReadonlyArray<string>
  /** ajv's JSON pointer to the offending value (`/feedback/0/scores/accuracy`). */
  readonly instancePath: string
  /** The failing JSON Schema keyword (`required`, `type`, `format`, ...). */
  readonly keyword: string
  /** `<location><instancePath> <ajv message>`, e.g. `body/project_id must match format "uuid"`. */
  readonly message: string
  readonly params: { readonly [key: string]: unknown }
}

/**
 * @since 0.1.0
 */
export interface OperationMatch {
  readonly operation: OperationSpec
  readonly params: { readonly [name: string]: string }
}

/**
 * What a path lookup found: an operation, a known path with other methods only, or nothing.
 *
 * @since 0.1.0
 */
export type PathLookup =
  | { readonly _tag: "Found"; readonly match: OperationMatch }
  | { readonly _tag: "MethodNotAllowed"; readonly path: string; readonly allowed: ReadonlyArray<string> }
  | { readonly _tag: "NotFound" }

/**
 * @since 0.1.0
 */
export interface RawRequest {
  readonly params: { readonly [name: string]: string }
  readonly searchParams: URLSearchParams
  /** The raw body text; empty when the request had none. */
  readonly bodyText: string
}

/**
 * @since 0.1.0
 */
export type RequestValidation =
  | {
    readonly ok: true
    readonly params: { readonly [name: string]: unknown }
    readonly query: { readonly [name: string]: unknown }
    readonly body: unknown
  }
  | { readonly ok: false; readonly issues: ReadonlyArray<ValidationIssue> }

/**
 * @since 0.1.0
 */
export interface ResponseCandidate {
  readonly status: number
  /** `undefined` when the response has no body. */
  readonly contentType: string | undefined
  /** Parsed JSON for JSON media types, the text otherwise, `undefined` for no body. */
  readonly body: unknown
}

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const
const MAX_ISSUES = 20

// ---------------------------------------------------------------------------------------------------------------
// OpenAPI 3.0 → JSON Schema
// ---------------------------------------------------------------------------------------------------------------

const SCHEMA_MAP_KEYS = ["properties", "patternProperties", "definitions", "$defs", "dependentSchemas"] as const
const SCHEMA_ARRAY_KEYS = ["allOf", "anyOf", "oneOf", "prefixItems"] as const
const SCHEMA_SINGLE_KEYS = [
  "additionalProperties",
  "items",
  "not",
  "if",
  "then",
  "else",
  "contains",
  "propertyNames",
  "unevaluatedProperties",
  "unevaluatedItems",
  "additionalItems"
] as const

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Rewrites an OpenAPI 3.0 schema into plain JSON Schema: `nullable: true` becomes a `"null"` type (or an
 * `anyOf` with `{type:"null"}` when there is no `type`, e.g. next to a `$ref`), boolean `exclusiveMinimum` /
 * `exclusiveMaximum` become numbers, and OpenAPI-only annotations are dropped. Only schema positions are
 * visited, so a property that happens to be named `nullable` is left alone.
 *
 * @since 0.1.0
 */
export const normalizeOpenApi30Schema = (schema: unknown): unknown => {
  if (Array.isArray(schema)) return schema.map(normalizeOpenApi30Schema)
  if (!isRecord(schema)) return schema
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === "nullable" || key === "discriminator" || key === "xml" || key === "externalDocs") continue
    if (key === "example") continue
    if ((SCHEMA_MAP_KEYS as ReadonlyArray<string>).includes(key) && isRecord(value)) {
      const mapped: Record<string, unknown> = {}
      for (const [name, sub] of Object.entries(value)) mapped[name] = normalizeOpenApi30Schema(sub)
      out[key] = mapped
    } else if ((SCHEMA_ARRAY_KEYS as ReadonlyArray<string>).includes(key) && Array.isArray(value)) {
      out[key] = value.map(normalizeOpenApi30Schema)
    } else if ((SCHEMA_SINGLE_KEYS as ReadonlyArray<string>).includes(key)) {
      out[key] = normalizeOpenApi30Schema(value)
    } else {
      out[key] = value
    }
  }
  if (schema["exclusiveMinimum"] === true && typeof schema["minimum"] === "number") {
    out["exclusiveMinimum"] = schema["minimum"]
    delete out["minimum"]
  } else if (typeof schema["exclusiveMinimum"] === "boolean") delete out["exclusiveMinimum"]
  if (schema["exclusiveMaximum"] === true && typeof schema["maximum"] === "number") {
    out["exclusiveMaximum"] = schema["maximum"]
    delete out["maximum"]
  } else if (typeof schema["exclusiveMaximum"] === "boolean") delete out["exclusiveMaximum"]

  if (schema["nullable"] !== true) return out
  const type = out["type"]
  if (typeof type === "string" || Array.isArray(type)) {
    const types = Array.isArray(type) ? [...type] : [type]
    if (!types.includes("null")) types.push("null")
    out["type"] = types
    if (Array.isArray(out["enum"]) && !(out["enum"] as Array<unknown>).includes(null)) {
      out["enum"] = [...(out["enum"] as Array<unknown>), null]
    }
    return out
  }
  // No `type`: either an unconstrained "any" (null already allowed) or a composite/`$ref` that must also
  // accept null.
  const constraining = Object.keys(out).filter((k) => k !== "description" && k !== "title" && k !== "default")
  if (constraining.length === 0) return out
  const annotations: Record<string, unknown> = {}
  for (const k of ["description", "title", "default"]) if (k in out) annotations[k] = out[k]
  for (const k of Object.keys(annotations)) delete out[k]
  return { ...annotations, anyOf: [{ type: "null" }, out] }
}

/** Prefixes every local `$ref` with the document's `$id`, so operation schemas resolve into the components. */
const anchorRefs = (schema: unknown, documentId: string): unknown => {
  if (Array.isArray(schema)) return schema.map((s) => anchorRefs(s, documentId))
  if (!isRecord(schema)) return schema
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === "$ref" && typeof value === "string" && value.startsWith("#")
      ? `${documentId}${value}`
      : anchorRefs(value, documentId)
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// Compiled document (shared per file)
// ---------------------------------------------------------------------------------------------------------------

type AjvInstance = Ajv | Ajv2020

const addFormats: (ajv: AjvInstance) => void = (() => {
  const mod = AjvFormatsModule as unknown as { default?: unknown }
  const candidate = typeof mod.default === "function"
    ? mod.default
    : (mod.default as { default?: unknown } | undefined)?.default
  const plugin = (typeof candidate === "function" ? candidate : mod) as unknown as (ajv: AjvInstance) => void
  return (ajv: AjvInstance) => plugin(ajv)
})()

interface CompiledTemplate {
  readonly path: string
  readonly segments: ReadonlyArray<{ readonly literal: string } | { readonly param: string; readonly rest: boolean }>
  readonly literalCount: number
}

const compileTemplate = (path: string): CompiledTemplate => {
  const segments = path.split("/").slice(1).map((segment) => {
    const m = /^\{([^}]+?)(\+)?\}$/.exec(segment)
    return m ? { param: m[1]!, rest: m[2] === "+" } : { literal: segment }
  })
  return { path, segments, literalCount: segments.filter((s) => "literal" in s).length }
}

const matchTemplate = (
  template: CompiledTemplate,
  pathSegments: ReadonlyArray<string>
): { readonly [name: string]: string } | undefined => {
  const params: Record<string, string> = {}
  const { segments } = template
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!
    if ("literal" in seg) {
      if (pathSegments[i] !== seg.literal) return undefined
    } else if (seg.rest) {
      if (i >= pathSegments.length) return undefined
      params[seg.param] = pathSegments.slice(i).join("/")
      return params
    } else {
      const value = pathSegments[i]
      if (value === undefined || value === "") return undefined
      params[seg.param] = value
    }
  }
  return pathSegments.length === segments.length ? params : undefined
}

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

class CompiledDocument {
  readonly documentId: string
  /** Validates bodies; no coercion. */
  readonly ajv: AjvInstance
  /** Validates path and query parameters; coerces strings and wraps or unwraps one-element arrays. */
  readonly ajvParams: AjvInstance
  readonly operations: Map<string, OperationSpec> = new Map()
  readonly templates: Map<string, CompiledTemplate> = new Map()
  readonly warnings: Array<string> = []
  private readonly cache: WeakMap<object, Map<string, ValidateFunction>> = new WeakMap()
  private readonly componentCache: Map<string, ValidateFunction> = new Map()

  constructor(readonly document: OpenApiDocument, documentId: string) {
    this.documentId = documentId
    const is31 = document.openapi.startsWith("3.1")
    const logger = {
      log: () => {},
      warn: (...args: Array<unknown>) => {
        this.warnings.push(args.map(String).join(" "))
      },
      error: (...args: Array<unknown>) => {
        this.warnings.push(args.map(String).join(" "))
      }
    }
    const make = (coerce: boolean): AjvInstance => {
      const options = {
        strict: false,
        allErrors: true,
        validateFormats: true,
        logger,
        ...(coerce ? { coerceTypes: "array" as const } : {})
      }
      const ajv = is31 ? new Ajv2020(options) : new Ajv(options)
      addFormats(ajv)
      return ajv
    }
    this.ajv = make(false)
    this.ajvParams = make(true)
    const schemas = document.components?.["schemas"] ?? {}
    const normalized: Record<string, unknown> = {}
    for (const [name, schema] of Object.entries(schemas)) {
      normalized[name] = is31 ? schema : normalizeOpenApi30Schema(schema)
    }
    const componentsDocument = { $id: documentId, components: { schemas: normalized } }
    this.ajv.addSchema(componentsDocument)
    this.ajvParams.addSchema(componentsDocument)
    this.readOperations()
  }

  private resolveRef<T>(value: unknown): T {
    let current = value
    for (let guard = 0; guard < 16 && isRecord(current) && typeof current["$ref"] === "string"; guard++) {
      const ref = current["$ref"] as string
      if (!ref.startsWith("#/")) break
      let target: unknown = this.document
      for (const part of ref.slice(2).split("/")) {
        const key = part.replace(/~1/g, "/").replace(/~0/g, "~")
        target = isRecord(target) ? target[key] : undefined
      }
      current = target
    }
    return current as T
  }

  normalize(schema: unknown): JsonSchema {
    const is31 = this.document.openapi.startsWith("3.1")
    return (is31 ? schema : normalizeOpenApi30Schema(schema)) as JsonSchema
  }

  private readOperations(): void {
    for (const [path, item] of Object.entries(this.document.paths)) {
      const shared = Array.isArray(item["parameters"]) ? (item["parameters"] as Array<unknown>) : []
      for (const method of HTTP_METHODS) {
        const raw = item[method]
        if (!isRecord(raw)) continue
        const own = Array.isArray(raw["parameters"]) ? (raw["parameters"] as Array<unknown>) : []
        const byKey = new Map<string, ParameterSpec>()
        for (const p of [...shared, ...own]) {
          const param = this.resolveRef<Record<string, unknown>>(p)
          if (!isRecord(param) || typeof param["name"] !== "string") continue
          const location = param["in"] as ParameterLocation
          byKey.set(`${location}:${param["name"]}`, {
            name: param["name"],
            in: location,
            required: param["required"] === true || location === "path",
            schema: this.normalize(param["schema"] ?? {})
          })
        }
        const body = this.resolveRef<Record<string, unknown> | undefined>(raw["requestBody"])
        const responses: Record<string, ResponseSpec> = {}
        for (const [status, r] of Object.entries(isRecord(raw["responses"]) ? raw["responses"] : {})) {
          const response = this.resolveRef<Record<string, unknown>>(r)
          responses[status] = this.readResponse(response)
        }
        const op: OperationSpec = {
          method: method.toUpperCase(),
          path,
          ...(typeof raw["operationId"] === "string" ? { operationId: raw["operationId"] } : {}),
          parameters: [...byKey.values()],
          ...(isRecord(body)
            ? {
              requestBody: {
                required: body["required"] === true,
                content: this.readContent(body["content"])
              }
            }
            : {}),
          responses,
          ...(Array.isArray(raw["security"])
            ? { security: raw["security"] as ReadonlyArray<unknown> }
            : this.document.security
            ? { security: this.document.security }
            : {}),
          extra: false
        }
        this.addOperation(op)
      }
    }
  }

  private readContent(content: unknown): { readonly [mediaType: string]: MediaTypeSpec } {
    const out: Record<string, MediaTypeSpec> = {}
    if (!isRecord(content)) return out
    for (const [mediaType, media] of Object.entries(content)) {
      const schema = isRecord(media) && "schema" in media ? this.normalize(media["schema"]) : undefined
      out[mediaType.toLowerCase()] = schema === undefined ? {} : { schema }
    }
    return out
  }

  private readResponse(response: unknown): ResponseSpec {
    if (!isRecord(response)) return {}
    return {
      ...(response["content"] !== undefined ? { content: this.readContent(response["content"]) } : {}),
      ...(isRecord(response["headers"]) ? { headers: response["headers"] } : {})
    }
  }

  addOperation(op: OperationSpec): void {
    this.operations.set(`${op.method} ${op.path}`, op)
    if (!this.templates.has(op.path)) this.templates.set(op.path, compileTemplate(op.path))
  }

  validator(owner: object, key: string, schema: JsonSchema, coerce: boolean): ValidateFunction {
    let perOwner = this.cache.get(owner)
    if (!perOwner) {
      perOwner = new Map()
      this.cache.set(owner, perOwner)
    }
    const cacheKey = `${coerce ? "c" : "s"}:${key}`
    const found = perOwner.get(cacheKey)
    if (found) return found
    const ajv = coerce ? this.ajvParams : this.ajv
    const compiled = ajv.compile(anchorRefs(schema, this.documentId) as object)
    perOwner.set(cacheKey, compiled)
    return compiled
  }

  componentValidator(name: string): ValidateFunction {
    const found = this.componentCache.get(name)
    if (found) return found
    const compiled = this.ajv.compile({ $ref: `${this.documentId}#/components/schemas/${name}` })
    this.componentCache.set(name, compiled)
    return compiled
  }
}

const documentCache = new Map<string, CompiledDocument>()
let documentCounter = 0

// ---------------------------------------------------------------------------------------------------------------
// Issues
// ---------------------------------------------------------------------------------------------------------------

const pointerToPath = (pointer: string): Array<string> =>
  pointer === "" ? [] : pointer.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))

/** Drops the per-branch noise of `anyOf`/`oneOf` when a more specific error exists at a deeper path. */
const toIssues = (
  location: ValidationIssue["location"],
  errors: ReadonlyArray<ErrorObject> | null | undefined,
  prefix: ReadonlyArray<string> = []
): Array<ValidationIssue> => {
  const list = errors ?? []
  const issues = list.map((error): ValidationIssue => {
    const path = [...prefix, ...pointerToPath(error.instancePath)]
    const missing = (error.params as { missingProperty?: unknown }).missingProperty
    if (error.keyword === "required" && typeof missing === "string") path.push(missing)
    const where = [location, ...prefix].join("/") + error.instancePath
    const detail = error.keyword === "additionalProperties"
      ? `${error.message ?? "is invalid"}: '${String((error.params as { additionalProperty?: unknown }).additionalProperty)}'`
      : error.message ?? "is invalid"
    return {
      location,
      path,
      instancePath: error.instancePath,
      keyword: error.keyword,
      message: `${where} ${detail}`,
      params: { ...error.params }
    }
  })
  const seen = new Set<string>()
  const deduped = issues.filter((issue) => {
    if (seen.has(issue.message)) return false
    seen.add(issue.message)
    return true
  })
  return deduped.slice(0, MAX_ISSUES)
}

const mediaTypeOf = (contentType: string | undefined): string | undefined =>
  contentType?.split(";")[0]?.trim().toLowerCase()

const isJsonMediaType = (mediaType: string | undefined): boolean =>
  mediaType !== undefined && (mediaType === "application/json" || mediaType.endsWith("+json"))

// ---------------------------------------------------------------------------------------------------------------
// Validator
// ---------------------------------------------------------------------------------------------------------------

/**
 * A validator for one OpenAPI document plus any operations the emulator registers on top of it.
 *
 * @since 0.1.0
 */
export class OpenApiValidator {
  private readonly extra: Map<string, OperationSpec> = new Map()
  private readonly extraTemplates: Map<string, CompiledTemplate> = new Map()

  private constructor(private readonly compiled: CompiledDocument) {}

  /**
   * Builds a validator for a document already in memory. Compiled schemas are not shared with other validators.
   *
   * @since 0.1.0
   */
  static fromDocument(document: OpenApiDocument): OpenApiValidator {
    const id = `https://emulator.promptops.invalid/openapi/${++documentCounter}.json`
    return new OpenApiValidator(new CompiledDocument(document, id))
  }

  /**
   * Loads an OpenAPI file. The parsed document and the compiled schemas are cached per absolute path, so
   * starting many emulators pays the compile cost once.
   *
   * @since 0.1.0
   */
  static fromFile(path: string): OpenApiValidator {
    let compiled = documentCache.get(path)
    if (!compiled) {
      const document = JSON.parse(readFileSync(path, "utf8")) as OpenApiDocument
      compiled = new CompiledDocument(document, `https://emulator.promptops.invalid/openapi/${++documentCounter}.json`)
      documentCache.set(path, compiled)
    }
    return new OpenApiValidator(compiled)
  }

  /**
   * @since 0.1.0
   */
  get document(): OpenApiDocument {
    return this.compiled.document
  }

  /**
   * Warnings ajv printed while compiling (unknown formats and the like).
   *
   * @since 0.1.0
   */
  get warnings(): ReadonlyArray<string> {
    return this.compiled.warnings
  }

  /**
   * Every operation, the file's and the registered extras.
   *
   * @since 0.1.0
   */
  operations(): ReadonlyArray<OperationSpec> {
    return [...this.compiled.operations.values(), ...this.extra.values()]
  }

  /**
   * Registers an operation the file does not list. Its schemas may `$ref` `#/components/schemas/...` of the file
   * and are read as the file's dialect (OpenAPI 3.0 `nullable` is understood).
   *
   * @since 0.1.0
   */
  registerOperation(input: ExtraOperationInput): OperationSpec {
    const method = input.method.toUpperCase()
    const responses: Record<string, ResponseSpec> = {}
    for (const [status, r] of Object.entries(input.responses)) {
      responses[status] = r.schema === undefined && r.mediaType === undefined
        ? {}
        : { content: { [r.mediaType ?? "application/json"]: r.schema === undefined ? {} : { schema: this.compiled.normalize(r.schema) } } }
    }
    const op: OperationSpec = {
      method,
      path: input.path,
      ...(input.operationId !== undefined ? { operationId: input.operationId } : {}),
      parameters: (input.parameters ?? []).map((p) => ({ ...p, schema: this.compiled.normalize(p.schema) })),
      ...(input.requestBody
        ? {
          requestBody: {
            required: input.requestBody.required ?? false,
            content: { "application/json": { schema: this.compiled.normalize(input.requestBody.schema) } }
          }
        }
        : {}),
      responses,
      ...(input.security !== undefined ? { security: input.security } : {}),
      extra: true
    }
    this.extra.set(`${method} ${input.path}`, op)
    if (!this.extraTemplates.has(input.path)) this.extraTemplates.set(input.path, compileTemplate(input.path))
    return op
  }

  /**
   * Finds the operation for a method and a concrete path (no query string). Literal segments win over
   * parameters (`/v1/acl/batch_update` over `/v1/acl/{acl_id}`). Path parameters are percent-decoded.
   *
   * @since 0.1.0
   */
  lookup(method: string, path: string): PathLookup {
    const segments = path.split("/").slice(1).map(safeDecode)
    const candidates: Array<{ template: CompiledTemplate; params: { readonly [name: string]: string } }> = []
    for (const templates of [this.compiled.templates, this.extraTemplates]) {
      for (const template of templates.values()) {
        const params = matchTemplate(template, segments)
        if (params) candidates.push({ template, params })
      }
    }
    if (candidates.length === 0) return { _tag: "NotFound" }
    candidates.sort((a, b) => b.template.literalCount - a.template.literalCount)
    const upper = method.toUpperCase()
    for (const { params, template } of candidates) {
      const op = this.operation(upper, template.path)
      if (op) return { _tag: "Found", match: { operation: op, params } }
    }
    const best = candidates[0]!.template.path
    const allowed = this.operations().filter((op) => op.path === best).map((op) => op.method)
    return { _tag: "MethodNotAllowed", path: best, allowed }
  }

  /**
   * @since 0.1.0
   */
  operation(method: string, pathTemplate: string): OperationSpec | undefined {
    const key = `${method.toUpperCase()} ${pathTemplate}`
    return this.extra.get(key) ?? this.compiled.operations.get(key)
  }

  /**
   * Validates path parameters, query parameters and the JSON body. On success returns the coerced parameters and
   * the parsed body (`{}` when the body was empty and optional).
   *
   * @since 0.1.0
   */
  validateRequest(operation: OperationSpec, request: RawRequest): RequestValidation {
    const issues: Array<ValidationIssue> = []
    const params = this.validateParameters(operation, "path", request.params, issues)
    const rawQuery: Record<string, unknown> = {}
    for (const key of new Set(request.searchParams.keys())) {
      const values = request.searchParams.getAll(key)
      rawQuery[key] = values.length === 1 ? values[0] : values
    }
    const query = this.validateParameters(operation, "query", rawQuery, issues)

    let body: unknown = undefined
    const bodySpec = operation.requestBody
    const text = request.bodyText
    if (text.trim() !== "") {
      try {
        body = JSON.parse(text)
      } catch (e) {
        issues.push({
          location: "body",
          path: [],
          instancePath: "",
          keyword: "json",
          message: `body is not valid JSON: ${(e as Error).message}`,
          params: {}
        })
        return { ok: false, issues }
      }
    }
    const schema = bodySpec ? this.jsonSchemaOf(bodySpec.content) : undefined
    if (bodySpec && schema !== undefined) {
      if (body === undefined) {
        if (bodySpec.required) {
          issues.push({
            location: "body",
            path: [],
            instancePath: "",
            keyword: "required",
            message: "body is required",
            params: {}
          })
        }
        body = {}
      }
      const validate = this.compiled.validator(operation, "body", schema, false)
      if (!validate(body)) issues.push(...toIssues("body", validate.errors))
    }
    if (issues.length > 0) return { ok: false, issues: issues.slice(0, MAX_ISSUES) }
    return { ok: true, params, query, body }
  }

  private validateParameters(
    operation: OperationSpec,
    location: "path" | "query",
    raw: Record<string, unknown>,
    issues: Array<ValidationIssue>
  ): Record<string, unknown> {
    const out: Record<string, unknown> = { ...raw }
    for (const param of operation.parameters) {
      if (param.in !== location) continue
      const present = param.name in raw
      if (!present) {
        if (param.required) {
          issues.push({
            location,
            path: [param.name],
            instancePath: "",
            keyword: "required",
            message: `${location} must have required parameter '${param.name}'`,
            params: { missingProperty: param.name }
          })
        }
        continue
      }
      // Validated inside a wrapper object so ajv's coercion can replace the value in place.
      const holder: Record<string, unknown> = { value: raw[param.name] }
      const validate = this.compiled.validator(
        operation,
        `${location}:${param.name}`,
        { type: "object", properties: { value: param.schema } },
        true
      )
      if (!validate(holder)) {
        const errors = (validate.errors ?? []).map((e) => ({
          ...e,
          instancePath: e.instancePath.replace(/^\/value/, "")
        }))
        issues.push(...toIssues(location, errors, [param.name]))
      }
      out[param.name] = holder["value"]
    }
    return out
  }

  private jsonSchemaOf(content: { readonly [mediaType: string]: MediaTypeSpec }): JsonSchema | undefined {
    for (const [mediaType, media] of Object.entries(content)) {
      if (isJsonMediaType(mediaType)) return media.schema ?? true
    }
    return undefined
  }

  /**
   * Checks a response the emulator is about to send. An undeclared status is accepted for errors (≥ 400: the
   * vendors do not list 404, 413 or 503) and rejected for successes. A declared status must use a declared media
   * type, and a JSON body must match its schema.
   *
   * @since 0.1.0
   */
  validateResponse(operation: OperationSpec, response: ResponseCandidate): ReadonlyArray<ValidationIssue> {
    const status = String(response.status)
    const spec = operation.responses[status] ??
      operation.responses[`${status[0]}XX`] ??
      operation.responses[`${status[0]}xx`] ??
      operation.responses["default"]
    const issue = (message: string, keyword: string): ReadonlyArray<ValidationIssue> => [
      { location: "response", path: [], instancePath: "", keyword, message, params: { status: response.status } }
    ]
    if (!spec) {
      return response.status >= 400 ? [] : issue(`response status ${status} is not declared`, "status")
    }
    const content = spec.content ?? {}
    const declared = Object.keys(content)
    const mediaType = mediaTypeOf(response.contentType)
    if (declared.length === 0) {
      return response.body === undefined || response.body === ""
        ? []
        : issue(`response ${status} declares no body but one was sent`, "content")
    }
    if (mediaType === undefined) {
      // An empty body is only acceptable when a declared schema admits "nothing" (e.g. nullable any JSON).
      const jsonSchema = this.jsonSchemaOf(content)
      if (jsonSchema === undefined) return issue(`response ${status} must have a body`, "content")
      const validate = this.compiled.validator(operation, `response:${status}`, jsonSchema, false)
      return validate(null) ? [] : issue(`response ${status} must have a body`, "content")
    }
    const media = content[mediaType] ?? (isJsonMediaType(mediaType) ? content["application/json"] : undefined)
    if (!media) {
      return issue(`response ${status} media type ${mediaType} is not declared (declared: ${declared.join(", ")})`, "content")
    }
    if (!isJsonMediaType(mediaType)) {
      const schema = media.schema
      if (isRecord(schema) && schema["type"] === "string" && typeof response.body !== "string") {
        return issue(`response ${status} must be a string`, "type")
      }
      return []
    }
    const validate = this.compiled.validator(operation, `response:${status}`, media.schema ?? true, false)
    return validate(response.body) ? [] : toIssues("response", validate.errors)
  }

  /**
   * Validates a value against `#/components/schemas/<name>` (used for payloads embedded in SSE events).
   *
   * @since 0.1.0
   */
  validateComponent(name: string, value: unknown): ReadonlyArray<ValidationIssue> {
    const validate = this.compiled.componentValidator(name)
    return validate(value) ? [] : toIssues("response", validate.errors)
  }
}
