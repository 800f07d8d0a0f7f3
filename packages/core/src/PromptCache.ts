/**
 * A cache in front of any `Prompts` backend: TTL, stale-while-revalidate,
 * stale-if-error and an LRU bound, and every answer says where it came from
 * (`fresh`, `cached`, `stale` or `fallback`).
 *
 * - A pinned `version` is immutable, so it is cached until LRU eviction and never
 *   refetched. A `tag` (or the backend default) is mutable and follows the TTL.
 * - Past the TTL, for the `staleWhileRevalidate` window, the stale copy is served
 *   at once while one background refresh runs. After that window a get waits for
 *   the backend.
 * - When the backend is unreachable (`TransportError`, `RateLimited`,
 *   `ProviderUnavailable`) a previous copy up to `maxStale` old is served as a
 *   `fallback`. Every other error (NotFound, Unauthorized, BadRequest, …) reaches
 *   the caller: the cache never hides that a prompt is gone or access is denied.
 * - Concurrent gets of one key share one backend request; background refreshes
 *   run in the layer's `Scope`, so closing the layer interrupts them.
 *
 * @since 0.1.0
 */
import { Clock, Context, Deferred, Duration, Effect, Exit, FiberId, Layer, Option, Scope, Tracer } from "effect"
import * as LibrarySpan from "./internal/librarySpan.js"
import type { Prompt } from "./Prompt.js"
import { type InvalidInput, invalidInput, type PromptOpsError } from "./PromptOpsError.js"
import { type GetOptions, Prompts } from "./Prompts.js"

/**
 * Where a cached get's prompt came from:
 * - `fresh`: fetched from the backend for this call;
 * - `cached`: served within its TTL (or a pinned version);
 * - `stale`: served past its TTL while a background refresh runs;
 * - `fallback`: the backend was unreachable and a previous copy was served.
 *
 * @since 0.1.0
 */
export type CacheSource = "fresh" | "cached" | "stale" | "fallback"

/**
 * A prompt and how the cache obtained it. `ageMs` is the time since the copy
 * was fetched from the backend (0 for `fresh`).
 *
 * @since 0.1.0
 */
export interface CachedPrompt {
  readonly prompt: Prompt
  readonly source: CacheSource
  readonly ageMs: number
}

/**
 * @since 0.1.0
 */
export declare namespace PromptCache {
  /**
   * @since 0.1.0
   */
  export interface Options {
    /** How long a copy of a mutable (tag / default) prompt is served as `cached`. Default 60 seconds. */
    readonly ttl?: Duration.DurationInput | undefined
    /**
     * The window past the TTL during which the stale copy is served at once while
     * one background refresh runs. Default 5 minutes. After it a get waits for the backend.
     */
    readonly staleWhileRevalidate?: Duration.DurationInput | undefined
    /** Serve a previous copy when the backend is unreachable. Default `true`. */
    readonly staleIfError?: boolean | undefined
    /** The oldest copy `staleIfError` may serve. Default unbounded. */
    readonly maxStale?: Duration.DurationInput | undefined
    /** How many prompts are kept; the least recently used goes first. Default 1000. */
    readonly maxEntries?: number | undefined
    /**
     * After a background refresh fails, stale gets of that key start no other
     * refresh for this long, so an outage is not hit once per get (default 5 s).
     */
    readonly refreshBackoff?: Duration.DurationInput | undefined
  }

  /**
   * Counters since the cache was made. `hits` + `staleServes` + `misses` is the
   * number of gets; a `fallback` is counted in `misses` too (the get went to the backend).
   *
   * @since 0.1.0
   */
  export interface Stats {
    /** Gets served `cached`. */
    readonly hits: number
    /** Gets that went to the backend (nothing usable cached, or past the stale window). */
    readonly misses: number
    /** Gets served `stale` while a refresh ran. */
    readonly staleServes: number
    /** Gets served `fallback` because the backend was unreachable. */
    readonly fallbacks: number
    /** Background refreshes started. */
    readonly refreshes: number
    /** Background refreshes that failed (the stale copy was kept). */
    readonly refreshFailures: number
    /** Entries dropped by the LRU bound. */
    readonly evictions: number
    /** Entries held now. */
    readonly size: number
  }

  /**
   * @since 0.1.0
   */
  export interface Service {
    readonly get: (slug: string, options?: GetOptions) => Effect.Effect<CachedPrompt, PromptOpsError>
    /** Forgets one slug (every version and tag of it), or everything. The next get goes to the backend. */
    readonly invalidate: (slug?: string) => Effect.Effect<void>
    readonly stats: Effect.Effect<Stats>
  }
}

