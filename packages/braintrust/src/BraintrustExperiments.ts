/**
 * The neutral `Experiments` service on Braintrust experiments of the
 * configured project.
 *
 * - `create` sends `ensure_new: true` (a name already used gets a unique
 *   suffix instead of returning the old experiment) and the baseline as
 *   `base_exp_id`; the dataset name is recorded in `metadata.promptops.dataset`,
 *   and as `dataset_id` when the project has a dataset of that name.
 * - `log` writes one root `eval` row per result: input, output, expected,
 *   scores, error, tags, metadata, and metrics (`start`/`end` in unix seconds,
 *   tokens, cost); the scorer errors ride in `metadata.promptops.scorer_errors`.
 *   A result whose case is a row of the experiment's dataset, read by this
 *   client, carries `origin` pointing at that row (`object_type: "dataset"`,
 *   the dataset id, the row's `id`, `_xact_id` and `created`), as the
 *   Braintrust SDK's `Eval` writes it.
 *   Its id is deterministic, so a retried or repeated `log`
 *   replaces the row instead of duplicating it: the result's `eval` span id
 *   when it carries one (the row is then merged into the span's row, which the
 *   tracing pipeline writes to the same experiment), otherwise a hash of
 *   (experiment id, case id, trial). The case id, trial and exact duration
 *   ride in `metadata.promptops`.
 * - `results` fetches every row once and reads back the root `eval` rows.
 * - `setState` stores the run's state in the experiment's
 *   `metadata.promptops.state` (`PATCH /v1/experiment/{id}`, a deep merge);
 *   `get` and `list` read it back. A PATCH cannot remove a key, so every
 *   field is written, an absent one as an empty value.
 * - The summary core computes is merged with Braintrust's own
 *   (`GET /v1/experiment/{id}/summarize?summarize_scores=true`), which adds
 *   columns only the server has (server-side scorers, trace-wide metrics),
 *   under core's names and units (`prompt_tokens` is `promptTokens` in
 *   tokens, `duration` in seconds becomes milliseconds, …).
 *
 * @since 0.1.0
 */
import type { Metadata } from "@promptops/core/Dataset"
import type {
  EvalResult,
  Experiment,
  ExperimentState,
  MetricSummary,
  ScoreSummary,
  Usage
} from "@promptops/core/Experiment"
import { ExperimentState as ExperimentStateSchema } from "@promptops/core/Experiment"
import * as Experiments from "@promptops/core/Experiments"
import { invalidInput, type PromptOpsError } from "@promptops/core/PromptOpsError"
import * as Records from "@promptops/core/Records"
import type * as Summary from "@promptops/core/Summary"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Chunk, Clock, Effect, Either, Layer, Option, Schema, Stream } from "effect"
import { createHash } from "node:crypto"
import { BraintrustClient, provider } from "./BraintrustClient.js"
import * as BraintrustSchema from "./BraintrustSchema.js"
import * as DatasetLookups from "./internal/datasetLookups.js"
import * as SpanErrorText from "./internal/spanError.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /** The project holding the experiments; default: the client's `project`. */
  readonly project?: string | undefined
  /** Rows per insert request. Default 100. */
  readonly batchSize?: number | undefined
}

/**
 * The metadata key this package reserves on experiments and rows.
 *
 * @since 0.1.0
 */
export const metadataKey = "promptops"

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const finite = (u: unknown): u is number => typeof u === "number" && Number.isFinite(u)

const withoutReserved = (metadata: unknown): { readonly metadata: Metadata; readonly reserved: Record<string, unknown> } => {
  if (!isRecord(metadata)) return { metadata: {}, reserved: {} }
  const { [metadataKey]: reserved, ...rest } = metadata
  return { metadata: rest, reserved: isRecord(reserved) ? reserved : {} }
}

// -----------------------------------------------------------------------------
// Mapping
// -----------------------------------------------------------------------------

/**
 * A run's state as stored in `metadata.promptops.state`. Every field is
 * written, an absent one as an empty value (`-1`, `""`), because a PATCH
 * deep-merges and cannot remove the value an earlier state set.
 *
 * @since 0.1.0
 */
export const stateToMetadata = (state: ExperimentState): Record<string, unknown> => ({
  status: state.status,
  total: state.total ?? -1,
  completed: state.completed,
  errors: state.errors,
  scorer_errors: state.scorerErrors,
  gate: state.gate ?? "",
  reason: state.reason ?? ""
})

