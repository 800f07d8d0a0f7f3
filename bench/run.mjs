// Runs every workload in its own process, several times, and prints the median
// of each metric next to its budget. Each workload prints one JSON line:
//   {"metrics": {"name": number, ...}}
// and declares its budgets in `workloads/<name>.budget.json`. Workloads that
// compare promptops with the official SDK also declare `compare` rows (a
// promptops metric, the SDK's, which is better); they make the side-by-side
// table and the chart (chart.svg, drawn here without dependencies).
import { execFile } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { cpus, loadavg, totalmem } from "node:os"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { workloads } from "./workloads/index.mjs"

const here = fileURLToPath(new URL(".", import.meta.url))
const runs = Number(process.env.BENCH_RUNS ?? 3)
const only = process.argv.slice(2)
const run = promisify(execFile)

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const format = (value) =>
  value === undefined || Number.isNaN(value)
    ? "—"
    : !Number.isFinite(value)
    ? "∞"
    : Math.abs(value) >= 100
    ? value.toFixed(0)
    : Math.abs(value) >= 1
    ? value.toFixed(2)
    : value === 0
    ? "0"
    : value.toPrecision(3)

const verdictOf = (budget, value) =>
  budget === undefined
    ? ""
    : budget.max !== undefined
    ? (value <= budget.max ? `✅ ≤ ${budget.max}` : `❌ > ${budget.max}`)
    : (value >= budget.min ? `✅ ≥ ${budget.min}` : `❌ < ${budget.min}`)

const benchStarted = performance.now()
const loadBefore = loadavg()
const rows = []
const medians = {}
const failures = []
for (const workload of workloads) {
  if (only.length > 0 && !only.includes(workload.name)) continue
  const samples = {}
  const started = performance.now()
  for (let i = 0; i < runs; i++) {
    try {
      const { stdout } = await run(process.execPath, ["--expose-gc", ...(workload.nodeArgs ?? []), workload.file], {
        cwd: here,
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, ...workload.env }
      })
      const line = stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1)
      const { metrics } = JSON.parse(line)
      for (const [name, value] of Object.entries(metrics)) {
        if (typeof value === "number") (samples[name] ??= []).push(value)
      }
    } catch (error) {
      failures.push({ workload: workload.name, run: i + 1, message: String(error.stderr ?? error.message).slice(-2000) })
      console.error(`${workload.name} run ${i + 1} failed:\n${String(error.stderr ?? error.message).slice(-2000)}`)
    }
  }
  console.error(`${workload.name}: ${((performance.now() - started) / 1000).toFixed(0)} s for ${runs} runs`)
  medians[workload.name] = {}
  for (const [name, values] of Object.entries(samples)) {
    const value = median(values)
    medians[workload.name][name] = value
    rows.push({
      workload: workload.name,
      metric: name,
      value,
      verdict: verdictOf(workload.budgets?.[name], value),
      unit: workload.units?.[name] ?? ""
    })
  }
}
const benchSeconds = (performance.now() - benchStarted) / 1000
const loadAfter = loadavg()

// --- promptops vs the SDK ---------------------------------------------------------

/** How many times better promptops is (> 1: promptops wins), or undefined when it means nothing. */
const advantage = (ours, sdk, better) => {
  if (ours === undefined || sdk === undefined) return undefined
  if (ours === 0 && sdk === 0) return undefined
  const ratio = better === "lower" ? sdk / ours : ours / sdk
  return Number.isFinite(ratio) ? ratio : Infinity
}

const comparisons = []
for (const workload of workloads) {
  const values = medians[workload.name]
  if (values === undefined) continue
  for (const entry of workload.compare ?? []) {
    const ours = values[entry.ours]
    const sdk = entry.sdk === undefined ? undefined : values[entry.sdk]
    const verdictMetric = entry.verdict
    comparisons.push({
      ...entry,
      workload: workload.name,
      oursValue: ours,
      sdkValue: sdk,
      ratio: advantage(ours, sdk, entry.better),
      verdict: verdictMetric === undefined || values[verdictMetric] === undefined
        ? ""
        : `${verdictOf(workload.budgets?.[verdictMetric], values[verdictMetric])}${
          verdictMetric === entry.ours ? "" : ` (${verdictMetric} ${format(values[verdictMetric])})`
        }`
    })
  }
}

// --- the chart ----------------------------------------------------------------------

