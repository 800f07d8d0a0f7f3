// What every client of the otlp-export workload measures, whatever its exporter:
// SPANS spans as trees of 5 (lib/workload.mjs's shape: request → 2 × child →
// leaf, the same attributes), then the exporter's own flush/shutdown.
//   MODE=steady: chunks of YIELD_EVERY spans, the event loop yielding (setImmediate) between them;
//   MODE=burst:  all SPANS spans in one synchronous run, then the flush.
// Caller time is process CPU inside the chunks (the app's thread creating and
// ending spans, plus whatever export work the exporter does synchronously on
// that thread), per span: the mean over all chunks (so an exporter that encodes
// on the caller's thread pays for it) and the median chunk. Client CPU is
// process CPU from the first span until the flush returned, divided by the
// spans the receiver got (the workload divides). Peak RSS is the process's.
import { gcClock } from "./gc-clock.mjs"
import { SPANS_PER_TREE } from "./workload.mjs"

export { SPANS_PER_TREE }

export const MODE = process.env.MODE ?? "steady"
export const SPANS = Number(process.env.SPANS ?? 20_000)
export const YIELD_EVERY = Number(process.env.YIELD_EVERY ?? 100)
/** The receiver's traces URL (`EMULATOR_URL` is set by lib/compare.mjs `runClient`). */
export const ENDPOINT = `${process.env.EMULATOR_URL}/v1/traces`

if (!Number.isInteger(SPANS / SPANS_PER_TREE) || SPANS <= 0) throw new Error(`SPANS must be a positive multiple of ${SPANS_PER_TREE}`)
if (!Number.isInteger(YIELD_EVERY / SPANS_PER_TREE)) throw new Error(`YIELD_EVERY must be a multiple of ${SPANS_PER_TREE}`)

const yieldNow = () => new Promise((resolve) => setImmediate(resolve))
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const sum = (values) => values.reduce((a, b) => a + b, 0)

/**
 * Runs the spans through `runChunk(fromTree, trees)` (synchronous, or a
 * promise awaited inside the clocks: an Effect app's `runPromise`), then
 * `flush()` (the exporter's own API, awaited), and prints the figures as the
 * last JSON line. `extra()` adds figures of the exporter's own (its counters).
 * `noopChunk` (steady mode, NOOP_SPANS > 0): the same chunks afterwards under
 * a tracer that does nothing, so the caller's figure can be split into the
 * app's framework (Effect's span machinery) and the exporter's share.
 */
export const measure = async ({ runChunk, flush, extra, noopChunk }) => {
  const chunkTrees = MODE === "burst" ? SPANS / SPANS_PER_TREE : YIELD_EVERY / SPANS_PER_TREE
  const chunkSpans = chunkTrees * SPANS_PER_TREE
  const cpuPerSpan = []
  const gc = gcClock()
  let peakHeapMb = 0
  const sampler = setInterval(() => { peakHeapMb = Math.max(peakHeapMb, process.memoryUsage().heapUsed / 2 ** 20) }, 100)
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  for (let from = 0; from < SPANS / SPANS_PER_TREE; from += chunkTrees) {
    const chunkCpu = process.cpuUsage()
    const chunkStarted = performance.now()
    const pending = runChunk(from, chunkTrees)
    if (pending !== undefined) await pending
    const chunkEnded = performance.now()
    const used = process.cpuUsage(chunkCpu)
    gc.window(chunkStarted, chunkEnded)
    cpuPerSpan.push((used.user + used.system) / chunkSpans)
    if (MODE === "steady") await yieldNow()
  }
  const emitted = performance.now()
  await flush()
  const finished = performance.now()
  const cpu = process.cpuUsage(cpuBefore)
  clearInterval(sampler)
  await yieldNow()
  const gcMs = gc.inside()
  gc.stop()
  const noopSpans = Number(process.env.NOOP_SPANS ?? 10_000)
  const noop = []
  if (noopChunk !== undefined && MODE === "steady" && noopSpans > 0) {
    for (let from = 0; from < noopSpans / SPANS_PER_TREE; from += chunkTrees) {
      const chunkCpu = process.cpuUsage()
      const pending = noopChunk(from, chunkTrees)
      if (pending !== undefined) await pending
      const used = process.cpuUsage(chunkCpu)
      noop.push((used.user + used.system) / chunkSpans)
      await yieldNow()
    }
  }
  console.log(JSON.stringify({
    mode: MODE,
    emitted: SPANS,
    callerCpuUsPerSpan: sum(cpuPerSpan) / cpuPerSpan.length,
    callerCpuUsPerSpanMedian: median(cpuPerSpan),
    callerGcUsPerSpan: gcMs * 1000 / SPANS,
    emitMs: emitted - started,
    flushMs: finished - emitted,
    endToEndMs: finished - started,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapMb,
    ...(noop.length === 0 ? {} : { noopCpuUsPerSpan: sum(noop) / noop.length, noopCpuUsPerSpanMedian: median(noop) }),
    ...(extra === undefined ? {} : await extra())
  }))
}
