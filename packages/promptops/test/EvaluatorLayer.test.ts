/**
 * An eval that brings its own services: an `@effect/ai` `LanguageModel`
 * (`@effect/ai-openai`) talking to a loopback fake of OpenAI's Responses API.
 */
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as OpenAiClient from "@effect/ai-openai/OpenAiClient"
import * as OpenAiLanguageModel from "@effect/ai-openai/OpenAiLanguageModel"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Eval from "@promptops/core/Eval"
import * as Memory from "@promptops/core/Memory"
import { Chunk, Effect, Layer, Redacted, Stream } from "effect"
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import * as Evaluator from "../src/Evaluator.js"

interface Fake {
  readonly url: string
  /** The `input` text of every `POST /v1/responses`, in arrival order. */
  readonly prompts: Array<string>
  readonly close: Effect.Effect<void>
}

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

/** The text of the user's message in a Responses API request body. */
const promptOf = (body: unknown): string => {
  const input = (body as { input?: ReadonlyArray<{ role?: string; content?: unknown }> }).input ?? []
  const user = input.find((item) => item.role === "user")
  const content = user?.content
  if (typeof content === "string") return content
  if (Array.isArray(content)) {
    return content.map((part: { text?: unknown }) => (typeof part.text === "string" ? part.text : "")).join("")
  }
  return ""
}

/** A Responses API answer, in the shape `@effect/ai-openai` 0.41 decodes. */
const responseOf = (n: number, text: string) => ({
  id: `resp_${n}`,
  object: "response",
  created_at: 1_764_000_000,
  status: "completed",
  error: null,
  incomplete_details: null,
  instructions: null,
  model: "gpt-4o-mini",
  output: [{
    id: `msg_${n}`,
    type: "message",
    role: "assistant",
    status: "completed",
    content: [{ type: "output_text", text, annotations: [] }]
  }],
  parallel_tool_calls: true,
  tools: [],
  tool_choice: "auto",
  metadata: null,
  temperature: null,
  top_p: null,
  usage: {
    input_tokens: 7,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 3,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 10
  }
})

/** A fake of OpenAI on 127.0.0.1:0: `POST /v1/responses` answers "echo: <prompt>". */
const startFake: Effect.Effect<Fake> = Effect.async<Fake>((resume) => {
  const prompts: Array<string> = []
  const server: Server = createServer((request, response) => {
    void readBody(request).then((text) => {
      if (request.method !== "POST" || request.url !== "/v1/responses") {
        response.writeHead(404, { "content-type": "application/json" })
        response.end(JSON.stringify({ error: { message: `no route ${request.method} ${request.url}` } }))
        return
      }
      const prompt = promptOf(JSON.parse(text))
      prompts.push(prompt)
      response.writeHead(200, { "content-type": "application/json" })
      response.end(JSON.stringify(responseOf(prompts.length, `echo: ${prompt}`)))
    })
  })
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo
    resume(Effect.succeed({
      url: `http://127.0.0.1:${port}/v1`,
      prompts,
      close: Effect.async<void>((done) => {
        server.close(() => done(Effect.void))
        server.closeAllConnections()
      })
    }))
  })
})

const fake = Effect.acquireRelease(startFake, (server) => server.close)

/** The app's model layer, counting how often it is built. */
const modelLayer = (url: string, builds: { count: number }) =>
  OpenAiLanguageModel.layer({ model: "gpt-4o-mini" }).pipe(
    Layer.provide(OpenAiClient.layer({ apiKey: Redacted.make("sk-test-not-a-key"), apiUrl: url })),
    Layer.provide(FetchHttpClient.layer),
    Layer.tap(() =>
      Effect.sync(() => {
        builds.count++
      })
    )
  )

const questions = ["What is 2 + 2?", "Name a colour.", "Say hello.", "Capital of France?", "A prime number?"]

describe("Evaluator with a layer of its own", () => {
  it.scoped("an @effect/ai LanguageModel layer is built once per run; every case's task gets the model's text", () =>
    Effect.gen(function*() {
      const server = yield* fake
      const builds = { count: 0 }
      const evaluator = Evaluator.make({
        name: "llm-eval",
        data: questions.map((question) => ({ input: question, expected: `echo: ${question}` })),
        layer: modelLayer(server.url, builds),
        task: (question: string) =>
          Effect.map(LanguageModel.generateText({ prompt: question }), (response) => response.text),
        scorers: [
          Eval.scorer("echoed", ({ expected, output }) => (output === expected ? 1 : 0)),
          // A scorer may use the layer's services too (an LLM judge, say).
          Eval.scorer("judge", ({ output }) =>
            Effect.map(LanguageModel.generateText({ prompt: `judge: ${output}` }), (response) =>
              response.text.startsWith("echo: judge: echo:") ? 1 : 0))
        ],
        concurrency: 3
      })
      const run = yield* Evaluator.run(evaluator, { gate: (summary) => summary.errors === 0 })
      assert.strictEqual(builds.count, 1, "the layer is built once for the whole run")
      assert.deepStrictEqual(run.results!.map((result) => result.output), questions.map((q) => `echo: ${q}`))
      assert.deepStrictEqual(run.results!.map((result) => result.error), questions.map(() => undefined))
      assert.strictEqual(run.summary.scores["echoed"]!.mean, 1)
      assert.strictEqual(run.summary.scores["judge"]!.mean, 1)
      assert.deepStrictEqual(
        server.prompts.filter((prompt) => !prompt.startsWith("judge: ")).sort(),
        [...questions].sort(),
        "one request per case"
      )
      assert.strictEqual(server.prompts.length, questions.length * 2)
      assert.deepStrictEqual(run.state, {
        status: "complete",
        total: questions.length,
        completed: questions.length,
        errors: 0,
        scorerErrors: 0,
        gate: "passed"
      })

      // A second run builds it again, once; so does a run as a stream (what the CLI uses).
      yield* Evaluator.run(evaluator)
      assert.strictEqual(builds.count, 2)
      const events = yield* Stream.runCollect(Evaluator.stream(evaluator, { gate: () => false }))
      assert.strictEqual(builds.count, 3)
      const finished = Chunk.toReadonlyArray(events).find((event) => event._tag === "Finished")
      assert.strictEqual(finished?._tag === "Finished" ? finished.summary.scores["echoed"]!.mean : undefined, 1)
      assert.strictEqual(finished?._tag === "Finished" ? finished.summary.state?.gate : undefined, "failed")
    }).pipe(Effect.provide(Memory.layer())))

  it("types: a layer needing a service the CLI does not provide is a type error", () => {
    const needsClient = OpenAiLanguageModel.layer({ model: "gpt-4o-mini" })
    const task = (question: string) => Effect.map(LanguageModel.generateText({ prompt: question }), (r) => r.text)
    const scorers = [Eval.scorer("any", () => 1)]
    // @ts-expect-error — OpenAiClient is not among the services promptops provides.
    Evaluator.make({ name: "unprovided", data: [{ input: "q" }], layer: needsClient, task, scorers })
    // @ts-expect-error — the task needs a LanguageModel and no layer gives it.
    Evaluator.make({ name: "no-layer", data: [{ input: "q" }], task, scorers })
    const ok = Evaluator.make({
      name: "provided",
      data: [{ input: "q" }],
      layer: needsClient.pipe(Layer.provide(OpenAiClient.layer({})), Layer.provide(FetchHttpClient.layer)),
      task,
      scorers
    })
    assert.isTrue(Evaluator.isEvaluator(ok))
  })
})
