import { EmbeddingModel, LanguageModel, Tool, Toolkit } from "@effect/ai"
import { AiError } from "@effect/ai"
import { OpenAiClient, OpenAiEmbeddingModel, OpenAiLanguageModel } from "@effect/ai-openai"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Either, Layer, Redacted, Schema, Stream } from "effect"
import * as OpenAiEmulator from "../src/OpenAiEmulator.js"

const clientLayer = (handle: OpenAiEmulator.OpenAiEmulatorHandle, key = handle.apiKey) =>
  OpenAiClient.layer({ apiKey: Redacted.make(key), apiUrl: handle.apiUrl }).pipe(
    Layer.provide(NodeHttpClient.layerUndici)
  )

/** Runs `effect` with a language model and an embedding model wired to a fresh emulator. */
const withEmulator = <A, E>(
  options: OpenAiEmulator.OpenAiEmulatorOptions,
  body: (
    handle: OpenAiEmulator.OpenAiEmulatorHandle
  ) => Effect.Effect<A, E, LanguageModel.LanguageModel | EmbeddingModel.EmbeddingModel>
) =>
  Effect.gen(function*() {
    const handle = yield* OpenAiEmulator.make(options)
    const models = Layer.mergeAll(
      OpenAiLanguageModel.model("gpt-4o-mini"),
      OpenAiEmbeddingModel.model("text-embedding-3-small", { mode: "batched" })
    ).pipe(Layer.provide(clientLayer(handle)))
    const result = yield* body(handle).pipe(Effect.provide(models))
    return { handle, result }
  }).pipe(Effect.scoped)

const assertClean = (handle: OpenAiEmulator.OpenAiEmulatorHandle) => {
  assert.deepStrictEqual(handle.rejections, [], "no request broke the OpenAPI file")
  assert.deepStrictEqual(handle.violations, [], "no response broke the OpenAPI file")
}

const GetWeather = Tool.make("GetWeather", {
  description: "The weather in a city",
  parameters: { city: Schema.String },
  success: Schema.String
})
const Weather = Toolkit.make(GetWeather)
// Never called (tool calls are not resolved here), but the toolkit's type asks for its handlers.
const WeatherHandlers = Weather.toLayer({ GetWeather: () => Effect.succeed("sunny") })

