/**
 * A `SpanSink` that sends promptops spans over OTLP/HTTP or OTLP/gRPC, to an
 * OpenTelemetry Collector or any backend with an OTLP endpoint. The body is
 * made by the official serializers of `@opentelemetry/otlp-transformer`
 * (`http/protobuf`, the default, `http/json`, or the same protobuf message in
 * a `TraceService/Export` call for `grpc`), optionally gzipped. gRPC statuses
 * map to the same typed errors as HTTP ones (UNAVAILABLE, DEADLINE_EXCEEDED,
 * … retried; RESOURCE_EXHAUSTED with RetryInfo waits as told; a message over
 * the server's limit splits like a 413; INVALID_ARGUMENT, UNAUTHENTICATED,
 * … not retried). Batching, retries
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
import { invalidInput, type InvalidInput, type PromptOpsError } from "@promptops/core/PromptOpsError"
import * as ProviderHttp from "@promptops/core/ProviderHttp"
import * as SpanSink from "@promptops/core/SpanSink"
import { type Config, type ConfigError, Duration, Effect, Layer, Option, Redacted, type Scope } from "effect"
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
 * Builds the sink. Fails with `InvalidInput` naming a bad option (`endpoint`,
 * `headers.<name>`, `timeout`, `protocol`, `compression`); secret header
 * values never appear in it. The scope owns the gRPC channel (closed with it).
 *
 * @since 0.1.0
 */
export const make = (
  options: Options = {}
): Effect.Effect<SpanSink.SpanSink.Service, InvalidInput, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const provider = options.provider ?? "otlp"
    const fail = (path: string, description: string) =>
      Effect.fail(invalidInput({ provider, operation: "OtlpSpanSink.make", path, description }))
    const protocol = options.protocol ?? "http/protobuf"
    if (protocol !== "http/protobuf" && protocol !== "http/json" && protocol !== "grpc") {
      return yield* fail("protocol", "protocol must be http/protobuf, http/json or grpc")
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
    const limits = { ...defaultLimits, ...options.limits }
    const endpoint = yield* OtlpConfig.checkEndpoint({ ...options, protocol, provider })
    // One request per batch, the answer's bytes back; the two transports differ only in this.
    let send: (body: Uint8Array) => Effect.Effect<{ readonly body: Uint8Array; readonly contentType?: string | undefined }, PromptOpsError>
    // Over gRPC the message is the http/protobuf body, and gRPC compresses it itself.
    const encoder = Encode.make({
      ...encodeSettings(options),
      protocol: endpoint.protocol === "grpc" ? "http/protobuf" : protocol,
      gzip: endpoint.protocol === "http" && compression === "gzip"
    })
    if (endpoint.protocol === "grpc") {
      // Loaded here only: HTTP users never pay for grpc-js.
      const Grpc = yield* Effect.promise(() => import("./internal/grpc.js"))
      const transport = yield* Grpc.make({
        provider,
        operation,
        target: endpoint.target,
        secure: endpoint.secure,
        headers: options.headers,
        timeout: yield* decodeTimeout(options.timeout, fail),
        gzip: compression === "gzip"
      })
      send = (body) => Effect.map(transport.send(body), (answer) => ({ body: answer, contentType: "application/x-protobuf" }))
    } else {
      const http = yield* ProviderHttp.make({
        provider,
        apiUrl: endpoint.base,
        headers: options.headers,
        timeout: options.timeout ?? OtlpConfig.defaultTimeout,
        // The tracing pipeline retries (honouring Retry-After) and counts: one attempt per call here.
        retry: false,
        allowInsecureHttp: options.allowInsecureHttp,
        transformClient: options.transformClient
      })
      send = (body) => {
        let request = HttpClientRequest.post(endpoint.path).pipe(
          HttpClientRequest.bodyUint8Array(body, encoder.contentType),
          HttpClientRequest.setHeader("accept", encoder.contentType)
        )
        if (encoder.gzip) request = HttpClientRequest.setHeader(request, "content-encoding", "gzip")
        return Effect.flatMap(http.execute(operation, request), (response) =>
          // Read to the end so the connection is reused.
          Effect.map(
            Effect.orElseSucceed(response.arrayBuffer, () => new ArrayBuffer(0)),
            (answer) => ({ body: new Uint8Array(answer), contentType: response.headers["content-type"] })
          ))
      }
    }
    return SpanSink.make({
      provider,
      limits,
      export: (batch) =>
        Effect.gen(function*() {
          if (batch.length === 0) return
          const body = yield* encoder.encode(batch, provider, operation)
          const answer = yield* send(body)
          yield* logRejected(provider, encoder.rejectedSpans(answer.body, answer.contentType))
        })
    })
  })

const encodeSettings = (options: Options) => ({
  captureContent: options.captureContent ?? true,
  serviceName: options.serviceName,
  resourceAttributes: options.resourceAttributes,
  dialect: options.dialect
})

/** A partial success is logged, not retried (the OTLP specification). */
const logRejected = (
  provider: string,
  rejected: { readonly count: number; readonly message: string } | undefined
): Effect.Effect<void> =>
  rejected !== undefined && rejected.count > 0
    ? Effect.logWarning("promptops otlp: the backend rejected spans").pipe(
      Effect.annotateLogs({ provider, rejected: rejected.count, reason: rejected.message })
    )
    : Effect.void

const decodeTimeout = (
  timeout: Duration.DurationInput | undefined,
  fail: (path: string, description: string) => Effect.Effect<never, InvalidInput>
): Effect.Effect<Duration.Duration, InvalidInput> => {
  if (timeout === undefined) return Effect.succeed(OtlpConfig.defaultTimeout)
  const decoded = Duration.decodeUnknown(timeout)
  return Option.isSome(decoded) && Duration.greaterThan(decoded.value, Duration.zero)
    ? Effect.succeed(decoded.value)
    : fail("timeout", "timeout must be a positive duration")
}

/**
 * The sink as a layer; with `grpc`, its channel is closed when the layer is released.
 *
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<SpanSink.SpanSink, InvalidInput, HttpClient.HttpClient> =>
  Layer.scoped(SpanSink.SpanSink, make(options))

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
  Layer.scoped(SpanSink.SpanSink, Effect.flatMap(config, make))
