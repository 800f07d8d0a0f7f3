/**
 * Braintrust versions: a prompt, function or row version is a transaction id
 * (`_xact_id`, an unsigned 64-bit integer written in decimal, e.g.
 * `"1000192656880881099"`), or the same number in its 16-hex "pretty" form
 * (e.g. `"81cd05ee665fdfb3"`). The API accepts either.
 *
 * Transaction ids exceed `Number.MAX_SAFE_INTEGER`, so they are handled as
 * strings and `bigint`s only, never as JS numbers. The conversion is exact:
 * pretty = (xact × 205891132094649) mod 2^64, printed as 16 lowercase hex
 * digits; the inverse multiplies by 1522336535492693385 (the inverse of the
 * first factor modulo 2^64) and ORs in `0x0DE1 << 48`, the top bits every
 * real transaction id carries (vendors/braintrust.md §9 item 5).
 *
 * @since 0.1.0
 */
import { Effect, Either } from "effect"
import { invalidInput, type InvalidInput } from "@promptops/core/PromptOpsError"

const MASK_64 = (1n << 64n) - 1n
const MULTIPLIER = 205891132094649n
const INVERSE = 1522336535492693385n

/**
 * The top 16 bits of every real transaction id.
 *
 * @since 0.1.0
 */
export const TOP_BITS: bigint = 0x0de1n << 48n

/**
 * The smallest transaction id the pretty form round-trips (`TOP_BITS`).
 *
 * @since 0.1.0
 */
export const MIN_TRANSACTION_ID: bigint = TOP_BITS

/**
 * The largest transaction id the pretty form round-trips (`TOP_BITS` + 2^48 − 1).
 *
 * @since 0.1.0
 */
export const MAX_TRANSACTION_ID: bigint = TOP_BITS | ((1n << 48n) - 1n)

/**
 * Whether `version` is written in the 16-hex pretty form. A 16-character
 * string of digits only is read as pretty too, as the vendor's SDK does.
 *
 * @since 0.1.0
 */
export const isPretty = (version: string): boolean => /^[0-9a-fA-F]{16}$/.test(version)

/**
 * Whether `version` is a transaction id: decimal digits, at most 2^64 − 1.
 *
 * @since 0.1.0
 */
export const isTransactionId = (version: string): boolean =>
  /^\d{1,20}$/.test(version) && BigInt(version) <= MASK_64

/**
 * Transaction id → pretty version id (16 lowercase hex digits).
 *
 * @since 0.1.0
 */
export const toPretty = (transactionId: bigint): string =>
  ((transactionId * MULTIPLIER) & MASK_64).toString(16).padStart(16, "0")

/**
 * Pretty version id (16 hex digits) → transaction id.
 *
 * @since 0.1.0
 */
export const fromPretty = (pretty: string): bigint => ((BigInt(`0x${pretty}`) * INVERSE) & MASK_64) | TOP_BITS

/**
 * Reads a version in either form as its transaction id.
 *
 * @since 0.1.0
 */
export const parse = (version: string): Either.Either<bigint, string> => {
  const trimmed = version.trim()
  if (isPretty(trimmed)) return Either.right(fromPretty(trimmed))
  if (isTransactionId(trimmed)) return Either.right(BigInt(trimmed))
  return Either.left(
    `"${
      version.length > 40 ? `${version.slice(0, 40)}…` : version
    }" is not a Braintrust version: expected a transaction id (decimal, e.g. "1000192656880881099") or a 16-hex version id (e.g. "81cd05ee665fdfb3")`
  )
}

/**
 * A version in either form, as the decimal transaction id string the API and
 * `_xact_id` use. Fails with `InvalidInput` naming `path` otherwise.
 *
 * @since 0.1.0
 */
export const toTransactionId = (
  version: string,
  where: { readonly operation: string; readonly path: string }
): Effect.Effect<string, InvalidInput> =>
  Either.match(parse(version), {
    onLeft: (description) =>
      Effect.fail(invalidInput({ provider: "braintrust", operation: where.operation, path: where.path, description })),
    onRight: (xact) => Effect.succeed(xact.toString())
  })

/**
 * A version in either form, as its pretty 16-hex id.
 *
 * @since 0.1.0
 */
export const toPrettyVersion = (version: string): Either.Either<string, string> =>
  Either.map(parse(version), toPretty)

/**
 * Orders two transaction ids (either form) numerically; an unreadable one
 * sorts below every readable one.
 *
 * @since 0.1.0
 */
export const compare = (a: string, b: string): -1 | 0 | 1 => {
  const x = Either.getOrUndefined(parse(a))
  const y = Either.getOrUndefined(parse(b))
  if (x === undefined) return y === undefined ? 0 : -1
  if (y === undefined) return 1
  return x < y ? -1 : x > y ? 1 : 0
}
