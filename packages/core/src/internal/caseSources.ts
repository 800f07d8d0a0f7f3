/**
 * Where the cases of an eval come from: the data given to `Eval.run` (a
 * `Stream`, an iterable, or an effect producing one) read as a source of
 * cases, each checked and given its case id, and handed out as case × trial
 * jobs.
 *
 * Jobs are taken synchronously while cases are at hand; only an empty buffer
 * of a streamed source costs an effect (`fetch`), serialised between the
 * workers.
 */
import { Chunk, Effect, Option, Predicate, Stream } from "effect"
import type { Context, Scope } from "effect"
import type { Metadata } from "../Dataset.js"
import type { EvalCase } from "../Eval.js"
import * as Json from "../Json.js"
import type { InvalidInput } from "../PromptOpsError.js"
import { invalidInput } from "../PromptOpsError.js"

// ---------------------------------------------------------------------------
// Validation rules shared with `Eval.run`
// ---------------------------------------------------------------------------

export const OPERATION = "Eval.run"

export const invalid = (path: string, description: string): InvalidInput =>
  invalidInput({ operation: OPERATION, path: `${OPERATION}.${path}`, description })

export const isPositiveInteger = (u: unknown): u is number => typeof u === "number" && Number.isSafeInteger(u) && u >= 1

// ---------------------------------------------------------------------------
// Cases and jobs
// ---------------------------------------------------------------------------

/** One case × trial to run. */
export interface Job {
  readonly prepared: PreparedCase
  readonly trial: number
  /** Position in data order × trial order, to return results in that order. */
  readonly sequence: number
}

export interface PreparedCase {
  readonly source: EvalCase
  readonly caseId: string
  readonly trials: number
  readonly metadata: Metadata
  readonly tags: ReadonlyArray<string>
}

const EMPTY_METADATA: Metadata = Object.freeze({})
const EMPTY_TAGS: ReadonlyArray<string> = Object.freeze([])

/**
 * Gives a derived case id its repeat suffix: a repeated input gets `-2`, `-3`,
 * … in data order, so its results do not overwrite the first one's (backends
 * key results by case id and trial). One per run.
 */
export type DerivedIds = (id: string) => string

/** A fresh counter of derived case ids, for one run. */
export const derivedIds = (): DerivedIds => Json.repeatCounter()

export const prepare = (
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
    caseId: source.id ?? seen(Json.contentId(source.input)),
    trials: source.trials ?? defaultTrials,
    metadata: source.metadata ?? EMPTY_METADATA,
    tags: source.tags ?? EMPTY_TAGS
  }
}

export const NEEDS_FETCH: unique symbol = Symbol("NeedsFetch")

/**
 * Cases, taken synchronously while some are at hand; `fetch` (serialised by
 * the caller) refills from an asynchronous source.
 */
export interface CaseSource<E, R> {
  readonly take: () => unknown | typeof NEEDS_FETCH
  readonly done: () => boolean
  readonly ready: () => boolean
  readonly fetch: Effect.Effect<void, E, R>
}

export const iterableSource = (iterable: Iterable<unknown>): CaseSource<never, never> => {
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

export const streamSource = <E, R>(
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
export const totalOf = (data: unknown, trials: number): number | undefined => {
  if (!Array.isArray(data)) return undefined
  let total = 0
  for (const item of data) {
    const own = Predicate.hasProperty(item, "trials") ? item.trials : undefined
    total += isPositiveInteger(own) ? own : trials
  }
  return total
}

// ---------------------------------------------------------------------------
// The data of a run
// ---------------------------------------------------------------------------

/** The data of a run, ready to read: a stream to pull, or an iterable (loaded from an effect if it was one). */
export type LoadedData<E, R> =
  | { readonly _tag: "Stream"; readonly stream: Stream.Stream<unknown, E, R> }
  | { readonly _tag: "Iterable"; readonly iterable: Iterable<unknown> }

/**
 * Reads `RunOptions.data`: a stream is kept as is; an effect is run (with the
 * run's layer services, if any) for the iterable it produces. Anything but a
 * stream or an iterable is an `InvalidInput`.
 */
export const loadData = <E, R>(
  data: unknown,
  services: Context.Context<unknown> | undefined
): Effect.Effect<LoadedData<E, R>, E | InvalidInput, R> =>
  Effect.gen(function*() {
    if (Predicate.hasProperty(data, Stream.StreamTypeId)) {
      return { _tag: "Stream", stream: data as Stream.Stream<unknown, E, R> } as const
    }
    let iterable: unknown
    if (Effect.isEffect(data)) {
      const load = data as Effect.Effect<Iterable<unknown>, E, R>
      iterable = yield* (services === undefined ? load : Effect.provide(load, services))
    } else {
      iterable = data
    }
    if (!Predicate.isIterable(iterable)) {
      return yield* Effect.fail(
        invalid("data", "data must be a Stream, an array or iterable of cases, or an Effect producing one")
      )
    }
    return { _tag: "Iterable", iterable } as const
  })

/** The jobs of a run, handed out to its workers. */
export interface Jobs<E, R> {
  /**
   * The next job, synchronously: `undefined` once the data is exhausted,
   * `NEEDS_FETCH` when `next` must refill from the source, an `InvalidInput`
   * for an invalid case.
   */
  readonly take: () => Job | undefined | InvalidInput | typeof NEEDS_FETCH
  /** The slow path: refills from the source (one worker at a time), or fails on an invalid case. */
  readonly next: Effect.Effect<Job | undefined, E | InvalidInput, R>
}

/**
 * Opens the data as a case source (a stream's pull lives in the scope) and
 * hands out its case × trial jobs in data order, then trial order. Jobs are
 * handed out synchronously from the current case; a new case is taken from
 * the source only when the trials of the current one are out.
 */
export const makeJobs = <E, R>(
  data: LoadedData<E, R>,
  defaultTrials: number
): Effect.Effect<Jobs<E, R>, never, R | Scope.Scope> =>
  Effect.gen(function*() {
    const source: CaseSource<E, R> = data._tag === "Stream"
      ? yield* streamSource(data.stream)
      : iterableSource(data.iterable)
    const fetchLock = yield* Effect.makeSemaphore(1)
    const fetch = fetchLock.withPermits(1)(
      Effect.suspend(() => (source.ready() || source.done() ? Effect.void : source.fetch))
    )

    let current: PreparedCase | undefined
    let nextTrial = 0
    let caseIndex = 0
    let sequence = 0
    const seen = derivedIds()
    const take = (): Job | undefined | InvalidInput | typeof NEEDS_FETCH => {
      for (;;) {
        if (current !== undefined && nextTrial < current.trials) {
          return { prepared: current, trial: nextTrial++, sequence: sequence++ }
        }
        const raw = source.take()
        if (raw === NEEDS_FETCH) return source.done() ? undefined : NEEDS_FETCH
        const prepared = prepare(raw, caseIndex++, defaultTrials, seen)
        if (!("caseId" in prepared)) return prepared
        current = prepared
        nextTrial = 0
      }
    }
    const next: Effect.Effect<Job | undefined, E | InvalidInput, R> = Effect.suspend(
      function loop(): Effect.Effect<Job | undefined, E | InvalidInput, R> {
        const taken = take()
        if (taken === NEEDS_FETCH) return Effect.zipRight(fetch, Effect.suspend(loop))
        if (taken !== undefined && !("prepared" in taken)) return Effect.fail(taken)
        return Effect.succeed(taken)
      }
    )
    return { take, next }
  })
