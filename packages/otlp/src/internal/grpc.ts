/**
 * OTLP/gRPC: one unary `TraceService/Export` call a batch through a generic
 * `@grpc/grpc-js` client. The message is the same `ExportTraceServiceRequest`
 * bytes `ProtobufTraceSerializer` makes for `http/protobuf`, so the request
 * and response serializers are the identity (no protobuf codec here).
 * grpc-js is imported only when a gRPC sink is made: HTTP users never load it.
 */
// Types only (erased): the module itself is imported when a gRPC sink is made.
import type * as GrpcJs from "@grpc/grpc-js"
import { scrubSecrets } from "@promptops/core/ProviderHttp"
import {
  BadRequest,
  Forbidden,
  invalidInput,
  type InvalidInput,
  NotFound,
  PayloadTooLarge,
  type PromptOpsError,
  ProviderUnavailable,
  RateLimited,
  TransportError,
  Unauthorized,
  Unsupported
} from "@promptops/core/PromptOpsError"
import { Duration, Effect, Redacted, type Scope } from "effect"
import { loadProtobuf, retryDelayOf as statusRetryDelayOf } from "./grpcStatus.js"

/** The official service's method (opentelemetry/proto/collector/trace/v1/trace_service.proto). */
export const EXPORT_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

/** The gRPC status codes (grpc-js's `status` enum), by name, for errors and logs. */
const codeNames: ReadonlyArray<string> = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED"
]

export interface Settings {
  readonly provider: string
  readonly operation: string
  /** `host:port`, from `OtlpConfig.checkEndpoint`. */
  readonly target: string
  /** TLS (`https://`) or not. */
  readonly secure: boolean
  readonly headers?: Readonly<Record<string, string | Redacted.Redacted>> | undefined
  readonly timeout: Duration.Duration
  readonly gzip: boolean
}

export interface Transport {
  /** Sends one request message; the response message's bytes. */
  readonly send: (body: Uint8Array) => Effect.Effect<Uint8Array, PromptOpsError>
}

/** Header names valid as gRPC metadata keys (lower-case; `-bin` keys are binary, not ours to send). */
const metadataKey = /^[0-9a-z_.-]+$/

/** What of a secret value could come back in a status message: the value and the credential after its scheme. */
const secretParts = (value: string): Array<string> => {
  const out = [value]
  const match = /^\s*(bearer|basic)\s+(.+)$/i.exec(value)
  if (match !== null) {
    out.push(match[2]!.trim())
    if (match[1]!.toLowerCase() === "basic") {
      const decoded = Buffer.from(match[2]!.trim(), "base64").toString("utf8")
      out.push(decoded, decoded.slice(decoded.indexOf(":") + 1))
    }
  }
  return out.filter((part) => part.length >= 8)
}

interface CallError {
  readonly code?: number
  readonly details?: string
  readonly metadata?: { get: (key: string) => Array<string | Buffer> }
}

/**
 * A failed call's status → the error the tracing pipeline understands
 * (retryable per the OTLP specification: CANCELLED, DEADLINE_EXCEEDED,
 * ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS, and RESOURCE_EXHAUSTED with
 * RetryInfo; a message over the server's size limit splits like a 413).
 */
export const statusError = (
  error: CallError,
  context: {
    readonly provider: string
    readonly operation: string
    readonly scrub: (text: string) => string
    readonly bytes: number
    /** The RetryInfo delay of a `grpc-status-details-bin` trailer (`grpcStatus.retryDelayOf`). */
    readonly retryDelayOf: (trailer: Uint8Array) => number | undefined
  }
): PromptOpsError => {
  const code = typeof error.code === "number" ? error.code : 2
  const name = codeNames[code] ?? `status ${code}`
  const details = context.scrub((error.details ?? "").slice(0, 500))
  const description = `gRPC ${name}${details === "" ? "" : `: ${details}`}`
  const fields = { provider: context.provider, operation: context.operation, description }
  switch (code) {
    case 1:
      return new TransportError({ ...fields, reason: "Other" })
    case 4:
      return new TransportError({ ...fields, reason: "Timeout" })
    case 10:
    case 11:
    case 15:
      return new ProviderUnavailable(fields)
    case 14:
      // grpc-js reports a connection it could not make as UNAVAILABLE too.
      return /no connection established|ECONNREFUSED|ECONNRESET|ENOTFOUND|connect/i.test(details)
        ? new TransportError({ ...fields, reason: "Connection" })
        : new ProviderUnavailable(fields)
    case 8: {
      const trailer = error.metadata?.get("grpc-status-details-bin")[0]
      const retryDelay = Buffer.isBuffer(trailer) ? context.retryDelayOf(trailer) : undefined
      if (retryDelay !== undefined) return new RateLimited({ ...fields, retryAfterMs: retryDelay })
      if (/larger than max/i.test(fields.description)) return new PayloadTooLarge({ ...fields, bytes: context.bytes })
      return new BadRequest({ ...fields, issues: [] })
    }
    case 16:
      return new Unauthorized(fields)
    case 7:
      return new Forbidden(fields)
    case 5:
      return new NotFound(fields)
    case 12:
      return new Unsupported(fields)
    default:
      return new BadRequest({ ...fields, issues: [] })
  }
}

