/**
 * OTLP/HTTP trace requests (protobuf or JSON, gzip or not) read back into
 * promptops `SpanRecord`s: how a server (`promptops view`'s `/v1/traces`)
 * takes traces from an app in any language instrumented with the official
 * OpenTelemetry SDKs. Protobuf is decoded with `protobufjs` over the official
 * `.proto` files shipped in the package (`proto/`), loaded on first use;
 * OTLP/JSON by its rules (hex ids, 64-bit integers as numbers or strings,
 * enums as numbers; enum names are accepted too).
 *
 * ```ts
 * const result = yield* OtlpIngest.ingest(body, { contentType, contentEncoding })
 * yield* store.write(result.records)
 * const reply = OtlpIngest.response(result, contentType) // 200, partial success if spans were rejected
 * ```
 *
 * The mapping is the inverse of `OtlpSpanSink`'s (its table), so promptops's
 * own spans come back as they left; other instrumentations' spans map by the
 * GenAI conventions:
 *
 * | `SpanRecord` | from |
 * | --- | --- |
 * | `traceId`, `spanId`, `parentSpanId` | the span's ids, lowercase hex (an empty or all-zero parent is none) |
 * | `startTime`, `endTime` | the nanosecond times, as fractional unix milliseconds (an end before the start is the start) |
 * | `kind` | `promptops.kind`; else `gen_ai.operation.name` (`chat`, `text_completion`, `generate_content`, `embeddings` → `llm`, `execute_tool` → `tool`, `invoke_agent`, `create_agent` → `task`); else `openinference.span.kind` / `traceloop.span.kind`; else `llm` if any GenAI model, usage or content attribute; else `span` |
 * | `error` | status `ERROR`: its message (else the `exception` event's), type from `error.type` or `exception.type`, stack from `exception.stacktrace` |
 * | `input` / `output` | `promptops.input` / `output` (JSON text parsed); else `gen_ai.input.messages` / `gen_ai.output.messages` (a JSON string, a list of JSON strings or structured values: one plain message of the default role is its text, otherwise `[{ role, content, finish_reason?, name? }]`); else the older `gen_ai.prompt.N.*` / `gen_ai.completion.N.*` attributes or `gen_ai.content.prompt` / `gen_ai.content.completion` events |
 * | `expected` | `promptops.expected` |
 * | `metrics` | `gen_ai.usage.input_tokens` (or `prompt_tokens`) → `promptTokens`, `output_tokens` (or `completion_tokens`) → `completionTokens`, `promptops.metrics.<k>` → `<k>`; `totalTokens` added (their sum) for spans not made by promptops; `llm.token_count.*` (OpenInference) too |
 * | `scores` | `gen_ai.evaluation.result` events: `gen_ai.evaluation.name` → `gen_ai.evaluation.score.value` (0..1, or null when absent); their other attributes → `metadata["gen_ai.evaluation.<name>"]` |
 * | `tags`, `destination`, `truncated` | `promptops.tags`, `promptops.experiment_id`, `promptops.truncated` (also set when a value was cut to the bounds) |
 * | `metadata.model` | `gen_ai.response.model`, else `gen_ai.request.model` (the request's kept as `gen_ai.request.model` when they differ) |
 * | `metadata["gen_ai.provider.name"]` | `gen_ai.provider.name`, else the deprecated `gen_ai.system` (kept too when it differs) |
 * | `metadata.<k>` | `promptops.metadata.<k>` (JSON objects and arrays parsed), every other attribute under its own name (other `gen_ai.*` included: `gen_ai.prompt.name`, `gen_ai.prompt.version`, `gen_ai.operation.name`, …) |
 * | `metadata["service.name"]`, `metadata["otel.resource"]` | the resource's `service.name`; its other attributes as one object |
 * | `metadata["otel.scope"]`, `["otel.span_kind"]`, `["otel.events"]`, `["otel.links"]` | another instrumentation's scope, its span kind (server, client, producer, consumer), the events not mapped above (`{ name, time, attributes }`), the links |
 *
 * Not kept: trace state, flags, dropped counts. Every value is JSON-safe and
 * bounded (strings to 64 Ki characters, 16 levels, 1,000 items or keys; a cut
 * sets `truncated`). A 64-bit integer beyond 2^53 stays a decimal string.
 *
 * @since 0.1.0
 */
import { invalidInput, type InvalidInput } from "@promptops/core/PromptOpsError"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { Effect } from "effect"
import * as zlib from "node:zlib"
import * as Ingest from "./internal/ingest.js"
import * as Proto from "./internal/ingestProto.js"

