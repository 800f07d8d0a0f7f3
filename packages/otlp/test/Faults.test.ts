import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Tracing from "@promptops/core/Tracing"
import * as OtlpSpanSink from "../src/OtlpSpanSink.js"
import { Effect, Layer } from "effect"
import * as Receiver from "@promptops/emulators/OtlpReceiver"

// Short backoffs so a storm is over in milliseconds; Retry-After is honoured over them.
const retry = { base: "1 millis", maxDelay: "5 millis", maxRetries: 4, jitter: false } as const

const tracingTo = (receiver: Receiver.Receiver, protocol: "http/protobuf" | "http/json" = "http/protobuf") =>
  Tracing.layer({ retry }).pipe(
    Layer.provideMerge(OtlpSpanSink.layer({ endpoint: `${receiver.url}/v1/traces`, protocol })),
    Layer.provide(FetchHttpClient.layer)
  )

/** `count` root spans named s0…, ended before the flush, so they go out in one batch. */
const spans = (count: number, name = (i: number) => `s${i}`) =>
  Effect.gen(function*() {
    for (let i = 0; i < count; i++) yield* Effect.withSpan(Effect.void, name(i))
    yield* Tracing.flush
    return yield* Tracing.stats
  })

const spanIds = (received: ReadonlyArray<Receiver.Received>): Array<string> =>
  received.flatMap((request) => request.exports.flatMap((each) => each.spans.map((span) => span.spanId)))

describe("OtlpSpanSink faults", () => {
  it.live("a 429 with Retry-After is waited out, then the same batch is sent again", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      receiver.replies.push({ status: 429, headers: { "retry-after": "0.2" }, body: "{\"message\":\"slow down\"}" })
      const stats = yield* spans(3).pipe(Effect.provide(tracingTo(receiver)))

      assert.strictEqual(receiver.requests.length, 2)
      // 200 ms asked for, against a 1 ms backoff: the wait is the server's.
      assert.isAtLeast(receiver.requests[1]!.at - receiver.requests[0]!.at, 180)
      assert.deepStrictEqual(spanIds([receiver.requests[1]!]), spanIds([receiver.requests[0]!]))
      assert.strictEqual(stats.exported, 3)
      assert.strictEqual(stats.retries, 1)
      assert.strictEqual(stats.dropped.exportFailed, 0)
    }).pipe(Effect.scoped))

  for (const protocol of ["http/protobuf", "http/json"] as const) {
    it.live(`a 413 splits the batch and every span arrives exactly once (${protocol})`, () =>
      Effect.gen(function*() {
        const receiver = yield* Receiver.start
        // Too large above two spans a request.
        receiver.reply = (received) =>
          received.exports.reduce((n, each) => n + each.spans.length, 0) > 2 ? { status: 413 } : undefined
        const stats = yield* spans(9).pipe(Effect.provide(tracingTo(receiver, protocol)))

        const accepted = spanIds(receiver.accepted())
        assert.strictEqual(accepted.length, 9)
        assert.strictEqual(new Set(accepted).size, 9)
        assert.isAbove(receiver.requests.length, receiver.accepted().length)
        for (const request of receiver.accepted()) {
          assert.isAtMost(request.exports.reduce((n, each) => n + each.spans.length, 0), 2)
        }
        assert.strictEqual(stats.exported, 9)
        assert.strictEqual(stats.dropped.tooLarge, 0)
      }).pipe(Effect.scoped))
  }

  it.live("a span too large on its own is dropped and counted", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      receiver.reply = (received) =>
        received.exports.some((each) => each.spans.some((span) => span.name === "huge")) ? { status: 413 } : undefined
      const stats = yield* spans(4, (i) => (i === 2 ? "huge" : `s${i}`)).pipe(Effect.provide(tracingTo(receiver)))

      assert.strictEqual(spanIds(receiver.accepted()).length, 3)
      assert.strictEqual(stats.exported, 3)
      assert.strictEqual(stats.dropped.tooLarge, 1)
    }).pipe(Effect.scoped))

  it.live("a 5xx storm is retried through, then the spans arrive", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      receiver.replies.push({ status: 503 }, { status: 500 }, { status: 502, body: "<html><title>Bad Gateway</title></html>" })
      const stats = yield* spans(2).pipe(Effect.provide(tracingTo(receiver)))

      assert.strictEqual(receiver.requests.length, 4)
      assert.strictEqual(spanIds(receiver.accepted()).length, 2)
      assert.strictEqual(stats.retries, 3)
      assert.strictEqual(stats.exported, 2)
    }).pipe(Effect.scoped))

  it.live("a storm longer than the retry budget drops the batch and counts it", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      receiver.reply = () => ({ status: 503 })
      const stats = yield* spans(2).pipe(Effect.provide(tracingTo(receiver)))

      assert.strictEqual(receiver.requests.length, 1 + retry.maxRetries)
      assert.strictEqual(stats.exported, 0)
      assert.strictEqual(stats.dropped.exportFailed, 2)
    }).pipe(Effect.scoped))

  it.live("a 400 is not retried", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      receiver.reply = () => ({ status: 400, body: "{\"message\":\"bad span\"}" })
      const stats = yield* spans(1).pipe(Effect.provide(tracingTo(receiver)))
      assert.strictEqual(receiver.requests.length, 1)
      assert.strictEqual(stats.dropped.exportFailed, 1)
    }).pipe(Effect.scoped))
})
