/**
 * The runner of one case × trial of an eval: its span tree (`eval` → `task` →
 * one span per scorer), the task with its context and per-case timeout, the
 * scorers' outcomes checked and named, and the `EvalResult`.
 *
 * Runs once per case × trial, so it is written for speed: see
 * `makeCaseRunner`.
 */
import type { Clock } from "effect"
import { Cause, Context, Duration, Effect, Exit, FiberId, FiberRef, Option, Predicate, Tracer } from "effect"
import type { Metadata } from "../Dataset.js"
import type {
  Annotation,
  Score,
  Scorer,
  ScorerArgs,
  TaskContext,
  TaskOutput,
  TaskOutputTypeId as TaskOutputTypeIdType
} from "../Eval.js"
import type { EvalResult, Usage } from "../Experiment.js"
import * as Records from "../Records.js"
import * as Attr from "./attributes.js"
import type { Job, PreparedCase } from "./caseSources.js"
import * as CaseUsage from "./caseUsage.js"

/** Marks a `TaskOutput` (`Eval.output`); `Eval.TaskOutputTypeId` is this symbol, declared here so the runner needs nothing from `Eval` at run time. */
export const TaskOutputTypeId: TaskOutputTypeIdType = Symbol.for("@promptops/core/Eval/TaskOutput") as TaskOutputTypeIdType

const isTaskOutput = (u: unknown): u is TaskOutput<unknown> => Predicate.hasProperty(u, TaskOutputTypeId)

export const describeError = (error: unknown): string => {
  if (error instanceof Error) {
    if (error.message.length > 0) return error.message
    return Predicate.hasProperty(error, "_tag") && typeof error._tag === "string" ? error._tag : error.name
  }
  if (typeof error === "string") return error
  if (Predicate.hasProperty(error, "message") && typeof error.message === "string") return error.message
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}

export const describeCause = (cause: Cause.Cause<unknown>): string =>
  Cause.isInterruptedOnly(cause) ? "interrupted" : describeError(Cause.squash(cause))

class ScoreError extends Error {}

const inRange = (score: unknown): score is number =>
  typeof score === "number" && Number.isFinite(score) && score >= 0 && score <= 1

const checkScore = (value: unknown): Score => {
  if (!Predicate.hasProperty(value, "name") || typeof value.name !== "string" || value.name.length === 0) {
    throw new ScoreError(`returned a score without a name: ${describeError(value)}`)
  }
  if (!Predicate.hasProperty(value, "score")) {
    throw new ScoreError(`returned "${value.name}" without a \`score\``)
  }
  const score = value.score
  if (score !== null && !inRange(score)) {
    throw new ScoreError(`score ${String(score)} for "${value.name}" is outside 0..1`)
  }
  const metadata = Predicate.hasProperty(value, "metadata") ? value.metadata : undefined
  return metadata === undefined || metadata === null
    ? { name: value.name, score }
    : { name: value.name, score, metadata: metadata as Metadata }
}

/** Turns what a scorer returned into named scores, or throws a `ScoreError`. */
const normalizeScores = (name: string, value: unknown): ReadonlyArray<Score> => {
  if (value === null) return [{ name, score: null }]
  if (typeof value === "number") {
    if (!inRange(value)) throw new ScoreError(`score ${String(value)} is outside 0..1`)
    return [{ name, score: value }]
  }
  if (Array.isArray(value)) return value.map(checkScore)
  if (typeof value === "object") return [checkScore(value)]
  throw new ScoreError(
    `returned ${value === undefined ? "undefined" : typeof value}; expected a number in 0..1, ` +
      "a { name, score } object, an array of them, or null to skip"
  )
}

export const addUsage = (left: Usage | undefined, right: Usage): Usage => {
  if (left === undefined) return right
  const sum = (a: number | undefined, b: number | undefined) =>
    a === undefined ? b : b === undefined ? a : a + b
  const merged: { -readonly [K in keyof Usage]: Usage[K] } = {}
  const promptTokens = sum(left.promptTokens, right.promptTokens)
  const completionTokens = sum(left.completionTokens, right.completionTokens)
  const totalTokens = sum(left.totalTokens, right.totalTokens)
  const cost = sum(left.cost, right.cost)
  if (promptTokens !== undefined) merged.promptTokens = promptTokens
  if (completionTokens !== undefined) merged.completionTokens = completionTokens
  if (totalTokens !== undefined) merged.totalTokens = totalTokens
  if (cost !== undefined) merged.cost = cost
  return merged
}

