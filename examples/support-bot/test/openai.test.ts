/**
 * With `OPENAI_API_KEY` set, the same program calls OpenAI through
 * `@effect/ai-openai` over the real Node HTTP stack — here the loopback
 * OpenAI emulator (`OPENAI_BASE_URL`), which checks every request against
 * OpenAI's OpenAPI file and answers as the stand-in model would. The
 * answers' requests carry the managed prompt's model and parameters; the
 * judges' ask for structured output; the key is never printed.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as OpenAiEmulator from "@promptops/emulators/OpenAiEmulator"
import { ConfigProvider, Effect, Logger } from "effect"
import { execFile } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"
import { PromptOps } from "promptops"
import { program } from "../src/Demo.js"
import * as Model from "../src/Model.js"
import * as StandInModel from "../src/StandInModel.js"

const apiKey = "sk-support-bot-secret-4242"

/** The emulator's script: the stand-in's answers, over OpenAI's wire format. */
const respond: OpenAiEmulator.Respond = (request) => {
  const text = [request.system ?? "", ...request.messages.map((message) => message.text)].join("\n")
  const reply = StandInModel.reply(text, request.structured !== undefined)
  if (reply === undefined) return "unexpected request"
  return request.structured !== undefined ? { json: JSON.parse(reply) } : reply
}

let emulator: OpenAiEmulator.OpenAiEmulatorHandle

beforeAll(async () => {
  emulator = await OpenAiEmulator.start({ apiKeys: [apiKey], respond })
})

afterAll(async () => {
  // Every request @effect/ai-openai sent met OpenAI's OpenAPI file, and every answer too.
  assert.deepStrictEqual(emulator.rejections, [])
  assert.deepStrictEqual(emulator.violations, [])
  await emulator.close()
})

interface ResponsesBody {
  readonly model: string
  readonly temperature?: number
  readonly max_output_tokens?: number
  readonly text?: { readonly format?: { readonly type: string; readonly schema?: any } }
  readonly input: ReadonlyArray<unknown>
}

const bodiesSince = (from: number): Array<ResponsesBody> =>
  emulator.requests.slice(from)
    .filter((request) => request.path === "/v1/responses" && request.status === 200)
    .map((request) => JSON.parse(request.body) as ResponsesBody)

describe("the support bot on OpenAI (emulator)", () => {
  it.effect("answers and judges through @effect/ai-openai, with the managed prompt's model and params", () =>
    Effect.gen(function*() {
      const from = emulator.requests.length
      const env = { PROMPTOPS_PROVIDER: "memory", OPENAI_API_KEY: apiKey, OPENAI_BASE_URL: emulator.apiUrl }
      const lines: Array<string> = []
      const { candidate, production } = yield* Model.fromConfig.pipe(
        Effect.flatMap(program),
        Effect.provide(PromptOps.layer),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
        Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => lines.push(String(message)))))
      )
      // The same answers as the stand-in's, so the same scores.
      assert.strictEqual(production.summary.scores["mentions_expected"]!.mean, 7 / 8)
      assert.strictEqual(production.summary.scores["factuality"]!.mean, 7 / 8)
      assert.strictEqual(candidate.summary.scores["cites_article"]!.mean, 7 / 8)
      assert.strictEqual(production.summary.scorerErrors, 0)
      // The judges' cost, priced by the run's JudgePolicy, apart from the task's.
      assert.isAbove(production.summary.metrics["scorerCost"]!.mean, 0)
      assert.isUndefined(production.summary.metrics["cost"])

      const bodies = bodiesSince(from)
      const answers = bodies.filter((body) => body.text?.format?.type !== "json_schema")
      const judges = bodies.filter((body) => body.text?.format?.type === "json_schema")
      // One answer outside the evals, then 8 per eval; one judge call per case.
      assert.strictEqual(answers.length, 17)
      assert.strictEqual(judges.length, 16)
      for (const body of answers) {
        // `OpenAi.layer` applied the prompt's model and params (`maxTokens` → `max_output_tokens`).
        assert.strictEqual(body.model, "gpt-4o-mini")
        assert.strictEqual(body.temperature, 0)
        assert.strictEqual(body.max_output_tokens, 120)
      }
      for (const body of judges) {
        assert.strictEqual(body.model, Model.defaultOpenAiModel)
        assert.deepStrictEqual(body.text!.format!.schema.properties.choice.enum, ["A", "B", "C", "D", "E"])
      }
      // The Bearer key went to the emulator, and nowhere in what the program logged.
      assert.isTrue(emulator.requests.slice(from).every((request) => request.headers["authorization"] === `Bearer ${apiKey}`))
      assert.notInclude(lines.join("\n"), apiKey)
    }))

  // Spawned asynchronously: the emulator runs in this process, so a blocking spawn would deadlock it.
  it("the built main runs on OpenAI when OPENAI_API_KEY is set, and never prints the key", async () => {
    const main = fileURLToPath(new URL("../dist/main.js", import.meta.url))
    const cwd = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "support-bot-openai-"))
    try {
      const from = emulator.requests.length
      const env: Record<string, string | undefined> = {
        ...process.env,
        OPENAI_API_KEY: apiKey,
        OPENAI_BASE_URL: emulator.apiUrl
      }
      delete env["PROMPTOPS_PROVIDER"]
      delete env["PROMPTOPS_LOCAL_DIR"]
      const { stderr, stdout: out } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
        execFile(process.execPath, [main], { cwd, env, encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) =>
          error === null ? resolve({ stdout, stderr }) : reject(Object.assign(error, { stdout, stderr })))
      )
      assert.include(out, `Model: openai gpt-4o-mini at ${emulator.apiUrl}`)
      assert.include(out, "Bot: Use the reset link on the sign-in page.")
      assert.include(out, "support-answer production: 8 results, 0 errors, 0 scorer errors\n")
      assert.match(out, /factuality\s+87\.5%/)
      assert.notInclude(out, apiKey)
      assert.notInclude(stderr, apiKey)
      assert.strictEqual(bodiesSince(from).length, 33)
    } finally {
      NodeFs.rmSync(cwd, { recursive: true, force: true })
    }
  })

  it.effect("a malformed OPENAI_BASE_URL is a ConfigurationError naming it", () =>
    Effect.gen(function*() {
      const error = yield* Model.fromConfig.pipe(
        Effect.flip,
        Effect.withConfigProvider(
          ConfigProvider.fromMap(new Map([["OPENAI_API_KEY", apiKey], ["OPENAI_BASE_URL", "not a url"]]))
        )
      )
      assert.strictEqual(error._tag, "ConfigurationError")
      assert.include(error.message, "OPENAI_BASE_URL: must be a URL")
      assert.notInclude(error.message, apiKey)
    }))
})
