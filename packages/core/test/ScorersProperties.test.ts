import { describe, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc, Schema } from "effect"
import type * as Eval from "../src/Eval.js"
import * as Scorers from "../src/Scorers.js"

const args = (output: unknown, expected: unknown): Eval.ScorerArgs => ({
  input: null,
  output,
  expected,
  metadata: {},
  tags: [],
  caseId: "c",
  trial: 0
})

/**
 * Every score a scorer gives for (output, expected), or "failed" when it
 * failed with `InvalidInput` (an expected it cannot use). Any other failure,
 * or a defect, throws and fails the property.
 */
const scores = (
  scorer: Scorers.DeterministicScorer,
  output: unknown,
  expected: unknown
): ReadonlyArray<number | null> | "failed" => {
  const result = Effect.runSync(Effect.either(scorer.score(args(output, expected))))
  if (Either.isLeft(result)) {
    if (result.left._tag !== "InvalidInput") throw new Error(`unexpected failure ${String(result.left)}`)
    return "failed"
  }
  const value = result.right
  if (value === null) return [null]
  if (typeof value === "number") return [value]
  return (Array.isArray(value) ? value : [value as Eval.Score]).map((score) => score.score)
}

/** The single score, for scorers that give one and do not fail on these inputs. */
const score = (scorer: Scorers.DeterministicScorer, output: unknown, expected: unknown): number | null => {
  const all = scores(scorer, output, expected)
  if (all === "failed" || all.length !== 1) throw new Error(`expected one score, got ${JSON.stringify(all)}`)
  return all[0]!
}

const inRange = (value: number | null): boolean => value === null || (value >= 0 && value <= 1 && !Number.isNaN(value))

// Anything a task may return: JSON values, strings, numbers of every kind (NaN,
// ±Infinity, -0), undefined, dates and nested mixes.
const anything: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.string(),
  fc.double(),
  fc.integer().map(String),
  fc.constantFrom(undefined, null, Number.NaN, Number.POSITIVE_INFINITY, -0, "", " "),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null))),
  fc.anything()
)
const jsonValue: fc.Arbitrary<unknown> = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)))
const finite: fc.Arbitrary<number> = fc.double({ noNaN: true, noDefaultInfinity: true })
const stringList: fc.Arbitrary<ReadonlyArray<string>> = fc.array(fc.string({ maxLength: 6 }), { maxLength: 8 })

const everyScorer: ReadonlyArray<Scorers.DeterministicScorer> = [
  Scorers.exact(),
  Scorers.exact({ ignoreCase: true, normalizeWhitespace: true }),
  Scorers.contains(),
  Scorers.contains({ ignoreCase: true }),
  Scorers.regex(/a+b?/i),
  Scorers.levenshtein(),
  Scorers.levenshtein({ ignoreCase: true }),
  Scorers.numericCloseness(),
  Scorers.numericCloseness({ tolerance: 0.5 }),
  Scorers.jsonValid(),
  Scorers.jsonValid({ schema: Schema.Struct({ a: Schema.Number }) }),
  Scorers.schemaMatch(Schema.Array(Schema.String)),
  Scorers.jsonDiff(),
  Scorers.listOverlap(),
  Scorers.listOverlap({ metric: "all", split: ",", ignoreCase: true })
]

describe("Scorers: range", () => {
  it.prop("every scorer's scores are within 0..1 (or a skip), never NaN, on arbitrary inputs", [anything, anything], ([output, expected]) => {
    for (const scorer of everyScorer) {
      const result = scores(scorer, output, expected)
      if (result !== "failed" && !result.every(inRange)) return false
    }
    return true
  })

  it.prop("also on strings and numbers close to each other", [fc.string(), fc.string(), finite, finite], ([a, b, x, y]) =>
    everyScorer.every((scorer) => {
      const pairs: ReadonlyArray<readonly [unknown, unknown]> = [[a, b], [x, y], [String(x), y], [a, x]]
      return pairs.every(([output, expected]) => {
        const result = scores(scorer, output, expected)
        return result === "failed" || result.every(inRange)
      })
    }))
})