const usageMetrics = (usage: Usage): Record<string, number> => {
  const metrics: Record<string, number> = {}
  for (const key of ["promptTokens", "completionTokens", "totalTokens", "cost"] as const) {
    const value = usage[key]
    if (value !== undefined) metrics[key] = value
  }
  return metrics
}

/**
 * The mark of a case's score spans: usage annotated under a scorer (an LLM
 * judge's call) counts as the scorers' spend, apart from the task's.
 */
class ScorerUsageSink implements CaseUsage.UsageSink {
  constructor(readonly context: CaseContext) {}
  addUsage(usage: Usage): void {
    this.context.scorerUsage = addUsage(this.context.scorerUsage, usage)
  }
}

/**
 * One case × trial while it runs: the context its task sees, and what the
 * task annotated. One object per case rather than a context plus closures.
 */
class CaseContext implements TaskContext<unknown>, CaseUsage.UsageSink {
  usage: Usage | undefined = undefined
  /** Usage annotated on spans below the task span (`Trace.annotate` in an LLM call), kept apart from the task span's own. */
  spanUsage: Usage | undefined = undefined
  /** Usage annotated under the score spans (LLM judges), summed apart. */
  scorerUsage: Usage | undefined = undefined
  /** Made when the first scorer runs, so a case whose task failed allocates none. */
  scorerSink: ScorerUsageSink | undefined = undefined
  extraMetadata: Record<string, unknown> | undefined = undefined
  readonly caseId: string
  readonly expected: unknown
  readonly metadata: Metadata
  readonly tags: ReadonlyArray<string>
  constructor(prepared: PreparedCase, readonly trial: number) {
    this.caseId = prepared.caseId
    this.expected = prepared.source.expected
    this.metadata = prepared.metadata
    this.tags = prepared.tags
  }
  add(annotation: Annotation): void {
    if (annotation.usage !== undefined) this.usage = addUsage(this.usage, annotation.usage)
    if (annotation.metadata !== undefined) this.extraMetadata = { ...this.extraMetadata, ...annotation.metadata }
  }
  addUsage(usage: Usage): void {
    this.spanUsage = addUsage(this.spanUsage, usage)
  }
  // A property, not a method: tasks destructure it (`(input, { annotate }) => …`).
  readonly annotate = (annotation: Annotation): Effect.Effect<void> => Effect.sync(() => this.add(annotation))
}

/** A scorer's outcome: its scores, or why it has none. */
type ScorerOutcome = { readonly scores: ReadonlyArray<Score> } | { readonly error: string }

export interface CaseRunner {
  /**
   * Runs one case × trial. `open` holds the spans of the case not yet ended,
   * so that `abandon` can end them when the case is interrupted.
   */
  readonly run: (job: Job, open: Array<Tracer.Span>) => Effect.Effect<EvalResult, never, any>
  readonly abandon: (open: Array<Tracer.Span>) => void
}

const NO_STACK = false as const

/**
 * Runs `f` (user code building an effect), turning a synchronous throw into a
 * defect, as `Effect.suspend` would, without its extra step on the hot path.
 */
const call = <A>(f: () => A): A | Effect.Effect<never> => {
  try {
    return f()
  } catch (error) {
    return Effect.die(error)
  }
}

/** A task must return an effect; anything else (a promise, a value) is its defect, with a hint. */
const effectOf = (value: unknown): Effect.Effect<unknown, unknown, any> =>
  Effect.isEffect(value)
    ? value as Effect.Effect<unknown, unknown, any>
    : Effect.die(
      new TypeError(
        `the task returned ${Predicate.isPromiseLike(value) ? "a promise" : typeof value}, not an Effect ` +
          "(wrap promise-based tasks with Eval.promiseTask)"
      )
    )

const SUCCEEDED: Exit.Exit<void> = Exit.void
const INTERRUPTED: Exit.Exit<never> = Exit.interrupt(FiberId.none)

