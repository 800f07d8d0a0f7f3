/**
 * The Basalt REST client: every endpoint of Basalt's OpenAPI file, plus the
 * file upload flow, over core's shared `ProviderHttp` (base URL rule, bearer
 * auth with a `Redacted` key, timeout, retries, status → error mapping).
 *
 * - Base URL: `https://api.getbasalt.ai` by default. A path prefix is kept
 *   (`https://proxy/basalt` + `/prompts` → `https://proxy/basalt/prompts`,
 *   where Basalt's JS SDK would drop it); slugs are URL-encoded.
 * - Headers: `Authorization: Bearer <key>`, and truthful SDK headers
 *   `X-BASALT-SDK-TYPE: promptops-effect`, `X-BASALT-SDK-VERSION: <this package's version>`.
 * - Warnings: a `warning` in a successful response is part of the value each
 *   method returns; nothing drops it.
 * - Retries, per endpoint (see `endpointRetry`): reads, `publish` (moving a tag
 *   twice is moving it once), the upload URL and the upload `PUT` are retried
 *   with core's policy. The endpoints that create something —
 *   `POST /monitor/trace`, `/monitor/log`, `/monitor/experiments`,
 *   `/datasets/{slug}/items` — carry no id Basalt could deduplicate on, so a
 *   retry after a lost answer would store the data twice: they are retried
 *   only on 429 (the request was refused, nothing was stored) unless
 *   `retryWrites: true` asks for at-least-once delivery.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type { InvalidInput, PromptOpsError } from "@promptops/core/PromptOpsError"
import { invalidInput } from "@promptops/core/PromptOpsError"
import * as ProviderHttp from "@promptops/core/ProviderHttp"
import * as RetryPolicy from "@promptops/core/RetryPolicy"
import type { ConfigError, Duration, Redacted } from "effect"
import { Config, Context, Effect, Layer, ParseResult, Schedule, Schema } from "effect"
import * as BasaltConfig from "./BasaltConfig.js"
import * as BasaltSchema from "./BasaltSchema.js"

/**
 * The provider name every error carries.
 *
 * @since 0.1.0
 */
export const provider = "basalt"

/**
 * @since 0.1.0
 */
export const defaultApiUrl: string = BasaltConfig.defaultApiUrl

/**
 * Sent as `X-BASALT-SDK-TYPE`: who is calling (not Basalt's own SDK).
 *
 * @since 0.1.0
 */
export const sdkType = "promptops-effect"

/**
 * Sent as `X-BASALT-SDK-VERSION`: this package's version (a test keeps it
 * equal to `package.json`).
 *
 * @since 0.1.0
 */
export const sdkVersion = "0.1.0"

/**
 * @since 0.1.0
 */
