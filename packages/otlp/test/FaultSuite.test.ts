/**
 * The fault suite of the OTLP destination, over real HTTP against the
 * independent `OtlpReceiver`: throttling, 5xx storms, connection resets,
 * timeouts, 413s, a long outage, random mixes of them, and the fan-out next
 * to the Braintrust emulator. The invariant everywhere: every span the
 * tracer accepted arrives exactly once among the requests the receiver
 * answered 2xx, and `Tracing.stats` says what happened (exported, retries,
 * every drop under its reason).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Braintrust from "@promptops/braintrust/Braintrust"
import * as BraintrustSpanSink from "@promptops/braintrust/BraintrustSpanSink"
import * as SpanSink from "@promptops/core/SpanSink"
import * as Tracing from "@promptops/core/Tracing"
import * as BraintrustEmulator from "@promptops/emulators/BraintrustEmulator"
import * as Receiver from "@promptops/emulators/OtlpReceiver"
import { Duration, Effect, FastCheck as fc, Layer, Redacted } from "effect"
import * as OtlpSpanSink from "../src/OtlpSpanSink.js"

// Short backoffs so a storm is over in milliseconds; Retry-After is honoured over them.
const retry = { base: "1 millis", maxDelay: "5 millis", maxRetries: 4, jitter: false } as const

const noDrops: Tracing.DroppedStats = { queueFull: 0, redaction: 0, exportFailed: 0, tooLarge: 0, shutdown: 0 }

/** The OTLP sink to `receiver`, over fetch. */
const otlpSink = (receiver: Receiver.Receiver, options: OtlpSpanSink.Options = {}) =>
  OtlpSpanSink.make({ endpoint: `${receiver.url}/v1/traces`, ...options }).pipe(Effect.provide(FetchHttpClient.layer))

/** A tracer exporting to `receiver`, started in the current scope; `emit` ends spans under it and returns their ids. */
const tracerTo = (
  receiver: Receiver.Receiver,
  options: { readonly tracing?: Tracing.Options; readonly sink?: OtlpSpanSink.Options } = {}
) =>
  Effect.gen(function*() {
    const sink = yield* otlpSink(receiver, options.sink)
    const tracing = yield* Effect.provideService(
      Tracing.make({ retry, interval: "10 millis", ...options.tracing }),
      SpanSink.SpanSink,
      sink
    )
    return { ...tracing, emit: (count: number, prefix = "s") => Effect.withTracer(emit(count, prefix), tracing.tracer) }
  })

/** `count` root spans named `<prefix>0…`; their span ids, in order. */
const emit = (count: number, prefix: string, attributes: Record<string, string> = {}) =>
  Effect.forEach(
    Array.from({ length: count }, (_, i) => `${prefix}${i}`),
    (name) => Effect.withSpan(Effect.map(Effect.orDie(Effect.currentSpan), (span) => span.spanId), name, { attributes })
  )

const spanIds = (received: ReadonlyArray<Receiver.Received>): Array<string> =>
  received.flatMap((request) => request.exports.flatMap((each) => each.spans.map((span) => span.spanId)))

const spanCount = (received: Receiver.Received): number =>
  received.exports.reduce((n, each) => n + each.spans.length, 0)

/** Every id arrived among the 2xx-answered requests, none twice, nothing else. */
const assertExactlyOnce = (receiver: Receiver.Receiver, ids: ReadonlyArray<string>) => {
  const delivered = spanIds(receiver.accepted())
  assert.strictEqual(new Set(ids).size, ids.length, "the tracer's span ids are distinct")
  assert.deepStrictEqual([...delivered].sort(), [...ids].sort(), "delivered exactly once")
}

/** Requests the receiver did not answer 2xx (errors, resets, hangs). */
const failed = (receiver: Receiver.Receiver): number => receiver.requests.length - receiver.accepted().length

