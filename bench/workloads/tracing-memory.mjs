// Peak memory for 100,000 spans (DESIGN.md §7: ≤ 150 MB peak RSS).
//
// Each scenario runs in its own child process (peak RSS is per process):
// - peak_rss_mb (the budget): an Effect app with `Tracing.layer` over an
//   in-memory sink that only counts runs 100,000 spans of nested
//   `Effect.withSpan` (request → 2 × child → 1 leaf, attributes on every
//   level, a small `promptops.input` object), then `Tracing.flush`. The
//   exporter runs alongside the app, as in production.
// - effect_noop_peak_rss_mb: the same app under a no-op tracer and no
//   pipeline: what Effect itself needs for this workload. The difference is
//   what promptops adds.
// - burst_peak_rss_mb: the worst case for the queue: all 100,000 spans end
//   inside one `runSync`, so every record is queued at once before the
//   exporter can run (the default capacity holds exactly 100,000).
//   `bytes_per_queued_span` is the heap the queue holds per span then.
// - baseline_rss_mb: a process that has imported Effect and promptops.
// Peak RSS of one process varies by ±20 MB with the timing of V8's collections
// (Effect allocates heavily per span), so the app and no-op figures are the
// median of three processes each.
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const SPANS = Number(process.env.TRACING_SPANS ?? 100_000)
const SPANS_PER_TREE = 5
const TREES = Math.floor(SPANS / SPANS_PER_TREE)
const mode = process.env.TRACING_MEMORY_MODE

if (mode === undefined) {
  const run = (scenario) => {
    const out = execFileSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url)], {
      encoding: "utf8",
      env: { ...process.env, TRACING_MEMORY_MODE: scenario }
    })
    return JSON.parse(out.trim().split("\n").filter((line) => line.startsWith("{")).at(-1))
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  const apps = [run("app"), run("app"), run("app")]
  const noops = [run("noop"), run("noop"), run("noop")]
  const burst = run("burst")
  const app = {
    peak: median(apps.map((r) => r.peak)),
    baseline: median(apps.map((r) => r.baseline)),
    lost: apps.reduce((sum, r) => sum + r.lost, 0),
    dropped: apps.reduce((sum, r) => sum + r.dropped, 0)
  }
  console.log(JSON.stringify({
    metrics: {
      peak_rss_mb: app.peak,
      effect_noop_peak_rss_mb: median(noops.map((r) => r.peak)),
      burst_peak_rss_mb: burst.peak,
      bytes_per_queued_span: burst.bytesPerSpan,
      baseline_rss_mb: app.baseline,
      lost: app.lost + burst.lost,
      dropped: app.dropped + burst.dropped
    }
  }))
} else {
  const { Effect, Layer } = await import("effect")
  const SpanSink = await import("@promptops/core/SpanSink")
  const Tracing = await import("@promptops/core/Tracing")

  const { noopTracer } = await import("../lib/noop-tracer.mjs")
  const { tree } = await import("../lib/workload.mjs")
  // A slightly larger request input than the other workloads, to weigh on memory.
  const input = (i) => ({ question: `question number ${i}`, history: ["a", "b"], n: i })
  const workload = Effect.gen(function*() {
    for (let i = 0; i < TREES; i++) yield* tree(i, input)
  })

  globalThis.gc?.()
  const baseline = process.memoryUsage().rss / 2 ** 20
  let received = 0
  const sink = SpanSink.make({
    provider: "counting",
    export: (batch) => Effect.sync(() => { received += batch.length })
  })
  const tracingLayer = Tracing.layer().pipe(Layer.provide(Layer.succeed(SpanSink.SpanSink, sink)))
  const result = { baseline, lost: 0, dropped: 0, bytesPerSpan: 0 }

  if (mode === "noop") {
    await Effect.runPromise(Effect.withTracer(workload, noopTracer))
  } else if (mode === "app") {
    const stats = await Effect.runPromise(
      Effect.provide(Effect.zipRight(workload, Effect.zipRight(Tracing.flush, Tracing.stats)), tracingLayer)
    )
    result.lost = TREES * SPANS_PER_TREE - received
    result.dropped = Object.values(stats.dropped).reduce((a, b) => a + b, 0)
  } else {
    const program = Effect.gen(function*() {
      const tracer = yield* Effect.tracer
      globalThis.gc?.()
      const before = process.memoryUsage().heapUsed
      // runSync: the caller's fiber ends every span before the exporter can run.
      Effect.runSync(Effect.withTracer(workload, tracer))
      globalThis.gc?.()
      result.bytesPerSpan = (process.memoryUsage().heapUsed - before) / (TREES * SPANS_PER_TREE)
      yield* Tracing.flush
      return yield* Tracing.stats
    })
    const stats = await Effect.runPromise(Effect.provide(program, tracingLayer))
    result.lost = TREES * SPANS_PER_TREE - received
    result.dropped = Object.values(stats.dropped).reduce((a, b) => a + b, 0)
  }
  console.log(JSON.stringify({ ...result, peak: process.resourceUsage().maxRSS / 1024 }))
}
