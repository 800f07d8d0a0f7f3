/**
 * The eval runner: a dataset × a task × scorers, run case × trial with bounded
 * concurrency, each inside a span tree routed to the experiment, the results
 * logged in batches as they complete, and a summary with the baseline diff.
 *
 * ```ts
 * const { summary } = yield* Eval.run({
 *   name: "greeting-v2",
 *   data: [{ input: "Ada", expected: "Hello Ada" }],
 *   task: (name) => Effect.succeed(`Hello ${name}`),
 *   scorers: [Eval.scorer("exact", ({ output, expected }) => output === expected ? 1 : 0)]
 * })
 * ```
 *
 * The span tree of one case × trial is `eval` (root, carries the experiment id,
 * input, expected, output and scores) → `task` → one span per scorer, named
 * after it. The promptops `Tracer` routes the whole tree to the experiment.
 *
 * This module is the model and the run; one case × trial runs in
 * `internal/caseRunner.ts`, and the data becomes cases and jobs in
 * `internal/caseSources.ts`.
 *
 * @since 0.1.0
 */
import type { Tracer } from "effect"
import { Cause, Duration, Effect, Exit, FiberRef, Layer, Option, Predicate, Queue, Schema, Stream, Take } from "effect"
import type { Metadata } from "./Dataset.js"
import type { EvalResult, Experiment, ExperimentState, ExperimentSummary, Usage } from "./Experiment.js"
import { Experiments } from "./Experiments.js"
import * as CaseRunner from "./internal/caseRunner.js"
import {
  invalid,
  isPositiveInteger,
  type Job,
  loadData,
  type LoadedData,
  makeJobs,
  NEEDS_FETCH,
  totalOf
} from "./internal/caseSources.js"
import * as Json from "./Json.js"
import type { InvalidInput, PromptOpsError } from "./PromptOpsError.js"
import { invalidInput } from "./PromptOpsError.js"

// ---------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------

/**
 * One case of an eval: a `DatasetRecord` fits, and so does a literal object.
 * Without an `id`, the case id is derived from the input (see `caseId`), so it
 * is stable across runs and baselines match.
 *
 * @since 0.1.0
 */
export interface EvalCase<I = unknown, X = unknown> {
  readonly id?: string | undefined
  readonly input: I
  readonly expected?: X | undefined
  readonly metadata?: Metadata | undefined
  readonly tags?: ReadonlyArray<string> | undefined
  /** Trials of this case; overrides the run's `trials`. */
  readonly trials?: number | undefined
}

/**
 * Where the cases come from: a `Stream` (e.g. `Datasets.records(name)`), an
 * array or any iterable (read lazily), or an effect producing one.
 *
 * @since 0.1.0
 */
export type EvalData<I, X, E = never, R = never> =
  | Stream.Stream<EvalCase<I, X>, E, R>
  | Effect.Effect<Iterable<EvalCase<I, X>>, E, R>
  | Iterable<EvalCase<I, X>>

/**
 * What a task may add to its result while it runs.
 *
 * @since 0.1.0
 */
export interface Annotation {
  /** Added to the usage already annotated (a task may make several LLM calls). */
  readonly usage?: Usage | undefined
  /** Merged into the result's metadata. */
  readonly metadata?: Metadata | undefined
}

/**
 * The second argument of a task.
 *
 * @since 0.1.0
 */
export interface TaskContext<X = unknown> {
  readonly caseId: string
  /** 0-based. */
  readonly trial: number
  readonly expected: X | undefined
  readonly metadata: Metadata
  readonly tags: ReadonlyArray<string>
  readonly annotate: (annotation: Annotation) => Effect.Effect<void>
}

/** @since 0.1.0 */
export const TaskOutputTypeId: unique symbol = CaseRunner.TaskOutputTypeId
/** @since 0.1.0 */
export type TaskOutputTypeId = typeof TaskOutputTypeId

