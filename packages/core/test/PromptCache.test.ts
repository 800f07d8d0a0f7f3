import { assert, describe, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Exit, Fiber, Layer, Option, Ref, Scope, Stream, TestClock } from "effect"
import type { Prompt } from "../src/Prompt.js"
import * as PromptCache from "../src/PromptCache.js"
import {
  NotFound,
  ProviderUnavailable,
  RateLimited,
  TransportError,
  Unauthorized
} from "../src/PromptOpsError.js"
import type { PromptOpsError } from "../src/PromptOpsError.js"
import * as Prompts from "../src/Prompts.js"

const makePrompt = (slug: string, version: string, tag?: string): Prompt => ({
  slug,
  version,
  ...(tag === undefined ? {} : { tag }),
  messages: [{ role: "user", content: `hello from ${version}` }],
  templateFormat: "mustache",
  source: { provider: "fake" }
})

const failure = {
  ProviderUnavailable: () =>
    new ProviderUnavailable({ provider: "fake", operation: "Prompts.get", description: "503", status: 503 }),
  TransportError: () =>
    new TransportError({ provider: "fake", operation: "Prompts.get", description: "reset", reason: "Connection" }),
  RateLimited: () =>
    new RateLimited({ provider: "fake", operation: "Prompts.get", description: "slow down", retryAfterMs: 1000 }),
  NotFound: () => new NotFound({ provider: "fake", operation: "Prompts.get", description: "no such prompt" }),
  Unauthorized: () => new Unauthorized({ provider: "fake", operation: "Prompts.get", description: "bad key" })
} as const

/**
 * A scripted backend: `answer` is the version it serves for unpinned gets (or
 * the error it fails with), `latency` how long each request takes on the clock.
 */
const makeBackend = Effect.gen(function*() {
  const calls = yield* Ref.make(0)
  const interrupted = yield* Ref.make(0)
  const answer = yield* Ref.make<{ readonly version: string } | { readonly error: PromptOpsError }>({ version: "v1" })
  const latency = yield* Ref.make<Duration.Duration>(Duration.zero)
  const service = Prompts.make({
    provider: "fake",
    get: (slug, options) =>
      Effect.gen(function*() {
        yield* Ref.update(calls, (n) => n + 1)
        const delay = yield* Ref.get(latency)
        if (Duration.greaterThan(delay, Duration.zero)) {
          yield* Effect.sleep(delay).pipe(Effect.onInterrupt(() => Ref.update(interrupted, (n) => n + 1)))
        }
        const current = yield* Ref.get(answer)
        if ("error" in current) return yield* Effect.fail(current.error)
        return makePrompt(slug, options.version ?? current.version, options.tag)
      }),
    list: () => Stream.make({ slug: "greeting", source: { provider: "fake" } })
  })
  return {
    service,
    calls: Ref.get(calls),
    interrupted: Ref.get(interrupted),
    serve: (version: string) => Ref.set(answer, { version }),
    fail: (error: PromptOpsError) => Ref.set(answer, { error }),
    slow: (delay: Duration.DurationInput) => Ref.set(latency, Duration.decode(delay))
  }
})

const setup = (options?: PromptCache.PromptCache.Options) =>
  Effect.gen(function*() {
    const backend = yield* makeBackend
    const cache = yield* PromptCache.make(options).pipe(Effect.provideService(Prompts.Prompts, backend.service))
    return { backend, cache }
  })

