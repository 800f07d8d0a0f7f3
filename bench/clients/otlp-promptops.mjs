// promptops over OTLP/HTTP: core `Tracing.layer` over `@promptops/otlp`'s
// `OtlpSpanSink.layer({ endpoint, protocol: "http/protobuf" })`, through
// @effect/platform's FetchHttpClient, every option at its default (batches of
// up to 512, 4 in flight, retries honouring Retry-After, 413 splitting). The
// app makes its spans with `Effect.withSpan` (lib/workload.mjs `tree`), each
// chunk run with `runPromise`; the flush is `Tracing.flush`, then the runtime is
// disposed (the pipeline's own shutdown). See lib/otlp-client.mjs for the clocks.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Tracing from "@promptops/core/Tracing"
import * as OtlpSpanSink from "@promptops/otlp/OtlpSpanSink"
import { Effect, Layer, ManagedRuntime } from "effect"
import { ENDPOINT, measure } from "../lib/otlp-client.mjs"
import { noopTracer } from "../lib/noop-tracer.mjs"
import { tree } from "../lib/workload.mjs"

const runtime = ManagedRuntime.make(
  Tracing.layer().pipe(
    Layer.provide(OtlpSpanSink.layer({ endpoint: ENDPOINT, protocol: "http/protobuf", serviceName: "bench" })),
    Layer.provide(FetchHttpClient.layer)
  )
)
await runtime.runtime()

const chunk = (from, trees) =>
  Effect.gen(function*() {
    for (let i = from; i < from + trees; i++) yield* tree(i)
  })

// The no-op pass runs after the flush, on a runtime of its own (the pipeline's is disposed by then).
const plain = ManagedRuntime.make(Layer.empty)
let flushed

await measure({
  runChunk: (from, trees) => runtime.runPromise(chunk(from, trees)),
  noopChunk: (from, trees) => plain.runPromise(Effect.withTracer(chunk(from, trees), noopTracer)),
  flush: async () => {
    await runtime.runPromise(Tracing.flush)
    const stats = await runtime.runPromise(Tracing.stats)
    await runtime.dispose()
    flushed = stats
  },
  extra: async () => ({
    exported: flushed.exported,
    dropped: Object.values(flushed.dropped).reduce((a, b) => a + b, 0),
    batches: flushed.batches,
    retries: flushed.retries
  })
})
