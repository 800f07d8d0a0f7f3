/**
 * An OTLP/HTTP receiver independent of the exporters it checks: a `node:http`
 * server on 127.0.0.1:0 that inflates gzip bodies, decodes protobuf with
 * `protobufjs` over the official `.proto` files (`specs/opentelemetry-proto`,
 * see its README) and JSON with `JSON.parse`, and normalises both to one shape
 * (ids as hex, times as nanosecond strings, attribute values tagged with their
 * OTLP type). Replies are scripted per request (default 200 with an empty
 * body), so tests and benchmarks can play a Collector that throttles, fails or
 * rejects. `startGrpc` serves OTLP/gRPC (`TraceService/Export`, a
 * `@grpc/grpc-js` server, insecure on 127.0.0.1:0) with the same decoding;
 * its replies are gRPC statuses.
 *
 * ```ts
 * const receiver = yield* OtlpReceiver.start // stopped when the scope closes
 * receiver.replies.push({ status: 503, headers: { "retry-after": "1" } }, OtlpReceiver.reset, OtlpReceiver.hang)
 * // … export to `${receiver.url}/v1/traces`, then:
 * OtlpReceiver.spansOf(receiver)
 * ```
 *
 * @since 0.1.0
 */
import * as grpc from "@grpc/grpc-js"
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
  /**
   * Never answer: the request stays open until the client gives up (its
   * timeout) or the receiver stops. Nothing is sent; `status` is ignored.
   */
  readonly hang?: boolean
  /**
   * Destroy the connection once the request has arrived, without answering:
   * the client sees a connection reset. `status` is ignored.
   */
  readonly reset?: boolean
}

/**
 * A reply that never answers (a Collector that hangs).
 *
 * @since 0.1.0
 */
export const hang: Reply = { status: 0, hang: true }

/**
 * A reply that resets the connection mid-request.
 *
 * @since 0.1.0
 */
export const reset: Reply = { status: 0, reset: true }

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
 * All spans of all accepted requests (of either receiver).
 *
 * @since 0.1.0
 */
export const spansOf = (receiver: Pick<Receiver | GrpcReceiver, "accepted">): Array<Span> =>
  receiver.accepted().flatMap((received) => received.exports.flatMap((each) => each.spans))

// -----------------------------------------------------------------------------
// OTLP/gRPC
// -----------------------------------------------------------------------------

/**
 * A scripted gRPC answer: `code` 0 (OK, the default) with an optional
 * `ExportTraceServiceResponse` message (`response`, e.g. a partial success),
 * or an error status with its `details` and trailers (`trailers`; `-bin`
 * keys take bytes, e.g. a `grpc-status-details-bin` with a RetryInfo).
 * `hang` never answers (the client's deadline ends the call).
 *
 * @since 0.1.0
 */
export interface GrpcReply {
  readonly code: number
  readonly details?: string
  readonly trailers?: Readonly<Record<string, string | Uint8Array>>
  readonly response?: Uint8Array
  readonly hang?: boolean
}

/**
 * @since 0.1.0
 */
export interface GrpcReceiver {
  /** `http://127.0.0.1:<port>`, the endpoint to give an OTLP/gRPC exporter. */
  readonly url: string
  /** Every call, in arrival order; `headers` are the call's metadata (`-bin` values base64). */
  readonly requests: Array<Received>
  /** Calls answered OK while the client still waited (not cancelled, deadline not passed). */
  readonly accepted: () => ReadonlyArray<Received>
  /** Replies for the next calls, in order; when empty, OK. */
  readonly replies: Array<GrpcReply>
  /** Answers a call with a reply of its own (checked before `replies`). */
  reply: ((received: Received) => GrpcReply | undefined) | undefined
  /**
   * The largest request message the server accepts (bytes, after
   * decompression); above it the call fails RESOURCE_EXHAUSTED
   * ("Received message larger than max"). Default 4 MiB, grpc-js's.
   */
  readonly maxReceiveMessageLength: number
}

/**
 * The gRPC method path of the official `TraceService/Export`.
 *
 * @since 0.1.0
 */
export const grpcExportPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

