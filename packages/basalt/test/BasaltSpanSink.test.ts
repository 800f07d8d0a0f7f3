import { assert, describe, it } from "@effect/vitest"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { SpanSink } from "@promptops/core/SpanSink"
import * as Trace from "@promptops/core/Trace"
import * as Tracing from "@promptops/core/Tracing"
import { Effect, Exit, Layer, Scope, TestClock, Tracer } from "effect"
import * as BasaltSpanSink from "../src/BasaltSpanSink.js"
import { type Captured, clientLayer } from "./fakeBasalt.js"

const json = (status: number, body: unknown) => ({ status, json: body })

const T = "0af7651916cd43dd8448eb211c80319c"
const R = "b7ad6b7169203331"
const S1 = "00f067aa0ba902b7"
const S2 = "53995c3f42cd8ad8"
const S3 = "1a2b3c4d5e6f7a8b"
const t0 = Date.parse("2026-01-02T03:04:05.000Z")
const iso = (offset: number) => new Date(t0 + offset).toISOString()

const span = (fields: Partial<SpanRecord> & Pick<SpanRecord, "spanId" | "name" | "kind">): SpanRecord => ({
  traceId: T,
  startTime: t0,
  endTime: t0 + 1,
  metadata: {},
  metrics: {},
  destination: { _tag: "ProjectLogs" },
  ...fields
})

const root = span({
  spanId: R,
  name: "handle request",
  kind: "task",
  startTime: t0,
  endTime: t0 + 50,
  input: { question: "q" },
  output: "a",
  metadata: { user: "u1", "basalt.user": { id: "u1", name: "Ada" } }
})
const retrieval = span({
  spanId: S1,
  parentSpanId: R,
  name: "search",
  kind: "retrieval",
  startTime: t0 + 1,
  endTime: t0 + 10,
  input: "q",
  output: ["doc1"]
})
const llm = span({
  spanId: S2,
  parentSpanId: R,
  name: "chat",
  kind: "llm",
  startTime: t0 + 11,
  endTime: t0 + 40,
  input: [{ role: "user", content: "q" }],
  output: "a",
  metadata: { model: "gpt-4o", "basalt.prompt": { slug: "qa", version: "1.0.0" }, "basalt.variables": { question: "q" } },
  metrics: { promptTokens: 12, completionTokens: 5, totalTokens: 17, cost: 0.001 }
})
const tool = span({
  spanId: S3,
  parentSpanId: S2,
  name: "calc",
  kind: "tool",
  startTime: t0 + 20,
  endTime: t0 + 30,
  error: { message: "boom", type: "Error" }
})

const traceOk = (request: Captured, index: number) =>
  request.url.pathname === "/monitor/trace" ? json(200, { trace: { id: `trace-${index}` } }) : json(404, { error: "no" })

const sinkWith = (
  handler: (request: Captured, index: number) => { status: number; json?: unknown },
  options: BasaltSpanSink.Options = {}
) => {
  const { captured, layer } = clientLayer(handler)
  return { captured, layer: BasaltSpanSink.layer(options).pipe(Layer.provide(layer)) }
}

const traces = (captured: ReadonlyArray<Captured>) =>
  captured.filter((request) => request.url.pathname === "/monitor/trace").map((request) => request.json as any)

