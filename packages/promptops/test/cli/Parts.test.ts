/**
 * The CLI's pure parts: JSON lines, prompt comparison, evaluator branding,
 * baseline choice, the progress bar.
 */
import { assert, describe, it } from "@effect/vitest"
import * as JsonLine from "@promptops/core/Json"
import type { PromptDraft } from "@promptops/core/Prompt"
import * as PromptDiff from "@promptops/core/PromptDiff"
import { Effect, Option } from "effect"
import * as EvalCommand from "../../src/cli/EvalCommand.js"
import { parseBaseline } from "../../src/cli/EvalCommand.js"
import * as ExperimentsCommand from "../../src/cli/ExperimentsCommand.js"
import * as Progress from "../../src/cli/Progress.js"
import * as Evaluator from "../../src/Evaluator.js"

const draft: PromptDraft = {
  slug: "greeting",
  name: "Greeting",
  templateFormat: "mustache",
  messages: [{ role: "system", content: "Be kind." }, { role: "user", content: "Hello {{name}}" }],
  model: { provider: "openai", name: "gpt-4o-mini", params: { temperature: 0.2, maxTokens: 64 } }
}

describe("JsonLine", () => {
  it("stringify keeps BigInts and cycles printable; shared (non-cyclic) objects stay whole", () => {
    const shared = { n: 1 }
    const cyclic: Record<string, unknown> = { big: 12345678901234567890n, a: shared, b: shared }
    cyclic["self"] = cyclic
    assert.deepStrictEqual(JSON.parse(JsonLine.stringify(cyclic)), {
      big: "12345678901234567890",
      a: { n: 1 },
      b: { n: 1 },
      self: "[Circular]"
    })
  })

  it("canonical ignores key order and undefined members", () => {
    assert.strictEqual(JsonLine.canonical({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } }), JsonLine.canonical({ a: { d: [1, { x: 1, y: 2 }] }, b: 1 }))
    assert.notStrictEqual(JsonLine.canonical({ a: [1, 2] }), JsonLine.canonical({ a: [2, 1] }))
  })
})

describe("PromptDiff", () => {
  it("the same content is equivalent, whatever labels one side lacks (Braintrust keeps no model provider)", () => {
    const stored = { ...draft, name: undefined, model: { name: "gpt-4o-mini", params: { maxTokens: 64, temperature: 0.2 } } }
    assert.isTrue(PromptDiff.equivalent(draft, stored))
    assert.deepStrictEqual(PromptDiff.diff(draft, { ...draft, name: "Other" }).map((c) => c.path), ["name"])
  })

  it("a change of tool calls or tool call id alone is a change", () => {
    const withCalls = {
      ...draft,
      messages: [
        { role: "assistant" as const, content: "", toolCalls: [{ id: "c1", name: "f", arguments: "{}" }] },
        { role: "tool" as const, content: "ok", toolCallId: "c1" }
      ]
    }
    assert.deepStrictEqual(PromptDiff.diff(withCalls, withCalls), [])
    const changed = {
      ...withCalls,
      messages: [
        { role: "assistant" as const, content: "", toolCalls: [{ id: "c2", name: "f", arguments: "{}" }] },
        { role: "tool" as const, content: "ok", toolCallId: "c2" }
      ]
    }
    assert.deepStrictEqual(PromptDiff.diff(withCalls, changed).map((c) => c.path), ["messages[0].toolCalls", "messages[1].toolCallId"])
  })

  it("names each change: messages added/removed/changed, model name and parameters, template format", () => {
    const after: PromptDraft = {
      ...draft,
      templateFormat: "jinja",
      messages: [{ role: "system", content: "Be kind." }, { role: "user", content: "Hi {{name}}" }, { role: "assistant", content: "ok" }],
      model: { name: "gpt-4o", params: { temperature: 0.5, topP: 0.9 } }
    }
    const changes = PromptDiff.diff(draft, after)
    assert.deepStrictEqual(changes.map((c) => `${c.kind} ${c.path}`), [
      "changed templateFormat",
      "changed messages[1].content",
      "added messages[2]",
      "changed model.name",
      "removed model.params.maxTokens",
      "changed model.params.temperature",
      "added model.params.topP"
    ])
    assert.strictEqual(PromptDiff.formatChange(changes[1]!, ""), "messages[1].content: Hello {{name}} → Hi {{name}}")
    assert.strictEqual(PromptDiff.formatChange(changes[2]!, ""), "messages[2] added:\n  + {\"content\":\"ok\",\"role\":\"assistant\"}")
    assert.deepStrictEqual(PromptDiff.diff(draft, { ...draft, model: undefined }).map((c) => c.path), ["model"])
  })
})

