/**
 * Braintrust transaction ids (`_xact_id`) and their "pretty" 16-hex form.
 *
 * An `_xact_id` is an unsigned 64-bit integer written as a decimal string; real ids carry `0x0DE1` in their top 16
 * bits. The pretty version id is `(xact × 205891132094649) mod 2^64` as 16 lowercase hex digits; the inverse
 * multiplies by `1522336535492693385` (the modular inverse) and ORs the top bits back in
 * (vendors/braintrust.md §9.5; spec vector `1000192656880881099` ↔ `81cd05ee665fdfb3`).
 *
 * @since 0.1.0
 */

const MOD_MASK = (1n << 64n) - 1n
const COPRIME = 205891132094649n
const COPRIME_INVERSE = 1522336535492693385n

/**
 * The bits every real transaction id carries.
 *
 * @since 0.1.0
 */
export const XACT_TOP_BITS: bigint = 0x0de1n << 48n

/**
 * The example transaction id of the OpenAPI file; the emulator's first write uses it.
 *
 * @since 0.1.0
 */
export const FIRST_XACT_ID: bigint = 1000192656880881099n

/**
 * Multiplies by the coprime modulo 2^64: a bijection on all 64-bit values.
 *
 * @since 0.1.0
 */
export const encodeXact = (xact: bigint): bigint => (xact * COPRIME) & MOD_MASK

/**
 * The exact inverse of `encodeXact` (no top bits added).
 *
 * @since 0.1.0
 */
export const decodeXact = (pretty: bigint): bigint => (pretty * COPRIME_INVERSE) & MOD_MASK

/**
 * `_xact_id` → 16-hex pretty version id.
 *
 * @since 0.1.0
 */
export const prettifyXactId = (xact: string | bigint): string =>
  encodeXact(typeof xact === "bigint" ? xact : BigInt(xact)).toString(16).padStart(16, "0")

/**
 * 16-hex pretty version id → `_xact_id` decimal string (top bits ORed in, as the SDK does).
 *
 * @since 0.1.0
 */
export const loadPrettyXactId = (pretty: string): string => (XACT_TOP_BITS | decodeXact(BigInt(`0x${pretty}`))).toString()

/**
 * @since 0.1.0
 */
export const isPrettyVersion = (version: string): boolean => /^[0-9a-f]{16}$/i.test(version)

/**
 * Reads a version given either as a transaction id or as a pretty id. Returns undefined when it is neither.
 *
 * @since 0.1.0
 */
export const parseVersion = (version: string): bigint | undefined => {
  if (isPrettyVersion(version)) return BigInt(loadPrettyXactId(version.toLowerCase()))
  if (/^\d{1,20}$/.test(version)) {
    const value = BigInt(version)
    return value <= MOD_MASK ? value : undefined
  }
  return undefined
}
