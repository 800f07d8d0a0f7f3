/**
 * Deterministic scorers for `Eval.run`: exact match, containment, regular
 * expressions, Levenshtein similarity, numeric closeness, JSON validity and
 * `Schema` match, structural JSON diff, and list overlap (precision, recall, F1).
 *
 * ```ts
 * import { Eval, Scorers } from "@promptops/core"
 * import { Effect } from "effect"
 *
 * const program = Eval.run({
 *   name: "greeting",
 *   data: [{ input: "Ada", expected: "Hello Ada" }],
 *   task: (name: string) => Effect.succeed(`Hello ${name}`),
 *   scorers: [Scorers.exact({ ignoreCase: true }), Scorers.levenshtein()]
 * })
 * ```
 *
 * The rules every scorer here keeps:
 *
 * - It compares the task's `output` with the case's `expected`, or with what
 *   the `expected` option picks from the scorer's arguments. When there is
 *   nothing to compare against (`undefined`), it skips the case (`null`), so
 *   the case does not pull the mean down.
 * - A score is always within 0..1, never NaN. An `output` of the wrong kind
 *   scores 0 with `metadata.reason` saying why; an `expected` of the wrong kind
 *   is a bug in the data, so the scorer fails with `InvalidInput` (the run
 *   records it as a scorer error of that case) rather than scoring it.
 * - `name` renames the score (the default is the scorer's own name, e.g.
 *   `"exact"`); scorer names must be unique within a run.
 *
 * `regex`, `jsonValid` and `schemaMatch` judge the output alone, so they
 * never skip. LLM judges and embedding similarity live in `@promptops/ai`.
 *
 * @since 0.1.0
 */
import { Effect, ParseResult, Schema } from "effect"
import type { Metadata } from "./Dataset.js"
import type { Score, ScoreOutput, Scorer, ScorerArgs } from "./Eval.js"
import {
  clamp01,
  collapseWhitespace,
  jsonSimilarity,
  levenshteinSimilarity,
  notJsonData,
  numericSimilarity,
  overlap,
  parseJson,
  toJsonData,
  toNumber
} from "./internal/scorers/similarity.js"
import * as Json from "./Json.js"
import type { InvalidInput } from "./PromptOpsError.js"
import { invalidInput } from "./PromptOpsError.js"

// ---------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------

/**
 * A scorer of this module: an `Eval.Scorer` whose `score` is an effect that
 * succeeds with a score (or `null` to skip) and fails only with
 * `InvalidInput` for an `expected` it cannot use.
 *
 * @since 0.1.0
 */
export interface DeterministicScorer<I = unknown, O = unknown, X = unknown> extends Scorer<I, O, X> {
  readonly score: (args: ScorerArgs<I, O, X>) => Effect.Effect<ScoreOutput, InvalidInput>
}

/**
 * Options every comparing scorer takes.
 *
 * @since 0.1.0
 */
export interface CompareOptions<I = unknown, O = unknown, X = unknown> {
  /** The score's name; defaults to the scorer's own (`"exact"`, `"levenshtein"`, …). */
  readonly name?: string | undefined
  /** What to compare the output with; defaults to the case's `expected`. `undefined` skips the case. */
  readonly expected?: ((args: ScorerArgs<I, O, X>) => unknown) | undefined
}

/**
 * Options of the scorers that judge the output alone.
 *
 * @since 0.1.0
 */
export interface NameOptions {
  /** The score's name; defaults to the scorer's own. */
  readonly name?: string | undefined
}

// ---------------------------------------------------------------------------
// Machinery
// ---------------------------------------------------------------------------

const MAX_REASON = 300

const short = (text: string): string => text.length <= MAX_REASON ? text : `${text.slice(0, MAX_REASON - 1)}…`

const kindOf = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : `a ${typeof value}`

const scored = (name: string, score: number, metadata?: Metadata): Score =>
  metadata === undefined ? { name, score: clamp01(score) } : { name, score: clamp01(score), metadata }

