import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import type { EvalResult, Experiment } from "../src/Experiment.js"
import * as Summary from "../src/Summary.js"

const experiment = (id: string): Experiment => ({ id, name: `name-${id}`, source: { provider: "memory" } })

const result = (
  caseId: string,
  scores: Record<string, number | null>,
  options: { trial?: number; durationMs?: number; error?: string; totalTokens?: number } = {}
): EvalResult => ({
  caseId,
  trial: options.trial ?? 0,
  input: caseId,
  output: null,
  scores,
  metadata: {},
  durationMs: options.durationMs ?? 10,
  ...(options.error !== undefined ? { error: options.error } : {}),
  ...(options.totalTokens !== undefined ? { usage: { totalTokens: options.totalTokens } } : {})
})

describe("Summary.compute", () => {
  it("means skip nulls but keep the column", () => {
    const summary = Summary.compute({
      experiment: experiment("e"),
      results: [result("a", { acc: 1, style: null }), result("b", { acc: 0, style: null })]
    })
    assert.strictEqual(summary.scores["acc"]!.mean, 0.5)
    assert.strictEqual(summary.scores["acc"]!.count, 2)
    assert.strictEqual(summary.scores["style"]!.count, 0)
    assert.isUndefined(summary.scores["acc"]!.diff)
    assert.strictEqual(summary.computedBy, "local")
  })

  it("averages trials per case before comparing, so a case counts once", () => {
    const summary = Summary.compute({
      experiment: experiment("e"),
      results: [result("a", { acc: 1 }, { trial: 0 }), result("a", { acc: 0 }, { trial: 1 })],
      baseline: experiment("b"),
      baselineResults: [result("a", { acc: 0.25 })]
    })
    const acc = summary.scores["acc"]!
    assert.closeTo(acc.diff!, 0.25, 1e-12)
    assert.strictEqual(acc.improvements, 1)
    assert.strictEqual(acc.regressions, 0)
    assert.deepStrictEqual(summary.comparison, { id: "b", name: "name-b" })
  })

  it("only matched cases are compared", () => {
    const summary = Summary.compute({
      experiment: experiment("e"),
      results: [result("a", { acc: 1 }), result("new", { acc: 0 })],
      baseline: experiment("b"),
      baselineResults: [result("a", { acc: 1 }), result("gone", { acc: 1 })]
    })
    const acc = summary.scores["acc"]!
    assert.strictEqual(acc.diff, 0)
    assert.strictEqual(acc.improvements + acc.regressions, 0)
  })

  it("metrics improve when they go down; errors are counted", () => {
    const summary = Summary.compute({
      experiment: experiment("e"),
      results: [
        result("a", { acc: 1 }, { durationMs: 5, totalTokens: 100 }),
        result("b", {}, { durationMs: 50, error: "boom" })
      ],
      baseline: experiment("b"),
      baselineResults: [result("a", { acc: 1 }, { durationMs: 10, totalTokens: 80 }), result("b", {}, { durationMs: 20 })]
    })
    assert.strictEqual(summary.errors, 1)
    const duration = summary.metrics["duration"]!
    assert.strictEqual(duration.unit, "ms")
    assert.strictEqual(duration.improvements, 1)
    assert.strictEqual(duration.regressions, 1)
    const tokens = summary.metrics["totalTokens"]!
    assert.strictEqual(tokens.regressions, 1)
    assert.strictEqual(tokens.diff, 20)
  })

  it("a score may be named like an Object.prototype member, __proto__ included", () => {
    const scores = JSON.parse('{"__proto__":1,"toString":0.5,"constructor":0}') as Record<string, number>
    const summary = Summary.compute({ experiment: experiment("e"), results: [result("a", scores)] })
    assert.deepStrictEqual(Object.keys(summary.scores).sort(), ["__proto__", "constructor", "toString"])
    assert.strictEqual(Object.getOwnPropertyDescriptor(summary.scores, "__proto__")?.value.mean, 1)
    assert.strictEqual(summary.scores["toString"]!.mean, 0.5)
    assert.strictEqual(Object.getPrototypeOf(summary.scores), Object.prototype)
  })
})

