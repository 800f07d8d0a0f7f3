// promptops tracing against the Braintrust emulator: core `Tracing` exporting
// through `@promptops/braintrust`'s span sink (FetchHttpClient, loopback).
//
// API=effect: the app uses `Effect.withSpan` (lib/workload.mjs `tree`), each
//   chunk run with `Effect.runSync` on the caller's fiber;
// API=direct: the same spans straight through the tracer's API (`emitTree`),
//   without Effect's span machinery.
// MODE=steady: SPANS spans, the event loop yielding (setImmediate) every
//   YIELD_EVERY spans; MODE=burst: SPANS spans without yielding. Then a flush.
// Caller time is the time inside the chunks (wall and process CPU); end to end is from the first span
// until the flush has every span acknowledged by the emulator. With API=effect
// and MODE=steady, a no-op tracer pass afterwards (NOOP_SPANS spans, same
// chunks) gives Effect's own cost per span, so the difference is what
// promptops adds on the caller.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as BraintrustClient from "@promptops/braintrust/BraintrustClient"
import * as BraintrustSpanSink from "@promptops/braintrust/BraintrustSpanSink"
import * as Tracing from "@promptops/core/Tracing"
import { Effect, Exit, Layer, Redacted, Scope } from "effect"
import { gcClock } from "../lib/gc-clock.mjs"
import { noopTracer } from "../lib/noop-tracer.mjs"
import { emitTree, SPANS_PER_TREE, tree } from "../lib/workload.mjs"

const API = process.env.API ?? "effect"
const MODE = process.env.MODE ?? "steady"
const SPANS = Number(process.env.SPANS ?? 100_000)
const YIELD_EVERY = Number(process.env.YIELD_EVERY ?? 100)
const NOOP_SPANS = Number(process.env.NOOP_SPANS ?? 20_000)
const CHUNK_TREES = MODE === "burst" ? SPANS / SPANS_PER_TREE : YIELD_EVERY / SPANS_PER_TREE

const sink = BraintrustSpanSink.layer().pipe(
  Layer.provide(BraintrustClient.layer({
    apiKey: Redacted.make(process.env.BRAINTRUST_API_KEY),
    apiUrl: process.env.EMULATOR_URL,
    project: "bench-tracing"
  })),
  Layer.provide(FetchHttpClient.layer)
)
const scope = Effect.runSync(Scope.make())
const context = await Effect.runPromise(Layer.buildWithScope(sink, scope))
const tracing = await Effect.runPromise(Tracing.make().pipe(Effect.provide(context), Scope.extend(scope)))

const effectChunk = (from, trees, tracer) =>
  Effect.withTracer(Effect.gen(function*() {
    for (let i = from; i < from + trees; i++) yield* tree(i)
  }), tracer)

const directChunk = (from, trees) => {
  const t = process.hrtime.bigint()
  for (let i = from; i < from + trees; i++) emitTree(tracing.tracer, i, t)
}

const yieldNow = () => new Promise((resolve) => setImmediate(resolve))
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const gc = gcClock()

/**
 * Runs `spans` spans in chunks; returns the per-span wall time and CPU time of
 * every chunk (µs). CPU time (the process's, GC threads included) is what the
 * caller spends; on a shared machine wall time also counts the moments the OS
 * gave the core to another process.
 */
const pass = async (spans, runChunk) => {
  const wall = []
  const cpu = []
  const chunkSpans = CHUNK_TREES * SPANS_PER_TREE
  for (let from = 0; from < spans / SPANS_PER_TREE; from += CHUNK_TREES) {
    const cpuBefore = process.cpuUsage()
    const started = performance.now()
    runChunk(from)
    const ended = performance.now()
    const used = process.cpuUsage(cpuBefore)
    gc.window(started, ended)
    wall.push((ended - started) * 1000 / chunkSpans)
    cpu.push((used.user + used.system) / chunkSpans)
    if (MODE === "steady") await yieldNow()
  }
  return { wall, cpu }
}

// What the process holds while it runs: spans waiting for export, and the JS heap.
const peaks = { pending: 0, heapMb: 0 }
const sampler = setInterval(() => {
  peaks.heapMb = Math.max(peaks.heapMb, process.memoryUsage().heapUsed / 2 ** 20)
  Effect.runPromise(tracing.stats).then((s) => { peaks.pending = Math.max(peaks.pending, s.pending) })
}, 100)

const cpuBefore = process.cpuUsage()
const started = performance.now()
const ours = await pass(SPANS, API === "effect"
  ? (from) => Effect.runSync(effectChunk(from, CHUNK_TREES, tracing.tracer))
  : (from) => directChunk(from, CHUNK_TREES))
const emitted = performance.now()
await Effect.runPromise(tracing.flush)
const finished = performance.now()
const cpu = process.cpuUsage(cpuBefore)
clearInterval(sampler)
const stats = await Effect.runPromise(tracing.stats)
await yieldNow()
const gcMs = gc.inside()
gc.reset()
const peakRss = process.resourceUsage().maxRSS / 1024

// Effect's own cost on the same chunks, under a tracer that does nothing (after the flush: the exporter is idle).
let noop
let noopGcMs
if (API === "effect" && MODE === "steady" && NOOP_SPANS > 0) {
  noop = await pass(NOOP_SPANS, (from) => Effect.runSync(effectChunk(from, CHUNK_TREES, noopTracer)))
  await yieldNow()
  noopGcMs = gc.inside()
}
gc.stop()
await Effect.runPromise(Scope.close(scope, Exit.void))

const sum = (values) => values.reduce((a, b) => a + b, 0)
console.log(JSON.stringify({
  emitted: SPANS,
  callerUsPerSpan: sum(ours.wall) / ours.wall.length,
  callerUsPerSpanMedian: median(ours.wall),
  callerCpuUsPerSpan: sum(ours.cpu) / ours.cpu.length,
  callerCpuUsPerSpanMedian: median(ours.cpu),
  noopUsPerSpanMedian: noop === undefined ? undefined : median(noop.wall),
  noopCpuUsPerSpanMedian: noop === undefined ? undefined : median(noop.cpu),
  addedUsPerSpan: noop === undefined ? undefined : median(ours.wall) - median(noop.wall),
  addedCpuUsPerSpan: noop === undefined ? undefined : median(ours.cpu) - median(noop.cpu),
  callerGcUsPerSpan: gcMs * 1000 / SPANS,
  noopGcUsPerSpan: noopGcMs === undefined ? undefined : noopGcMs * 1000 / NOOP_SPANS,
  emitMs: emitted - started,
  endToEndMs: finished - started,
  cpuMs: (cpu.user + cpu.system) / 1000,
  peakRssMb: peakRss,
  peakPending: peaks.pending,
  peakHeapMb: peaks.heapMb,
  exported: stats.exported,
  dropped: Object.values(stats.dropped).reduce((a, b) => a + b, 0),
  batches: stats.batches,
  retries: stats.retries
}))
