import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, FastCheck, Fiber, Option, Random, TestClock } from "effect"
import {
  BadRequest,
  DecodeError,
  Forbidden,
  isRetryable,
  NotFound,
  PayloadTooLarge,
  type PromptOpsError,
  ProviderUnavailable,
  RateLimited,
  TransportError,
  Unauthorized
} from "../src/PromptOpsError.js"
import * as RetryPolicy from "../src/RetryPolicy.js"

const common = { provider: "test", operation: "op", description: "failed" }
const unavailable = new ProviderUnavailable({ ...common, status: 503 })

/**
 * An effect that fails with the next error of `errors` (the last one repeats,
 * `undefined` means succeed) and records the clock time of every attempt.
 */
const scripted = (errors: ReadonlyArray<PromptOpsError | undefined>) => {
  const attempts: Array<number> = []
  const effect = Effect.gen(function*() {
    attempts.push(yield* Clock.currentTimeMillis)
    const error = errors[Math.min(attempts.length - 1, errors.length - 1)]
    if (error !== undefined) return yield* Effect.fail(error)
    return attempts.length
  })
  return { attempts, effect }
}

/** Attempt times relative to the first one (the TestClock keeps running across sub-cases). */
const relative = (attempts: ReadonlyArray<number>) => attempts.map((time) => time - attempts[0]!)

/** Runs `effect` in a fiber, moves the TestClock far ahead, and returns its exit. */
const runToEnd = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust("1 hour")
    return yield* Fiber.await(fiber)
  })