/**
 * A task's output with usage and metadata attached; see `output`.
 *
 * @since 0.1.0
 */
export interface TaskOutput<O> {
  readonly [TaskOutputTypeId]: TaskOutputTypeId
  readonly output: O
  readonly usage?: Usage | undefined
  readonly metadata?: Metadata | undefined
}

/**
 * What the scorers see of a task's result `A`: the output itself, unwrapped
 * from a `TaskOutput`.
 *
 * @since 0.1.0
 */
export type OutputOf<A> = A extends TaskOutput<infer O> ? O : A

/**
 * Returns an output together with its usage (and metadata), for tasks that
 * prefer returning usage to annotating it.
 *
 * @since 0.1.0
 */
export const output = <O>(
  value: O,
  extras: { readonly usage?: Usage | undefined; readonly metadata?: Metadata | undefined }
): TaskOutput<O> => ({ [TaskOutputTypeId]: TaskOutputTypeId, output: value, usage: extras.usage, metadata: extras.metadata })

/**
 * A named score. `score: null` means the scorer chose to skip this case.
 *
 * @since 0.1.0
 */
export interface Score {
  readonly name: string
  readonly score: number | null
  readonly metadata?: Metadata | undefined
}

/**
 * What a scorer returns: a number (named after the scorer), one `Score`,
 * several, or `null` to skip. Every score must be within 0..1.
 *
 * @since 0.1.0
 */
export type ScoreOutput = number | Score | ReadonlyArray<Score> | null

/**
 * @since 0.1.0
 */
export interface ScorerArgs<I = unknown, O = unknown, X = unknown> {
  readonly input: I
  readonly output: O
  readonly expected: X | undefined
  readonly metadata: Metadata
  readonly tags: ReadonlyArray<string>
  readonly caseId: string
  readonly trial: number
}

/**
 * A named scorer. `score` may return an `Effect`, a promise or a plain value.
 *
 * @since 0.1.0
 */
export interface Scorer<I = any, O = any, X = any, R = never> {
  readonly name: string
  readonly score: (
    args: ScorerArgs<I, O, X>
  ) => Effect.Effect<ScoreOutput, unknown, R> | PromiseLike<ScoreOutput> | ScoreOutput
}

/**
 * Builds a named scorer (a shorthand that helps type inference).
 *
 * @since 0.1.0
 */
export const scorer = <I = any, O = any, X = any, R = never>(
  name: string,
  score: Scorer<I, O, X, R>["score"]
): Scorer<I, O, X, R> => ({ name, score })

/**
 * What a promise-based task receives: the `TaskContext`, with a synchronous
 * `annotate`, and an `AbortSignal` that fires when the case is interrupted
 * (timeout, or the run being interrupted).
 *
 * @since 0.1.0
 */
export interface PromiseTaskContext<X = unknown> extends Omit<TaskContext<X>, "annotate"> {
  readonly annotate: (annotation: Annotation) => void
  readonly signal: AbortSignal
}

/**
 * Adapts a plain function returning a value or a promise into a task. A
 * rejection or a throw is the task's failure.
 *
 * @since 0.1.0
 */
export const promiseTask = <I, X, O>(
  f: (input: I, context: PromiseTaskContext<X>) => O | PromiseLike<O>
): (input: I, context: TaskContext<X>) => Effect.Effect<O, unknown> =>
(input, context) =>
  Effect.tryPromise({
    try: (signal) =>
      Promise.resolve(
        f(input, {
          caseId: context.caseId,
          trial: context.trial,
          expected: context.expected,
          metadata: context.metadata,
          tags: context.tags,
          annotate: (annotation) => Effect.runSync(context.annotate(annotation)),
          signal
        })
      ),
    catch: (error) => error
  })

/**
 * Progress of a run, for progress bars. `total` is known when the data is an
 * array (or an effect producing one), unknown for streams and other iterables.
 *
 * @since 0.1.0
 */
