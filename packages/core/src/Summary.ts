/**
 * Experiment summaries, computed locally from results: the mean of each score,
 * duration / token / cost metrics, and — given a baseline — per-score diffs with
 * improvements and regressions, matching cases on their case id.
 *
 * Trials of one case are averaged first, so a case counts once in a comparison.
 * With trials, each score also has a `spread`: how much a case's score varies
 * across its trials (the mean over cases of the population standard deviation).
 * A score the baseline has for a case that this run has (no value, or only
 * skips, or a failed task or scorer) is a `missing` score of that case and a
 * regression; a score name the baseline has and no result of this run has is
 * in `missingScores`. Both fail the regression gate (`hasRegressions`).
 *
 * @since 0.1.0
 */
import type { EvalResult, Experiment, ExperimentSummary, MetricSummary, ScoreSummary } from "./Experiment.js"
import * as Records from "./Records.js"
import * as TextTable from "./TextTable.js"

/**
 * What a vendor's own summary may add: extra scores or metrics it aggregates
 * server-side, its page url, its comparison.
 *
 * @since 0.1.0
 */
export interface ProviderSummary {
  readonly url?: string | undefined
  readonly comparison?: { readonly id: string; readonly name: string } | undefined
  readonly scores?: Readonly<Record<string, ScoreSummary>> | undefined
  readonly metrics?: Readonly<Record<string, MetricSummary>> | undefined
}

/** A change smaller than this is noise, not an improvement or a regression. */
const EPSILON = 1e-9

interface Accumulator {
  sum: number
  count: number
}

type PerCase = Map<string, Map<string, Accumulator>>

const add = (map: Map<string, Accumulator>, key: string, value: number): void => {
  const acc = map.get(key)
  if (acc === undefined) map.set(key, { sum: value, count: 1 })
  else {
    acc.sum += value
    acc.count += 1
  }
}

/** The metrics every result can carry, and the direction in which they improve. */
const metricsOf = (result: EvalResult): ReadonlyArray<readonly [name: string, value: number, unit: string]> => {
  const metrics: Array<readonly [string, number, string]> = [["duration", result.durationMs, "ms"]]
  const usage = result.usage
  if (usage !== undefined) {
    if (usage.promptTokens !== undefined) metrics.push(["promptTokens", usage.promptTokens, "tokens"])
    if (usage.completionTokens !== undefined) metrics.push(["completionTokens", usage.completionTokens, "tokens"])
    if (usage.totalTokens !== undefined) metrics.push(["totalTokens", usage.totalTokens, "tokens"])
    if (usage.cost !== undefined) metrics.push(["cost", usage.cost, "usd"])
  }
  // What the scorers (LLM judges) spent, beside the task's and never mixed in.
  const scorer = result.scorerUsage
  if (scorer !== undefined) {
    if (scorer.promptTokens !== undefined) metrics.push(["scorerPromptTokens", scorer.promptTokens, "tokens"])
    if (scorer.completionTokens !== undefined) {
      metrics.push(["scorerCompletionTokens", scorer.completionTokens, "tokens"])
    }
    if (scorer.totalTokens !== undefined) metrics.push(["scorerTotalTokens", scorer.totalTokens, "tokens"])
    if (scorer.cost !== undefined) metrics.push(["scorerCost", scorer.cost, "usd"])
  }
  return metrics
}

const units: ReadonlyMap<string, string> = new Map([
  ["duration", "ms"],
  ["promptTokens", "tokens"],
  ["completionTokens", "tokens"],
  ["totalTokens", "tokens"],
  ["cost", "usd"],
  ["scorerPromptTokens", "tokens"],
  ["scorerCompletionTokens", "tokens"],
  ["scorerTotalTokens", "tokens"],
  ["scorerCost", "usd"]
])

interface Aggregate {
  readonly scores: Map<string, Accumulator>
  readonly metrics: Map<string, Accumulator>
  readonly caseScores: PerCase
  readonly caseMetrics: PerCase
  /** Each case's non-null trial values per score, for the spread over trials. */
  readonly trialScores: Map<string, Map<string, Array<number>>>
  readonly errors: number
  readonly scorerErrors: number
}

