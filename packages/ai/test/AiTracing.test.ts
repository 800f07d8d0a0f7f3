import * as LanguageModel from "@effect/ai/LanguageModel"
import * as Telemetry from "@effect/ai/Telemetry"
import { assert, describe, it } from "@effect/vitest"
import * as Eval from "@promptops/core/Eval"
import * as Memory from "@promptops/core/Memory"
import { Effect, Layer, Stream } from "effect"
import * as AiTracing from "../src/AiTracing.js"
import { allKeys, mockModel, records, tracedEnv, USAGE } from "./AiTracingHarness.js"

describe("AiTracing", () => {
  it.scoped("records @effect/ai's own span as an llm span: input, output, usage, provider, no internals", () =>
    Effect.gen(function*() {
      yield* LanguageModel.generateText({
        prompt: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }],
        toolChoice: "auto",
        concurrency: 3
      }).pipe(Effect.provide(mockModel({ text: "Hello!" }).layer), Effect.provide(AiTracing.layer))
      const all = yield* records
      assert.strictEqual(all.length, 1)
      const record = all[0]!
      assert.strictEqual(record.kind, "llm")
      // Without a linked prompt the span keeps @effect/ai's name.
      assert.strictEqual(record.name, "LanguageModel.generateText")
      assert.deepStrictEqual(record.input, [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }])
      assert.deepStrictEqual(record.output, [{ role: "assistant", content: "Hello!" }])
      assert.deepStrictEqual(record.metrics, { promptTokens: 12, completionTokens: 5, totalTokens: 17 })
      assert.strictEqual(record.metadata["gen_ai.provider.name"], "mockai")
      assert.strictEqual(record.metadata["gen_ai.operation.name"], "chat")
      assert.strictEqual(record.metadata.model, "mock-1")
      assert.isUndefined(record.metadata["gen_ai.prompt.name"])
      const keys = allKeys(JSON.parse(JSON.stringify(record)))
      for (const key of ["concurrency", "toolChoice", "gen_ai.system", "options", "promptops.omit"]) {
        assert.isFalse(keys.has(key), key)
      }
      for (const key of keys) assert.notInclude(key, "~effect/ai")
    }).pipe(Effect.provide(tracedEnv())))

  it.scoped("streamText: the output is the streamed text, recorded when the stream ends", () =>
    Effect.gen(function*() {
      const model = mockModel({ text: "streamed" })
      yield* LanguageModel.streamText({ prompt: "Hi" }).pipe(
        Stream.runDrain,
        Effect.provide(model.layer),
        Effect.provide(AiTracing.layer)
      )
      const record = (yield* records).find((r) => r.kind === "llm")!
      assert.strictEqual(record.name, "LanguageModel.streamText")
      assert.deepStrictEqual(record.output, [{ role: "assistant", content: "streamed" }])
      assert.strictEqual(record.metrics.totalTokens, USAGE.totalTokens)
    }).pipe(Effect.provide(tracedEnv())))

  it.effect("an eval case's usage sums the tokens of the LanguageModel calls in its task", () =>
    Effect.gen(function*() {
      const run = yield* Eval.run({
        name: "ai-usage",
        data: [{ id: "one", input: "Hi" }],
        task: (input: string) =>
          Effect.gen(function*() {
            const first = yield* LanguageModel.generateText({ prompt: input })
            yield* LanguageModel.generateText({ prompt: input })
            return first.text
          }),
        scorers: [Eval.scorer("any", () => 1)]
      }).pipe(Effect.provide(Layer.mergeAll(mockModel().layer, AiTracing.layer, Memory.layer())))
      assert.deepStrictEqual(run.results![0]!.usage, {
        promptTokens: 2 * USAGE.inputTokens,
        completionTokens: 2 * USAGE.outputTokens,
        totalTokens: 2 * USAGE.totalTokens
      })
    }))

  it.effect("make: a provider and model for a LanguageModel that writes none", () =>
    Effect.gen(function*() {
      const transformer = AiTracing.make({ provider: "stand-in", model: "stand-in-1" })
      const attributes = new Map<string, unknown>()
      const span = {
        attributes,
        attribute: (key: string, value: unknown) => void attributes.set(key, value)
      } as unknown as Parameters<Telemetry.SpanTransformer>[0]["span"]
      const LanguageModelPrompt = yield* Effect.promise(() => import("@effect/ai/Prompt"))
      transformer({
        prompt: LanguageModelPrompt.make("Hi"),
        tools: [],
        toolChoice: "none",
        responseFormat: { type: "text" },
        span,
        response: []
      })
      assert.strictEqual(attributes.get("gen_ai.provider.name"), "stand-in")
      assert.strictEqual(attributes.get("gen_ai.request.model"), "stand-in-1")
      assert.strictEqual(attributes.get("promptops.kind"), "llm")
      assert.deepStrictEqual(attributes.get("promptops.output"), [{ role: "assistant", content: "" }])
    }))
})