describe("RetryPolicy", () => {
  it("fills in the documented defaults", () => {
    const settings = RetryPolicy.resolve()
    assert.strictEqual(settings.maxRetries, 4)
    assert.strictEqual(settings.factor, 2)
    assert.strictEqual(settings.jitter, true)
    assert.deepStrictEqual(
      [settings.base, settings.maxDelay, settings.maxRetryAfter].map((d) => d.value),
      [
        { _tag: "Millis", millis: 250 },
        { _tag: "Millis", millis: 30_000 },
        { _tag: "Millis", millis: 60_000 }
      ]
    )
  })

  it.effect("backs off exponentially without jitter: 250, 500, 1000, 2000 ms", () =>
    Effect.gen(function*() {
      const { attempts, effect } = scripted([unavailable])
      const exit = yield* runToEnd(RetryPolicy.retry(effect, { jitter: false }))
      assert.isTrue(exit._tag === "Failure")
      assert.deepStrictEqual(attempts, [0, 250, 750, 1750, 3750])
    }))

  it.effect("caps every delay at maxDelay", () =>
    Effect.gen(function*() {
      const { attempts, effect } = scripted([unavailable])
      yield* runToEnd(RetryPolicy.retry(effect, { jitter: false, base: "1 second", factor: 10, maxDelay: "3 seconds" }))
      assert.deepStrictEqual(attempts, [0, 1000, 4000, 7000, 10000])
    }))

  it.effect("jitter keeps each delay within 80%–120% of the backoff and under maxDelay", () =>
    Effect.gen(function*() {
      const { attempts, effect } = scripted([unavailable])
      yield* runToEnd(RetryPolicy.retry(effect, { maxRetries: 6, maxDelay: "5 seconds" })).pipe(
        Effect.withRandom(Random.make("seed-1"))
      )
      const delays = attempts.slice(1).map((time, i) => time - attempts[i]!)
      assert.strictEqual(delays.length, 6)
      delays.forEach((delay, i) => {
        const backoff = 250 * 2 ** i
        assert.isAtLeast(delay, Math.min(backoff * 0.8, 5000), `delay ${i}`)
        assert.isAtMost(delay, Math.min(backoff * 1.2, 5000), `delay ${i}`)
      })
      // Jitter actually moves the delays off the exact backoff.
      assert.isTrue(delays.some((delay, i) => delay !== 250 * 2 ** i))
    }))

  it.effect("a RateLimited with retryAfterMs waits exactly that long instead of the backoff", () =>
    Effect.gen(function*() {
      const limited = new RateLimited({ ...common, status: 429, retryAfterMs: 2000 })
      const { attempts, effect } = scripted([limited, undefined])
      const fiber = yield* Effect.fork(RetryPolicy.retry(effect))
      yield* TestClock.adjust("1999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Fiber.join(fiber), 2)
      assert.deepStrictEqual(attempts, [0, 2000])
    }))

  it.effect("Retry-After above maxRetryAfter is capped; a RateLimited without it backs off", () =>
    Effect.gen(function*() {
      const long = new RateLimited({ ...common, status: 429, retryAfterMs: 10 * 60_000 })
      const bare = new RateLimited({ ...common, status: 429 })
      const capped = scripted([long, long, undefined])
      yield* runToEnd(RetryPolicy.retry(capped.effect))
      assert.deepStrictEqual(relative(capped.attempts), [0, 60_000, 120_000])
      const custom = scripted([long, undefined])
      yield* runToEnd(RetryPolicy.retry(custom.effect, { maxRetryAfter: "5 seconds" }))
      assert.deepStrictEqual(relative(custom.attempts), [0, 5000])
      const backoff = scripted([bare, undefined])
      yield* runToEnd(RetryPolicy.retry(backoff.effect, { jitter: false }))
      assert.deepStrictEqual(relative(backoff.attempts), [0, 250])
    }))

  it.effect("never retries 400/401/403/404/413 or decode errors, and surfaces them unchanged", () =>
    Effect.gen(function*() {
      const permanent: ReadonlyArray<PromptOpsError> = [
        new BadRequest({ ...common, status: 400, issues: [] }),
        new Unauthorized({ ...common, status: 401 }),
        new Forbidden({ ...common, status: 403 }),
        new NotFound({ ...common, status: 404 }),
        new PayloadTooLarge({ ...common, status: 413 }),
        new DecodeError({ ...common, path: "x" })
      ]
      for (const error of permanent) {
        const { attempts, effect } = scripted([unavailable, error])
        const exit = yield* runToEnd(RetryPolicy.retry(effect))
        assert.deepStrictEqual(exit, Effect.runSync(Effect.exit(Effect.fail(error))))
        // One retry for the 503, then the permanent error stops it.
        assert.strictEqual(attempts.length, 2, error._tag)
      }
    }))

  it.effect("retries 408, 409, 429, 5xx and transport errors up to maxRetries, then fails with the last error", () =>
    Effect.gen(function*() {
      const transient: ReadonlyArray<PromptOpsError> = [
        new BadRequest({ ...common, status: 408, issues: [] }),
        new BadRequest({ ...common, status: 409, issues: [] }),
        new RateLimited({ ...common, status: 429 }),
        unavailable,
        new TransportError({ ...common, reason: "Connection" })
      ]
      for (const error of transient) {
        const { attempts, effect } = scripted([error])
        const exit = yield* runToEnd(RetryPolicy.retry(effect, { maxRetries: 3 }))
        assert.deepStrictEqual(exit, Effect.runSync(Effect.exit(Effect.fail(error))))
        assert.strictEqual(attempts.length, 4, error._tag)
      }
    }))

  it.effect("retry is pipeable and maxRetries: 0 means a single attempt", () =>
    Effect.gen(function*() {
      const { attempts, effect } = scripted([unavailable])
      yield* runToEnd(effect.pipe(RetryPolicy.retry({ maxRetries: 0 })))
      assert.strictEqual(attempts.length, 1)
    }))

  it.effect.prop(
    "attempts = maxRetries + 1 for a retryable error, 1 otherwise",
    [FastCheck.integer({ min: 400, max: 599 }), FastCheck.integer({ min: 0, max: 5 })],
    ([status, maxRetries]) =>
      Effect.gen(function*() {
        const error: PromptOpsError = status === 429
          ? new RateLimited({ ...common, status })
          : status >= 500
          ? new ProviderUnavailable({ ...common, status })
          : new BadRequest({ ...common, status, issues: [] })
        const { attempts, effect } = scripted([error])
        yield* runToEnd(RetryPolicy.retry(effect, { maxRetries }))
        assert.strictEqual(attempts.length, isRetryable(error) ? maxRetries + 1 : 1)
      }),
    { fastCheck: { numRuns: 40 } }
  )
})