/**
 * @since 0.1.0
 */
export class PromptCache extends Context.Tag("@promptops/core/PromptCache")<PromptCache, PromptCache.Service>() {}

/** The span attribute that records the cache source of a get. */
const CACHE_ATTRIBUTE = "promptops.prompt.cache"

/**
 * Records the cache source on the caller's span. `Effect.annotateCurrentSpan`
 * builds a `NoSuchElementException` (with its stack) when there is no span,
 * ~15 µs; a cache hit must not pay that, so the span is looked up directly.
 */
const annotateSource = (context: Context.Context<never>, source: CacheSource): void => {
  const span = Context.getOption(context, Tracer.ParentSpan)
  if (Option.isSome(span) && span.value._tag === "Span") span.value.attribute(CACHE_ATTRIBUTE, source)
}

const DEFAULT_TTL: Duration.Duration = Duration.seconds(60)
const DEFAULT_STALE_WHILE_REVALIDATE: Duration.Duration = Duration.minutes(5)
const DEFAULT_MAX_ENTRIES = 1000

interface Entry {
  readonly slug: string
  readonly prompt: Prompt
  /** Clock time (ms) when the backend answered. */
  readonly fetchedAt: number
  /** A pinned version never changes, so it never expires. */
  readonly pinned: boolean
}

/** One backend request for a key, shared by every get that needs it. */
interface Flight {
  readonly slug: string
  readonly deferred: Deferred.Deferred<Prompt, PromptOpsError>
}

interface Counters {
  hits: number
  misses: number
  staleServes: number
  fallbacks: number
  refreshes: number
  refreshFailures: number
  evictions: number
}

/** Only an unreachable backend may be masked by an older copy. */
const isUnreachable = (error: PromptOpsError): boolean =>
  error._tag === "TransportError" || error._tag === "RateLimited" || error._tag === "ProviderUnavailable"

const keyOf = (slug: string, options: GetOptions): string =>
  JSON.stringify([slug, options.version ?? null, options.tag ?? null])

const durationMillis = (
  path: string,
  input: Duration.DurationInput | undefined,
  fallback: Duration.Duration
): Effect.Effect<number, InvalidInput> =>
  input === undefined
    ? Effect.succeed(Duration.toMillis(fallback))
    : Option.match(Duration.decodeUnknown(input), {
      onNone: () =>
        Effect.fail(
          invalidInput({ operation: "PromptCache.make", path, description: `${path} is not a valid duration` })
        ),
      onSome: (duration) => Effect.succeed(Duration.toMillis(duration))
    })

/**
 * Wraps the `Prompts` backend in context with a cache. Background refreshes run
 * in the `Scope`; closing it interrupts them. An invalid option (a `maxEntries`
 * that is not a positive integer, an unparsable duration) fails with an
 * `InvalidInput` naming it, at startup.
 *
 * @since 0.1.0
 */
