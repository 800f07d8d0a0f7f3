/**
 * Judges through the real provider packages against the loopback emulators,
 * which check each request against the provider's documented format: through
 * `@effect/ai-openai`, the first call is refused with a 429 and a
 * `Retry-After`, which the run's `JudgePolicy` honours before trying again;
 * through `@effect/ai-anthropic`, a 503 is retried after the backoff.
 */
import * as AnthropicClient from "@effect/ai-anthropic/AnthropicClient"
import * as AnthropicLanguageModel from "@effect/ai-anthropic/AnthropicLanguageModel"
import * as OpenAiClient from "@effect/ai-openai/OpenAiClient"
import * as OpenAiLanguageModel from "@effect/ai-openai/OpenAiLanguageModel"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Eval from "@promptops/core/Eval"
import * as Memory from "@promptops/core/Memory"
import * as AnthropicEmulator from "@promptops/emulators/AnthropicEmulator"
import * as OpenAiEmulator from "@promptops/emulators/OpenAiEmulator"
import { Effect, Layer, Redacted } from "effect"
import * as Judges from "../src/Judges.js"
import * as JudgePolicy from "../src/JudgePolicy.js"

describe("Judges.factuality through the provider packages", () => {
  it.live("through @effect/ai-openai: retries a 429 after its Retry-After, then scores from the structured output", () =>
    Effect.gen(function*() {
      const handle = yield* OpenAiEmulator.make({
        respond: (request) => ({
          json: { reasoning: `compared for ${request.structured?.name}`, choice: "C" },
          usage: { inputTokens: 50, outputTokens: 10 }
        })
      })
      // A tiny Retry-After (50 ms); the backoff without it would be 10 minutes,
      // past the test's timeout, so the test fails if the header is ignored.
      handle.faults.status(429, { match: "POST /v1/responses", retryAfter: 0.05 })
      const model = OpenAiLanguageModel.layer({ model: "gpt-4o-mini" }).pipe(
        Layer.provide(OpenAiClient.layer({ apiKey: Redacted.make(handle.apiKey), apiUrl: handle.apiUrl })),
        Layer.provide(NodeHttpClient.layerUndici)
      )
      const policy = JudgePolicy.layer({
        retry: { base: "10 minutes", maxDelay: "10 minutes" },
        pricing: { "gpt-4o-mini": { input: 0.15, output: 0.6 } }
      })
      const run = yield* Eval.run({
        name: "openai-judge",
        data: [{ input: "Capital of France?", expected: "Paris" }],
        task: () => Effect.succeed("Paris"),
        scorers: [Judges.factuality()],
        layer: Layer.merge(model, policy)
      })
      const result = run.results![0]!
      assert.deepStrictEqual(result.scores, { factuality: 1 })
      assert.deepStrictEqual(handle.rejections, [], "every request met OpenAI's OpenAPI file")
      const calls = handle.requests.filter((request) => request.path === "/v1/responses")
      assert.deepStrictEqual(calls.map((request) => request.status), [429, 200])
      assert.isAtLeast(calls[1]!.receivedAt - calls[0]!.receivedAt, 50, "waited the Retry-After")
      const body = JSON.parse(calls[1]!.body)
      assert.strictEqual(body.model, "gpt-4o-mini")
      assert.strictEqual(body.text.format.type, "json_schema")
      assert.deepStrictEqual(body.text.format.schema.properties.choice.enum, ["A", "B", "C", "D", "E"])
      const metadata = (result.metadata["scoreMetadata"] as Record<string, any>)["factuality"]
      assert.strictEqual(metadata.reasoning, "compared for verdict")
      assert.match(metadata.judge.model, /^gpt-4o-mini/)
      assert.strictEqual(result.scorerUsage!.totalTokens, 60)
      assert.closeTo(result.scorerUsage!.cost!, (50 * 0.15 + 10 * 0.6) / 1e6, 1e-15)
    }).pipe(Effect.scoped, Effect.provide(Memory.layer())))

  it.live("through @effect/ai-anthropic: a 503 is retried, the forced tool's input is the verdict", () =>
    Effect.gen(function*() {
      const handle = yield* AnthropicEmulator.make({
        respond: (request) => ({
          json: { reasoning: "the answer contradicts the reference", choice: request.structured ? "D" : "C" },
          usage: { inputTokens: 40, outputTokens: 8 }
        })
      })
      handle.faults.status(503, { match: "POST /v1/messages" })
      const model = AnthropicLanguageModel.layer({ model: "claude-3-5-haiku-latest" }).pipe(
        Layer.provide(AnthropicClient.layer({ apiKey: Redacted.make(handle.apiKey), apiUrl: handle.url })),
        Layer.provide(NodeHttpClient.layerUndici)
      )
      const run = yield* Eval.run({
        name: "anthropic-judge",
        data: [{ input: "Capital of France?", expected: "Paris" }],
        task: () => Effect.succeed("Lyon"),
        scorers: [Judges.factuality()],
        layer: Layer.merge(model, JudgePolicy.layer({ retry: { base: "10 millis" } }))
      })
      const result = run.results![0]!
      assert.deepStrictEqual(result.scores, { factuality: 0 })
      assert.deepStrictEqual(handle.rejections, [], "every request met Anthropic's documented format")
      const calls = handle.requests.filter((request) => request.path === "/v1/messages")
      assert.deepStrictEqual(calls.map((request) => request.status), [503, 200])
      const metadata = (result.metadata["scoreMetadata"] as Record<string, any>)["factuality"]
      assert.strictEqual(metadata.choice, "D")
      assert.strictEqual(result.scorerUsage!.totalTokens, 48)
    }).pipe(Effect.scoped, Effect.provide(Memory.layer())))
})
