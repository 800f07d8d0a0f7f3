/**
 * Prompt fetches during a vendor outage, on both vendors, through core's
 * `PromptCache`: a copy past its TTL is served at once and says so
 * (`stale`, a background refresh failing behind it); past the stale window
 * the get goes to the vendor, spends the retry budget, and the previous copy
 * is served as `fallback` (stale-if-error); a prompt never fetched fails with
 * `ProviderUnavailable` after exactly the retry budget.
 *
 * Time: the cache reads the fiber's `Clock`. The test runs on a clock that is
 * the real one plus an offset it moves forward (so the HTTP calls and retry
 * backoffs still happen in real time); no sleeps.
 */
import { assert, describe, it } from "@effect/vitest"
import * as PromptCache from "@promptops/core/PromptCache"
import { Cause, Clock, Duration, Effect, Layer } from "effect"
import { inspect } from "node:util"
import { captureLogs, keyLeaksInRequests, keyLeaksInText, vendors } from "./harness.js"

/** The real clock, `offset` milliseconds ahead. */
class ShiftedClock implements Clock.Clock {
  readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
  offset = 0
  readonly real: Clock.Clock = Clock.make()
  unsafeCurrentTimeMillis(): number {
    return this.real.unsafeCurrentTimeMillis() + this.offset
  }
  readonly currentTimeMillis: Effect.Effect<number> = Effect.sync(() => this.unsafeCurrentTimeMillis())
  unsafeCurrentTimeNanos(): bigint {
    return this.real.unsafeCurrentTimeNanos() + BigInt(this.offset) * 1_000_000n
  }
  readonly currentTimeNanos: Effect.Effect<bigint> = Effect.sync(() => this.unsafeCurrentTimeNanos())
  sleep(duration: Duration.Duration): Effect.Effect<void> {
    return this.real.sleep(duration)
  }
  advance(duration: Duration.DurationInput): void {
    this.offset += Duration.toMillis(duration)
  }
}

const RETRIES = 3

for (const vendor of vendors) {
  describe(`${vendor.name}: prompts during an outage`, () => {
    it.live("stale copy served and labelled; nothing cached → ProviderUnavailable after the retry budget", () =>
      Effect.gen(function*() {
        const handle = yield* vendor.start()
        yield* vendor.seedPrompt(handle, "greeting")
        yield* vendor.seedPrompt(handle, "never-cached")
        const logs = captureLogs()
        const clock = new ShiftedClock()
        const backend = vendor.layer(handle, {
          timeout: "2 seconds",
          retry: { base: "10 millis", maxDelay: "40 millis", maxRetries: RETRIES, jitter: false }
        })
        const cache = Layer.provideMerge(PromptCache.layer({ ttl: "1 minute", staleWhileRevalidate: "5 minutes" }), backend)

        yield* Effect.gen(function*() {
          const fresh = yield* PromptCache.get("greeting")
          assert.strictEqual(fresh.source, "fresh")

          // The vendor goes down: every request is answered 503 from now on.
          handle.faults.storm({ status: 503, times: Infinity })

          // Past the TTL, inside the stale window: served at once, labelled stale.
          clock.advance("2 minutes")
          const stale = yield* PromptCache.get("greeting")
          assert.strictEqual(stale.source, "stale")
          assert.deepStrictEqual(stale.prompt, fresh.prompt)
          assert.isAtLeast(stale.ageMs, 120_000)

          // Past the stale window: the get waits for the vendor, which stays down: the copy is the fallback.
          clock.advance("10 minutes")
          const fallback = yield* PromptCache.get("greeting")
          assert.strictEqual(fallback.source, "fallback")
          assert.deepStrictEqual(fallback.prompt, fresh.prompt)

          // Never fetched: nothing to fall back on.
          const error = yield* Effect.flip(PromptCache.get("never-cached"))
          assert.strictEqual(error._tag, "ProviderUnavailable")
          assert.strictEqual(error.status, 503)
          const attempts = handle.requests.filter((request) => request.url.includes("never-cached"))
          assert.strictEqual(attempts.length, RETRIES + 1, "attempts ≠ the retry budget")
          assert.isTrue(attempts.every((request) => request.status === 503))

          const stats = yield* PromptCache.stats
          assert.strictEqual(stats.staleServes, 1)
          assert.strictEqual(stats.fallbacks, 1)
          assert.isAtLeast(stats.refreshFailures, 1)

          // The errors say what happened, never with the key.
          const texts = [String(error), error.message, JSON.stringify(error), inspect(error, { depth: 8 }), Cause.pretty(Cause.fail(error))]
          assert.deepStrictEqual(keyLeaksInText(texts), [])
        }).pipe(Effect.provide(cache), Effect.withClock(clock), Effect.provide(logs.layer))

        assert.deepStrictEqual(keyLeaksInRequests(handle.requests), [])
        assert.deepStrictEqual(keyLeaksInText(logs.lines), [])
        assert.deepStrictEqual(handle.violations, [])
      }).pipe(Effect.scoped), 30_000)
  })
}
