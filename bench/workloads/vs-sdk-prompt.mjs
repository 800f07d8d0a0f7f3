// Prompt fetch, promptops vs the official SDK: 10,000 gets of one prompt by
// slug, 50 callers at once, the emulator answering `GET /v1/prompt` after
// 50 ms (a `delay` fault). promptops: core's `PromptCache` (defaults) over the
// Braintrust `Prompts`; the SDK: `loadPrompt` with its cache (which it only
// reads when the server fails, so every call waits for the server). Each side
// in its own process with a fresh emulator; p50/p99 of the per-get latency.
import { percentile, scenario } from "../lib/compare.mjs"
import { seedPrompt } from "../lib/prompt-seed.mjs"

const GETS = Number(process.env.PROMPT_GETS ?? 10_000)
const LATENCY_MS = 50

const prepare = async (emulator) => {
  await seedPrompt(emulator)
  emulator.faults.delay(LATENCY_MS, { match: "GET /v1/prompt/**", times: Infinity })
}
const summary = (result) => {
  const sorted = [...result.latencies].sort((a, b) => a - b)
  if (sorted.length !== GETS) throw new Error(`expected ${GETS} gets, got ${sorted.length}`)
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1),
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    wallS: result.wallMs / 1000
  }
}
const promptRequests = (emulator) => emulator.requests.filter((r) => r.method === "GET" && r.path.startsWith("/v1/prompt")).length

const oursRaw = await scenario("clients/prompt-promptops.mjs", { GETS: String(GETS) }, { prepare, inspect: promptRequests })
const sdkRaw = await scenario("clients/prompt-sdk.mjs", { GETS: String(GETS) }, { prepare, inspect: promptRequests })
const ours = summary(oursRaw)
const sdk = summary(sdkRaw)

console.log(JSON.stringify({
  metrics: {
    promptops_p50_ms: ours.p50,
    sdk_p50_ms: sdk.p50,
    promptops_p99_ms: ours.p99,
    sdk_p99_ms: sdk.p99,
    promptops_mean_ms: ours.mean,
    sdk_mean_ms: sdk.mean,
    promptops_max_ms: ours.max,
    sdk_max_ms: sdk.max,
    promptops_wall_s: ours.wallS,
    sdk_wall_s: sdk.wallS,
    promptops_server_gets: oursRaw.inspected,
    sdk_server_gets: sdkRaw.inspected,
    promptops_peak_rss_mb: oursRaw.peakRssMb,
    sdk_peak_rss_mb: sdkRaw.peakRssMb
  }
}))
