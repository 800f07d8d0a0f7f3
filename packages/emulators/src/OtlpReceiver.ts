/**
 * An OTLP/HTTP receiver independent of the exporters it checks: a `node:http`
 * server on 127.0.0.1:0 that inflates gzip bodies, decodes protobuf with
 * `protobufjs` over the official `.proto` files (`specs/opentelemetry-proto`,
 * see its README) and JSON with `JSON.parse`, and normalises both to one shape
 * (ids as hex, times as nanosecond strings, attribute values tagged with their
 * OTLP type). Replies are scripted per request (default 200 with an empty
 * body), so tests and benchmarks can play a Collector that throttles, fails or
 * rejects.
 *
 * ```ts
 * const receiver = yield* OtlpReceiver.start // stopped when the scope closes
 * receiver.replies.push({ status: 503, headers: { "retry-after": "1" } })
 * // … export to `${receiver.url}/v1/traces`, then:
 * OtlpReceiver.spansOf(receiver)
 * ```
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as zlib from "node:zlib"
import protobuf from "protobufjs"

/**
 * The directory of the official `.proto` files shipped with this package.
 *
 * @since 0.1.0
 */
export const protoDir = (): string => fileURLToPath(new URL("../specs/opentelemetry-proto", import.meta.url))

const loadRoot = (): protobuf.Root => {
  const root = new protobuf.Root()
  const dir = protoDir()
  root.resolvePath = (_origin, target) => path.join(dir, target)
  root.loadSync("opentelemetry/proto/collector/trace/v1/trace_service.proto")
  return root
}

let requestType: protobuf.Type | undefined
const ExportTraceServiceRequest = (): protobuf.Type =>
  (requestType ??= loadRoot().lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"))

/**
 * An attribute value with its OTLP type.
 *
 * @since 0.1.0
 */
export type Value =
  | { readonly string: string }
  | { readonly int: string }
  | { readonly double: number }
  | { readonly bool: boolean }
  | { readonly array: ReadonlyArray<Value> }
  | { readonly kvlist: Readonly<Record<string, Value>> }
  | { readonly bytes: string }
  | { readonly empty: true }

/**
 * @since 0.1.0
 */
export interface Event {
  readonly name: string
  readonly timeUnixNano: string
  readonly attributes: Readonly<Record<string, Value>>
}

/**
 * @since 0.1.0
 */
export interface Span {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string
  readonly name: string
  readonly kind: number
  readonly startTimeUnixNano: string
  readonly endTimeUnixNano: string
  readonly status: { readonly code: number; readonly message: string }
  readonly attributes: Readonly<Record<string, Value>>
  readonly events: ReadonlyArray<Event>
  readonly flags: number
}

/**
 * @since 0.1.0
 */
export interface Export {
  readonly resource: Readonly<Record<string, Value>>
  readonly scope: { readonly name: string; readonly version: string }
  readonly spans: ReadonlyArray<Span>
}

/**
 * @since 0.1.0
 */
export interface Received {
  readonly method: string
  readonly path: string
  readonly headers: http.IncomingHttpHeaders
  /** The body as sent (before inflation). */
  readonly rawBytes: number
  readonly at: number
  /** Decoded, or undefined when the request was answered with an error reply. */
  readonly exports: ReadonlyArray<Export>
}

/**
 * @since 0.1.0
 */
export interface Reply {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
}

/**
 * @since 0.1.0
 */
export interface Receiver {
  readonly url: string
  /** Every request, in arrival order. */
  readonly requests: Array<Received>
  /** Requests answered 2xx. */
  readonly accepted: () => ReadonlyArray<Received>
  /** Replies for the next requests, in order; when empty, 200. */
  readonly replies: Array<Reply>
  /** Answers a request with a reply of its own (checked before `replies`). */
  reply: ((received: Received) => Reply | undefined) | undefined
}

const hex = (value: unknown): string => {
  if (value === undefined || value === null) return ""
  if (typeof value === "string") return Buffer.from(value, "base64").toString("hex")
  return Buffer.from(value as Uint8Array).toString("hex")
}

const str = (value: unknown): string => (value === undefined || value === null ? "0" : String(value))

const normalizeValue = (value: any): Value => {
  if (value === undefined || value === null) return { empty: true }
  if (value.stringValue !== undefined) return { string: value.stringValue }
  if (value.intValue !== undefined) return { int: String(value.intValue) }
  if (value.doubleValue !== undefined) return { double: Number(value.doubleValue) }
  if (value.boolValue !== undefined) return { bool: value.boolValue }
  if (value.arrayValue !== undefined) return { array: (value.arrayValue.values ?? []).map(normalizeValue) }
  if (value.kvlistValue !== undefined) return { kvlist: normalizeAttributes(value.kvlistValue.values) }
  if (value.bytesValue !== undefined) return { bytes: String(value.bytesValue) }
  return { empty: true }
}

const normalizeAttributes = (list: ReadonlyArray<any> | undefined): Record<string, Value> => {
  const out: Record<string, Value> = {}
  for (const kv of list ?? []) out[kv.key] = normalizeValue(kv.value)
  return out
}

/**
 * Both encodings to one shape. `idsAreHex`: OTLP/JSON carries ids as hex
 * strings; protobufjs's `toObject({ bytes: String })` gives base64.
 */
const normalize = (request: any, idsAreHex: boolean): Array<Export> => {
  const id = (value: unknown) => (idsAreHex ? (typeof value === "string" ? value : "") : hex(value))
  const out: Array<Export> = []
  for (const resourceSpans of request.resourceSpans ?? []) {
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      out.push({
        resource: normalizeAttributes(resourceSpans.resource?.attributes),
        scope: { name: scopeSpans.scope?.name ?? "", version: scopeSpans.scope?.version ?? "" },
        spans: (scopeSpans.spans ?? []).map((span: any): Span => ({
          traceId: id(span.traceId),
          spanId: id(span.spanId),
          parentSpanId: id(span.parentSpanId),
          name: span.name ?? "",
          kind: Number(span.kind ?? 0),
          startTimeUnixNano: str(span.startTimeUnixNano),
          endTimeUnixNano: str(span.endTimeUnixNano),
          status: { code: Number(span.status?.code ?? 0), message: span.status?.message ?? "" },
          attributes: normalizeAttributes(span.attributes),
          events: (span.events ?? []).map((event: any): Event => ({
            name: event.name ?? "",
            timeUnixNano: str(event.timeUnixNano),
            attributes: normalizeAttributes(event.attributes)
          })),
          flags: Number(span.flags ?? 0)
        }))
      })
    }
  }
  return out
}