export type EvalEvent =
  | {
    readonly _tag: "Started"
    readonly experiment: Experiment
    readonly total?: number | undefined
  }
  | {
    readonly _tag: "CaseCompleted"
    readonly result: EvalResult
    /** Results completed so far, this one included. */
    readonly completed: number
    /** Of those, how many have an `error`. */
    readonly failed: number
    readonly total?: number | undefined
  }
  | {
    readonly _tag: "Finished"
    readonly summary: ExperimentSummary
  }

/**
 * @since 0.1.0
 */
export interface RunOptions<
  I,
  X,
  A,
  ED = never,
  RD = never,
  RT = never,
  RS = never,
  RP = never,
  ROut = never,
  LE = never,
  LR = never
> {
  /** The experiment's name. */
  readonly name: string
  readonly data: EvalData<I, X, ED, RD>
  readonly task: (input: I, context: TaskContext<X>) => Effect.Effect<A, unknown, RT>
  /** At least one; names must be unique. */
  readonly scorers: ReadonlyArray<Scorer<I, OutputOf<A>, X, RS>>
  /** Runs per case (default 1); a case's own `trials` wins. */
  readonly trials?: number | undefined
  /** Case × trial runs in flight at once (default 10). */
  readonly concurrency?: number | undefined
  /** Budget of one case × trial, task and scorers together. A case over it is a result with an `error`. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Budget of the whole run; past it, the run fails with `EvalTimeout` after logging what finished. */
  readonly overallTimeout?: Duration.DurationInput | undefined
  /** Experiment id to compare with; defaults to the experiment's own baseline. */
  readonly baseline?: string | undefined
  /** Name of the dataset the data comes from, recorded on the experiment. */
  readonly dataset?: string | undefined
  readonly metadata?: Metadata | undefined
  /** Results per `Experiments.log` call (default 100). */
  readonly batchSize?: number | undefined
  /** Keep every result in memory and return it (default true). With false, memory stays bounded. */
  readonly returnResults?: boolean | undefined
  readonly onProgress?: ((event: EvalEvent) => Effect.Effect<void, never, RP>) | undefined
  /**
   * Services the task and scorers need (an `@effect/ai` `LanguageModel`, an
   * app's own services): built once per run, before the experiment is
   * created, and released when the run ends. Its services are available to
   * the data, the task and the scorers beside those of the caller (and win
   * over them); what it needs itself is a requirement of the run.
   */
  readonly layer?: Layer.Layer<ROut, LE, LR> | undefined
  /**
   * The run's verdict on its summary (`true`: passed), e.g. the CLI's
   * `--fail-on-regression`. Recorded as `state.gate`: a run whose gate failed
   * is never a default baseline.
   */
  readonly gate?: ((summary: ExperimentSummary) => boolean) | undefined
}

/**
 * @since 0.1.0
 */
export interface EvalRun {
  readonly experiment: Experiment
  /** The state recorded when the run ended (also in `summary.state`). */
  readonly state: ExperimentState
  readonly summary: ExperimentSummary
  /** In data order, then trial order; absent with `returnResults: false`. */
  readonly results?: ReadonlyArray<EvalResult> | undefined
}

/**
 * The run went past its `overallTimeout`. The results that completed before
 * were logged to the experiment.
 *
 * @since 0.1.0
 */
export class EvalTimeout extends Schema.TaggedError<EvalTimeout>("@promptops/core/Eval/EvalTimeout")("EvalTimeout", {
  experimentId: Schema.String,
  experimentName: Schema.String,
  /** The overall timeout, formatted (e.g. `30s`). */
  timeout: Schema.String,
  completed: Schema.Number,
  total: Schema.optional(Schema.Number)
}) {
  /** @since 0.1.0 */
  override get message(): string {
    const of = this.total === undefined ? "" : ` of ${this.total}`
    return `Eval "${this.experimentName}" timed out after ${this.timeout}: ` +
      `${this.completed}${of} results finished and were logged to experiment ${this.experimentId}`
  }
}

