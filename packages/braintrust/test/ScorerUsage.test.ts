/**
 * The scorers' usage (LLM judges) rides in the experiment row's `metrics`
 * under names of our own (`scorer_prompt_tokens`, `scorer_completion_tokens`,
 * `scorer_tokens`, `scorer_cost`) and reads back apart from the task's.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Eval from "@promptops/core/Eval"
import type { EvalResult } from "@promptops/core/Experiment"
import { Experiments } from "@promptops/core/Experiments"
import * as Trace from "@promptops/core/Trace"
import { BraintrustEmulator } from "@promptops/emulators"
import { Chunk, Effect, Layer, Redacted, Stream } from "effect"
import * as Braintrust from "../src/Braintrust.js"
import * as BraintrustExperiments from "../src/BraintrustExperiments.js"

const emulator = await BraintrustEmulator.start()
afterAll(() => emulator.close())

const backend = Braintrust.layer({
  apiKey: Redacted.make(emulator.apiKey),
  apiUrl: emulator.url,
  project: "scorer-usage"
}).pipe(Layer.provide(FetchHttpClient.layer))

describe("scorer usage on Braintrust", () => {
  it("is written under scorer_* metrics, beside the task's, and read back as scorerUsage", () => {
    const result: EvalResult = {
      caseId: "c",
      trial: 0,
      input: 1,
      output: 2,
      scores: { judge: 1 },
      metadata: {},
      durationMs: 10,
      usage: { promptTokens: 3, completionTokens: 1, totalTokens: 4, cost: 0.01 },
      scorerUsage: { promptTokens: 100, completionTokens: 20, totalTokens: 120, cost: 0.25 }
    }
    const row = BraintrustExperiments.resultToEvent("11111111-1111-4111-8111-111111111111", result, 1_000_000)
    assert.deepStrictEqual(row.metrics, {
      start: 999.99,
      end: 1000,
      prompt_tokens: 3,
      completion_tokens: 1,
      tokens: 4,
      cost: 0.01,
      scorer_prompt_tokens: 100,
      scorer_completion_tokens: 20,
      scorer_tokens: 120,
      scorer_cost: 0.25
    })
    const back = BraintrustExperiments.resultFromEvent(
      { ...row, span_id: row.id, root_span_id: row.id, _xact_id: "1", created: "2026-01-01T00:00:00Z" } as never
    )!
    assert.deepStrictEqual(back.usage, result.usage)
    assert.deepStrictEqual(back.scorerUsage, result.scorerUsage)
  })

  it.effect("an eval's judge usage is stored on the emulator and read back, and the summary has it", () =>
    Effect.gen(function*() {
      const run = yield* Eval.run({
        name: "judged",
        data: [{ id: "a", input: "abc" }],
        task: (input: string) => Effect.succeed(input),
        scorers: [
          Eval.scorer("judge", () =>
            Effect.as(
              Trace.annotate({ usage: { promptTokens: 100, completionTokens: 20 } }).pipe(Effect.withSpan("llm")),
              1
            ))
        ]
      })
      const experiments = yield* Experiments
      const results = Chunk.toReadonlyArray(yield* Stream.runCollect(experiments.results(run.experiment.id)))
      assert.deepStrictEqual(results[0]!.scorerUsage, { promptTokens: 100, completionTokens: 20, totalTokens: 120 })
      assert.isUndefined(results[0]!.usage)
      const summary = yield* experiments.summarize(run.experiment.id)
      assert.strictEqual(summary.metrics["scorerTotalTokens"]!.mean, 120)
      assert.isUndefined(summary.metrics["scorer_tokens"])
    }).pipe(Effect.provide(backend)))
})
