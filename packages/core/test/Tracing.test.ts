import { assert, describe, it } from "@effect/vitest"
import {
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  FastCheck as fc,
  Layer,
  Logger,
  Option,
  Schema,
  Scope,
  TestClock,
  Tracer
} from "effect"
import * as Attr from "../src/internal/attributes.js"
import { PayloadTooLarge, type PromptOpsError, ProviderUnavailable } from "../src/PromptOpsError.js"
import type { SpanRecord } from "../src/SpanRecord.js"
import * as SpanSink from "../src/SpanSink.js"
import * as Trace from "../src/Trace.js"
import * as Tracing from "../src/Tracing.js"

// ---------------------------------------------------------------------------
// A recording sink, and a harness that starts the pipeline in the test scope.
// ---------------------------------------------------------------------------

interface Recorder {
  readonly sink: SpanSink.SpanSink.Service
  /** Each successful export call, in order. */
  readonly batches: Array<ReadonlyArray<SpanRecord>>
  readonly records: () => Array<SpanRecord>
  readonly byName: (name: string) => SpanRecord
  /** Export calls made, successful or not. */
  readonly calls: () => number
}

const recorder = (options: {
  readonly limits?: Partial<SpanSink.Limits>
  /** Runs before a call is recorded; its failure fails the call. */
  readonly before?: (call: number, batch: ReadonlyArray<SpanRecord>) => Effect.Effect<void, PromptOpsError>
} = {}): Recorder => {
  const batches: Array<ReadonlyArray<SpanRecord>> = []
  let calls = 0
  const records = () => batches.flat()
  return {
    sink: SpanSink.make({
      provider: "test",
      limits: options.limits,
      export: (batch) =>
        Effect.suspend(() => {
          const call = calls++
          return Effect.zipRight(
            options.before?.(call, batch) ?? Effect.void,
            Effect.sync(() => {
              batches.push(batch)
            })
          )
        })
    }),
    batches,
    records,
    byName: (name) => {
      const found = records().filter((record) => record.name === name)
      assert.strictEqual(found.length, 1, `one record named ${name}`)
      return found[0]!
    },
    calls: () => calls
  }
}

/** Starts the pipeline in the current scope; `run` runs an effect under its tracer. */
const start = (rec: Recorder, options?: Tracing.Options) =>
  Effect.map(
    Effect.provideService(Tracing.make(options), SpanSink.SpanSink, rec.sink),
    (tracing) => ({
      ...tracing,
      run: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.withTracer(effect, tracing.tracer)
    })
  )

const unavailable = () => new ProviderUnavailable({ provider: "test", operation: "export", description: "down" })

class Boom extends Schema.TaggedError<Boom>()("Boom", { reason: Schema.String }) {}

/** Lets forked fibers run until `done` holds (bounded, no clock involved). */
const until = (done: () => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 200 && !done(); i++) yield* Effect.yieldNow()
  })

/** Moves the TestClock once forked fibers have had the chance to start their sleeps. */
const adjust = (duration: Duration.DurationInput) => Effect.zipRight(until(() => false), TestClock.adjust(duration))

// ---------------------------------------------------------------------------

