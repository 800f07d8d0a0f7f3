import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import type { SpanRecord } from "../src/SpanRecord.js"
import * as SpanSink from "../src/SpanSink.js"
import * as Trace from "../src/Trace.js"
import * as Tracing from "../src/Tracing.js"

/** Lets forked fibers run (bounded, no clock involved). */
const settle = Effect.gen(function*() {
  for (let i = 0; i < 100; i++) yield* Effect.yieldNow()
})

describe("Tracing: maxQueueBytes with a destination that is down", () => {
  it.scoped("batches in flight count against maxQueueBytes: what is held stays within it, the rest is counted", () =>
    Effect.gen(function*() {
      // The sink hangs until the gate opens: every batch it was given stays in flight.
      const gate = yield* Deferred.make<void>()
      const records: Array<SpanRecord> = []
      let calls = 0
      const sink = SpanSink.make({
        provider: "down",
        limits: { maxRows: 1 },
        export: (batch) =>
          Effect.suspend(() => {
            calls++
            return Effect.zipRight(Deferred.await(gate), Effect.sync(() => void records.push(...batch)))
          })
      })
      const maxQueueBytes = 50_000
      const tracing = yield* Effect.provideService(
        Tracing.make({ concurrency: 4, maxQueueBytes }),
        SpanSink.SpanSink,
        sink
      )
      const big = "x".repeat(10_000)
      for (let i = 0; i < 30; i++) {
        yield* Effect.withTracer(Trace.annotate({ input: big }).pipe(Effect.withSpan(`s${i}`)), tracing.tracer)
        yield* settle
      }
      const held = yield* tracing.stats
      assert.strictEqual(calls, 4, "four batches in flight")
      // Each span holds over 10 kB: at most five fit in 50 kB, in flight or not.
      assert.isAtMost(held.pending, 5)
      assert.isAtLeast(held.pending, 4)
      assert.strictEqual(held.enqueued + held.dropped.queueFull, 30, "every span accepted or counted")
      assert.strictEqual(held.exported, 0)

      yield* Deferred.succeed(gate, undefined)
      yield* tracing.flush
      const after = yield* tracing.stats
      assert.strictEqual(after.exported, held.enqueued)
      assert.strictEqual(records.length, held.enqueued)
      assert.strictEqual(after.pending, 0)
      // Room again once the backlog is sent.
      yield* Effect.withTracer(Trace.annotate({ input: big }).pipe(Effect.withSpan("later")), tracing.tracer)
      assert.strictEqual((yield* tracing.stats).enqueued, held.enqueued + 1)
    }))
})