const metadataRecord = (metadata: grpc.Metadata): http.IncomingHttpHeaders => {
  const out: http.IncomingHttpHeaders = {}
  for (const [key, value] of Object.entries(metadata.getMap())) {
    out[key] = Buffer.isBuffer(value) ? value.toString("base64") : String(value)
  }
  return out
}

/**
 * Starts an OTLP/gRPC receiver in the current scope (insecure, 127.0.0.1:0);
 * stopped when the scope closes. gzip-compressed messages are inflated by
 * grpc-js; `rawBytes` is the message's size after that.
 *
 * @since 0.1.0
 */
export const startGrpc = (
  options: { readonly maxReceiveMessageLength?: number | undefined } = {}
): Effect.Effect<GrpcReceiver, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ server: grpc.Server; receiver: GrpcReceiver }>((resume) => {
      const maxReceiveMessageLength = options.maxReceiveMessageLength ?? 4 * 1024 * 1024
      const requests: Array<Received> = []
      const accepted: Array<Received> = []
      const receiver: GrpcReceiver = {
        url: "",
        requests,
        accepted: () => accepted,
        replies: [],
        reply: undefined,
        maxReceiveMessageLength
      }
      const server = new grpc.Server({ "grpc.max_receive_message_length": maxReceiveMessageLength })
      const identity = (buffer: Buffer): Buffer => buffer
      server.addService({
        Export: {
          path: grpcExportPath,
          requestStream: false,
          responseStream: false,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
          originalName: "Export"
        }
      }, {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          let exports: ReadonlyArray<Export> = []
          let failure: string | undefined
          try {
            exports = decode(call.request, "application/x-protobuf")
          } catch (error) {
            failure = String(error)
          }
          const received: Received = {
            method: "POST",
            path: grpcExportPath,
            headers: metadataRecord(call.metadata),
            rawBytes: call.request.length,
            at: Date.now(),
            exports
          }
          requests.push(received)
          const scripted: GrpcReply = failure !== undefined
            ? { code: grpc.status.INVALID_ARGUMENT, details: failure }
            : receiver.reply?.(received) ?? receiver.replies.shift() ?? { code: grpc.status.OK }
          if (scripted.hang === true) return
          if (scripted.code === grpc.status.OK) {
            // Accepted only when the OK goes to a client still waiting, as over HTTP: a call the client
            // cancelled, or whose deadline has passed, ends without this answer (grpc-js drops it), and
            // the client sends the batch again; counting both would report a duplicate it did not make.
            const deadline = call.getDeadline()
            const expired = deadline instanceof Date
              ? deadline.getTime() <= Date.now()
              : Number.isFinite(deadline) && deadline <= Date.now()
            if (!call.cancelled && !expired) accepted.push(received)
            callback(null, Buffer.from(scripted.response ?? new Uint8Array(0)))
            return
          }
          const trailers = new grpc.Metadata()
          for (const [key, value] of Object.entries(scripted.trailers ?? {})) {
            trailers.set(key, typeof value === "string" ? value : Buffer.from(value))
          }
          callback({ code: scripted.code, details: scripted.details ?? "", metadata: trailers })
        }
      })
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
        if (error !== null) {
          resume(Effect.die(error))
          return
        }
        ;(receiver as { url: string }).url = `http://127.0.0.1:${port}`
        resume(Effect.succeed({ server, receiver }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        // Hung calls would hold a graceful shutdown open: end them.
        server.forceShutdown()
        resume(Effect.void)
      })
  ).pipe(Effect.map(({ receiver }) => receiver))

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
        if (scripted.reset === true) {
          req.socket.destroy()
          return
        }
        // Left open: the client's timeout ends it, or closing the receiver does.
        if (scripted.hang === true) return
        res.writeHead(scripted.status, scripted.headers ?? {})
        // Accepted only once the answer has been handed to a connection the client still holds: a
        // client that gave up first (its timeout) sends the batch again, and counting both would
        // report a duplicate the exporter did not make.
        if (scripted.status >= 200 && scripted.status < 300 && !req.socket.destroyed) {
          res.on("finish", () => accepted.push(received))
        }
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
