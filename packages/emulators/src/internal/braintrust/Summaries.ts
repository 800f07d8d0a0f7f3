/**
 * Experiment and dataset summaries (§2.4 summarize, §2.8 response shapes, §6.3).
 *
 * Scores are aggregated per trace (the mean of a score's values over all rows of the trace, so scores may sit on
 * the root or on scorer spans) and then averaged over traces. Traces are matched with the comparison experiment by
 * the project's `comparison_key` (default `input`) of their root row, compared as canonical JSON. For each score:
 * `diff` = mean(this) − mean(comparison), `improvements` / `regressions` = matched traces whose value went up /
 * down. Metrics: `duration` (root `metrics.end − metrics.start`, seconds) and token counts summed over the trace;
 * for metrics lower is better, so an improvement is a decrease.
 */
import { canonicalJson, getPath, isPlainObject, type JsonObject } from "../Json.js"
import type { BraintrustDeps } from "./Context.js"
import type { ObjectRecord } from "./Store.js"

const EPSILON = 1e-12

interface TraceFacts {
  readonly key: string
  readonly scores: Map<string, number>
  readonly metrics: Map<string, number>
}

const mean = (values: ReadonlyArray<number>): number => values.reduce((a, b) => a + b, 0) / values.length

const TOKEN_METRICS: ReadonlyArray<readonly [string, string]> = [
  ["prompt_tokens", "prompt_tokens"],
  ["completion_tokens", "completion_tokens"],
  ["tokens", "total_tokens"]
]

export const urls = (deps: BraintrustDeps, projectName: string): { project: string } => ({
  project: `${deps.appUrl}/app/${encodeURIComponent(deps.store.org.name)}/p/${encodeURIComponent(projectName)}`
})

const comparisonKeyOf = (deps: BraintrustDeps, projectId: string): string => {
  const settings = deps.store.projects.get(projectId)?.data["settings"]
  const key = isPlainObject(settings) ? settings["comparison_key"] : undefined
  return typeof key === "string" && /^[A-Za-z_][\w.]*$/.test(key) ? key : "input"
}

const traceFacts = (deps: BraintrustDeps, experiment: ObjectRecord): Array<TraceFacts> => {
  const container = deps.store.containers.get(`experiment:${experiment.id}`)
  if (!container) return []
  const keyPath = comparisonKeyOf(deps, String(experiment.data["project_id"]))
  const byTrace = new Map<string, Array<JsonObject>>()
  for (const { row } of deps.store.liveRows(container)) {
    const root = String(row["root_span_id"])
    const rows = byTrace.get(root) ?? []
    rows.push(row)
    byTrace.set(root, rows)
  }
  const facts: Array<TraceFacts> = []
  for (const rows of byTrace.values()) {
    const root = rows.find((r) => !Array.isArray(r["span_parents"]) || (r["span_parents"] as Array<unknown>).length === 0) ??
      rows[0]!
    const scoreValues = new Map<string, Array<number>>()
    for (const row of rows) {
      const scores = row["scores"]
      if (!isPlainObject(scores)) continue
      for (const [name, value] of Object.entries(scores)) {
        if (typeof value !== "number") continue
        const list = scoreValues.get(name) ?? []
        list.push(value)
        scoreValues.set(name, list)
      }
    }
    const scores = new Map([...scoreValues].map(([name, values]) => [name, mean(values)] as const))
    const metrics = new Map<string, number>()
    const rootMetrics = root["metrics"]
    if (isPlainObject(rootMetrics) && typeof rootMetrics["start"] === "number" && typeof rootMetrics["end"] === "number") {
      metrics.set("duration", rootMetrics["end"] - rootMetrics["start"])
    }
    for (const [field, name] of TOKEN_METRICS) {
      let total = 0
      let seen = false
      for (const row of rows) {
        const m = row["metrics"]
        if (isPlainObject(m) && typeof m[field] === "number") {
          total += m[field]
          seen = true
        }
      }
      if (seen) metrics.set(name, total)
    }
    facts.push({ key: canonicalJson(getPath(root, keyPath)), scores, metrics })
  }
  return facts
}

interface Aggregate {
  readonly mean: number
  readonly byKey: Map<string, number>
}

const aggregate = (facts: ReadonlyArray<TraceFacts>, pick: (f: TraceFacts) => Map<string, number>): Map<string, Aggregate> => {
  const values = new Map<string, { all: Array<number>; byKey: Map<string, Array<number>> }>()
  for (const fact of facts) {
    for (const [name, value] of pick(fact)) {
      const entry = values.get(name) ?? { all: [] as Array<number>, byKey: new Map<string, Array<number>>() }
      entry.all.push(value)
      const keyed: Array<number> = entry.byKey.get(fact.key) ?? []
      keyed.push(value)
      entry.byKey.set(fact.key, keyed)
      values.set(name, entry)
    }
  }
  return new Map(
    [...values].map(([name, v]) => [
      name,
      { mean: mean(v.all), byKey: new Map([...v.byKey].map(([k, list]) => [k, mean(list)] as const)) }
    ] as const)
  )
}