/**
 * Decodes one request body as the receiver does.
 *
 * @since 0.1.0
 */
export const decode = (body: Buffer, contentType: string): Array<Export> => {
  if (contentType.includes("json")) return normalize(JSON.parse(body.toString("utf8")), true)
  const type = ExportTraceServiceRequest()
  const message = type.decode(body)
  return normalize(type.toObject(message, { longs: String, enums: Number, bytes: String, defaults: false }), false)
}

/**
 * All spans of all accepted requests.
 *
 * @since 0.1.0
 */
export const spansOf = (receiver: Receiver): Array<Span> =>
  receiver.accepted().flatMap((received) => received.exports.flatMap((each) => each.spans))

/**
 * Starts the receiver in the current scope; stopped when the scope closes.
 *
 * @since 0.1.0
 */
export const start: Effect.Effect<Receiver, never, Scope.Scope> = Effect.acquireRelease(
  Effect.async<{ server: http.Server; receiver: Receiver }>((resume) => {
    const requests: Array<Received> = []
    const accepted: Array<Received> = []
    const receiver: Receiver = {
      url: "",
      requests,
      accepted: () => accepted,
      replies: [],
      reply: undefined
    }
    const server = http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => {
        const raw = Buffer.concat(chunks)
        const encoding = req.headers["content-encoding"]
        let exports: ReadonlyArray<Export> = []
        let status = 200
        let failure = ""
        try {
          const body = encoding === "gzip" ? zlib.gunzipSync(raw) : raw
          exports = decode(body, req.headers["content-type"] ?? "")
        } catch (error) {
          status = 400
          failure = String(error)
        }
        const received: Received = {
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          rawBytes: raw.length,
          at: Date.now(),
          exports
        }
        requests.push(received)
        const scripted = status === 400
          ? { status, body: failure }
          : receiver.reply?.(received) ?? receiver.replies.shift() ?? { status: 200 }
        if (scripted.status >= 200 && scripted.status < 300) accepted.push(received)
        res.writeHead(scripted.status, scripted.headers ?? {})
        res.end(scripted.body ?? "")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      ;(receiver as { url: string }).url = `http://127.0.0.1:${port}`
      resume(Effect.succeed({ server, receiver }))
    })
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
).pipe(Effect.map(({ receiver }) => receiver))
