/**
 * The `grpc-status-details-bin` trailer: a `google.rpc.Status` whose details
 * may hold a `google.rpc.RetryInfo` (the OTLP specification: a throttling
 * server says how long to wait that way). Decoded with protobufjs over
 * descriptors that restate the official google/rpc `status.proto` and
 * `error_details.proto` messages field for field (numbers and types as
 * published), the protos themselves not being shipped in any dependency.
 */
import type protobuf from "protobufjs"

type Protobuf = typeof protobuf

/** protobufjs, imported only when a gRPC sink is made (a CJS bundle would otherwise load it for every user). */
export const loadProtobuf = (): Promise<Protobuf> =>
  import("protobufjs").then((module) => (module as { default?: Protobuf }).default ?? (module as unknown as Protobuf))

const RETRY_INFO_URL = "type.googleapis.com/google.rpc.RetryInfo"

let types: { readonly status: protobuf.Type; readonly retryInfo: protobuf.Type } | undefined

const load = (pb: Protobuf) =>
  (types ??= (() => {
    const root = pb.Root.fromJSON({
      nested: {
        google: {
          nested: {
            protobuf: {
              nested: {
                Any: { fields: { type_url: { type: "string", id: 1 }, value: { type: "bytes", id: 2 } } },
                Duration: { fields: { seconds: { type: "int64", id: 1 }, nanos: { type: "int32", id: 2 } } }
              }
            },
            rpc: {
              nested: {
                Status: {
                  fields: {
                    code: { type: "int32", id: 1 },
                    message: { type: "string", id: 2 },
                    details: { rule: "repeated", type: "google.protobuf.Any", id: 3 }
                  }
                },
                RetryInfo: { fields: { retry_delay: { type: "google.protobuf.Duration", id: 1 } } }
              }
            }
          }
        }
      }
    })
    return { status: root.lookupType("google.rpc.Status"), retryInfo: root.lookupType("google.rpc.RetryInfo") }
  })())

/** The RetryInfo delay in milliseconds, when the trailer carries one. */
export const retryDelayOf = (pb: Protobuf, trailer: Uint8Array): number | undefined => {
  try {
    const { retryInfo, status } = load(pb)
    const decoded = status.toObject(status.decode(trailer), { longs: Number, defaults: true }) as {
      details?: Array<{ type_url?: string; value?: Uint8Array }>
    }
    for (const any of decoded.details ?? []) {
      if (any.type_url !== RETRY_INFO_URL || any.value === undefined) continue
      const info = retryInfo.toObject(retryInfo.decode(any.value), { longs: Number, defaults: true }) as {
        retry_delay?: { seconds?: number; nanos?: number }
      }
      if (info.retry_delay === undefined) return undefined
      const ms = (info.retry_delay.seconds ?? 0) * 1000 + (info.retry_delay.nanos ?? 0) / 1e6
      return Number.isFinite(ms) && ms >= 0 ? Math.round(ms) : undefined
    }
    return undefined
  } catch {
    return undefined
  }
}

/** Encodes a Status with a RetryInfo (for the emulator and tests; the same descriptors). */
export const encodeRetryInfo = (pb: Protobuf, code: number, message: string, delayMs: number): Uint8Array => {
  const { retryInfo, status } = load(pb)
  const delay = { seconds: Math.floor(delayMs / 1000), nanos: Math.round((delayMs % 1000) * 1e6) }
  const value = retryInfo.encode(retryInfo.fromObject({ retry_delay: delay })).finish()
  return status.encode(status.fromObject({ code, message, details: [{ type_url: RETRY_INFO_URL, value }] })).finish()
}