const decodeState = Schema.decodeUnknownEither(ExperimentStateSchema)

/**
 * Reads a stored state back; `undefined` when there is none, or when it is
 * not one this package wrote (the experiment then counts as made before
 * states existed).
 *
 * @since 0.1.0
 */
export const stateFromMetadata = (stored: unknown): ExperimentState | undefined => {
  if (!isRecord(stored)) return undefined
  const decoded = decodeState({
    status: stored["status"],
    ...(finite(stored["total"]) && stored["total"] >= 0 ? { total: stored["total"] } : {}),
    completed: stored["completed"],
    errors: stored["errors"],
    scorerErrors: stored["scorer_errors"],
    ...(stored["gate"] === "passed" || stored["gate"] === "failed" ? { gate: stored["gate"] } : {}),
    ...(typeof stored["reason"] === "string" && stored["reason"] !== "" ? { reason: stored["reason"] } : {})
  })
  return Either.isRight(decoded) ? decoded.right : undefined
}

/**
 * The row id of a result without a span: a hash of (experiment id, case id,
 * trial), 32 hex characters. The same result always gets the same id.
 *
 * @since 0.1.0
 */
export const resultRowId = (experimentId: string, caseId: string, trial: number): string =>
  createHash("sha256").update(`${experimentId}\u0000${caseId}\u0000${trial}`).digest("hex").slice(0, 32)

/**
 * A Braintrust experiment as the neutral `Experiment`.
 *
 * @since 0.1.0
 */
export const fromBraintrust = (experiment: BraintrustSchema.Experiment): Experiment => {
  const { metadata, reserved } = withoutReserved(experiment.metadata)
  const dataset = typeof reserved["dataset"] === "string" ? reserved["dataset"] : experiment.dataset_id ?? undefined
  const created = typeof experiment.created === "string" ? Date.parse(experiment.created) : Number.NaN
  const state = stateFromMetadata(reserved["state"])
  return {
    id: experiment.id,
    name: experiment.name,
    ...(typeof experiment.base_exp_id === "string" ? { baseline: experiment.base_exp_id } : {}),
    ...(dataset !== undefined ? { dataset } : {}),
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    ...(Number.isFinite(created) ? { createdAt: created } : {}),
    ...(state !== undefined ? { state } : {}),
    source: { provider, raw: experiment }
  }
}

const usageMetrics = (usage: Usage | undefined, prefix = ""): Record<string, number> => {
  const out: Record<string, number> = {}
  if (usage === undefined) return out
  // Token counts are integers on the wire (`prompt_tokens` etc. are `integer` in the OpenAPI file).
  if (finite(usage.promptTokens)) out[`${prefix}prompt_tokens`] = Math.round(usage.promptTokens)
  if (finite(usage.completionTokens)) out[`${prefix}completion_tokens`] = Math.round(usage.completionTokens)
  if (finite(usage.totalTokens)) out[`${prefix}tokens`] = Math.round(usage.totalTokens)
  if (finite(usage.cost)) out[`${prefix}cost`] = usage.cost
  return out
}

/**
 * The scorers' usage (LLM judges) rides in the row's `metrics` under names of
 * our own (`scorer_prompt_tokens`, `scorer_completion_tokens`,
 * `scorer_tokens`, `scorer_cost`): none of them is a name the SDK or the
 * server gives a meaning, so a judge's tokens never add to the row's own.
 */
const SCORER_PREFIX = "scorer_"

const usageOf = (metrics: Record<string, unknown>, prefix = ""): Usage | undefined => {
  const usage: { -readonly [K in keyof Usage]: Usage[K] } = {}
  const promptTokens = metrics[`${prefix}prompt_tokens`]
  const completionTokens = metrics[`${prefix}completion_tokens`]
  const totalTokens = metrics[`${prefix}tokens`]
  const cost = metrics[`${prefix}cost`]
  if (finite(promptTokens)) usage.promptTokens = promptTokens
  if (finite(completionTokens)) usage.completionTokens = completionTokens
  if (finite(totalTokens)) usage.totalTokens = totalTokens
  if (finite(cost)) usage.cost = cost
  return Object.keys(usage).length > 0 ? usage : undefined
}

/**
 * The root `eval` row of a result, logged at `loggedAtMs` (the row's
 * `metrics.end`; `start` is `durationMs` earlier). `origin` links the row to
 * the dataset row the case came from.
 *
 * @since 0.1.0
 */