const compare = (
  current: Aggregate,
  base: Aggregate | undefined,
  higherIsBetter: boolean
): { diff?: number; improvements: number; regressions: number } => {
  if (!base) return { improvements: 0, regressions: 0 }
  let improvements = 0
  let regressions = 0
  for (const [key, value] of current.byKey) {
    const before = base.byKey.get(key)
    if (before === undefined) continue
    const delta = higherIsBetter ? value - before : before - value
    if (delta > EPSILON) improvements++
    else if (delta < -EPSILON) regressions++
  }
  return { diff: current.mean - base.mean, improvements, regressions }
}

const clampUnit = (x: number): number => Math.min(1, Math.max(0, x))
const clampDiff = (x: number): number => Math.min(1, Math.max(-1, x))

/** The experiment to compare against: explicit id, then `base_exp_id`, then the newest older experiment. */
export const resolveComparison = (
  deps: BraintrustDeps,
  experiment: ObjectRecord,
  comparisonId: string | undefined
): ObjectRecord | undefined => {
  const { store } = deps
  if (comparisonId !== undefined) return store.experiments.get(comparisonId)
  const baseId = experiment.data["base_exp_id"]
  if (typeof baseId === "string") {
    const base = store.liveExperiment(baseId)
    if (base) return base
  }
  let best: ObjectRecord | undefined
  for (const other of store.experiments.values()) {
    if (other.deleted || other.id === experiment.id) continue
    if (other.data["project_id"] !== experiment.data["project_id"] || other.seq > experiment.seq) continue
    if (!best || other.seq > best.seq) best = other
  }
  return best
}

export const summarizeExperiment = (
  deps: BraintrustDeps,
  experiment: ObjectRecord,
  options: { readonly summarizeScores: boolean; readonly comparisonId?: string }
): JsonObject => {
  const project = deps.store.projects.get(String(experiment.data["project_id"]))
  const projectName = String(project?.data["name"] ?? "")
  const experimentName = String(experiment.data["name"])
  const projectUrl = urls(deps, projectName).project
  const base: JsonObject = {
    project_name: projectName,
    experiment_name: experimentName,
    project_url: projectUrl,
    experiment_url: `${projectUrl}/experiments/${encodeURIComponent(experimentName)}`
  }
  if (!options.summarizeScores) return base
  const comparison = resolveComparison(deps, experiment, options.comparisonId)
  const currentFacts = traceFacts(deps, experiment)
  const baseFacts = comparison ? traceFacts(deps, comparison) : []
  const currentScores = aggregate(currentFacts, (f) => f.scores)
  const baseScores = aggregate(baseFacts, (f) => f.scores)
  const currentMetrics = aggregate(currentFacts, (f) => f.metrics)
  const baseMetrics = aggregate(baseFacts, (f) => f.metrics)
  const scores: JsonObject = {}
  for (const name of [...currentScores.keys()].sort()) {
    const agg = currentScores.get(name)!
    const { diff, ...counts } = compare(agg, baseScores.get(name), true)
    scores[name] = {
      name,
      score: clampUnit(agg.mean),
      ...(diff !== undefined ? { diff: clampDiff(diff) } : {}),
      ...counts
    }
  }
  const metrics: JsonObject = {}
  for (const name of [...currentMetrics.keys()].sort()) {
    const agg = currentMetrics.get(name)!
    const { diff, ...counts } = compare(agg, baseMetrics.get(name), false)
    metrics[name] = {
      name,
      metric: agg.mean,
      unit: name === "duration" ? "s" : "tok",
      ...(diff !== undefined ? { diff } : {}),
      ...counts
    }
  }
  return {
    ...base,
    ...(comparison ? { comparison_experiment_name: String(comparison.data["name"]) } : {}),
    scores,
    metrics
  }
}

export const summarizeDataset = (
  deps: BraintrustDeps,
  dataset: ObjectRecord,
  options: { readonly summarizeData: boolean }
): JsonObject => {
  const project = deps.store.projects.get(String(dataset.data["project_id"]))
  const projectName = String(project?.data["name"] ?? "")
  const datasetName = String(dataset.data["name"])
  const projectUrl = urls(deps, projectName).project
  const container = deps.store.containers.get(`dataset:${dataset.id}`)
  return {
    project_name: projectName,
    dataset_name: datasetName,
    project_url: projectUrl,
    dataset_url: `${projectUrl}/datasets/${encodeURIComponent(datasetName)}`,
    ...(options.summarizeData
      ? { data_summary: { total_records: container ? deps.store.liveRows(container).length : 0 } }
      : {})
  }
}