// ---------------------------------------------------------------------------
// Case ids
// ---------------------------------------------------------------------------

/**
 * The case id of an input without an id: 32 hex characters of the SHA-256 of
 * its JSON with sorted keys (`Json.contentId`, over `Json.canonical`). Stable
 * across runs and processes, so a baseline matches its cases. Within a run, a
 * repeated input gets `-2`, `-3`, … in data order.
 *
 * @since 0.1.0
 */
export const caseId = (input: unknown): string => Json.contentId(input)

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

const positiveInteger = (path: string, value: unknown, fallback: number): Effect.Effect<number, InvalidInput> =>
  value === undefined
    ? Effect.succeed(fallback)
    : isPositiveInteger(value)
    ? Effect.succeed(value)
    : Effect.fail(invalid(path, `${path} must be an integer ≥ 1, got ${String(value)}`))

const positiveDuration = (
  path: string,
  value: Duration.DurationInput | undefined
): Effect.Effect<Duration.Duration | undefined, InvalidInput> => {
  if (value === undefined) return Effect.succeed(undefined)
  const decoded = Duration.decodeUnknown(value)
  return Option.isSome(decoded) && Duration.greaterThan(decoded.value, Duration.zero)
    ? Effect.succeed(decoded.value)
    : Effect.fail(invalid(path, `${path} must be a positive duration, got ${String(value)}`))
}

interface Settings {
  readonly trials: number
  readonly concurrency: number
  readonly batchSize: number
  readonly timeout: Duration.Duration | undefined
  readonly overallTimeout: Duration.Duration | undefined
}

const validate = (options: RunOptions<any, any, any, any, any, any, any, any, any, any, any>): Effect.Effect<Settings, InvalidInput> =>
  Effect.gen(function*() {
    if (typeof options.name !== "string" || options.name.trim().length === 0) {
      return yield* Effect.fail(invalid("name", "name must be a non-empty string"))
    }
    if (typeof options.task !== "function") {
      return yield* Effect.fail(invalid("task", "task must be a function returning an Effect"))
    }
    if (!Array.isArray(options.scorers) || options.scorers.length === 0) {
      return yield* Effect.fail(invalid("scorers", "scorers must be a non-empty array"))
    }
    const names = new Set<string>()
    for (let i = 0; i < options.scorers.length; i++) {
      const scorer: unknown = options.scorers[i]
      if (
        !Predicate.hasProperty(scorer, "name") || typeof scorer.name !== "string" || scorer.name.trim().length === 0
      ) {
        return yield* Effect.fail(invalid(`scorers[${i}].name`, `scorers[${i}].name must be a non-empty string`))
      }
      if (!Predicate.hasProperty(scorer, "score") || typeof scorer.score !== "function") {
        return yield* Effect.fail(invalid(`scorers[${i}].score`, `scorers[${i}].score must be a function`))
      }
      if (names.has(scorer.name)) {
        return yield* Effect.fail(
          invalid(`scorers[${i}].name`, `scorer names must be unique; "${scorer.name}" appears twice`)
        )
      }
      names.add(scorer.name)
    }
    if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
      return yield* Effect.fail(invalid("onProgress", "onProgress must be a function"))
    }
    if (options.gate !== undefined && typeof options.gate !== "function") {
      return yield* Effect.fail(invalid("gate", "gate must be a function of the summary"))
    }
    if (options.layer !== undefined && !Layer.isLayer(options.layer)) {
      return yield* Effect.fail(invalid("layer", "layer must be a Layer"))
    }
    return {
      trials: yield* positiveInteger("trials", options.trials, 1),
      concurrency: yield* positiveInteger("concurrency", options.concurrency, 10),
      batchSize: yield* positiveInteger("batchSize", options.batchSize, 100),
      timeout: yield* positiveDuration("timeout", options.timeout),
      overallTimeout: yield* positiveDuration("overallTimeout", options.overallTimeout)
    }
  })

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

