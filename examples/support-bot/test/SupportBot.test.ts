import { assert, describe, it } from "@effect/vitest"
import { Feedback, Memory, Tracing } from "@promptops/core"
import { Effect } from "effect"
import { App, evaluate } from "../src/Demo.js"
import * as SupportBot from "../src/SupportBot.js"

describe("support-bot", () => {
  it.effect("answers with the production prompt, traced as task → llm, and takes feedback", () =>
    Effect.gen(function*() {
      const reply = yield* SupportBot.answer("How do I reset my password?")
      assert.strictEqual(reply.text, "Use the reset link on the sign-in page.")
      yield* Feedback.log([{ targetId: reply.spanId, scores: { helpful: 1 } }])
      yield* Tracing.flush
      const state = yield* Memory.MemoryState
      const task = state.spans.get(reply.spanId)!
      assert.strictEqual(task.kind, "task")
      const llm = [...state.spans.values()].find((span) => span.parentSpanId === reply.spanId && span.kind === "llm")!
      assert.strictEqual(llm.name, "stand-in completion")
      assert.strictEqual(llm.metrics["completionTokens"], 8)
      assert.strictEqual([...state.feedback.values()][0]!.targetId, reply.spanId)
    }).pipe(Effect.provide(App)))

  it.effect("the candidate prompt cites articles (improves) but is less concise (regresses) vs production", () =>
    Effect.gen(function*() {
      const production = yield* evaluate("production", "production")
      const candidate = yield* evaluate("candidate", "candidate", production.experiment.id)
      assert.strictEqual(production.summary.scores["mentions_expected"]!.mean, 7 / 8)
      const cites = candidate.summary.scores["cites_article"]!
      assert.strictEqual(cites.improvements, 7)
      assert.closeTo(cites.diff!, 7 / 8, 1e-9)
      assert.strictEqual(candidate.summary.scores["concise"]!.regressions, 7)
      assert.strictEqual(candidate.summary.comparison?.id, production.experiment.id)
    }).pipe(Effect.provide(App)))
})
