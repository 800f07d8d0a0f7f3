import * as LanguageModel from "@effect/ai/LanguageModel"
import type * as Response from "@effect/ai/Response"
import * as Telemetry from "@effect/ai/Telemetry"
import * as Tool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import * as OpenAiLanguageModel from "@effect/ai-openai/OpenAiLanguageModel"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Layer, Schema, Stream } from "effect"
import * as ManagedPrompt from "../src/ManagedPrompt.js"
import * as ModelOptions from "../src/ModelOptions.js"
import * as OpenAi from "../src/OpenAi.js"
import { allKeys, mockModel, records, tracedEnv, USAGE } from "./AiTracingHarness.js"

describe("ManagedPrompt", () => {
  it.scoped("generateText: one llm span named after the prompt, with input, output, tokens, model, slug and version", () =>
    Effect.gen(function*() {
      const model = mockModel({ text: "Use the reset link." })
      const response = yield* ManagedPrompt.generateText({
        slug: "support-answer",
        variables: { language: "English", question: "How do I reset my password?" },
        // @effect/ai writes both onto its span: internals the record must not hold.
        toolChoice: "none",
        concurrency: 2
      }).pipe(Effect.withSpan("handler"), Effect.provide(model.layer))
      assert.strictEqual(response.text, "Use the reset link.")

      // The model got the rendered prompt; developer became system.
      const sent = model.calls.requests[0]!.prompt.content
      assert.deepStrictEqual(sent.map((m) => m.role), ["system", "user"])

      const all = yield* records
      const llm = all.filter((r) => r.kind === "llm")
      assert.strictEqual(llm.length, 1)
      const record = llm[0]!
      assert.strictEqual(record.name, "support-answer")
      assert.strictEqual(record.metadata["gen_ai.prompt.name"], "support-answer")
      assert.strictEqual(record.metadata["gen_ai.prompt.version"], "1")
      assert.strictEqual(record.metadata["gen_ai.operation.name"], "chat")
      assert.strictEqual(record.metadata["gen_ai.provider.name"], "mockai")
      assert.strictEqual(record.metadata.model, "mock-1")
      assert.deepStrictEqual(record.input, [
        { role: "system", content: "Answer in English." },
        { role: "user", content: "Question: How do I reset my password?" }
      ])
      assert.deepStrictEqual(record.output, [{ role: "assistant", content: "Use the reset link." }])
      assert.deepStrictEqual(record.metrics, {
        promptTokens: USAGE.inputTokens,
        completionTokens: USAGE.outputTokens,
        totalTokens: USAGE.totalTokens
      })
      const keys = allKeys(JSON.parse(JSON.stringify(all)))
      for (const key of keys) assert.notInclude(key, "~effect/ai")
      assert.isFalse(keys.has("concurrency"))
      assert.isFalse(keys.has("toolChoice"))
      assert.isFalse(keys.has("gen_ai.system"))
      assert.isFalse(keys.has("options"))
      // The parent span the app opened holds the llm span; no second llm span.
      const handler = all.find((r) => r.name === "handler")!
      assert.strictEqual(record.parentSpanId, handler.spanId)
    }).pipe(Effect.provide(tracedEnv())))

  it.scoped("generateObject decodes the structured output with the Schema and links the span", () =>
    Effect.gen(function*() {
      const model = mockModel({ json: { answer: "reset", confidence: 0.9 } })
      const response = yield* ManagedPrompt.generateObject({
        slug: "support-answer",
        variables: { language: "English", question: "Reset?" },
        schema: Schema.Struct({ answer: Schema.String, confidence: Schema.Number })
      }).pipe(Effect.provide(model.layer))
      assert.deepStrictEqual(response.value, { answer: "reset", confidence: 0.9 })
      assert.strictEqual(model.calls.requests[0]!.responseFormat.type, "json")
      const llm = (yield* records).filter((r) => r.kind === "llm")
      assert.strictEqual(llm.length, 1)
      assert.strictEqual(llm[0]!.metadata["gen_ai.prompt.name"], "support-answer")
      assert.deepStrictEqual(llm[0]!.output, [{ role: "assistant", content: "{\"answer\":\"reset\",\"confidence\":0.9}" }])
    }).pipe(Effect.provide(tracedEnv())))

  it.effect("strict rendering: a missing variable fails with TemplateError and the model is not called", () =>
    Effect.gen(function*() {
      const model = mockModel()
      const exit = yield* ManagedPrompt.generateText({ slug: "support-answer", variables: { language: "English" } }).pipe(
        Effect.provide(model.layer),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        assert.strictEqual((error as { _tag?: string })?._tag, "TemplateError")
        assert.include(String((error as Error).message), "question")
      }
      assert.strictEqual(model.calls.requests.length, 0)
    }).pipe(Effect.provide(tracedEnv())))

  it.effect("an unknown slug fails with NotFound", () =>
    Effect.gen(function*() {
      const error = yield* ManagedPrompt.generateText({ slug: "nope" }).pipe(
        Effect.provide(mockModel().layer),
        Effect.flip
      )
      assert.strictEqual(error._tag, "NotFound")
    }).pipe(Effect.provide(tracedEnv())))

  it.effect("a ModelBinding, when provided, gets the prompt's model spec", () =>
    Effect.gen(function*() {
      const applied: Array<unknown> = []
      const binding = Layer.succeed(ModelOptions.ModelBinding, {
        provider: "test",
        apply: (spec) => (self) => Effect.zipRight(Effect.sync(() => applied.push(spec)), self)
      })
      yield* ManagedPrompt.generateText({
        slug: "support-answer",
        variables: { language: "English", question: "?" }
      }).pipe(Effect.provide(Layer.merge(mockModel().layer, binding)))
      assert.deepStrictEqual(applied, [
        { provider: "openai", name: "gpt-4o-mini", params: { temperature: 0.3, maxTokens: 128 } }
      ])
      const llm = (yield* records).filter((r) => r.kind === "llm")
      // The provider's own name wins over the binding's.
      assert.strictEqual(llm[0]!.metadata["gen_ai.provider.name"], "mockai")
    }).pipe(Effect.provide(tracedEnv())))

  it.scoped("streamText: the binding's config reaches the stream; one linked llm span with the streamed output", () =>
    Effect.gen(function*() {
      const configs: Array<OpenAiLanguageModel.Config.Service | undefined> = []
      const model = Layer.effect(
        LanguageModel.LanguageModel,
        LanguageModel.make({
          generateText: () => Effect.succeed([]),
          streamText: () =>
            Stream.unwrap(Effect.map(OpenAiLanguageModel.Config.getOrUndefined, (config) => {
              configs.push(config)
              return Stream.fromIterable<Response.StreamPartEncoded>([
                { type: "text-start", id: "t" },
                { type: "text-delta", id: "t", delta: "Use the " },
                { type: "text-delta", id: "t", delta: "reset link." },
                { type: "text-end", id: "t" },
                { type: "finish", reason: "stop", usage: USAGE }
              ])
            }))
        })
      )
      const parts = yield* ManagedPrompt.streamText({
        slug: "support-answer",
        variables: { language: "English", question: "?" }
      }).pipe(Stream.runCollect, Effect.provide(Layer.merge(model, OpenAi.layer)))
      assert.isTrue(Chunk.size(parts) > 0)
      assert.strictEqual(configs[0]?.model, "gpt-4o-mini")
      assert.strictEqual(configs[0]?.temperature, 0.3)
      const llm = (yield* records).filter((r) => r.kind === "llm")
      assert.strictEqual(llm.length, 1)
      assert.strictEqual(llm[0]!.name, "support-answer")
      assert.strictEqual(llm[0]!.metadata["gen_ai.provider.name"], "openai")
      assert.deepStrictEqual(llm[0]!.output, [{ role: "assistant", content: "Use the reset link." }])
      assert.strictEqual(llm[0]!.metrics.totalTokens, USAGE.totalTokens)
    }).pipe(Effect.provide(tracedEnv())))

  it.scoped("tool calls: the toolkit resolves them and the span's output holds the call and its result", () =>
    Effect.gen(function*() {
      const GetWeather = Tool.make("GetWeather", {
        parameters: { city: Schema.String },
        success: Schema.String
      })
      const Weather = Toolkit.make(GetWeather)
      const handlers = Weather.toLayer({ GetWeather: ({ city }) => Effect.succeed(`sunny in ${city}`) })
      const model = Layer.effect(
        LanguageModel.LanguageModel,
        LanguageModel.make({
          generateText: (request) =>
            Effect.succeed<Array<Response.PartEncoded>>([
              { type: "tool-call", id: "call_1", name: "GetWeather", params: { city: "Paris" } },
              { type: "finish", reason: "tool-calls", usage: USAGE }
            ]).pipe(Effect.tap(() => assert.deepStrictEqual(request.tools.map((t) => t.name), ["GetWeather"]))),
          streamText: () => Stream.empty
        })
      )
      const response = yield* ManagedPrompt.generateText({
        slug: "support-answer",
        variables: { language: "English", question: "Weather?" },
        toolkit: Weather
      }).pipe(Effect.provide(Layer.mergeAll(model, handlers)))
      assert.deepStrictEqual(response.toolResults.map((r) => r.result), ["sunny in Paris"])
      const llm = (yield* records).filter((r) => r.kind === "llm")
      assert.strictEqual(llm.length, 1)
      assert.deepStrictEqual(llm[0]!.output, [
        { role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "GetWeather", arguments: "{\"city\":\"Paris\"}" }] },
        { role: "tool", content: "sunny in Paris", toolCallId: "call_1" }
      ])
    }).pipe(Effect.provide(tracedEnv())))

  it.scoped("link: an app's own LanguageModel call inside is linked, and the app's transformer still runs", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const own: Telemetry.SpanTransformer = (request) => void seen.push(request.span.name)
      yield* LanguageModel.generateText({ prompt: "hi" }).pipe(
        ManagedPrompt.link({ slug: "support-answer", version: "7", model: undefined }),
        Effect.provideService(Telemetry.CurrentSpanTransformer, own),
        Effect.provide(mockModel().layer)
      )
      assert.deepStrictEqual(seen, ["LanguageModel.generateText"])
      const llm = (yield* records).filter((r) => r.kind === "llm")
      assert.strictEqual(llm.length, 1)
      assert.strictEqual(llm[0]!.name, "support-answer")
      assert.strictEqual(llm[0]!.metadata["gen_ai.prompt.version"], "7")
      assert.deepStrictEqual(llm[0]!.input, [{ role: "user", content: "hi" }])
    }).pipe(Effect.provide(tracedEnv())))
})
