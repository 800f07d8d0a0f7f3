/**
 * Experiments and their results: what an eval run stores and summarises.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import * as Records from "./Records.js"
import { Metadata } from "./Dataset.js"

/**
 * Where a run stands: `running` while `Eval.run` is at work, then `complete`
 * (every case ran), `partial` (interrupted, or cut by the overall timeout) or
 * `failed` (the data source failed, or the run could not finish).
 *
 * @since 0.1.0
 */
export const ExperimentStatus: Schema.Literal<["running", "complete", "partial", "failed"]> = Schema.Literal(
  "running",
  "complete",
  "partial",
  "failed"
)
/** @since 0.1.0 */
export type ExperimentStatus = typeof ExperimentStatus.Type

/**
 * The state of an experiment's run, with its counts. Only a `complete` run
 * whose gate did not fail is a default baseline (see `Experiments.latestBaseline`).
 *
 * @since 0.1.0
 */
export const ExperimentState = Schema.Struct({
  status: ExperimentStatus,
  /** Case × trial runs planned, when known. */
  total: Schema.optional(Schema.Number),
  /** Results logged. */
  completed: Schema.Number,
  /** Results whose task failed. */
  errors: Schema.Number,
  /** Case × scorer failures: threw, returned a non-finite score or one outside 0..1, or a duplicate name. */
  scorerErrors: Schema.Number,
  /** Set when the run had a gate (e.g. the CLI's `--fail-on-*`). */
  gate: Schema.optional(Schema.Literal("passed", "failed")),
  /** Why the run is partial or failed (interrupted, overall timeout, data failed, …). */
  reason: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type ExperimentState = typeof ExperimentState.Type

/**
 * @since 0.1.0
 */
export const Experiment = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  /** The vendor's page for it, when it has one. */
  url: Schema.optional(Schema.String),
  /** Id of the experiment this one compares against by default. */
  baseline: Schema.optional(Schema.String),
  dataset: Schema.optional(Schema.String),
  metadata: Schema.optional(Metadata),
  /** Unix milliseconds. */
  createdAt: Schema.optional(Schema.Number),
  /** The state of its run; absent on experiments made before states existed (treated as complete). */
  state: Schema.optional(ExperimentState),
  source: Schema.Struct({ provider: Schema.String, raw: Schema.optional(Schema.Unknown) })
})
/** @since 0.1.0 */
export type Experiment = typeof Experiment.Type

/**
 * A score in 0..1, or `null` when the scorer chose to skip.
 *
 * @since 0.1.0
 */
export const Score: Schema.NullOr<Schema.filter<typeof Schema.Number>> = Schema.NullOr(
  Schema.Number.pipe(Schema.between(0, 1, { message: () => "a score must be a number from 0 to 1" }))
)
/** @since 0.1.0 */
export type Score = typeof Score.Type

/** @since 0.1.0 */
export const Scores: Records.Of<typeof Score> = Records.of(Score)
/** @since 0.1.0 */
export type Scores = typeof Scores.Type

/**
 * Token usage and cost. Extra numeric metrics ride alongside.
 *
 * @since 0.1.0
 */
export const Usage = Schema.Struct({
  promptTokens: Schema.optional(Schema.Number),
  completionTokens: Schema.optional(Schema.Number),
  totalTokens: Schema.optional(Schema.Number),
  cost: Schema.optional(Schema.Number)
})
/** @since 0.1.0 */
export type Usage = typeof Usage.Type

/**
 * The outcome of one case × trial.
 *
 * @since 0.1.0
 */
export const EvalResult = Schema.Struct({
  /** Stable id of the case (the dataset record id, or derived from the input). */
  caseId: Schema.String,
  /** 0-based trial index. */
  trial: Schema.Number,
  input: Schema.Unknown,
  output: Schema.Unknown,
  expected: Schema.optional(Schema.Unknown),
  scores: Scores,
  /** The task's failure, when it failed. */
  error: Schema.optional(Schema.String),
  /** Scorers that failed on this case: scorer name → why. Their scores are absent from `scores`. */
  scorerErrors: Schema.optional(Records.of(Schema.String)),
  metadata: Metadata,
  tags: Schema.optional(Schema.Array(Schema.String)),
  durationMs: Schema.Number,
  usage: Schema.optional(Usage),
  /**
   * Tokens and cost the scorers reported (LLM judges), summed apart from the
   * task's `usage` so a judge's spend never reads as the app's.
   */
  scorerUsage: Schema.optional(Usage),
  traceId: Schema.optional(Schema.String),
  spanId: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type EvalResult = typeof EvalResult.Type

/**
 * Per-score aggregate. `diff`, `improvements` and `regressions` compare with
 * the baseline, matching cases on their case key.
 *
 * @since 0.1.0
 */
export const ScoreSummary = Schema.Struct({
  name: Schema.String,
  mean: Schema.Number,
  /** Number of non-null values the mean is over. */
  count: Schema.Number,
  diff: Schema.optional(Schema.Number),
  improvements: Schema.Number,
  /** Cases that scored worse than in the baseline, or that the baseline scored and this run did not. */
  regressions: Schema.Number,
  /** Cases the baseline scored and this run did not (each also counted in `regressions`). */
  missing: Schema.Number,
  /**
   * Consistency over trials: the mean, over the cases with at least two
   * non-null trial scores, of the population standard deviation of the score
   * across that case's trials. Absent when no case has two.
   */
  spread: Schema.optional(Schema.Number)
})
/** @since 0.1.0 */
export type ScoreSummary = typeof ScoreSummary.Type

/**
 * Per-metric aggregate (duration, tokens, errors, …).
 *
 * @since 0.1.0
 */
export const MetricSummary = Schema.Struct({
  name: Schema.String,
  mean: Schema.Number,
  unit: Schema.optional(Schema.String),
  diff: Schema.optional(Schema.Number),
  improvements: Schema.Number,
  regressions: Schema.Number
})
/** @since 0.1.0 */
export type MetricSummary = typeof MetricSummary.Type

/**
 * @since 0.1.0
 */
export const ExperimentSummary = Schema.Struct({
  experimentId: Schema.String,
  experimentName: Schema.String,
  url: Schema.optional(Schema.String),
  /** The baseline the diffs are against. */
  comparison: Schema.optional(Schema.Struct({ id: Schema.String, name: Schema.String })),
  /** Number of results (cases × trials). */
  results: Schema.Number,
  /** Results whose task failed. */
  errors: Schema.Number,
  /** Case × scorer failures. */
  scorerErrors: Schema.Number,
  scores: Records.of(ScoreSummary),
  metrics: Records.of(MetricSummary),
  /** Score names the baseline has and this whole run lacks. */
  missingScores: Schema.Array(Schema.String),
  /** The experiment's state, when the backend has one. */
  state: Schema.optional(ExperimentState),
  /** Where the numbers come from: computed here, or merged with the vendor's own. */
  computedBy: Schema.Literal("local", "local+provider")
})
/** @since 0.1.0 */
export type ExperimentSummary = typeof ExperimentSummary.Type
