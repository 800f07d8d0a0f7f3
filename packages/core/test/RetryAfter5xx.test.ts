import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer, Option, TestClock } from "effect"
import { ProviderUnavailable } from "../src/PromptOpsError.js"
import * as ProviderHttp from "../src/ProviderHttp.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import type { SpanRecord } from "../src/SpanRecord.js"
import * as SpanSink from "../src/SpanSink.js"
import * as Tracing from "../src/Tracing.js"

// A 503 (or any 5xx) that says when to come back is waited out exactly, like
// a 429: a Collector shedding load or a vendor in maintenance knows when its
// window reopens better than our backoff does.

interface Answer {
  readonly status: number
  readonly headers?: Record<string, string>
}

/** An in-memory vendor answering from a script (the last answer repeats); records the clock time of each request. */
const fakeVendor = (...script: ReadonlyArray<Answer>) => {
  const times: Array<number> = []
  const client = HttpClient.make((request) =>
    Effect.sync(() => {
      times.push(Date.now())
      const answer = script[Math.min(times.length - 1, script.length - 1)]!
      return HttpClientResponse.fromWeb(request, new Response("", { status: answer.status, headers: answer.headers ?? {} }))
    })
  )
  return { times, layer: Layer.succeed(HttpClient.HttpClient, client) }
}

const withVendor = (vendor: ReturnType<typeof fakeVendor>, options: Partial<ProviderHttp.Options> = {}) =>
  ProviderHttp.make({ provider: "acme", apiUrl: "https://api.example.com", ...options }).pipe(
    Effect.provide(vendor.layer)
  )

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  return Option.getOrThrow(Cause.failureOption(exit.cause))
}

const once = (answer: Answer) =>
  Effect.gen(function*() {
    const http = yield* withVendor(fakeVendor(answer), { retry: false })
    return failureOf(yield* Effect.exit(http.execute("op", HttpClientRequest.get("/x"))))
  })

describe("Retry-After on 5xx", () => {
  it.effect("ProviderUnavailable carries Retry-After as seconds, as an HTTP date, or retry-after-ms", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-01-01T00:00:00Z"))
      const seconds = yield* once({ status: 503, headers: { "retry-after": "3" } })
      assert.strictEqual(seconds._tag, "ProviderUnavailable")
      assert.strictEqual(seconds._tag === "ProviderUnavailable" && seconds.retryAfterMs, 3000)
      assert.include(seconds.message, "(retry after 3000 ms)")
      const date = yield* once({ status: 503, headers: { "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" } })
      assert.strictEqual(date._tag === "ProviderUnavailable" && date.retryAfterMs, 5000)
      const ms = yield* once({ status: 502, headers: { "retry-after-ms": "1500" } })
      assert.strictEqual(ms._tag === "ProviderUnavailable" && ms.retryAfterMs, 1500)
      const bare = yield* once({ status: 500 })
      assert.strictEqual(bare._tag, "ProviderUnavailable")
      assert.isTrue(bare._tag === "ProviderUnavailable" && bare.retryAfterMs === undefined)
      assert.notInclude(bare.message, "retry after")
    }))

  it.effect("statusError builds it for any 5xx with the Retry-After it is given", () =>
    Effect.sync(() => {
      const error = ProviderHttp.statusError({
        provider: "acme",
        operation: "op",
        status: 504,
        description: "gateway timeout",
        retryAfterMs: 800
      })
      assert.strictEqual(error._tag === "ProviderUnavailable" && error.retryAfterMs, 800)
    }))

  it.effect("ProviderHttp waits exactly the Retry-After of a 503 (jitter on), then succeeds", () =>
    Effect.gen(function*() {
      const vendor = fakeVendor({ status: 503, headers: { "retry-after": "2" } }, { status: 200 })
      const http = yield* withVendor(vendor, { retry: {}, deadline: false })
      const fiber = yield* Effect.fork(http.execute("op", HttpClientRequest.get("/x")))
      yield* TestClock.adjust("1999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      assert.strictEqual(vendor.times.length, 1)
      yield* TestClock.adjust("1 millis")
      const response = yield* Fiber.join(fiber)
      assert.strictEqual(response.status, 200)
      assert.strictEqual(vendor.times.length, 2)
    }))

  it.effect("RetryPolicy: a ProviderUnavailable with retryAfterMs waits that long (capped by maxRetryAfter)", () =>
    Effect.gen(function*() {
      const attempts: Array<number> = []
      const effect = (retryAfterMs: number) =>
        Effect.suspend(() => {
          attempts.push(attempts.length)
          return attempts.length % 2 === 1
            ? Effect.fail(
              new ProviderUnavailable({ provider: "t", operation: "op", description: "down", status: 503, retryAfterMs })
            )
            : Effect.void
        })
      const fiber = yield* Effect.fork(RetryPolicy.retry(effect(4000), { jitter: false }))
      yield* TestClock.adjust("3999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(fiber)
      const capped = yield* Effect.fork(RetryPolicy.retry(effect(600_000), { maxRetryAfter: "5 seconds" }))
      yield* TestClock.adjust("4999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(capped)))
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(capped)
    }))

  it.scoped("the Tracing pipeline honours a 503's Retry-After over its backoff", () =>
    Effect.gen(function*() {
      const records: Array<SpanRecord> = []
      let calls = 0
      const sink = SpanSink.make({
        provider: "collector",
        export: (batch) =>
          Effect.suspend(() =>
            calls++ === 0
              ? Effect.fail(
                new ProviderUnavailable({
                  provider: "collector",
                  operation: "export",
                  description: "shedding load",
                  status: 503,
                  retryAfterMs: 7000
                })
              )
              : Effect.sync(() => void records.push(...batch))
          )
      })
      const tracing = yield* Effect.provideService(Tracing.make({ retry: { jitter: false } }), SpanSink.SpanSink, sink)
      yield* Effect.withTracer(Effect.withSpan(Effect.void, "s"), tracing.tracer)
      const flushing = yield* Effect.fork(tracing.flush)
      for (let i = 0; i < 50 && calls === 0; i++) yield* Effect.yieldNow()
      assert.strictEqual(calls, 1)
      // The 250 ms backoff would have retried long before this.
      yield* TestClock.adjust("6999 millis")
      assert.strictEqual(calls, 1)
      assert.isTrue(Option.isNone(yield* Fiber.poll(flushing)))
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(flushing)
      assert.strictEqual(calls, 2)
      assert.strictEqual(records.length, 1)
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.exported, stats.retries, stats.dropped.exportFailed], [1, 1, 0])
    }))
})

