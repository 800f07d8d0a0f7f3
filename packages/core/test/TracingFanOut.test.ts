import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Layer, Logger, Option, Scope, TestClock } from "effect"
import { PayloadTooLarge, type PromptOpsError, ProviderUnavailable } from "../src/PromptOpsError.js"
import type { SpanRecord } from "../src/SpanRecord.js"
import * as SpanSink from "../src/SpanSink.js"
import * as Tracing from "../src/Tracing.js"

// ---------------------------------------------------------------------------
// Recording sinks, and a harness that starts a fan-out tracer in the test scope.
// ---------------------------------------------------------------------------

interface Recorder {
  readonly sink: SpanSink.SpanSink.Service
  readonly records: Array<SpanRecord>
  /** Export calls made, successful or not. */
  readonly calls: () => number
}

const recorder = (provider: string, options: {
  readonly limits?: Partial<SpanSink.Limits>
  /** Runs before a call is recorded; its failure fails the call. */
  readonly before?: (call: number) => Effect.Effect<void, PromptOpsError>
} = {}): Recorder => {
  const records: Array<SpanRecord> = []
  let calls = 0
  return {
    sink: SpanSink.make({
      provider,
      limits: options.limits,
      export: (batch) =>
        Effect.suspend(() => {
          const call = calls++
          return Effect.zipRight(options.before?.(call) ?? Effect.void, Effect.sync(() => records.push(...batch)))
        })
    }),
    records,
    calls: () => calls
  }
}

const start = <const D extends { readonly [name: string]: Tracing.DestinationInput<unknown, unknown> }>(
  options: Tracing.FanOutOptions<D>
) =>
  Effect.map(Tracing.makeFanOut(options), (tracing) => ({
    ...tracing,
    run: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.withTracer(effect, tracing.tracer)
  }))

const unavailable = () => new ProviderUnavailable({ provider: "down", operation: "export", description: "503" })

const spans = (names: ReadonlyArray<string>) =>
  Effect.forEach(names, (name) => Effect.void.pipe(Effect.withSpan(name)), { discard: true })
