import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import type { PromptDraft } from "../src/Prompt.js"
import * as PromptDiff from "../src/PromptDiff.js"

const draft: PromptDraft = {
  slug: "greeting",
  name: "Greeting",
  templateFormat: "mustache",
  messages: [{ role: "user", content: "Hello {{name}}" }],
  model: { provider: "openai", name: "gpt-4o-mini", params: { temperature: 0.2, maxTokens: 64 } },
  variables: [{ name: "name", type: "string" }]
}

describe("PromptDiff", () => {
  it("fields a backend does not keep (provider, variables, name) count only when both sides have them", () => {
    const stored = {
      ...draft,
      name: undefined,
      variables: undefined,
      model: { name: "gpt-4o-mini", params: { maxTokens: 64, temperature: 0.2 } }
    }
    assert.isTrue(PromptDiff.equivalent(draft, stored))
    assert.isTrue(PromptDiff.equivalent(stored, draft))
  })

  it("declared variables on both sides are content: a change is a change, with its path", () => {
    const renamed = { ...draft, variables: [{ name: "who", type: "string" }] }
    assert.isFalse(PromptDiff.equivalent(draft, renamed))
    assert.deepStrictEqual(PromptDiff.diff(draft, renamed), [{
      path: "variables",
      kind: "changed",
      before: draft.variables,
      after: renamed.variables
    }])
    assert.strictEqual(
      PromptDiff.formatChange(PromptDiff.diff(draft, renamed)[0]!, ""),
      "variables:\n  - [{\"name\":\"name\",\"type\":\"string\"}]\n  + [{\"name\":\"who\",\"type\":\"string\"}]"
    )
    // Key order and undefined members are not content.
    const reordered = { ...draft, variables: [{ type: "string", name: "name", description: undefined }] }
    assert.isTrue(PromptDiff.equivalent(draft, reordered))
  })

  const text = FastCheck.string({ maxLength: 6 })
  const content = FastCheck.record({
    templateFormat: FastCheck.constantFrom("mustache" as const, "jinja" as const, "none" as const),
    messages: FastCheck.array(
      FastCheck.record({ role: FastCheck.constantFrom("system" as const, "user" as const), content: text }),
      { maxLength: 3 }
    ),
    model: FastCheck.option(
      FastCheck.record({
        provider: FastCheck.option(FastCheck.constantFrom("openai", "anthropic"), { nil: undefined }),
        name: FastCheck.constantFrom("a", "b"),
        params: FastCheck.record({ temperature: FastCheck.constantFrom(0, 0.5) }, { requiredKeys: [] })
      }),
      { nil: undefined }
    ),
    variables: FastCheck.option(
      FastCheck.array(FastCheck.record({ name: FastCheck.constantFrom("x", "y"), type: FastCheck.constant("string") }), {
        maxLength: 2
      }),
      { nil: undefined }
    )
  }) as FastCheck.Arbitrary<PromptDiff.Content>

  it.prop("equivalent is exactly: diff finds nothing; and it is symmetric", [content, content], ([a, b]) =>
    PromptDiff.equivalent(a, b) === (PromptDiff.diff(a, b).length === 0) &&
    PromptDiff.equivalent(a, b) === PromptDiff.equivalent(b, a) &&
    PromptDiff.equivalent(a, a))
})