const escapeXml = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/`/g, "")

/**
 * Two panels (throughput: higher is better; peak memory: lower is better), a
 * pair of bars per row (promptops, SDK), each row scaled to its larger value
 * (units differ between rows), the values printed beside the bars.
 */
const chartSvg = (entries) => {
  const panels = [
    { key: "throughput", title: "Throughput (higher is better)" },
    { key: "memory", title: "Peak RSS of the client process (lower is better)" }
  ].map((panel) => ({ ...panel, rows: entries.filter((e) => e.chart === panel.key && e.oursValue !== undefined) }))
  const width = 960
  const labelWidth = 330
  const barMax = 470
  const barHeight = 14
  const rowHeight = 2 * barHeight + 18
  const colors = { ours: "#2f6db5", sdk: "#d4792a" }
  const parts = []
  let y = 20
  parts.push(`<text x="16" y="${y + 4}" font-size="16" font-weight="bold">promptops vs braintrust SDK 3.35.0 (same loopback emulator)</text>`)
  y += 22
  parts.push(`<rect x="16" y="${y}" width="12" height="12" fill="${colors.ours}"/><text x="34" y="${y + 11}">promptops</text>`)
  parts.push(`<rect x="130" y="${y}" width="12" height="12" fill="${colors.sdk}"/><text x="148" y="${y + 11}">braintrust SDK</text>`)
  y += 24
  for (const panel of panels) {
    if (panel.rows.length === 0) continue
    y += 10
    parts.push(`<text x="16" y="${y + 12}" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`)
    y += 24
    for (const row of panel.rows) {
      const top = Math.max(row.oursValue ?? 0, row.sdkValue ?? 0) || 1
      parts.push(`<text x="16" y="${y + barHeight + 4}">${escapeXml(row.label)}</text>`)
      const bars = [["ours", row.oursValue], ["sdk", row.sdkValue]]
      bars.forEach(([side, value], i) => {
        if (value === undefined) return
        const w = Math.max(1, (value / top) * barMax)
        const by = y + i * (barHeight + 2)
        parts.push(`<rect x="${labelWidth}" y="${by}" width="${w.toFixed(1)}" height="${barHeight}" fill="${colors[side]}"/>`)
        parts.push(`<text x="${(labelWidth + w + 6).toFixed(1)}" y="${by + barHeight - 3}">${escapeXml(`${format(value)} ${row.unit}`)}</text>`)
      })
      y += rowHeight
    }
  }
  const height = y + 10
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...parts,
    `</svg>`
  ].join("\n")
}

// --- the report ---------------------------------------------------------------------

const sdkVersion = (() => {
  try {
    return JSON.parse(readFileSync(new URL("../node_modules/braintrust/package.json", import.meta.url), "utf8")).version
  } catch {
    return "?"
  }
})()

const machine = `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
  `Node ${process.version}, load average ${loadBefore[0].toFixed(1)} at the start and ${loadAfter[0].toFixed(1)} at the end ` +
  `(shared machine). Median of ${runs} runs, each workload in its own process; the whole run took ${
    (benchSeconds / 60).toFixed(1)
  } min.`

const table = [
  `| workload | metric | median | unit | budget |`,
  `|---|---|---:|---|---|`,
  ...rows.map((r) => `| ${r.workload} | ${r.metric} | ${format(r.value)} | ${r.unit} | ${r.verdict} |`)
]

const comparisonTable = comparisons.length === 0 ? [] : [
  ``,
  `## promptops vs the official SDK (braintrust ${sdkVersion})`,
  ``,
  `Same loopback Braintrust emulator (packages/emulators), each side in its own process. ` +
  `"promptops ×" is how many times better promptops is on that row (> 1: promptops wins), from the two medians; ` +
  `a budgeted ratio (in parentheses) is the median of the per-run ratios. Caller time is process CPU per chunk of ` +
  `100 spans (on a shared machine, wall time also counts other processes' turns; wall figures are in the full table).`,
  ``,
  `![throughput and memory, both sides](chart.svg)`,
  ``,
  `| measure | promptops | SDK ${sdkVersion} | unit | promptops × | budget |`,
  `|---|---:|---:|---|---:|---|`,
  ...comparisons.map((c) =>
    `| ${c.label} | ${format(c.oursValue)} | ${format(c.sdkValue)} | ${c.unit} | ${
      c.ratio === undefined ? "—" : format(c.ratio)
    } | ${c.verdict} |`
  )
]

// A target the run misses is shown with its explanation: the `missed` texts of
// the workload's budget file (what a profile showed, and why it stays), so the
// reason travels with the figures rather than in someone's notes.
const missed = rows.filter((r) => r.verdict.startsWith("❌"))
const missedLines = missed.length === 0 ? [] : [
  ``,
  `## Targets missed, explained`,
  ``,
  ...missed.map((r) => {
    const why = workloads.find((w) => w.name === r.workload)?.missed?.[r.metric]
    return `- **${r.workload} / ${r.metric}** = ${format(r.value)} (${r.verdict.slice(2)}): ${
      why ?? "not explained yet: profile it (`node --cpu-prof`) and say why in the workload's budget file."
    }`
  })
]

const failureLines = failures.length === 0 ? [] : [
  ``,
  `## Failed runs`,
  ``,
  ...failures.map((f) => `- ${f.workload} run ${f.run}: \`${f.message.split("\n").filter(Boolean).at(-1) ?? ""}\``)
]

const report = [
  `# promptops benchmarks`,
  ``,
  machine,
  ...comparisonTable,
  ``,
  `## Every metric`,
  ``,
  ...table,
  ...missedLines,
  ...failureLines
].join("\n")
console.log(report)
// A partial run prints only, unless BENCH_WRITE=1.
if (only.length === 0 || process.env.BENCH_WRITE === "1") {
  writeFileSync(new URL("./RESULTS.md", import.meta.url), report + "\n")
  if (comparisons.length > 0) writeFileSync(new URL("./chart.svg", import.meta.url), chartSvg(comparisons) + "\n")
}
if (failures.length > 0) process.exitCode = 1