export interface Options {
  readonly apiKey: Redacted.Redacted
  /** Default `https://api.getbasalt.ai`. A path prefix is kept. `http://` only to loopback. */
  readonly apiUrl?: string | undefined
  /** The feature traces and experiments belong to, and the default filter of `listPrompts`. */
  readonly featureSlug?: string | undefined
  /** Per attempt. Default 30 s. */
  readonly timeout?: Duration.DurationInput | undefined
  /** One call's total over all its attempts (`ProviderHttp.Options.deadline`); `false` for none. Default 10 s. */
  readonly deadline?: Duration.DurationInput | false | undefined
  /** Core's retry policy settings, or `false` for one attempt per call. */
  readonly retry?: RetryPolicy.RetryOptions | false | undefined
  /**
   * Retry the endpoints that create data on every retryable error, not only
   * on 429. At-least-once: a retry after a lost answer may store twice.
   * Default false.
   */
  readonly retryWrites?: boolean | undefined
  /** Applied last to the HTTP client (e.g. a logging middleware). */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/**
 * The client's methods, one per endpoint (plus the upload `PUT`).
 *
 * @since 0.1.0
 */
export type Endpoint =
  | "listPrompts"
  | "getPrompt"
  | "describePrompt"
  | "publishPrompt"
  | "listDatasets"
  | "getDataset"
  | "createDatasetItem"
  | "createExperiment"
  | "sendTrace"
  | "sendLog"
  | "generateUploadUrl"
  | "putUpload"

/**
 * How an endpoint is retried: `safe` with core's policy on every retryable
 * error; `write` only on 429 (unless `retryWrites`).
 *
 * @since 0.1.0
 */
export const endpointRetry: Readonly<Record<Endpoint, "safe" | "write">> = {
  listPrompts: "safe",
  getPrompt: "safe",
  describePrompt: "safe",
  publishPrompt: "safe",
  listDatasets: "safe",
  getDataset: "safe",
  createDatasetItem: "write",
  createExperiment: "write",
  sendTrace: "write",
  sendLog: "write",
  generateUploadUrl: "safe",
  putUpload: "safe"
}

/** @since 0.1.0 */
export interface PromptSelector {
  readonly version?: string | undefined
  readonly tag?: string | undefined
}

/**
 * A trace to send; `featureSlug` defaults to the configured one.
 *
 * @since 0.1.0
 */
export type TraceInput = Omit<BasaltSchema.TraceRequest, "featureSlug"> & { readonly featureSlug?: string | undefined }

/**
 * A file to upload for a dataset row.
 *
 * @since 0.1.0
 */
export interface FileUpload {
  readonly fileName: string
  /** e.g. `image/png`; sent to Basalt and as the upload's `Content-Type`. */
  readonly contentType: string
  readonly bytes: Uint8Array
}

/**
 * An uploaded file: store `fileKey` as the value of a `file` or `image`
 * column.
 *
 * @since 0.1.0
 */
export interface UploadedFile {
  readonly fileKey: string
  readonly expiresAt?: string | undefined
  readonly maxSizeBytes?: number | undefined
  readonly warning?: string | undefined
}

/**
 * @since 0.1.0
 */
export declare namespace BasaltClient {
  /**
   * @since 0.1.0
   */
  export interface Service {
    /** The validated base URL, without a trailing slash. */
    readonly apiUrl: string
    readonly featureSlug: string | undefined
    /** `GET /prompts`; `featureSlug` defaults to the configured one (none: every prompt). */
    readonly listPrompts: (
      options?: { readonly featureSlug?: string | undefined }
    ) => Effect.Effect<BasaltSchema.ListPromptsResponse, PromptOpsError>
    /** `GET /prompts/{slug}`; `version` / `tag` are sent only when set. */
    readonly getPrompt: (
      slug: string,
      options?: PromptSelector
    ) => Effect.Effect<BasaltSchema.GetPromptResponse, PromptOpsError>
    /** `GET /prompts/{slug}/describe`. */
    readonly describePrompt: (
      slug: string,
      options?: PromptSelector
    ) => Effect.Effect<BasaltSchema.DescribePromptResponse, PromptOpsError>
    /** `POST /prompts/{slug}/publish` (201): point `newTag` at a version. */
    readonly publishPrompt: (
      slug: string,
      request: BasaltSchema.PublishPromptRequest
    ) => Effect.Effect<BasaltSchema.PublishPromptResponse, PromptOpsError>
    /** `GET /datasets`. */
    readonly listDatasets: () => Effect.Effect<BasaltSchema.ListDatasetsResponse, PromptOpsError>
    /** `GET /datasets/{slug}`, with its rows. */
    readonly getDataset: (slug: string) => Effect.Effect<BasaltSchema.GetDatasetResponse, PromptOpsError>
    /** `POST /datasets/{slug}/items` (201). Not retried but on 429 (see the module notes). */
    readonly createDatasetItem: (
      slug: string,
      request: BasaltSchema.CreateDatasetItemRequest
    ) => Effect.Effect<BasaltSchema.CreateDatasetItemResponse, PromptOpsError>
    /** `POST /monitor/experiments`; `featureSlug` defaults to the configured one. */
    readonly createExperiment: (
      request: { readonly name: string; readonly featureSlug?: string | undefined }
    ) => Effect.Effect<BasaltSchema.BasaltExperiment, PromptOpsError>
    /** `POST /monitor/trace`. Not retried but on 429 (see the module notes). */
    readonly sendTrace: (trace: TraceInput) => Effect.Effect<BasaltSchema.TraceResponse, PromptOpsError>
    /** `POST /monitor/log`. Not retried but on 429 (see the module notes). */
    readonly sendLog: (
      log: BasaltSchema.MonitorLogRequest
    ) => Effect.Effect<BasaltSchema.MonitorLogResponse, PromptOpsError>
    /** `POST /files/generate-upload-url`. */
    readonly generateUploadUrl: (
      request: BasaltSchema.GenerateUploadUrlRequest
    ) => Effect.Effect<BasaltSchema.GenerateUploadUrlResponse, PromptOpsError>
    /**
     * `PUT`s the bytes to an upload URL from `generateUploadUrl`. That URL is
     * not the API: it must be `https://` (or `http://` to loopback), and it
     * never receives the API key or the SDK headers.
     */
    readonly putUpload: (
      uploadUrl: string,
      file: { readonly contentType: string; readonly bytes: Uint8Array }
    ) => Effect.Effect<void, PromptOpsError>
    /** The whole flow: an upload URL, then the `PUT`; returns the `fileKey`. */
    readonly uploadFile: (file: FileUpload) => Effect.Effect<UploadedFile, PromptOpsError>
  }
}

/**
 * @since 0.1.0
 */
export class BasaltClient extends Context.Tag("@promptops/basalt/BasaltClient")<BasaltClient, BasaltClient.Service>() {}

const isHeaderValue = (value: string): boolean => !/[\0\r\n]/.test(value)

/**
 * Builds the client. Fails with `InvalidInput` naming a bad option.
 *
 * @since 0.1.0
 */
export const make = (options: Options): Effect.Effect<BasaltClient.Service, InvalidInput, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const featureSlug = options.featureSlug?.trim()
    if (featureSlug !== undefined && featureSlug === "") {
      return yield* Effect.fail(invalidInput({
        provider,
        operation: "BasaltClient.make",
        path: "featureSlug",
        description: "featureSlug is empty; leave it unset or name a Basalt feature"
      }))
    }
    const http = yield* ProviderHttp.make({
      provider,
      apiUrl: options.apiUrl ?? defaultApiUrl,
      apiKey: options.apiKey,
      headers: { "x-basalt-sdk-type": sdkType, "x-basalt-sdk-version": sdkVersion },
      timeout: options.timeout,
      deadline: options.deadline,
      retry: options.retry,
      transformClient: options.transformClient
    })
    const httpClient = yield* HttpClient.HttpClient

