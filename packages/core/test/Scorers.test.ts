import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import * as Eval from "../src/Eval.js"
import * as Memory from "../src/Memory.js"
import type { InvalidInput } from "../src/PromptOpsError.js"
import * as Scorers from "../src/Scorers.js"

const args = (output: unknown, expected?: unknown, input: unknown = "in"): Eval.ScorerArgs => ({
  input,
  output,
  expected,
  metadata: {},
  tags: [],
  caseId: "c",
  trial: 0
})

/** The scores a scorer gives, as `{ name, score, metadata? }` objects. */
const scoresOf = (
  scorer: Scorers.DeterministicScorer,
  output: unknown,
  expected?: unknown
): ReadonlyArray<Eval.Score> | null => {
  const result = Effect.runSync(scorer.score(args(output, expected)))
  if (result === null) return null
  if (typeof result === "number") return [{ name: scorer.name, score: result }]
  return Array.isArray(result) ? result : [result as Eval.Score]
}

/** The one score a scorer gives (null when it skips). */
const scoreOf = (scorer: Scorers.DeterministicScorer, output: unknown, expected?: unknown): number | null => {
  const scores = scoresOf(scorer, output, expected)
  if (scores === null) return null
  assert.strictEqual(scores.length, 1)
  return scores[0]!.score
}

const reasonOf = (scorer: Scorers.DeterministicScorer, output: unknown, expected?: unknown): unknown =>
  scoresOf(scorer, output, expected)?.[0]?.metadata?.["reason"]

const failureOf = (scorer: Scorers.DeterministicScorer, output: unknown, expected?: unknown): InvalidInput => {
  const result = Effect.runSync(Effect.either(scorer.score(args(output, expected))))
  assert.isTrue(Either.isLeft(result), "expected the scorer to fail")
  return (result as Either.Left<InvalidInput, unknown>).left
}

describe("Scorers: the shared rules", () => {
  const all: ReadonlyArray<Scorers.DeterministicScorer> = [
    Scorers.exact(),
    Scorers.contains(),
    Scorers.levenshtein(),
    Scorers.numericCloseness(),
    Scorers.jsonDiff(),
    Scorers.listOverlap()
  ]

  it("skip (null, not 0) when there is nothing to compare against", () => {
    for (const scorer of all) assert.isNull(scoreOf(scorer, "anything", undefined), scorer.name)
  })

  it("are named after themselves, or after `name`", () => {
    assert.deepStrictEqual(all.map((scorer) => scorer.name), [
      "exact",
      "contains",
      "levenshtein",
      "numericCloseness",
      "jsonDiff",
      "listOverlap"
    ])
    assert.strictEqual(Scorers.exact({ name: "strict" }).name, "strict")
    assert.deepStrictEqual(scoresOf(Scorers.levenshtein({ name: "edit" }), "abc", "abc"), [{ name: "edit", score: 1 }])
    assert.strictEqual(Scorers.regex(/x/, { name: "has-x" }).name, "has-x")
    assert.strictEqual(Scorers.jsonValid({ name: "json" }).name, "json")
    assert.strictEqual(Scorers.schemaMatch(Schema.String, { name: "str" }).name, "str")
  })

  it("`expected` picks what to compare against, and undefined from it skips", () => {
    const scorer = Scorers.exact<{ readonly answer: string }>({
      expected: ({ input }) => (input as { readonly answer?: string }).answer
    })
    const run = (input: unknown, output: unknown) =>
      Effect.runSync(scorer.score({ ...args(output, "ignored"), input } as Eval.ScorerArgs<{ readonly answer: string }>))
    assert.deepStrictEqual(run({ answer: "42" }, "42"), { name: "exact", score: 1 })
    assert.deepStrictEqual(run({ answer: "42" }, "ignored"), { name: "exact", score: 0 })
    assert.isNull(run({}, "42"))
  })
})

