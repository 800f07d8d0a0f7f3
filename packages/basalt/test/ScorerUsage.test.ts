/**
 * The scorers' usage (LLM judges) goes to Basalt in the trace's
 * `metadata.promptops.scorerUsage` and reads back from the layer's results.
 */
import { assert, describe, it } from "@effect/vitest"
import type { EvalResult } from "@promptops/core/Experiment"
import { Experiments } from "@promptops/core/Experiments"
import { Chunk, Effect, Layer, Stream } from "effect"
import * as BasaltExperiments from "../src/BasaltExperiments.js"
import { type Captured, clientLayer } from "./fakeBasalt.js"

const basalt = (request: Captured) =>
  request.url.pathname === "/monitor/experiments"
    ? { status: 200, json: { id: "exp-1", name: "judged", featureSlug: "support-bot", createdAt: "2024-03-20T12:00:00Z" } }
    : { status: 200, json: { trace: { id: "trace-1" } } }

const result: EvalResult = {
  caseId: "c",
  trial: 0,
  input: "q",
  output: "a",
  scores: { judge: 1 },
  metadata: {},
  durationMs: 10,
  usage: { promptTokens: 3, completionTokens: 4 },
  scorerUsage: { promptTokens: 100, completionTokens: 20, totalTokens: 120, cost: 0.25 }
}

describe("scorer usage on Basalt", () => {
  it.effect("is sent in metadata.promptops.scorerUsage and read back apart from usage", () =>
    Effect.gen(function*() {
      const { captured, layer } = clientLayer(basalt)
      const { back, summary } = yield* Effect.gen(function*() {
        const experiments = yield* Experiments
        const experiment = yield* experiments.create({ name: "judged" })
        yield* experiments.log(experiment.id, [result])
        const back = Chunk.toReadonlyArray(yield* Stream.runCollect(experiments.results(experiment.id)))
        const summary = yield* experiments.summarize(experiment.id)
        return { back, summary }
      }).pipe(Effect.provide(BasaltExperiments.layer().pipe(Layer.provide(layer))))
      const trace = captured.find((request) => request.url.pathname === "/monitor/trace")!
      const promptops = (trace.json as { metadata: { promptops: Record<string, unknown> } }).metadata.promptops
      assert.deepStrictEqual(promptops["scorerUsage"], result.scorerUsage)
      assert.deepStrictEqual(promptops["usage"], result.usage)
      assert.deepStrictEqual(back[0]!.scorerUsage, result.scorerUsage)
      assert.strictEqual(summary.metrics["scorerCost"]!.mean, 0.25)
    }))
})
