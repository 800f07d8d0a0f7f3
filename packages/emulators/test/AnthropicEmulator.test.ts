import { AiError, LanguageModel, Tool, Toolkit } from "@effect/ai"
import { AnthropicClient, AnthropicLanguageModel } from "@effect/ai-anthropic"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Either, Layer, Redacted, Schema, Stream } from "effect"
import * as AnthropicEmulator from "../src/AnthropicEmulator.js"

const clientLayer = (handle: AnthropicEmulator.AnthropicEmulatorHandle, key = handle.apiKey) =>
  AnthropicClient.layer({ apiKey: Redacted.make(key), apiUrl: handle.url }).pipe(
    Layer.provide(NodeHttpClient.layerUndici)
  )

const MODEL = "claude-3-5-haiku-latest"

/** Runs `effect` with a language model wired to a fresh emulator. */
const withEmulator = <A, E>(
  options: AnthropicEmulator.AnthropicEmulatorOptions,
  body: (handle: AnthropicEmulator.AnthropicEmulatorHandle) => Effect.Effect<A, E, LanguageModel.LanguageModel>
) =>
  Effect.gen(function*() {
    const handle = yield* AnthropicEmulator.make(options)
    const model = AnthropicLanguageModel.model(MODEL).pipe(Layer.provide(clientLayer(handle)))
    const result = yield* body(handle).pipe(Effect.provide(model))
    return { handle, result }
  }).pipe(Effect.scoped)

const assertClean = (handle: AnthropicEmulator.AnthropicEmulatorHandle) => {
  assert.deepStrictEqual(handle.rejections, [], "no request broke the contract")
  assert.deepStrictEqual(handle.violations, [], "no response broke the contract")
}

const leftOf = <A, E>(either: Either.Either<A, E>): E | undefined =>
  Either.isLeft(either) ? either.left : undefined

const GetWeather = Tool.make("GetWeather", {
  description: "The weather in a city",
  parameters: { city: Schema.String },
  success: Schema.String
})
const Weather = Toolkit.make(GetWeather)
// Never called (tool calls are not resolved here), but the toolkit's type asks for its handlers.
const WeatherHandlers = Weather.toLayer({ GetWeather: () => Effect.succeed("sunny") })