describe("Summary.merge and hasRegressions", () => {
  it("local columns win; vendor-only columns are added", () => {
    const local = Summary.compute({ experiment: experiment("e"), results: [result("a", { acc: 1 })] })
    const merged = Summary.merge(local, {
      url: "https://vendor/e",
      scores: {
        acc: { name: "acc", mean: 0.1, count: 1, improvements: 0, regressions: 0, missing: 0 },
        factuality: { name: "factuality", mean: 0.7, count: 1, improvements: 0, regressions: 0, missing: 0 }
      }
    })
    assert.strictEqual(merged.scores["acc"]!.mean, 1)
    assert.strictEqual(merged.scores["factuality"]!.mean, 0.7)
    assert.strictEqual(merged.url, "https://vendor/e")
    assert.strictEqual(merged.computedBy, "local+provider")
  })

  it("a regression in any score trips the CI gate", () => {
    const base = [result("a", { acc: 1 }), result("b", { acc: 1 })]
    const same = Summary.compute({ experiment: experiment("e"), results: base, baseline: experiment("b"), baselineResults: base })
    assert.isFalse(Summary.hasRegressions(same))
    const worse = Summary.compute({
      experiment: experiment("e"),
      results: [result("a", { acc: 1 }), result("b", { acc: 0.5 })],
      baseline: experiment("b"),
      baselineResults: base
    })
    assert.isTrue(Summary.hasRegressions(worse))
  })
})

describe("Summary.toTable", () => {
  it("shows means, signed diffs and counts against the baseline", () => {
    const summary = Summary.compute({
      experiment: experiment("e"),
      results: [result("a", { acc: 1 }, { durationMs: 5 }), result("b", { acc: 0.5 }, { durationMs: 5 })],
      baseline: experiment("b"),
      baselineResults: [result("a", { acc: 0.5 }, { durationMs: 10 }), result("b", { acc: 1 }, { durationMs: 10 })]
    })
    const table = Summary.toTable(summary)
    const lines = table.split("\n")
    assert.strictEqual(lines[0], "name-e: 2 results, 0 errors, 0 scorer errors (vs name-b)")
    assert.match(lines[2]!, /^acc\s+75\.0%\s+±0\.0%\s+1\s+1$/)
    assert.match(lines[3]!, /^duration\s+5\.0 ms\s+-5\.0 ms\s+2\s+0$/)
  })
})

