/**
 * The same span made with the official OpenTelemetry JS SDK (its OTLP/HTTP
 * protobuf and JSON exporters, and its OTLP/gRPC exporter) and with promptops +
 * `OtlpSpanSink` decodes, at the same receiver, to the same structure: ids,
 * times, kind, status, flags, events, and every attribute with the same OTLP
 * value type.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { type Attributes, type AttributeValue, ROOT_CONTEXT, SpanKind, trace } from "@opentelemetry/api"
import { OTLPTraceExporter as OTLPGrpcTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc"
import { OTLPTraceExporter as OTLPJsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Trace from "@promptops/core/Trace"
import * as Tracing from "@promptops/core/Tracing"
import * as OtlpSpanSink from "../src/OtlpSpanSink.js"
import { Effect, Layer } from "effect"
import * as Receiver from "@promptops/emulators/OtlpReceiver"

const toJs = (value: Receiver.Value): AttributeValue => {
  if ("string" in value) return value.string
  if ("int" in value) return Number(value.int)
  if ("double" in value) return value.double
  if ("bool" in value) return value.bool
  if ("array" in value) return value.array.map(toJs) as Array<string>
  throw new Error(`no SDK attribute for ${JSON.stringify(value)}`)
}

const toAttributes = (attributes: Readonly<Record<string, Receiver.Value>>): Attributes =>
  Object.fromEntries(Object.entries(attributes).map(([key, value]) => [key, toJs(value)]))

const hr = (nanos: string): [number, number] => {
  const n = BigInt(nanos)
  return [Number(n / 1_000_000_000n), Number(n % 1_000_000_000n)]
}

describe("OtlpSpanSink against the OpenTelemetry SDK", () => {
  for (const protocol of ["http/protobuf", "http/json", "grpc"] as const) {
    it.live(`the SDK's encoding of the same span decodes to the same structure (${protocol})`, () =>
      Effect.gen(function*() {
        const receiver: Pick<Receiver.Receiver, "url" | "requests" | "accepted"> = protocol === "grpc"
          ? yield* Receiver.startGrpc()
          : yield* Receiver.start
        const endpoint = protocol === "grpc" ? receiver.url : `${receiver.url}/v1/traces`
        // http/json: the same spans also go to a second receiver over http/protobuf, so the JSON
        // decoding is checked against the protobuf one too (a lossy JSON time or id would otherwise
        // be copied into the SDK's span and compare equal).
        const protobufReceiver = yield* Receiver.start
        const sink = OtlpSpanSink.layer({ endpoint, protocol, serviceName: "svc" })
        const tracing = protocol === "http/json"
          ? Tracing.layerFanOut({
            destinations: {
              json: sink,
              protobuf: OtlpSpanSink.layer({ endpoint: `${protobufReceiver.url}/v1/traces`, serviceName: "svc" })
            }
          })
          : Tracing.layer().pipe(Layer.provideMerge(sink))
        yield* Effect.gen(function*() {
          yield* Effect.gen(function*() {
            yield* Trace.annotate({
              input: "hi",
              output: "hello",
              usage: { promptTokens: 3, completionTokens: 4, cost: 0.25 },
              metadata: { "gen_ai.provider.name": "anthropic", model: "claude", flag: true, ids: ["a", "b"] },
              scores: { relevance: 0.75 }
            })
            yield* Effect.fail(new TypeError("bad answer"))
          }).pipe(Trace.llm("answer"), Effect.ignore, Effect.withSpan("turn"))
          yield* Tracing.flush
        }).pipe(
          Effect.provide(Layer.provide(tracing, FetchHttpClient.layer))
        )
        const ours = receiver.requests[0]!.exports[0]!.spans.find((span) => span.name === "answer")!
        assert.isDefined(ours)
        if (protocol === "http/json") {
          assert.strictEqual(protobufReceiver.requests.length, 1)
          assert.deepStrictEqual(receiver.requests[0]!.exports, protobufReceiver.requests[0]!.exports)
          // Nanoseconds survive JSON: a decimal string, not a double rounded to a few hundred ns.
          assert.match(ours.startTimeUnixNano, /^[1-9][0-9]{18}$/)
        }

        // The same span through the SDK, with our ids, times and content.
        const provider = new BasicTracerProvider({
          resource: resourceFromAttributes({ "service.name": "svc" }),
          idGenerator: { generateTraceId: () => ours.traceId, generateSpanId: () => ours.spanId },
          spanProcessors: [
            new SimpleSpanProcessor(
              protocol === "grpc"
                ? new OTLPGrpcTraceExporter({ url: endpoint })
                : protocol === "http/json"
                ? new OTLPJsonTraceExporter({ url: endpoint })
                : new OTLPTraceExporter({ url: endpoint })
            )
          ]
        })
        const tracer = provider.getTracer("@promptops/otlp", "0.1.0")
        const parent = trace.setSpanContext(ROOT_CONTEXT, {
          traceId: ours.traceId,
          spanId: ours.parentSpanId,
          traceFlags: 1
        })
        const span = tracer.startSpan(
          ours.name,
          { kind: SpanKind.CLIENT, startTime: hr(ours.startTimeUnixNano), attributes: toAttributes(ours.attributes) },
          parent
        )
        for (const event of ours.events) span.addEvent(event.name, toAttributes(event.attributes), hr(event.timeUnixNano))
        span.setStatus({ code: ours.status.code, message: ours.status.message })
        span.end(hr(ours.endTimeUnixNano))
        yield* Effect.promise(() => provider.forceFlush())
        yield* Effect.promise(() => provider.shutdown())

        assert.strictEqual(receiver.requests.length, 2)
        const sdkRequest = receiver.requests[1]!
        if (protocol === "grpc") {
          assert.strictEqual(sdkRequest.path, receiver.requests[0]!.path)
          assert.strictEqual(sdkRequest.path, "/opentelemetry.proto.collector.trace.v1.TraceService/Export")
        } else {
          const contentType = protocol === "http/json" ? "application/json" : "application/x-protobuf"
          assert.strictEqual(sdkRequest.headers["content-type"], contentType)
          assert.strictEqual(receiver.requests[0]!.headers["content-type"], contentType)
        }
        const sdk = sdkRequest.exports[0]!
        assert.deepStrictEqual(sdk.resource["service.name"], { string: "svc" })
        assert.deepStrictEqual(sdk.scope, receiver.requests[0]!.exports[0]!.scope)
        assert.deepStrictEqual(sdk.spans[0], ours)
        // And what was compared is what it should be, not two equal mistakes.
        assert.deepStrictEqual(ours.attributes["promptops.metrics.cost"], { double: 0.25 })
        assert.deepStrictEqual(ours.attributes["promptops.metadata.flag"], { bool: true })
        assert.deepStrictEqual(ours.attributes["promptops.metadata.ids"], { array: [{ string: "a" }, { string: "b" }] })
        assert.deepStrictEqual(ours.status, { code: 2, message: "bad answer" })
        assert.strictEqual(ours.flags, 0x101)
        assert.deepStrictEqual(ours.events.map((event) => event.name), ["gen_ai.evaluation.result", "exception"])
      }).pipe(Effect.scoped))
  }
})
