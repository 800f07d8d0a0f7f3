/**
 * Closing the tracing scope, on both vendors:
 *
 * - with a backlog and a reachable vendor, the close sends all of it within
 *   the shutdown deadline: every span stored once, nothing dropped;
 * - with the vendor down for good, the close ends at the deadline (or when
 *   the retry budget runs out) and reports what it could not send: the
 *   counts in `Tracing.stats`, the sink's account and the warning logs each
 *   equal exactly what is missing on the emulator.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Tracing from "@promptops/core/Tracing"
import { Effect } from "effect"
import {
  captureLogs,
  droppedInLogs,
  duplicateIds,
  keyLeaksInRequests,
  keyLeaksInText,
  SinkAccount,
  SPANS_PER_TRACE,
  tracedLoad,
  vendors,
  withBackend,
  workloadDelivery
} from "./harness.js"

const dropped = (stats: Tracing.TracingStats): number =>
  stats.dropped.queueFull + stats.dropped.redaction + stats.dropped.exportFailed + stats.dropped.tooLarge +
  stats.dropped.shutdown

for (const vendor of vendors) {
  describe(`${vendor.name}: shutting down`, () => {
    it.live("a backlog is flushed when the scope closes, within the deadline", () =>
      Effect.gen(function*() {
        const handle = yield* vendor.start()
        const logs = captureLogs()
        const deadlineMs = 20_000
        // Every export waits 50 ms at the vendor: the backlog is still there when the scope closes.
        handle.faults.delay(50, { match: vendor.dataPath, times: Infinity })
        const traces = 200
        const { account, atClose, tracing } = yield* withBackend(
          vendor,
          handle,
          Effect.gen(function*() {
            yield* tracedLoad(0, traces)
            const tracing = yield* Tracing.Tracing
            // No flush: the scope closes right after the load.
            return { tracing, account: yield* SinkAccount, atClose: { at: Date.now(), stats: yield* tracing.stats } }
          }),
          { logs, tracing: { interval: "50 millis", shutdownTimeout: `${deadlineMs} millis` } }
        )
        const closeMs = Date.now() - atClose.at
        const stats = yield* tracing.stats
        console.log(`[faults] ${vendor.name} / backlog at close: ${atClose.stats.pending} spans, flushed in ${closeMs} ms`)
        assert.isAbove(atClose.stats.pending, 1_000, "no backlog when the scope closed")
        assert.isBelow(closeMs, deadlineMs)
        assert.strictEqual(stats.pending, 0)
        assert.strictEqual(dropped(stats), 0)
        assert.strictEqual((yield* account).pending, 0)
        const spans = vendor.spans(handle)
        assert.deepStrictEqual(duplicateIds(spans), [])
        assert.deepStrictEqual(workloadDelivery(spans, traces), { stored: traces * SPANS_PER_TRACE, missing: 0, duplicated: 0 })
        assert.deepStrictEqual(keyLeaksInRequests(handle.requests), [])
        assert.deepStrictEqual(keyLeaksInText(logs.lines), [])
      }).pipe(Effect.scoped), 60_000)

    const downForGood: ReadonlyArray<{
      readonly name: string
      readonly tracing: Tracing.Options
      readonly reason: "shutdown" | "exportFailed"
    }> = [
      {
        name: "the deadline cuts the retries",
        tracing: {
          interval: "50 millis",
          shutdownTimeout: "1 second",
          retry: { base: "50 millis", maxDelay: "200 millis", maxRetries: 1_000 }
        },
        reason: "shutdown"
      },
      {
        name: "the retry budget runs out first",
        tracing: {
          interval: "50 millis",
          shutdownTimeout: "20 seconds",
          retry: { base: "10 millis", maxDelay: "20 millis", maxRetries: 3 }
        },
        reason: "exportFailed"
      }
    ]
    for (const scenario of downForGood) {
      it.live(`the vendor down for good (${scenario.name}): what is missing is counted and logged`, () =>
        Effect.gen(function*() {
          const handle = yield* vendor.start()
          const logs = captureLogs()
          const traces = 20
          const { account, before, tracing } = yield* withBackend(
            vendor,
            handle,
            Effect.gen(function*() {
              const tracing = yield* Tracing.Tracing
              // Half the load is delivered...
              yield* tracedLoad(0, traces / 2)
              yield* tracing.flush
              const before = vendor.spans(handle).length
              // ...then the vendor goes away (connections refused) and the other half has nowhere to go.
              yield* Effect.promise(() => handle.close())
              yield* tracedLoad(traces / 2, traces / 2)
              return { tracing, before, account: yield* SinkAccount }
            }),
            { logs, tracing: scenario.tracing, client: { timeout: "1 second", retry: { base: "10 millis", maxRetries: 1 } } }
          )
          const stats = yield* tracing.stats
          const sink = yield* account
          const spans = vendor.spans(handle)
          const missing = stats.enqueued - sink.skipped - spans.length
          console.log(
            `[faults] ${vendor.name} / down for good (${scenario.name}): ${missing} missing; ` +
              `dropped ${JSON.stringify(stats.dropped)}; sink ${JSON.stringify(sink)}; logged ${droppedInLogs(logs.lines)}`
          )
          assert.strictEqual(spans.length, before)
          assert.deepStrictEqual(duplicateIds(spans), [])
          assert.isAtLeast(missing, (traces / 2) * SPANS_PER_TRACE)
          // Every missing span is counted once: by the pipeline, or as still held by the sink.
          assert.strictEqual(stats.dropped[scenario.reason] + sink.pending, missing)
          assert.strictEqual(dropped(stats) + sink.pending, missing)
          assert.strictEqual(stats.pending, 0)
          // ...and the warnings say how many.
          assert.strictEqual(droppedInLogs(logs.lines), missing)
          assert.deepStrictEqual(keyLeaksInText(logs.lines), [])
        }).pipe(Effect.scoped), 60_000)
    }
  })
}