describe("allowInsecureHttp", () => {
  const check = (apiUrl: string, allowInsecureHttp?: boolean) =>
    ProviderHttp.make({ provider: "otlp", apiUrl, allowInsecureHttp }).pipe(
      Effect.provide(fakeVendor({ status: 200 }).layer),
      Effect.map((http) => http.apiUrl),
      Effect.either
    )

  it.effect("plain http:// to a private host is refused by default, with an error naming the option", () =>
    Effect.gen(function*() {
      const result = yield* check("http://otel-collector.internal:4318")
      assert.isTrue(result._tag === "Left")
      if (result._tag === "Left") {
        assert.strictEqual(result.left._tag, "InvalidInput")
        assert.strictEqual(result.left.path, "apiUrl")
        assert.include(result.left.message, "allowInsecureHttp: true")
        assert.include(result.left.message, "otel-collector.internal")
      }
    }))

  it.effect("allowInsecureHttp: true permits http:// to any host, and still checks the rest of the URL", () =>
    Effect.gen(function*() {
      const ok = yield* check("http://10.0.0.7:4318/", true)
      assert.isTrue(ok._tag === "Right" && ok.right === "http://10.0.0.7:4318")
      const named = yield* check("http://otel-collector:4318", true)
      assert.isTrue(named._tag === "Right" && named.right === "http://otel-collector:4318")
      const credentials = yield* check("http://user:pw@otel-collector:4318", true)
      assert.isTrue(credentials._tag === "Left" && !credentials.left.message.includes("pw"))
      const scheme = yield* check("ftp://otel-collector:4318", true)
      assert.isTrue(scheme._tag === "Left")
      assert.isTrue((yield* check("http://10.0.0.7:4318", false))._tag === "Left")
    }))

  it.effect("validateApiUrl takes the option too", () =>
    Effect.gen(function*() {
      assert.strictEqual(
        yield* ProviderHttp.validateApiUrl("otlp", "http://collector:4318", { allowInsecureHttp: true }),
        "http://collector:4318"
      )
      const refused = yield* Effect.flip(ProviderHttp.validateApiUrl("otlp", "http://collector:4318"))
      assert.include(refused.description, "allowInsecureHttp")
    }))
})
