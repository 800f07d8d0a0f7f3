import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { PromptOps, Prompts, Tracing } from "promptops"
import { ensurePrompts, evaluate } from "../src/Demo.js"
import * as Model from "../src/Model.js"
import * as SupportBot from "../src/SupportBot.js"

const App = Layer.merge(PromptOps.layerResolved({ provider: "memory" }), Model.standIn.layer)

describe("support-bot", () => {
  it.effect("answers with the production prompt, traced as task → llm, and takes feedback", () =>
    Effect.gen(function*() {
      yield* ensurePrompts
      const reply = yield* SupportBot.answer("How do I reset my password?")
      assert.strictEqual(reply.text, "Use the reset link on the sign-in page.")
      const feedback = yield* PromptOps.feedback
      yield* feedback.log([{ targetId: reply.spanId, scores: { helpful: 1 } }])
      yield* Tracing.flush
      const reader = yield* PromptOps.traceReader
      const { spans } = yield* reader.read({ limit: 1000 })
      const task = spans.find((span) => span.spanId === reply.spanId)!
      assert.strictEqual(task.kind, "task")
      const llm = spans.find((span) => span.parentSpanId === reply.spanId && span.kind === "llm")!
      // @effect/ai's span, named after the managed prompt by `ManagedPrompt.generateText`.
      assert.strictEqual(llm.name, "support-answer")
      assert.strictEqual(llm.metrics["completionTokens"], 8)
    }).pipe(Effect.provide(App)))

  it.effect("the candidate prompt cites articles (improves) but is less concise (regresses) vs production", () =>
    Effect.gen(function*() {
      yield* ensurePrompts
      const production = yield* evaluate("production", "production", Model.standIn)
      const candidate = yield* evaluate("candidate", "candidate", Model.standIn, production.experiment.id)
      assert.strictEqual(production.summary.scores["mentions_expected"]!.mean, 7 / 8)
      const cites = candidate.summary.scores["cites_article"]!
      assert.strictEqual(cites.improvements, 7)
      assert.closeTo(cites.diff!, 7 / 8, 1e-9)
      assert.strictEqual(candidate.summary.scores["concise"]!.regressions, 7)
      assert.strictEqual(candidate.summary.comparison?.id, production.experiment.id)
      // The stand-in judge: the 7 answers that state the expected fact are "C" (1), the deferral "D" (0).
      assert.strictEqual(production.summary.scores["factuality"]!.mean, 7 / 8)
      assert.strictEqual(candidate.summary.scores["factuality"]!.diff, 0)
    }).pipe(Effect.provide(App)))

  it.effect("pushes the prompts only when missing, so a re-run creates no version", () =>
    Effect.gen(function*() {
      yield* ensurePrompts
      yield* ensurePrompts
      // A second push would have made versions 3 and 4 and moved the tags there.
      assert.strictEqual((yield* Prompts.get("support-answer", { tag: "production" })).version, "1")
      assert.strictEqual((yield* Prompts.get("support-answer", { tag: "candidate" })).version, "2")
    }).pipe(Effect.provide(App)))
})
