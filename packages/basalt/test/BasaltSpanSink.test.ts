import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { SpanSink } from "@promptops/core/SpanSink"
import * as Trace from "@promptops/core/Trace"
import * as Tracing from "@promptops/core/Tracing"
import { Deferred, Effect, Exit, Fiber, Layer, Queue, Scope, TestClock, Tracer } from "effect"
import * as BasaltClient from "../src/BasaltClient.js"
import * as BasaltSpanSink from "../src/BasaltSpanSink.js"
import { type Captured, clientLayer, clientOptions, fakeBasalt, type Handler } from "./fakeBasalt.js"

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

/** The ids of a trace payload's logs, sorted. */
const logIds = (trace: { readonly logs: ReadonlyArray<{ readonly id: string }> }) => trace.logs.map((log) => log.id).sort()

/** A trace request the fake holds until the test releases it. */
interface Held {
  /** Its logs' ids, sorted. */
  readonly logIds: ReadonlyArray<string>
  readonly release: Effect.Effect<void>
}

/**
 * A sink over the fake whose trace requests wait, each until the test releases
 * it (no clock involved), so exports can be made to overlap exactly.
 */
const heldSink = (handler: Handler, options: BasaltSpanSink.Options = {}) =>
  Effect.gen(function*() {
    const held = yield* Queue.unbounded<Held>()
    let holding = true
    const fake = fakeBasalt(handler)
    const gated = Layer.effect(
      HttpClient.HttpClient,
      Effect.map(HttpClient.HttpClient, (client) =>
        HttpClient.mapRequestEffect(client, (request) =>
          Effect.gen(function*() {
            if (!holding || !request.url.endsWith("/monitor/trace") || request.body._tag !== "Uint8Array") {
              return request
            }
            const trace = JSON.parse(new TextDecoder().decode(request.body.body))
            const gate = yield* Deferred.make<void>()
            yield* Queue.offer(held, { logIds: logIds(trace), release: Deferred.succeed(gate, undefined) })
            yield* Deferred.await(gate)
            return request
          })))
    ).pipe(Layer.provide(fake.layer))
    const client = BasaltClient.layer(clientOptions).pipe(Layer.provide(gated))
    return {
      captured: fake.captured,
      /** The next trace request, once it has been made. */
      nextHeld: Queue.take(held),
      /** Lets every later request through. */
      stopHolding: Effect.sync(() => {
        holding = false
      }),
      layer: BasaltSpanSink.layer(options).pipe(Layer.provide(client))
    }
  })

/** The trace payloads Basalt accepted (answered 200). */
const delivered = (captured: ReadonlyArray<Captured>, accepted: ReadonlySet<number>) =>
  captured.flatMap((request, index) => (accepted.has(index) ? [request.json as any] : []))