/** The client, closed when the scope closes. */
export const make = (settings: Settings): Effect.Effect<Transport, InvalidInput, Scope.Scope> =>
  Effect.gen(function*() {
    const { operation, provider } = settings
    const fail = (path: string, description: string) =>
      Effect.fail(invalidInput({ provider, operation: "OtlpSpanSink.make", path, description }))
    const { secure, target } = settings
    const entries: Array<readonly [string, string]> = []
    const secrets: Array<string> = []
    for (const [name, raw] of Object.entries(settings.headers ?? {})) {
      const key = name.trim().toLowerCase()
      const value = Redacted.isRedacted(raw) ? Redacted.value(raw) : raw
      if (!metadataKey.test(key) || key.endsWith("-bin") || key.startsWith("grpc-")) {
        return yield* fail(`headers.${name}`, "not a valid gRPC metadata key")
      }
      if (typeof value !== "string" || /[^\x20-\x7e]/.test(value)) {
        return yield* fail(`headers.${name}`, "a metadata value must be printable ASCII")
      }
      if (Redacted.isRedacted(raw)) secrets.push(...secretParts(value))
      entries.push([key, value])
    }
    secrets.sort((a, b) => b.length - a.length)
    const scrub = (text: string) => scrubSecrets(text, secrets)
    const timeoutMs = Duration.toMillis(settings.timeout)
    if (!(timeoutMs > 0)) return yield* fail("timeout", "timeout must be positive")

    // protobufjs (for the status trailer) is loaded with grpc-js, not before.
    const protobuf = yield* Effect.promise(loadProtobuf)
    const retryDelayOf = (trailer: Uint8Array) => statusRetryDelayOf(protobuf, trailer)
    const grpc = yield* Effect.tryPromise({
      try: () => import("@grpc/grpc-js"),
      catch: () =>
        invalidInput({
          provider,
          operation: "OtlpSpanSink.make",
          path: "protocol",
          description: "protocol grpc needs the @grpc/grpc-js package: npm install @grpc/grpc-js"
        })
    })
    const client = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new grpc.Client(target, secure ? grpc.credentials.createSsl() : grpc.credentials.createInsecure(), {
          // 2 = gzip in grpc-js's compression algorithms; every message of this channel is compressed.
          ...(settings.gzip ? { "grpc.default_compression_algorithm": 2 } : {}),
          "grpc.primary_user_agent": "promptops-otlp/0.1.0"
        })
      ),
      (client) => Effect.sync(() => client.close())
    )
    const identity = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

    return {
      send: (body) =>
        Effect.async<Uint8Array, PromptOpsError>((resume) => {
          const metadata = new grpc.Metadata()
          for (const [key, value] of entries) metadata.set(key, value)
          const onDone = (error: GrpcJs.ServiceError | null, response?: Buffer) => {
            if (error !== null) {
              resume(Effect.fail(statusError(error, { provider, operation, scrub, bytes: body.byteLength, retryDelayOf })))
            } else {
              resume(Effect.succeed(new Uint8Array(response ?? Buffer.alloc(0))))
            }
          }
          let call: GrpcJs.ClientUnaryCall
          try {
            const deadline = new Date(Date.now() + timeoutMs)
            call = client.makeUnaryRequest(EXPORT_METHOD, identity, identity, body, metadata, { deadline }, onDone)
          } catch (error) {
            // grpc-js throws on a closed channel (the sink used after its scope closed).
            const reason = error instanceof Error ? error.message : String(error)
            resume(Effect.fail(new TransportError({ provider, operation, description: scrub(reason), reason: "Other" })))
            return
          }
          // Interrupted (shutdown deadline): cancel the call rather than leave it running.
          return Effect.sync(() => call.cancel())
        })
    }
  })