    // A write is retried on 429 only: the request was refused, nothing was stored.
    const rateLimitedOnly = options.retry === false
      ? undefined
      : RetryPolicy.schedule(options.retry).pipe(
        Schedule.whileInput((error: PromptOpsError) => error._tag === "RateLimited")
      )

    const call = <A, I, R>(
      endpoint: Endpoint,
      request: HttpClientRequest.HttpClientRequest,
      schema: Schema.Schema<A, I, R>
    ): Effect.Effect<A, PromptOpsError, R> => {
      const operation = `BasaltClient.${endpoint}`
      if (endpointRetry[endpoint] === "safe" || options.retryWrites === true) {
        return http.json(operation, request, schema)
      }
      const once = http.json(operation, request, schema, { retry: false })
      return rateLimitedOnly === undefined ? once : Effect.retry(once, rateLimitedOnly)
    }

    const fail = (operation: string, path: string, description: string) =>
      Effect.fail(invalidInput({ provider, operation: `BasaltClient.${operation}`, path, description }))

    const slugPath = (operation: string, slug: string): Effect.Effect<string, InvalidInput> =>
      typeof slug === "string" && slug.trim() !== ""
        ? Effect.succeed(encodeURIComponent(slug))
        : fail(operation, "slug", "slug must be a non-empty string")

    const optionalParam = (operation: string, path: string, value: string | undefined) =>
      value === undefined || (typeof value === "string" && value.trim() !== "")
        ? Effect.void
        : fail(operation, path, `${path} must be a non-empty string when set`)

    const withQuery = (
      request: HttpClientRequest.HttpClientRequest,
      params: Readonly<Record<string, string | undefined>>
    ): HttpClientRequest.HttpClientRequest => {
      let out = request
      // Unset parameters are omitted, never sent as `tag=undefined`.
      for (const [key, value] of Object.entries(params)) {
        if (value !== undefined) out = HttpClientRequest.setUrlParam(out, key, value)
      }
      return out
    }

    const withBody = <A, I>(
      operation: string,
      request: HttpClientRequest.HttpClientRequest,
      schema: Schema.Schema<A, I>,
      body: A
    ): Effect.Effect<HttpClientRequest.HttpClientRequest, InvalidInput> =>
      Schema.encode(schema)(body).pipe(
        Effect.mapError((error) => {
          const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
          return invalidInput({
            provider,
            operation: `BasaltClient.${operation}`,
            path: issue === undefined || issue.path.length === 0
              ? "request"
              : `request.${ProviderHttp.formatPath(issue.path)}`,
            description: issue?.message ?? error.message
          })
        }),
        Effect.flatMap((encoded) => HttpClientRequest.bodyJson(request, encoded)),
        Effect.mapError((error) =>
          error._tag === "InvalidInput" ? error : invalidInput({
            provider,
            operation: `BasaltClient.${operation}`,
            path: "request",
            description: "the request body is not serialisable as JSON (a BigInt or a circular object?)"
          })
        )
      )

    const resolveFeature = (operation: string, given: string | undefined): Effect.Effect<string, InvalidInput> => {
      const slug = given ?? featureSlug
      return slug !== undefined && slug.trim() !== ""
        ? Effect.succeed(slug)
        : fail(operation, "featureSlug", "no feature slug: pass one, or configure `featureSlug`")
    }