export const resultToEvent = (
  experimentId: string,
  result: EvalResult,
  loggedAtMs: number,
  origin?: typeof BraintrustSchema.ObjectReference.Type | undefined
): BraintrustSchema.InsertExperimentEvent => {
  const linked = result.spanId !== undefined && result.traceId !== undefined
  const id = linked ? result.spanId! : resultRowId(experimentId, result.caseId, result.trial)
  const durationMs = finite(result.durationMs) && result.durationMs >= 0 ? result.durationMs : 0
  const startMs = loggedAtMs - durationMs
  return {
    id,
    span_id: id,
    root_span_id: linked ? result.traceId! : id,
    // Merged into the `eval` span's own row, which the tracing pipeline may write before or after.
    ...(linked ? { _is_merge: true } : {}),
    span_attributes: { name: "eval", type: "eval" },
    created: new Date(startMs).toISOString(),
    ...(origin !== undefined ? { origin } : {}),
    input: result.input,
    output: result.output,
    ...(result.expected !== undefined ? { expected: result.expected } : {}),
    ...(result.error !== undefined ? { error: result.error } : {}),
    scores: result.scores,
    metadata: {
      ...result.metadata,
      [metadataKey]: {
        case_id: result.caseId,
        trial: result.trial,
        duration_ms: durationMs,
        ...(result.scorerErrors !== undefined ? { scorer_errors: result.scorerErrors } : {})
      }
    },
    ...(result.tags !== undefined ? { tags: result.tags } : {}),
    metrics: {
      start: startMs / 1000,
      end: loggedAtMs / 1000,
      ...usageMetrics(result.usage),
      ...usageMetrics(result.scorerUsage, SCORER_PREFIX)
    }
  }
}

const errorText = (error: unknown): string | undefined => {
  if (error === undefined || error === null) return undefined
  // The `eval` span's error, merged into the same row, is the SDK's `message\n\nstack` string.
  if (typeof error === "string") return SpanErrorText.parse(error).message
  if (isRecord(error) && typeof error["message"] === "string") return error["message"]
  return JSON.stringify(error)
}

const scorerErrorsOf = (stored: unknown): Record<string, string> | undefined => {
  if (!isRecord(stored)) return undefined
  const out: Record<string, string> = {}
  let any = false
  for (const [name, message] of Object.entries(stored)) {
    if (typeof message !== "string") continue
    Records.set(out, name, message)
    any = true
  }
  return any ? out : undefined
}

/**
 * Reads a root `eval` row back as a result; `undefined` for any other row.
 * Rows written by other clients (the Braintrust SDK, `POST /v1/eval`) have
 * no `metadata.promptops`: their case id is the dataset row they came from,
 * else the row id, and their trial 0.
 *
 * @since 0.1.0
 */
export const resultFromEvent = (event: BraintrustSchema.ExperimentEvent): EvalResult | undefined => {
  if (event.span_attributes?.type !== "eval") return undefined
  if (Array.isArray(event.span_parents) && event.span_parents.length > 0) return undefined
  const { metadata, reserved } = withoutReserved(event.metadata)
  const metrics = isRecord(event.metrics) ? event.metrics : {}
  const start = metrics["start"]
  const end = metrics["end"]
  const durationMs = finite(reserved["duration_ms"])
    ? reserved["duration_ms"]
    : finite(start) && finite(end)
    ? Math.round((end - start) * 1e6) / 1e3
    : 0
  const scores: Record<string, number | null> = {}
  for (const [name, value] of Object.entries(event.scores ?? {})) {
    if (value === null || finite(value)) Records.set(scores, name, value)
  }
  const usage = usageOf(metrics)
  const scorerUsage = usageOf(metrics, SCORER_PREFIX)
  const error = errorText(event.error)
  const scorerErrors = scorerErrorsOf(reserved["scorer_errors"])
  return {
    caseId: typeof reserved["case_id"] === "string" ? reserved["case_id"] : event.origin?.id ?? event.id,
    trial: finite(reserved["trial"]) ? reserved["trial"] : 0,
    input: event.input,
    output: event.output,
    ...(event.expected !== undefined && event.expected !== null ? { expected: event.expected } : {}),
    scores,
    ...(error !== undefined ? { error } : {}),
    ...(scorerErrors !== undefined ? { scorerErrors } : {}),
    metadata,
    ...(Array.isArray(event.tags) ? { tags: event.tags } : {}),
    durationMs,
    ...(usage !== undefined ? { usage } : {}),
    ...(scorerUsage !== undefined ? { scorerUsage } : {}),
    traceId: event.root_span_id,
    spanId: event.span_id
  }
}

