// Runs every workload in its own process, several times, and prints the median
// of each metric next to its budget. Each workload prints one JSON line:
//   {"metrics": {"name": number, ...}}
// and declares its budgets in `workloads/index.mjs`.
import { execFileSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { fileURLToPath } from "node:url"
import { workloads } from "./workloads/index.mjs"

const here = fileURLToPath(new URL(".", import.meta.url))
const runs = Number(process.env.BENCH_RUNS ?? 3)
const only = process.argv.slice(2)

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const format = (value) =>
  Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(3)

const rows = []
for (const workload of workloads) {
  if (only.length > 0 && !only.includes(workload.name)) continue
  const samples = {}
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ["--expose-gc", ...(workload.nodeArgs ?? []), workload.file], {
      cwd: here,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, ...workload.env }
    })
    const line = out.trim().split("\n").filter((l) => l.startsWith("{")).at(-1)
    const { metrics } = JSON.parse(line)
    for (const [name, value] of Object.entries(metrics)) (samples[name] ??= []).push(value)
  }
  for (const [name, values] of Object.entries(samples)) {
    const budget = workload.budgets?.[name]
    const value = median(values)
    const verdict = budget === undefined ? "" : budget.max !== undefined
      ? (value <= budget.max ? `✅ ≤ ${budget.max}` : `❌ > ${budget.max}`)
      : (value >= budget.min ? `✅ ≥ ${budget.min}` : `❌ < ${budget.min}`)
    rows.push({ workload: workload.name, metric: name, value, verdict, unit: workload.units?.[name] ?? "" })
  }
}

const header = [
  `# promptops benchmarks`,
  ``,
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}. ` +
  `Median of ${runs} runs, each workload in its own process.`,
  ``,
  `| workload | metric | median | unit | budget |`,
  `|---|---|---:|---|---|`
]
const table = [...header, ...rows.map((r) => `| ${r.workload} | ${r.metric} | ${format(r.value)} | ${r.unit} | ${r.verdict} |`)]
  .join("\n")
console.log(table)
if (only.length === 0) writeFileSync(new URL("./RESULTS.md", import.meta.url), table + "\n")