describe("OTLP fault suite (OtlpReceiver over HTTP)", () => {
  it.live("429 with Retry-After: each wait is the server's; every span exactly once", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      const throttle = { status: 429, headers: { "retry-after": "0.15" }, body: "{\"message\":\"slow down\"}" }
      receiver.replies.push(throttle, throttle)
      const tracing = yield* tracerTo(receiver)
      const ids = yield* tracing.emit(7)
      yield* tracing.flush

      assertExactlyOnce(receiver, ids)
      assert.strictEqual(receiver.requests.length, 3)
      // 150 ms asked for, against a 1 ms backoff.
      assert.isAtLeast(receiver.requests[1]!.at - receiver.requests[0]!.at, 130)
      assert.isAtLeast(receiver.requests[2]!.at - receiver.requests[1]!.at, 130)
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.exported, stats.retries, stats.pending], [7, 2, 0])
      assert.deepStrictEqual(stats.dropped, noDrops)
    }).pipe(Effect.scoped))

  it.live("429 without Retry-After: the backoff applies; every span exactly once", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      receiver.replies.push({ status: 429 }, { status: 429 }, { status: 429 })
      const tracing = yield* tracerTo(receiver)
      const ids = yield* tracing.emit(5)
      yield* tracing.flush

      assertExactlyOnce(receiver, ids)
      assert.strictEqual(receiver.requests.length, 4)
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.exported, stats.retries], [5, 3])
      assert.deepStrictEqual(stats.dropped, noDrops)
    }).pipe(Effect.scoped))

  it.live("a 5xx storm (500/502/503/504 over several batches) then recovery: exactly once, every failure a retry", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      const storm = Array.from({ length: 16 }, (_, i) => ({ status: [500, 502, 503, 504][i % 4]! }))
      receiver.replies.push(...storm)
      const tracing = yield* tracerTo(receiver, {
        tracing: { retry: { ...retry, maxRetries: 20 }, concurrency: 2 },
        sink: { limits: { maxRows: 10 } }
      })
      const ids = yield* tracing.emit(50)
      yield* tracing.flush

      assertExactlyOnce(receiver, ids)
      assert.strictEqual(failed(receiver), 16)
      for (const request of receiver.accepted()) assert.isAtMost(spanCount(request), 10)
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.exported, stats.retries, stats.batches], [50, 16, 5])
      assert.deepStrictEqual(stats.dropped, noDrops)
    }).pipe(Effect.scoped))

  it.live("a 503 with Retry-After in a storm is waited out like a 429's", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      receiver.replies.push({ status: 502 }, { status: 503, headers: { "retry-after": "0.2" } }, { status: 500 })
      const tracing = yield* tracerTo(receiver)
      const ids = yield* tracing.emit(3)
      yield* tracing.flush

      assertExactlyOnce(receiver, ids)
      const at = receiver.requests.map((request) => request.at)
      assert.strictEqual(at.length, 4)
      assert.isAtLeast(at[2]! - at[1]!, 180, "the 503's Retry-After, not the 1 ms backoff")
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.exported, stats.retries], [3, 3])
      assert.deepStrictEqual(stats.dropped, noDrops)
    }).pipe(Effect.scoped))

  it.live("connection resets mid-request are retried: exactly once", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      receiver.replies.push(Receiver.reset, Receiver.reset, { status: 200 }, Receiver.reset)
      const tracing = yield* tracerTo(receiver, { sink: { limits: { maxRows: 4 } }, tracing: { concurrency: 1 } })
      const ids = yield* tracing.emit(8)
      yield* tracing.flush

      assertExactlyOnce(receiver, ids)
      // The resets reached the receiver (they were sent in full) and were not answered.
      assert.strictEqual(failed(receiver), 3)
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.exported, stats.retries, stats.batches], [8, 3, 2])
      assert.deepStrictEqual(stats.dropped, noDrops)
    }).pipe(Effect.scoped))

  it.live("a receiver that never answers: the sink's timeout ends the attempt, the retry delivers exactly once", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      receiver.replies.push(Receiver.hang, Receiver.hang)
      const tracing = yield* tracerTo(receiver, { sink: { timeout: "200 millis" } })
      const ids = yield* tracing.emit(4)
      const started = Date.now()
      yield* tracing.flush
      const took = Date.now() - started

      assertExactlyOnce(receiver, ids)
      assert.strictEqual(receiver.requests.length, 3)
      assert.isAtLeast(receiver.requests[1]!.at - receiver.requests[0]!.at, 180, "the first attempt waited its timeout")
      assert.isBelow(took, 3000, "bounded by the timeout, not the hang")
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.exported, stats.retries], [4, 2])
      assert.deepStrictEqual(stats.dropped, noDrops)
    }).pipe(Effect.scoped))

  it.live("413 splits until it fits: exactly once, each accepted request within the receiver's limit", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      receiver.reply = (received) => (spanCount(received) > 3 ? { status: 413 } : undefined)
      const tracing = yield* tracerTo(receiver)
      const ids = yield* tracing.emit(21)
      yield* tracing.flush

      assertExactlyOnce(receiver, ids)
      for (const request of receiver.accepted()) assert.isAtMost(spanCount(request), 3)
      assert.isAbove(failed(receiver), 0)
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.exported, stats.retries], [21, 0])
      assert.deepStrictEqual(stats.dropped, noDrops)
    }).pipe(Effect.scoped))

  it.live("a long outage: what is held stays within capacity; the excess is dropped and counted; recovery is exactly once", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      receiver.reply = () => ({ status: 503 })
      const capacity = 40
      const tracing = yield* tracerTo(receiver, {
        tracing: { capacity, retry: { base: "5 millis", maxDelay: "10 millis", maxRetries: 10_000, jitter: false } },
        sink: { limits: { maxRows: 10 } }
      })
      const ids: Array<string> = []
      for (let burst = 0; burst < 10; burst++) {
        ids.push(...(yield* tracing.emit(30, `b${burst}-`)))
        yield* Effect.sleep("5 millis")
        const stats = yield* tracing.stats
        assert.isAtMost(stats.pending, capacity)
        assert.strictEqual(stats.enqueued + stats.dropped.queueFull, ids.length, "each span accepted or counted")
        assert.strictEqual(stats.exported, 0)
      }
      assert.strictEqual(spanIds(receiver.accepted()).length, 0)
      const down = yield* tracing.stats
      assert.strictEqual(down.enqueued, capacity)
      assert.strictEqual(down.dropped.queueFull, 300 - capacity)
      assert.isAbove(down.retries, 0)

      receiver.reply = undefined
      yield* tracing.flush
      const delivered = spanIds(receiver.accepted())
      assert.strictEqual(delivered.length, capacity)
      assert.strictEqual(new Set(delivered).size, capacity, "no span twice")
      // The first spans were kept; the ones that found the queue full were dropped.
      assert.deepStrictEqual([...delivered].sort(), ids.slice(0, capacity).sort())
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.exported, stats.pending], [capacity, 0])
      assert.deepStrictEqual(stats.dropped, { ...noDrops, queueFull: 300 - capacity })
    }).pipe(Effect.scoped))

  it.live("a long outage with big spans: the bytes held stay within maxQueueBytes, in flight included", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      receiver.reply = () => ({ status: 503 })
      const maxQueueBytes = 200_000
      const tracing = yield* tracerTo(receiver, {
        tracing: {
          maxQueueBytes,
          concurrency: 4,
          retry: { base: "5 millis", maxDelay: "10 millis", maxRetries: 10_000, jitter: false }
        },
        sink: { limits: { maxRows: 2 } }
      })
      const big = { payload: "x".repeat(20_000) }
      const ids: Array<string> = []
      for (let burst = 0; burst < 6; burst++) {
        ids.push(...(yield* Effect.withTracer(emit(10, `b${burst}-`, big), tracing.tracer)))
        yield* Effect.sleep("5 millis")
        const stats = yield* tracing.stats
        // Each span holds over 20 kB: no more than ten fit, however many batches are being retried.
        assert.isAtMost(stats.pending, 10)
        assert.strictEqual(stats.enqueued + stats.dropped.queueFull, ids.length)
      }
      receiver.reply = undefined
      yield* tracing.flush
      const stats = yield* tracing.stats
      const delivered = spanIds(receiver.accepted())
      assert.strictEqual(new Set(delivered).size, delivered.length)
      assert.strictEqual(delivered.length, stats.enqueued)
      assert.deepStrictEqual([stats.exported, stats.pending], [stats.enqueued, 0])
      assert.deepStrictEqual(stats.dropped, { ...noDrops, queueFull: 60 - stats.enqueued })
    }).pipe(Effect.scoped))

  // Random fault sequences, bounded in length (and so in time: at most two hangs of 250 ms).
  const fault = fc.oneof(
    fc.constant<Receiver.Reply>({ status: 200 }),
    fc.constantFrom<ReadonlyArray<Receiver.Reply>>(
      [{ status: 429 }],
      [{ status: 429, headers: { "retry-after": "0" } }],
      [{ status: 500 }],
      [{ status: 502 }],
      [{ status: 503, headers: { "retry-after": "0.01" } }],
      [{ status: 504 }],
      [Receiver.reset]
    ).map((replies) => replies[0]!)
  )
  it.live.prop(
    "random mixes of faults: every span exactly once, stats consistent",
    {
      faults: fc.array(fault, { maxLength: 8 }),
      hangs: fc.integer({ min: 0, max: 2 }),
      spans: fc.integer({ min: 1, max: 30 }),
      maxRows: fc.integer({ min: 1, max: 12 }),
      // Spans per request above which the receiver answers 413 (undefined: no limit).
      tooLargeAbove: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined })
    },
    ({ faults, hangs, maxRows, spans, tooLargeAbove }) =>
      Effect.gen(function*() {
        const receiver = yield* Receiver.start
        const script = [...faults]
        for (let i = 0; i < hangs; i++) script.splice(Math.floor(script.length / (i + 2)), 0, Receiver.hang)
        receiver.replies.push(...script)
        let tooLarge = 0
        receiver.reply = (received) => {
          if (tooLargeAbove === undefined || spanCount(received) <= tooLargeAbove) return undefined
          tooLarge++
          return { status: 413 }
        }
        const tracing = yield* tracerTo(receiver, {
          // Enough retries that no batch can run out: at most `script.length` failures in all.
          tracing: { retry: { ...retry, maxRetries: script.length + 1 }, concurrency: 2 },
          sink: { limits: { maxRows }, timeout: "250 millis" }
        })
        const ids = yield* tracing.emit(spans)
        yield* tracing.flush

        assertExactlyOnce(receiver, ids)
        const errors = script.filter((reply) => reply.status !== 200).length
        const stats = yield* tracing.stats
        assert.deepStrictEqual(stats.dropped, noDrops)
        assert.deepStrictEqual([stats.exported, stats.pending], [spans, 0])
        // Replies not used up are left for requests that never came; each one used and failed was a retry.
        const used = script.length - receiver.replies.length
        const failedScripted = script.slice(0, used).filter((reply) => reply.status !== 200).length
        assert.isAtMost(failedScripted, errors)
        assert.strictEqual(stats.retries, failedScripted)
        assert.strictEqual(failed(receiver), failedScripted + tooLarge)
      }).pipe(Effect.scoped),
    { timeout: 120_000, fastCheck: { numRuns: 15 } }
  )
})

