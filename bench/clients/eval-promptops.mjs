// promptops `Eval.run` with the Braintrust layer against the emulator:
// CASES cases × a 5 ms task (`Effect.sleep`), concurrency 100, one scorer; the
// experiment, its results and every span (eval → task → scorer) go to the
// emulator. wall = the run plus `Tracing.flush` (everything delivered).
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Braintrust from "@promptops/braintrust/Braintrust"
import * as Eval from "@promptops/core/Eval"
import * as Tracing from "@promptops/core/Tracing"
import { Effect, Layer, Redacted } from "effect"

const CASES = Number(process.env.CASES ?? 10_000)
const CONCURRENCY = 100
const TASK_MS = 5

const backend = Braintrust.layer({
  apiKey: Redacted.make(process.env.BRAINTRUST_API_KEY),
  apiUrl: process.env.EMULATOR_URL,
  project: "bench-eval"
}).pipe(Layer.provide(FetchHttpClient.layer))

const data = Array.from({ length: CASES }, (_, i) => ({ id: `case-${i}`, input: { question: `q${i}` }, expected: `a${i}` }))

const program = Effect.gen(function*() {
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  const { experiment, summary } = yield* Eval.run({
    name: "bench-eval",
    data,
    task: (input) => Effect.as(Effect.sleep(`${TASK_MS} millis`), `a${input.question.slice(1)}`),
    scorers: [Eval.scorer("exact", ({ expected, output }) => (output === expected ? 1 : 0))],
    concurrency: CONCURRENCY,
    returnResults: false
  })
  const ran = performance.now()
  yield* Tracing.flush
  const flushed = performance.now()
  const cpu = process.cpuUsage(cpuBefore)
  if (summary.results !== CASES || summary.scores.exact.mean !== 1) throw new Error(`unexpected summary: ${JSON.stringify(summary)}`)
  const stats = yield* Tracing.stats
  return {
    experimentId: experiment.id,
    runS: (ran - started) / 1000,
    wallS: (flushed - started) / 1000,
    cpuS: (cpu.user + cpu.system) / 1e6,
    exported: stats.exported,
    dropped: Object.values(stats.dropped).reduce((a, b) => a + b, 0)
  }
})

const result = await Effect.runPromise(Effect.provide(program, Layer.provideMerge(Tracing.layer(), backend)))
console.log(JSON.stringify({ ...result, cases: CASES, peakRssMb: process.resourceUsage().maxRSS / 1024 }))