const badExpected = (operation: string, description: string): InvalidInput =>
  invalidInput({ operation: `Scorers.${operation}`, path: "expected", description })

/**
 * Builds a comparing scorer: picks the expected value, skips when there is
 * none, and otherwise hands both to `compare`.
 */
const comparing = <I, O, X>(
  defaultName: string,
  options: CompareOptions<I, O, X> | undefined,
  compare: (output: O, expected: unknown, name: string) => Effect.Effect<ScoreOutput, InvalidInput> | ScoreOutput
): DeterministicScorer<I, O, X> => {
  const name = options?.name ?? defaultName
  const pick = options?.expected
  return {
    name,
    score: (args) =>
      Effect.suspend(() => {
        const expected = pick === undefined ? args.expected : pick(args)
        if (expected === undefined) return Effect.succeed(null)
        const result = compare(args.output, expected, name)
        if (Effect.isEffect(result)) return result
        return Effect.succeed(typeof result === "number" ? scored(name, result) : result)
      })
  }
}

const judging = <I, O, X>(
  name: string,
  judge: (output: O, name: string) => ScoreOutput
): DeterministicScorer<I, O, X> => ({
  name,
  score: (args) => Effect.sync(() => judge(args.output, name))
})

const formatParseError = (error: ParseResult.ParseError): string =>
  short(ParseResult.TreeFormatter.formatErrorSync(error))

// ---------------------------------------------------------------------------
// Scorers
// ---------------------------------------------------------------------------

/**
 * Options of `exact`.
 *
 * @since 0.1.0
 */
export interface ExactOptions<I = unknown, O = unknown, X = unknown> extends CompareOptions<I, O, X> {
  /** Compare strings case-insensitively. */
  readonly ignoreCase?: boolean | undefined
  /** Collapse runs of whitespace to one space and trim both strings first. */
  readonly normalizeWhitespace?: boolean | undefined
}

/**
 * 1 when the output equals the expected value, else 0. Two strings are
 * compared after the options; any other pair by canonical JSON, so the key
 * order of objects does not matter (and `1` is not `"1"`).
 *
 * @since 0.1.0
 */
export const exact = <I = unknown, O = unknown, X = unknown>(
  options?: ExactOptions<I, O, X>
): DeterministicScorer<I, O, X> =>
  comparing("exact", options, (output, expected) => {
    if (typeof output === "string" && typeof expected === "string") {
      let a: string = output
      let b: string = expected
      if (options?.normalizeWhitespace === true) {
        a = collapseWhitespace(a)
        b = collapseWhitespace(b)
      }
      if (options?.ignoreCase === true) {
        a = a.toLowerCase()
        b = b.toLowerCase()
      }
      return a === b ? 1 : 0
    }
    return Json.equals(output, expected) ? 1 : 0
  })

/**
 * Options of `contains`.
 *
 * @since 0.1.0
 */
export interface ContainsOptions<I = unknown, O = unknown, X = unknown> extends CompareOptions<I, O, X> {
  readonly ignoreCase?: boolean | undefined
}

/**
 * Whether the output (a string) contains the expected string: 1 or 0. With an
 * array of strings expected, the fraction of them the output contains (an
 * empty array: 1). Numbers and booleans expected are looked for as text.
 *
 * @since 0.1.0
 */