const aggregate = (results: ReadonlyArray<EvalResult>): Aggregate => {
  const scores = new Map<string, Accumulator>()
  const metrics = new Map<string, Accumulator>()
  const caseScores: PerCase = new Map()
  const caseMetrics: PerCase = new Map()
  const trialScores = new Map<string, Map<string, Array<number>>>()
  let errors = 0
  let scorerErrors = 0
  for (const result of results) {
    if (result.error !== undefined) errors++
    if (result.scorerErrors !== undefined) scorerErrors += Object.keys(result.scorerErrors).length
    let perCaseScores = caseScores.get(result.caseId)
    if (perCaseScores === undefined) caseScores.set(result.caseId, perCaseScores = new Map())
    let perCaseMetrics = caseMetrics.get(result.caseId)
    if (perCaseMetrics === undefined) caseMetrics.set(result.caseId, perCaseMetrics = new Map())
    for (const name in result.scores) {
      const value = result.scores[name]
      if (value === null || value === undefined) {
        // A skipped score still names the column, so it shows with its count of 0.
        if (!scores.has(name)) scores.set(name, { sum: 0, count: 0 })
        continue
      }
      add(scores, name, value)
      add(perCaseScores, name, value)
      let perCaseTrials = trialScores.get(result.caseId)
      if (perCaseTrials === undefined) trialScores.set(result.caseId, perCaseTrials = new Map())
      const values = perCaseTrials.get(name)
      if (values === undefined) perCaseTrials.set(name, [value])
      else values.push(value)
    }
    for (const [name, value] of metricsOf(result)) {
      add(metrics, name, value)
      add(perCaseMetrics, name, value)
    }
  }
  return { scores, metrics, caseScores, caseMetrics, trialScores, errors, scorerErrors }
}

/**
 * The spread of one score over trials: the mean over cases with two or more
 * non-null trial values of their population standard deviation. Two passes
 * (mean, then squared deviations), so equal values give exactly 0.
 */
const spreadOf = (trialScores: Aggregate["trialScores"], name: string): number | undefined => {
  let cases = 0
  let sum = 0
  for (const columns of trialScores.values()) {
    const values = columns.get(name)
    if (values === undefined || values.length < 2) continue
    const mean = values.reduce((acc, value) => acc + value, 0) / values.length
    const variance = values.reduce((acc, value) => acc + (value - mean) ** 2, 0) / values.length
    cases++
    sum += Math.sqrt(variance)
  }
  return cases === 0 ? undefined : sum / cases
}

interface Comparison {
  readonly diff: number | undefined
  readonly improvements: number
  readonly regressions: number
  /** Cases of this run the baseline scored and this run did not. */
  readonly missing: number
}

/**
 * Compares one column case by case. `higherIsBetter` is true for scores and
 * false for metrics such as duration or cost.
 */
const compare = (current: PerCase, baseline: PerCase, name: string, higherIsBetter: boolean): Comparison => {
  let matched = 0
  let diffSum = 0
  let improvements = 0
  let regressions = 0
  let missing = 0
  for (const [caseId, columns] of current) {
    const mine = columns.get(name)
    const theirs = baseline.get(caseId)?.get(name)
    if (theirs === undefined) continue
    if (mine === undefined) {
      // The case ran, and the score the baseline had for it is gone (a scorer
      // failed, the task failed, the scorer skipped): worse, not unknown.
      missing++
      continue
    }
    const delta = mine.sum / mine.count - theirs.sum / theirs.count
    matched++
    diffSum += delta
    const better = higherIsBetter ? delta > EPSILON : delta < -EPSILON
    const worse = higherIsBetter ? delta < -EPSILON : delta > EPSILON
    if (better) improvements++
    if (worse) regressions++
  }
  return {
    diff: matched === 0 ? undefined : diffSum / matched,
    improvements,
    regressions: regressions + missing,
    missing
  }
}

/**
 * Computes the summary of an experiment from its results, and the comparison
 * with a baseline when one is given.
 *
 * @since 0.1.0
 */