    const selectorQuery = (operation: string, selector: PromptSelector | undefined) =>
      Effect.zipRight(
        Effect.all([
          optionalParam(operation, "options.version", selector?.version),
          optionalParam(operation, "options.tag", selector?.tag)
        ], { discard: true }),
        Effect.succeed({ version: selector?.version, tag: selector?.tag })
      )

    const putUpload = (
      uploadUrl: string,
      file: { readonly contentType: string; readonly bytes: Uint8Array }
    ): Effect.Effect<void, PromptOpsError> =>
      Effect.gen(function*() {
        const operation = "putUpload"
        let url: URL
        try {
          url = new URL(uploadUrl)
        } catch {
          return yield* fail(operation, "uploadUrl", "the upload URL is not an absolute URL")
        }
        // The upload URL comes from a response: hold it to the same rule as the base URL.
        if (url.username !== "" || url.password !== "") {
          return yield* fail(operation, "uploadUrl", "the upload URL must not carry credentials")
        }
        if (url.protocol !== "https:" && !(url.protocol === "http:" && ProviderHttp.isLoopbackHost(url.hostname))) {
          return yield* fail(
            operation,
            "uploadUrl",
            `refusing to upload to ${url.protocol}//${url.hostname}: only https://, or http:// to a loopback host`
          )
        }
        if (!isHeaderValue(file.contentType) || file.contentType.trim() === "") {
          return yield* fail(operation, "contentType", "contentType must be a non-empty header value")
        }
        // A client of its own, without the API key or the SDK headers: the upload host is a third party.
        const upload = yield* ProviderHttp.make({
          provider,
          apiUrl: url.origin,
          timeout: options.timeout,
          deadline: options.deadline,
          retry: options.retry,
          transformClient: options.transformClient
        }).pipe(Effect.provideService(HttpClient.HttpClient, httpClient))
        const request = HttpClientRequest.put(`${url.pathname}${url.search}`).pipe(
          HttpClientRequest.bodyUint8Array(file.bytes, file.contentType)
        )
        const response = yield* upload.execute(`BasaltClient.${operation}`, request)
        // Drain the body so the connection is released.
        yield* Effect.ignore(response.arrayBuffer)
      })

