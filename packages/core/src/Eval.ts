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
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import type { Clock, Scope, Tracer } from "effect"
import {
  Cause,
  Chunk,
  Duration,
  Effect,
  Exit,
  FiberId,
  FiberRef,
  Layer,
  Option,
  Predicate,
  Queue,
  Schema,
  Stream,
  Take
} from "effect"
import type { Metadata } from "./Dataset.js"
import type { EvalResult, Experiment, ExperimentState, ExperimentSummary, Usage } from "./Experiment.js"
import { Experiments } from "./Experiments.js"
import * as Attr from "./internal/attributes.js"
import * as CaseUsage from "./internal/caseUsage.js"
import type { InvalidInput, PromptOpsError } from "./PromptOpsError.js"
import { invalidInput } from "./PromptOpsError.js"
import * as Records from "./Records.js"

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
export const TaskOutputTypeId: unique symbol = Symbol.for("@promptops/core/Eval/TaskOutput")
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

const isTaskOutput = (u: unknown): u is TaskOutput<unknown> => Predicate.hasProperty(u, TaskOutputTypeId)

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

/** JSON with sorted keys, safe for cycles and BigInt: equal inputs give equal text. */
const canonicalJson = (value: unknown, ancestors: Array<object>): string => {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value)
    case "number":
      return Number.isFinite(value) ? String(value) : JSON.stringify(String(value))
    case "boolean":
      return String(value)
    case "bigint":
      return JSON.stringify(`${value}n`)
    case "undefined":
    case "function":
    case "symbol":
      return "null"
  }
  if (value === null) return "null"
  const object = value as object
  if (ancestors.includes(object)) return "\"[Circular]\""
  if (typeof (object as { toJSON?: unknown }).toJSON === "function") {
    return canonicalJson((object as { toJSON: () => unknown }).toJSON(), ancestors)
  }
  ancestors.push(object)
  let out: string
  if (Array.isArray(object)) {
    out = `[${object.map((item) => canonicalJson(item, ancestors)).join(",")}]`
  } else {
    const record = object as Record<string, unknown>
    const parts: Array<string> = []
    for (const key of Object.keys(record).sort()) {
      const item = record[key]
      // As JSON does: keys with no JSON value are left out.
      if (item === undefined || typeof item === "function" || typeof item === "symbol") continue
      parts.push(`${JSON.stringify(key)}:${canonicalJson(item, ancestors)}`)
    }
    out = `{${parts.join(",")}}`
  }
  ancestors.pop()
  return out
}

/**
 * The case id of an input without an id: 32 hex characters of the SHA-256 of
 * its JSON with sorted keys. Stable across runs and processes, so a baseline
 * matches its cases. Within a run, a repeated input gets `-2`, `-3`, … in data
 * order.
 *
 * @since 0.1.0
 */
export const caseId = (input: unknown): string =>
  createHash("sha256").update(canonicalJson(input, [])).digest("hex").slice(0, 32)

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

const OPERATION = "Eval.run"

const invalid = (path: string, description: string): InvalidInput =>
  invalidInput({ operation: OPERATION, path: `${OPERATION}.${path}`, description })

const isPositiveInteger = (u: unknown): u is number => typeof u === "number" && Number.isSafeInteger(u) && u >= 1

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
// Cases and jobs
// ---------------------------------------------------------------------------

/** One case × trial to run. */
interface Job {
  readonly prepared: PreparedCase
  readonly trial: number
  /** Position in data order × trial order, to return results in that order. */
  readonly sequence: number
}

interface PreparedCase {
  readonly source: EvalCase
  readonly caseId: string
  readonly trials: number
  readonly metadata: Metadata
  readonly tags: ReadonlyArray<string>
}

const EMPTY_METADATA: Metadata = Object.freeze({})
const EMPTY_TAGS: ReadonlyArray<string> = Object.freeze([])

/**
 * Case ids derived from inputs, with how often each was seen in this run: a
 * repeated input gets `-2`, `-3`, … so its results do not overwrite the first
 * one's (backends key results by case id and trial).
 */
type DerivedIds = Map<string, number>

const derivedCaseId = (seen: DerivedIds, input: unknown): string => {
  const id = caseId(input)
  const count = (seen.get(id) ?? 0) + 1
  seen.set(id, count)
  return count === 1 ? id : `${id}-${count}`
}