describe("OTLP fault suite: fan-out next to the Braintrust emulator", () => {
  // The native sink, one attempt per HTTP call: the pipeline owns the retries and counts them.
  const braintrust = (emulator: BraintrustEmulator.BraintrustEmulatorHandle) =>
    Braintrust.layer({ apiKey: Redacted.make(emulator.apiKey), apiUrl: emulator.url, project: "otlp-fan-out", retry: false })
      .pipe(Layer.provide(FetchHttpClient.layer))

  /** One root and `n - 1` children, all in one trace; their span ids. */
  const emitTrace = (n: number) =>
    Effect.gen(function*() {
      const root = (yield* Effect.orDie(Effect.currentSpan)).spanId
      const children = yield* emit(n - 1, "child")
      return [root, ...children]
    }).pipe(Effect.withSpan("root"))

  /** Polls `done` on the live clock, every 10 ms, for at most `within`. */
  const eventually = (done: Effect.Effect<boolean>, within: Duration.DurationInput, what: string) =>
    Effect.gen(function*() {
      const deadline = Date.now() + Duration.toMillis(within)
      while (!(yield* done)) {
        if (Date.now() > deadline) return assert.fail(`${what}: not within ${Duration.format(within)}`)
        yield* Effect.sleep("10 millis")
      }
    })

  it.live("OTLP throttled, failing and hanging: Braintrust gets every span on time; OTLP recovers exactly once", () =>
    Effect.gen(function*() {
      const emulator = yield* BraintrustEmulator.make()
      const receiver = yield* Receiver.start
      // Down: a throttle, a hang, then 503s until it recovers.
      let down = true
      let answered = 0
      receiver.reply = () => {
        if (!down) return undefined
        answered++
        return answered === 1
          ? { status: 429, headers: { "retry-after": "0.05" } }
          : answered === 2
          ? Receiver.hang
          : { status: 503 }
      }
      const otlp = yield* otlpSink(receiver, { timeout: "200 millis" })
      const tracing = yield* Tracing.makeFanOut({
        destinations: {
          braintrust: braintrust(emulator),
          otlp: { sink: otlp, retry: { base: "10 millis", maxDelay: "20 millis", maxRetries: 10_000, jitter: false } }
        },
        interval: "10 millis"
      })
      const ids = yield* Effect.withTracer(emitTrace(25), tracing.tracer)

      // Braintrust is not held up by the OTLP destination's retries.
      yield* eventually(
        Effect.map(tracing.stats, (stats) => stats.destinations.braintrust!.exported === 25),
        "3 seconds",
        "Braintrust delivered"
      )
      yield* eventually(
        Effect.map(tracing.stats, (stats) => stats.destinations.otlp!.retries >= 3),
        "3 seconds",
        "OTLP retried"
      )
      const meanwhile = yield* tracing.stats
      assert.strictEqual(meanwhile.destinations.otlp!.exported, 0)
      assert.strictEqual(meanwhile.destinations.otlp!.pending, 25)
      assert.strictEqual(spanIds(receiver.accepted()).length, 0)

      down = false
      yield* tracing.flush
      assertExactlyOnce(receiver, ids)
      const stats = yield* tracing.stats
      assert.deepStrictEqual(stats.destinations.otlp!.dropped, noDrops)
      assert.deepStrictEqual(stats.destinations.braintrust!.dropped, noDrops)
      assert.strictEqual(stats.destinations.otlp!.exported, 25)
      assert.strictEqual(stats.destinations.braintrust!.retries, 0)
      assert.strictEqual(stats.destinations.otlp!.retries, failed(receiver))

      // Braintrust holds the same spans, each once.
      const traceId = receiver.accepted()[0]!.exports[0]!.spans[0]!.traceId
      const stored = yield* BraintrustSpanSink.readTrace(traceId).pipe(Effect.provide(braintrust(emulator)))
      assert.deepStrictEqual(stored.map((span) => span.spanId).sort(), [...ids].sort())
      assert.strictEqual(emulator.violations.length, 0)
    }).pipe(Effect.scoped))
})