    const service: BasaltClient.Service = {
      apiUrl: http.apiUrl,
      featureSlug,
      listPrompts: (listOptions) =>
        Effect.gen(function*() {
          yield* optionalParam("listPrompts", "options.featureSlug", listOptions?.featureSlug)
          const request = withQuery(HttpClientRequest.get("/prompts"), {
            featureSlug: listOptions?.featureSlug ?? featureSlug
          })
          return yield* call("listPrompts", request, BasaltSchema.ListPromptsResponse)
        }),
      getPrompt: (slug, selector) =>
        Effect.gen(function*() {
          const path = yield* slugPath("getPrompt", slug)
          const query = yield* selectorQuery("getPrompt", selector)
          return yield* call(
            "getPrompt",
            withQuery(HttpClientRequest.get(`/prompts/${path}`), query),
            BasaltSchema.GetPromptResponse
          )
        }),
      describePrompt: (slug, selector) =>
        Effect.gen(function*() {
          const path = yield* slugPath("describePrompt", slug)
          const query = yield* selectorQuery("describePrompt", selector)
          return yield* call(
            "describePrompt",
            withQuery(HttpClientRequest.get(`/prompts/${path}/describe`), query),
            BasaltSchema.DescribePromptResponse
          )
        }),
      publishPrompt: (slug, body) =>
        Effect.gen(function*() {
          const path = yield* slugPath("publishPrompt", slug)
          const request = yield* withBody(
            "publishPrompt",
            HttpClientRequest.post(`/prompts/${path}/publish`),
            BasaltSchema.PublishPromptRequest,
            body
          )
          return yield* call("publishPrompt", request, BasaltSchema.PublishPromptResponse)
        }),
      listDatasets: () => call("listDatasets", HttpClientRequest.get("/datasets"), BasaltSchema.ListDatasetsResponse),
      getDataset: (slug) =>
        Effect.flatMap(
          slugPath("getDataset", slug),
          (path) => call("getDataset", HttpClientRequest.get(`/datasets/${path}`), BasaltSchema.GetDatasetResponse)
        ),
      createDatasetItem: (slug, body) =>
        Effect.gen(function*() {
          const path = yield* slugPath("createDatasetItem", slug)
          const request = yield* withBody(
            "createDatasetItem",
            HttpClientRequest.post(`/datasets/${path}/items`),
            BasaltSchema.CreateDatasetItemRequest,
            body
          )
          return yield* call("createDatasetItem", request, BasaltSchema.CreateDatasetItemResponse)
        }),
      createExperiment: (body) =>
        Effect.gen(function*() {
          const feature = yield* resolveFeature("createExperiment", body.featureSlug)
          const request = yield* withBody(
            "createExperiment",
            HttpClientRequest.post("/monitor/experiments"),
            BasaltSchema.CreateExperimentRequest,
            { featureSlug: feature, name: body.name }
          )
          return yield* call("createExperiment", request, BasaltSchema.BasaltExperiment)
        }),
      sendTrace: (trace) =>
        Effect.gen(function*() {
          const feature = yield* resolveFeature("sendTrace", trace.featureSlug)
          const request = yield* withBody(
            "sendTrace",
            HttpClientRequest.post("/monitor/trace"),
            BasaltSchema.TraceRequest,
            { ...trace, featureSlug: feature }
          )
          return yield* call("sendTrace", request, BasaltSchema.TraceResponse)
        }),
      sendLog: (log) =>
        Effect.gen(function*() {
          const request = yield* withBody(
            "sendLog",
            HttpClientRequest.post("/monitor/log"),
            BasaltSchema.MonitorLogRequest,
            log
          )
          return yield* call("sendLog", request, BasaltSchema.MonitorLogResponse)
        }),
      generateUploadUrl: (body) =>
        Effect.gen(function*() {
          const request = yield* withBody(
            "generateUploadUrl",
            HttpClientRequest.post("/files/generate-upload-url"),
            BasaltSchema.GenerateUploadUrlRequest,
            body
          )
          return yield* call("generateUploadUrl", request, BasaltSchema.GenerateUploadUrlResponse)
        }),
      putUpload,
      uploadFile: (file) =>
        Effect.gen(function*() {
          if (typeof file.fileName !== "string" || file.fileName.trim() === "") {
            return yield* fail("uploadFile", "fileName", "fileName must be a non-empty string")
          }
          if (!(file.bytes instanceof Uint8Array) || file.bytes.byteLength === 0) {
            return yield* fail("uploadFile", "bytes", "the file is empty")
          }
          const target = yield* service.generateUploadUrl({
            fileName: file.fileName,
            contentType: file.contentType,
            sizeBytes: file.bytes.byteLength
          })
          if (target.maxSizeBytes !== undefined && file.bytes.byteLength > target.maxSizeBytes) {
            return yield* fail(
              "uploadFile",
              "bytes",
              `the file is ${file.bytes.byteLength} bytes; Basalt accepts at most ${target.maxSizeBytes}`
            )
          }
          yield* putUpload(target.uploadUrl, file)
          return {
            fileKey: target.fileKey,
            ...(target.expiresAt !== undefined ? { expiresAt: target.expiresAt } : {}),
            ...(target.maxSizeBytes !== undefined ? { maxSizeBytes: target.maxSizeBytes } : {}),
            ...(target.warning !== undefined ? { warning: target.warning } : {})
          }
        })
    }
    return service
  })

/**
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<BasaltClient, InvalidInput, HttpClient.HttpClient> =>
  Layer.effect(BasaltClient, make(options))

/**
 * The settings `layerConfig` reads (see `BasaltConfig.ConfigOptions`).
 *
 * @since 0.1.0
 */
export interface ConfigOptions extends BasaltConfig.ConfigOptions {}

const none: Config.Config<undefined> = Config.succeed(undefined)

/**
 * Reads `Options` from `Config` values; the plain options pass as they are.
 *
 * @since 0.1.0
 */
export const config = (options: ConfigOptions): Config.Config<Options> =>
  Config.map(
    Config.all({
      apiKey: options.apiKey,
      apiUrl: options.apiUrl ?? none,
      featureSlug: options.featureSlug ?? none,
      timeout: options.timeout ?? none
    }),
    (read): Options => ({
      ...read,
      deadline: options.deadline,
      retry: options.retry,
      retryWrites: options.retryWrites,
      transformClient: options.transformClient
    })
  )

/**
 * @since 0.1.0
 */
export const layerConfig = (
  options: ConfigOptions
): Layer.Layer<BasaltClient, ConfigError.ConfigError | InvalidInput, HttpClient.HttpClient> =>
  Layer.effect(BasaltClient, Effect.flatMap(config(options), make))

/**
 * The `BasaltClient` in context.
 *
 * @since 0.1.0
 */
export const client: Effect.Effect<BasaltClient.Service, never, BasaltClient> = BasaltClient