/** The run's counts so far, and the experiment states built from them. */
class RunCounts {
  completed = 0
  failed = 0
  scorerErrors = 0
  constructor(readonly total: number | undefined) {}

  state(
    status: ExperimentState["status"],
    extra?: { readonly gate?: "passed" | "failed"; readonly reason?: string }
  ): ExperimentState {
    return {
      status,
      ...(this.total !== undefined ? { total: this.total } : {}),
      completed: this.completed,
      errors: this.failed,
      scorerErrors: this.scorerErrors,
      ...extra
    }
  }

  /** The state of a run that ended early, from why it ended. */
  endState(cause: Cause.Cause<unknown>): ExperimentState {
    const failure = Cause.failureOption(cause)
    if (Option.isSome(failure) && failure.value instanceof EvalTimeout) {
      return this.state("partial", { reason: `overall timeout (${failure.value.timeout})` })
    }
    if (Cause.isInterruptedOnly(cause)) return this.state("partial", { reason: "interrupted" })
    return this.state("failed", { reason: CaseRunner.describeCause(cause) })
  }
}

/** Where finished results go: batches to `Experiments.log`, the summary's list, and (optionally) the returned one. */
interface ResultLog<RP> {
  /** Records a result; returns the effect still to run (progress, a full batch), if any. */
  readonly complete: (job: Job, result: EvalResult) => Effect.Effect<void, PromptOpsError, RP> | undefined
  /** Logs the results still waiting for a full batch. */
  readonly flush: Effect.Effect<void, PromptOpsError>
  /** Every result, for the summary: the runner holds them, so it never reads them back from the backend. */
  readonly held: ReadonlyArray<EvalResult>
  /** With their position in data × trial order; `undefined` with `returnResults: false`. */
  readonly collected: Array<readonly [number, EvalResult]> | undefined
}

const makeResultLog = <RP>(options: {
  readonly experiments: Experiments.Service
  readonly experiment: Experiment
  readonly counts: RunCounts
  readonly batchSize: number
  readonly returnResults: boolean
  readonly onProgress: ((event: EvalEvent) => Effect.Effect<void, never, RP>) | undefined
}): Effect.Effect<ResultLog<RP>> =>
  Effect.map(Effect.makeSemaphore(1), (logLock) => {
    const { batchSize, counts, experiment, experiments, onProgress } = options
    const total = counts.total
    // Results waiting for the next `Experiments.log`, and (optionally) all of them.
    let pending: Array<EvalResult> = []
    const collected: Array<readonly [number, EvalResult]> | undefined = options.returnResults ? [] : undefined
    const held: Array<EvalResult> = []
    // A 413 splits the batch in halves, down to one result: `log` is idempotent
    // per case × trial (the conformance contract), so re-sending a part is safe.
    const logSplitting = (batch: ReadonlyArray<EvalResult>): Effect.Effect<void, PromptOpsError> =>
      Effect.catchIf(
        experiments.log(experiment.id, batch),
        (error) => error._tag === "PayloadTooLarge" && batch.length > 1,
        () => {
          const half = Math.ceil(batch.length / 2)
          return Effect.zipRight(logSplitting(batch.slice(0, half)), logSplitting(batch.slice(half)))
        }
      )
    // Uninterruptible: a batch taken out of `pending` is logged, never dropped.
    const logBatch = (batch: ReadonlyArray<EvalResult>) =>
      Effect.uninterruptible(logLock.withPermits(1)(logSplitting(batch)))
    const flush = Effect.suspend(() => {
      if (pending.length === 0) return Effect.void
      const batch = pending
      pending = []
      return logBatch(batch)
    })
    const complete = (job: Job, result: EvalResult): Effect.Effect<void, PromptOpsError, RP> | undefined => {
      counts.completed++
      if (result.error !== undefined) counts.failed++
      if (result.scorerErrors !== undefined) counts.scorerErrors += Object.keys(result.scorerErrors).length
      collected?.push([job.sequence, result])
      held.push(result)
      pending.push(result)
      const progress = onProgress === undefined
        ? undefined
        : onProgress({ _tag: "CaseCompleted", result, completed: counts.completed, failed: counts.failed, total })
      if (pending.length < batchSize) return progress
      const batch = pending
      pending = []
      return progress === undefined ? logBatch(batch) : Effect.zipRight(progress, logBatch(batch))
    }
    return { complete, flush, held, collected }
  })