const traceIdOf = (request: Captured): string | undefined =>
  (request.json as { metadata?: Record<string, unknown> } | undefined)?.metadata?.["promptops.traceId"] as
    | string
    | undefined

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

  for (const answeredFirst of ["the in-flight trace", "the other export's trace"] as const) {
    it.effect(
      `overlapping exports never send a trace's spans twice; spans that join a trace in flight follow late (${answeredFirst} answered first)`,
      () =>
        Effect.gen(function*() {
          const A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          const B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
          const aRoot = span({ traceId: A, spanId: "a0", name: "a", kind: "task" })
          const aChild = span({ traceId: A, spanId: "a1", parentSpanId: "a0", name: "a child", kind: "span" })
          const aLate = span({ traceId: A, spanId: "a2", parentSpanId: "a0", name: "a late", kind: "span" })
          const bRoot = span({ traceId: B, spanId: "b0", name: "b", kind: "task" })
          // One trace at a time, so the first export's list of due traces is stale by the time it reaches B.
          const { captured, layer, nextHeld, stopHolding } = yield* heldSink(traceOk, { concurrency: 1 })
          const { afterExports, afterFlush } = yield* Effect.gen(function*() {
            const sink = yield* SpanSink
            const basalt = yield* BasaltSpanSink.BasaltSpanSink
            // X finds A and B due, and sends A first.
            const x = yield* Effect.fork(sink.export([aChild, aRoot, bRoot]))
            const sendingA = yield* nextHeld
            assert.deepStrictEqual(sendingA.logIds, ["a0", "a1"])
            // Y: a late span joins A while A is in flight; A is left to X, so Y sends B.
            const y = yield* Effect.fork(sink.export([aLate]))
            const sendingB = yield* nextHeld
            assert.deepStrictEqual(sendingB.logIds, ["b0"])
            yield* stopHolding
            if (answeredFirst === "the in-flight trace") {
              // X goes on to B while Y's send of B is still in flight.
              yield* sendingA.release
              yield* Fiber.join(x)
              yield* sendingB.release
              yield* Fiber.join(y)
            } else {
              // X goes on to B after Y has sent it.
              yield* sendingB.release
              yield* Fiber.join(y)
              yield* sendingA.release
              yield* Fiber.join(x)
            }
            const afterExports = yield* basalt.stats
            yield* basalt.flushPending
            return { afterExports, afterFlush: yield* basalt.stats }
          }).pipe(Effect.provide(layer))
          // The late span waited for the next send, not counted as sent with A.
          assert.strictEqual(afterExports.pendingSpans, 1)
          const sent = traces(captured)
          // In the order Basalt answered: A and B once each, then the late span.
          assert.deepStrictEqual(
            sent.map(logIds),
            answeredFirst === "the in-flight trace" ? [["a0", "a1"], ["b0"], ["a2"]] : [["b0"], ["a0", "a1"], ["a2"]]
          )
          assert.deepStrictEqual(sent.flatMap(logIds).sort(), ["a0", "a1", "a2", "b0"])
          assert.strictEqual(sent[2].metadata["promptops.late"], true)
          assert.strictEqual(sent[2].metadata["promptops.traceId"], A)
          assert.deepStrictEqual(
            [afterFlush.sentTraces, afterFlush.sentSpans, afterFlush.pendingSpans, afterFlush.droppedSpans],
            [3, 4, 0, 0]
          )
        })
    )
  }

  it.effect("a trace answered 413 is sent in halves down to single spans, every span once", () =>
    Effect.gen(function*() {
      const accepted = new Set<number>()
      const { captured, layer } = sinkWith((request, index) => {
        if ((request.json as { logs: ReadonlyArray<unknown> }).logs.length > 1) {
          return json(413, { error: "Payload too large" })
        }
        accepted.add(index)
        return traceOk(request, index)
      })
      const stats = yield* Effect.gen(function*() {
        yield* Effect.flatMap(SpanSink, (sink) => sink.export([retrieval, tool, llm, root]))
        return yield* Effect.flatMap(BasaltSpanSink.BasaltSpanSink, (s) => s.stats)
      }).pipe(Effect.provide(layer))
      // 4 is refused, then each half of 2, then the single spans go.
      assert.deepStrictEqual(traces(captured).map((trace) => trace.logs.length), [4, 2, 1, 1, 2, 1, 1])
      const pieces = delivered(captured, accepted)
      assert.deepStrictEqual(pieces.flatMap(logIds).sort(), [R, S1, S2, S3].sort())
      for (const piece of pieces) assert.strictEqual(piece.metadata["promptops.traceId"], T)
      // The first piece opens the trace; the others follow it.
      assert.deepStrictEqual(pieces.map((piece) => piece.metadata["promptops.late"] === true), [false, true, true, true])
      assert.deepStrictEqual(
        [stats.sentTraces, stats.sentSpans, stats.droppedSpans, stats.pendingSpans],
        [4, 4, 0, 0]
      )
    }))

  it.effect("a failed export hands its unsent spans back, and fails for its own traces only", () =>
    Effect.gen(function*() {
      const A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      const B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
      const down = new Set<string>([T])
      const { captured, layer } = sinkWith((request, index) =>
        down.has(traceIdOf(request) ?? "") ? json(503, { error: "busy" }) : traceOk(request, index)
      )
      yield* Effect.gen(function*() {
        const sink = yield* SpanSink
        const basalt = yield* BasaltSpanSink.BasaltSpanSink
        // Its own trace fails: the export fails and keeps nothing, the pipeline
        // alone now retries those spans or counts them lost.
        const error = yield* Effect.flip(sink.export([retrieval, root]))
        assert.strictEqual(error._tag, "ProviderUnavailable")
        assert.deepStrictEqual([(yield* basalt.stats).pendingSpans, (yield* basalt.stats).pendingTraces], [0, 0])

        // A waits for its root (its export succeeded: the sink owns it), then
        // is sent by the export of B once too old, and fails: B's export still
        // succeeds, and A stays here.
        down.add(A)
        yield* sink.export([span({ traceId: A, spanId: "a1", parentSpanId: "a0", name: "a child", kind: "span" })])
        yield* TestClock.adjust("61 seconds")
        yield* sink.export([span({ traceId: B, spanId: "b0", name: "b", kind: "task" })])
        const stats = yield* basalt.stats
        assert.deepStrictEqual([stats.pendingSpans, stats.sentSpans, stats.droppedSpans], [1, 1, 0])
        assert.deepStrictEqual(traces(captured).map((trace) => trace.metadata["promptops.traceId"]), [T, A, B])
        // What the sink holds is what it reports at shutdown.
        down.delete(A)
        down.delete(T)
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(traces(captured).map((trace) => trace.metadata["promptops.traceId"]), [T, A, B, A])
    }))

  it.scoped("under Tracing with the vendor down for good, dropped spans equal exactly the missing ones", () =>
    Effect.gen(function*() {
      let down = false
      const accepted = new Set<number>()
      const { captured, layer } = clientLayer((request, index) => {
        if (down) return json(503, { error: "busy" })
        accepted.add(index)
        return traceOk(request, index)
      })
      const basalt = yield* BasaltSpanSink.make().pipe(Effect.provide(layer))
      const tracing = yield* Tracing.make({ retry: { maxRetries: 2, jitter: false } }).pipe(
        Effect.provideService(SpanSink, basalt.sink)
      )
      const traced = Effect.void.pipe(
        Effect.withSpan("retrieval"),
        Effect.zipRight(Effect.void.pipe(Effect.withSpan("llm"))),
        Effect.withSpan("handle"),
        Effect.withTracer(tracing.tracer)
      )
      yield* traced
      yield* tracing.flush
      down = true
      yield* traced
      const flushing = yield* Effect.fork(tracing.flush)
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(flushing)

      const stats = yield* tracing.stats
      const sink = yield* basalt.stats
      const stored = delivered(captured, accepted).flatMap(logIds)
      assert.strictEqual(stats.enqueued, 6)
      assert.strictEqual(stored.length, 3)
      const missing = stats.enqueued - stored.length
      // The pipeline counts the failed batch once; the sink keeps none of it.
      assert.strictEqual(stats.dropped.exportFailed, 3)
      assert.strictEqual(sink.pendingSpans, 0)
      const droppedByPipeline = Object.values(stats.dropped).reduce((sum, n) => sum + n, 0)
      assert.strictEqual(droppedByPipeline + sink.droppedSpans + sink.pendingSpans, missing)
    }))

  it.effect("a retryable failure hands the trace back to the pipeline and fails the export; the retry sends it once", () =>
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
