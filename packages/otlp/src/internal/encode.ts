/**
 * The request body of a batch, through the official serializers of
 * `@opentelemetry/otlp-transformer` (never a hand-written codec), gzipped on
 * request, and the reading of a response's partial success.
 */
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { invalidInput, type InvalidInput } from "@promptops/core/PromptOpsError"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { Effect } from "effect"
import * as zlib from "node:zlib"
import type { Protocol, ResourceValue } from "../OtlpConfig.js"
import { toReadableSpan } from "./spans.js"

export interface Settings {
  readonly protocol: Protocol
  readonly gzip: boolean
  readonly captureContent: boolean
  readonly serviceName?: string | undefined
  readonly resourceAttributes?: Readonly<Record<string, ResourceValue>> | undefined
  readonly dialect?: "basalt" | undefined
}

export interface Encoder {
  readonly contentType: string
  readonly gzip: boolean
  readonly encode: (
    batch: ReadonlyArray<SpanRecord>,
    provider: string,
    operation: string
  ) => Effect.Effect<Uint8Array, InvalidInput>
  /** The partial success a 2xx response reports, if it reports one. */
  readonly rejectedSpans: (
    body: Uint8Array,
    contentType: string | undefined
  ) => { readonly count: number; readonly message: string } | undefined
}

/** What the SDK names a service that did not name itself. */
export const defaultServiceName = "unknown_service:node"

const gzip = (body: Uint8Array): Effect.Effect<Uint8Array, Error> =>
  Effect.async<Uint8Array, Error>((resume) => {
    zlib.gzip(body, (error, out) => resume(error === null ? Effect.succeed(out) : Effect.fail(error)))
  })

export const make = (settings: Settings): Encoder => {
  const resource = resourceFromAttributes({
    ...settings.resourceAttributes,
    "service.name": settings.serviceName ?? settings.resourceAttributes?.["service.name"] ?? defaultServiceName
  })
  const serializer = settings.protocol === "http/json" ? JsonTraceSerializer : ProtobufTraceSerializer
  const mapOptions = { captureContent: settings.captureContent, resource, dialect: settings.dialect }
  return {
    contentType: settings.protocol === "http/json" ? "application/json" : "application/x-protobuf",
    gzip: settings.gzip,
    encode: (batch, provider, operation) => {
      const fail = (description: string) => invalidInput({ provider, operation, path: "batch", description })
      return Effect.suspend(() => {
        let body: Uint8Array | undefined
        try {
          body = serializer.serializeRequest(batch.map((record) => toReadableSpan(record, mapOptions)))
        } catch (error) {
          return Effect.fail(fail(`the spans could not be encoded: ${error instanceof Error ? error.message : String(error)}`))
        }
        if (body === undefined) return Effect.fail(fail("the spans could not be encoded"))
        return settings.gzip
          ? Effect.mapError(gzip(body), (error) => fail(`gzip failed: ${error.message}`))
          : Effect.succeed(body)
      })
    },
    rejectedSpans: (body, contentType) => {
      if (body.length === 0) return undefined
      try {
        // A backend may answer JSON to a protobuf request (or the reverse): go by what it says it sent.
        const response = contentType?.includes("json") === true
          ? JsonTraceSerializer.deserializeResponse(body)
          : contentType?.includes("protobuf") === true
          ? ProtobufTraceSerializer.deserializeResponse(body)
          : serializer.deserializeResponse(body)
        const partial = response.partialSuccess
        if (partial === undefined) return undefined
        return { count: Number(partial.rejectedSpans ?? 0), message: partial.errorMessage ?? "" }
      } catch {
        return undefined
      }
    }
  }
}