describe("AnthropicEmulator through @effect/ai-anthropic", () => {
  it.effect("generateText: the scripted text and usage arrive; the request is the documented format", () =>
    Effect.gen(function*() {
      const { handle, result } = yield* withEmulator(
        {
          respond: (request) => ({
            text: `Paris (asked: ${request.lastUserText}; system: ${request.system})`,
            usage: { inputTokens: 17, outputTokens: 5 }
          })
        },
        () =>
          LanguageModel.generateText({
            prompt: [
              { role: "system", content: "Be brief." },
              { role: "user", content: "Capital of France?" }
            ]
          })
      )
      assert.strictEqual(result.text, "Paris (asked: Capital of France?; system: Be brief.)")
      assert.strictEqual(result.usage.inputTokens, 17)
      assert.strictEqual(result.usage.outputTokens, 5)
      assert.strictEqual(result.finishReason, "stop")
      assert.strictEqual(handle.replies[0]!.model, MODEL)
      const request = handle.requests[0]!
      assert.strictEqual(request.path, "/v1/messages")
      assert.strictEqual(request.query.get("beta"), "true")
      assert.strictEqual(request.headers["x-api-key"], "sk-ant-test")
      assert.strictEqual(request.headers["anthropic-version"], "2023-06-01")
      assert.strictEqual(request.status, 200)
      assertClean(handle)
    }))

  it.effect("the default script echoes the last user message with word-count usage", () =>
    Effect.gen(function*() {
      const { handle, result } = yield* withEmulator({}, () => LanguageModel.generateText({ prompt: "hello there" }))
      assert.strictEqual(result.text, "echo: hello there")
      assert.strictEqual(result.usage.inputTokens, 2)
      assert.strictEqual(result.usage.outputTokens, 3)
      assertClean(handle)
    }))

  it.effect("finish: \"length\" is reported as a cut answer", () =>
    Effect.gen(function*() {
      const { handle, result } = yield* withEmulator(
        { respond: () => ({ text: "cut", finish: "length" }) },
        () => LanguageModel.generateText({ prompt: "long story" })
      )
      assert.strictEqual(result.text, "cut")
      assert.strictEqual(result.finishReason, "length")
      assertClean(handle)
    }))

  it.effect("generateObject: the JSON comes back as the forced tool's input and is decoded with the Schema", () =>
    Effect.gen(function*() {
      const Verdict = Schema.Struct({ score: Schema.Number, reasoning: Schema.String })
      const { handle, result } = yield* withEmulator(
        {
          respond: (request) =>
            request.structured ? { json: { score: 0.75, reasoning: `schema ${request.structured.name}` } } : "no schema"
        },
        () => LanguageModel.generateObject({ prompt: "Grade it", schema: Verdict, objectName: "verdict" })
      )
      assert.deepStrictEqual(result.value, { score: 0.75, reasoning: "schema verdict" })
      assert.deepStrictEqual(JSON.parse(handle.requests[0]!.body).tool_choice.name, "verdict")
      assertClean(handle)
    }))

  it.effect("tool calls: name and arguments reach the client", () =>
    Effect.gen(function*() {
      const { handle, result } = yield* withEmulator(
        {
          respond: (request) => ({ toolCalls: [{ name: request.tools[0]!, arguments: { city: "Lyon" }, id: "toolu_1" }] })
        },
        () =>
          LanguageModel.generateText({
            prompt: "Weather in Lyon?",
            toolkit: Weather,
            disableToolCallResolution: true
          }).pipe(Effect.provide(WeatherHandlers))
      )
      assert.strictEqual(result.toolCalls.length, 1)
      assert.strictEqual(result.toolCalls[0]!.name, "GetWeather")
      assert.deepStrictEqual(result.toolCalls[0]!.params, { city: "Lyon" })
      assert.strictEqual(result.toolCalls[0]!.id, "toolu_1")
      assert.strictEqual(result.finishReason, "tool-calls")
      assertClean(handle)
    }))

  it.effect("a multi-turn prompt with an image, a tool call and its result is valid and reaches the script", () =>
    Effect.gen(function*() {
      const { handle, result } = yield* withEmulator(
        {
          respond: (request) =>
            `roles=${request.messages.map((m) => m.role).join(",")} tool=${
              request.messages.find((m) => m.role === "tool")?.text
            }`
        },
        () =>
          LanguageModel.generateText({
            prompt: [
              { role: "system", content: "Be brief." },
              {
                role: "user",
                content: [
                  { type: "text", text: "What is in this picture, and the weather?" },
                  { type: "file", mediaType: "image/png", data: new URL("https://example.com/cat.png") }
                ]
              },
              {
                role: "assistant",
                content: [{ type: "tool-call", id: "call_1", name: "GetWeather", params: { city: "Lyon" } }]
              },
              {
                role: "tool",
                content: [{ type: "tool-result", id: "call_1", name: "GetWeather", isFailure: false, result: "sunny", providerExecuted: false }]
              }
            ],
            toolkit: Weather,
            disableToolCallResolution: true
          }).pipe(Effect.provide(WeatherHandlers))
      )
      assert.include(result.text, "tool=")
      assert.include(result.text, "sunny")
      assertClean(handle)
    }))

  it.effect("streamText: the text arrives in deltas, then the tool call and usage; every event is checked", () =>
    Effect.gen(function*() {
      const { handle, result } = yield* withEmulator(
        {
          respond: () => ({
            text: "It is sunny in Lyon today, I checked.",
            toolCalls: [{ name: "GetWeather", arguments: { city: "Lyon" }, id: "toolu_9" }],
            usage: { inputTokens: 4, outputTokens: 11 }
          })
        },
        () =>
          LanguageModel.streamText({ prompt: "Weather?", toolkit: Weather, disableToolCallResolution: true }).pipe(
            Stream.runCollect,
            Effect.map(Chunk.toReadonlyArray),
            Effect.provide(WeatherHandlers)
          )
      )
      const deltas = result.flatMap((part) => (part.type === "text-delta" ? [part.delta] : []))
      assert.isAbove(deltas.length, 1)
      assert.strictEqual(deltas.join(""), "It is sunny in Lyon today, I checked.")
      const call = result.find((part) => part.type === "tool-call")
      assert.deepStrictEqual(call && call.type === "tool-call" ? [call.id, call.name, call.params] : [], [
        "toolu_9",
        "GetWeather",
        { city: "Lyon" }
      ])
      const finish = result.find((part) => part.type === "finish")
      assert.deepStrictEqual(
        finish && finish.type === "finish" ? [finish.usage.inputTokens, finish.usage.outputTokens] : [],
        [4, 11]
      )
      assert.include(handle.requests[0]!.responseBody!, "event: content_block_delta")
      assertClean(handle)
    }))

  it.effect("429 with Retry-After: the client fails with AiError.HttpResponseError carrying status and header", () =>
    Effect.gen(function*() {
      const { handle, result } = yield* withEmulator({}, (handle) =>
        Effect.gen(function*() {
          handle.faults.rateLimit({ retryAfter: 7, times: 1 })
          const first = yield* Effect.either(LanguageModel.generateText({ prompt: "hi" }))
          const second = yield* LanguageModel.generateText({ prompt: "hi" })
          return { first, second }
        }))
      const error = leftOf(result.first)
      assert.isTrue(error instanceof AiError.HttpResponseError)
      const http = error as AiError.HttpResponseError
      assert.strictEqual(http.response.status, 429)
      assert.strictEqual(http.response.headers["retry-after"], "7")
      assert.strictEqual(http.reason, "StatusCode")
      assert.strictEqual(JSON.parse(handle.requests[0]!.responseBody!).error.type, "rate_limit_error")
      assert.strictEqual(result.second.text, "echo: hi")
      assert.deepStrictEqual(handle.requests.map((r) => [r.status, r.fault]), [[429, "status"], [200, undefined]])
      assertClean(handle)
    }))

  it.effect("5xx storm (500, 529): the next N requests fail with the status, then normal", () =>
    Effect.gen(function*() {
      const { handle, result } = yield* withEmulator({}, (handle) =>
        Effect.gen(function*() {
          handle.faults.storm({ status: 500, times: 1 })
          handle.faults.storm({ status: 529, times: 1 })
          const a = yield* Effect.either(LanguageModel.generateText({ prompt: "x" }))
          const b = yield* Effect.either(LanguageModel.generateText({ prompt: "x" }))
          const c = yield* LanguageModel.generateText({ prompt: "x" })
          return [a, b, c.text] as const
        }))
      assert.strictEqual((leftOf(result[0]) as AiError.HttpResponseError).response.status, 500)
      assert.strictEqual((leftOf(result[1]) as AiError.HttpResponseError).response.status, 529)
      assert.strictEqual(result[2], "echo: x")
      assert.deepStrictEqual(handle.requests.map((r) => r.status), [500, 529, 200])
    }))

  it.effect("a wrong or missing key is a 401 authentication_error, without the key", () =>
    Effect.gen(function*() {
      const handle = yield* AnthropicEmulator.make()
      const error = yield* LanguageModel.generateText({ prompt: "hi" }).pipe(
        Effect.provide(AnthropicLanguageModel.model(MODEL).pipe(Layer.provide(clientLayer(handle, "sk-ant-wrong")))),
        Effect.flip
      )
      assert.strictEqual(error._tag, "HttpResponseError")
      assert.strictEqual((error as AiError.HttpResponseError).response.status, 401)
      const body = JSON.parse(handle.requests[0]!.responseBody!)
      assert.deepStrictEqual(body, { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } })
      assert.notInclude(handle.requests[0]!.responseBody!, "sk-ant-wrong")
      const missing = yield* Effect.promise(() =>
        fetch(`${handle.url}/v1/messages`, {
          method: "POST",
          body: "{}",
          headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" }
        })
      )
      assert.strictEqual(missing.status, 401)
    }).pipe(Effect.scoped))

  it.effect("an invalid body or a missing anthropic-version is a 400 naming the field, recorded in rejections", () =>
    Effect.gen(function*() {
      const handle = yield* AnthropicEmulator.make()
      const post = (query: string, body: unknown, headers: Record<string, string> = { "anthropic-version": "2023-06-01" }) =>
        Effect.promise(async () => {
          const response = await fetch(`${handle.url}/v1/messages${query}`, {
            method: "POST",
            headers: { "x-api-key": handle.apiKey, "content-type": "application/json", ...headers },
            body: JSON.stringify(body)
          })
          return { status: response.status, body: await response.json() as any }
        })
      const noContent = yield* post("?beta=true", { model: MODEL, max_tokens: 10, messages: [{ role: "user" }] })
      assert.strictEqual(noContent.status, 400)
      assert.strictEqual(noContent.body.type, "error")
      assert.strictEqual(noContent.body.error.type, "invalid_request_error")
      assert.include(noContent.body.error.message, "messages.0.content")
      // `container` exists only in the beta API: the plain endpoint refuses it.
      const plain = yield* post("", {
        model: MODEL,
        max_tokens: 10,
        messages: [{ role: "user", content: "hi" }],
        container: "c1"
      })
      assert.strictEqual(plain.status, 400)
      assert.include(plain.body.error.message, "container")
      const noVersion = yield* post("?beta=true", { model: MODEL, max_tokens: 10, messages: [] }, {})
      assert.strictEqual(noVersion.status, 400)
      assert.strictEqual(noVersion.body.error.message, "anthropic-version: header is required")
      const ok = yield* post("", { model: MODEL, max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
      assert.strictEqual(ok.status, 200)
      assert.deepStrictEqual(ok.body.content, [{ type: "text", text: "echo: hi" }])
      assert.strictEqual(handle.rejections.length, 3)
      assert.deepStrictEqual(handle.violations, [])
    }).pipe(Effect.scoped))
})
