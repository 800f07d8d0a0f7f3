// Tracing, promptops vs the official SDK (braintrust 3.35.0), on the same
// loopback Braintrust emulator (DESIGN.md §7: ≤ 5 µs of caller time per span,
// ≥ 10× the SDK's end-to-end throughput with zero loss, peak RSS ≤ 150 MB for
// 100,000 spans).
//
// Every scenario gets a fresh emulator in this process and a client in its own
// process (clients/*.mjs); afterwards the spans the emulator holds are counted,
// de-duplicated by span id (the SDK writes a span as a start row and a merge).
//   steady: 100,000 spans, the event loop yielding every 100 spans;
//   burst:  20,000 spans without yielding, then a flush.
// promptops runs twice: as an Effect app (`Effect.withSpan`, Effect's span
// machinery included: what an app pays) and through the tracer API directly
// (what promptops alone costs: the figure the 10× goal is budgeted on, as in
// tracing-throughput). The SDK runs `initLogger` + nested `traced`.
// Caller time is process CPU time per chunk of 100 spans (median over chunks):
// on a shared machine the wall time of a chunk also counts the moments the OS
// ran another process; wall-time figures are reported beside it.
// `emulator_ceiling_spans_per_s` is the emulator's own limit on this machine:
// no client can deliver more.
import { scenario } from "../lib/compare.mjs"

const STEADY = Number(process.env.TRACING_SPANS ?? 100_000)
const BURST = 20_000

const ours = (api, mode, spans) => scenario("clients/tracing-promptops.mjs", { API: api, MODE: mode, SPANS: String(spans) })
const sdk = (mode, spans) => scenario("clients/tracing-sdk.mjs", { MODE: mode, SPANS: String(spans) })

const perSecond = (r) => r.delivered / (r.endToEndMs / 1000)
const lost = (r) => r.emitted - r.delivered

const effectSteady = await ours("effect", "steady", STEADY)
const directSteady = await ours("direct", "steady", STEADY)
const sdkSteady = await sdk("steady", STEADY)
const effectBurst = await ours("effect", "burst", BURST)
const directBurst = await ours("direct", "burst", BURST)
const sdkBurst = await sdk("burst", BURST)
const ceiling = await scenario("clients/emulator-ceiling.mjs", { SPANS: "20000" })
// The export path's floor (issue 12): the same rows JSON-encoded and written one request per batch of 100,
// through plain node:http, and through each HTTP client promptops could use.
const floor = {}
for (const http of ["node", "fetch", "effect-fetch", "effect-node"]) {
  floor[http] = await scenario("clients/export-floor.mjs", { HTTP: http, SPANS: String(Math.min(STEADY, 50_000)) })
}

console.log(JSON.stringify({
  metrics: {
    // Caller time per span, steady: process CPU per chunk (the budget), and wall time.
    promptops_added_us_per_span: effectSteady.addedCpuUsPerSpan,
    promptops_effect_us_per_span: effectSteady.callerCpuUsPerSpanMedian,
    effect_noop_us_per_span: effectSteady.noopCpuUsPerSpanMedian,
    promptops_direct_us_per_span: directSteady.callerCpuUsPerSpanMedian,
    sdk_us_per_span: sdkSteady.callerCpuUsPerSpanMedian,
    promptops_effect_gc_us_per_span: effectSteady.callerGcUsPerSpan,
    sdk_gc_us_per_span: sdkSteady.callerGcUsPerSpan,
    promptops_added_wall_us_per_span: effectSteady.addedUsPerSpan,
    promptops_effect_wall_us_per_span: effectSteady.callerUsPerSpanMedian,
    promptops_direct_wall_us_per_span: directSteady.callerUsPerSpanMedian,
    sdk_wall_us_per_span: sdkSteady.callerUsPerSpanMedian,
    // End-to-end throughput, steady.
    promptops_effect_spans_per_s: perSecond(effectSteady),
    promptops_direct_spans_per_s: perSecond(directSteady),
    sdk_spans_per_s: perSecond(sdkSteady),
    direct_vs_sdk_throughput: perSecond(directSteady) / perSecond(sdkSteady),
    effect_vs_sdk_throughput: perSecond(effectSteady) / perSecond(sdkSteady),
    emulator_ceiling_spans_per_s: ceiling.spansPerS,
    // Delivered vs emitted.
    promptops_lost: lost(effectSteady) + lost(directSteady),
    sdk_lost: lost(sdkSteady),
    // Burst.
    promptops_burst_lost: lost(effectBurst) + lost(directBurst),
    sdk_burst_lost: lost(sdkBurst),
    promptops_effect_burst_us_per_span: effectBurst.callerCpuUsPerSpan,
    promptops_direct_burst_us_per_span: directBurst.callerCpuUsPerSpan,
    sdk_burst_us_per_span: sdkBurst.callerCpuUsPerSpan,
    promptops_effect_burst_spans_per_s: perSecond(effectBurst),
    promptops_direct_burst_spans_per_s: perSecond(directBurst),
    sdk_burst_spans_per_s: perSecond(sdkBurst),
    // Peak RSS of the client process.
    promptops_effect_peak_rss_mb: effectSteady.peakRssMb,
    promptops_direct_peak_rss_mb: directSteady.peakRssMb,
    sdk_peak_rss_mb: sdkSteady.peakRssMb,
    promptops_effect_burst_peak_rss_mb: effectBurst.peakRssMb,
    promptops_direct_burst_peak_rss_mb: directBurst.peakRssMb,
    sdk_burst_peak_rss_mb: sdkBurst.peakRssMb,
    promptops_effect_peak_heap_mb: effectSteady.peakHeapMb,
    sdk_peak_heap_mb: sdkSteady.peakHeapMb,
    promptops_effect_peak_pending: effectSteady.peakPending,
    promptops_direct_peak_pending: directSteady.peakPending,
    // Client CPU per delivered span (both sides pay their exporter here).
    promptops_effect_cpu_us_per_span: effectSteady.cpuMs * 1000 / effectSteady.delivered,
    promptops_direct_cpu_us_per_span: directSteady.cpuMs * 1000 / directSteady.delivered,
    sdk_cpu_us_per_span: sdkSteady.cpuMs * 1000 / sdkSteady.delivered,
    export_floor_node_cpu_us_per_span: floor.node.cpuUsPerSpan,
    export_floor_fetch_cpu_us_per_span: floor.fetch.cpuUsPerSpan,
    export_floor_effect_fetch_cpu_us_per_span: floor["effect-fetch"].cpuUsPerSpan,
    export_floor_effect_node_cpu_us_per_span: floor["effect-node"].cpuUsPerSpan,
    direct_vs_floor_cpu: (directSteady.cpuMs * 1000 / directSteady.delivered) / floor.node.cpuUsPerSpan,
    promptops_requests: directSteady.requests,
    sdk_requests: sdkSteady.requests
  }
}))