/**
 * Braintrust's summary metrics under core's names and units: token counts
 * (unit `tok`) are `tokens`, durations in seconds (`s`) become milliseconds,
 * cost is `usd`. `scale` converts the value into the neutral unit.
 */
const metricNames: ReadonlyMap<string, { readonly name: string; readonly unit: string; readonly scale: number }> =
  new Map([
    ["prompt_tokens", { name: "promptTokens", unit: "tokens", scale: 1 }],
    ["completion_tokens", { name: "completionTokens", unit: "tokens", scale: 1 }],
    ["tokens", { name: "totalTokens", unit: "tokens", scale: 1 }],
    ["total_tokens", { name: "totalTokens", unit: "tokens", scale: 1 }],
    ["estimated_cost", { name: "cost", unit: "usd", scale: 1 }],
    ["cost", { name: "cost", unit: "usd", scale: 1 }],
    ["duration", { name: "duration", unit: "ms", scale: 1000 }],
    ["scorer_prompt_tokens", { name: "scorerPromptTokens", unit: "tokens", scale: 1 }],
    ["scorer_completion_tokens", { name: "scorerCompletionTokens", unit: "tokens", scale: 1 }],
    ["scorer_tokens", { name: "scorerTotalTokens", unit: "tokens", scale: 1 }],
    ["scorer_cost", { name: "scorerCost", unit: "usd", scale: 1 }]
  ])

/** Braintrust's units for the metrics not named above. */
const metricUnits: ReadonlyMap<string, { readonly unit: string; readonly scale: number }> = new Map([
  ["tok", { unit: "tokens", scale: 1 }],
  ["s", { unit: "ms", scale: 1000 }],
  ["$", { unit: "usd", scale: 1 }]
])

/**
 * Braintrust's summary as what core merges into its own. Without a baseline
 * the server compares with a fallback experiment of its choice (the
 * experiment's `base_exp_id`, else the project's latest), so diffs,
 * improvements and regressions are dropped then. The server gives no count
 * behind a mean: `count` is 0 for its columns.
 *
 * @since 0.1.0
 */
export const summaryFromBraintrust = (
  response: BraintrustSchema.SummarizeExperimentResponse,
  baseline: Experiment | undefined
): Summary.ProviderSummary => {
  const compared = baseline !== undefined
  const scores: Record<string, ScoreSummary> = {}
  for (const [key, score] of Object.entries(response.scores ?? {})) {
    Records.set(scores, key, {
      name: key,
      mean: score.score,
      count: 0,
      ...(compared && finite(score.diff) ? { diff: score.diff } : {}),
      improvements: compared ? score.improvements : 0,
      regressions: compared ? score.regressions : 0,
      missing: 0
    })
  }
  const metrics: Record<string, MetricSummary> = {}
  for (const [key, metric] of Object.entries(response.metrics ?? {})) {
    const known = metricNames.get(key)
    const name = known?.name ?? key
    const byUnit = known === undefined ? metricUnits.get(metric.unit) : undefined
    const unit = known?.unit ?? byUnit?.unit ?? metric.unit
    const scale = known?.scale ?? byUnit?.scale ?? 1
    Records.set(metrics, name, {
      name,
      mean: metric.metric * scale,
      unit,
      ...(compared && finite(metric.diff) ? { diff: metric.diff * scale } : {}),
      improvements: compared ? metric.improvements : 0,
      regressions: compared ? metric.regressions : 0
    })
  }
  return {
    url: response.experiment_url,
    ...(baseline !== undefined
      ? { comparison: { id: baseline.id, name: response.comparison_experiment_name ?? baseline.name } }
      : {}),
    scores,
    metrics
  }
}

// -----------------------------------------------------------------------------
// Service
// -----------------------------------------------------------------------------