export const contains = <I = unknown, O = unknown, X = unknown>(
  options?: ContainsOptions<I, O, X>
): DeterministicScorer<I, O, X> =>
  comparing("contains", options, (output, expected, name) => {
    const needles: Array<string> = []
    for (const item of Array.isArray(expected) ? expected : [expected]) {
      if (typeof item === "string") needles.push(item)
      else if (typeof item === "number" || typeof item === "boolean") needles.push(String(item))
      else {
        return Effect.fail(badExpected(
          "contains",
          `expected must be a string or an array of strings; got ${kindOf(Array.isArray(expected) ? item : expected)}`
        ))
      }
    }
    if (typeof output !== "string") return scored(name, 0, { reason: `output is ${kindOf(output)}, not a string` })
    if (needles.length === 0) return scored(name, 1)
    const fold = (text: string) => options?.ignoreCase === true ? text.toLowerCase() : text
    const haystack = fold(output)
    const missing = needles.filter((needle) => !haystack.includes(fold(needle)))
    const score = (needles.length - missing.length) / needles.length
    return missing.length === 0 || !Array.isArray(expected)
      ? scored(name, score)
      : scored(name, score, { missing })
  })

/**
 * Options of `regex`.
 *
 * @since 0.1.0
 */
export interface RegexOptions extends NameOptions {
  /** Flags of a pattern given as a string (`"i"`, `"m"`, `"s"`, `"u"`, …). */
  readonly flags?: string | undefined
}

const regexScorer = <I, O, X>(pattern: RegExp, options: RegexOptions | undefined): DeterministicScorer<I, O, X> => {
  // `g` and `y` make `test` stateful (it resumes at `lastIndex`): drop them so
  // every case is judged alike.
  const compiled = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ""))
  return judging(options?.name ?? "regex", (output, name) =>
    typeof output === "string"
      ? scored(name, compiled.test(output) ? 1 : 0)
      : scored(name, 0, { reason: `output is ${kindOf(output)}, not a string` }))
}

/**
 * 1 when the output (a string) matches the pattern, else 0.
 *
 * A `RegExp` gives the scorer itself. A pattern given as a string is compiled
 * here, so the result is an effect that fails with `InvalidInput` naming the
 * pattern when it does not compile, before any case runs:
 *
 * ```ts
 * const digits = yield* Scorers.regex("^\\d+$")
 * ```
 *
 * @since 0.1.0
 */
export function regex<I = unknown, O = unknown, X = unknown>(
  pattern: RegExp,
  options?: RegexOptions
): DeterministicScorer<I, O, X>
export function regex<I = unknown, O = unknown, X = unknown>(
  pattern: string,
  options?: RegexOptions
): Effect.Effect<DeterministicScorer<I, O, X>, InvalidInput>
export function regex<I = unknown, O = unknown, X = unknown>(
  pattern: RegExp | string,
  options?: RegexOptions
): DeterministicScorer<I, O, X> | Effect.Effect<DeterministicScorer<I, O, X>, InvalidInput> {
  if (pattern instanceof RegExp) return regexScorer(pattern, options)
  return Effect.try({
    try: () => new RegExp(pattern, options?.flags),
    catch: (error) =>
      invalidInput({
        operation: "Scorers.regex",
        path: "pattern",
        description: `the pattern ${JSON.stringify(pattern)}${
          options?.flags !== undefined ? ` with flags ${JSON.stringify(options.flags)}` : ""
        } does not compile: ${error instanceof Error ? error.message : String(error)}`
      })
  }).pipe(Effect.map((compiled) => regexScorer<I, O, X>(compiled, options)))
}

/**
 * Options of `levenshtein`.
 *
 * @since 0.1.0
 */
export interface LevenshteinOptions<I = unknown, O = unknown, X = unknown> extends CompareOptions<I, O, X> {
  readonly ignoreCase?: boolean | undefined
}

/**
 * Edit-distance similarity, `1 - distance / max(length)` (two empty strings:
 * 1), by `fastest-levenshtein`. Values that are not strings are compared by
 * their canonical JSON text.
 *
 * @since 0.1.0
 */
export const levenshtein = <I = unknown, O = unknown, X = unknown>(
  options?: LevenshteinOptions<I, O, X>
): DeterministicScorer<I, O, X> =>
  comparing("levenshtein", options, (output, expected) => {
    const text = (value: unknown): string => {
      const raw = typeof value === "string" ? value : Json.canonical(value)
      return options?.ignoreCase === true ? raw.toLowerCase() : raw
    }
    return levenshteinSimilarity(text(output), text(expected))
  })