/**
 * Builds the runner of one case × trial.
 *
 * The spans are made with `Effect.makeSpan` and ended where the case already
 * branches on success or failure, rather than with `Effect.useSpan`, whose
 * per-span finaliser would double the runner's cost; a span left open by an
 * interruption is ended by the worker (see `open`). Each span gets its parent
 * explicitly, and only user code (the task, a scorer returning an effect) gets
 * it in its context, since providing a context costs more than a span.
 */
export const makeCaseRunner = (options: {
  readonly experimentId: string
  readonly task: (input: unknown, context: TaskContext<unknown>) => Effect.Effect<unknown, unknown, any>
  readonly scorers: ReadonlyArray<Scorer<unknown, unknown, unknown, any>>
  readonly timeout: Duration.Duration | undefined
  readonly clock: Clock.Clock
  readonly timingEnabled: boolean
}): CaseRunner => {
  const { clock, experimentId, scorers, task, timeout, timingEnabled } = options
  const timeoutMessage = timeout === undefined ? "" : `timed out after ${Duration.format(timeout)}`
  const timeoutMillis = timeout === undefined ? 0 : Duration.toMillis(timeout)
  const nowMillis = () => Number(clock.unsafeCurrentTimeNanos()) / 1e6
  const endSpan = (span: Tracer.Span, exit: Exit.Exit<unknown, unknown>): void => {
    if (span.status._tag !== "Ended") span.end(timingEnabled ? clock.unsafeCurrentTimeNanos() : BigInt(0), exit)
  }

  /** Names a scorer's return value and ends its span: success, or a scorer error. */
  const settle = (span: Tracer.Span, name: string, value: unknown): ScorerOutcome => {
    let scores: ReadonlyArray<Score>
    try {
      scores = normalizeScores(name, value)
    } catch (error) {
      endSpan(span, Exit.fail(error))
      return { error: describeError(error) }
    }
    const record: Record<string, number | null> = {}
    for (const score of scores) Records.set(record, score.name, score.score)
    span.attribute(Attr.SCORES, record)
    endSpan(span, SUCCEEDED)
    return { scores }
  }

  const runScorer = (
    scorer: Scorer<unknown, unknown, unknown, any>,
    args: ScorerArgs,
    root: Tracer.Span,
    open: Array<Tracer.Span>,
    context: CaseContext
  ): Effect.Effect<ScorerOutcome, never, any> =>
    Effect.flatMap(Effect.makeSpan(scorer.name, { parent: root, captureStackTrace: NO_STACK }), (span) => {
      open.push(span)
      // The mark `Trace.annotate({ usage })` finds from a judge's spans: score
      // spans are siblings of the task span, so the nearest mark never mixes the two.
      ;(span as unknown as { [CaseUsage.CASE]: CaseUsage.UsageSink })[CaseUsage.CASE] = context.scorerSink ??=
        new ScorerUsageSink(context)
      span.attribute(Attr.KIND, "score")
      span.attribute(Attr.INPUT, args)
      const value = call(() => scorer.score(args))
      const pending: Effect.Effect<unknown, unknown, any> | undefined = Effect.isEffect(value)
        ? Effect.withParentSpan(value as Effect.Effect<unknown, unknown, any>, span)
        : Predicate.isPromiseLike(value)
        ? Effect.tryPromise({ try: () => Promise.resolve(value), catch: (error) => error })
        : undefined
      // A plain value (the common case) is settled without another step.
      if (pending === undefined) return Effect.succeed(settle(span, scorer.name, value))
      return Effect.matchCause(pending, {
        onSuccess: (resolved) => settle(span, scorer.name, resolved),
        onFailure: (cause): ScorerOutcome => {
          endSpan(span, Exit.failCause(cause))
          return { error: describeCause(cause) }
        }
      })
    })

  const runScorers = (
    args: ScorerArgs,
    root: Tracer.Span,
    open: Array<Tracer.Span>,
    context: CaseContext,
    remainingMillis: number
  ): Effect.Effect<ScorerOutcome | ReadonlyArray<ScorerOutcome>, never, any> => {
    if (scorers.length === 1) {
      // The common case: no fiber per scorer.
      const one = runScorer(scorers[0]!, args, root, open, context)
      return timeout === undefined ? one : Effect.map(
        Effect.timeoutOption(one, Duration.millis(Math.max(remainingMillis, 0))),
        Option.getOrElse((): ScorerOutcome => ({ error: timeoutMessage }))
      )
    }
    const outcomes: Array<ScorerOutcome | undefined> = new Array(scorers.length)
    const all = Effect.forEach(
      scorers,
      (scorer, i) =>
        Effect.map(runScorer(scorer, args, root, open, context), (outcome) => {
          outcomes[i] = outcome
        }),
      { concurrency: "unbounded", discard: true }
    )
    const bounded = timeout === undefined ? all : Effect.asVoid(
      Effect.timeoutOption(all, Duration.millis(Math.max(remainingMillis, 0)))
    )
    // A scorer still running at the deadline was interrupted: it timed out.
    return Effect.map(bounded, () => Array.from(outcomes, (outcome) => outcome ?? { error: timeoutMessage }))
  }

  const ROOT_SPAN: Tracer.SpanOptions = { root: true, captureStackTrace: NO_STACK }

  const abandon = (open: Array<Tracer.Span>): void => {
    // Children first, so no span ends before one of its own.
    for (let i = open.length - 1; i >= 0; i--) endSpan(open[i]!, INTERRUPTED)
    open.length = 0
  }

  const run = (job: Job, open: Array<Tracer.Span>): Effect.Effect<EvalResult, never, any> => {
    const { prepared, trial } = job
    const { source } = prepared
    return Effect.flatMap(Effect.makeSpan("eval", ROOT_SPAN), (root) => {
      open.push(root)
      // Attributes are set here rather than through the span options, which
      // would cost an object and an `Object.entries` per span.
      root.attribute(Attr.KIND, "eval")
      root.attribute(Attr.EXPERIMENT_ID, experimentId)
      root.attribute(Attr.INPUT, source.input)
      if (source.expected !== undefined) root.attribute(Attr.EXPECTED, source.expected)
      if (prepared.tags.length > 0) root.attribute(Attr.TAGS, prepared.tags)
      const context = new CaseContext(prepared, trial)

      // Plain assignments rather than spreads: this runs once per case × trial.
      const resultOf = (
        output: unknown,
        scores: Record<string, number | null>,
        metadata: Metadata,
        durationMs: number
      ): { -readonly [K in keyof EvalResult]: EvalResult[K] } => {
        const result: { -readonly [K in keyof EvalResult]: EvalResult[K] } = {
          caseId: prepared.caseId,
          trial,
          input: source.input,
          output,
          scores,
          metadata,
          durationMs,
          traceId: root.traceId,
          spanId: root.spanId
        }
        if (source.expected !== undefined) result.expected = source.expected
        if (source.tags !== undefined) result.tags = source.tags
        if (context.spanUsage !== undefined) result.usage = addUsage(context.usage, context.spanUsage)
        else if (context.usage !== undefined) result.usage = context.usage
        if (context.scorerUsage !== undefined) result.scorerUsage = context.scorerUsage
        return result
      }
      const metadataOf = (extra: Record<string, unknown> | undefined): Metadata =>
        context.extraMetadata === undefined && extra === undefined
          ? (source.metadata ?? {})
          : { ...prepared.metadata, ...context.extraMetadata, ...extra }
      /** Ends what is still open (scorers cut by the deadline), then the root. */
      const finish = (exit: Exit.Exit<unknown, unknown>): void => {
        for (let i = open.length - 1; i >= 0; i--) {
          const span = open[i]!
          if (span !== root) endSpan(span, INTERRUPTED)
        }
        endSpan(root, exit)
        open.length = 0
      }

      return Effect.flatMap(Effect.makeSpan("task", { parent: root, captureStackTrace: NO_STACK }), (taskSpan) => {
        open.push(taskSpan)
        // The mark `Trace.annotate({ usage })` finds from the task's own spans.
        ;(taskSpan as unknown as { [CaseUsage.CASE]: CaseUsage.UsageSink })[CaseUsage.CASE] = context
        taskSpan.attribute(Attr.KIND, "task")
        taskSpan.attribute(Attr.INPUT, source.input)
        const started = nowMillis()
        let taskEffect: Effect.Effect<unknown, unknown, any> = effectOf(call(() => task(source.input, context)))
        if (timeout !== undefined) {
          taskEffect = Effect.timeoutFail(taskEffect, {
            duration: timeout,
            onTimeout: () => new Cause.TimeoutException(timeoutMessage)
          })
        }

        // The task sees its span as its parent: the worker's context gets it
        // for the task and gets its own back in both branches below, rather
        // than through `Effect.withParentSpan`, whose uninterruptible
        // acquire/use/release costs more than the rest of the case's steps.
        // An interruption skips the restore, but it ends the worker too.
        return Effect.withFiberRuntime((fiber) => {
          const outer = fiber.getFiberRef(FiberRef.currentContext)
          const restore = FiberRef.set(FiberRef.currentContext, outer)
          return Effect.zipRight(
            FiberRef.set(FiberRef.currentContext, Context.add(outer, Tracer.ParentSpan, taskSpan)),
            Effect.matchCauseEffect(taskEffect, {
              onFailure: (cause) => Effect.zipRight(restore, failed(cause)),
              onSuccess: (value) => Effect.zipRight(restore, succeeded(value))
            })
          )
        })

        function failed(cause: Cause.Cause<unknown>): Effect.Effect<EvalResult> {
          const durationMs = nowMillis() - started
          // The `task` and `eval` spans end with the task's failure; the run goes on.
          const exit = Exit.failCause(cause)
          endSpan(taskSpan, exit)
          const metadata = metadataOf(undefined)
          const result = resultOf(undefined, {}, metadata, durationMs)
          result.error = describeCause(cause)
          if (context.extraMetadata !== undefined) root.attribute(Attr.METADATA, metadata)
          finish(exit)
          return Effect.succeed(result as EvalResult)
        }

        function succeeded(value: unknown): Effect.Effect<EvalResult, never, any> {
          const durationMs = nowMillis() - started
          let output = value
          if (isTaskOutput(value)) {
            context.add(value)
            output = value.output
          }
          taskSpan.attribute(Attr.OUTPUT, output)
          if (context.usage !== undefined) taskSpan.attribute(Attr.METRICS, usageMetrics(context.usage))
          endSpan(taskSpan, SUCCEEDED)
          root.attribute(Attr.OUTPUT, output)
          const args: ScorerArgs = {
            input: source.input,
            output,
            expected: source.expected,
            metadata: prepared.metadata,
            tags: prepared.tags,
            caseId: prepared.caseId,
            trial
          }
          return Effect.map(runScorers(args, root, open, context, timeoutMillis - durationMs), (outcomes): EvalResult => {
            const scores: Record<string, number | null> = {}
            let scorerErrors: Record<string, string> | undefined
            let scoreMetadata: Record<string, Metadata> | undefined
            const list: ReadonlyArray<ScorerOutcome> = Array.isArray(outcomes) ? outcomes : [outcomes]
            for (let i = 0; i < list.length; i++) {
              const outcome = list[i]!
              const name = scorers[i]!.name
              if ("error" in outcome) {
                Records.set(scorerErrors ??= {}, name, outcome.error)
                continue
              }
              for (const score of outcome.scores) {
                if (Object.hasOwn(scores, score.name)) {
                  Records.set(scorerErrors ??= {}, name, `score "${score.name}" was already given by another scorer`)
                  continue
                }
                Records.set(scores, score.name, score.score)
                if (score.metadata !== undefined) Records.set(scoreMetadata ??= {}, score.name, score.metadata)
              }
            }
            let extra: Record<string, unknown> | undefined
            if (scoreMetadata !== undefined) (extra ??= {}).scoreMetadata = scoreMetadata
            const metadata = metadataOf(extra)
            root.attribute(Attr.SCORES, scores)
            if (extra !== undefined || context.extraMetadata !== undefined) root.attribute(Attr.METADATA, metadata)
            finish(SUCCEEDED)
            const result = resultOf(output, scores, metadata, durationMs)
            if (scorerErrors !== undefined) result.scorerErrors = scorerErrors
            return result
          })
        }
      })
    })
  }

  return { run, abandon }
}