export const make = (
  options: PromptCache.Options = {}
): Effect.Effect<PromptCache.Service, InvalidInput, Prompts | Scope.Scope> =>
  Effect.gen(function*() {
    const backend = yield* Prompts
    const scope = yield* Scope.Scope
    const ttlMs = yield* durationMillis("ttl", options.ttl, DEFAULT_TTL)
    const staleWindowMs = yield* durationMillis(
      "staleWhileRevalidate",
      options.staleWhileRevalidate,
      DEFAULT_STALE_WHILE_REVALIDATE
    )
    const maxStaleMs = yield* durationMillis("maxStale", options.maxStale, Duration.infinity)
    const refreshBackoffMs = yield* durationMillis("refreshBackoff", options.refreshBackoff, Duration.seconds(5))
    const staleIfError = options.staleIfError ?? true
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      return yield* Effect.fail(invalidInput({
        operation: "PromptCache.make",
        path: "maxEntries",
        description: `maxEntries must be a positive integer, got ${maxEntries}`
      }))
    }

    // Plain mutable maps: every read-modify-write below happens inside one
    // synchronous callback, so fibers cannot interleave within it. A Map keeps
    // insertion order, which makes it an LRU list (re-insert on use, evict first).
    const entries = new Map<string, Entry>()
    const flights = new Map<string, Flight>()
    /** When the last background refresh of a key failed. */
    const refreshFailedAt = new Map<string, number>()
    const counters: Counters = {
      hits: 0,
      misses: 0,
      staleServes: 0,
      fallbacks: 0,
      refreshes: 0,
      refreshFailures: 0,
      evictions: 0
    }

    const touch = (key: string, entry: Entry): void => {
      entries.delete(key)
      entries.set(key, entry)
    }

    const store = (key: string, entry: Entry): void => {
      touch(key, entry)
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value as string
        entries.delete(oldest)
        counters.evictions++
      }
    }

    /**
     * Runs the backend request of a flight in the cache's scope. Only the request
     * itself is interruptible (by closing the scope); completing the flight always
     * runs, so no waiter is left hanging. A flight dropped by `invalidate` while
     * running still answers its waiters but does not store what it fetched.
     */
    const runFlight = (key: string, flight: Flight, options: GetOptions, background: boolean) => {
      const fetch = backend.get(flight.slug, options).pipe(
        Effect.flatMap((prompt) =>
          Effect.map(Clock.currentTimeMillis, (now) => {
            if (flights.get(key) === flight) {
              store(key, { slug: flight.slug, prompt, fetchedAt: now, pinned: options.version !== undefined })
              refreshFailedAt.delete(key)
            }
            return prompt
          })
        )
      )
      // A flight is the cache's own request, shared by every get waiting on it (a
      // refresh outlives the get that started it): it is never traced, so the
      // backend's requests do not show up in the user's traces. The get's own span
      // (see `layer`) records what the caller saw.
      return Effect.interruptible(Effect.withTracerEnabled(fetch, false)).pipe(
        Effect.exit,
        Effect.flatMap((exit) => {
          if (flights.get(key) === flight) flights.delete(key)
          const failedRefresh = background && Exit.isFailure(exit) && !Exit.isInterrupted(exit)
          if (failedRefresh) counters.refreshFailures++
          return Effect.zipRight(
            failedRefresh ? Effect.map(Clock.currentTimeMillis, (now) => refreshFailedAt.set(key, now)) : Effect.void,
            Deferred.done(flight.deferred, exit)
          ).pipe(
            Effect.zipRight(
              failedRefresh && Exit.isFailure(exit)
                ? Effect.logDebug("PromptCache: background refresh failed; keeping the stale copy", exit.cause).pipe(
                  Effect.annotateLogs("promptops.prompt.slug", flight.slug)
                )
                : Effect.void
            )
          )
        }),
        Effect.forkIn(scope)
      )
    }

    /**
     * The flight in progress for `key`, or a new one and the effect that starts
     * it. Runs inside an uninterruptible region together with that start, so a
     * registered flight always runs (and always completes its deferred).
     */
    const joinOrStart = (
      key: string,
      slug: string,
      options: GetOptions,
      background: boolean
    ): readonly [Flight, Effect.Effect<unknown>] => {
      const existing = flights.get(key)
      if (existing !== undefined) return [existing, Effect.void]
      const flight: Flight = { slug, deferred: Deferred.unsafeMake<Prompt, PromptOpsError>(FiberId.none) }
      flights.set(key, flight)
      if (background) counters.refreshes++
      return [flight, runFlight(key, flight, options, background)]
    }

    /** Starts a background refresh unless a request for `key` is already running. */
    const refreshInBackground = (key: string, slug: string, options: GetOptions): Effect.Effect<unknown> =>
      Effect.uninterruptible(Effect.suspend(() => joinOrStart(key, slug, options, true)[1]))

    /** A get that goes to the backend, with stale-if-error on an unreachable backend. */
    const viaBackend = (
      clock: Clock.Clock,
      key: string,
      slug: string,
      options: GetOptions
    ): Effect.Effect<CachedPrompt, PromptOpsError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          const [flight, start] = joinOrStart(key, slug, options, false)
          // Only the wait is interruptible: the request itself belongs to the cache's scope.
          return Effect.zipRight(start, restore(Deferred.await(flight.deferred)))
        })
      ).pipe(
        Effect.map((prompt): CachedPrompt => ({ prompt, source: "fresh", ageMs: 0 })),
        Effect.catchIf(
          (error) => staleIfError && isUnreachable(error),
          (error) =>
            Effect.suspend(() => {
              const now = clock.unsafeCurrentTimeMillis()
              const entry = entries.get(key)
              if (entry === undefined || now - entry.fetchedAt > maxStaleMs) return Effect.fail(error)
              touch(key, entry)
              counters.fallbacks++
              const ageMs = now - entry.fetchedAt
              return Effect.succeed<CachedPrompt>({ prompt: entry.prompt, source: "fallback", ageMs })
            })
        )
      )

    // The decision is one synchronous step (clock read, lookup, counters, span
    // annotation) on the fiber's own clock and context, so a hit is two effect steps.
    const get = (slug: string, options: GetOptions = {}): Effect.Effect<CachedPrompt, PromptOpsError> =>
      Effect.withFiberRuntime<CachedPrompt, PromptOpsError>((fiber) => {
        const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
        const context = fiber.currentContext
        const now = clock.unsafeCurrentTimeMillis()
        const key = keyOf(slug, options)
        const entry = entries.get(key)
        if (entry !== undefined) {
          const ageMs = now - entry.fetchedAt
          if (entry.pinned || ageMs < ttlMs) {
            touch(key, entry)
            counters.hits++
            annotateSource(context, "cached")
            return Effect.succeed({ prompt: entry.prompt, source: "cached", ageMs })
          }
          if (ageMs < ttlMs + staleWindowMs) {
            touch(key, entry)
            counters.staleServes++
            annotateSource(context, "stale")
            const stale: CachedPrompt = { prompt: entry.prompt, source: "stale", ageMs }
            const failedAt = refreshFailedAt.get(key)
            if (failedAt !== undefined && now - failedAt < refreshBackoffMs) return Effect.succeed(stale)
            return Effect.as(refreshInBackground(key, slug, options), stale)
          }
        }
        counters.misses++
        return Effect.tap(viaBackend(clock, key, slug, options), (cached) => {
          annotateSource(context, cached.source)
        })
      })

    const invalidate = (slug?: string): Effect.Effect<void> =>
      Effect.sync(() => {
        if (slug === undefined) {
          entries.clear()
          flights.clear()
          refreshFailedAt.clear()
          return
        }
        for (const [key, entry] of entries) {
          if (entry.slug === slug) entries.delete(key)
        }
        // A flight still running answers its waiters, but its result is not stored.
        for (const [key, flight] of flights) {
          if (flight.slug === slug) flights.delete(key)
        }
      })

    const stats: Effect.Effect<PromptCache.Stats> = Effect.sync(() => ({ ...counters, size: entries.size }))

    return PromptCache.of({ get, invalidate, stats })
  })