export const compute = (options: {
  readonly experiment: Experiment
  readonly results: ReadonlyArray<EvalResult>
  readonly baseline?: Experiment | undefined
  readonly baselineResults?: ReadonlyArray<EvalResult> | undefined
}): ExperimentSummary => {
  const current = aggregate(options.results)
  const base = options.baseline !== undefined && options.baselineResults !== undefined
    ? aggregate(options.baselineResults)
    : undefined
  const scores: Record<string, ScoreSummary> = {}
  for (const [name, acc] of current.scores) {
    const comparison = base === undefined ? undefined : compare(current.caseScores, base.caseScores, name, true)
    const spread = spreadOf(current.trialScores, name)
    Records.set(scores, name, {
      name,
      mean: acc.count === 0 ? 0 : acc.sum / acc.count,
      count: acc.count,
      ...(comparison?.diff !== undefined ? { diff: comparison.diff } : {}),
      improvements: comparison?.improvements ?? 0,
      regressions: comparison?.regressions ?? 0,
      missing: comparison?.missing ?? 0,
      ...(spread !== undefined ? { spread } : {})
    })
  }
  const metrics: Record<string, MetricSummary> = {}
  for (const [name, acc] of current.metrics) {
    const comparison = base === undefined ? undefined : compare(current.caseMetrics, base.caseMetrics, name, false)
    const unit = units.get(name)
    // A metric the task no longer reports (usage, say) is not a regression.
    const regressions = comparison === undefined ? 0 : comparison.regressions - comparison.missing
    Records.set(metrics, name, {
      name,
      mean: acc.sum / acc.count,
      ...(unit !== undefined ? { unit } : {}),
      ...(comparison?.diff !== undefined ? { diff: comparison.diff } : {}),
      improvements: comparison?.improvements ?? 0,
      regressions
    })
  }
  // Score names the baseline has and this whole run lacks: a row each, so the
  // table shows them, and the list the gate fails on.
  const missingScores: Array<string> = []
  if (base !== undefined) {
    for (const name of base.scores.keys()) {
      if (current.scores.has(name)) continue
      missingScores.push(name)
      const comparison = compare(current.caseScores, base.caseScores, name, true)
      Records.set(scores, name, {
        name,
        mean: 0,
        count: 0,
        improvements: 0,
        regressions: comparison.regressions,
        missing: comparison.missing
      })
    }
  }
  return {
    experimentId: options.experiment.id,
    experimentName: options.experiment.name,
    ...(options.experiment.url !== undefined ? { url: options.experiment.url } : {}),
    ...(options.baseline !== undefined
      ? { comparison: { id: options.baseline.id, name: options.baseline.name } }
      : {}),
    results: options.results.length,
    errors: current.errors,
    scorerErrors: current.scorerErrors,
    scores,
    metrics,
    missingScores,
    ...(options.experiment.state !== undefined ? { state: options.experiment.state } : {}),
    computedBy: "local"
  }
}

/**
 * Merges a vendor's summary into the local one. Columns computed locally win
 * (they come from exactly the logged results); columns only the vendor has
 * (server-side scorers, metrics over whole traces) are added.
 *
 * @since 0.1.0
 */
export const merge = (local: ExperimentSummary, provider: ProviderSummary): ExperimentSummary => ({
  ...local,
  url: local.url ?? provider.url,
  comparison: local.comparison ?? provider.comparison,
  scores: { ...provider.scores, ...local.scores },
  metrics: { ...provider.metrics, ...local.metrics },
  computedBy: "local+provider"
})

/**
 * Whether any score regressed against the baseline: a case scored worse or
 * lost a score the baseline had, a mean went down, or a score the baseline
 * has is missing from the whole run. The CI gate.
 *
 * @since 0.1.0
 */
export const hasRegressions = (summary: ExperimentSummary): boolean =>
  summary.missingScores.length > 0 ||
  Object.values(summary.scores).some((score) => score.regressions > 0 || (score.diff !== undefined && score.diff < -EPSILON))

/** Units whose values are counts (tokens, calls, …), printed as plain numbers. */
const COUNT_UNITS: ReadonlySet<string> = new Set(["tokens", "tok", "count"])

