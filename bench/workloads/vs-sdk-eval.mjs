// Evals, promptops vs the official SDK (DESIGN.md §7: eval efficiency ≥ 0.9,
// ≥ 10× faster than the SDK): 10,000 cases × a 5 ms task, concurrency 100,
// one scorer, the experiment sent to the loopback Braintrust emulator.
// promptops: `Eval.run` with `Braintrust.layer` and `Tracing.layer` (spans go
// to the experiment through the span sink); the SDK: `Eval()`. Each in its own
// process (clients/eval-*.mjs) with a fresh emulator; wall time runs until
// everything is delivered (promptops: the run plus `Tracing.flush`; the SDK's
// `Eval` flushes before it returns). Ideal: 10,000 / 100 × 5 ms = 0.5 s.
import { scenario } from "../lib/compare.mjs"

const CASES = Number(process.env.EVAL_CASES ?? 10_000)
const ideal = (CASES / 100) * 5 / 1000

/** Rows (distinct ids) the experiment holds at the emulator. */
const experimentRows = (emulator, result) => emulator.store.containers.get(`experiment:${result.experimentId}`)?.rows.size ?? 0

const ours = await scenario("clients/eval-promptops.mjs", { CASES: String(CASES) }, { inspect: experimentRows })
const sdk = await scenario("clients/eval-sdk.mjs", { CASES: String(CASES) }, { inspect: experimentRows })

console.log(JSON.stringify({
  metrics: {
    promptops_wall_s: ours.wallS,
    sdk_wall_s: sdk.wallS,
    ideal_s: ideal,
    promptops_efficiency: ideal / ours.wallS,
    sdk_efficiency: ideal / sdk.wallS,
    sdk_vs_promptops_wall: sdk.wallS / ours.wallS,
    promptops_cases_per_s: CASES / ours.wallS,
    sdk_cases_per_s: CASES / sdk.wallS,
    promptops_run_s: ours.runS,
    promptops_cpu_s: ours.cpuS,
    sdk_cpu_s: sdk.cpuS,
    promptops_cpu_us_per_case: ours.cpuS * 1e6 / CASES,
    sdk_cpu_us_per_case: sdk.cpuS * 1e6 / CASES,
    // The issue 12 target: promptops' client CPU per case at most 1/5 of the SDK's.
    sdk_vs_promptops_cpu: sdk.cpuS / ours.cpuS,
    promptops_peak_rss_mb: ours.peakRssMb,
    sdk_peak_rss_mb: sdk.peakRssMb,
    promptops_experiment_rows: ours.inspected,
    sdk_experiment_rows: sdk.inspected,
    promptops_spans_dropped: ours.dropped,
    promptops_emulator_cpu_s: ours.emulatorCpuMs / 1000,
    sdk_emulator_cpu_s: sdk.emulatorCpuMs / 1000
  }
}))