/**
 * Runs every case × trial of the data: `concurrency` workers (fewer when the
 * data holds fewer jobs), each taking the next job, running it and handing
 * its result to `complete`. An invalid case fails the run. Its requirements
 * are `any`: the runner erases the task's and scorers' (`run`'s signature
 * states them).
 */
const processCases = <ED, RD, RP>(options: {
  readonly data: LoadedData<ED, RD>
  readonly trials: number
  readonly workers: number
  readonly runner: CaseRunner.CaseRunner
  readonly complete: (job: Job, result: EvalResult) => Effect.Effect<void, PromptOpsError, RP> | undefined
}): Effect.Effect<void, ED | InvalidInput | PromptOpsError, any> =>
  Effect.gen(function*() {
    const { complete, runner } = options
    const jobs = yield* makeJobs(options.data, options.trials)
    const worker = Effect.suspend(() => {
      // The spans of this worker's case in flight, ended here if it is interrupted.
      const open: Array<Tracer.Span> = []
      return Effect.gen(function*() {
        for (;;) {
          const taken = jobs.take()
          if (taken !== undefined && taken !== NEEDS_FETCH && !("prepared" in taken)) return yield* Effect.fail(taken)
          const job = taken === NEEDS_FETCH ? yield* jobs.next : taken
          if (job === undefined) return
          const result = yield* runner.run(job, open)
          const after = complete(job, result)
          if (after !== undefined) yield* after
        }
      }).pipe(Effect.onInterrupt(() => Effect.sync(() => runner.abandon(open))))
    })
    yield* Effect.all(Array.from({ length: options.workers }, () => worker), { concurrency: "unbounded", discard: true })
  })

/**
 * Runs an eval: creates the experiment, runs every case × trial (at most
 * `concurrency` at once) inside its span tree, logs the results in batches of
 * `batchSize` as they complete, and returns the experiment's summary, compared
 * with the baseline.
 *
 * A task's failure (typed error, defect or per-case timeout) is a result with
 * an `error` and no scores; a scorer's failure (a throw, a failed effect, a
 * non-finite score or one outside 0..1, a duplicate score name) is in the
 * result's `scorerErrors[name]`, counted in the summary's `scorerErrors`, and
 * its score is absent. Neither stops the run. The last partial batch is logged
 * even when the run fails, times out or is interrupted.
 *
 * The experiment's state is `running` from its creation, then `complete`,
 * `partial` (interrupted, or past `overallTimeout`) or `failed` (the data
 * source failed, or the run could not finish), with its counts, recorded
 * uninterruptibly as the run ends; with a `gate`, its verdict on the summary
 * is recorded too. A `layer` is built once, before the experiment is created
 * (a failing build creates none), and its services are given to the task and
 * the scorers for the whole run.
 *
 * @since 0.1.0
 */
export const run = <
  I,
  X,
  A,
  ED = never,
  RD = never,
  RT = never,
  RS = never,
  RP = never,
  ROut = never,
  LE = never,
  LR = never
>(
  options: RunOptions<I, X, A, ED, RD, RT, RS, RP, ROut, LE, LR>
): Effect.Effect<
  EvalRun,
  PromptOpsError | EvalTimeout | ED | LE,
  Experiments | Exclude<RD | RT | RS, ROut> | RP | LR
