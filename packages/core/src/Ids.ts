/**
 * Identifiers generated client-side, before the first attempt of any write, so
 * a retried request never creates a duplicate.
 *
 * Span and trace ids are drawn from a pool of random bytes refilled in bulk:
 * one `randomFillSync` per 512 span ids keeps id generation off the caller's
 * budget (a `randomBytes` call per span would cost more than the rest of the span).
 *
 * @since 0.1.0
 */
import type * as NodeCrypto from "node:crypto"
import { requireOnUse } from "./internal/requireOnUse.js"

// Loaded on the first id, not at import: `node:crypto` is a few ms an app may never need.
const nodeCrypto = requireOnUse<typeof NodeCrypto>("node:crypto")

const POOL_SIZE = 4096
const pool = new Uint8Array(POOL_SIZE)
let offset = POOL_SIZE

// Char codes of each byte's two hex digits. Ids are built with one
// `String.fromCharCode` call, which yields a flat string: concatenating
// per-byte pairs builds a rope that every later hash (Map keys) or
// serialisation has to flatten first, and `Buffer#toString("hex")` costs a
// native call per id.
const DIGITS = "0123456789abcdef"
const HIGH = Uint8Array.from({ length: 256 }, (_, i) => DIGITS.charCodeAt(i >> 4))
const LOW = Uint8Array.from({ length: 256 }, (_, i) => DIGITS.charCodeAt(i & 15))
const fromCharCode = String.fromCharCode

/** The offset of `bytes` fresh random bytes in `pool`. */
const take = (bytes: number): number => {
  if (offset + bytes > POOL_SIZE) {
    nodeCrypto().randomFillSync(pool)
    offset = 0
  }
  const start = offset
  offset += bytes
  return start
}

/** 8 bytes of `pool` from `at` as 16 hex digits. */
const hex8 = (at: number): string => {
  const b0 = pool[at]!, b1 = pool[at + 1]!, b2 = pool[at + 2]!, b3 = pool[at + 3]!
  const b4 = pool[at + 4]!, b5 = pool[at + 5]!, b6 = pool[at + 6]!, b7 = pool[at + 7]!
  return fromCharCode(
    HIGH[b0]!, LOW[b0]!, HIGH[b1]!, LOW[b1]!, HIGH[b2]!, LOW[b2]!, HIGH[b3]!, LOW[b3]!,
    HIGH[b4]!, LOW[b4]!, HIGH[b5]!, LOW[b5]!, HIGH[b6]!, LOW[b6]!, HIGH[b7]!, LOW[b7]!
  )
}

/**
 * A random v4 UUID.
 *
 * @since 0.1.0
 */
export const uuid = (): string => nodeCrypto().randomUUID()

/**
 * 16 random bytes as 32 lowercase hex characters (W3C trace id).
 *
 * @since 0.1.0
 */
export const traceId = (): string => {
  const at = take(16)
  const b0 = pool[at]!, b1 = pool[at + 1]!, b2 = pool[at + 2]!, b3 = pool[at + 3]!
  const b4 = pool[at + 4]!, b5 = pool[at + 5]!, b6 = pool[at + 6]!, b7 = pool[at + 7]!
  const b8 = pool[at + 8]!, b9 = pool[at + 9]!, b10 = pool[at + 10]!, b11 = pool[at + 11]!
  const b12 = pool[at + 12]!, b13 = pool[at + 13]!, b14 = pool[at + 14]!, b15 = pool[at + 15]!
  return fromCharCode(
    HIGH[b0]!, LOW[b0]!, HIGH[b1]!, LOW[b1]!, HIGH[b2]!, LOW[b2]!, HIGH[b3]!, LOW[b3]!,
    HIGH[b4]!, LOW[b4]!, HIGH[b5]!, LOW[b5]!, HIGH[b6]!, LOW[b6]!, HIGH[b7]!, LOW[b7]!,
    HIGH[b8]!, LOW[b8]!, HIGH[b9]!, LOW[b9]!, HIGH[b10]!, LOW[b10]!, HIGH[b11]!, LOW[b11]!,
    HIGH[b12]!, LOW[b12]!, HIGH[b13]!, LOW[b13]!, HIGH[b14]!, LOW[b14]!, HIGH[b15]!, LOW[b15]!
  )
}

/**
 * 8 random bytes as 16 lowercase hex characters (W3C span id).
 *
 * @since 0.1.0
 */
export const spanId = (): string => hex8(take(8))
