/**
 * The user's traces hold what the app traced (DESIGN.md §5 "Trace"): requests
 * an adapter makes are never exported (and carry no trace headers), and
 * library operations appear only as children of a span the app opened.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema, TestClock } from "effect"
import * as Datasets from "../src/Datasets.js"
import * as Experiments from "../src/Experiments.js"
import * as Feedback from "../src/Feedback.js"
import * as PromptCache from "../src/PromptCache.js"
import * as PromptRegistry from "../src/PromptRegistry.js"
import * as Prompts from "../src/Prompts.js"
import * as ProviderHttp from "../src/ProviderHttp.js"
import * as Testing from "../src/Testing.js"
import * as Trace from "../src/Trace.js"
import * as Tracing from "../src/Tracing.js"
import * as TraceReader from "../src/TraceReader.js"

/** The promptops tracer over a recording sink (the one `Tracing` uses, whatever sink the backend also provides). */
const tracing = Tracing.layer().pipe(Layer.provideMerge(Testing.recordingSpanSink()))

/** The memory backend under the promptops tracer. */
const tracedMemory = () => Layer.merge(Testing.memoryWithFixtures(), tracing)

/** The memory backend behind the prompt cache, under the promptops tracer. */
const tracedCachedMemory = (options: PromptCache.PromptCache.Options = {}) =>
  Layer.merge(PromptCache.layer(options).pipe(Layer.provideMerge(Testing.memoryWithFixtures())), tracing)

/** Runs `program` under the tracer, flushes, and returns the exported records' trees and the recording. */
const exported = <A, E, R>(program: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const value = yield* program
    yield* Tracing.flush
    const recording = yield* Testing.RecordingSpanSink
    return { value, recording, tree: recording.tree() }
  })

// -----------------------------------------------------------------------------
// Adapter requests
// -----------------------------------------------------------------------------

describe("requests an adapter makes", () => {
  const vendor = () => {
    const seen: Array<HttpClientRequest.HttpClientRequest> = []
    const client = HttpClient.make((request) =>
      Effect.sync(() => {
        seen.push(request)
        return HttpClientResponse.fromWeb(
          request,
          new Response(JSON.stringify({ ok: true }), { status: 200, headers: { "content-type": "application/json" } })
        )
      })
    )
    return { seen, client }
  }

  it.scoped("are never exported as http.client spans and send no trace headers, with or without an app span", () =>
    Effect.gen(function*() {
      const { client, seen } = vendor()
      const http = yield* ProviderHttp.make({ provider: "test", apiUrl: "http://127.0.0.1:1" }).pipe(
        Effect.provideService(HttpClient.HttpClient, client)
      )
      const call = http.json("Test.call", HttpClientRequest.get("/v1/thing"), Schema.Struct({ ok: Schema.Boolean }))
      const { tree } = yield* exported(
        Effect.gen(function*() {
          yield* call
          yield* call.pipe(Effect.withSpan("handle"))
        })
      ).pipe(Effect.provide(tracedMemory()))

      assert.deepStrictEqual(tree, ["handle(span)"])
      assert.strictEqual(seen.length, 2)
      for (const request of seen) {
        const names = Object.keys(request.headers)
        assert.notInclude(names, "traceparent")
        assert.notInclude(names, "b3")
      }
    }))
})

// -----------------------------------------------------------------------------
// Library operations
// -----------------------------------------------------------------------------