> =>
  Effect.suspend(() => {
    // Set once the experiment exists, for the finaliser that records how the run ended.
    let ending: ((cause: Cause.Cause<unknown>) => Effect.Effect<void, PromptOpsError>) | undefined
    let recorded = false
    return Effect.gen(function*() {
      const settings = yield* validate(options)
      const experiments = yield* Experiments
      const clock = yield* Effect.clock

      // Built in the run's scope, before the experiment exists: a layer that
      // cannot be built leaves no empty experiment behind. Its services reach
      // the data, the task and the scorers.
      const services = options.layer === undefined
        ? undefined
        : yield* Layer.build(options.layer as Layer.Layer<unknown, LE, LR>)

      // Data given as an effect is loaded before the experiment exists, so a
      // failing load leaves no empty experiment behind.
      const data = yield* loadData<ED, RD>(options.data, services)
      const total = data._tag === "Iterable" ? totalOf(data.iterable, settings.trials) : undefined
      const counts = new RunCounts(total)

      const created = yield* experiments.create({
        name: options.name,
        baseline: options.baseline,
        dataset: options.dataset,
        metadata: options.metadata
      })
      ending = (cause) => experiments.setState(created.id, counts.endState(cause))
      const running = counts.state("running")
      yield* experiments.setState(created.id, running)
      const experiment: Experiment = { ...created, state: running }
      const onProgress = options.onProgress
      if (onProgress !== undefined) yield* onProgress({ _tag: "Started", experiment, total })

      const runner = CaseRunner.makeCaseRunner({
        experimentId: experiment.id,
        task: options.task as any,
        scorers: options.scorers as any,
        timeout: settings.timeout,
        clock,
        timingEnabled: yield* FiberRef.get(FiberRef.currentTracerTimingEnabled)
      })
      const results = yield* makeResultLog({
        experiments,
        experiment,
        counts,
        batchSize: settings.batchSize,
        returnResults: options.returnResults !== false,
        onProgress
      })
      const work = processCases({
        data,
        trials: settings.trials,
        workers: total === undefined ? settings.concurrency : Math.min(settings.concurrency, total),
        runner,
        complete: results.complete
      })
      // The layer's services, given once to the workers (whose fibers inherit
      // them) rather than to each case's task and scorers: no cost per case.
      const processing = (services === undefined ? work : Effect.provide(work, services)).pipe(
        Effect.scoped,
        // On failure or interruption the finished results are still logged; the
        // original failure wins over a failure to log them.
        Effect.onExit((exit) =>
          Exit.isSuccess(exit) ? Effect.void : results.flush.pipe(
            Effect.catchAllCause((cause) =>
              Effect.logWarning(`promptops Eval: could not log the last results of experiment ${experiment.id}`, cause)
            )
          )
        )
      )

      // The flush after a successful processing runs uninterruptibly, right
      // after it: no interruption can slip in between and drop the last batch.
      const timedOut = yield* Effect.uninterruptibleMask((restore) =>
        Effect.tap(
          restore(
            settings.overallTimeout === undefined
              ? Effect.as(processing, false)
              : Effect.timeoutTo(processing, {
                duration: settings.overallTimeout,
                onSuccess: () => false,
                onTimeout: () => true
              })
          ),
          (timedOut) => (timedOut ? Effect.void : results.flush)
        )
      )
      if (timedOut && settings.overallTimeout !== undefined) {
        // Read after the interruption, so `completed` counts exactly what was logged.
        return yield* Effect.fail(
          new EvalTimeout({
            experimentId: experiment.id,
            experimentName: experiment.name,
            timeout: Duration.format(settings.overallTimeout),
            completed: counts.completed,
            ...(total !== undefined ? { total } : {})
          })
        )
      }

      // Summarised from the results in hand (only the baseline's are read), as `summarize` would from the stored ones.
      const computed = yield* experiments.summarizeResults(experiment, results.held, { baseline: options.baseline })
      const state = counts.state(
        "complete",
        options.gate === undefined ? undefined : { gate: options.gate(computed) ? "passed" : "failed" }
      )
      yield* experiments.setState(experiment.id, state)
      recorded = true
      const summary: ExperimentSummary = { ...computed, state }
      if (onProgress !== undefined) yield* onProgress({ _tag: "Finished", summary })
      const ended: Experiment = { ...experiment, state }
      const collected = results.collected
      if (collected === undefined) return { experiment: ended, state, summary }
      collected.sort((a, b) => a[0] - b[0])
      return { experiment: ended, state, summary, results: collected.map((entry) => entry[1]) }
    }).pipe(
      // Whatever ends the run early, its state is recorded with its counts:
      // uninterruptibly (a finaliser), after the last batch was flushed.
      Effect.onExit((exit) =>
        recorded || ending === undefined || Exit.isSuccess(exit) ? Effect.void : ending(exit.cause).pipe(
          Effect.catchAllCause((cause) => Effect.logWarning("promptops Eval: could not record the experiment's state", cause))
        )
      ),
      // The layer's scope: released when the run ends, after its state is recorded.
      Effect.scoped
    )
  }) as Effect.Effect<
    EvalRun,
    PromptOpsError | EvalTimeout | ED | LE,
    Experiments | Exclude<RD | RT | RS, ROut> | RP | LR
  >


