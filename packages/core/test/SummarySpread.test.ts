import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as Eval from "../src/Eval.js"
import type { EvalResult, Experiment } from "../src/Experiment.js"
import { ExperimentSummary } from "../src/Experiment.js"
import * as Memory from "../src/Memory.js"
import * as Summary from "../src/Summary.js"

const experiment: Experiment = { id: "e", name: "trials", source: { provider: "memory" } }

const result = (caseId: string, trial: number, scores: Record<string, number | null>): EvalResult => ({
  caseId,
  trial,
  input: caseId,
  output: null,
  scores,
  metadata: {},
  durationMs: 10
})

// Case "a" varies over its trials (1, 0, 0.5: population sd √(1/6)), case "b"
// does not (sd 0), case "c" has one non-null trial and does not count.
const trialResults: ReadonlyArray<EvalResult> = [
  result("a", 0, { acc: 1, style: 1 }),
  result("a", 1, { acc: 0, style: 1 }),
  result("a", 2, { acc: 0.5, style: 1 }),
  result("b", 0, { acc: 1, style: 1 }),
  result("b", 1, { acc: 1, style: 1 }),
  result("b", 2, { acc: 1, style: 1 }),
  result("c", 0, { acc: 0.25, style: null }),
  result("c", 1, { acc: null, style: null })
]

describe("Summary: spread over trials", () => {
  it("is the mean over cases with ≥ 2 non-null trials of the per-case population sd", () => {
    const summary = Summary.compute({ experiment, results: trialResults })
    assert.closeTo(summary.scores["acc"]!.spread!, Math.sqrt(1 / 6) / 2, 1e-12)
    // Every trial agrees: the spread is exactly 0, not a rounding residue.
    assert.strictEqual(summary.scores["style"]!.spread, 0)
  })

  it("is absent without trials, and when no case has two non-null trials", () => {
    const once = Summary.compute({ experiment, results: [result("a", 0, { acc: 1 }), result("b", 0, { acc: 0 })] })
    assert.isFalse("spread" in once.scores["acc"]!)
    const skipped = Summary.compute({
      experiment,
      results: [result("a", 0, { acc: 1 }), result("a", 1, { acc: null }), result("b", 0, { acc: null })]
    })
    assert.isUndefined(skipped.scores["acc"]!.spread)
  })

  it("survives a merge with a vendor summary, and the summary's schema", () => {
    const local = Summary.compute({ experiment, results: trialResults })
    const merged = Summary.merge(local, {
      scores: {
        acc: { name: "acc", mean: 0.1, count: 1, improvements: 0, regressions: 0, missing: 0 },
        server: { name: "server", mean: 1, count: 1, improvements: 0, regressions: 0, missing: 0 }
      }
    })
    assert.closeTo(merged.scores["acc"]!.spread!, Math.sqrt(1 / 6) / 2, 1e-12)
    assert.isUndefined(merged.scores["server"]!.spread)
    const roundTrip = Schema.decodeUnknownSync(ExperimentSummary)(
      JSON.parse(JSON.stringify(Schema.encodeSync(ExperimentSummary)(merged)))
    )
    assert.strictEqual(roundTrip.scores["acc"]!.spread, merged.scores["acc"]!.spread)
  })
})

describe("Summary.toTable: the spread column", () => {
  it("shows ± the spread after the mean when some score has one", () => {
    const lines = Summary.toTable(Summary.compute({ experiment, results: trialResults })).split("\n")
    assert.match(lines[1]!, /^\s+mean\s+spread\s+diff\s+improved\s+regressed$/)
    // acc: mean of 1, 0, 0.5, 1, 1, 1, 0.25 = 4.75 / 7; spread √(1/6) / 2 = 20.4%.
    assert.match(lines[2]!, /^acc\s+67\.9%\s+±20\.4%\s*$/)
    assert.match(lines[3]!, /^style\s+100\.0%\s+±0\.0%\s*$/)
    assert.match(lines[4]!, /^duration\s+10\.0 ms\s*$/)
  })

  it("keeps the table without the column when no score has a spread", () => {
    const table = Summary.toTable(Summary.compute({ experiment, results: [result("a", 0, { acc: 1 })] }))
    assert.notInclude(table.split("\n")[1]!, "spread")
    assert.notInclude(table, "±")
    assert.match(table.split("\n")[1]!, /^\s+mean\s+diff\s+improved\s+regressed$/)
  })
})

describe("Eval.run with trials", () => {
  it.effect("a run with trials: 3 whose scores vary in one case reports the exact spread", () =>
    Effect.gen(function*() {
      const run = yield* Eval.run({
        name: "flaky",
        data: [{ id: "steady", input: "steady" }, { id: "flaky", input: "flaky" }],
        // The flaky case answers right on trials 0 and 2 only.
        task: (input: string, { trial }) => Effect.succeed(input === "flaky" && trial === 1 ? "wrong" : "right"),
        scorers: [Eval.scorer("right", ({ output }) => output === "right" ? 1 : 0)],
        trials: 3
      })
      assert.strictEqual(run.results!.length, 6)
      // flaky: 1, 0, 1 → population sd √2 / 3; steady: 0; the mean over the two cases.
      assert.closeTo(run.summary.scores["right"]!.spread!, Math.sqrt(2) / 3 / 2, 1e-12)
      assert.include(Summary.toTable(run.summary), "±23.6%")
    }).pipe(Effect.provide(Memory.layer())))

  it.effect("a run without trials reports no spread", () =>
    Effect.gen(function*() {
      const run = yield* Eval.run({
        name: "once",
        data: [{ input: "a" }, { input: "b" }],
        task: (input: string) => Effect.succeed(input),
        scorers: [Eval.scorer("isA", ({ output }) => output === "a" ? 1 : 0)]
      })
      assert.isUndefined(run.summary.scores["isA"]!.spread)
      assert.notInclude(Summary.toTable(run.summary).split("\n")[1]!, "spread")
    }).pipe(Effect.provide(Memory.layer())))
})
