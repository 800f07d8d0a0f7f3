/**
 * `POST /v1/traces`: the viewer's OTLP/HTTP receiver. An app in any language,
 * instrumented with the official OpenTelemetry SDKs, exports its traces here
 * (protobuf or JSON, gzip or not); `OtlpIngest` reads them into `SpanRecord`s
 * and they are written through the backend's `SpanSink` before the reply, so
 * a 200 means stored. Records carrying `promptops.experiment_id` keep it as
 * their destination (the local store files them under that experiment's
 * traces); the rest are project logs.
 *
 * Every reply is OTLP: 200 with an `ExportTraceServiceResponse` (partial
 * success naming rejected spans), or a `google.rpc.Status` in the request's
 * encoding (JSON when it names neither).
 */
import type * as Http from "node:http"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { invalidInput, type InvalidInput, type PromptOpsError } from "@promptops/core/PromptOpsError"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import type * as SpanSink from "@promptops/core/SpanSink"
import * as OtlpIngest from "@promptops/otlp/OtlpIngest"
import { Effect, Option } from "effect"

/** The route. */
export const path = "/v1/traces"

/** Whether a request URL is the route (any query string ignored, as exporters send none). */
export const isRoute = (url: string): boolean => url === path || url.startsWith(`${path}?`)

/**
 * 16 MiB on the wire: far above an SDK's batch (≤ 512 spans), and the body is
 * held whole in memory to decode it. Inflated bodies are bounded by
 * `OtlpIngest.defaultMaxBytes`.
 */
export const maxRequestBytes = 16 * 1024 * 1024

/** What the route writes through. */
export interface Deps {
  /** The backend's trace store; without one the route answers 501. */
  readonly sink: Option.Option<SpanSink.SpanSink.Service>
  /** The server's own URL, for the messages. */
  readonly url: string
  /** Default `maxRequestBytes`. */
  readonly maxBytes?: number | undefined
}

/** `google.rpc.Code` values used here. */
const Code = { PERMISSION_DENIED: 7, UNIMPLEMENTED: 12, UNAVAILABLE: 14, INVALID_ARGUMENT: 3 } as const

const varint = (value: number): Array<number> => {
  const out: Array<number> = []
  let rest = value >>> 0
  while (rest > 0x7f) {
    out.push((rest & 0x7f) | 0x80)
    rest >>>= 7
  }
  out.push(rest)
  return out
}

/**
 * A `google.rpc.Status` (`code` = 1, `message` = 2) in protobuf: two fields,
 * written by hand rather than loading the proto definitions for them.
 */
const statusProtobuf = (code: number, message: string): Uint8Array => {
  const text = new TextEncoder().encode(message)
  return Uint8Array.from([0x08, ...varint(code), 0x12, ...varint(text.length), ...text])
}

const reply = (response: OtlpIngest.Response, extra: Record<string, string> = {}): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.uint8Array(response.body, {
    status: response.status,
    contentType: response.contentType,
    headers: { "cache-control": "no-store", ...extra }
  })

/** An error reply that `OtlpIngest.response` has no status for (403, 405, 501, 503). */
const statusReply = (
  status: number,
  code: number,
  message: string,
  contentType: string | undefined,
  extra: Record<string, string> = {}
): HttpServerResponse.HttpServerResponse => {
  const protobuf = OtlpIngest.formatOf(contentType) === "protobuf"
  return reply({
    status,
    contentType: protobuf ? "application/x-protobuf" : "application/json",
    body: protobuf ? statusProtobuf(code, message) : new TextEncoder().encode(JSON.stringify({ code, message }))
  }, extra)
}

const problem = (path: string, description: string): InvalidInput =>
  invalidInput({ provider: "view", operation: "ViewServer.otlp", path, description })

/**
 * The body, or `undefined` once it passes `limit` bytes: reading stops there
 * (the rest is discarded as it arrives, and the connection closes after the
 * 413) instead of holding an unbounded body. Read from Node's request itself
 * because the platform's stream destroys the socket when a read stops early,
 * and the exporter would then see a reset instead of the 413.
 */
const readBody = (message: Http.IncomingMessage, limit: number): Effect.Effect<Uint8Array | undefined, InvalidInput> =>
  Effect.async<Uint8Array | undefined, InvalidInput>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const cleanup = () => {
      message.off("data", onData)
      message.off("end", onEnd)
      message.off("error", onError)
      message.off("close", onClose)
    }
    function onData(chunk: Buffer) {
      size += chunk.length
      if (size <= limit) return void chunks.push(chunk)
      cleanup()
      chunks.length = 0
      // Keep it flowing with no listener: the rest is dropped, not buffered.
      message.resume()
      resume(Effect.succeed(undefined))
    }
    function onEnd() {
      cleanup()
      resume(Effect.succeed(Buffer.concat(chunks, size)))
    }
    function onError(error: Error) {
      cleanup()
      resume(Effect.fail(problem("body", `could not be read: ${error.message}`)))
    }
    function onClose() {
      if (message.complete) return
      cleanup()
      resume(Effect.fail(problem("body", "the client closed the request before its end")))
    }
    message.on("data", onData)
    message.on("end", onEnd)
    message.on("error", onError)
    message.on("close", onClose)
    return Effect.sync(cleanup)
  })

