import * as AnthropicLanguageModel from "@effect/ai-anthropic/AnthropicLanguageModel"
import * as OpenAiLanguageModel from "@effect/ai-openai/OpenAiLanguageModel"
import { assert, describe, it } from "@effect/vitest"
import type { ModelSpec } from "@promptops/core/Prompt"
import { Effect, Logger } from "effect"
import * as Anthropic from "../src/Anthropic.js"
import * as ModelOptions from "../src/ModelOptions.js"
import * as OpenAi from "../src/OpenAi.js"

const full: ModelSpec = {
  provider: "openai",
  name: "gpt-4o-mini",
  params: {
    temperature: 0.2,
    maxTokens: 256,
    topP: 0.9,
    frequencyPenalty: 0.5,
    presencePenalty: 0.1,
    stop: ["\n\n"],
    responseFormat: { type: "json_object" },
    tools: [{ type: "function" }],
    toolChoice: "auto",
    extra: { reasoning: { effort: "low" }, top_k: 40 }
  }
}

describe("ModelOptions.openAi", () => {
  it("maps to Responses API fields; extra rides through; stop and penalties are reported, not sent", () => {
    const { config, unmapped } = ModelOptions.openAi(full)
    assert.deepStrictEqual(config, {
      model: "gpt-4o-mini",
      temperature: 0.2,
      top_p: 0.9,
      max_output_tokens: 256,
      reasoning: { effort: "low" },
      top_k: 40
    })
    assert.deepStrictEqual(unmapped.map((u) => u.param), [
      "stop",
      "frequencyPenalty",
      "presencePenalty",
      "responseFormat",
      "tools",
      "toolChoice"
    ])
  })

  it("a spec with only a name gives only the model", () => {
    assert.deepStrictEqual(ModelOptions.openAi({ name: "gpt-4o", params: {} }), { config: { model: "gpt-4o" }, unmapped: [] })
  })
})

describe("ModelOptions.anthropic", () => {
  it("maps to Messages API fields; stop becomes stop_sequences; penalties reported", () => {
    const { config, unmapped } = ModelOptions.anthropic({ ...full, provider: "anthropic", name: "claude-sonnet-4-5" })
    assert.deepStrictEqual(config, {
      model: "claude-sonnet-4-5",
      max_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ["\n\n"],
      reasoning: { effort: "low" },
      top_k: 40
    })
    assert.deepStrictEqual(unmapped.map((u) => u.param), [
      "frequencyPenalty",
      "presencePenalty",
      "responseFormat",
      "tools",
      "toolChoice"
    ])
  })
})

/** Runs `effect` capturing the warnings logged. */
const withLogs = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const logs: Array<string> = []
    const logger = Logger.make(({ message }) => void logs.push(String(Array.isArray(message) ? message.join(" ") : message)))
    const value = yield* Effect.provide(effect, Logger.replace(Logger.defaultLogger, logger))
    return { value, logs }
  })

describe("provider bindings", () => {
  it.effect("OpenAi.binding applies the config with withConfigOverride and warns about what it cannot send", () =>
    Effect.gen(function*() {
      const { logs, value } = yield* withLogs(OpenAi.binding.apply(full)(OpenAiLanguageModel.Config.getOrUndefined))
      assert.strictEqual(value?.model, "gpt-4o-mini")
      assert.strictEqual(value?.temperature, 0.2)
      assert.strictEqual(value?.max_output_tokens, 256)
      assert.strictEqual(logs.length, 1)
      assert.include(logs[0]!, "stop (the OpenAI Responses API has no such parameter)")
      assert.include(logs[0]!, "frequencyPenalty")
      assert.strictEqual(OpenAi.binding.provider, "openai")
    }))

  it.effect("a spec for another provider keeps the app's model but applies the parameters", () =>
    Effect.gen(function*() {
      const spec: ModelSpec = { provider: "openai", name: "gpt-4o", params: { temperature: 0.7, maxTokens: 99 } }
      const { logs, value } = yield* withLogs(
        Anthropic.binding.apply(spec)(AnthropicLanguageModel.Config.getOrUndefined)
      )
      assert.isUndefined(value?.model)
      assert.strictEqual(value?.temperature, 0.7)
      assert.strictEqual(value?.max_tokens, 99)
      assert.include(logs[0]!, "model gpt-4o (the prompt names provider openai")
    }))

  it.effect("nothing to report logs nothing", () =>
    Effect.gen(function*() {
      const { logs, value } = yield* withLogs(
        Anthropic.binding.apply({ provider: "anthropic", name: "claude", params: { temperature: 0 } })(
          AnthropicLanguageModel.Config.getOrUndefined
        )
      )
      assert.strictEqual(value?.model, "claude")
      assert.deepStrictEqual(logs, [])
    }))
})
