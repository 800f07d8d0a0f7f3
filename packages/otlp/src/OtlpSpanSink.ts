/**
 * A `SpanSink` that sends promptops spans over OTLP/HTTP, to an OpenTelemetry
 * Collector or any backend with an OTLP endpoint. The body is made by the
 * official serializers of `@opentelemetry/otlp-transformer` (`http/protobuf`,
 * the default, or `http/json`), optionally gzipped. Batching, retries
 * (honouring `Retry-After`), 413 splitting and drop counts are the `Tracing`
 * pipeline's; this sink sends one batch per request, once per call.
 *
 * ```ts
 * const TracingLive = Tracing.layer().pipe(
 *   Layer.provide(OtlpSpanSink.layer({ serviceName: "support-bot" })),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * ```
 *
 * What a span carries (GenAI semantic conventions, then `promptops.*`):
 *
 * | OTLP | from the `SpanRecord` |
 * | --- | --- |
 * | trace / span / parent id | the record's ids (W3C hex; others hashed to that shape) |
 * | start / end | `startTime` / `endTime`, in nanoseconds |
 * | kind | `CLIENT` for `llm` spans, `INTERNAL` otherwise |
 * | status | `ERROR` with the error's message, else `UNSET`; plus an `exception` event and `error.type` |
 * | `gen_ai.*` metadata | as is (`gen_ai.provider.name`, `gen_ai.operation.name`, `gen_ai.prompt.name`, `gen_ai.prompt.version`, …) |
 * | `gen_ai.provider.name`, `gen_ai.system` | both, from whichever the metadata has |
 * | `gen_ai.operation.name` | when unset: `chat` for `llm`, `execute_tool` for `tool` spans |
 * | `gen_ai.request.model`, `gen_ai.response.model` | `metadata.model` of a GenAI span |
 * | `gen_ai.usage.input_tokens` / `output_tokens` | `metrics.promptTokens` / `completionTokens` |
 * | `gen_ai.input.messages` / `gen_ai.output.messages` | an `llm` span's input / output as GenAI messages, JSON (`captureContent`) |
 * | `gen_ai.evaluation.result` events | one per score: `gen_ai.evaluation.name`, `gen_ai.evaluation.score.value` |
 * | `promptops.kind` | the record's kind |
 * | `promptops.input` / `output` / `expected` | other spans' content, JSON (`captureContent`) |
 * | `promptops.metadata.<key>` | other metadata (primitives as they are, the rest JSON) |
 * | `promptops.metrics.<key>` | other metrics (`totalTokens`, `cost`, …) |
 * | `promptops.tags`, `promptops.experiment_id`, `promptops.truncated` | tags, the experiment a span is routed to, the truncation mark |
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { invalidInput, type InvalidInput } from "@promptops/core/PromptOpsError"
import * as ProviderHttp from "@promptops/core/ProviderHttp"
import * as SpanSink from "@promptops/core/SpanSink"
import { type Config, type ConfigError, Effect, Layer, Redacted } from "effect"
import * as OtlpConfig from "./OtlpConfig.js"
import * as Encode from "./internal/encode.js"

/**
 * The sink's options (see `OtlpConfig.Options`).
 *
 * @since 0.1.0
 */
export type Options = OtlpConfig.Options

/**
 * 512 spans (the OpenTelemetry batch processor's export size) or 4 MiB of
 * span data per request: under the Collector's and the hosted backends'
 * request limits with room for the encoding. A 413 still splits a batch.
 *
 * @since 0.1.0
 */
export const defaultLimits: SpanSink.Limits = { maxRows: 512, maxBytes: 4 * 1024 * 1024 }

const operation = "OtlpSpanSink.export"

/**
 * Splits the traces URL into the base `ProviderHttp` checks (scheme, loopback
 * rule, no credentials) and the last path segment it requests.
 */
const splitEndpoint = (provider: string, endpoint: string): Effect.Effect<{ base: string; path: string }, InvalidInput> => {
  const fail = (description: string) =>
    Effect.fail(invalidInput({ provider, operation: "OtlpSpanSink.make", path: "endpoint", description }))
  let url: URL
  try {
    url = new URL(endpoint.trim())
  } catch {
    return fail("endpoint is not an absolute URL")
  }
  if (url.username !== "" || url.password !== "") {
    return fail("endpoint must not contain credentials; pass them as headers")
  }
  if (url.search !== "" || url.hash !== "") return fail("endpoint must not have a query or fragment")
  const pathname = url.pathname.replace(/\/+$/, "")
  const at = pathname.lastIndexOf("/")
  if (at < 0 || pathname.slice(at + 1) === "") {
    return fail("endpoint must be the full traces URL, e.g. http://localhost:4318/v1/traces")
  }
  return Effect.succeed({ base: `${url.origin}${pathname.slice(0, at)}`, path: pathname.slice(at) })
}