/**
 * The run as a stream of progress events, ending with `Finished`: what a CLI
 * draws as a progress bar. Results are not kept in memory (each one is in its
 * `CaseCompleted` event). A slow consumer slows the run down rather than
 * letting events pile up; stopping the stream interrupts the run (the
 * finished results are still logged).
 *
 * @since 0.1.0
 */
export const stream = <
  I,
  X,
  A,
  ED = never,
  RD = never,
  RT = never,
  RS = never,
  RP = never,
  ROut = never,
  LE = never,
  LR = never
>(
  options: RunOptions<I, X, A, ED, RD, RT, RS, RP, ROut, LE, LR> & {
    /** Events buffered ahead of the consumer (default 256). */
    readonly bufferSize?: number | undefined
  }
): Stream.Stream<
  EvalEvent,
  PromptOpsError | EvalTimeout | ED | LE,
  Experiments | Exclude<RD | RT | RS, ROut> | RP | LR
> =>
  Stream.unwrapScoped(
    Effect.gen(function*() {
      const bufferSize = options.bufferSize ?? 256
      if (!isPositiveInteger(bufferSize)) {
        return yield* Effect.fail(invalidInput({
          operation: "Eval.stream",
          path: "Eval.stream.bufferSize",
          description: `bufferSize must be an integer ≥ 1, got ${String(bufferSize)}`
        }))
      }
      const queue = yield* Effect.acquireRelease(
        Queue.bounded<Take.Take<EvalEvent, PromptOpsError | EvalTimeout | ED | LE>>(bufferSize),
        Queue.shutdown
      )
      const userProgress = options.onProgress
      yield* run({
        ...options,
        returnResults: false,
        onProgress: (event) =>
          userProgress === undefined
            ? Queue.offer(queue, Take.of(event))
            : Effect.zipRight(userProgress(event), Queue.offer(queue, Take.of(event)))
      }).pipe(
        // The last offer stays interruptible: if the consumer has gone while the
        // queue is full, closing the stream's scope must not wait on it.
        Effect.onExit((exit) =>
          Exit.isSuccess(exit)
            ? Effect.interruptible(Queue.offer(queue, Take.end))
            // Interrupted: the consumer is gone, nobody is there to tell.
            : Cause.isInterruptedOnly(exit.cause)
            ? Effect.void
            : Effect.interruptible(Queue.offer(queue, Take.failCause(exit.cause)))
        ),
        Effect.forkScoped
      )
      return Stream.flattenTake(Stream.fromQueue(queue))
    })
  )