describe("BasaltSpanSink", () => {
  it.effect("waits for the root, then sends the trace as one payload of flat logs linked by parentId", () =>
    Effect.gen(function*() {
      const { captured, layer } = sinkWith(traceOk)
      yield* Effect.gen(function*() {
        const sink = yield* SpanSink
        yield* sink.export([retrieval, tool, llm])
        assert.strictEqual(captured.length, 0)
        assert.deepStrictEqual(
          (yield* Effect.flatMap(BasaltSpanSink.BasaltSpanSink, (s) => s.stats)).pendingSpans,
          3
        )
        yield* sink.export([root])
      }).pipe(Effect.provide(layer))
      const sent = traces(captured)
      assert.strictEqual(sent.length, 1)
      assert.deepStrictEqual(sent[0], {
        featureSlug: "support-bot",
        name: "handle request",
        input: { question: "q" },
        output: "a",
        metadata: { user: "u1", "promptops.traceId": T },
        user: { id: "u1", name: "Ada" },
        startTime: iso(0),
        endTime: iso(50),
        logs: [
          {
            id: R,
            type: "span",
            name: "handle request",
            parentId: null,
            startTime: iso(0),
            endTime: iso(50),
            input: { question: "q" },
            output: "a",
            metadata: { user: "u1", "promptops.kind": "task" }
          },
          {
            id: S1,
            type: "retrieval",
            name: "search",
            parentId: R,
            startTime: iso(1),
            endTime: iso(10),
            input: "q",
            output: ["doc1"],
            metadata: { "promptops.kind": "retrieval" }
          },
          {
            id: S2,
            type: "generation",
            name: "chat",
            parentId: R,
            startTime: iso(11),
            endTime: iso(40),
            input: [{ role: "user", content: "q" }],
            output: "a",
            metadata: { model: "gpt-4o", "promptops.kind": "llm", metrics: { totalTokens: 17 } },
            inputTokens: 12,
            outputTokens: 5,
            cost: 0.001,
            prompt: { slug: "qa", version: "1.0.0" },
            variables: [{ label: "question", value: "q" }]
          },
          {
            id: S3,
            type: "tool",
            name: "calc",
            parentId: S2,
            startTime: iso(20),
            endTime: iso(30),
            metadata: { "promptops.kind": "tool", error: { message: "boom", type: "Error" } }
          }
        ]
      })
    }))

  it.effect("generationLogs: span sends LLM spans as span logs with tokens and cost in metadata", () =>
    Effect.gen(function*() {
      const { captured, layer } = sinkWith(traceOk, { generationLogs: "span" })
      yield* Effect.flatMap(SpanSink, (sink) => sink.export([llm, root])).pipe(Effect.provide(layer))
      const log = traces(captured)[0].logs.find((entry: { id: string }) => entry.id === S2)
      assert.deepStrictEqual(log, {
        id: S2,
        type: "span",
        name: "chat",
        parentId: R,
        startTime: iso(11),
        endTime: iso(40),
        input: [{ role: "user", content: "q" }],
        output: "a",
        metadata: {
          model: "gpt-4o",
          "promptops.kind": "llm",
          inputTokens: 12,
          outputTokens: 5,
          cost: 0.001,
          metrics: { promptTokens: 12, completionTokens: 5, totalTokens: 17, cost: 0.001 }
        }
      })
    }))

  it("kinds map to Basalt log types", () => {
    const typeOf = (fields: Partial<SpanRecord>) =>
      BasaltSpanSink.logType(span({ spanId: "x", name: "x", kind: "span", ...fields }))
    assert.strictEqual(typeOf({ kind: "llm" }), "generation")
    assert.strictEqual(typeOf({ kind: "tool" }), "tool")
    assert.strictEqual(typeOf({ kind: "retrieval" }), "retrieval")
    assert.strictEqual(typeOf({ kind: "function" }), "function")
    assert.strictEqual(typeOf({ kind: "score" }), "function")
    assert.strictEqual(typeOf({ kind: "task" }), "span")
    assert.strictEqual(typeOf({ kind: "eval" }), "span")
    assert.strictEqual(typeOf({ kind: "span" }), "span")
    assert.strictEqual(typeOf({ kind: "span", endTime: t0 }), "event")
    assert.strictEqual(typeOf({ kind: "task", metadata: { "basalt.logType": "event" } }), "event")
    assert.strictEqual(
      BasaltSpanSink.logType(span({ spanId: "x", name: "x", kind: "llm" }), "span"),
      "span"
    )
  })

  it.effect("a retried export does not send a trace twice", () =>
    Effect.gen(function*() {
      const { captured, layer } = sinkWith(traceOk)
      yield* Effect.flatMap(SpanSink, (sink) =>
        Effect.all([sink.export([retrieval, root]), sink.export([retrieval, root]), sink.export([root])])).pipe(
          Effect.provide(layer)
        )
      assert.strictEqual(traces(captured).length, 1)
    }))

  it.effect("a retryable failure keeps the trace and fails the export; the retry sends it once", () =>
    Effect.gen(function*() {
      const { captured, layer } = sinkWith((request, index) =>
        index === 0 ? json(503, { error: "busy" }) : traceOk(request, index)
      )
      const { error, stats } = yield* Effect.gen(function*() {
        const sink = yield* SpanSink
        const error = yield* Effect.flip(sink.export([retrieval, root]))
        yield* sink.export([retrieval, root])
        return { error, stats: yield* Effect.flatMap(BasaltSpanSink.BasaltSpanSink, (s) => s.stats) }
      }).pipe(Effect.provide(layer))
      assert.strictEqual(error._tag, "ProviderUnavailable")
      const sent = traces(captured)
      assert.strictEqual(sent.length, 2)
      assert.deepStrictEqual(sent[0], sent[1])
      assert.strictEqual(stats.sentTraces, 1)
      assert.strictEqual(stats.pendingSpans, 0)
    }))

  it.effect("a trace Basalt refuses for good is dropped and counted, not retried forever", () =>
    Effect.gen(function*() {
      const { captured, layer } = sinkWith(() => json(404, { error: "No feature with slug \"support-bot\" exists." }))
      const stats = yield* Effect.gen(function*() {
        const sink = yield* SpanSink
        yield* sink.export([retrieval, root])
        yield* sink.export([retrieval, root])
        return yield* Effect.flatMap(BasaltSpanSink.BasaltSpanSink, (s) => s.stats)
      }).pipe(Effect.provide(layer))
      assert.strictEqual(traces(captured).length, 1)
      assert.strictEqual(stats.droppedSpans, 2)
      assert.strictEqual(stats.pendingSpans, 0)
    }))

  it.effect("flushPending sends a trace whose root never came, marked partial", () =>
    Effect.gen(function*() {
      const { captured, layer } = sinkWith(traceOk)
      const stats = yield* Effect.gen(function*() {
        yield* Effect.flatMap(SpanSink, (sink) => sink.export([tool, llm]))
        const basalt = yield* BasaltSpanSink.BasaltSpanSink
        yield* basalt.flushPending
        return yield* basalt.stats
      }).pipe(Effect.provide(layer))
      const [sent] = traces(captured)
      assert.strictEqual(sent.name, "chat")
      assert.deepStrictEqual(sent.metadata, { model: "gpt-4o", "promptops.traceId": T, "promptops.partial": true })
      assert.deepStrictEqual(sent.logs.map((log: { id: string; parentId: string | null }) => [log.id, log.parentId]), [
        [S2, null],
        [S3, S2]
      ])
      assert.strictEqual(sent.logs[0].metadata["promptops.parentSpanId"], R)
      assert.strictEqual(stats.partialTraces, 1)
    }))

  it.effect("Tracing.flush alone sends a trace whose root never came (the sink's flush hook)", () =>
    Effect.gen(function*() {
      const { captured, layer } = sinkWith(traceOk)
      yield* Effect.gen(function*() {
        // A child span whose parent (the root) is not ours: its trace can never complete.
        yield* Effect.void.pipe(Trace.tool("lookup"), Effect.withParentSpan(Tracer.externalSpan({ spanId: R, traceId: T })))
        yield* Tracing.flush
        assert.strictEqual(traces(captured).length, 1)
      }).pipe(Effect.provide(Tracing.layer().pipe(Layer.provideMerge(layer))))
      assert.strictEqual(traces(captured)[0].metadata["promptops.partial"], true)
    }))

  it.effect("closing the layer's scope sends what still waits", () =>
    Effect.gen(function*() {
      const { captured, layer } = sinkWith(traceOk)
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(layer, scope)
      const sink = context.unsafeMap.get(SpanSink.key) as SpanSink.Service
      yield* sink.export([retrieval])
      assert.strictEqual(traces(captured).length, 0)
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(traces(captured).length, 1)
      assert.strictEqual(traces(captured)[0].logs[0].id, S1)
    }))

  it.effect("a span arriving after its trace was sent goes as a follow-up trace", () =>
    Effect.gen(function*() {
      const { captured, layer } = sinkWith(traceOk)
      yield* Effect.flatMap(SpanSink, (sink) => Effect.zipRight(sink.export([retrieval, root]), sink.export([tool]))).pipe(
        Effect.provide(layer)
      )
      const sent = traces(captured)
      assert.strictEqual(sent.length, 2)
      assert.strictEqual(sent[1].metadata["promptops.late"], true)
      assert.strictEqual(sent[1].metadata["promptops.traceId"], T)
      assert.deepStrictEqual(sent[1].logs.map((log: { id: string }) => log.id), [S3])
    }))

  it.effect("waiting traces are sent once too old, or when too many spans wait", () =>
    Effect.gen(function*() {
      const { captured, layer } = sinkWith(traceOk, { maxPendingAge: "1 minute", maxPendingSpans: 2 })
      yield* Effect.gen(function*() {
        const sink = yield* SpanSink
        yield* sink.export([tool])
        yield* TestClock.adjust("61 seconds")
        yield* sink.export([span({ traceId: "ffffffffffffffffffffffffffffffff", spanId: "c1", parentSpanId: "p", name: "other", kind: "span" })])
        assert.deepStrictEqual(traces(captured).map((trace) => trace.logs[0].id), [S3])
        yield* sink.export([
          span({ traceId: "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", spanId: "c2", parentSpanId: "p", name: "a", kind: "span" }),
          span({ traceId: "dddddddddddddddddddddddddddddddd", spanId: "c3", parentSpanId: "p", name: "b", kind: "span" })
        ])
        // Three spans waited, over the budget of two: the oldest trace went first.
        assert.deepStrictEqual(traces(captured).map((trace) => trace.logs[0].id), [S3, "c1"])
      }).pipe(Effect.provide(layer))
      // Closing the layer sent the rest.
      assert.deepStrictEqual(traces(captured).map((trace) => trace.logs[0].id), [S3, "c1", "c2", "c3"])
    }))

  it.effect("spans routed to an experiment are skipped by default, attached when asked", () =>
    Effect.gen(function*() {
      const experimentRoot = { ...root, destination: { _tag: "Experiment" as const, experimentId: "exp-1" } }
      const skipped = sinkWith(traceOk)
      const skippedStats = yield* Effect.gen(function*() {
        yield* Effect.flatMap(SpanSink, (sink) => sink.export([experimentRoot]))
        return yield* Effect.flatMap(BasaltSpanSink.BasaltSpanSink, (s) => s.stats)
      }).pipe(Effect.provide(skipped.layer))
      assert.strictEqual(traces(skipped.captured).length, 0)
      assert.strictEqual(skippedStats.skippedExperimentSpans, 1)
      const sent = sinkWith(traceOk, { experimentSpans: "send", evaluators: ["helpfulness"], sampleRate: 0.5 })
      yield* Effect.flatMap(SpanSink, (sink) => sink.export([experimentRoot])).pipe(Effect.provide(sent.layer))
      const [trace] = traces(sent.captured)
      assert.deepStrictEqual(trace.experiment, { id: "exp-1" })
      assert.deepStrictEqual(trace.evaluators, [{ slug: "helpfulness" }])
      assert.deepStrictEqual(trace.evaluationConfig, { sampleRate: 0.5 })
    }))

  it.effect("under Tracing: Effect spans arrive as one Basalt trace; BasaltSpanSink.flush sends it", () =>
    Effect.gen(function*() {
      const { captured, layer } = sinkWith(traceOk)
      const program = Effect.gen(function*() {
        yield* Trace.annotate({ input: "question", usage: { promptTokens: 2, completionTokens: 3 } })
        return "answer"
      }).pipe(
        Trace.llm("model call"),
        Effect.tap((answer) => Trace.annotate({ output: answer })),
        Trace.task("handle")
      )
      yield* Effect.gen(function*() {
        yield* program
        yield* BasaltSpanSink.flush
      }).pipe(Effect.provide(Tracing.layer().pipe(Layer.provideMerge(layer))))
      const sent = traces(captured)
      assert.strictEqual(sent.length, 1)
      assert.strictEqual(sent[0].name, "handle")
      assert.strictEqual(sent[0].output, "answer")
      const [handle, call] = sent[0].logs
      assert.deepStrictEqual([handle.name, handle.parentId, handle.type], ["handle", null, "span"])
      assert.deepStrictEqual([call.name, call.parentId, call.type], ["model call", handle.id, "generation"])
      assert.deepStrictEqual([call.inputTokens, call.outputTokens], [2, 3])
    }))
})
