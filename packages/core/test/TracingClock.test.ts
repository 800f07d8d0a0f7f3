import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import { ProviderUnavailable } from "../src/PromptOpsError.js"
import type { SpanRecord } from "../src/SpanRecord.js"
import * as SpanSink from "../src/SpanSink.js"
import * as Tracing from "../src/Tracing.js"

// The ticker that sends partial batches must not replay every interval it
// missed: after a jump of the clock (TestClock.setTime to a real date, a
// laptop waking from sleep) it goes on from now. Before the fix, stepping
// through 1.8e12 ms one 1-second interval at a time never finished.

const recorder = () => {
  const records: Array<SpanRecord> = []
  return {
    records,
    sink: SpanSink.make({
      provider: "test",
      limits: { maxRows: 100 },
      export: (batch) => Effect.sync(() => void records.push(...batch))
    })
  }
}

const start = (sink: SpanSink.SpanSink.Service, options?: Tracing.Options) =>
  Effect.map(
    Effect.provideService(Tracing.make(options), SpanSink.SpanSink, sink),
    (tracing) => ({
      ...tracing,
      run: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.withTracer(effect, tracing.tracer)
    })
  )

const spans = (count: number) =>
  Effect.forEach(Array.from({ length: count }, (_, i) => `s${i}`), (name) => Effect.withSpan(Effect.void, name), {
    discard: true
  })

/** Lets forked fibers run (bounded, no clock involved). */
const settle = Effect.gen(function*() {
  for (let i = 0; i < 100; i++) yield* Effect.yieldNow()
})

describe("Tracing: clock jumps", () => {
  it.scoped("a huge TestClock.setTime after the pipeline started: the jump and flush both complete", () =>
    Effect.gen(function*() {
      const rec = recorder()
      const tracing = yield* start(rec.sink)
      yield* tracing.run(spans(3))
      yield* settle
      yield* TestClock.setTime(1.8e12)
      yield* tracing.run(spans(2))
      yield* tracing.flush
      assert.strictEqual(rec.records.length, 5)
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.exported, stats.pending], [5, 0])
      // Spans ended after the jump carry the new time.
      assert.isAtLeast(rec.records[4]!.startTime, 1.8e12)
    }), 10_000)

  it.scoped("an idle pipeline survives a jump, and its ticker still sends a partial batch one interval later", () =>
    Effect.gen(function*() {
      const rec = recorder()
      yield* start(rec.sink, { interval: "100 millis" }).pipe(Effect.flatMap((tracing) =>
        Effect.gen(function*() {
          yield* settle
          yield* TestClock.setTime(1.8e12)
          yield* tracing.run(spans(2))
          yield* settle
          assert.strictEqual(rec.records.length, 0, "a partial batch waits for the interval")
          yield* TestClock.adjust("100 millis")
          yield* settle
          assert.strictEqual(rec.records.length, 2, "the ticker sends it once the interval is over")
        })
      ))
    }), 10_000)

  it.scoped("a retry waiting out a backoff when the clock jumps finishes once", () =>
    Effect.gen(function*() {
      let calls = 0
      const records: Array<SpanRecord> = []
      const sink = SpanSink.make({
        provider: "test",
        export: (batch) =>
          Effect.suspend(() =>
            calls++ === 0
              ? Effect.fail(new ProviderUnavailable({ provider: "test", operation: "export", description: "down" }))
              : Effect.sync(() => void records.push(...batch))
          )
      })
      const tracing = yield* start(sink, { retry: { jitter: false } })
      yield* tracing.run(spans(2))
      const flushing = yield* Effect.fork(tracing.flush)
      yield* settle
      yield* TestClock.setTime(1.8e12)
      yield* Fiber.join(flushing)
      assert.strictEqual(records.length, 2)
      assert.strictEqual(calls, 2)
    }), 10_000)
})