/**
 * Options of `numericCloseness`.
 *
 * @since 0.1.0
 */
export interface NumericClosenessOptions<I = unknown, O = unknown, X = unknown> extends CompareOptions<I, O, X> {
  /** An absolute difference up to this counts as equal (score 1). Default 0. */
  readonly tolerance?: number | undefined
}

/**
 * How close two numbers (or numeric strings) are: `1 - |a - b| / max(|a|, |b|)`,
 * clamped to 0..1 (numbers of opposite signs score 0); equal, or within the
 * absolute `tolerance`, 1. An output that is not a number scores 0 with the
 * reason in `metadata.reason`.
 *
 * @since 0.1.0
 */
export const numericCloseness = <I = unknown, O = unknown, X = unknown>(
  options?: NumericClosenessOptions<I, O, X>
): DeterministicScorer<I, O, X> => {
  const tolerance = options?.tolerance ?? 0
  return comparing("numericCloseness", options, (output, expected, name) => {
    if (!Number.isFinite(tolerance) || tolerance < 0) {
      return Effect.fail(invalidInput({
        operation: "Scorers.numericCloseness",
        path: "tolerance",
        description: `tolerance must be a finite number ≥ 0; got ${String(tolerance)}`
      }))
    }
    const b = toNumber(expected)
    if (b === undefined) {
      return Effect.fail(badExpected("numericCloseness", `expected must be a number or a numeric string; got ${kindOf(expected)}`))
    }
    const a = toNumber(output)
    if (a === undefined) {
      return scored(name, 0, {
        reason: typeof output === "string"
          ? `output ${JSON.stringify(short(output))} is not a number`
          : `output is ${kindOf(output)}, not a number`
      })
    }
    return scored(name, numericSimilarity(a, b, tolerance))
  })
}

/**
 * Options of `jsonValid`.
 *
 * @since 0.1.0
 */
export interface JsonValidOptions<A = unknown, E = unknown> extends NameOptions {
  /** When given, the parsed output must also decode with it. */
  readonly schema?: Schema.Schema<A, E, never> | undefined
}

/**
 * 1 when the output is valid JSON — a string that parses, or a value that is
 * JSON data — and, with a `schema`, decodes with it; else 0 with the parse or
 * decode error (short) in `metadata.reason`.
 *
 * @since 0.1.0
 */
export const jsonValid = <I = unknown, O = unknown, X = unknown, A = unknown, E = unknown>(
  options?: JsonValidOptions<A, E>
): DeterministicScorer<I, O, X> => {
  const decode = options?.schema === undefined ? undefined : Schema.decodeUnknownEither(options.schema)
  return judging(options?.name ?? "jsonValid", (output, name) => {
    let value: unknown = output
    if (typeof output === "string") {
      const parsed = parseJson(output)
      if (!parsed.ok) return scored(name, 0, { reason: short(`not JSON: ${parsed.error}`) })
      value = parsed.value
    } else {
      const reason = notJsonData(output)
      if (reason !== undefined) return scored(name, 0, { reason: short(`not JSON: ${reason}`) })
    }
    if (decode === undefined) return scored(name, 1)
    const decoded = decode(value)
    return decoded._tag === "Right"
      ? scored(name, 1)
      : scored(name, 0, { reason: `does not match the schema: ${formatParseError(decoded.left)}` })
  })
}

/**
 * 1 when the output decodes with the `Schema`, else 0 with the decode error
 * (short) in `metadata.reason`. A string output that does not decode as it is
 * is parsed as JSON and decoded again, so a model's JSON text matches too.
 *
 * @since 0.1.0
 */
