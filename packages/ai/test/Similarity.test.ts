import * as EmbeddingModel from "@effect/ai/EmbeddingModel"
import * as Similarity from "../src/Similarity.js"
import * as Eval from "@promptops/core/Eval"
import * as Memory from "@promptops/core/Memory"
import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck, Layer } from "effect"

/**
 * A deterministic embedding: letter counts a–z plus a signed component from
 * the character codes, so texts can point in opposite directions too.
 */
const embedText = (text: string): Array<number> => {
  const vector = new Array<number>(27).fill(0)
  for (const char of text.toLowerCase()) {
    const code = char.charCodeAt(0)
    if (code >= 97 && code <= 122) vector[code - 97]! += 1
    vector[26]! += code % 2 === 0 ? 1 : -1
  }
  return vector
}

const embedded: Array<string> = []
const mockModel = Effect.runSync(EmbeddingModel.make({
  embedMany: (input) =>
    Effect.sync(() => {
      embedded.push(...input)
      return input.map((text, index) => ({ index, embeddings: embedText(text) }))
    })
}))
const mockEmbeddings = Layer.succeed(EmbeddingModel.EmbeddingModel, mockModel)

const scoreOf = (output: unknown, expected: unknown, options: { readonly floor?: number } = {}) =>
  Effect.gen(function*() {
    const scorer = Similarity.embeddingSimilarity(options)
    const args = { input: "q", output, expected, metadata: {}, tags: [], caseId: "c", trial: 0 }
    return (yield* (scorer.score(args) as Effect.Effect<number | null, unknown, EmbeddingModel.EmbeddingModel>))
  }).pipe(Effect.provide(mockEmbeddings))

const text = FastCheck.string({ maxLength: 40 })
const vector = FastCheck.array(FastCheck.double({ min: -1000, max: 1000, noNaN: true }), { minLength: 3, maxLength: 3 })

describe("Similarity.cosine and toScore", () => {
  it.prop("the score is in 0..1 and symmetric", [vector, vector, FastCheck.double({ min: 0, max: 0.99, noNaN: true })], ([a, b, floor]) => {
    const ab = Similarity.toScore(Similarity.cosine(a, b), floor)
    const ba = Similarity.toScore(Similarity.cosine(b, a), floor)
    return ab >= 0 && ab <= 1 && ab === ba
  })

  it.prop("a vector with any length is similar to itself (1)", [vector], ([a]) => {
    const norm = a.reduce((sum, x) => sum + x * x, 0)
    return norm === 0 || Math.abs(Similarity.toScore(Similarity.cosine(a, a)) - 1) < 1e-9
  })

  it("maps negative cosines to 0, and rescales floor..1 to 0..1", () => {
    assert.strictEqual(Similarity.toScore(Similarity.cosine([1, 0], [-1, 0])), 0)
    assert.strictEqual(Similarity.toScore(Similarity.cosine([1, 0], [0, 1])), 0)
    assert.closeTo(Similarity.toScore(Math.SQRT1_2), Math.SQRT1_2, 1e-12)
    assert.closeTo(Similarity.toScore(0.85, 0.7), 0.5, 1e-12)
    assert.strictEqual(Similarity.toScore(0.6, 0.7), 0)
    assert.strictEqual(Similarity.toScore(1, 0.7), 1)
  })
})

describe("Similarity.embeddingSimilarity", () => {
  it.effect.prop("through the EmbeddingModel: in 0..1, symmetric, identity scores 1", [text, text], ([a, b]) =>
    Effect.gen(function*() {
      const ab = yield* scoreOf(a, b)
      const ba = yield* scoreOf(b, a)
      assert.isTrue(ab !== null && ab >= 0 && ab <= 1, `score ${ab}`)
      assert.closeTo(ab!, ba!, 1e-12)
      assert.strictEqual(yield* scoreOf(a, a), 1)
    }), { fastCheck: { numRuns: 40 } })

  it.effect("embeds output and expected, skips without expected, JSON-encodes structures", () =>
    Effect.gen(function*() {
      embedded.length = 0
      assert.closeTo((yield* scoreOf("abc", "abd"))!, Similarity.cosine(embedText("abc"), embedText("abd")), 1e-12)
      assert.deepStrictEqual([...embedded].sort(), ["abc", "abd"])
      assert.isNull(yield* scoreOf("abc", undefined))
      embedded.length = 0
      yield* scoreOf({ a: 1 }, ["x"])
      assert.deepStrictEqual([...embedded].sort(), ["[\n  \"x\"\n]", "{\n  \"a\": 1\n}"])
    }))

  it.effect("a floor outside 0..1 is an InvalidInput naming it; runs as a scorer in an eval", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(scoreOf("a", "b", { floor: 1 }))
      assert.strictEqual((error as { readonly path: string }).path, "Similarity.embeddingSimilarity.floor")
      const run = yield* Eval.run({
        name: "similarity",
        data: [{ input: "x", expected: "hello" }],
        task: () => Effect.succeed("hello"),
        scorers: [Similarity.embeddingSimilarity({ name: "sim", floor: 0.5 })],
        layer: mockEmbeddings
      })
      assert.deepStrictEqual(run.results![0]!.scores, { sim: 1 })
    }).pipe(Effect.provide(Memory.layer())))
})
