import { assert, describe, it } from "@effect/vitest"
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
        acc: { name: "acc", mean: 0.1, count: 1, improvements: 0, regressions: 0 },
        factuality: { name: "factuality", mean: 0.7, count: 1, improvements: 0, regressions: 0 }
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
    assert.strictEqual(lines[0], "name-e: 2 results, 0 errors (vs name-b)")
    assert.match(lines[2]!, /^acc\s+75\.0%\s+±0\.0%\s+1\s+1$/)
    assert.match(lines[3]!, /^duration\s+5\.0 ms\s+-5\.0 ms\s+2\s+0$/)
  })
})