/**
 * Builds the sink. Fails with `InvalidInput` naming a bad option (`endpoint`,
 * `headers.<name>`, `timeout`, `protocol`, `compression`); secret header
 * values never appear in it.
 *
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<SpanSink.SpanSink.Service, InvalidInput, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const provider = options.provider ?? "otlp"
    const fail = (path: string, description: string) =>
      Effect.fail(invalidInput({ provider, operation: "OtlpSpanSink.make", path, description }))
    const protocol = options.protocol ?? "http/protobuf"
    if (protocol !== "http/protobuf" && protocol !== "http/json") {
      return yield* fail(
        "protocol",
        (protocol as string) === "grpc"
          ? "grpc is not supported yet; use http/protobuf or http/json"
          : "protocol must be http/protobuf or http/json"
      )
    }
    const compression = options.compression ?? "none"
    if (compression !== "gzip" && compression !== "none") return yield* fail("compression", "compression must be gzip or none")
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      const text = Redacted.isRedacted(value) ? Redacted.value(value) : value
      // A preset given an empty key would send `Bearer ` and get a 401 much later: say it now.
      if (typeof text === "string" && /^\s*((bearer|basic)\s*)?$/i.test(text)) {
        return yield* fail(`headers.${name}`, `the ${name} header is empty (is its key set?)`)
      }
    }
    const { base, path } = yield* splitEndpoint(provider, options.endpoint ?? OtlpConfig.defaultEndpoint)
    const http = yield* ProviderHttp.make({
      provider,
      apiUrl: base,
      headers: options.headers,
      timeout: options.timeout ?? OtlpConfig.defaultTimeout,
      // The tracing pipeline retries (honouring Retry-After) and counts: one attempt per call here.
      retry: false,
      transformClient: options.transformClient
    })
    const encoder = Encode.make({
      protocol,
      gzip: compression === "gzip",
      captureContent: options.captureContent ?? true,
      serviceName: options.serviceName,
      resourceAttributes: options.resourceAttributes
    })
    return SpanSink.make({
      provider,
      limits: { ...defaultLimits, ...options.limits },
      export: (batch) =>
        Effect.gen(function*() {
          if (batch.length === 0) return
          const body = yield* encoder.encode(batch, provider, operation)
          let request = HttpClientRequest.post(path).pipe(
            HttpClientRequest.bodyUint8Array(body, encoder.contentType),
            HttpClientRequest.setHeader("accept", encoder.contentType)
          )
          if (encoder.gzip) request = HttpClientRequest.setHeader(request, "content-encoding", "gzip")
          const response = yield* http.execute(operation, request)
          // Read to the end so the connection is reused; a partial success is logged, not retried.
          const answer = yield* Effect.orElseSucceed(response.arrayBuffer, () => new ArrayBuffer(0))
          const rejected = encoder.rejectedSpans(new Uint8Array(answer), response.headers["content-type"])
          if (rejected !== undefined && rejected.count > 0) {
            yield* Effect.logWarning("promptops otlp: the backend rejected spans").pipe(
              Effect.annotateLogs({ provider, rejected: rejected.count, reason: rejected.message })
            )
          }
        })
    })
  })

/**
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<SpanSink.SpanSink, InvalidInput, HttpClient.HttpClient> =>
  Layer.effect(SpanSink.SpanSink, make(options))

/**
 * The sink from `Config`: `OtlpConfig.config` for the standard variables, or
 * a preset built from the app's own, e.g.
 * `Config.map(Config.redacted("LANGSMITH_API_KEY"), (apiKey) => OtlpConfig.langsmith({ apiKey }))`.
 *
 * @since 0.1.0
 */
export const layerConfig = (
  config: Config.Config<Options>
): Layer.Layer<SpanSink.SpanSink, ConfigError.ConfigError | InvalidInput, HttpClient.HttpClient> =>
  Layer.effect(SpanSink.SpanSink, Effect.flatMap(config, make))