/** Lets fibers woken by `TestClock.adjust` run to completion. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

const DEFAULT_WINDOW = Duration.sum(Duration.seconds(60), Duration.minutes(5))

describe("PromptCache", () => {
  it.scoped("serves fresh, then cached within the TTL with one backend call", () =>
    Effect.gen(function*() {
      const { backend, cache } = yield* setup()
      const first = yield* cache.get("greeting")
      yield* TestClock.adjust("59 seconds")
      const second = yield* cache.get("greeting")

      assert.strictEqual(first.source, "fresh")
      assert.strictEqual(first.ageMs, 0)
      assert.strictEqual(second.source, "cached")
      assert.strictEqual(second.ageMs, 59_000)
      assert.deepStrictEqual(second.prompt, first.prompt)
      assert.strictEqual(yield* backend.calls, 1)
      const stats = yield* cache.stats
      assert.strictEqual(stats.hits, 1)
      assert.strictEqual(stats.misses, 1)
      assert.strictEqual(stats.size, 1)
    }))

  it.scoped("past the TTL serves stale at once and runs exactly one refresh under 50 concurrent gets", () =>
    Effect.gen(function*() {
      const { backend, cache } = yield* setup()
      yield* cache.get("greeting")
      yield* backend.serve("v2")
      yield* backend.slow("1 second")
      yield* TestClock.adjust("61 seconds")

      const results = yield* Effect.all(Array.from({ length: 50 }, () => cache.get("greeting")), {
        concurrency: "unbounded"
      })
      for (const result of results) {
        assert.strictEqual(result.source, "stale")
        assert.strictEqual(result.prompt.version, "v1")
        assert.strictEqual(result.ageMs, 61_000)
      }
      // The initial fetch plus one refresh, still in flight.
      assert.strictEqual(yield* backend.calls, 2)
      const during = yield* cache.stats
      assert.strictEqual(during.staleServes, 50)
      assert.strictEqual(during.refreshes, 1)

      yield* TestClock.adjust("1 second")
      yield* settle
      const next = yield* cache.get("greeting")
      assert.strictEqual(next.source, "cached")
      assert.strictEqual(next.prompt.version, "v2")
      assert.strictEqual(next.ageMs, 0)
      assert.strictEqual(yield* backend.calls, 2)
    }))

  it.scoped("past the stale-while-revalidate window a get waits for the backend", () =>
    Effect.gen(function*() {
      const { backend, cache } = yield* setup({ ttl: "10 seconds", staleWhileRevalidate: "20 seconds" })
      yield* cache.get("a")
      yield* cache.get("b")
      yield* backend.serve("v2")
      yield* backend.slow("1 second")

      // Just inside the window: stale, served at once.
      yield* TestClock.adjust(Duration.millis(29_999))
      const inside = yield* cache.get("a")
      assert.strictEqual(inside.source, "stale")
      assert.strictEqual(inside.prompt.version, "v1")

      // At the window's end: the get blocks on the backend.
      yield* TestClock.adjust(Duration.millis(1))
      const waiting = yield* Effect.fork(cache.get("b"))
      yield* settle
      assert.isTrue(Option.isNone(yield* Fiber.poll(waiting)))
      yield* TestClock.adjust("1 second")
      const outside = yield* Fiber.join(waiting)
      assert.strictEqual(outside.source, "fresh")
      assert.strictEqual(outside.prompt.version, "v2")
      assert.strictEqual((yield* cache.stats).misses, 3)
    }))

  it.scoped.each(["ProviderUnavailable", "TransportError", "RateLimited"] as const)(
    "backend down (%s) past the window falls back to the previous copy",
    (tag) =>
      Effect.gen(function*() {
        const { backend, cache } = yield* setup()
        const original = yield* cache.get("greeting")
        yield* backend.fail(failure[tag]())
        yield* TestClock.adjust("1 hour")

        const result = yield* cache.get("greeting")
        assert.strictEqual(result.source, "fallback")
        assert.deepStrictEqual(result.prompt, original.prompt)
        assert.strictEqual(result.ageMs, 3_600_000)
        assert.strictEqual(yield* backend.calls, 2)
        assert.strictEqual((yield* cache.stats).fallbacks, 1)

        // Once the backend is back, the next get is fresh again.
        yield* backend.serve("v2")
        const recovered = yield* cache.get("greeting")
        assert.strictEqual(recovered.source, "fresh")
        assert.strictEqual(recovered.prompt.version, "v2")
      })
  )

  it.scoped.each(["NotFound", "Unauthorized"] as const)("backend %s reaches the caller, never masked", (tag) =>
    Effect.gen(function*() {
      const { backend, cache } = yield* setup()
      yield* cache.get("greeting")
      yield* backend.fail(failure[tag]())
      yield* TestClock.adjust(DEFAULT_WINDOW)

      const error = yield* Effect.flip(cache.get("greeting"))
      assert.strictEqual(error._tag, tag)
      assert.strictEqual((yield* cache.stats).fallbacks, 0)
    }))

  it.scoped("nothing cached and the backend down gives the error", () =>
    Effect.gen(function*() {
      const { backend, cache } = yield* setup()
      yield* backend.fail(failure.ProviderUnavailable())
      const error = yield* Effect.flip(cache.get("greeting"))
      assert.strictEqual(error._tag, "ProviderUnavailable")
      assert.strictEqual((yield* cache.stats).fallbacks, 0)
    }))

  it.scoped("maxStale bounds the fallback, and staleIfError: false turns it off", () =>
    Effect.gen(function*() {
      const bounded = yield* setup({ maxStale: "2 hours" })
      yield* bounded.cache.get("greeting")
      yield* bounded.backend.fail(failure.TransportError())
      yield* TestClock.adjust("2 hours")
      assert.strictEqual((yield* bounded.cache.get("greeting")).source, "fallback")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* Effect.flip(bounded.cache.get("greeting")))._tag, "TransportError")

      const off = yield* setup({ staleIfError: false })
      yield* off.cache.get("greeting")
      yield* off.backend.fail(failure.TransportError())
      yield* TestClock.adjust(DEFAULT_WINDOW)
      assert.strictEqual((yield* Effect.flip(off.cache.get("greeting")))._tag, "TransportError")
    }))

  it.scoped("a failed background refresh keeps the stale copy and is counted, not thrown", () =>
    Effect.gen(function*() {
      const { backend, cache } = yield* setup()
      yield* cache.get("greeting")
      yield* backend.fail(failure.NotFound())
      yield* TestClock.adjust("61 seconds")

      const stale = yield* cache.get("greeting")
      assert.strictEqual(stale.source, "stale")
      yield* settle
      const stats = yield* cache.stats
      assert.strictEqual(stats.refreshes, 1)
      assert.strictEqual(stats.refreshFailures, 1)
      const again = yield* cache.get("greeting")
      assert.strictEqual(again.source, "stale")
      assert.strictEqual(again.prompt.version, "v1")
    }))

  it.scoped("after a failed refresh, stale gets wait refreshBackoff before trying the backend again", () =>
    Effect.gen(function*() {
      const { backend, cache } = yield* setup({ refreshBackoff: "5 seconds" })
      yield* cache.get("greeting")
      yield* backend.fail(failure.ProviderUnavailable())
      yield* TestClock.adjust("61 seconds")
      yield* cache.get("greeting")
      yield* settle
      assert.strictEqual(yield* backend.calls, 2)
      // An outage is not hit once per get: these 20 stale gets start no refresh.
      for (let i = 0; i < 20; i++) assert.strictEqual((yield* cache.get("greeting")).source, "stale")
      yield* settle
      assert.strictEqual(yield* backend.calls, 2)
      yield* TestClock.adjust("5 seconds")
      yield* backend.serve("v2")
      assert.strictEqual((yield* cache.get("greeting")).source, "stale")
      yield* settle
      assert.strictEqual(yield* backend.calls, 3)
      const refreshed = yield* cache.get("greeting")
      assert.strictEqual(refreshed.prompt.version, "v2")
      assert.strictEqual(refreshed.source, "cached")
    }))

  it.scoped("a pinned version is never refetched, however long it is held", () =>
    Effect.gen(function*() {
      const { backend, cache } = yield* setup()
      const first = yield* cache.get("greeting", { version: "3" })
      yield* backend.serve("v9")
      yield* TestClock.adjust(Duration.days(365))
      const later = yield* cache.get("greeting", { version: "3" })

      assert.strictEqual(first.source, "fresh")
      assert.strictEqual(later.source, "cached")
      assert.strictEqual(later.prompt.version, "3")
      assert.strictEqual(yield* backend.calls, 1)
      assert.strictEqual((yield* cache.stats).refreshes, 0)

      // A tag of the same slug is a different, mutable key.
      const tagged = yield* cache.get("greeting", { tag: "production" })
      assert.strictEqual(tagged.source, "fresh")
      assert.strictEqual(tagged.prompt.version, "v9")
      assert.strictEqual(tagged.prompt.tag, "production")
      assert.strictEqual(yield* backend.calls, 2)
    }))

  it.scoped("the LRU bound evicts the least recently used entry", () =>
    Effect.gen(function*() {
      const { backend, cache } = yield* setup({ maxEntries: 2 })
      yield* cache.get("a")
      yield* cache.get("b")
      yield* cache.get("a") // a is now the most recently used
      yield* cache.get("c") // evicts b

      const stats = yield* cache.stats
      assert.strictEqual(stats.evictions, 1)
      assert.strictEqual(stats.size, 2)
      assert.strictEqual((yield* cache.get("a")).source, "cached")
      assert.strictEqual((yield* cache.get("c")).source, "cached")
      assert.strictEqual(yield* backend.calls, 3)
      assert.strictEqual((yield* cache.get("b")).source, "fresh")
      assert.strictEqual(yield* backend.calls, 4)
    }))

  it.scoped("concurrent misses share one backend request (single-flight)", () =>
    Effect.gen(function*() {
      const { backend, cache } = yield* setup()
      yield* backend.slow("1 second")
      const gets = yield* Effect.fork(
        Effect.all(Array.from({ length: 20 }, () => cache.get("greeting")), { concurrency: "unbounded" })
      )
      yield* settle
      yield* TestClock.adjust("1 second")
      const results = yield* Fiber.join(gets)

      assert.strictEqual(results.length, 20)
      for (const result of results) assert.strictEqual(result.source, "fresh")
      assert.strictEqual(yield* backend.calls, 1)
      assert.strictEqual((yield* cache.get("greeting")).source, "cached")

      // A shared failure reaches every waiter, still with one request.
      yield* backend.fail(failure.NotFound())
      const failing = yield* Effect.fork(
        Effect.all(Array.from({ length: 20 }, () => Effect.flip(cache.get("other"))), { concurrency: "unbounded" })
      )
      yield* settle
      yield* TestClock.adjust("1 second")
      const errors = yield* Fiber.join(failing)
      for (const error of errors) assert.strictEqual(error._tag, "NotFound")
      assert.strictEqual(yield* backend.calls, 2)
    }))

  it.scoped("an interrupted caller does not cancel the shared request", () =>
    Effect.gen(function*() {
      const { backend, cache } = yield* setup()
      yield* backend.slow("1 second")
      const caller = yield* Effect.fork(cache.get("greeting"))
      yield* settle
      yield* Fiber.interrupt(caller)
      yield* TestClock.adjust("1 second")
      yield* settle

      assert.strictEqual(yield* backend.interrupted, 0)
      assert.strictEqual((yield* cache.get("greeting")).source, "cached")
      assert.strictEqual(yield* backend.calls, 1)
    }))

  it.scoped("invalidate forgets one slug, or everything", () =>
    Effect.gen(function*() {
      const { backend, cache } = yield* setup()
      yield* cache.get("a")
      yield* cache.get("a", { version: "1" })
      yield* cache.get("b")
      yield* backend.serve("v2")

      yield* cache.invalidate("a")
      assert.strictEqual((yield* cache.stats).size, 1)
      const a = yield* cache.get("a")
      assert.strictEqual(a.source, "fresh")
      assert.strictEqual(a.prompt.version, "v2")
      assert.strictEqual((yield* cache.get("a", { version: "1" })).source, "fresh")
      assert.strictEqual((yield* cache.get("b")).source, "cached")

      yield* cache.invalidate()
      assert.strictEqual((yield* cache.stats).size, 0)
      assert.strictEqual((yield* cache.get("b")).source, "fresh")
      assert.strictEqual(yield* backend.calls, 6)
    }))

  it.scoped("a request in flight during invalidate answers its caller but is not stored", () =>
    Effect.gen(function*() {
      const { backend, cache } = yield* setup()
      yield* backend.slow("1 second")
      const caller = yield* Effect.fork(cache.get("greeting"))
      yield* settle
      yield* cache.invalidate("greeting")
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(caller)).source, "fresh")
      assert.strictEqual((yield* cache.stats).size, 0)
    }))

  it.effect("closing the scope interrupts an in-flight refresh", () =>
    Effect.gen(function*() {
      const backend = yield* makeBackend
      const scope = yield* Scope.make()
      const cache = yield* PromptCache.make().pipe(
        Effect.provideService(Prompts.Prompts, backend.service),
        Scope.extend(scope)
      )
      yield* cache.get("greeting")
      yield* backend.slow("1 hour")
      yield* TestClock.adjust("61 seconds")
      assert.strictEqual((yield* cache.get("greeting")).source, "stale")
      yield* settle
      assert.strictEqual(yield* backend.calls, 2)

      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(yield* backend.interrupted, 1)
      // An interruption is not a failed refresh.
      assert.strictEqual((yield* cache.stats).refreshFailures, 0)
    }))

  it.scoped("annotates the current span with the cache source", () =>
    Effect.gen(function*() {
      const { cache } = yield* setup()
      const sourceOf = (effect: Effect.Effect<unknown, PromptOpsError>) =>
        Effect.zipRight(effect, Effect.currentSpan).pipe(
          Effect.map((span) => span.attributes.get("promptops.prompt.cache")),
          Effect.withSpan("caller")
        )
      assert.strictEqual(yield* sourceOf(cache.get("greeting")), "fresh")
      assert.strictEqual(yield* sourceOf(cache.get("greeting")), "cached")
    }))

  it.scoped("layer provides PromptCache and a cached Prompts whose list passes through", () =>
    Effect.gen(function*() {
      const backend = yield* makeBackend
      const layer = PromptCache.layer({ ttl: "5 seconds" }).pipe(
        Layer.provide(Layer.succeed(Prompts.Prompts, backend.service))
      )
      yield* Effect.gen(function*() {
        const first = yield* Prompts.get("greeting")
        const second = yield* Prompts.get("greeting")
        assert.strictEqual(first.version, "v1")
        assert.deepStrictEqual(second, first)
        assert.strictEqual(yield* backend.calls, 1)
        assert.strictEqual((yield* PromptCache.stats).hits, 1)
        assert.strictEqual((yield* PromptCache.get("greeting")).source, "cached")
        yield* TestClock.adjust("6 seconds")
        assert.strictEqual((yield* PromptCache.get("greeting")).source, "stale")

        const listed = yield* Stream.runCollect(Prompts.list())
        assert.deepStrictEqual(Chunk.toReadonlyArray(listed).map((summary) => summary.slug), ["greeting"])
        const prompts = yield* Prompts.Prompts
        assert.strictEqual(prompts.provider, "fake")
      }).pipe(Effect.provide(layer))
    }))

  it.scoped("an invalid option fails with InvalidInput naming it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(setup({ maxEntries: 0 }))
      assert.strictEqual(error._tag, "InvalidInput")
      assert.strictEqual((error as { readonly path?: string }).path, "maxEntries")
    }))
})
