/**
 * `prompts pull`, `prompts push`, `prompts diff` and the local store answer
 * "is this the same prompt?" by one rule (`@promptops/core/PromptDiff`).
 */
import { assert, describe, it } from "@effect/vitest"
import type { Prompt } from "@promptops/core/Prompt"
import * as PromptDiff from "@promptops/core/PromptDiff"
import * as PromptFile from "@promptops/local/PromptFile"
import { Option } from "effect"
import * as PromptsCommand from "../../src/cli/PromptsCommand.js"

const file: PromptFile.PromptFile = {
  slug: "greeting",
  tags: {},
  versions: [{
    version: "1",
    templateFormat: "mustache",
    model: { provider: "openai", name: "gpt-4o-mini", params: { temperature: 0.2 } },
    messages: [{ role: "user", content: "Hello {{name}}" }],
    variables: [{ name: "name", type: "string" }]
  }]
}

// What Braintrust gives back for that file once pushed: its own version id, no model provider, no declared variables.
const remote: Prompt = {
  slug: "greeting",
  version: "1000196022104685824",
  templateFormat: "mustache",
  model: { name: "gpt-4o-mini", params: { temperature: 0.2 } },
  messages: [{ role: "user", content: "Hello {{name}}" }],
  source: { provider: "braintrust" }
}

/** The three answers for one file and one remote prompt: [push says same, diff says same, pull writes nothing]. */
const answers = (local: PromptFile.PromptFile, prompt: Prompt): [boolean, boolean, boolean] => [
  PromptDiff.equivalent(prompt, PromptFile.latest(local)),
  PromptsCommand.describeDiff({ files: [local], remote: [prompt], dirLabel: "prompts", provider: "braintrust" }).differing === 0,
  !PromptsCommand.merge(Option.some(local), { latest: prompt, tagged: [] }).changed
]

describe("pull, push and diff agree on what the same prompt is", () => {
  it("a prompt read back without the fields its backend does not keep is the same prompt for all three", () => {
    assert.deepStrictEqual(answers(file, remote), [true, true, true])
    // The local store agrees too: pushing the pulled content again adds no version.
    assert.isFalse(PromptFile.addVersion(file, { ...remote, slug: file.slug }).created)
  })

  it("a changed message or changed declared variables is a change for all three", () => {
    const edited = { ...remote, messages: [{ role: "user" as const, content: "Hi {{name}}" }] }
    assert.deepStrictEqual(answers(file, edited), [false, false, false])
    const otherVariables = { ...remote, variables: [{ name: "who", type: "string" }] }
    assert.deepStrictEqual(answers(file, otherVariables), [false, false, false])
    assert.isTrue(PromptFile.addVersion(file, { ...otherVariables, slug: file.slug }).created)
  })
})