describe("Tracing: span → SpanRecord", () => {
  it.scoped("nested withSpan and Effect.fn spans keep parentage, trace id and kinds", () =>
    Effect.gen(function*() {
      const rec = recorder()
      const tracing = yield* start(rec)
      const leaf = Effect.fn("leaf")(function*(n: number) {
        return n + 1
      })
      const spanId = yield* tracing.run(
        Effect.gen(function*() {
          yield* leaf(1).pipe(Trace.llm("model call"))
          yield* leaf(2).pipe(Trace.tool("search"))
          return yield* Trace.currentSpanId
        }).pipe(Trace.task("task"), Effect.withSpan("root"))
      )
      yield* tracing.flush

      const root = rec.byName("root")
      const task = rec.byName("task")
      const llm = rec.byName("model call")
      const tool = rec.byName("search")
      const leaves = rec.records().filter((r) => r.name === "leaf")
      assert.strictEqual(rec.records().length, 6)
      assert.isUndefined(root.parentSpanId)
      assert.match(root.traceId, /^[0-9a-f]{32}$/)
      assert.match(root.spanId, /^[0-9a-f]{16}$/)
      assert.strictEqual(task.parentSpanId, root.spanId)
      assert.strictEqual(llm.parentSpanId, task.spanId)
      assert.strictEqual(tool.parentSpanId, task.spanId)
      assert.deepStrictEqual(leaves.map((r) => r.parentSpanId).sort(), [llm.spanId, tool.spanId].sort())
      for (const record of rec.records()) assert.strictEqual(record.traceId, root.traceId)
      assert.strictEqual(new Set(rec.records().map((r) => r.spanId)).size, 6)
      assert.deepStrictEqual(
        [root.kind, task.kind, llm.kind, tool.kind, leaves[0]!.kind],
        ["span", "task", "llm", "tool", "span"]
      )
      // Trace.currentSpanId inside the task span is that span's id.
      assert.strictEqual(spanId, task.spanId)
      assert.deepStrictEqual(root.destination, { _tag: "ProjectLogs" })
    }))

  it.scoped("a span under an external parent takes its trace and span ids", () =>
    Effect.gen(function*() {
      const rec = recorder()
      const tracing = yield* start(rec)
      const external = Tracer.externalSpan({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" })
      yield* tracing.run(Effect.void.pipe(Effect.withSpan("child"), Effect.withParentSpan(external)))
      yield* tracing.flush
      const child = rec.byName("child")
      assert.strictEqual(child.traceId, external.traceId)
      assert.strictEqual(child.parentSpanId, external.spanId)
    }))

  it.scoped("promptops.* attributes fill the record; other attributes go to metadata", () =>
    Effect.gen(function*() {
      const rec = recorder()
      const tracing = yield* start(rec)
      yield* tracing.run(
        Effect.gen(function*() {
          yield* Trace.annotate({
            input: { question: "2+2?" },
            output: "4",
            expected: "4",
            metadata: { user: "u1" },
            scores: { exact: 1 },
            tags: ["smoke"],
            usage: { promptTokens: 10, completionTokens: 5, cost: 0.01 }
          })
          // A second annotation merges metadata, scores and metrics instead of replacing them.
          yield* Trace.annotate({ metadata: { session: "s1" }, scores: { fuzzy: 0.5 }, metrics: { latencyMs: 12 } })
          yield* Trace.kind("eval")
        }).pipe(Effect.withSpan("annotated", { attributes: { "http.method": "GET", retries: 2 } }))
      )
      yield* tracing.flush
      const record = rec.byName("annotated")
      assert.strictEqual(record.kind, "eval")
      assert.deepStrictEqual(record.input, { question: "2+2?" })
      assert.strictEqual(record.output, "4")
      assert.strictEqual(record.expected, "4")
      assert.deepStrictEqual(record.scores, { exact: 1, fuzzy: 0.5 })
      assert.deepStrictEqual(record.tags, ["smoke"])
      assert.deepStrictEqual(record.metrics, {
        promptTokens: 10,
        completionTokens: 5,
        totalTokens: 15,
        cost: 0.01,
        latencyMs: 12
      })
      assert.strictEqual(record.metadata.user, "u1")
      assert.strictEqual(record.metadata.session, "s1")
      assert.strictEqual(record.metadata["http.method"], "GET")
      assert.strictEqual(record.metadata.retries, 2)
      assert.isUndefined(record.metadata[Attr.INPUT])
      assert.isUndefined(record.truncated)
    }))

  it.scoped("gen_ai.* attributes (as @effect/ai emits them) map to usage metrics, model and kind llm", () =>
    Effect.gen(function*() {
      const rec = recorder()
      const tracing = yield* start(rec)
      yield* tracing.run(
        Effect.void.pipe(Effect.withSpan("LanguageModel.generateText", {
          attributes: {
            [Attr.GEN_AI_SYSTEM]: "openai",
            [Attr.GEN_AI_OPERATION]: "chat",
            [Attr.GEN_AI_REQUEST_MODEL]: "gpt-4o",
            [Attr.GEN_AI_RESPONSE_MODEL]: "gpt-4o-2024-08-06",
            [Attr.GEN_AI_INPUT_TOKENS]: 120,
            [Attr.GEN_AI_OUTPUT_TOKENS]: 30
          }
        }))
      )
      yield* tracing.flush
      const record = rec.byName("LanguageModel.generateText")
      assert.strictEqual(record.kind, "llm")
      assert.deepStrictEqual(record.metrics, { promptTokens: 120, completionTokens: 30, totalTokens: 150 })
      assert.strictEqual(record.metadata.model, "gpt-4o-2024-08-06")
      assert.strictEqual(record.metadata[Attr.GEN_AI_SYSTEM], "openai")
      assert.isUndefined(record.metadata[Attr.GEN_AI_INPUT_TOKENS])
    }))

  it.scoped("times are unix milliseconds from Effect's clock", () =>
    Effect.gen(function*() {
      // A real date, so the record times below are recognisably unix milliseconds.
      yield* TestClock.setTime(1_700_000_000_000)
      const rec = recorder()
      const tracing = yield* start(rec)
      const fiber = yield* Effect.fork(tracing.run(Effect.sleep("1500 millis").pipe(Effect.withSpan("slow"))))
      yield* adjust("1500 millis")
      yield* Fiber.join(fiber)
      yield* tracing.flush
      const record = rec.byName("slow")
      assert.strictEqual(record.startTime, 1_700_000_000_000)
      assert.strictEqual(record.endTime, 1_700_000_001_500)
    }))

  it.scoped("failures, defects and interruptions are recorded as errors", () =>
    Effect.gen(function*() {
      const rec = recorder()
      const tracing = yield* start(rec)
      const failed = yield* tracing.run(Effect.exit(new Boom({ reason: "bad" }).pipe(Effect.withSpan("fails"))))
      yield* tracing.run(Effect.exit(Effect.die(new RangeError("out of range")).pipe(Effect.withSpan("dies"))))
      const fiber = yield* Effect.fork(tracing.run(Effect.never.pipe(Effect.withSpan("interrupted"))))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      yield* tracing.run(Effect.void.pipe(Effect.withSpan("fine")))
      yield* tracing.flush

      assert.isTrue(Exit.isFailure(failed))
      const fails = rec.byName("fails")
      assert.strictEqual(fails.error?.type, "Boom")
      assert.include(fails.error?.stack ?? "", "Boom")
      const dies = rec.byName("dies")
      assert.strictEqual(dies.error?.type, "RangeError")
      assert.strictEqual(dies.error?.message, "out of range")
      assert.deepStrictEqual(rec.byName("interrupted").error, { message: "interrupted", type: "Interrupted" })
      assert.isUndefined(rec.byName("fine").error)
    }))

  it.scoped("a span with promptops.experiment_id routes itself and its descendants to the experiment", () =>
    Effect.gen(function*() {
      const rec = recorder()
      const tracing = yield* start(rec)
      const tree = Effect.void.pipe(
        Effect.withSpan("grandchild"),
        Effect.withSpan("child"),
        Effect.withSpan("eval", { attributes: { [Attr.EXPERIMENT_ID]: "exp-1" } })
      )
      yield* tracing.run(Effect.zipRight(tree, Effect.void.pipe(Effect.withSpan("elsewhere"))))
      yield* tracing.flush
      const experiment = { _tag: "Experiment", experimentId: "exp-1" } as const
      assert.deepStrictEqual(rec.byName("eval").destination, experiment)
      assert.deepStrictEqual(rec.byName("child").destination, experiment)
      assert.deepStrictEqual(rec.byName("grandchild").destination, experiment)
      assert.deepStrictEqual(rec.byName("elsewhere").destination, { _tag: "ProjectLogs" })
      assert.isUndefined(rec.byName("eval").metadata[Attr.EXPERIMENT_ID])
    }))

  it.scoped("hostile data never throws into the caller and is made safe and marked truncated", () =>
    Effect.gen(function*() {
      const rec = recorder()
      const tracing = yield* start(rec)
      const circular: Record<string, unknown> = { name: "loop" }
      circular.self = circular
      const huge = "x".repeat(10 * 1024 * 1024)
      const result = yield* tracing.run(
        Effect.gen(function*() {
          yield* Trace.annotate({
            input: { circular, big: 10n ** 30n, fn: function named() {}, sym: Symbol("s"), lone: "a\ud800b" },
            output: huge
          })
          return "still fine"
        }).pipe(Effect.withSpan("hostile", { attributes: { weird: Symbol.iterator } }))
      )
      yield* tracing.flush
      assert.strictEqual(result, "still fine")
      const record = rec.byName("hostile")
      assert.isTrue(record.truncated)
      const input = record.input as Record<string, unknown>
      assert.deepStrictEqual(input.circular, { name: "loop", self: "[Circular]" })
      assert.strictEqual(input.big, "1000000000000000000000000000000")
      assert.strictEqual(input.fn, "[Function named]")
      assert.strictEqual(input.sym, "[Symbol(s)]")
      assert.strictEqual(input.lone, "a\ufffdb")
      const output = record.output as string
      assert.isBelow(output.length, 64 * 1024 + 100)
      assert.match(output, /…\[truncated \d+ chars\]$/)
      assert.strictEqual(record.metadata.weird, "[Symbol(Symbol.iterator)]")
      // The whole record serialises.
      assert.isAbove(JSON.stringify(record).length, 64 * 1024)
    }))

  it.scoped("a span failing with a circular error object is marked truncated; a plain error object is not", () =>
    Effect.gen(function*() {
      const rec = recorder()
      const tracing = yield* start(rec)
      const circular: Record<string, unknown> = { _tag: "Loop", reason: "cycle" }
      circular.self = circular
      yield* tracing.run(Effect.exit(Effect.fail(circular).pipe(Effect.withSpan("circular"))))
      yield* tracing.run(Effect.exit(Effect.fail({ _tag: "Plain", reason: "flat" }).pipe(Effect.withSpan("plain"))))
      yield* tracing.flush
      const looped = rec.byName("circular")
      assert.strictEqual(looped.error?.type, "Loop")
      assert.include(looped.error?.message ?? "", "[Circular]")
      // The cycle was cut: a lossy change to the span's data.
      assert.isTrue(looped.truncated)
      const plain = rec.byName("plain")
      assert.strictEqual(plain.error?.type, "Plain")
      assert.deepStrictEqual(JSON.parse(plain.error!.message), { _tag: "Plain", reason: "flat" })
      assert.notStrictEqual(plain.truncated, true)
    }))

  it.scoped("data is copied at record time: later mutation by the app does not change the record", () =>
    Effect.gen(function*() {
      const rec = recorder()
      const tracing = yield* start(rec)
      const messages = [{ role: "user", content: "hi" }]
      yield* tracing.run(Trace.annotate({ input: messages }).pipe(Effect.withSpan("call")))
      messages.push({ role: "assistant", content: "later" })
      yield* tracing.flush
      assert.deepStrictEqual(rec.byName("call").input, [{ role: "user", content: "hi" }])
    }))

  it.scoped("the redaction hook rewrites records; when it throws or returns undefined the record is dropped and counted", () =>
    Effect.gen(function*() {
      const rec = recorder()
      const tracing = yield* start(rec, {
        redact: (record) => {
          if (record.name === "throws") throw new Error("hook bug")
          if (record.name === "skip") return undefined
          return { ...record, input: "[redacted]" }
        }
      })
      const result = yield* tracing.run(
        Effect.gen(function*() {
          yield* Trace.annotate({ input: "my SSN is 123" }).pipe(Effect.withSpan("kept"))
          yield* Effect.void.pipe(Effect.withSpan("throws"))
          yield* Effect.void.pipe(Effect.withSpan("skip"))
          return 42
        })
      )
      yield* tracing.flush
      const stats = yield* tracing.stats
      assert.strictEqual(result, 42)
      assert.deepStrictEqual(rec.records().map((r) => r.name), ["kept"])
      assert.strictEqual(rec.byName("kept").input, "[redacted]")
      assert.strictEqual(stats.dropped.redaction, 2)
      assert.strictEqual(stats.enqueued, 1)
    }))
})

describe("Tracing: export pipeline", () => {
  const spans = (names: ReadonlyArray<string>) =>
    Effect.forEach(names, (name) => Effect.void.pipe(Effect.withSpan(name)), { discard: true })
  const names = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`)

  it.scoped("batches by count, in order", () =>
    Effect.gen(function*() {
      const rec = recorder({ limits: { maxRows: 3 } })
      const tracing = yield* start(rec, { concurrency: 1 })
      yield* tracing.run(spans(names(10)))
      yield* tracing.flush
      assert.deepStrictEqual(rec.batches.map((b) => b.length), [3, 3, 3, 1])
      assert.deepStrictEqual(rec.records().map((r) => r.name), names(10))
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.enqueued, stats.exported, stats.pending, stats.batches], [10, 10, 0, 4])
    }))

  it.scoped("full batches go out without waiting for the interval; a partial one waits for it", () =>
    Effect.gen(function*() {
      const rec = recorder({ limits: { maxRows: 4 } })
      const tracing = yield* start(rec, { concurrency: 1 })
      yield* tracing.run(spans(names(6)))
      yield* until(() => rec.records().length >= 4)
      // Give the worker every chance to send the partial batch early: it must not.
      yield* until(() => false)
      assert.deepStrictEqual(rec.batches.map((b) => b.length), [4])
      yield* TestClock.adjust("999 millis")
      yield* until(() => false)
      assert.deepStrictEqual(rec.batches.map((b) => b.length), [4])
      yield* TestClock.adjust("1 millis")
      yield* until(() => rec.batches.length === 2)
      assert.deepStrictEqual(rec.batches.map((b) => b.length), [4, 2])
    }))

  it.effect.prop(
    "every batch respects maxRows and maxBytes (unless one record alone exceeds it) and nothing is lost or duplicated",
    {
      // Escapes, multi-byte and astral characters make JSON bytes differ from string length.
      inputs: fc.array(
        fc.oneof(
          fc.integer({ min: 0, max: 3_000 }).map((n) => "x".repeat(n)),
          fc.string({ unit: "binary", maxLength: 400 }),
          fc.string({ unit: fc.constantFrom("\"", "\\", "\n", "\u0001", "é", "😀"), maxLength: 600 })
        ),
        { minLength: 1, maxLength: 60 }
      ),
      maxRows: fc.integer({ min: 1, max: 12 }),
      maxBytes: fc.integer({ min: 200, max: 8_000 }),
      // A redaction hook makes the pipeline measure every record instead of trusting the sanitiser's bound.
      redact: fc.boolean()
    },
    ({ inputs, maxBytes, maxRows, redact }) =>
      Effect.scoped(Effect.gen(function*() {
        const rec = recorder({ limits: { maxRows, maxBytes } })
        const tracing = yield* start(rec, { concurrency: 1, ...(redact ? { redact: (r: SpanRecord) => r } : {}) })
        yield* tracing.run(Effect.forEach(inputs, (input, i) =>
          Trace.annotate({ input, metadata: { [`k${i}`]: input } }).pipe(Effect.withSpan(`s${i}`)), { discard: true }))
        yield* tracing.flush
        for (const batch of rec.batches) {
          assert.isAtLeast(batch.length, 1)
          assert.isAtMost(batch.length, maxRows)
          if (batch.length > 1) assert.isAtMost(Buffer.byteLength(JSON.stringify(batch)), maxBytes)
        }
        assert.deepStrictEqual(rec.records().map((r) => r.name), inputs.map((_, i) => `s${i}`))
        const stats = yield* tracing.stats
        assert.strictEqual(stats.exported, inputs.length)
      })),
    { fastCheck: { numRuns: 60 } }
  )

  it.scoped("the sanitiser's size bound is an upper bound of the JSON bytes of hostile records", () =>
    Effect.gen(function*() {
      // Two records whose bound says they cannot share a 2 KB batch must still be measured, not split blindly,
      // and records with heavy escaping must never overflow the limit.
      const rec = recorder({ limits: { maxRows: 100, maxBytes: 2_000 } })
      const tracing = yield* start(rec, { concurrency: 1 })
      const inputs = ["\u0001".repeat(120), "😀".repeat(100), "\"\\".repeat(100), "plain", "é".repeat(150)]
      yield* tracing.run(
        Effect.forEach(inputs, (input, i) => Trace.annotate({ input }).pipe(Effect.withSpan(`s${i}`)), { discard: true })
      )
      yield* tracing.flush
      for (const batch of rec.batches) {
        if (batch.length > 1) assert.isAtMost(Buffer.byteLength(JSON.stringify(batch)), 2_000)
      }
      assert.deepStrictEqual(rec.records().map((r) => r.input), inputs)
      assert.isBelow(rec.batches.length, inputs.length, "measuring lets small records share a batch")
    }))

  it.scoped("a 413 splits the batch: every span is delivered exactly once; a lone span still too large is dropped", () =>
    Effect.gen(function*() {
      const rec = recorder({
        limits: { maxRows: 16 },
        before: (_, batch) =>
          batch.length > 3 || batch.some((r) => r.name === "jumbo")
            ? Effect.fail(new PayloadTooLarge({ provider: "test", operation: "export", description: "too big" }))
            : Effect.void
      })
      const tracing = yield* start(rec, { concurrency: 1 })
      const all = [...names(7), "jumbo", ...names(8).slice(7)]
      yield* tracing.run(spans(all))
      yield* tracing.flush
      const delivered = rec.records().map((r) => r.name)
      assert.deepStrictEqual(delivered.sort(), all.filter((n) => n !== "jumbo").sort())
      for (const batch of rec.batches) assert.isAtMost(batch.length, 3)
      const stats = yield* tracing.stats
      assert.strictEqual(stats.dropped.tooLarge, 1)
      assert.strictEqual(stats.exported, all.length - 1)
      assert.strictEqual(stats.pending, 0)
    }))

  it.scoped("a 503 is retried and then succeeds", () =>
    Effect.gen(function*() {
      const rec = recorder({ before: (call) => call === 0 ? Effect.fail(unavailable()) : Effect.void })
      const tracing = yield* start(rec, { retry: { jitter: false } })
      yield* tracing.run(spans(names(5)))
      const flushing = yield* Effect.fork(tracing.flush)
      yield* until(() => rec.calls() === 1)
      assert.deepStrictEqual(rec.records(), [])
      yield* TestClock.adjust("250 millis")
      yield* Fiber.join(flushing)
      const stats = yield* tracing.stats
      assert.strictEqual(rec.records().length, 5)
      assert.strictEqual(stats.retries, 1)
      assert.strictEqual(stats.exported, 5)
      assert.strictEqual(stats.dropped.exportFailed, 0)
    }))

  it.scoped("a sink that always fails: spans are dropped, counted and logged; the caller is unaffected", () =>
    Effect.gen(function*() {
      const rec = recorder({ before: () => Effect.fail(unavailable()) })
      const logs: Array<string> = []
      const logger = Logger.make(({ annotations, message }) => {
        logs.push(`${String(message)} ${JSON.stringify(Object.fromEntries(annotations))}`)
      })
      const tracing = yield* start(rec, { retry: { maxRetries: 2, jitter: false } }).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      const result = yield* tracing.run(Effect.as(spans(names(4)), "done"))
      assert.strictEqual(result, "done")
      const flushing = yield* Effect.fork(tracing.flush)
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(flushing)
      const stats = yield* tracing.stats
      assert.strictEqual(rec.calls(), 3)
      assert.strictEqual(stats.dropped.exportFailed, 4)
      assert.strictEqual(stats.retries, 2)
      assert.strictEqual(stats.exported, 0)
      assert.strictEqual(stats.pending, 0)
      assert.strictEqual(logs.length, 1)
      assert.include(logs[0]!, "export failed")
      assert.include(logs[0]!, "\"dropped\":4")
      assert.include(logs[0]!, "ProviderUnavailable")
    }))

  it.scoped("a full queue drops the new span and counts it", () =>
    Effect.gen(function*() {
      const rec = recorder()
      const tracing = yield* start(rec, { capacity: 5 })
      yield* tracing.run(spans(names(8)))
      const before = yield* tracing.stats
      yield* tracing.flush
      assert.strictEqual(before.enqueued, 5)
      assert.strictEqual(before.dropped.queueFull, 3)
      assert.deepStrictEqual(rec.records().map((r) => r.name), names(5))
    }))

  it.scoped("the queue is bounded in bytes too: big spans past maxQueueBytes are dropped and counted", () =>
    Effect.gen(function*() {
      const rec = recorder()
      const tracing = yield* start(rec, { maxQueueBytes: 8_000 })
      yield* tracing.run(Effect.forEach(names(10), (name) =>
        Trace.annotate({ input: "y".repeat(2_000) }).pipe(Effect.withSpan(name)), { discard: true }))
      const stats = yield* tracing.stats
      yield* tracing.flush
      assert.isAbove(stats.dropped.queueFull, 0)
      assert.isAbove(stats.enqueued, 0)
      assert.strictEqual(stats.enqueued + stats.dropped.queueFull, 10)
      assert.strictEqual(rec.records().length, stats.enqueued)
    }))

  it.scoped("a 20,000-span burst without yielding loses nothing", () =>
    Effect.gen(function*() {
      const rec = recorder()
      const tracing = yield* start(rec)
      // Ending spans straight from plain JS: no fiber gets a chance to run in between.
      for (let i = 0; i < 20_000; i++) {
        tracing.tracer.span(`s${i}`, Option.none(), Effect.runSync(Effect.context<never>()), [], 0n, "internal")
          .end(1n, Exit.void)
      }
      yield* tracing.flush
      const stats = yield* tracing.stats
      assert.strictEqual(stats.exported, 20_000)
      assert.strictEqual(stats.dropped.queueFull, 0)
      assert.strictEqual(rec.records().length, 20_000)
    }))

  it.scoped("flush waits for an export that is in flight", () =>
    Effect.gen(function*() {
      const release = yield* Deferred.make<void>()
      const rec = recorder({ before: () => Deferred.await(release) })
      const tracing = yield* start(rec)
      yield* tracing.run(spans(names(3)))
      const flushing = yield* Effect.fork(tracing.flush)
      yield* until(() => rec.calls() === 1)
      yield* until(() => false)
      assert.isTrue(Option.isNone(yield* Fiber.poll(flushing)))
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(flushing)
      assert.strictEqual(rec.records().length, 3)
    }))

  it.effect("closing the scope flushes the backlog", () =>
    Effect.gen(function*() {
      const rec = recorder({ limits: { maxRows: 1000 } })
      const scope = yield* Scope.make()
      const tracing = yield* start(rec).pipe(Scope.extend(scope))
      yield* tracing.run(spans(names(250)))
      assert.strictEqual(rec.records().length, 0)
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(rec.records().length, 250)
      // Spans that end after shutdown are counted, not silently lost.
      yield* tracing.run(spans(["late"]))
      const stats = yield* tracing.stats
      assert.strictEqual(stats.dropped.shutdown, 1)
      assert.strictEqual(stats.exported, 250)
    }))

  it.effect("the sink's flush hook runs after the queue drains, on flush and at shutdown; its failure is logged", () =>
    Effect.gen(function*() {
      const events: Array<string> = []
      let failNext = false
      const sink = SpanSink.make({
        provider: "holding",
        export: (batch) => Effect.sync(() => events.push(`export ${batch.length}`)),
        flush: Effect.suspend(() => {
          events.push("sink flush")
          if (failNext) {
            failNext = false
            return Effect.fail(unavailable())
          }
          return Effect.void
        })
      })
      const scope = yield* Scope.make()
      const tracing = yield* Effect.provideService(Tracing.make(), SpanSink.SpanSink, sink).pipe(Scope.extend(scope))
      yield* Effect.withTracer(spans(names(3)), tracing.tracer)
      yield* tracing.flush
      assert.deepStrictEqual(events, ["export 3", "sink flush"])
      failNext = true
      yield* tracing.flush // a failing hook never fails the caller
      yield* Effect.withTracer(spans(names(2)), tracing.tracer)
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(events, ["export 3", "sink flush", "sink flush", "export 2", "sink flush"])
    }))

  it.effect("closing the scope gives up after shutdownTimeout and counts what was not sent", () =>
    Effect.gen(function*() {
      const rec = recorder({ before: () => Effect.never })
      const scope = yield* Scope.make()
      const tracing = yield* start(rec, { shutdownTimeout: "2 seconds" }).pipe(Scope.extend(scope))
      yield* tracing.run(spans(names(7)))
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* adjust("2 seconds")
      yield* Fiber.join(closing)
      const stats = yield* tracing.stats
      assert.strictEqual(stats.dropped.shutdown, 7)
      assert.strictEqual(stats.pending, 0)
      // A flush after shutdown returns at once.
      yield* tracing.flush
    }))

  it.effect("layer installs the tracer for the program and provides Tracing", () =>
    Effect.gen(function*() {
      const rec = recorder()
      // A sink that traces its own work, as an HTTP client would.
      const tracedSink = SpanSink.make({
        provider: "traced",
        export: (batch) => rec.sink.export(batch).pipe(Effect.withSpan("sink.http"))
      })
      const program = Effect.gen(function*() {
        yield* Effect.void.pipe(Effect.withSpan("app"))
        yield* Tracing.flush
        yield* Effect.void.pipe(Effect.withSpan("app 2"))
        yield* Tracing.flush
        return yield* Tracing.stats
      })
      const stats = yield* program.pipe(
        Effect.provide(Tracing.layer().pipe(Layer.provide(Layer.succeed(SpanSink.SpanSink, tracedSink))))
      )
      assert.deepStrictEqual(rec.records().map((r) => r.name), ["app", "app 2"])
      assert.strictEqual(stats.exported, 2)
    }))

  it.scoped("the pipeline runs untraced even when a tracer is installed around it", () =>
    Effect.gen(function*() {
      // Whatever tracer is current when the pipeline starts (here one that records names; in an app it
      // may be promptops' own) must see nothing of the exporter's work, or exports would trace themselves.
      const seen: Array<string> = []
      const ambient = Tracer.make({
        span: (name, parent, context, links, startTime, kind) => {
          seen.push(name)
          return {
            _tag: "Span", name, parent, context, links, startTime, kind, sampled: true,
            spanId: "s", traceId: "t", attributes: new Map(), status: { _tag: "Started", startTime },
            end: () => {}, attribute: () => {}, event: () => {}, addLinks: () => {}
          } as Tracer.Span
        },
        context: (f) => f()
      })
      const rec = recorder()
      const tracedSink = SpanSink.make({
        provider: "traced",
        export: (batch) => rec.sink.export(batch).pipe(Effect.withSpan("sink.http"))
      })
      const tracing = yield* Tracing.make({ retry: { maxRetries: 0 } }).pipe(
        Effect.provideService(SpanSink.SpanSink, tracedSink),
        Effect.withTracer(ambient)
      )
      yield* Effect.withTracer(Effect.void.pipe(Effect.withSpan("app")), tracing.tracer)
      yield* tracing.flush
      yield* Effect.withTracer(Effect.void.pipe(Effect.withSpan("app 2")), tracing.tracer)
      yield* tracing.flush
      assert.deepStrictEqual(rec.records().map((r) => r.name), ["app", "app 2"])
      assert.deepStrictEqual(seen, [])
    }))

  it.effect("invalid options are a defect, not a silent default", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(start(recorder(), { capacity: 0 })))
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "capacity")
    }))
})