/**
 * The two OTLP/HTTP encodings.
 *
 * @since 0.1.0
 */
export type Format = "protobuf" | "json"

/**
 * @since 0.1.0
 */
export interface DecodeOptions {
  /** The request's `Content-Type`: `application/x-protobuf` (or `application/protobuf`) or `application/json`. */
  readonly contentType: string
  /** The request's `Content-Encoding`: none, `identity`, `gzip` or `deflate`. */
  readonly contentEncoding?: string | undefined
  /** The largest body accepted, before and after inflation, in bytes (default `defaultMaxBytes`). */
  readonly maxBytes?: number | undefined
}

/**
 * 64 MiB: far above any exporter's batch (the SDKs send ≤ 512 spans), far
 * below what would hurt the server; a gzip bomb stops here.
 *
 * @since 0.1.0
 */
export const defaultMaxBytes: number = 64 * 1024 * 1024

/**
 * What a request gave: the records read, and one `InvalidInput` per span
 * rejected (its `path` names the span and the field).
 *
 * @since 0.1.0
 */
export interface Ingested {
  readonly format: Format
  readonly records: ReadonlyArray<SpanRecord>
  readonly rejected: ReadonlyArray<InvalidInput>
}

const operation = "OtlpIngest.decode"

const fail = (path: string, description: string): InvalidInput =>
  invalidInput({ provider: "otlp", operation, path, description })

/**
 * The encoding a `Content-Type` names (parameters such as `charset` ignored),
 * or undefined when it is neither.
 *
 * @since 0.1.0
 */
export const formatOf = (contentType: string | undefined): Format | undefined => {
  const media = (contentType ?? "").split(";")[0]!.trim().toLowerCase()
  if (media === "application/x-protobuf" || media === "application/protobuf") return "protobuf"
  if (media === "application/json") return "json"
  return undefined
}

const inflate = (body: Uint8Array, encoding: string, maxBytes: number): Effect.Effect<Uint8Array, InvalidInput> =>
  Effect.async<Uint8Array, InvalidInput>((resume) => {
    const done = (error: Error | null, out: Buffer) => {
      if (error === null) return resume(Effect.succeed(out))
      // Node's own limit: the inflation stops at maxOutputLength instead of filling memory.
      if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError) {
        return resume(Effect.fail(fail("body.length", `inflates to more than ${maxBytes} bytes (the limit)`)))
      }
      resume(Effect.fail(fail("body", `is not valid ${encoding} data: ${error.message}`)))
    }
    const options = { maxOutputLength: maxBytes }
    if (encoding === "gzip") zlib.gunzip(body, options, done)
    else zlib.inflate(body, options, done)
  })

const parse = (body: Uint8Array, format: Format): Effect.Effect<unknown, InvalidInput> =>
  // Missing .proto files are a broken install, not bad input: a defect.
  (format === "protobuf" ? Effect.sync(() => Proto.load()) : Effect.void).pipe(Effect.zipRight(Effect.try({
    try: () => {
      if (format === "protobuf") return Proto.decodeRequest(body)
      const text = new TextDecoder("utf-8", { fatal: true }).decode(body)
      return JSON.parse(text) as unknown
    },
    catch: (error) =>
      fail(
        "body",
        format === "protobuf"
          ? `is not a valid protobuf ExportTraceServiceRequest: ${error instanceof Error ? error.message : String(error)}`
          : `is not valid OTLP/JSON: ${error instanceof Error ? error.message : String(error)}`
      )
  })))

/**
 * Reads a request body: the records of every span that could be read, and a
 * rejection for each one that could not (the rest are still read: answer
 * them with `response`, a partial success). Fails with `InvalidInput` when
 * the request as a whole cannot be read: `content-type` (neither encoding),
 * `content-encoding` (not gzip, deflate or identity), `body.length` (over
 * `maxBytes`, before or after inflation), `body` (not gzip, truncated or
 * malformed protobuf, not JSON, not a request object).
 *
 * @since 0.1.0
 */
