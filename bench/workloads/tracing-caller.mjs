// Caller time per span (DESIGN.md §7: ≤ 5 µs; the official SDK spends ~80–135 µs).
//
// Workload: 100,000 spans of nested `Effect.withSpan` — trees of request →
// 2 × child → 1 leaf each, with attributes on every level (the request
// carries `promptops.kind` and a `promptops.input` object). It runs on the
// caller's fiber with `Effect.runSync`, in chunks of 1,000 spans; `runSync`
// never hands control to another fiber, so the pipeline's background fiber
// cannot run inside a timed chunk: what is timed is exactly what the caller
// pays. Between chunks (untimed) the pipeline drains, as it does in a running
// app, so the heap stays in its steady state.
//
// Each chunk runs three times back to back: under the promptops tracer, under
// a no-op tracer (spans that do nothing: what Effect's own span machinery
// costs with any tracer) and under Effect's default tracer. promptops
// controls the difference, so the budget is on it:
//   us_per_span                 = median over chunks of (promptops − no-op)
//   us_per_span_direct          = the promptops tracer driven without Effect
//                                 (span + attributes + end), a cross-check
//   us_per_span_total           = promptops, Effect's machinery included
//   us_per_span_effect_default  = Effect's default tracer, for reference
//   us_per_span_effect_noop     = the floor
//   us_per_span_burst           = promptops, 100,000 spans in one runSync
//                                 (the queue holds them all: no draining)
// Paired differences and medians keep the figures steady on a shared machine.
import { Effect, Exit, Scope } from "effect"
import * as SpanSink from "@promptops/core/SpanSink"
import * as Tracing from "@promptops/core/Tracing"
import { noopTracer } from "../lib/noop-tracer.mjs"
import { emitTree, SPANS_PER_TREE, tree } from "../lib/workload.mjs"

const SPANS = Number(process.env.TRACING_SPANS ?? 100_000)
const REPS = Number(process.env.TRACING_REPS ?? 2)
const CHUNK_TREES = 200
const CHUNKS = Math.ceil(SPANS / SPANS_PER_TREE / CHUNK_TREES)
const chunkSpans = CHUNK_TREES * SPANS_PER_TREE

// --- the workload ------------------------------------------------------------
const chunk = (from) =>
  Effect.gen(function*() {
    for (let i = from; i < from + CHUNK_TREES; i++) yield* tree(i)
  })

// --- tracers -------------------------------------------------------------------

let received = 0
const sink = SpanSink.make({
  provider: "counting",
  export: (batch) => Effect.sync(() => { received += batch.length })
})
const scope = Effect.runSync(Scope.make())
const tracing = await Effect.runPromise(
  Tracing.make().pipe(Effect.provideService(SpanSink.SpanSink, sink), Scope.extend(scope))
)

// No gc() before a chunk: the collector's background threads would then compete with the timed code.
const timed = (effect) => {
  const started = performance.now()
  Effect.runSync(effect)
  return performance.now() - started
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

// The same spans through the tracer API alone: what promptops does on the caller, nothing else.
const t0 = 1_700_000_000_000_000_000n
const direct = (from) => () => {
  const tracer = tracing.tracer
  for (let i = from; i < from + CHUNK_TREES; i++) {
    emitTree(tracer, i, t0)
  }
}
const timedSync = (f) => {
  const started = performance.now()
  f()
  return performance.now() - started
}

const samples = { promptops: [], effect_noop: [], effect_default: [], delta: [], direct: [] }
let sent = 0

const pass = async (record) => {
  for (let c = 0; c < CHUNKS; c++) {
    const from = c * CHUNK_TREES
    const ours = timed(Effect.withTracer(chunk(from), tracing.tracer)) * 1000 / chunkSpans
    sent += chunkSpans
    await Effect.runPromise(tracing.flush)
    const noop = timed(Effect.withTracer(chunk(from), noopTracer)) * 1000 / chunkSpans
    const native = timed(chunk(from)) * 1000 / chunkSpans
    const tracerOnly = timedSync(direct(from)) * 1000 / chunkSpans
    sent += chunkSpans
    await Effect.runPromise(tracing.flush)
    if (record) {
      samples.promptops.push(ours)
      samples.effect_noop.push(noop)
      samples.effect_default.push(native)
      samples.delta.push(ours - noop)
      samples.direct.push(tracerOnly)
    }
  }
}

await pass(false) // warm-up: the JIT sees every path
for (let rep = 0; rep < REPS; rep++) await pass(true)

// The burst: everything in one runSync, the queue holding all of it.
const burstTrees = CHUNKS * CHUNK_TREES
const burstMs = timed(Effect.withTracer(Effect.gen(function*() {
  for (let i = 0; i < burstTrees; i++) yield* tree(i)
}), tracing.tracer))
sent += burstTrees * SPANS_PER_TREE
await Effect.runPromise(tracing.flush)

const stats = await Effect.runPromise(tracing.stats)
await Effect.runPromise(Scope.close(scope, Exit.void))

console.log(JSON.stringify({
  metrics: {
    us_per_span: median(samples.delta),
    us_per_span_direct: median(samples.direct),
    us_per_span_total: median(samples.promptops),
    us_per_span_effect_default: median(samples.effect_default),
    us_per_span_effect_noop: median(samples.effect_noop),
    us_per_span_burst: burstMs * 1000 / (burstTrees * SPANS_PER_TREE),
    lost: sent - received,
    dropped: Object.values(stats.dropped).reduce((a, b) => a + b, 0)
  }
}))
