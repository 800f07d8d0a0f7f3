/**
 * The one retry policy every backend uses: exponential backoff with jitter,
 * capped, that retries only what is worth retrying (`PromptOpsError.isRetryable`:
 * transport errors, 408, 409, 429, 5xx) and, on a 429 or a 5xx that says when
 * to come back (`RateLimited.retryAfterMs`, `ProviderUnavailable.retryAfterMs`),
 * waits exactly that long instead (at most `maxRetryAfter`).
 *
 * Retrying is safe only because callers generate row, span and object ids
 * before the first attempt: every attempt re-sends the same request.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Schedule } from "effect"
import { dual } from "effect/Function"
import { isRetryable, type PromptOpsError } from "./PromptOpsError.js"

/**
 * How hard to retry. Every field is optional; see `defaults`.
 *
 * @since 0.1.0
 */
export interface RetryOptions {
  /** Retries after the first attempt (so at most `maxRetries + 1` attempts). Default 4. */
  readonly maxRetries?: number | undefined
  /** The first backoff delay. Default 250 ms. */
  readonly base?: Duration.DurationInput | undefined
  /** Each backoff delay is the previous one times `factor`. Default 2. */
  readonly factor?: number | undefined
  /** No backoff delay exceeds this, jitter included. Default 30 s. */
  readonly maxDelay?: Duration.DurationInput | undefined
  /** Spread each backoff delay randomly over 80%–120% so clients do not retry in lockstep. Default true. */
  readonly jitter?: boolean | undefined
  /**
   * The longest a vendor's `Retry-After` is honoured for; a longer one waits
   * this long. Default 60 s.
   */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
}

/**
 * The resolved settings `schedule` runs with.
 *
 * @since 0.1.0
 */
export interface ResolvedRetryOptions {
  readonly maxRetries: number
  readonly base: Duration.Duration
  readonly factor: number
  readonly maxDelay: Duration.Duration
  readonly jitter: boolean
  readonly maxRetryAfter: Duration.Duration
}

/**
 * @since 0.1.0
 */
export const defaults: ResolvedRetryOptions = {
  maxRetries: 4,
  base: Duration.millis(250),
  factor: 2,
  maxDelay: Duration.seconds(30),
  jitter: true,
  maxRetryAfter: Duration.seconds(60)
}

/**
 * Fills in the defaults. Out-of-range numbers are clamped rather than
 * rejected here (`ProviderHttp.make` rejects them with `InvalidInput` first):
 * a negative or fractional `maxRetries` becomes a whole number ≥ 0, a
 * `factor` below 1 becomes 1.
 *
 * @since 0.1.0
 */
export const resolve = (options?: RetryOptions | undefined): ResolvedRetryOptions => {
  const maxRetries = options?.maxRetries ?? defaults.maxRetries
  const factor = options?.factor ?? defaults.factor
  return {
    maxRetries: Number.isFinite(maxRetries) ? Math.max(0, Math.floor(maxRetries)) : defaults.maxRetries,
    base: options?.base === undefined ? defaults.base : Duration.decode(options.base),
    factor: Number.isFinite(factor) ? Math.max(1, factor) : defaults.factor,
    maxDelay: options?.maxDelay === undefined ? defaults.maxDelay : Duration.decode(options.maxDelay),
    jitter: options?.jitter ?? defaults.jitter,
    maxRetryAfter: options?.maxRetryAfter === undefined ? defaults.maxRetryAfter : Duration.decode(options.maxRetryAfter)
  }
}

/**
 * The schedule to hand to `Effect.retry`. It outputs the error it was given.
 *
 * @since 0.1.0
 */
export const schedule = (options?: RetryOptions | undefined): Schedule.Schedule<PromptOpsError, PromptOpsError> => {
  const settings = resolve(options)
  const exponential = Schedule.exponential(settings.base, settings.factor)
  const backoff = (settings.jitter ? Schedule.jittered(exponential) : exponential).pipe(
    // Cap after the jitter so `maxDelay` is a hard ceiling.
    Schedule.modifyDelay((_, delay) => Duration.min(delay, settings.maxDelay)),
    Schedule.intersect(Schedule.recurs(settings.maxRetries))
  )
  return Schedule.passthrough<unknown, PromptOpsError, never>(backoff).pipe(
    Schedule.whileInput(isRetryable),
    // The vendor's own `Retry-After` replaces the backoff: it knows when its window reopens.
    Schedule.modifyDelay((error, delay) => {
      const retryAfterMs = retryAfterOf(error)
      return retryAfterMs === undefined ? delay : Duration.min(Duration.millis(retryAfterMs), settings.maxRetryAfter)
    })
  )
}

const retryAfterOf = (error: PromptOpsError): number | undefined =>
  (error._tag === "RateLimited" || error._tag === "ProviderUnavailable") && error.retryAfterMs !== undefined &&
    Number.isFinite(error.retryAfterMs) && error.retryAfterMs >= 0
    ? error.retryAfterMs
    : undefined

/**
 * Retries `self` with `schedule(options)`; the last error is the one that
 * surfaces when the budget runs out or an error is not retryable.
 *
 * @since 0.1.0
 */
export const retry: {
  (options?: RetryOptions | undefined): <A, E extends PromptOpsError, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, R>
  <A, E extends PromptOpsError, R>(self: Effect.Effect<A, E, R>, options?: RetryOptions | undefined): Effect.Effect<
    A,
    E,
    R
  >
} = dual(
  (args) => Effect.isEffect(args[0]),
  <A, E extends PromptOpsError, R>(self: Effect.Effect<A, E, R>, options?: RetryOptions | undefined) =>
    Effect.retry(self, schedule(options))
)