/**
 * The records in runs the sink accepts (its `maxRows`, and its `maxBytes` of
 * JSON; a record larger than that goes alone), so one request of any size is
 * written with the sink's own batch bounds.
 */
export const chunks = (
  records: ReadonlyArray<SpanRecord>,
  limits: SpanSink.Limits
): ReadonlyArray<ReadonlyArray<SpanRecord>> => {
  const out: Array<Array<SpanRecord>> = []
  let current: Array<SpanRecord> = []
  let bytes = 0
  for (const record of records) {
    const size = Buffer.byteLength(JSON.stringify(record), "utf8")
    if (current.length > 0 && (current.length >= limits.maxRows || bytes + size > limits.maxBytes)) {
      out.push(current)
      current = []
      bytes = 0
    }
    current.push(record)
    bytes += size
  }
  if (current.length > 0) out.push(current)
  return out
}

/** A store failure: bad data is the request's fault (400, do not retry); anything else may pass (503, retry). */
const storeFailure = (error: PromptOpsError, contentType: string | undefined): HttpServerResponse.HttpServerResponse =>
  error._tag === "InvalidInput"
    ? reply(OtlpIngest.response(error, contentType))
    : statusReply(503, Code.UNAVAILABLE, `the trace store failed: ${error.message}`, contentType, { "retry-after": "1" })

/** Answers one request to the route. */
export type Handler = (
  request: HttpServerRequest.HttpServerRequest,
  sameOrigin: boolean
) => Effect.Effect<HttpServerResponse.HttpServerResponse>

/**
 * The handler, given whether the request passed the server's write-origin
 * check (`sameOrigin`). An OTLP exporter is not a browser: it sends neither
 * `Origin` nor `Sec-Fetch-Site`, and such a request is allowed too; a
 * browser's cross-origin post (a foreign `Origin`, or `Sec-Fetch-Site` other
 * than `same-origin`) is 403, so no web page can write into the store.
 */
export const make = (deps: Deps): Handler => (request, sameOrigin) =>
  Effect.gen(function*() {
    const limit = deps.maxBytes ?? maxRequestBytes
    const contentType = request.headers["content-type"]
    if (request.method !== "POST") {
      return statusReply(405, Code.UNIMPLEMENTED, `${path} takes POST, not ${request.method}`, contentType, {
        allow: "POST"
      })
    }
    const origin = request.headers["origin"]
    const notBrowser = origin === undefined && request.headers["sec-fetch-site"] === undefined
    if (!sameOrigin && !notBrowser) {
      return statusReply(
        403,
        Code.PERMISSION_DENIED,
        origin === undefined
          ? `a browser's cross-site post to ${path} is refused (Sec-Fetch-Site: ${request.headers["sec-fetch-site"]})`
          : `cross-origin post to ${path} refused: Origin ${JSON.stringify(origin)} is not ${deps.url}`,
        contentType
      )
    }
    if (Option.isNone(deps.sink)) {
      return statusReply(501, Code.UNIMPLEMENTED, "this backend keeps no traces (no SpanSink)", contentType)
    }
    const sink = deps.sink.value
    // Cheap refusals before reading a byte: the encoding, and a declared length over the limit.
    if (OtlpIngest.formatOf(contentType) === undefined) {
      return yield* OtlpIngest.ingest(new Uint8Array(0), { contentType: contentType ?? "" }).pipe(
        Effect.map((result) => reply(OtlpIngest.response(result, contentType))),
        Effect.catchAll((error) => Effect.succeed(reply(OtlpIngest.response(error, contentType))))
      )
    }
    // The connection closes after a 413: the rest of the body is not read.
    const tooLarge = (description: string) =>
      reply(OtlpIngest.response(problem("body.length", description), contentType), { connection: "close" })
    const declared = Number(request.headers["content-length"] ?? Number.NaN)
    if (Number.isFinite(declared) && declared > limit) {
      return tooLarge(`is ${declared} bytes, over the limit of ${limit}`)
    }
    return yield* readBody(NodeHttpServerRequest.toIncomingMessage(request), limit).pipe(
      Effect.flatMap((body) =>
        body === undefined
          ? Effect.succeed(tooLarge(`is over the limit of ${limit} bytes`))
          : OtlpIngest.ingest(body, { contentType: contentType ?? "", contentEncoding: request.headers["content-encoding"] })
            .pipe(
              Effect.flatMap((result) =>
                Effect.forEach(chunks(result.records, sink.limits), sink.export, { discard: true }).pipe(
                  Effect.as(reply(OtlpIngest.response(result, contentType))),
                  Effect.catchAll((error) => Effect.succeed(storeFailure(error, contentType)))
                )
              )
            )
      ),
      Effect.catchAll((error) => Effect.succeed(reply(OtlpIngest.response(error, contentType))))
    )
  })
