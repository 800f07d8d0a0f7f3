import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Option, type Tracer } from "effect"
import * as Attr from "../src/internal/attributes.js"
import * as Trace from "../src/Trace.js"

// These helpers only write span attributes, so Effect's own tracer is enough to test them.
const inSpan = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.currentSpan, (span) => Effect.map(effect, () => span))

describe("Trace", () => {
  it.effect("llm / task / tool / retrieval / span(kind) set promptops.kind, data-last and data-first", () =>
    Effect.gen(function*() {
      const body = Effect.flatMap(Effect.currentSpan, (span) => Effect.succeed(span))
      const llm = yield* body.pipe(Trace.llm("call model"))
      const task = yield* Trace.task(body, "task", { attributes: { "app.user": "u1" } })
      const tool = yield* body.pipe(Trace.tool("search"))
      const retrieval = yield* Trace.retrieval(body, "lookup")
      const score = yield* body.pipe(Trace.span("score")("exact match"))
      assert.deepStrictEqual(
        [llm, task, tool, retrieval, score].map((s) => [s.name, s.attributes.get(Attr.KIND)]),
        [["call model", "llm"], ["task", "task"], ["search", "tool"], ["lookup", "retrieval"], [
          "exact match",
          "score"
        ]]
      )
      // The caller's own attributes are kept.
      assert.strictEqual(task.attributes.get("app.user"), "u1")
    }))

  it.effect("spans point their captured call site at the caller, not at this module", () =>
    Effect.gen(function*() {
      let span: Tracer.Span | undefined
      const exit = yield* Effect.exit(
        Effect.flatMap(Effect.currentSpan, (s) => {
          span = s
          return Effect.fail("boom")
        }).pipe(Trace.llm("fails"))
      )
      assert.isTrue(Exit.isFailure(exit))
      const site = String(span?.attributes.get("code.stacktrace"))
      assert.include(site, "Trace.test.ts")
    }))

  it.effect("annotate writes the promptops attributes; usage becomes metrics with a derived total", () =>
    Effect.gen(function*() {
      const span = yield* inSpan(Trace.annotate({
        input: { q: 1 },
        output: "out",
        expected: "exp",
        metadata: { a: 1 },
        scores: { s: 0.5 },
        tags: ["t"],
        usage: { promptTokens: 3, completionTokens: 4 },
        metrics: { latencyMs: 9 }
      })).pipe(Effect.withSpan("s"))
      assert.deepStrictEqual(span.attributes.get(Attr.INPUT), { q: 1 })
      assert.strictEqual(span.attributes.get(Attr.OUTPUT), "out")
      assert.strictEqual(span.attributes.get(Attr.EXPECTED), "exp")
      assert.deepStrictEqual(span.attributes.get(Attr.METADATA), { a: 1 })
      assert.deepStrictEqual(span.attributes.get(Attr.SCORES), { s: 0.5 })
      assert.deepStrictEqual(span.attributes.get(Attr.TAGS), ["t"])
      assert.deepStrictEqual(span.attributes.get(Attr.METRICS), {
        promptTokens: 3,
        completionTokens: 4,
        totalTokens: 7,
        latencyMs: 9
      })
      // Fields left out are not written at all.
      const bare = yield* inSpan(Trace.annotate({ output: 1 })).pipe(Effect.withSpan("bare"))
      assert.deepStrictEqual([...bare.attributes.keys()], [Attr.OUTPUT])
    }))

  it.effect("kind sets the kind of the current span", () =>
    Effect.gen(function*() {
      const span = yield* inSpan(Trace.kind("eval")).pipe(Effect.withSpan("s"))
      assert.strictEqual(span.attributes.get(Attr.KIND), "eval")
    }))

  it.effect("currentSpanId / currentTraceId read the current span and fail outside one", () =>
    Effect.gen(function*() {
      const [spanId, traceId, span] = yield* Effect.all([Trace.currentSpanId, Trace.currentTraceId, Effect.currentSpan])
        .pipe(Effect.withSpan("s"))
      assert.strictEqual(spanId, span.spanId)
      assert.strictEqual(traceId, span.traceId)
      const outside = yield* Effect.option(Trace.currentSpanId)
      assert.isTrue(Option.isNone(outside))
    }))

  it.effect("annotate outside a span does nothing and does not fail", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Trace.annotate({ input: 1 }))
      assert.isTrue(Exit.isSuccess(exit))
    }))
})