export const schemaMatch = <A, E, I = unknown, O = unknown, X = unknown>(
  schema: Schema.Schema<A, E, never>,
  options?: NameOptions
): DeterministicScorer<I, O, X> => {
  const decode = Schema.decodeUnknownEither(schema)
  return judging(options?.name ?? "schemaMatch", (output, name) => {
    const direct = decode(output)
    if (direct._tag === "Right") return scored(name, 1)
    if (typeof output === "string") {
      const parsed = parseJson(output)
      if (parsed.ok) {
        const fromJson = decode(parsed.value)
        if (fromJson._tag === "Right") return scored(name, 1)
        return scored(name, 0, { reason: formatParseError(fromJson.left) })
      }
    }
    return scored(name, 0, { reason: formatParseError(direct.left) })
  })
}

/** A string holding a JSON object or array is that structure; anything else stays as it is. */
const structured = (value: unknown): unknown => {
  if (typeof value === "string") {
    const trimmed = value.trimStart()
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      const parsed = parseJson(value)
      if (parsed.ok) return toJsonData(parsed.value)
    }
    return value
  }
  return toJsonData(value)
}

/**
 * Structural similarity of the output and the expected value (JSON values, or
 * strings holding a JSON object or array): objects score the mean over the
 * union of their keys (a key on one side only: 0), arrays the mean over
 * positions (a missing position: 0), strings their Levenshtein similarity,
 * numbers their numeric closeness, booleans and null equality; values of
 * different kinds 0. Identical values score 1.
 *
 * @since 0.1.0
 */
export const jsonDiff = <I = unknown, O = unknown, X = unknown>(
  options?: CompareOptions<I, O, X>
): DeterministicScorer<I, O, X> =>
  comparing("jsonDiff", options, (output, expected) => jsonSimilarity(structured(output), structured(expected)))

/**
 * Options of `listOverlap`.
 *
 * @since 0.1.0
 */
export interface ListOverlapOptions<I = unknown, O = unknown, X = unknown> extends CompareOptions<I, O, X> {
  /** Which measure to return (default `"f1"`); `"all"` returns three scores, `<name>.precision`, `<name>.recall` and `<name>.f1`. */
  readonly metric?: "f1" | "precision" | "recall" | "all" | undefined
  /** Compare string items case-insensitively. */
  readonly ignoreCase?: boolean | undefined
  /** Splits a string output or expected value into items (each trimmed, empty ones dropped). Without it a string is one item. */
  readonly split?: string | RegExp | undefined
}

/**
 * Overlap of the output and the expected value as sets: precision (how much
 * of the output is expected), recall (how much of the expected is in the
 * output), or their F1 (the default). Arrays are lists; a string is split by
 * `split`, or is one item; `null` is the empty list; any other value one item.
 * Items that are not strings compare by canonical JSON. Two empty lists: 1.
 *
 * @since 0.1.0
 */
export const listOverlap = <I = unknown, O = unknown, X = unknown>(
  options?: ListOverlapOptions<I, O, X>
): DeterministicScorer<I, O, X> => {
  const metric = options?.metric ?? "f1"
  const itemsOf = (value: unknown): ReadonlySet<string> => {
    const list: ReadonlyArray<unknown> = value === null || value === undefined
      ? []
      : Array.isArray(value)
      ? value
      : typeof value === "string" && options?.split !== undefined
      ? value.split(options.split).map((item) => item.trim()).filter((item) => item.length > 0)
      : [value]
    const keys = new Set<string>()
    for (const item of list) {
      if (typeof item === "string") keys.add(JSON.stringify(options?.ignoreCase === true ? item.toLowerCase() : item))
      else keys.add(Json.canonical(item))
    }
    return keys
  }
  return comparing("listOverlap", options, (output, expected, name) => {
    const result = overlap(itemsOf(output), itemsOf(expected))
    if (metric !== "all") return scored(name, result[metric])
    return [
      scored(`${name}.precision`, result.precision),
      scored(`${name}.recall`, result.recall),
      scored(`${name}.f1`, result.f1)
    ]
  })
}
