// The official SDK's `Eval()` against the emulator: CASES cases × a 5 ms task
// (setTimeout), maxConcurrency 100, one scorer, results not kept in memory
// (as promptops' run). `Eval` resolves after its summary, which flushes every
// row to the emulator first.
import { Eval } from "braintrust"

const CASES = Number(process.env.CASES ?? 10_000)
const TASK_MS = 5

const data = Array.from({ length: CASES }, (_, i) => ({ input: { question: `q${i}` }, expected: `a${i}` }))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const cpuBefore = process.cpuUsage()
const started = performance.now()
const result = await Eval("bench-eval", {
  experimentName: "bench-eval",
  data: () => data,
  task: async (input) => {
    await sleep(TASK_MS)
    return `a${input.question.slice(1)}`
  },
  scores: [({ expected, output }) => ({ name: "exact", score: output === expected ? 1 : 0 })],
  maxConcurrency: 100
}, { returnResults: false })
const wall = performance.now() - started
const cpu = process.cpuUsage(cpuBefore)
if (result.summary.scores.exact?.score !== 1) throw new Error(`unexpected summary: ${JSON.stringify(result.summary)}`)
console.log(JSON.stringify({
  experimentId: result.summary.experimentId,
  wallS: wall / 1000,
  cpuS: (cpu.user + cpu.system) / 1e6,
  cases: CASES,
  peakRssMb: process.resourceUsage().maxRSS / 1024
}))
process.exit(0)
