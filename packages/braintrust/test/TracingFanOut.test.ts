/**
 * Tracing fan-out through real HTTP: the Braintrust adapter against the
 * spec-validating emulator (with faults) as one destination, an in-memory
 * sink as the other. A fault on one destination must never cost the other
 * a span or hold it up.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import * as SpanSink from "@promptops/core/SpanSink"
import * as Tracing from "@promptops/core/Tracing"
import { BraintrustEmulator } from "@promptops/emulators"
import { Deferred, Effect, Exit, Layer, Redacted, Scope } from "effect"
import * as Braintrust from "../src/Braintrust.js"
import * as BraintrustSpanSink from "../src/BraintrustSpanSink.js"

const emulatorScoped = Effect.acquireRelease(
  Effect.promise(() => BraintrustEmulator.start()),
  (handle) => Effect.promise(() => handle.close())
)

// One attempt per HTTP call: the tracing pipeline owns the retries, so its per-destination counters see them.
const backend = (emulator: BraintrustEmulator.BraintrustEmulatorHandle, project: string) =>
  Braintrust.layer({ apiKey: Redacted.make(emulator.apiKey), apiUrl: emulator.url, project, retry: false }).pipe(
    Layer.provide(FetchHttpClient.layer)
  )

/** An in-memory sink whose `all` completes once `expected` spans have arrived. */
const memory = (expected: number) =>
  Effect.map(Deferred.make<void>(), (all) => {
    const records: Array<SpanRecord> = []
    const sink = SpanSink.make({
      provider: "memory",
      export: (batch) =>
        Effect.suspend(() => {
          records.push(...batch)
          return records.length >= expected ? Deferred.succeed(all, undefined) : Effect.void
        })
    })
    return { sink, records, all }
  })

/** One root and `n - 1` children, all in one trace. */
const trace = (n: number) =>
  Effect.forEach(
    Array.from({ length: n - 1 }, (_, i) => `child ${i}`),
    (name) => Effect.void.pipe(Effect.withSpan(name)),
    { discard: true }
  ).pipe(Effect.withSpan("root"))

const noDrops: Tracing.DroppedStats = { queueFull: 0, redaction: 0, exportFailed: 0, tooLarge: 0, shutdown: 0 }

describe("Tracing fan-out over HTTP (Braintrust emulator + memory)", () => {
  it.live("a 503 storm on Braintrust: both destinations get every span exactly once", () =>
    Effect.gen(function*() {
      const emulator = yield* emulatorScoped
      const mem = yield* memory(30)
      emulator.faults.storm({ match: "POST /v1/insert", times: 3 })
      const tracing = yield* Tracing.makeFanOut({
        destinations: {
          braintrust: { sink: backend(emulator, "fan-out-storm"), retry: { base: "5 millis", jitter: false } },
          memory: mem.sink
        },
        interval: "10 millis"
      })
      yield* Effect.withTracer(trace(30), tracing.tracer)
      yield* tracing.flush

      const stats = yield* tracing.stats
      assert.deepStrictEqual(stats.destinations.braintrust!.dropped, noDrops)
      assert.strictEqual(stats.destinations.braintrust!.exported, 30)
      assert.isAtLeast(stats.destinations.braintrust!.retries, 3)
      assert.deepStrictEqual(stats.destinations.memory!.dropped, noDrops)
      assert.strictEqual(stats.destinations.memory!.retries, 0)
      assert.strictEqual(mem.records.length, 30)

      const traceId = mem.records[0]!.traceId
      const stored = yield* BraintrustSpanSink.readTrace(traceId).pipe(
        Effect.provide(backend(emulator, "fan-out-storm"))
      )
      assert.deepStrictEqual(
        stored.map((span) => span.spanId).sort(),
        mem.records.map((record) => record.spanId).sort()
      )
      assert.strictEqual(emulator.violations.length, 0)
    }).pipe(Effect.scoped))

  it.live("Braintrust down for good: its spans are dropped and counted under its name; memory gets all", () =>
    Effect.gen(function*() {
      const emulator = yield* emulatorScoped
      const mem = yield* memory(20)
      emulator.faults.storm({ match: "POST /v1/insert", times: Infinity })
      const tracing = yield* Tracing.makeFanOut({
        destinations: {
          braintrust: {
            sink: backend(emulator, "fan-out-down"),
            retry: { maxRetries: 2, base: "5 millis", jitter: false }
          },
          memory: mem.sink
        },
        interval: "10 millis"
      })
      yield* Effect.withTracer(trace(20), tracing.tracer)
      yield* tracing.flush
      const stats = yield* tracing.stats
      assert.deepStrictEqual(stats.destinations.braintrust!.dropped, { ...noDrops, exportFailed: 20 })
      assert.strictEqual(stats.destinations.braintrust!.exported, 0)
      assert.deepStrictEqual(stats.destinations.memory!.dropped, noDrops)
      assert.strictEqual(stats.destinations.memory!.exported, 20)
      assert.strictEqual(mem.records.length, 20)
      const inserts = emulator.requests.filter((request) => request.path === "/v1/insert")
      assert.isAbove(inserts.length, 0)
      assert.strictEqual(inserts.length % 3, 0) // each batch: one call and two retries
      for (const insert of inserts) assert.strictEqual(insert.status, 503)
    }).pipe(Effect.scoped))

  it.live("Braintrust hanging: memory is delivered while it hangs; shutdown gives up on Braintrust only", () =>
    Effect.gen(function*() {
      const emulator = yield* emulatorScoped
      const mem = yield* memory(10)
      emulator.faults.delay(60_000, { match: "POST /v1/insert", times: Infinity })
      const scope = yield* Scope.make()
      const tracing = yield* Tracing.makeFanOut({
        destinations: { braintrust: backend(emulator, "fan-out-hang"), memory: mem.sink },
        interval: "10 millis",
        shutdownTimeout: "300 millis"
      }).pipe(Scope.extend(scope))
      yield* Effect.withTracer(trace(10), tracing.tracer)
      // Memory's spans arrive while the Braintrust request is still hanging.
      yield* Deferred.await(mem.all).pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => "memory late" }))
      const meanwhile = yield* tracing.stats
      assert.strictEqual(meanwhile.destinations.braintrust!.pending, 10)
      assert.strictEqual(meanwhile.destinations.memory!.exported, 10)

      yield* Scope.close(scope, Exit.void)
      const stats = yield* tracing.stats
      assert.deepStrictEqual(stats.destinations.braintrust!.dropped, { ...noDrops, shutdown: 10 })
      assert.deepStrictEqual(stats.destinations.memory!.dropped, noDrops)
      assert.strictEqual(stats.pending, 0)
    }).pipe(Effect.scoped))
})