describe("Summary: scores the baseline has and this run lacks", () => {
  it("a case whose score is gone (scorer error, task error, skip) is missing and a regression", () => {
    const summary = Summary.compute({
      experiment: experiment("e"),
      results: [
        { ...result("a", {}), scorerErrors: { acc: "judge crashed" } },
        result("b", {}, { error: "task failed" }),
        result("c", { acc: null }),
        result("d", { acc: 1 }),
        result("new", { acc: 1 })
      ],
      baseline: experiment("b"),
      baselineResults: ["a", "b", "c", "d", "gone"].map((id) => result(id, { acc: 1 }))
    })
    const acc = summary.scores["acc"]!
    assert.strictEqual(acc.missing, 3)
    assert.strictEqual(acc.regressions, 3)
    assert.strictEqual(acc.diff, 0, "the diff is over the cases both scored")
    assert.strictEqual(summary.scorerErrors, 1)
    assert.strictEqual(summary.errors, 1)
    assert.deepStrictEqual(summary.missingScores, [])
    assert.isTrue(Summary.hasRegressions(summary))
  })

  it("a score missing from the whole run is listed, has a row, and fails the gate", () => {
    const summary = Summary.compute({
      experiment: experiment("e"),
      results: [{ ...result("a", { style: 1 }), scorerErrors: { acc: "boom" } }, result("b", { style: 1 })],
      baseline: experiment("b"),
      baselineResults: [result("a", { acc: 1, style: 1 }), result("b", { acc: 1, style: 1 })]
    })
    assert.deepStrictEqual(summary.missingScores, ["acc"])
    assert.deepStrictEqual(summary.scores["acc"], { name: "acc", mean: 0, count: 0, improvements: 0, regressions: 2, missing: 2 })
    assert.isTrue(Summary.hasRegressions(summary))
    // A missing score fails the gate even when no case of this run matches the baseline's.
    const disjoint = Summary.compute({
      experiment: experiment("e"),
      results: [result("x", { style: 1 })],
      baseline: experiment("b"),
      baselineResults: [result("a", { acc: 1, style: 1 })]
    })
    assert.deepStrictEqual(disjoint.missingScores, ["acc"])
    assert.strictEqual(disjoint.scores["acc"]!.regressions, 0)
    assert.isTrue(Summary.hasRegressions(disjoint))
    const table = Summary.toTable(summary)
    assert.include(table, "name-e: 2 results, 0 errors, 1 scorer errors (vs name-b)")
    assert.include(table, "missing scores (in the baseline, absent from this run): acc")
    assert.match(table, /^acc\s+—\s+0\s+2\s+2$/m)
  })

  it("a metric the run no longer reports is not a regression", () => {
    const summary = Summary.compute({
      experiment: experiment("e"),
      results: [result("a", { acc: 1 })],
      baseline: experiment("b"),
      baselineResults: [result("a", { acc: 1 }, { totalTokens: 10 })]
    })
    assert.isFalse(Summary.hasRegressions(summary))
    assert.isUndefined(summary.metrics["totalTokens"])
  })

  it("property: removing a score from k random cases gives exactly k missing and k regressions", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 30, maxLength: 30 }),
        fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
        fc.constantFrom("drop", "null", "scorerError"),
        (ids, values, removed, how) => {
          const baselineResults = ids.map((id, i) => result(id, { acc: values[i]!, other: 1 }))
          let k = 0
          const results = ids.map((id, i) => {
            if (!removed[i]) return result(id, { acc: values[i]!, other: 1 })
            k++
            if (how === "null") return result(id, { acc: null, other: 1 })
            if (how === "scorerError") return { ...result(id, { other: 1 }), scorerErrors: { acc: "failed" } }
            return result(id, { other: 1 })
          })
          const summary = Summary.compute({ experiment: experiment("e"), results, baseline: experiment("b"), baselineResults })
          const all = k === ids.length && how !== "null"
          assert.strictEqual(summary.scores["acc"]!.missing, k)
          assert.strictEqual(summary.scores["acc"]!.regressions, k)
          assert.strictEqual(summary.scores["acc"]!.improvements, 0)
          assert.deepStrictEqual(summary.missingScores, all ? ["acc"] : [])
          assert.strictEqual(summary.scorerErrors, how === "scorerError" ? k : 0)
          assert.strictEqual(Summary.hasRegressions(summary), k > 0)
        }
      ),
      { numRuns: 200 }
    )
  })
})

describe("Summary.toTable formats metrics by unit", () => {
  it("durations, counts and money; unknown units plainly; only scores as percentages", () => {
    const summary = Summary.compute({
      experiment: experiment("e"),
      results: [
        { ...result("a", { acc: 0.5 }, { durationMs: 1500 }), usage: { promptTokens: 500, completionTokens: 300, totalTokens: 800, cost: 0.0025 } }
      ]
    })
    const table = Summary.merge(summary, {
      metrics: { widgets: { name: "widgets", mean: 3, unit: "widgets", improvements: 0, regressions: 0 }, raw: { name: "raw", mean: 0.5, improvements: 0, regressions: 0 } }
    })
    const lines = Summary.toTable(table).split("\n")
    const row = (name: string) => lines.find((line) => line.startsWith(`${name} `))!
    assert.match(row("acc"), /^acc\s+50\.0%/)
    assert.match(row("duration"), /^duration\s+1\.50 s\s*$/)
    assert.match(row("promptTokens"), /^promptTokens\s+500\s*$/)
    assert.match(row("completionTokens"), /^completionTokens\s+300\s*$/)
    assert.match(row("totalTokens"), /^totalTokens\s+800\s*$/)
    assert.match(row("cost"), /^cost\s+\$0\.0025\s*$/)
    assert.match(row("widgets"), /^widgets\s+3 widgets\s*$/)
    assert.match(row("raw"), /^raw\s+0\.5\s*$/)
    for (const line of lines.slice(2)) if (!line.startsWith("acc")) assert.notInclude(line, "%", line)
  })

  it("a partial or failed run says so above the table", () => {
    const summary = Summary.compute({
      experiment: {
        ...experiment("e"),
        state: { status: "partial", total: 100, completed: 24, errors: 0, scorerErrors: 0, reason: "interrupted" }
      },
      results: [result("a", { acc: 1 })]
    })
    assert.strictEqual(Summary.toTable(summary).split("\n")[1], "partial (interrupted): 24 of 100 results")
  })
})