export const ingest = (body: Uint8Array, options: DecodeOptions): Effect.Effect<Ingested, InvalidInput> =>
  Effect.suspend(() => {
    const format = formatOf(options.contentType)
    if (format === undefined) {
      return Effect.fail(
        fail("content-type", `${JSON.stringify(options.contentType)} is not an OTLP encoding: use application/x-protobuf or application/json`)
      )
    }
    const maxBytes = options.maxBytes ?? defaultMaxBytes
    if (body.length > maxBytes) return Effect.fail(fail("body.length", `is ${body.length} bytes, over the limit of ${maxBytes}`))
    const encoding = (options.contentEncoding ?? "").trim().toLowerCase()
    let raw: Effect.Effect<Uint8Array, InvalidInput>
    if (encoding === "" || encoding === "identity") raw = Effect.succeed(body)
    else if (encoding === "gzip" || encoding === "deflate") raw = inflate(body, encoding, maxBytes)
    else return Effect.fail(fail("content-encoding", `${JSON.stringify(options.contentEncoding)} is not supported: use gzip, deflate or none`))
    return raw.pipe(
      Effect.flatMap((bytes) => parse(bytes, format)),
      Effect.flatMap((request) =>
        Effect.try({
          try: (): Ingested => {
            const result = Ingest.toRecords(request)
            return {
              format,
              records: result.records,
              rejected: result.rejected.map((problem) => fail(problem.path, problem.description))
            }
          },
          catch: (problem) =>
            problem instanceof Ingest.Problem
              ? fail(problem.path, problem.description)
              : fail("body", `could not be read: ${problem instanceof Error ? problem.message : String(problem)}`)
        })
      )
    )
  })

/**
 * The records of a request body, all or nothing: the first rejected span
 * fails the whole (see `ingest` for a partial success).
 *
 * @since 0.1.0
 */
export const decode = (
  body: Uint8Array,
  options: DecodeOptions
): Effect.Effect<ReadonlyArray<SpanRecord>, InvalidInput> =>
  Effect.flatMap(ingest(body, options), (result) =>
    result.rejected.length > 0 ? Effect.fail(result.rejected[0]!) : Effect.succeed(result.records))

/**
 * An HTTP reply for an OTLP exporter.
 *
 * @since 0.1.0
 */
export interface Response {
  readonly status: number
  readonly contentType: string
  readonly body: Uint8Array
}

/**
 * The HTTP status for a request that failed as a whole: 415 for an
 * unsupported `Content-Type` or `Content-Encoding`, 413 for a body over the
 * limit, 400 for the rest (OTLP/HTTP: do not retry).
 *
 * @since 0.1.0
 */
export const statusOf = (error: InvalidInput): number =>
  error.path === "content-type" || error.path === "content-encoding" ? 415 : error.path === "body.length" ? 413 : 400

/** At most this many rejections are named in `errorMessage`; the count covers them all. */
const MESSAGE_REJECTIONS = 5

/**
 * The reply to a request, in the request's encoding (`contentType`; JSON
 * when it names neither): for an `Ingested`, 200 with an
 * `ExportTraceServiceResponse` whose `partialSuccess` counts and names the
 * rejected spans (empty when none was); for an `InvalidInput`, the status of
 * `statusOf` with a `google.rpc.Status` naming what was wrong. Encoded with
 * the official definitions.
 *
 * @since 0.1.0
 */
export const response = (result: Ingested | InvalidInput, contentType: string | undefined): Response => {
  const format = formatOf(contentType) ?? "json"
  const responseContentType = format === "protobuf" ? "application/x-protobuf" : "application/json"
  if (!("records" in result)) {
    const status = { code: 3 /* INVALID_ARGUMENT */, message: `${result.path}: ${result.description}` }
    const body = format === "protobuf"
      ? Proto.load().status.encode(Proto.load().status.fromObject(status)).finish()
      : new TextEncoder().encode(JSON.stringify(status))
    return { status: statusOf(result), contentType: responseContentType, body }
  }
  const rejected = result.rejected
  const message = rejected.length === 0
    ? undefined
    : {
      partialSuccess: {
        // ProtoJSON writes int64 as a decimal string; OTLP receivers and exporters accept both.
        rejectedSpans: String(rejected.length),
        errorMessage: rejected.slice(0, MESSAGE_REJECTIONS).map((error) => `${error.path}: ${error.description}`).join("; ") +
          (rejected.length > MESSAGE_REJECTIONS ? `; and ${rejected.length - MESSAGE_REJECTIONS} more` : "")
      }
    }
  if (format === "json") {
    return { status: 200, contentType: responseContentType, body: new TextEncoder().encode(JSON.stringify(message ?? {})) }
  }
  const type = Proto.load().response
  return { status: 200, contentType: responseContentType, body: type.encode(type.fromObject(message ?? {})).finish() }
}