describe("Evaluator", () => {
  it("is recognised by its global brand, also when another copy of the module made it", () => {
    const made = Evaluator.make({
      name: "n",
      data: [{ input: 1 }],
      task: (n: number) => Effect.succeed(n),
      scorers: []
    })
    assert.isTrue(Evaluator.isEvaluator(made))
    assert.isTrue(Evaluator.isEvaluator({ [Symbol.for("promptops/Evaluator")]: Symbol.for("promptops/Evaluator"), name: "x" }))
    assert.isFalse(Evaluator.isEvaluator({ name: "n", data: [], task: () => Effect.void, scorers: [] }))
    assert.isFalse(Evaluator.isEvaluator(null))
  })

  it("a dataset name becomes a stream of its records and is recorded on the experiment; overrides win", () => {
    const evaluator = Evaluator.make({
      name: "n",
      data: "qa",
      task: (input: unknown) => Effect.succeed(input),
      scorers: [],
      trials: 2,
      concurrency: 3
    })
    const options = Evaluator.toRunOptions(evaluator, { trials: 5, baseline: "exp-1" })
    assert.strictEqual(options.dataset, "qa")
    assert.strictEqual(options.trials, 5)
    assert.strictEqual(options.concurrency, 3)
    assert.strictEqual(options.baseline, "exp-1")
    assert.notStrictEqual(options.data as unknown, "qa")
  })
})

describe("baseline and progress", () => {
  it("parseBaseline: absent → the last good run, \"none\" → none, else a reference (name, id or id prefix)", () => {
    assert.deepStrictEqual(parseBaseline(Option.none()), { _tag: "Previous" })
    assert.deepStrictEqual(parseBaseline(Option.some(" none ")), { _tag: "None" })
    assert.deepStrictEqual(parseBaseline(Option.some("exp-7")), { _tag: "Ref", ref: "exp-7" })
  })

  it("the bar and the status text", () => {
    assert.strictEqual(Progress.bar(0.5, 10), "[#####-----]")
    assert.strictEqual(Progress.bar(2, 4), "[####]")
    assert.strictEqual(Progress.describe({ completed: 3, failed: 1, total: 10, elapsedMillis: 1500 }), "3/10, 1 failed, 1.5s")
    assert.strictEqual(Progress.describe({ completed: 3, failed: 0, total: undefined, elapsedMillis: 0 }), "3 done, 0.0s")
  })
})

describe("failure lines and states", () => {
  const failure = (caseId: string, scorer: string | undefined, input: unknown = "Ada") => ({ caseId, trial: 0, input, scorer, message: "boom" })

  it("a failure is one safe line: case#trial, an input excerpt of at most 60 characters, the error or the scorer's", () => {
    assert.strictEqual(EvalCommand.formatFailure(failure("ada", undefined)), "  ada#0  \"Ada\"  boom")
    assert.strictEqual(EvalCommand.formatFailure(failure("ada", "exact")), "  ada#0  \"Ada\"  scorer exact: boom")
    const long = EvalCommand.formatFailure({ ...failure("a-very-long-case-identifier", "x", { text: "x".repeat(200) }), message: "line\none\u001b[31m" })
    assert.notMatch(long, /[\u0000-\u001f]/)
    assert.isTrue(long.startsWith("  a-very-long…#0  {\"text\":\"xxx"), long)
    assert.strictEqual(long.split("  ")[2]!.length, 60)
    assert.isTrue(long.endsWith("scorer x: line one [31m"), long)
  })

  it("the first 5 failures, then how many more; nothing without failures", () => {
    const many = Array.from({ length: 5 }, (_, i) => failure(`c${i}`, undefined))
    const lines = EvalCommand.formatFailures(many, 9, "exp-1")
    assert.strictEqual(lines[0], "failures (9):")
    assert.strictEqual(lines.length, 7)
    assert.strictEqual(lines[6], "  … and 4 more (promptops experiments show exp-1 --results)")
    assert.strictEqual(EvalCommand.formatFailures(many, 5, "exp-1").length, 6)
    assert.deepStrictEqual(EvalCommand.formatFailures([], 0, "exp-1"), [])
  })

  it("states in a few words", () => {
    const state = { completed: 24, errors: 0, scorerErrors: 0 }
    assert.strictEqual(ExperimentsCommand.formatState(undefined), "-")
    assert.strictEqual(ExperimentsCommand.formatState({ ...state, status: "complete", total: 24 }), "complete")
    assert.strictEqual(ExperimentsCommand.formatState({ ...state, status: "partial", total: 100 }), "partial 24/100")
    assert.strictEqual(ExperimentsCommand.formatState({ ...state, status: "failed" }), "failed")
    assert.strictEqual(ExperimentsCommand.formatState({ ...state, status: "running" }), "running 24")
  })
})