describe("Scorers: identity scores 1", () => {
  it.prop("exact, levenshtein and jsonDiff: x vs x", [jsonValue], ([value]) =>
    score(Scorers.exact(), value, value) === 1 &&
    score(Scorers.levenshtein(), value, value) === 1 &&
    score(Scorers.jsonDiff(), value, value) === 1 &&
    // JSON text is read as the structure it holds when that is an object or an array.
    (typeof value !== "object" || value === null || score(Scorers.jsonDiff(), JSON.stringify(value), value) === 1))

  it.prop("exact, levenshtein, contains: a string vs itself", [fc.string()], ([text]) =>
    score(Scorers.exact({ ignoreCase: true, normalizeWhitespace: true }), text, text) === 1 &&
    score(Scorers.levenshtein({ ignoreCase: true }), text, text) === 1 &&
    score(Scorers.contains(), text, text) === 1 &&
    score(Scorers.contains({ ignoreCase: true }), text, text) === 1)

  it.prop("listOverlap: a list vs itself, in every metric", [stringList], ([list]) =>
    [Scorers.listOverlap(), Scorers.listOverlap({ metric: "precision" }), Scorers.listOverlap({ metric: "recall" })]
      .every((scorer) => score(scorer, list, list) === 1) &&
    score(Scorers.listOverlap(), list, [...list].reverse()) === 1)

  it.prop("numericCloseness: a number vs itself, and vs its own text", [finite], ([n]) =>
    score(Scorers.numericCloseness(), n, n) === 1 && score(Scorers.numericCloseness(), String(n), n) === 1)
})

describe("Scorers: symmetry", () => {
  it.prop("levenshtein", [fc.string(), fc.string()], ([a, b]) =>
    score(Scorers.levenshtein(), a, b) === score(Scorers.levenshtein(), b, a))

  it.prop("numericCloseness", [finite, finite], ([a, b]) =>
    score(Scorers.numericCloseness(), a, b) === score(Scorers.numericCloseness(), b, a))

  it.prop("listOverlap F1 (and precision one way is recall the other)", [stringList, stringList], ([a, b]) =>
    score(Scorers.listOverlap(), a, b) === score(Scorers.listOverlap(), b, a) &&
    score(Scorers.listOverlap({ metric: "precision" }), a, b) === score(Scorers.listOverlap({ metric: "recall" }), b, a))

  // Same-typed values: two objects, or two arrays, built from the same shape of JSON values.
  const objects = fc.dictionary(fc.string({ maxLength: 3 }), jsonValue, { maxKeys: 5 })
  const arrays = fc.array(jsonValue, { maxLength: 5 })
  it.prop("jsonDiff on two objects", [objects, objects], ([a, b]) =>
    Math.abs(score(Scorers.jsonDiff(), a, b)! - score(Scorers.jsonDiff(), b, a)!) < 1e-12)
  it.prop("jsonDiff on two arrays", [arrays, arrays], ([a, b]) =>
    Math.abs(score(Scorers.jsonDiff(), a, b)! - score(Scorers.jsonDiff(), b, a)!) < 1e-12)
})

describe("Scorers.exact with ignoreCase", () => {
  it.prop("agrees with comparing the lower-cased strings", [fc.string(), fc.string()], ([a, b]) =>
    score(Scorers.exact({ ignoreCase: true }), a, b) === (a.toLowerCase() === b.toLowerCase() ? 1 : 0))

  // Case variants of one string, so matches are not left to chance.
  it.prop("matches every case variant of the expected string", [fc.string()], ([text]) => {
    const variant = [...text].map((char, i) => i % 2 === 0 ? char.toUpperCase() : char.toLowerCase()).join("")
    return score(Scorers.exact({ ignoreCase: true }), variant, text) ===
      (variant.toLowerCase() === text.toLowerCase() ? 1 : 0)
  })
})
