/**
 * The scorers' usage (LLM judges) is stored with each result and read back
 * apart from the task's.
 */
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Eval from "@promptops/core/Eval"
import { Experiments } from "@promptops/core/Experiments"
import * as Trace from "@promptops/core/Trace"
import { Chunk, Effect, Stream } from "effect"
import * as Local from "../src/Local.js"

const dir = fs.mkdtempSync(Path.join(tmpdir(), "promptops-local-scorer-usage-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe("scorer usage in the local store", () => {
  it.effect("is stored with the result, read back as scorerUsage, and summarised apart from the task's", () =>
    Effect.gen(function*() {
      const run = yield* Eval.run({
        name: "judged",
        data: [{ id: "a", input: "abc" }],
        task: (input: string) =>
          Effect.as(Trace.annotate({ usage: { promptTokens: 3, completionTokens: 1 } }).pipe(Effect.withSpan("llm")), input),
        scorers: [
          Eval.scorer("judge", () =>
            Effect.as(
              Trace.annotate({ usage: { promptTokens: 100, completionTokens: 20, cost: 0.25 } }).pipe(Effect.withSpan("llm")),
              1
            ))
        ]
      }).pipe(Effect.provide(Local.layer({ dir })))
      assert.deepStrictEqual(run.results![0]!.scorerUsage, {
        promptTokens: 100,
        completionTokens: 20,
        totalTokens: 120,
        cost: 0.25
      })

      // A fresh open of the store reads it back.
      const { results, summary } = yield* Effect.gen(function*() {
        const experiments = yield* Experiments
        const results = Chunk.toReadonlyArray(yield* Stream.runCollect(experiments.results(run.experiment.id)))
        const summary = yield* experiments.summarize(run.experiment.id)
        return { results, summary }
      }).pipe(Effect.provide(Local.layer({ dir })))
      assert.deepStrictEqual(results[0]!.usage, { promptTokens: 3, completionTokens: 1, totalTokens: 4 })
      assert.deepStrictEqual(results[0]!.scorerUsage, run.results![0]!.scorerUsage)
      assert.strictEqual(summary.metrics["scorerTotalTokens"]!.mean, 120)
      assert.strictEqual(summary.metrics["scorerCost"]!.mean, 0.25)
      assert.strictEqual(summary.metrics["totalTokens"]!.mean, 4)
    }))
})