const names = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`)

/** Lets forked fibers run until `done` holds (bounded, no clock involved). */
const until = (done: () => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 200 && !done(); i++) yield* Effect.yieldNow()
  })

/** Moves the TestClock once forked fibers have had the chance to start their sleeps. */
const adjust = (duration: Duration.DurationInput) => Effect.zipRight(until(() => false), TestClock.adjust(duration))

const noDrops: Tracing.DroppedStats = { queueFull: 0, redaction: 0, exportFailed: 0, tooLarge: 0, shutdown: 0 }

// ---------------------------------------------------------------------------

describe("Tracing fan-out", () => {
  it.scoped("every span reaches every destination, built once; stats per destination and summed", () =>
    Effect.gen(function*() {
      const a = recorder("alpha", { limits: { maxRows: 3 } })
      const b = recorder("beta")
      let redactions = 0
      const tracing = yield* start({
        destinations: { braintrust: a.sink, collector: { sink: b.sink, concurrency: 1 } },
        redact: (record) => {
          redactions++
          return record
        }
      })
      yield* tracing.run(spans(names(10)))
      yield* tracing.flush

      assert.deepStrictEqual(a.records.map((r) => r.name), names(10))
      assert.deepStrictEqual(b.records.map((r) => r.name), names(10))
      // One record per span, the same object in both queues: built and redacted once.
      assert.strictEqual(redactions, 10)
      for (let i = 0; i < 10; i++) assert.strictEqual(a.records[i], b.records[i])

      const stats = yield* tracing.stats
      assert.deepStrictEqual(Object.keys(stats.destinations), ["braintrust", "collector"])
      assert.deepStrictEqual(stats.destinations.braintrust, {
        enqueued: 10,
        exported: 10,
        pending: 0,
        dropped: noDrops,
        retries: 0,
        batches: 4
      })
      assert.deepStrictEqual(stats.destinations.collector, {
        enqueued: 10,
        exported: 10,
        pending: 0,
        dropped: noDrops,
        retries: 0,
        batches: 1
      })
      assert.deepStrictEqual(
        [stats.enqueued, stats.exported, stats.pending, stats.batches, stats.dropped],
        [20, 20, 0, 5, noDrops]
      )
    }))

  it.scoped("a span the redaction hook drops is counted by every destination; a 413 splits only its own batches", () =>
    Effect.gen(function*() {
      const a = recorder("alpha")
      // Its first call is refused with a 413, so the batch of 4 goes out as two halves.
      const small = recorder("small", {
        before: (call) =>
          call === 0
            ? Effect.fail(new PayloadTooLarge({ provider: "small", operation: "export", description: "too big" }))
            : Effect.void
      })
      const tracing = yield* start({
        destinations: { a: a.sink, small: small.sink },
        redact: (record) => (record.name === "secret" ? undefined : record)
      })
      yield* tracing.run(spans([...names(4), "secret"]))
      yield* tracing.flush
      assert.deepStrictEqual(a.records.map((r) => r.name), names(4))
      assert.deepStrictEqual(small.records.map((r) => r.name), names(4))
      const stats = yield* tracing.stats
      assert.deepStrictEqual(stats.destinations.a!.dropped, { ...noDrops, redaction: 1 })
      assert.deepStrictEqual(stats.destinations.small!.dropped, { ...noDrops, redaction: 1 })
      assert.deepStrictEqual([stats.destinations.a!.batches, stats.destinations.small!.batches], [1, 2])
      assert.strictEqual(stats.dropped.redaction, 2)
      assert.strictEqual(a.calls(), 1)
    }))

  it.scoped("a destination that always answers 503 loses only its own spans; the other gets all, promptly", () =>
    Effect.gen(function*() {
      const healthy = recorder("healthy")
      const down = recorder("down", { before: () => Effect.fail(unavailable()) })
      const logs: Array<string> = []
      const logger = Logger.make(({ annotations, message }) => {
        logs.push(`${String(message)} ${JSON.stringify(Object.fromEntries(annotations))}`)
      })
      const tracing = yield* start({
        // Listed first, with a slow retry budget, so a shared pipeline would make the healthy one wait.
        destinations: {
          down: { sink: down.sink, retry: { maxRetries: 4, base: "2 seconds", jitter: false } },
          healthy: healthy.sink
        }
      }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      yield* tracing.run(spans(names(25)))

      // One interval later the healthy destination has everything, while the failing one is still retrying.
      yield* adjust("1 second")
      yield* until(() => healthy.records.length === 25)
      assert.deepStrictEqual(healthy.records.map((r) => r.name), names(25))
      const meanwhile = yield* tracing.stats
      assert.strictEqual(meanwhile.destinations.down!.pending, 25)
      assert.strictEqual(meanwhile.destinations.healthy!.pending, 0)

      const flushing = yield* Effect.fork(tracing.flush)
      yield* adjust("2 minutes")
      yield* Fiber.join(flushing)
      const stats = yield* tracing.stats
      assert.deepStrictEqual(stats.destinations.down!.dropped, { ...noDrops, exportFailed: 25 })
      assert.strictEqual(stats.destinations.down!.exported, 0)
      assert.strictEqual(stats.destinations.down!.retries, 4)
      assert.deepStrictEqual(stats.destinations.healthy!.dropped, noDrops)
      assert.strictEqual(stats.destinations.healthy!.exported, 25)
      assert.strictEqual(down.calls(), 5)
      assert.strictEqual(healthy.records.length, 25) // exactly once
      assert.strictEqual(logs.length, 1)
      assert.include(logs[0]!, "export failed")
      assert.include(logs[0]!, "\"destination\":\"down\"")
      assert.include(logs[0]!, "\"dropped\":25")
    }))

  it.effect("a destination whose export never completes does not hold up the other", () =>
    Effect.gen(function*() {
      const healthy = recorder("healthy", { limits: { maxRows: 10 } })
      const hanging = recorder("hanging", { limits: { maxRows: 10 }, before: () => Effect.never })
      const scope = yield* Scope.make()
      const tracing = yield* start({
        destinations: { hanging: hanging.sink, healthy: healthy.sink },
        concurrency: 1
      }).pipe(Scope.extend(scope))
      // Full batches go out without waiting for the interval.
      yield* tracing.run(spans(names(40)))
      yield* until(() => healthy.records.length === 40)
      assert.strictEqual(healthy.records.length, 40)
      assert.strictEqual(hanging.calls(), 1)
      const stats = yield* tracing.stats
      assert.deepStrictEqual(
        [stats.destinations.healthy!.exported, stats.destinations.healthy!.pending],
        [40, 0]
      )
      assert.deepStrictEqual(
        [stats.destinations.hanging!.exported, stats.destinations.hanging!.pending],
        [0, 40]
      )
      // Its default 5 s deadline ends the wait; what it never sent is counted under its name only.
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* adjust("5 seconds")
      yield* Fiber.join(closing)
      const after = yield* tracing.stats
      assert.deepStrictEqual(after.destinations.hanging!.dropped, { ...noDrops, shutdown: 40 })
      assert.deepStrictEqual(after.destinations.healthy!.dropped, noDrops)
    }))

  it.scoped("a slow destination with a small capacity overflows and counts its drops; the other drops none", () =>
    Effect.gen(function*() {
      const release = yield* Deferred.make<void>()
      const slow = recorder("slow", { before: () => Deferred.await(release) })
      const fast = recorder("fast")
      const tracing = yield* start({
        destinations: { slow: { sink: slow.sink, capacity: 5 }, fast: fast.sink }
      })
      yield* tracing.run(spans(names(12)))
      const before = yield* tracing.stats
      assert.deepStrictEqual(
        [before.destinations.slow!.enqueued, before.destinations.slow!.dropped.queueFull],
        [5, 7]
      )
      assert.deepStrictEqual(
        [before.destinations.fast!.enqueued, before.destinations.fast!.dropped.queueFull],
        [12, 0]
      )
      assert.strictEqual(before.dropped.queueFull, 7)

      yield* Deferred.succeed(release, undefined)
      yield* tracing.flush
      assert.deepStrictEqual(slow.records.map((r) => r.name), names(5))
      assert.deepStrictEqual(fast.records.map((r) => r.name), names(12))
      const stats = yield* tracing.stats
      assert.deepStrictEqual(stats.destinations.fast!.dropped, noDrops)
      assert.deepStrictEqual(stats.destinations.slow!.dropped, { ...noDrops, queueFull: 7 })
    }))

  it.effect("closing the scope drains every destination in parallel, each within its own deadline", () =>
    Effect.gen(function*() {
      const hanging = recorder("hanging", { before: () => Effect.never })
      // Each export takes 1.5 s: done inside the 2 s deadline only if it does not wait for the hanging one's.
      const slowButFine = recorder("slowButFine", { before: () => Effect.sleep("1500 millis") })
      const scope = yield* Scope.make()
      const tracing = yield* start({
        destinations: { hanging: hanging.sink, slowButFine: slowButFine.sink },
        shutdownTimeout: "2 seconds"
      }).pipe(Scope.extend(scope))
      yield* tracing.run(spans(names(7)))
      assert.strictEqual(slowButFine.records.length, 0)

      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* adjust("1500 millis")
      yield* until(() => slowButFine.records.length === 7)
      assert.deepStrictEqual(slowButFine.records.map((r) => r.name), names(7))
      assert.isTrue(Option.isNone(yield* Fiber.poll(closing)))
      yield* adjust("500 millis")
      yield* Fiber.join(closing)

      const stats = yield* tracing.stats
      assert.deepStrictEqual(stats.destinations.hanging!.dropped, { ...noDrops, shutdown: 7 })
      assert.deepStrictEqual(stats.destinations.slowButFine!.dropped, noDrops)
      assert.strictEqual(stats.destinations.slowButFine!.exported, 7)
      assert.strictEqual(stats.pending, 0)
      // Spans that end after shutdown are counted by every destination.
      yield* tracing.run(spans(["late"]))
      const after = yield* tracing.stats
      assert.strictEqual(after.destinations.hanging!.dropped.shutdown, 8)
      assert.strictEqual(after.destinations.slowButFine!.dropped.shutdown, 1)
    }))

  it.effect("a per-destination shutdownTimeout overrides the default for that destination only", () =>
    Effect.gen(function*() {
      const a = recorder("a", { before: () => Effect.sleep("3 seconds") })
      const b = recorder("b", { before: () => Effect.sleep("3 seconds") })
      const scope = yield* Scope.make()
      const tracing = yield* start({
        destinations: { a: { sink: a.sink, shutdownTimeout: "4 seconds" }, b: b.sink },
        shutdownTimeout: "1 second"
      }).pipe(Scope.extend(scope))
      yield* tracing.run(spans(names(3)))
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* adjust("4 seconds")
      yield* Fiber.join(closing)
      const stats = yield* tracing.stats
      assert.strictEqual(stats.destinations.a!.exported, 3)
      assert.strictEqual(stats.destinations.b!.dropped.shutdown, 3)
    }))

  it.effect("layerFanOut: destinations given as layers, built in the tracer's scope; Tracing.stats has them all", () =>
    Effect.gen(function*() {
      const a = recorder("alpha")
      const b = recorder("beta")
      const events: Array<string> = []
      const sinkLayer = Layer.scoped(
        SpanSink.SpanSink,
        Effect.as(Effect.addFinalizer(() => Effect.sync(() => events.push("sink layer closed"))), a.sink)
      )
      const program = Effect.gen(function*() {
        yield* spans(names(3))
        return yield* Tracing.stats
      })
      const stats = yield* program.pipe(
        Effect.provide(Tracing.layerFanOut({ destinations: { native: sinkLayer, collector: { sink: b.sink } } }))
      )
      // The layer's scope closed after the destination had drained.
      assert.deepStrictEqual(events, ["sink layer closed"])
      assert.deepStrictEqual(a.records.map((r) => r.name), names(3))
      assert.deepStrictEqual(b.records.map((r) => r.name), names(3))
      assert.deepStrictEqual(Object.keys(stats.destinations), ["native", "collector"])
      assert.strictEqual(stats.enqueued, 6)
    }))

  it.effect("layer is the one-destination case: its stats name the sink's provider and equal the totals", () =>
    Effect.gen(function*() {
      const a = recorder("alpha")
      const stats = yield* Effect.gen(function*() {
        yield* spans(names(2))
        yield* Tracing.flush
        return yield* Tracing.stats
      }).pipe(Effect.provide(Tracing.layer().pipe(Layer.provide(Layer.succeed(SpanSink.SpanSink, a.sink)))))
      const { destinations, ...totals } = stats
      assert.deepStrictEqual(Object.keys(destinations), ["alpha"])
      assert.deepStrictEqual(destinations.alpha, totals)
      assert.strictEqual(totals.exported, 2)
    }))

  it.effect("invalid destinations are a defect naming what and where", () =>
    Effect.gen(function*() {
      const a = recorder("alpha")
      const badOption = yield* Effect.exit(Effect.scoped(start({
        destinations: { ok: a.sink, collector: { sink: a.sink, capacity: 0 } }
      })))
      assert.isTrue(Exit.isFailure(badOption))
      assert.include(String(Exit.isFailure(badOption) ? badOption.cause : ""), "destinations.collector.capacity")
      const none = yield* Effect.exit(Effect.scoped(start({ destinations: {} })))
      assert.isTrue(Exit.isFailure(none))
      assert.include(String(Exit.isFailure(none) ? none.cause : ""), "destinations")
    }))
})