describe("Scorers.exact", () => {
  it("compares strings exactly by default", () => {
    assert.strictEqual(scoreOf(Scorers.exact(), "Hello Ada", "Hello Ada"), 1)
    assert.strictEqual(scoreOf(Scorers.exact(), "hello ada", "Hello Ada"), 0)
    assert.strictEqual(scoreOf(Scorers.exact(), "Hello  Ada ", "Hello Ada"), 0)
  })

  it("ignoreCase and normalizeWhitespace (runs collapsed, ends trimmed)", () => {
    assert.strictEqual(scoreOf(Scorers.exact({ ignoreCase: true }), "hello ADA", "Hello Ada"), 1)
    assert.strictEqual(scoreOf(Scorers.exact({ ignoreCase: true }), "hello  ada", "Hello Ada"), 0)
    assert.strictEqual(scoreOf(Scorers.exact({ normalizeWhitespace: true }), "  Hello \n\t Ada ", "Hello Ada"), 1)
    assert.strictEqual(scoreOf(Scorers.exact({ normalizeWhitespace: true }), "HelloAda", "Hello Ada"), 0)
    const both = Scorers.exact({ ignoreCase: true, normalizeWhitespace: true })
    assert.strictEqual(scoreOf(both, " HELLO\n ada", "hello Ada"), 1)
  })

  it("compares other values by canonical JSON: key order does not matter, types do", () => {
    assert.strictEqual(scoreOf(Scorers.exact(), { a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 }), 1)
    assert.strictEqual(scoreOf(Scorers.exact(), { a: 1 }, { a: 2 }), 0)
    assert.strictEqual(scoreOf(Scorers.exact(), 1, "1"), 0)
    assert.strictEqual(scoreOf(Scorers.exact(), null, null), 1)
  })
})

describe("Scorers.contains", () => {
  it("a string expected: 1 or 0, case-sensitive unless ignoreCase", () => {
    assert.strictEqual(scoreOf(Scorers.contains(), "Your refund is on its way", "refund"), 1)
    assert.strictEqual(scoreOf(Scorers.contains(), "Your Refund is on its way", "refund"), 0)
    assert.strictEqual(scoreOf(Scorers.contains({ ignoreCase: true }), "Your Refund is on its way", "REFUND"), 1)
  })

  it("an array expected: the fraction contained, the missing ones in metadata", () => {
    const scores = scoresOf(Scorers.contains(), "refund in 5 days", ["refund", "5 days", "apology", "order"])
    assert.deepStrictEqual(scores, [{ name: "contains", score: 0.5, metadata: { missing: ["apology", "order"] } }])
    assert.strictEqual(scoreOf(Scorers.contains(), "anything", []), 1)
    assert.strictEqual(scoreOf(Scorers.contains(), "order 42", 42), 1)
  })

  it("an output that is not a string scores 0 with the reason; a bad expected is InvalidInput", () => {
    assert.strictEqual(scoreOf(Scorers.contains(), { text: "refund" }, "refund"), 0)
    assert.strictEqual(reasonOf(Scorers.contains(), { text: "refund" }, "refund"), "output is an object, not a string")
    const error = failureOf(Scorers.contains(), "refund", { word: "refund" })
    assert.strictEqual(error._tag, "InvalidInput")
    assert.strictEqual(error.path, "expected")
    assert.strictEqual(error.operation, "Scorers.contains")
    assert.include(error.message, "expected must be a string or an array of strings; got an object")
  })
})

describe("Scorers.regex", () => {
  it("a RegExp: 1 when the output matches; g/y flags do not make it stateful", () => {
    const scorer = Scorers.regex(/\d+ days/g)
    assert.strictEqual(scorer.name, "regex")
    assert.strictEqual(scoreOf(scorer, "in 5 days"), 1)
    assert.strictEqual(scoreOf(scorer, "in 5 days"), 1)
    assert.strictEqual(scoreOf(scorer, "soon"), 0)
    assert.strictEqual(reasonOf(scorer, 5), "output is a number, not a string")
  })

  it.effect("a string pattern compiles once, with flags", () =>
    Effect.gen(function*() {
      const scorer = yield* Scorers.regex("^order #\\d+$", { flags: "i", name: "order" })
      assert.strictEqual(scorer.name, "order")
      assert.strictEqual(scoreOf(scorer, "ORDER #42"), 1)
      assert.strictEqual(scoreOf(scorer, "order 42"), 0)
    }))

  it.effect("a bad pattern is InvalidInput at construction, naming the pattern", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Scorers.regex("(unclosed"))
      assert.strictEqual(error._tag, "InvalidInput")
      assert.strictEqual(error.path, "pattern")
      assert.strictEqual(error.operation, "Scorers.regex")
      assert.include(error.message, `the pattern "(unclosed" does not compile`)
      const flags = yield* Effect.flip(Scorers.regex("a", { flags: "qq" }))
      assert.include(flags.message, `with flags "qq" does not compile`)
    }))
})

