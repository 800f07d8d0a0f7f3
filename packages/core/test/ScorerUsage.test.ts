import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Eval from "../src/Eval.js"
import * as Experiments from "../src/Experiments.js"
import * as Memory from "../src/Memory.js"
import * as Summary from "../src/Summary.js"
import * as Trace from "../src/Trace.js"
import * as Tracing from "../src/Tracing.js"

const traced = Tracing.layer().pipe(Layer.provideMerge(Memory.layer({ deterministicIds: true })))

/** An LLM call inside a span, annotating its usage, as a judge's would. */
const llm = (promptTokens: number) =>
  Trace.annotate({ usage: { promptTokens, completionTokens: 2, cost: 0.001 } }).pipe(Effect.withSpan("llm"))

describe("usage annotated under a scorer", () => {
  it.effect("is the result's scorerUsage and the summary's scorer metrics, never the task's usage", () =>
    Effect.gen(function*() {
      const run = yield* Eval.run({
        name: "judged",
        data: [{ id: "a", input: "abc" }, { id: "b", input: "abcdefg" }],
        task: (input: string) => Effect.as(llm(input.length), input),
        scorers: [
          // On the score span itself, and in a span below it.
          Eval.scorer("judge", ({ output }) =>
            Effect.gen(function*() {
              yield* llm(100 * (output as string).length)
              yield* Trace.annotate({ usage: { cost: 0.5 } })
              return 1
            })),
          Eval.scorer("second", () => Effect.as(llm(1), 1))
        ]
      })
      const byId = Object.fromEntries(run.results!.map((r) => [r.caseId, r]))
      assert.deepStrictEqual(byId["a"]!.usage, { promptTokens: 3, completionTokens: 2, totalTokens: 5, cost: 0.001 })
      assert.deepStrictEqual(byId["a"]!.scorerUsage, {
        promptTokens: 301,
        completionTokens: 4,
        totalTokens: 305,
        cost: 0.502
      })
      assert.deepStrictEqual(byId["b"]!.scorerUsage!.promptTokens, 701)

      const summary = run.summary
      assert.strictEqual(summary.metrics["promptTokens"]!.mean, 5)
      assert.strictEqual(summary.metrics["scorerPromptTokens"]!.mean, 501)
      assert.strictEqual(summary.metrics["scorerCompletionTokens"]!.mean, 4)
      assert.strictEqual(summary.metrics["scorerTotalTokens"]!.mean, 505)
      assert.strictEqual(summary.metrics["scorerTotalTokens"]!.unit, "tokens")
      assert.closeTo(summary.metrics["scorerCost"]!.mean, 0.502, 1e-12)
      assert.strictEqual(summary.metrics["scorerCost"]!.unit, "usd")
      assert.match(Summary.toTable(summary), /^scorerTotalTokens\s+505\s*$/m)

      // Stored with the results and summarised again from the store.
      const stored = yield* Effect.flatMap(Experiments.Experiments, (experiments) =>
        experiments.summarize(run.experiment.id))
      assert.strictEqual(stored.metrics["scorerTotalTokens"]!.mean, 505)
    }).pipe(Effect.provide(traced)))

  it.effect("a run whose scorers report nothing has no scorerUsage and no scorer metrics", () =>
    Effect.gen(function*() {
      const run = yield* Eval.run({
        name: "plain",
        data: [{ input: "x" }],
        task: (input: string) => Effect.as(llm(1), input),
        scorers: [Eval.scorer("one", () => 1)]
      })
      assert.isUndefined(run.results![0]!.scorerUsage)
      assert.isUndefined(run.summary.metrics["scorerTotalTokens"])
      assert.strictEqual(run.summary.metrics["totalTokens"]!.mean, 3)
    }).pipe(Effect.provide(traced)))
})
