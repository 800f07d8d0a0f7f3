/**
 * The neutral `Experiments` service on Basalt.
 *
 * Basalt can create an experiment on a feature (`POST /monitor/experiments`)
 * and attach traces to it, but it has no API to read experiments or their
 * traces back. So:
 * - `create` creates the experiment on the configured feature;
 * - `log` sends each `EvalResult` as one trace attached to the experiment
 *   (`POST /monitor/trace`: input, output, ideal output; scores, trial,
 *   duration, usage, scorer usage and error in the trace's `metadata.promptops`), and keeps
 *   the result in this layer's memory;
 * - `get`, `list`, `results` and `summarize` (with the baseline diff) answer
 *   from that memory: they know the experiments this layer created, in this
 *   process. Summaries are computed locally, by core.
 * - `setState` keeps the run's state (complete, partial, failed) in that
 *   memory too: Basalt cannot store it, so a default baseline is only found
 *   among this process's runs.
 *
 * `log` is idempotent per result: a (case, trial) already delivered to an
 * experiment is not sent again, so logging the same batch twice (or again
 * after a failure part-way) adds each case once. A failing send does not
 * interrupt the others: `log` fails once every send has finished. Traces are not retried but
 * on 429 (see `BasaltClient`): an unanswered send may be retried by logging
 * again.
 *
 * @since 0.1.0
 */
import type { EvalResult, Experiment } from "@promptops/core/Experiment"
import * as Experiments from "@promptops/core/Experiments"
import { safeCopy } from "@promptops/core/Json"
import { invalidInput, NotFound } from "@promptops/core/PromptOpsError"
import * as Trace from "@promptops/core/Trace"
import { Effect, Layer, Option, Stream } from "effect"
import { BasaltClient, provider, type TraceInput } from "./BasaltClient.js"
import * as BasaltWarning from "./BasaltWarning.js"
import { toIo } from "./internal/json.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /** The feature experiments are created on. Default: the client's `featureSlug`. */
  readonly featureSlug?: string | undefined
  /** Basalt evaluators (by slug) to run on every case's trace. */
  readonly evaluators?: ReadonlyArray<string> | undefined
  /** Traces sent at once by `log`. Default 4. */
  readonly concurrency?: number | undefined
  /** Where Basalt's warnings go. Default: logged. */
  readonly onWarning?: BasaltWarning.Handler | undefined
}

interface Entry {
  readonly experiment: Experiment
  /** Delivered results by case and trial, in delivery order. */
  readonly results: Map<string, EvalResult>
  /** Results being sent, so two concurrent `log`s do not both send one. */
  readonly sending: Set<string>
}

const resultKey = (result: EvalResult): string => `${result.caseId}\u0000${result.trial}`

/**
 * One eval result as a trace attached to an experiment.
 *
 * @since 0.1.0
 */
export const toTrace = (
  experiment: Experiment,
  result: EvalResult,
  options: { readonly featureSlug?: string | undefined; readonly evaluators?: ReadonlyArray<string> | undefined } = {}
): TraceInput => ({
  ...(options.featureSlug !== undefined ? { featureSlug: options.featureSlug } : {}),
  name: result.trial === 0 ? result.caseId : `${result.caseId} #${result.trial}`,
  input: toIo(result.input),
  output: toIo(result.output),
  ...(result.expected !== undefined ? { idealOutput: toIo(result.expected) } : {}),
  metadata: {
    ...(safeCopy(result.metadata) as Record<string, unknown>),
    promptops: safeCopy({
      experimentName: experiment.name,
      caseId: result.caseId,
      trial: result.trial,
      scores: result.scores,
      durationMs: result.durationMs,
      ...(result.error !== undefined ? { error: result.error } : {}),
      ...(result.scorerErrors !== undefined ? { scorerErrors: result.scorerErrors } : {}),
      ...(result.usage !== undefined ? { usage: result.usage } : {}),
      ...(result.scorerUsage !== undefined ? { scorerUsage: result.scorerUsage } : {}),
      ...(result.tags !== undefined ? { tags: result.tags } : {}),
      ...(result.traceId !== undefined ? { traceId: result.traceId } : {}),
      ...(result.spanId !== undefined ? { spanId: result.spanId } : {})
    })
  },
  experiment: { id: experiment.id },
  ...(options.evaluators !== undefined && options.evaluators.length > 0
    ? { evaluators: options.evaluators.map((slug) => ({ slug })) }
    : {})
})