const prepare = (
  raw: unknown,
  index: number,
  defaultTrials: number,
  seen: DerivedIds
): PreparedCase | InvalidInput => {
  const path = `data[${index}]`
  if (typeof raw !== "object" || raw === null || !("input" in raw)) {
    return invalid(path, `${path} must be an object with an \`input\``)
  }
  const source = raw as EvalCase
  if (source.id !== undefined && (typeof source.id !== "string" || source.id.length === 0)) {
    return invalid(`${path}.id`, `${path}.id must be a non-empty string when present`)
  }
  if (source.trials !== undefined && !isPositiveInteger(source.trials)) {
    return invalid(`${path}.trials`, `${path}.trials must be an integer ≥ 1, got ${String(source.trials)}`)
  }
  return {
    source,
    caseId: source.id ?? derivedCaseId(seen, source.input),
    trials: source.trials ?? defaultTrials,
    metadata: source.metadata ?? EMPTY_METADATA,
    tags: source.tags ?? EMPTY_TAGS
  }
}

const NEEDS_FETCH: unique symbol = Symbol("NeedsFetch")

/**
 * Cases, taken synchronously while some are at hand; `fetch` (serialised by
 * the caller) refills from an asynchronous source.
 */
interface CaseSource<E, R> {
  readonly take: () => unknown | typeof NEEDS_FETCH
  readonly done: () => boolean
  readonly ready: () => boolean
  readonly fetch: Effect.Effect<void, E, R>
}

const iterableSource = (iterable: Iterable<unknown>): CaseSource<never, never> => {
  const iterator = iterable[Symbol.iterator]()
  let finished = false
  return {
    take: () => {
      if (finished) return NEEDS_FETCH
      const step = iterator.next()
      if (step.done === true) {
        finished = true
        return NEEDS_FETCH
      }
      return step.value
    },
    done: () => finished,
    ready: () => !finished,
    fetch: Effect.void
  }
}

const streamSource = <E, R>(
  stream: Stream.Stream<unknown, E, R>
): Effect.Effect<CaseSource<E, R>, never, R | Scope.Scope> =>
  Effect.map(Stream.toPull(stream), (pull) => {
    let chunk: ReadonlyArray<unknown> = []
    let position = 0
    let finished = false
    return {
      take: () => (position < chunk.length ? chunk[position++] : NEEDS_FETCH),
      done: () => finished && position >= chunk.length,
      ready: () => position < chunk.length,
      fetch: Effect.matchEffect(pull, {
        onSuccess: (next) =>
          Effect.sync(() => {
            chunk = Chunk.toReadonlyArray(next)
            position = 0
          }),
        onFailure: (error) =>
          Option.isNone(error)
            ? Effect.sync(() => {
              finished = true
            })
            : Effect.fail(error.value)
      })
    }
  })

/** Sums case × trial counts when the data is an array; unknown otherwise. */
const totalOf = (data: unknown, trials: number): number | undefined => {
  if (!Array.isArray(data)) return undefined
  let total = 0
  for (const item of data) {
    const own = Predicate.hasProperty(item, "trials") ? item.trials : undefined
    total += isPositiveInteger(own) ? own : trials
  }
  return total
}

// ---------------------------------------------------------------------------
// One case × trial
// ---------------------------------------------------------------------------