/**
 * Provides `PromptCache` and a cached `Prompts` over the `Prompts` backend it
 * consumes: the cached `Prompts.get` returns the prompt, `list` passes through.
 * Inside a span of the app, each get is a `Prompts.get` child span carrying
 * the slug, the version and the cache source (`promptops.prompt.cache`);
 * the backend requests the cache makes are not traced.
 * Closing the layer interrupts background refreshes.
 *
 * @since 0.1.0
 */
export const layer = (options?: PromptCache.Options): Layer.Layer<PromptCache | Prompts, InvalidInput, Prompts> =>
  Layer.scopedContext(
    Effect.gen(function*() {
      const backend = yield* Prompts
      const cache = yield* make(options)
      const cached: Prompts.Service = {
        provider: backend.provider,
        // The same `Prompts.get` span as the backend's (opened only inside an app
        // span), with the cache source that `get` records on it.
        get: (slug, getOptions = {}) =>
          cache.get(slug, getOptions).pipe(
            Effect.map((result) => result.prompt),
            Effect.tap((prompt) => LibrarySpan.annotate(LibrarySpan.PROMPT_VERSION, prompt.version)),
            LibrarySpan.withLibrarySpan("Prompts.get", {
              attributes: LibrarySpan.promptGetAttributes(backend.provider, slug, getOptions)
            })
          ),
        list: backend.list
      }
      return Context.make(PromptCache, cache).pipe(Context.add(Prompts, cached))
    })
  )

/**
 * @since 0.1.0
 */
export const get = (slug: string, options?: GetOptions): Effect.Effect<CachedPrompt, PromptOpsError, PromptCache> =>
  Effect.flatMap(PromptCache, (cache) => cache.get(slug, options))

/**
 * @since 0.1.0
 */
export const invalidate = (slug?: string): Effect.Effect<void, never, PromptCache> =>
  Effect.flatMap(PromptCache, (cache) => cache.invalidate(slug))

/**
 * @since 0.1.0
 */
export const stats: Effect.Effect<PromptCache.Stats, never, PromptCache> = Effect.flatMap(
  PromptCache,
  (cache) => cache.stats
)
