// The official SDK (braintrust 3.35.0) against the Braintrust emulator:
// `initLogger` + `traced` (lib/sdk-workload.mjs), then `logger.flush()`.
// MODE=steady: SPANS spans, the event loop yielding (setImmediate) every
// YIELD_EVERY spans; MODE=burst: SPANS spans without yielding. Same clocks as
// clients/tracing-promptops.mjs (wall and process CPU per chunk).
import { initLogger } from "braintrust"
import { gcClock } from "../lib/gc-clock.mjs"
import { sdkTree } from "../lib/sdk-workload.mjs"
import { SPANS_PER_TREE } from "../lib/workload.mjs"

const MODE = process.env.MODE ?? "steady"
const SPANS = Number(process.env.SPANS ?? 100_000)
const YIELD_EVERY = Number(process.env.YIELD_EVERY ?? 100)
const CHUNK_TREES = MODE === "burst" ? SPANS / SPANS_PER_TREE : YIELD_EVERY / SPANS_PER_TREE

// App URL and key from BRAINTRUST_APP_URL / BRAINTRUST_API_KEY (the emulator); API URL from its login answer.
const logger = initLogger({ projectName: "bench-tracing" })

const yieldNow = () => new Promise((resolve) => setImmediate(resolve))
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

const perSpan = []
const cpuPerSpan = []
const gc = gcClock()
let peakHeapMb = 0
const sampler = setInterval(() => { peakHeapMb = Math.max(peakHeapMb, process.memoryUsage().heapUsed / 2 ** 20) }, 100)
const cpuBefore = process.cpuUsage()
const started = performance.now()
for (let from = 0; from < SPANS / SPANS_PER_TREE; from += CHUNK_TREES) {
  const chunkCpu = process.cpuUsage()
  const chunkStarted = performance.now()
  for (let i = from; i < from + CHUNK_TREES; i++) sdkTree(logger, i)
  const chunkEnded = performance.now()
  const used = process.cpuUsage(chunkCpu)
  gc.window(chunkStarted, chunkEnded)
  perSpan.push((chunkEnded - chunkStarted) * 1000 / (CHUNK_TREES * SPANS_PER_TREE))
  cpuPerSpan.push((used.user + used.system) / (CHUNK_TREES * SPANS_PER_TREE))
  if (MODE === "steady") await yieldNow()
}
const emitted = performance.now()
await logger.flush()
const finished = performance.now()
const cpu = process.cpuUsage(cpuBefore)
clearInterval(sampler)
await yieldNow()
const gcMs = gc.inside()
gc.stop()

console.log(JSON.stringify({
  emitted: SPANS,
  callerUsPerSpan: perSpan.reduce((a, b) => a + b, 0) / perSpan.length,
  callerUsPerSpanMedian: median(perSpan),
  callerCpuUsPerSpan: cpuPerSpan.reduce((a, b) => a + b, 0) / cpuPerSpan.length,
  callerCpuUsPerSpanMedian: median(cpuPerSpan),
  callerGcUsPerSpan: gcMs * 1000 / SPANS,
  emitMs: emitted - started,
  endToEndMs: finished - started,
  cpuMs: (cpu.user + cpu.system) / 1000,
  peakRssMb: process.resourceUsage().maxRSS / 1024,
  peakHeapMb
}))
// The SDK's exit flush would find nothing left; exit now rather than wait for its timers.
process.exit(0)
