import { assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"

// These run the *built* packages (`npm test` builds before testing), the way an
// app installed from npm loads them: CommonJS through `require`, ESM through `import`.
const cwd = fileURLToPath(new URL("..", import.meta.url))
const node = (args: ReadonlyArray<string>): string => execFileSync(process.execPath, args, { cwd, encoding: "utf8" })

const script = (load: string) => `
${load}
const { Effect, Layer } = effect
const program = Effect.gen(function*() {
  const prompt = yield* core.Prompts.get("greeting", { tag: "production" })
  const rendered = yield* core.Prompt.render(prompt, { company: "Acme", user: { name: "Ada" } }, { strict: true })
  return rendered.messages.map((message) => message.content).join(" | ")
})
`

describe("the built @promptops/core", () => {
  it("loads and runs as CommonJS", () => {
    const out = node(["-e", script(`const core = require("@promptops/core"); const effect = require("effect")`) +
      `Effect.runPromise(program.pipe(Effect.provide(core.Testing.memoryWithFixtures()))).then(console.log)`])
    assert.strictEqual(out.trim(), "You are a friendly assistant for Acme. | Say hello to Ada.")
  })

  it("loads and runs as ESM", () => {
    const out = node(["--input-type=module", "-e", script(`import * as core from "@promptops/core"; import * as effect from "effect"`) +
      `console.log(await Effect.runPromise(program.pipe(Effect.provide(core.Testing.memoryWithFixtures()))))`])
    assert.strictEqual(out.trim(), "You are a friendly assistant for Acme. | Say hello to Ada.")
  })
})