describe("Scorers.levenshtein", () => {
  it("is 1 - distance / max length", () => {
    // kitten → sitting: 3 edits over 7 characters.
    assert.closeTo(scoreOf(Scorers.levenshtein(), "kitten", "sitting")!, 1 - 3 / 7, 1e-12)
    assert.strictEqual(scoreOf(Scorers.levenshtein(), "", ""), 1)
    assert.strictEqual(scoreOf(Scorers.levenshtein(), "abc", ""), 0)
    assert.strictEqual(scoreOf(Scorers.levenshtein(), "abc", "xyz"), 0)
  })

  it("ignoreCase folds case first", () => {
    assert.closeTo(scoreOf(Scorers.levenshtein(), "ABC", "abd")!, 0, 1e-12)
    assert.closeTo(scoreOf(Scorers.levenshtein({ ignoreCase: true }), "ABC", "abd")!, 2 / 3, 1e-12)
  })

  it("compares other values by their canonical JSON text", () => {
    assert.strictEqual(scoreOf(Scorers.levenshtein(), { b: 1, a: 2 }, { a: 2, b: 1 }), 1)
    assert.closeTo(scoreOf(Scorers.levenshtein(), 123, 124)!, 2 / 3, 1e-12)
  })
})

describe("Scorers.numericCloseness", () => {
  it("is 1 - |a - b| / max(|a|, |b|), numeric strings included", () => {
    assert.strictEqual(scoreOf(Scorers.numericCloseness(), 10, 10), 1)
    assert.closeTo(scoreOf(Scorers.numericCloseness(), 8, 10)!, 0.8, 1e-12)
    assert.closeTo(scoreOf(Scorers.numericCloseness(), " 8 ", "10")!, 0.8, 1e-12)
    assert.strictEqual(scoreOf(Scorers.numericCloseness(), 0, 0), 1)
    assert.strictEqual(scoreOf(Scorers.numericCloseness(), 0, 5), 0)
  })

  it("opposite signs clamp to 0", () => {
    assert.strictEqual(scoreOf(Scorers.numericCloseness(), -3, 5), 0)
  })

  it("within the absolute tolerance is 1", () => {
    assert.strictEqual(scoreOf(Scorers.numericCloseness({ tolerance: 0.5 }), 10.4, 10), 1)
    assert.closeTo(scoreOf(Scorers.numericCloseness({ tolerance: 0.5 }), 9, 10)!, 0.9, 1e-12)
  })

  it("a non-number output scores 0 with why; a non-number expected or a bad tolerance is InvalidInput", () => {
    assert.strictEqual(scoreOf(Scorers.numericCloseness(), "about ten", 10), 0)
    assert.strictEqual(reasonOf(Scorers.numericCloseness(), "about ten", 10), `output "about ten" is not a number`)
    assert.strictEqual(reasonOf(Scorers.numericCloseness(), null, 10), "output is null, not a number")
    assert.strictEqual(reasonOf(Scorers.numericCloseness(), Number.NaN, 10), "output is a number, not a number")
    assert.strictEqual(failureOf(Scorers.numericCloseness(), 1, "ten").path, "expected")
    const tolerance = failureOf(Scorers.numericCloseness({ tolerance: -1 }), 1, 1)
    assert.strictEqual(tolerance.path, "tolerance")
    assert.include(tolerance.message, "tolerance must be a finite number ≥ 0; got -1")
  })
})

describe("Scorers.jsonValid", () => {
  it("a string must parse; a value must be JSON data", () => {
    assert.strictEqual(scoreOf(Scorers.jsonValid(), `{"a": [1, true, null]}`), 1)
    assert.strictEqual(scoreOf(Scorers.jsonValid(), `"text"`), 1)
    assert.strictEqual(scoreOf(Scorers.jsonValid(), `{"a": 1,}`), 0)
    assert.match(String(reasonOf(Scorers.jsonValid(), `{"a": 1,}`)), /^not JSON: /)
    assert.strictEqual(scoreOf(Scorers.jsonValid(), { a: [1, "x", null], b: undefined }), 1)
    assert.strictEqual(reasonOf(Scorers.jsonValid(), { a: [1, Number.NaN] }), "not JSON: $.a[1] is NaN, which JSON cannot hold")
    assert.strictEqual(reasonOf(Scorers.jsonValid(), { when: new Date(0) }), "not JSON: $.when is a Date, not plain JSON data")
    const circular: Record<string, unknown> = {}
    circular.self = circular
    assert.strictEqual(scoreOf(Scorers.jsonValid(), circular), 0)
  })

  it("with a Schema, the parsed value must also decode; the decode error is in metadata", () => {
    const scorer = Scorers.jsonValid({ schema: Schema.Struct({ intent: Schema.Literal("refund", "other") }) })
    assert.strictEqual(scoreOf(scorer, `{"intent":"refund"}`), 1)
    assert.strictEqual(scoreOf(scorer, `{"intent":"shipping"}`), 0)
    const reason = String(reasonOf(scorer, `{"intent":"shipping"}`))
    assert.match(reason, /^does not match the schema: /)
    assert.include(reason, `"shipping"`)
  })
})

