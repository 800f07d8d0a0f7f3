// OTLP export (issue 14), three exporters side by side on the same spans and
// the same receiver: promptops (`Tracing.layer` + `@promptops/otlp`'s
// `OtlpSpanSink`), @effect/opentelemetry 0.64.1's own `OtlpTracer`, and the
// official OpenTelemetry JS SDK (sdk-trace-base 2.12.1 `BatchSpanProcessor` +
// exporter-trace-otlp-proto 0.223.1), all `http/protobuf`, all at their
// defaults. The receiver (clients/otlp-receiver.mjs) runs in a process of its
// own, so its decoding is not the clients' CPU; each client runs in its own
// process too (lib/otlp-client.mjs has the clocks). Spans: trees of 5
// (lib/workload.mjs), through `Effect.withSpan` for the two Effect exporters
// and the OTel API tracer for the SDK.
//   steady: SPANS spans, the event loop yielding every 100 → caller time, client CPU, RSS;
//   burst:  20,000 spans as fast as possible, then the exporter's own flush/shutdown → delivered, lost;
//   outage: steady, 10,000 spans, the receiver answering 503 (Retry-After: 1) for 2 s from the first export;
//   413:    steady, 10,000 spans, the receiver answering 413 to any body over 32 KiB (every exporter's full batch is bigger).
// Lost = spans emitted − distinct span ids the receiver accepted: exact.
import { otlpScenario, startReceiver } from "../lib/otlp-receiver.mjs"

const SPANS = Number(process.env.OTLP_SPANS ?? 20_000)
const BURST = Number(process.env.OTLP_BURST ?? 20_000)
const FAULT_SPANS = Number(process.env.OTLP_FAULT_SPANS ?? 10_000)
const OUTAGE_MS = Number(process.env.OTLP_OUTAGE_MS ?? 2_000)
const MAX_BYTES = Number(process.env.OTLP_MAX_BYTES ?? 32 * 1024)
const exporters = { promptops: "clients/otlp-promptops.mjs", effect: "clients/otlp-effect.mjs", sdk: "clients/otlp-sdk.mjs" }

const receiver = await startReceiver()
const results = {}
try {
  for (const [name, script] of Object.entries(exporters)) {
    results[name] = {
      steady: await otlpScenario(receiver, script, { MODE: "steady", SPANS: String(SPANS) }),
      burst: await otlpScenario(receiver, script, { MODE: "burst", SPANS: String(BURST) }),
      outage: await otlpScenario(receiver, script, { MODE: "steady", SPANS: String(FAULT_SPANS), NOOP_SPANS: "0" }, `outage:${OUTAGE_MS}`),
      tooLarge: await otlpScenario(receiver, script, { MODE: "steady", SPANS: String(FAULT_SPANS), NOOP_SPANS: "0" }, `max-bytes:${MAX_BYTES}`)
    }
  }
} finally {
  await receiver.close()
}

// None delivered: no figure (JSON has no ∞; run.mjs skips what is not a number).
const cpuPerDelivered = (r) => (r.delivered === 0 ? null : r.cpuMs * 1000 / r.delivered)
const metrics = {}
for (const [name, r] of Object.entries(results)) {
  metrics[`${name}_caller_us_per_span`] = r.steady.callerCpuUsPerSpanMedian
  metrics[`${name}_caller_mean_us_per_span`] = r.steady.callerCpuUsPerSpan
  metrics[`${name}_cpu_us_per_span`] = cpuPerDelivered(r.steady)
  metrics[`${name}_peak_rss_mb`] = r.steady.peakRssMb
  metrics[`${name}_lost`] = r.steady.lost
  metrics[`${name}_requests`] = r.steady.received.requests
  metrics[`${name}_burst_delivered`] = r.burst.delivered
  metrics[`${name}_burst_lost`] = r.burst.lost
  metrics[`${name}_burst_cpu_us_per_span`] = cpuPerDelivered(r.burst)
  metrics[`${name}_burst_peak_rss_mb`] = r.burst.peakRssMb
  metrics[`${name}_burst_flush_ms`] = r.burst.flushMs
  metrics[`${name}_outage_lost`] = r.outage.lost
  metrics[`${name}_413_lost`] = r.tooLarge.lost
}
// Effect's own span machinery under a no-op tracer (same chunks, promptops' client): what any Effect exporter starts from.
metrics.effect_noop_us_per_span = results.promptops.steady.noopCpuUsPerSpanMedian
metrics.effect_noop_mean_us_per_span = results.promptops.steady.noopCpuUsPerSpan
// promptops against the better of the other two, per row (< 1: promptops ahead).
const best = (metric) => Math.min(metrics[`effect_${metric}`], metrics[`sdk_${metric}`])
metrics.caller_vs_best = metrics.promptops_caller_us_per_span / best("caller_us_per_span")
metrics.caller_vs_effect = metrics.promptops_caller_us_per_span / metrics.effect_caller_us_per_span
metrics.cpu_vs_best = metrics.promptops_cpu_us_per_span / best("cpu_us_per_span")
metrics.cpu_vs_effect = metrics.promptops_cpu_us_per_span / metrics.effect_cpu_us_per_span
metrics.rss_vs_best = metrics.promptops_peak_rss_mb / best("peak_rss_mb")
metrics.rss_vs_effect = metrics.promptops_peak_rss_mb / metrics.effect_peak_rss_mb
metrics.burst_rss_vs_best = metrics.promptops_burst_peak_rss_mb / best("burst_peak_rss_mb")
metrics.promptops_all_lost = metrics.promptops_lost + metrics.promptops_burst_lost + metrics.promptops_outage_lost +
  metrics.promptops_413_lost

console.log(JSON.stringify({ metrics, results: process.env.OTLP_VERBOSE === "1" ? results : undefined }))