/**
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<Experiments.Experiments.Service, never, BasaltClient> =>
  Effect.gen(function*() {
    const client = yield* BasaltClient
    const featureSlug = options.featureSlug ?? client.featureSlug
    const concurrency = options.concurrency ?? 4
    const onWarning = options.onWarning ?? BasaltWarning.log
    const entries = new Map<string, Entry>()

    const notFound = (operation: string, id: string) =>
      new NotFound({
        provider,
        operation,
        description:
          `experiment ${id} was not created by this Basalt layer (Basalt has no API to read experiments back)`,
        resource: `experiment ${id}`
      })

    const entryOf = (operation: string, id: string): Effect.Effect<Entry, NotFound> =>
      Effect.suspend(() => {
        const entry = entries.get(id)
        return entry === undefined ? Effect.fail(notFound(operation, id)) : Effect.succeed(entry)
      })

    return Experiments.make({
      provider,
      create: (request) =>
        Effect.gen(function*() {
          if (request.baseline !== undefined && !entries.has(request.baseline)) {
            return yield* Effect.fail(notFound("Experiments.create", request.baseline))
          }
          const created = yield* client.createExperiment({ name: request.name, featureSlug })
          yield* BasaltWarning.report(onWarning, "Experiments.create", `experiment "${request.name}"`, created.warning)
          const createdAt = created.createdAt === undefined ? Number.NaN : Date.parse(created.createdAt)
          const experiment: Experiment = {
            id: created.id,
            name: created.name,
            ...(request.baseline !== undefined ? { baseline: request.baseline } : {}),
            ...(request.dataset !== undefined ? { dataset: request.dataset } : {}),
            ...(request.metadata !== undefined ? { metadata: request.metadata } : {}),
            ...(Number.isFinite(createdAt) ? { createdAt } : {}),
            source: { provider, raw: created }
          }
          entries.set(experiment.id, { experiment, results: new Map(), sending: new Set() })
          return experiment
        }),
      get: (id) => Effect.map(entryOf("Experiments.get", id), (entry) => entry.experiment),
      list: () =>
        Stream.suspend(() => Stream.fromIterable([...entries.values()].map((entry) => entry.experiment).reverse())),
      log: (experimentId, results) =>
        Effect.gen(function*() {
          const entry = yield* entryOf("Experiments.log", experimentId)
          if (!Number.isInteger(concurrency) || concurrency < 1) {
            return yield* Effect.fail(invalidInput({
              provider,
              operation: "Experiments.log",
              path: "BasaltExperiments.concurrency",
              description: "concurrency must be a whole number ≥ 1"
            }))
          }
          // Last one wins within a call, as a re-log of one case would.
          const pending = new Map<string, EvalResult>()
          for (const result of results) {
            const key = resultKey(result)
            if (!entry.results.has(key) && !entry.sending.has(key)) pending.set(key, result)
          }
          // Every send runs to its end, even when another fails: interrupting a send in flight
          // would leave its outcome unknown, and a later `log` could store that case twice.
          const outcomes = yield* Effect.forEach(
            pending,
            ([key, result]) =>
              Effect.suspend(() => {
                if (entry.results.has(key) || entry.sending.has(key)) return Effect.succeed(undefined)
                entry.sending.add(key)
                return client.sendTrace(toTrace(entry.experiment, result, {
                  featureSlug,
                  evaluators: options.evaluators
                })).pipe(
                  Effect.tap((response) => {
                    entry.results.set(key, result)
                    return BasaltWarning.report(
                      onWarning,
                      "Experiments.log",
                      `experiment ${experimentId} case ${result.caseId} trial ${result.trial}`,
                      response.warning
                    )
                  }),
                  Effect.ensuring(Effect.sync(() => entry.sending.delete(key))),
                  Effect.either
                )
              }),
            { concurrency }
          )
          for (const outcome of outcomes) {
            if (outcome !== undefined && outcome._tag === "Left") return yield* Effect.fail(outcome.left)
          }
        }).pipe(
          Trace.librarySpan("BasaltExperiments.log", {
            attributes: { "promptops.experiment.id": experimentId, "promptops.results": results.length }
          })
        ),
      results: (experimentId) =>
        Stream.unwrap(
          Effect.map(entryOf("Experiments.results", experimentId), (entry) => Stream.fromIterable([...entry.results.values()]))
        ),
      // Basalt has no API to store an experiment's state: it is kept with the
      // experiment in this layer's memory, like everything `get` and `list` return.
      setState: (experimentId, state) =>
        Effect.map(entryOf("Experiments.setState", experimentId), (entry) => {
          entries.set(experimentId, { ...entry, experiment: { ...entry.experiment, state } })
        }),
      // Basalt has no summary API: the summary is core's, computed from the results above.
      providerSummary: () => Effect.succeed(Option.none())
    })
  })

/**
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<Experiments.Experiments, never, BasaltClient> =>
  Layer.effect(Experiments.Experiments, make(options))