describe("Scorers.schemaMatch", () => {
  const Answer = Schema.Struct({ answer: Schema.Number, sources: Schema.Array(Schema.String) })

  it("a value or a JSON string that decodes: 1", () => {
    const scorer = Scorers.schemaMatch(Answer)
    assert.strictEqual(scorer.name, "schemaMatch")
    assert.strictEqual(scoreOf(scorer, { answer: 42, sources: ["a"] }), 1)
    assert.strictEqual(scoreOf(scorer, `{"answer": 42, "sources": []}`), 1)
    // A plain string schema matches the string itself.
    assert.strictEqual(scoreOf(Scorers.schemaMatch(Schema.String), "{not json"), 1)
  })

  it("else 0 with the decode error", () => {
    const scorer = Scorers.schemaMatch(Answer)
    assert.strictEqual(scoreOf(scorer, { answer: "42", sources: [] }), 0)
    assert.include(String(reasonOf(scorer, { answer: "42", sources: [] })), "answer")
    assert.strictEqual(scoreOf(scorer, `{"answer": 42}`), 0)
    assert.include(String(reasonOf(scorer, `{"answer": 42}`)), "sources")
    assert.strictEqual(scoreOf(scorer, "not json"), 0)
  })
})

describe("Scorers.jsonDiff", () => {
  it("identical values (key order aside) score 1, JSON strings included", () => {
    const value = { name: "Ada", tags: ["a", "b"], n: 3, ok: true, none: null }
    assert.strictEqual(scoreOf(Scorers.jsonDiff(), value, { ...value }), 1)
    assert.strictEqual(scoreOf(Scorers.jsonDiff(), JSON.stringify(value), { none: null, ok: true, n: 3, tags: ["a", "b"], name: "Ada" }), 1)
  })

  it("objects: mean over the union of keys; a key on one side only scores 0", () => {
    // a: equal (1), b: 8 vs 10 (0.8), c: only in output (0) → 1.8 / 3.
    assert.closeTo(scoreOf(Scorers.jsonDiff(), { a: true, b: 8, c: 1 }, { a: true, b: 10 })!, 1.8 / 3, 1e-12)
  })

  it("arrays: mean over positions, missing positions score 0; strings by Levenshtein", () => {
    assert.closeTo(scoreOf(Scorers.jsonDiff(), ["a", "b"], ["a", "b", "c", "d"])!, 0.5, 1e-12)
    assert.closeTo(scoreOf(Scorers.jsonDiff(), ["kitten"], ["sitting"])!, 1 - 3 / 7, 1e-12)
    assert.strictEqual(scoreOf(Scorers.jsonDiff(), [], []), 1)
  })

  it("different kinds score 0", () => {
    assert.strictEqual(scoreOf(Scorers.jsonDiff(), { a: 1 }, [1]), 0)
    assert.strictEqual(scoreOf(Scorers.jsonDiff(), "1", 1), 0)
    assert.strictEqual(scoreOf(Scorers.jsonDiff(), null, false), 0)
  })
})

