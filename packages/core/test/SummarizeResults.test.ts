/**
 * `Experiments.summarizeResults`: the summary of results the caller holds is
 * the summary `summarize` reads back once they are stored (scores, scorer
 * errors, missing scores, usage, counts, the baseline comparison), and an
 * eval's summary never reads its own results back.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import type { EvalResult, Experiment } from "../src/Experiment.js"
import * as Eval from "../src/Eval.js"
import * as Experiments from "../src/Experiments.js"
import * as Memory from "../src/Memory.js"

const result = (caseId: string, scores: EvalResult["scores"], extra: Partial<EvalResult> = {}): EvalResult => ({
  caseId,
  trial: 0,
  input: caseId,
  output: `out ${caseId}`,
  scores,
  metadata: {},
  durationMs: 10,
  ...extra
})

describe("Experiments.summarizeResults", () => {
  it.effect("equals summarize over the stored results, baseline comparison included", () =>
    Effect.gen(function*() {
      const experiments = yield* Experiments.Experiments
      const baseline = yield* experiments.create({ name: "base" })
      yield* experiments.log(baseline.id, [result("a", { exact: 1, gone: 1 }), result("b", { exact: 1, gone: 0 })])
      const run = yield* experiments.create({ name: "run", baseline: baseline.id })
      const held = [
        result("a", { exact: 0 }, { usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 } }),
        result("b", { exact: 1 }, { scorerErrors: { judge: "the judge is out" } }),
        result("c", { exact: null }, { error: "the task failed" })
      ]
      yield* experiments.log(run.id, held)
      const stored = yield* experiments.summarize(run.id)
      const fromHeld = yield* experiments.summarizeResults(run, held)
      assert.deepStrictEqual(fromHeld, stored)
      assert.deepStrictEqual(stored.missingScores, ["gone"])
    }).pipe(Effect.provide(Memory.layer())))

  it.effect("an eval's summary reads the baseline's results, never its own", () =>
    Effect.gen(function*() {
      // A backend that records which experiments' results are read (and answers like the memory one otherwise).
      const read: Array<string> = []
      const experiments = new Map<string, Experiment>()
      const stored = new Map<string, Array<EvalResult>>()
      const get = (id: string) => Effect.sync(() => experiments.get(id)!)
      const service = Experiments.make({
        provider: "test",
        create: (options) =>
          Effect.sync(() => {
            const experiment: Experiment = {
              id: `exp-${experiments.size + 1}`,
              name: options.name,
              ...(options.baseline !== undefined ? { baseline: options.baseline } : {}),
              source: { provider: "test" }
            }
            experiments.set(experiment.id, experiment)
            stored.set(experiment.id, [])
            return experiment
          }),
        get,
        list: () => Stream.suspend(() => Stream.fromIterable([...experiments.values()].reverse())),
        log: (id, batch) => Effect.sync(() => void stored.get(id)!.push(...batch)),
        results: (id) => Stream.suspend(() => (read.push(id), Stream.fromIterable(stored.get(id) ?? []))),
        setState: (id, state) => Effect.map(get(id), (experiment) => void experiments.set(id, { ...experiment, state }))
      })
      const options = {
        data: [{ id: "a", input: "A", expected: "A" }, { id: "b", input: "B", expected: "B" }],
        task: (input: string) => Effect.succeed(input),
        scorers: [Eval.scorer("exact", ({ expected, output }) => (output === expected ? 1 : 0))]
      }
      yield* Effect.gen(function*() {
        const first = yield* Eval.run({ name: "e", ...options })
        assert.deepStrictEqual(read, [])
        const second = yield* Eval.run({ name: "e", ...options, baseline: first.experiment.id })
        assert.deepStrictEqual(read, [first.experiment.id])
        // The same summary a read-back gives.
        const again = yield* service.summarize(second.experiment.id)
        assert.deepStrictEqual(second.summary, { ...again, state: second.state })
        assert.strictEqual(second.summary.scores["exact"]!.diff, 0)
      }).pipe(Effect.provide(Layer.succeed(Experiments.Experiments, service)))
    }))
})
