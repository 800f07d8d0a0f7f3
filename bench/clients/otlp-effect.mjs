// @effect/opentelemetry 0.64.1's own OTLP exporter (`OtlpTracer.layer` with
// `OtlpSerialization.layerProtobuf`, the line for effect 3.22 / @effect/platform
// 0.97), through @effect/platform's FetchHttpClient, every option at its
// default (batches of 1,000 sent as they fill, else every 5 s; 3 retries of a
// transient error) except `shutdownTimeout`, 30 s instead of 3 s so the final
// export is not cut short by our burst. Spans are made with `Effect.withSpan`
// (lib/workload.mjs `tree`), each chunk run with `runPromise`; the flush is
// disposing the runtime (the exporter's finalizer sends what is buffered).
import * as OtlpSerialization from "@effect/opentelemetry/OtlpSerialization"
import * as OtlpTracer from "@effect/opentelemetry/OtlpTracer"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Effect, Layer, ManagedRuntime } from "effect"
import { noopTracer } from "../lib/noop-tracer.mjs"
import { ENDPOINT, measure } from "../lib/otlp-client.mjs"
import { tree } from "../lib/workload.mjs"

const runtime = ManagedRuntime.make(
  OtlpTracer.layer({ url: ENDPOINT, resource: { serviceName: "bench" }, shutdownTimeout: "30 seconds" }).pipe(
    Layer.provide(OtlpSerialization.layerProtobuf),
    Layer.provide(FetchHttpClient.layer)
  )
)
await runtime.runtime()

const chunk = (from, trees) =>
  Effect.gen(function*() {
    for (let i = from; i < from + trees; i++) yield* tree(i)
  })

// The no-op pass runs after the flush, on a runtime of its own (the exporter's is disposed by then).
const plain = ManagedRuntime.make(Layer.empty)

await measure({
  runChunk: (from, trees) => runtime.runPromise(chunk(from, trees)),
  noopChunk: (from, trees) => plain.runPromise(Effect.withTracer(chunk(from, trees), noopTracer)),
  flush: () => runtime.dispose()
})