describe("Scorers.listOverlap", () => {
  it("F1 by default, with set semantics", () => {
    // output {a, b, c}, expected {b, c, d, e}: precision 2/3, recall 2/4, F1 4/7.
    assert.closeTo(scoreOf(Scorers.listOverlap(), ["a", "b", "c", "c"], ["b", "c", "d", "e"])!, 4 / 7, 1e-12)
    assert.strictEqual(scoreOf(Scorers.listOverlap(), [], []), 1)
    assert.strictEqual(scoreOf(Scorers.listOverlap(), [], ["a"]), 0)
  })

  it("metric picks precision or recall, and `all` gives three named scores", () => {
    assert.closeTo(scoreOf(Scorers.listOverlap({ metric: "precision" }), ["a", "b", "c"], ["b", "c", "d", "e"])!, 2 / 3, 1e-12)
    assert.closeTo(scoreOf(Scorers.listOverlap({ metric: "recall" }), ["a", "b", "c"], ["b", "c", "d", "e"])!, 0.5, 1e-12)
    const scores = scoresOf(Scorers.listOverlap({ metric: "all", name: "tags" }), ["a", "b", "c"], ["b", "c", "d", "e"])!
    assert.deepStrictEqual(scores.map((score) => score.name), ["tags.precision", "tags.recall", "tags.f1"])
    assert.closeTo(scores[0]!.score!, 2 / 3, 1e-12)
    assert.closeTo(scores[1]!.score!, 0.5, 1e-12)
    assert.closeTo(scores[2]!.score!, 4 / 7, 1e-12)
  })

  it("split turns a string into items (trimmed, empties dropped); ignoreCase folds strings", () => {
    assert.strictEqual(scoreOf(Scorers.listOverlap({ split: "," }), "a, b ,c,", ["c", "b", "a"]), 1)
    assert.strictEqual(scoreOf(Scorers.listOverlap({ split: /\n|;/ }), "a\nb;c", "a;b;c"), 1)
    assert.strictEqual(scoreOf(Scorers.listOverlap(), "a,b", ["a", "b"]), 0, "without split a string is one item")
    assert.strictEqual(scoreOf(Scorers.listOverlap(), ["A", "b"], ["a", "B"]), 0)
    assert.strictEqual(scoreOf(Scorers.listOverlap({ ignoreCase: true }), ["A", "b"], ["a", "B"]), 1)
    assert.strictEqual(scoreOf(Scorers.listOverlap(), [1, { x: 1, y: 2 }], [{ y: 2, x: 1 }, 1]), 1)
    assert.strictEqual(scoreOf(Scorers.listOverlap(), [1], ["1"]), 0)
  })
})

describe("Scorers in a real run", () => {
  it.effect("score an Eval.run on the memory backend, and their names are the run's score columns", () =>
    Effect.gen(function*() {
      const digits = yield* Scorers.regex("\\d")
      const run = yield* Eval.run({
        name: "scorers",
        data: [
          { input: "Ada", expected: "Hello Ada" },
          { input: "Bob", expected: "hello bob" },
          { input: "Cy" }
        ],
        task: (name: string) => Effect.succeed(`Hello ${name}`),
        scorers: [
          Scorers.exact(),
          Scorers.exact({ name: "exactCi", ignoreCase: true }),
          Scorers.levenshtein(),
          Scorers.listOverlap({ split: " ", metric: "all" }),
          digits
        ]
      })
      const byInput = new Map(run.results!.map((result) => [result.input, result.scores]))
      assert.deepStrictEqual(byInput.get("Ada"), {
        exact: 1,
        exactCi: 1,
        levenshtein: 1,
        "listOverlap.precision": 1,
        "listOverlap.recall": 1,
        "listOverlap.f1": 1,
        regex: 0
      })
      assert.strictEqual(byInput.get("Bob")!["exact"], 0)
      assert.strictEqual(byInput.get("Bob")!["exactCi"], 1)
      assert.closeTo(byInput.get("Bob")!["levenshtein"]!, 7 / 9, 1e-12)
      // No expected: every comparing scorer skips; regex still judges.
      assert.isNull(byInput.get("Cy")!["exact"])
      assert.isNull(byInput.get("Cy")!["levenshtein"])
      assert.strictEqual(byInput.get("Cy")!["regex"], 0)
      const summary = run.summary
      assert.strictEqual(summary.scores["exact"]!.mean, 0.5)
      assert.strictEqual(summary.scores["exact"]!.count, 2)
      assert.strictEqual(summary.scores["exactCi"]!.mean, 1)
      assert.strictEqual(summary.scorerErrors, 0)
    }).pipe(Effect.provide(Memory.layer())))

  it.effect("a bad expected is a scorer error of that case, naming what and where", () =>
    Effect.gen(function*() {
      const run = yield* Eval.run({
        name: "bad expected",
        data: [{ input: 1, expected: "ten" }, { input: 2, expected: 2 }],
        task: (n: number) => Effect.succeed(n),
        scorers: [Scorers.numericCloseness()]
      })
      const bad = run.results!.find((result) => result.input === 1)!
      assert.include(bad.scorerErrors?.["numericCloseness"] ?? "", "expected must be a number or a numeric string")
      assert.strictEqual(run.summary.scorerErrors, 1)
      assert.strictEqual(run.summary.scores["numericCloseness"]!.mean, 1)
    }).pipe(Effect.provide(Memory.layer())))
})