/**
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<Experiments.Experiments.Service, never, BraintrustClient> =>
  Effect.map(BraintrustClient, (client) => {
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? 100))
    // Reads (list) look the project up and never create it; only `create` get-or-creates it.
    const projectId = Effect.map(client.findProject(options.project), (project) => project.id)
    const writeProjectId = Effect.map(client.resolveProject(options.project), (project) => project.id)
    // experiment id → its dataset id, learnt from answers already in hand (create, get, list), for `origin`.
    const datasetOf = new Map<string, string>()
    const remember = (experiment: BraintrustSchema.Experiment): BraintrustSchema.Experiment => {
      if (typeof experiment.dataset_id === "string") datasetOf.set(experiment.id, experiment.dataset_id)
      return experiment
    }

    const datasetIdOf = (project_id: string, dataset: string): Effect.Effect<string | undefined, PromptOpsError> =>
      BraintrustSchema.isObjectId(dataset)
        ? Effect.succeed(dataset)
        : Effect.map(
          client.datasets.list({ project_id, dataset_name: dataset, limit: 1 }),
          // Handed to `Datasets.records`, which reads this dataset's rows next in an eval: no second lookup.
          (found) => {
            if (found[0] !== undefined) DatasetLookups.remember(client, project_id, found[0])
            return found[0]?.id
          }
        )

    const create = (request: Experiments.CreateOptions): Effect.Effect<Experiment, PromptOpsError> =>
      Effect.gen(function*() {
        const project_id = yield* writeProjectId
        // As the memory backend does: an unknown baseline is NotFound, not a silently dangling link.
        if (request.baseline !== undefined) yield* client.experiments.get(request.baseline)
        const datasetId = request.dataset === undefined ? undefined : yield* datasetIdOf(project_id, request.dataset)
        const metadata = {
          ...request.metadata,
          ...(request.dataset !== undefined ? { [metadataKey]: { dataset: request.dataset } } : {})
        }
        const { experiment } = yield* client.experiments.create({
          project_id,
          name: request.name,
          ensure_new: true,
          ...(request.baseline !== undefined ? { base_exp_id: request.baseline } : {}),
          ...(datasetId !== undefined ? { dataset_id: datasetId } : {}),
          ...(Object.keys(metadata).length > 0 ? { metadata } : {})
        })
        return fromBraintrust(remember(experiment))
      })

    const log = (experimentId: string, results: ReadonlyArray<EvalResult>): Effect.Effect<void, PromptOpsError> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const datasetId = datasetOf.get(experimentId)
        const rows = results.map((result) =>
          resultToEvent(
            experimentId,
            result,
            now,
            datasetId === undefined ? undefined : client.datasetRowOrigin(datasetId, result.caseId)
          )
        )
        yield* Effect.forEach(
          Chunk.chunksOf(Chunk.fromIterable(rows), batchSize),
          (batch) => client.experiments.insert(experimentId, Chunk.toReadonlyArray(batch)),
          { discard: true }
        )
      })

    const results = (experimentId: string): Stream.Stream<EvalResult, PromptOpsError> =>
      Stream.unwrap(
        Effect.map(client.experiments.fetchAll(experimentId), (events) =>
          Stream.fromIterable(events.flatMap((event) => {
            const result = resultFromEvent(event)
            return result === undefined ? [] : [result]
          })))
      )

    const setState = (experimentId: string, state: ExperimentState): Effect.Effect<void, PromptOpsError> =>
      Effect.flatMap(
        BraintrustSchema.isObjectId(experimentId)
          ? Effect.succeed(experimentId)
          : Effect.fail(invalidInput({
            provider,
            operation: "Experiments.setState",
            path: "experimentId",
            description: `experimentId must be a Braintrust object id (a UUID), got "${experimentId}"`
          })),
        (id) =>
          Effect.asVoid(client.http.json(
            "BraintrustClient.experiments.update",
            HttpClientRequest.patch(`/v1/experiment/${id}`).pipe(
              HttpClientRequest.bodyUnsafeJson({ metadata: { [metadataKey]: { state: stateToMetadata(state) } } })
            ),
            Schema.Unknown
          ))
      )

    return Experiments.make({
      provider,
      setState,
      create,
      get: (id) => Effect.map(client.experiments.get(id), (experiment) => fromBraintrust(remember(experiment))),
      list: () =>
        Stream.unwrap(
          Effect.map(
            projectId,
            (project_id) =>
              Stream.map(client.experiments.stream({ project_id }), (experiment) => fromBraintrust(remember(experiment)))
          )
        ),
      log,
      results,
      providerSummary: (experiment, baseline) =>
        Effect.map(
          client.experiments.summarize(experiment.id, {
            summarize_scores: true,
            ...(baseline !== undefined && BraintrustSchema.isObjectId(baseline.id)
              ? { comparison_experiment_id: baseline.id }
              : {})
          }),
          (response) => Option.some(summaryFromBraintrust(response, baseline))
        )
    })
  })

/**
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<Experiments.Experiments, never, BraintrustClient> =>
  Layer.effect(Experiments.Experiments, make(options))