describe("OpenAiEmulator through @effect/ai-openai", () => {
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
      assert.strictEqual(handle.replies.length, 1)
      assert.strictEqual(handle.replies[0]!.model, "gpt-4o-mini")
      assert.strictEqual(handle.requests[0]!.path, "/v1/responses")
      assert.strictEqual(handle.requests[0]!.headers.authorization, "Bearer sk-test")
      assert.strictEqual(handle.requests[0]!.status, 200)
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

  it.effect("generateObject: the scripted JSON is decoded with the Schema", () =>
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
      const body = JSON.parse(handle.requests[0]!.body)
      assert.strictEqual(body.text.format.type, "json_schema")
      assertClean(handle)
    }))

  it.effect("tool calls: name and arguments reach the client", () =>
    Effect.gen(function*() {
      const { handle, result } = yield* withEmulator(
        {
          respond: (request) => ({ toolCalls: [{ name: request.tools[0]!, arguments: { city: "Lyon" }, id: "call_1" }] })
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
      assert.strictEqual(result.toolCalls[0]!.id, "call_1")
      assert.strictEqual(result.finishReason, "tool-calls")
      assertClean(handle)
    }))

  it.effect("embeddings: deterministic, normalised, similar texts closer than unrelated ones", () =>
    Effect.gen(function*() {
      const { handle, result } = yield* withEmulator({ embeddingDimensions: 256 }, () =>
        Effect.all([
          EmbeddingModel.EmbeddingModel.pipe(Effect.flatMap((m) => m.embed("the cat sat on the mat"))),
          EmbeddingModel.EmbeddingModel.pipe(Effect.flatMap((m) => m.embed("the cat sat on the mat"))),
          EmbeddingModel.EmbeddingModel.pipe(Effect.flatMap((m) => m.embed("a cat sat on a mat"))),
          EmbeddingModel.EmbeddingModel.pipe(Effect.flatMap((m) => m.embed("quarterly revenue grew strongly")))
        ]))
      const [a, again, similar, unrelated] = result
      const dot = (x: ReadonlyArray<number>, y: ReadonlyArray<number>) => x.reduce((s, v, i) => s + v * y[i]!, 0)
      assert.strictEqual(a.length, 256)
      assert.deepStrictEqual(a, again)
      assert.closeTo(dot(a, a), 1, 1e-9)
      assert.isAbove(dot(a, similar), 0.4)
      assert.isBelow(Math.abs(dot(a, unrelated)), 0.3)
      assert.isTrue(handle.requests.every((r) => r.path === "/v1/embeddings" && r.status === 200))
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
            toolCalls: [{ name: "GetWeather", arguments: { city: "Lyon" }, id: "call_9" }],
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
        "call_9",
        "GetWeather",
        { city: "Lyon" }
      ])
      const finish = result.find((part) => part.type === "finish")
      assert.deepStrictEqual(
        finish && finish.type === "finish" ? [finish.usage.inputTokens, finish.usage.outputTokens] : [],
        [4, 11]
      )
      assert.include(handle.requests[0]!.responseBody!, "event: response.output_text.delta")
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
      assert.isTrue(Either.isLeft(result.first))
      const error = Either.getLeft(result.first).pipe((o) => o._tag === "Some" ? o.value : undefined)
      assert.isTrue(error instanceof AiError.HttpResponseError)
      const http = error as AiError.HttpResponseError
      assert.strictEqual(http.response.status, 429)
      assert.strictEqual(http.response.headers["retry-after"], "7")
      assert.strictEqual(http.reason, "StatusCode")
      assert.strictEqual(result.second.text, "echo: hi")
      assert.deepStrictEqual(handle.requests.map((r) => [r.status, r.fault]), [[429, "status"], [200, undefined]])
      assertClean(handle)
    }))

  it.effect("5xx storm: the next N requests fail with the status, then normal", () =>
    Effect.gen(function*() {
      const { handle, result } = yield* withEmulator({}, (handle) =>
        Effect.gen(function*() {
          handle.faults.storm({ status: 500, times: 2 })
          const a = yield* Effect.either(LanguageModel.generateText({ prompt: "x" }))
          const b = yield* Effect.either(LanguageModel.generateText({ prompt: "x" }))
          const c = yield* LanguageModel.generateText({ prompt: "x" })
          return [a, b, c.text] as const
        }))
      for (const r of [result[0], result[1]]) {
        assert.isTrue(Either.isLeft(r))
        const error = Either.getLeft(r).pipe((o) => o._tag === "Some" ? o.value : undefined) as AiError.HttpResponseError
        assert.strictEqual(error.response.status, 500)
      }
      assert.strictEqual(result[2], "echo: x")
      assert.deepStrictEqual(handle.requests.map((r) => r.status), [500, 500, 200])
    }))

  it.effect("a wrong key is a 401 in OpenAI's shape, without the key", () =>
    Effect.gen(function*() {
      const handle = yield* OpenAiEmulator.make()
      const error = yield* LanguageModel.generateText({ prompt: "hi" }).pipe(
        Effect.provide(OpenAiLanguageModel.model("gpt-4o-mini").pipe(Layer.provide(clientLayer(handle, "sk-wrong")))),
        Effect.flip
      )
      assert.strictEqual(error._tag, "HttpResponseError")
      assert.strictEqual((error as AiError.HttpResponseError).response.status, 401)
      const body = JSON.parse(handle.requests[0]!.responseBody!)
      assert.strictEqual(body.error.code, "invalid_api_key")
      assert.notInclude(handle.requests[0]!.responseBody!, "sk-wrong")
      const missing = yield* Effect.promise(() =>
        fetch(`${handle.apiUrl}/responses`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } })
      )
      assert.strictEqual(missing.status, 401)
    }).pipe(Effect.scoped))

  it.effect("an invalid body is a 400 naming the failing path, recorded in rejections", () =>
    Effect.gen(function*() {
      const handle = yield* OpenAiEmulator.make()
      const post = (path: string, body: unknown) =>
        Effect.promise(async () => {
          const response = await fetch(`${handle.apiUrl}${path}`, {
            method: "POST",
            headers: { authorization: `Bearer ${handle.apiKey}`, "content-type": "application/json" },
            body: JSON.stringify(body)
          })
          return { status: response.status, body: await response.json() as any }
        })
      const bad = yield* post("/responses", { model: "gpt-4o-mini", input: "hi", temperature: 7 })
      assert.strictEqual(bad.status, 400)
      assert.strictEqual(bad.body.error.type, "invalid_request_error")
      assert.strictEqual(bad.body.error.param, "temperature")
      assert.include(bad.body.error.message, "temperature")
      const noModel = yield* post("/embeddings", { input: "hi" })
      assert.strictEqual(noModel.status, 400)
      assert.strictEqual(noModel.body.error.param, "model")
      assert.strictEqual(handle.rejections.length, 2)
      assert.deepStrictEqual(handle.rejections.map((r) => r.path), ["/v1/responses", "/v1/embeddings"])
      assert.deepStrictEqual(handle.violations, [])
    }).pipe(Effect.scoped))
})
