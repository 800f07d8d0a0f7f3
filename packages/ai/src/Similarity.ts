/**
 * Embedding similarity as an eval scorer, on the app's `@effect/ai`
 * `EmbeddingModel`.
 *
 * @since 0.1.0
 */
import * as EmbeddingModel from "@effect/ai/EmbeddingModel"
import type { Scorer, ScorerArgs } from "@promptops/core/Eval"
import { InvalidInput } from "@promptops/core/PromptOpsError"
import { Effect } from "effect"
import { show } from "./internal/judges/prompts.js"

/**
 * The cosine of the angle between two vectors, in -1..1; 0 when either has
 * no length (no direction to compare). Clamped, so rounding never leaves the
 * range.
 *
 * @since 0.1.0
 */
export const cosine = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  let dot = 0
  let aa = 0
  let bb = 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    dot += a[i]! * b[i]!
    aa += a[i]! * a[i]!
    bb += b[i]! * b[i]!
  }
  if (aa === 0 || bb === 0) return 0
  return Math.min(1, Math.max(-1, dot / (Math.sqrt(aa) * Math.sqrt(bb))))
}

/**
 * A cosine as a score in 0..1: a negative cosine is 0; with `floor`, the
 * range `floor..1` is stretched to `0..1` and anything below `floor` is 0, as
 * autoevals' `EmbeddingSimilarity` does with its `expectedMin` (embeddings of
 * unrelated texts rarely have a cosine near 0, so a floor such as 0.7 makes
 * the score use its whole range).
 *
 * @since 0.1.0
 */
export const toScore = (cos: number, floor = 0): number =>
  Math.min(1, Math.max(0, floor === 0 ? cos : (cos - floor) / (1 - floor)))

/**
 * Scores the output by the cosine similarity of its embedding and that of
 * `expected`, mapped to 0..1 by `toScore` (`floor` in 0..1, default 0).
 * Texts are embedded as they are; other values as JSON. A case without
 * `expected` is skipped (`null`); an output whose text equals the expected's
 * scores 1 without asking the model. Embeddings of different lengths are an
 * `InvalidInput` scorer error. Default name `embedding-similarity`.
 *
 * @since 0.1.0
 */
export const embeddingSimilarity = (
  options: { readonly name?: string | undefined; readonly floor?: number | undefined } = {}
): Scorer<any, any, any, EmbeddingModel.EmbeddingModel> => {
  const name = options.name ?? "embedding-similarity"
  const floor = options.floor ?? 0
  const badFloor = Number.isFinite(floor) && floor >= 0 && floor < 1 ? undefined : new InvalidInput({
    provider: "promptops",
    operation: "Similarity.embeddingSimilarity",
    description: `floor must be a number from 0 up to (not including) 1, got ${floor}`,
    path: "Similarity.embeddingSimilarity.floor"
  })
  const score = (args: ScorerArgs) =>
    Effect.gen(function*() {
      if (badFloor !== undefined) return yield* badFloor
      if (args.expected === undefined) return null
      const output = show(args.output)
      const expected = show(args.expected)
      if (output === expected) return 1
      const model = yield* EmbeddingModel.EmbeddingModel
      // One request for both texts.
      const [a = [], b = []] = yield* model.embedMany([output, expected])
      if (a.length !== b.length || a.length === 0) {
        return yield* new InvalidInput({
          provider: "promptops",
          operation: "Similarity.embeddingSimilarity",
          description: `the embedding model returned vectors of lengths ${a.length} and ${b.length}; ` +
            "they must be equal and non-empty",
          path: `${name}.embeddings`
        })
      }
      return toScore(cosine(a, b), floor)
    })
  return { name, score }
}
