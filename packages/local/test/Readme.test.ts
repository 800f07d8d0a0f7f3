/**
 * The README's example, run as written (with assertions instead of logs).
 */
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Eval from "@promptops/core/Eval"
import { Experiments } from "@promptops/core/Experiments"
import * as Prompt from "@promptops/core/Prompt"
import * as Prompts from "@promptops/core/Prompts"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import { Chunk, Effect, Stream } from "effect"
import { Local } from "../src/index.js"

const dir = fs.mkdtempSync(Path.join(tmpdir(), "promptops-local-readme-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe("README", () => {
  it.effect("the example runs and leaves the documented files", () =>
    Effect.gen(function*() {
      const program = Effect.gen(function*() {
        const registry = yield* PromptRegistry
        yield* registry.push({
          slug: "greeting",
          templateFormat: "mustache",
          messages: [{ role: "user", content: "Say hello to {{name}}." }],
          tag: "production"
        })
        const prompt = yield* Prompts.get("greeting", { tag: "production" })
        const rendered = yield* Prompt.render(prompt, { name: "Ada" })
        assert.strictEqual(rendered.messages[0]!.content, "Say hello to Ada.")

        const { summary } = yield* Eval.run({
          name: "greeting-eval",
          data: [{ input: "Ada", expected: "Hello, Ada!" }, { input: "Alan", expected: "Hello, Alan!" }],
          task: (name: string) => Effect.succeed(`Hello, ${name}!`),
          scorers: [Eval.scorer("exact", ({ output, expected }) => (output === expected ? 1 : 0))]
        })
        assert.strictEqual(summary.scores["exact"]!.mean, 1)
        const experiments = Chunk.toReadonlyArray(yield* Stream.runCollect((yield* Experiments).list()))
        assert.strictEqual(experiments[0]!.name, "greeting-eval")
      })
      yield* program.pipe(Effect.provide(Local.layer({ dir: Path.join(dir, ".promptops") })))
      assert.isTrue(fs.existsSync(Path.join(dir, ".promptops", "prompts", "greeting.json")))
      assert.isTrue(fs.existsSync(Path.join(dir, ".promptops", "promptops.sqlite")))
    }))
})