const describeError = (error: unknown): string => {
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

const describeCause = (cause: Cause.Cause<unknown>): string =>
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

const addUsage = (left: Usage | undefined, right: Usage): Usage => {
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
 * One case × trial while it runs: the context its task sees, and what the
 * task annotated. One object per case rather than a context plus closures.
 */
class CaseContext implements TaskContext<unknown>, CaseUsage.UsageSink {
  usage: Usage | undefined = undefined
  /** Usage annotated on spans below the task span (`Trace.annotate` in an LLM call), kept apart from the task span's own. */
  spanUsage: Usage | undefined = undefined
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

interface CaseRunner {
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
const makeCaseRunner = (options: {
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
    open: Array<Tracer.Span>
  ): Effect.Effect<ScorerOutcome, never, any> =>
    Effect.flatMap(Effect.makeSpan(scorer.name, { parent: root, captureStackTrace: NO_STACK }), (span) => {
      open.push(span)
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
    remainingMillis: number
  ): Effect.Effect<ScorerOutcome | ReadonlyArray<ScorerOutcome>, never, any> => {
    if (scorers.length === 1) {
      // The common case: no fiber per scorer.
      const one = runScorer(scorers[0]!, args, root, open)
      return timeout === undefined ? one : Effect.map(
        Effect.timeoutOption(one, Duration.millis(Math.max(remainingMillis, 0))),
        Option.getOrElse((): ScorerOutcome => ({ error: timeoutMessage }))
      )
    }
    const outcomes: Array<ScorerOutcome | undefined> = new Array(scorers.length)
    const all = Effect.forEach(
      scorers,
      (scorer, i) =>
        Effect.map(runScorer(scorer, args, root, open), (outcome) => {
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
        let taskEffect: Effect.Effect<unknown, unknown, any> = Effect.withParentSpan(
          effectOf(call(() => task(source.input, context))),
          taskSpan
        )
        if (timeout !== undefined) {
          taskEffect = Effect.timeoutFail(taskEffect, {
            duration: timeout,
            onTimeout: () => new Cause.TimeoutException(timeoutMessage)
          })
        }

        return Effect.matchCauseEffect(taskEffect, {
          onFailure: (cause) => {
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
          },
          onSuccess: (value) => {
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
            return Effect.map(runScorers(args, root, open, timeoutMillis - durationMs), (outcomes): EvalResult => {
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
    })
  }

  return { run, abandon }
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

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
      const data: unknown = options.data
      let streamData: Stream.Stream<unknown, ED, RD> | undefined
      let iterableData: Iterable<unknown> | undefined
      if (Predicate.hasProperty(data, Stream.StreamTypeId)) {
        streamData = data as Stream.Stream<unknown, ED, RD>
      } else if (Effect.isEffect(data)) {
        const load = data as Effect.Effect<Iterable<unknown>, ED, RD>
        iterableData = yield* (services === undefined ? load : Effect.provide(load, services))
      } else {
        iterableData = data as Iterable<unknown>
      }
      if (streamData === undefined && !Predicate.isIterable(iterableData)) {
        return yield* Effect.fail(
          invalid("data", "data must be a Stream, an array or iterable of cases, or an Effect producing one")
        )
      }
      const total = iterableData === undefined ? undefined : totalOf(iterableData, settings.trials)

      let completed = 0
      let failed = 0
      let scorerErrors = 0
      const stateOf = (
        status: ExperimentState["status"],
        extra?: { readonly gate?: "passed" | "failed"; readonly reason?: string }
      ): ExperimentState => ({
        status,
        ...(total !== undefined ? { total } : {}),
        completed,
        errors: failed,
        scorerErrors,
        ...extra
      })
      /** The state of a run that ended early, from why it ended. */
      const endState = (cause: Cause.Cause<unknown>): ExperimentState => {
        const failure = Cause.failureOption(cause)
        if (Option.isSome(failure) && failure.value instanceof EvalTimeout) {
          return stateOf("partial", { reason: `overall timeout (${failure.value.timeout})` })
        }
        if (Cause.isInterruptedOnly(cause)) return stateOf("partial", { reason: "interrupted" })
        return stateOf("failed", { reason: describeCause(cause) })
      }

      const created = yield* experiments.create({
        name: options.name,
        baseline: options.baseline,
        dataset: options.dataset,
        metadata: options.metadata
      })
      ending = (cause) => experiments.setState(created.id, endState(cause))
      const running = stateOf("running")
      yield* experiments.setState(created.id, running)
      const experiment: Experiment = { ...created, state: running }
      const onProgress = options.onProgress
      if (onProgress !== undefined) yield* onProgress({ _tag: "Started", experiment, total })

      const runner = makeCaseRunner({
        experimentId: experiment.id,
        task: options.task as any,
        scorers: options.scorers as any,
        timeout: settings.timeout,
        clock,
        timingEnabled: yield* FiberRef.get(FiberRef.currentTracerTimingEnabled)
      })

      // Results waiting for the next `Experiments.log`, and (optionally) all of them.
      let pending: Array<EvalResult> = []
      const collected: Array<readonly [number, EvalResult]> | undefined = options.returnResults === false
        ? undefined
        : []
      // Every result, for the summary: the runner holds them, so it never reads them back from the backend.
      const held: Array<EvalResult> = []
      const logLock = yield* Effect.makeSemaphore(1)
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

      /** Records a result; returns the effect still to run (progress, a full batch), if any. */
      const complete = (job: Job, result: EvalResult): Effect.Effect<void, PromptOpsError, RP> | undefined => {
        completed++
        if (result.error !== undefined) failed++
        if (result.scorerErrors !== undefined) scorerErrors += Object.keys(result.scorerErrors).length
        collected?.push([job.sequence, result])
        held.push(result)
        pending.push(result)
        const progress = onProgress === undefined
          ? undefined
          : onProgress({ _tag: "CaseCompleted", result, completed, failed, total })
        if (pending.length < settings.batchSize) return progress
        const batch = pending
        pending = []
        return progress === undefined ? logBatch(batch) : Effect.zipRight(progress, logBatch(batch))
      }

      const work = Effect.gen(function*() {
        const source: CaseSource<ED, RD> = streamData !== undefined
          ? yield* streamSource(streamData)
          : iterableSource(iterableData!)
        const fetchLock = yield* Effect.makeSemaphore(1)
        const fetch = fetchLock.withPermits(1)(
          Effect.suspend(() => (source.ready() || source.done() ? Effect.void : source.fetch))
        )

        // Jobs are handed out synchronously from the current case; a new case is
        // taken from the source only when the trials of the current one are out.
        let current: PreparedCase | undefined
        let nextTrial = 0
        let caseIndex = 0
        let sequence = 0
        const seen: DerivedIds = new Map()
        const takeJob = (): Job | undefined | InvalidInput | typeof NEEDS_FETCH => {
          for (;;) {
            if (current !== undefined && nextTrial < current.trials) {
              return { prepared: current, trial: nextTrial++, sequence: sequence++ }
            }
            const raw = source.take()
            if (raw === NEEDS_FETCH) return source.done() ? undefined : NEEDS_FETCH
            const prepared = prepare(raw, caseIndex++, settings.trials, seen)
            if (!("caseId" in prepared)) return prepared
            current = prepared
            nextTrial = 0
          }
        }
        // The slow path: refill from the source, or fail on an invalid case.
        const nextJob: Effect.Effect<Job | undefined, ED | InvalidInput, RD> = Effect.suspend(
          function loop(): Effect.Effect<Job | undefined, ED | InvalidInput, RD> {
            const taken = takeJob()
            if (taken === NEEDS_FETCH) return Effect.zipRight(fetch, Effect.suspend(loop))
            if (taken !== undefined && !("prepared" in taken)) return Effect.fail(taken)
            return Effect.succeed(taken)
          }
        )

        const worker = Effect.suspend(() => {
          // The spans of this worker's case in flight, ended here if it is interrupted.
          const open: Array<Tracer.Span> = []
          return Effect.gen(function*() {
            for (;;) {
              const taken = takeJob()
              if (taken !== undefined && taken !== NEEDS_FETCH && !("prepared" in taken)) return yield* Effect.fail(taken)
              const job = taken === NEEDS_FETCH ? yield* nextJob : taken
              if (job === undefined) return
              const result = yield* runner.run(job, open)
              const after = complete(job, result)
              if (after !== undefined) yield* after
            }
          }).pipe(Effect.onInterrupt(() => Effect.sync(() => runner.abandon(open))))
        })
        const workers = total === undefined ? settings.concurrency : Math.min(settings.concurrency, total)
        yield* Effect.all(Array.from({ length: workers }, () => worker), { concurrency: "unbounded", discard: true })
      })
      // The layer's services, given once to the workers (whose fibers inherit
      // them) rather than to each case's task and scorers: no cost per case.
      const processing = (services === undefined ? work : Effect.provide(work, services)).pipe(
        Effect.scoped,
        // On failure or interruption the finished results are still logged; the
        // original failure wins over a failure to log them.
        Effect.onExit((exit) =>
          Exit.isSuccess(exit) ? Effect.void : flush.pipe(
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
          (timedOut) => (timedOut ? Effect.void : flush)
        )
      )
      if (timedOut && settings.overallTimeout !== undefined) {
        // Read after the interruption, so `completed` counts exactly what was logged.
        return yield* Effect.fail(
          new EvalTimeout({
            experimentId: experiment.id,
            experimentName: experiment.name,
            timeout: Duration.format(settings.overallTimeout),
            completed,
            ...(total !== undefined ? { total } : {})
          })
        )
      }

      // Summarised from the results in hand (only the baseline's are read), as `summarize` would from the stored ones.
      const computed = yield* experiments.summarizeResults(experiment, held, { baseline: options.baseline })
      const state = stateOf(
        "complete",
        options.gate === undefined ? undefined : { gate: options.gate(computed) ? "passed" : "failed" }
      )
      yield* experiments.setState(experiment.id, state)
      recorded = true
      const summary: ExperimentSummary = { ...computed, state }
      if (onProgress !== undefined) yield* onProgress({ _tag: "Finished", summary })
      const ended: Experiment = { ...experiment, state }
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
