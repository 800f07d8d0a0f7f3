/**
 * The bridge through the real provider packages, against loopback emulators
 * of the OpenAI and Anthropic HTTP APIs that check every request against the
 * provider's documented format.
 */
import * as AnthropicClient from "@effect/ai-anthropic/AnthropicClient"
import * as AnthropicLanguageModel from "@effect/ai-anthropic/AnthropicLanguageModel"
import * as OpenAiClient from "@effect/ai-openai/OpenAiClient"
import * as OpenAiLanguageModel from "@effect/ai-openai/OpenAiLanguageModel"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as AnthropicEmulator from "@promptops/emulators/AnthropicEmulator"
import * as OpenAiEmulator from "@promptops/emulators/OpenAiEmulator"
import type { PromptDraft } from "@promptops/core/Prompt"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { Effect, Layer, Redacted } from "effect"
import * as Anthropic from "../src/Anthropic.js"
import * as ManagedPrompt from "../src/ManagedPrompt.js"
import * as OpenAi from "../src/OpenAi.js"
import { allKeys, records, tracedEnv } from "./AiTracingHarness.js"

const draft = (provider: string, model: string): PromptDraft => ({
  slug: "capital",
  tag: "production",
  templateFormat: "mustache",
  messages: [
    { role: "developer", content: "Answer with the city only." },
    { role: "user", content: "Capital of {{country}}?" }
  ],
  model: { provider, name: model, params: { temperature: 0.3, maxTokens: 64, stop: ["\n"] } }
})

const assertLinkedLlmSpan = (all: ReadonlyArray<SpanRecord>, provider: string, model: string) => {
  const llm = all.filter((r) => r.kind === "llm")
  assert.strictEqual(llm.length, 1)
  const record = llm[0]!
  assert.strictEqual(record.name, "capital")
  assert.strictEqual(record.metadata["gen_ai.prompt.name"], "capital")
  assert.strictEqual(record.metadata["gen_ai.prompt.version"], "1")
  assert.strictEqual(record.metadata["gen_ai.provider.name"], provider)
  assert.strictEqual(record.metadata.model, model)
  assert.deepStrictEqual(record.input, [
    { role: "system", content: "Answer with the city only." },
    { role: "user", content: "Capital of France?" }
  ])
  assert.deepStrictEqual(record.output, [{ role: "assistant", content: "Paris" }])
  assert.deepStrictEqual(record.metrics, { promptTokens: 17, completionTokens: 1, totalTokens: 18 })
  const keys = allKeys(JSON.parse(JSON.stringify(record)))
  for (const key of ["concurrency", "toolChoice", "gen_ai.system"]) assert.isFalse(keys.has(key), key)
  for (const key of keys) assert.notInclude(key, "~effect/ai")
}

describe("the bridge through the provider packages", () => {
  it.scoped("OpenAI: the prompt's model and params reach the Responses API body; one linked llm span", () =>
    Effect.gen(function*() {
      const handle = yield* OpenAiEmulator.make({
        respond: () => ({ text: "Paris", usage: { inputTokens: 17, outputTokens: 1 } })
      })
      // The app's model is gpt-4o; the managed prompt's (gpt-4o-mini) wins through the binding.
      const model = OpenAiLanguageModel.layer({ model: "gpt-4o" }).pipe(
        Layer.provide(OpenAiClient.layer({ apiKey: Redacted.make(handle.apiKey), apiUrl: handle.apiUrl })),
        Layer.provide(NodeHttpClient.layerUndici)
      )
      const response = yield* ManagedPrompt.generateText({ slug: "capital", variables: { country: "France" } }).pipe(
        Effect.provide(Layer.merge(model, OpenAi.layer))
      )
      assert.strictEqual(response.text, "Paris")
      assert.deepStrictEqual(handle.rejections, [], "no request broke the OpenAPI file")
      const body = JSON.parse(handle.requests.at(-1)!.body)
      assert.strictEqual(body.model, "gpt-4o-mini")
      assert.strictEqual(body.temperature, 0.3)
      assert.strictEqual(body.max_output_tokens, 64)
      // The Responses API has no stop: reported, not sent.
      assert.isUndefined(body.stop)
      assert.strictEqual(body.input[0].role, "system")
      assertLinkedLlmSpan(yield* records, "openai", "gpt-4o-mini")
    }).pipe(Effect.provide(tracedEnv([draft("openai", "gpt-4o-mini")]))))

  it.scoped("Anthropic: model, max_tokens, temperature and stop_sequences reach the Messages API body", () =>
    Effect.gen(function*() {
      const handle = yield* AnthropicEmulator.make({
        respond: () => ({ text: "Paris", usage: { inputTokens: 17, outputTokens: 1 } })
      })
      const model = AnthropicLanguageModel.layer({ model: "claude-3-5-sonnet-latest" }).pipe(
        Layer.provide(AnthropicClient.layer({ apiKey: Redacted.make(handle.apiKey), apiUrl: handle.url })),
        Layer.provide(NodeHttpClient.layerUndici)
      )
      const response = yield* ManagedPrompt.generateText({ slug: "capital", variables: { country: "France" } }).pipe(
        Effect.provide(Layer.merge(model, Anthropic.layer))
      )
      assert.strictEqual(response.text, "Paris")
      assert.deepStrictEqual(handle.rejections, [], "no request broke the documented format")
      const body = JSON.parse(handle.requests.at(-1)!.body)
      assert.strictEqual(body.model, "claude-3-5-haiku-latest")
      assert.strictEqual(body.max_tokens, 64)
      assert.strictEqual(body.temperature, 0.3)
      assert.deepStrictEqual(body.stop_sequences, ["\n"])
      assertLinkedLlmSpan(yield* records, "anthropic", "claude-3-5-haiku-latest")
    }).pipe(Effect.provide(tracedEnv([draft("anthropic", "claude-3-5-haiku-latest")]))))

  it.scoped("a 429 from the provider fails the call with @effect/ai's typed AiError; the failed span is recorded", () =>
    Effect.gen(function*() {
      const handle = yield* OpenAiEmulator.make({ respond: () => "Paris" })
      handle.faults.rateLimit({ match: "POST /v1/responses", retryAfter: 2 })
      const model = OpenAiLanguageModel.layer({ model: "gpt-4o" }).pipe(
        Layer.provide(OpenAiClient.layer({ apiKey: Redacted.make(handle.apiKey), apiUrl: handle.apiUrl })),
        Layer.provide(NodeHttpClient.layerUndici)
      )
      const error = yield* ManagedPrompt.generateText({ slug: "capital", variables: { country: "France" } }).pipe(
        Effect.provide(Layer.merge(model, OpenAi.layer)),
        Effect.flip
      )
      assert.strictEqual(error._tag, "HttpResponseError")
      assert.include(error.message, "429")
      assert.notInclude(error.message, handle.apiKey)
      const spans = (yield* records).filter((r) => r.name === "LanguageModel.generateText")
      assert.strictEqual(spans.length, 1)
      assert.isDefined(spans[0]!.error)
    }).pipe(Effect.provide(tracedEnv([draft("openai", "gpt-4o-mini")]))))
})