const plain = (value: number): string =>
  Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 1 ? 1 : 3)

const formatMillis = (ms: number): string =>
  ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms >= 100 ? 0 : 1)} ms`

/**
 * A metric's value in its unit: durations (`ms`, `s`) as milliseconds or
 * seconds, money (`usd`) as dollars, counts as counts. Any other unit, or
 * none, prints the number and the unit plainly: only scores are percentages.
 */
const formatMetric = (value: number, unit: string | undefined): string => {
  if (!Number.isFinite(value)) return String(value)
  if (unit === "ms") return formatMillis(value)
  if (unit === "s") return formatMillis(value * 1000)
  if (unit === "usd") return `$${value.toFixed(Math.abs(value) >= 1 ? 2 : 4)}`
  if (unit === undefined || COUNT_UNITS.has(unit)) return value.toFixed(value >= 100 ? 0 : 1)
  return `${plain(value)} ${unit}`
}

const formatScore = (value: number): string => `${(value * 100).toFixed(1)}%`

const formatDiff = (diff: number | undefined, format: (value: number) => string): string => {
  if (diff === undefined) return ""
  const sign = diff > 0 ? "+" : diff < 0 ? "-" : "±"
  return `${sign}${format(Math.abs(diff))}`
}

/**
 * Renders a summary as a plain-text table: one row per score, then per
 * metric, with the diff against the baseline and the counts of improved and
 * regressed cases. A `spread` column (e.g. `±4.1%`, in the scores' own
 * percentage points) follows the mean when some score has a spread over
 * trials. Used by the CLI and the examples.
 *
 * @since 0.1.0
 */
export const toTable = (summary: ExperimentSummary): string => {
  const compared = summary.comparison !== undefined
  // Only runs with trials have a spread; other tables keep their shape.
  const showSpread = Object.values(summary.scores).some((score) => score.spread !== undefined)
  const header = ["", "mean", ...(showSpread ? ["spread"] : []), "diff", "improved", "regressed"]
  const showMissing = compared && Object.values(summary.scores).some((score) => score.missing > 0)
  if (showMissing) header.push("missing")
  const rows: Array<ReadonlyArray<string>> = [header]
  for (const score of Object.values(summary.scores)) {
    const row = [
      score.name,
      score.count === 0 ? "—" : formatScore(score.mean),
      ...(showSpread ? [score.spread === undefined ? "" : `±${formatScore(score.spread)}`] : []),
      formatDiff(score.diff, formatScore),
      compared ? String(score.improvements) : "",
      compared ? String(score.regressions) : ""
    ]
    if (showMissing) row.push(String(score.missing))
    rows.push(row)
  }
  for (const metric of Object.values(summary.metrics)) {
    const format = (value: number) => formatMetric(value, metric.unit)
    const row = [
      metric.name,
      format(metric.mean),
      ...(showSpread ? [""] : []),
      formatDiff(metric.diff, format),
      compared ? String(metric.improvements) : "",
      compared ? String(metric.regressions) : ""
    ]
    if (showMissing) row.push("")
    rows.push(row)
  }
  // The score and metric names are text; every other column holds numbers.
  const table = TextTable.lines(rows, { align: header.map((_, column) => column === 0 ? "left" : "right") })
  const title = `${summary.experimentName}: ${summary.results} results, ${summary.errors} errors, ` +
    `${summary.scorerErrors} scorer errors` +
    (summary.comparison !== undefined ? ` (vs ${summary.comparison.name})` : "")
  const notes: Array<string> = []
  const state = summary.state
  if (state !== undefined && state.status !== "complete") {
    const of = state.total === undefined ? "" : ` of ${state.total}`
    notes.push(
      `${state.status}${state.reason !== undefined ? ` (${state.reason})` : ""}: ${state.completed}${of} results`
    )
  }
  if (summary.missingScores.length > 0) {
    notes.push(`missing scores (in the baseline, absent from this run): ${summary.missingScores.join(", ")}`)
  }
  return [title, ...notes, ...table, ...(summary.url !== undefined ? [summary.url] : [])].join("\n")
}