describe("library operations", () => {
  it.effect("Prompts.get at top level exports nothing", () =>
    Effect.gen(function*() {
      const { tree, value } = yield* exported(Prompts.get("greeting", { tag: "production" }))
      assert.strictEqual(value.slug, "greeting")
      assert.deepStrictEqual(tree, [])
    }).pipe(Effect.provide(tracedMemory())))

  it.effect("Prompts.get in an app span is its child, with slug and version", () =>
    Effect.gen(function*() {
      const { recording, tree, value } = yield* exported(
        Prompts.get("greeting", { tag: "production" }).pipe(Effect.withSpan("handle"))
      )
      assert.deepStrictEqual(tree, ["handle(span)[Prompts.get(function)]"])
      const get = recording.single("Prompts.get")
      assert.strictEqual(get.metadata["promptops.prompt.slug"], "greeting")
      assert.strictEqual(get.metadata["promptops.prompt.requested_tag"], "production")
      assert.strictEqual(get.metadata["promptops.prompt.version"], value.version)
    }).pipe(Effect.provide(tracedMemory())))

  it.effect("with the prompt cache: nothing at top level; in an app span one Prompts.get child with its cache source", () =>
    Effect.gen(function*() {
      // A top-level get (a fresh fetch through the cache) exports nothing: no get, no backend request.
      const top = yield* exported(Prompts.get("greeting", { tag: "production" }))
      assert.deepStrictEqual(top.tree, [])
      yield* PromptCache.invalidate()

      const { recording, tree, value } = yield* exported(
        Effect.gen(function*() {
          yield* Prompts.get("greeting", { tag: "production" })
          return yield* Prompts.get("greeting", { tag: "production" })
        }).pipe(Effect.withSpan("handle"))
      )
      assert.deepStrictEqual(tree, ["handle(span)[Prompts.get(function), Prompts.get(function)]"])
      const gets = recording.named("Prompts.get")
      assert.deepStrictEqual(gets.map((get) => get.metadata["promptops.prompt.cache"]), ["fresh", "cached"])
      for (const get of gets) {
        assert.strictEqual(get.metadata["promptops.prompt.slug"], "greeting")
        assert.strictEqual(get.metadata["promptops.prompt.version"], value.version)
      }
      // The source is the get's, not the app's span's.
      assert.isUndefined(recording.single("handle").metadata["promptops.prompt.cache"])
    }).pipe(Effect.provide(tracedCachedMemory())))

  it.effect("a background refresh of the prompt cache is not exported, even when a get in an app span starts it", () =>
    Effect.gen(function*() {
      yield* Prompts.get("greeting")
      yield* TestClock.adjust("2 seconds")
      const { recording, tree, value: stats } = yield* exported(
        Effect.gen(function*() {
          yield* Prompts.get("greeting").pipe(Effect.withSpan("handle"))
          // Let the refresh the stale get started run to its end.
          for (let i = 0; i < 50; i++) yield* Effect.yieldNow()
          return yield* PromptCache.stats
        })
      )
      assert.deepStrictEqual(tree, ["handle(span)[Prompts.get(function)]"])
      assert.strictEqual(recording.single("Prompts.get").metadata["promptops.prompt.cache"], "stale")
      assert.strictEqual(stats.refreshes, 1)
      assert.strictEqual(stats.refreshFailures, 0)
    }).pipe(Effect.provide(tracedCachedMemory({ ttl: "1 second" }))))

  it.effect("registry, experiment bookkeeping, datasets, feedback and trace reads at top level export nothing", () =>
    Effect.gen(function*() {
      const bookkeeping = Effect.gen(function*() {
        const registry = yield* PromptRegistry.PromptRegistry
        yield* registry.push({ slug: "new-one", templateFormat: "mustache", messages: [{ role: "user", content: "hi" }] })
        const experiments = yield* Experiments.Experiments
        const experiment = yield* experiments.create({ name: "nightly" })
        yield* experiments.summarize(experiment.id)
        yield* (yield* Datasets.Datasets).insert("extra", [{ input: { a: 1 } }])
        yield* Feedback.log([{ targetId: "some-span", scores: { helpful: 1 } }])
        yield* (yield* TraceReader.TraceReader).read({ limit: 10 })
      })
      const top = yield* exported(bookkeeping)
      assert.deepStrictEqual(top.tree, [])

      // The same calls inside an app span are its children.
      const inside = yield* exported(bookkeeping.pipe(Effect.withSpan("job")))
      assert.deepStrictEqual(inside.tree, [
        "job(span)[PromptRegistry.push(function), Experiments.create(function), Experiments.summarize(function), " +
        "Datasets.insert(function), Feedback.log(function), promptops.TraceReader.read(function)]"
      ])
    }).pipe(Effect.provide(tracedMemory())))

  it.effect("Trace.librarySpan: a child inside a span, no span outside", () =>
    Effect.gen(function*() {
      const op = Effect.succeed(1).pipe(Trace.librarySpan("Lib.op", { attributes: { "lib.key": "v" } }))
      const { recording, tree } = yield* exported(Effect.zipRight(op, op.pipe(Effect.withSpan("app"))))
      assert.deepStrictEqual(tree, ["app(span)[Lib.op(function)]"])
      assert.strictEqual(recording.single("Lib.op").metadata["lib.key"], "v")
    }).pipe(Effect.provide(tracedMemory())))
})
