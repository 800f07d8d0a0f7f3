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
import { randomFillSync, randomUUID } from "node:crypto"

const HEX: ReadonlyArray<string> = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))
const POOL_SIZE = 4096
const pool = new Uint8Array(POOL_SIZE)
let offset = POOL_SIZE

const hex = (bytes: number): string => {
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool)
    offset = 0
  }
  let out = ""
  for (let i = 0; i < bytes; i++) out += HEX[pool[offset + i]!]
  offset += bytes
  return out
}

/**
 * A random v4 UUID.
 *
 * @since 0.1.0
 */
export const uuid = (): string => randomUUID()

/**
 * 16 random bytes as 32 lowercase hex characters (W3C trace id).
 *
 * @since 0.1.0
 */
export const traceId = (): string => hex(16)

/**
 * 8 random bytes as 16 lowercase hex characters (W3C span id).
 *
 * @since 0.1.0
 */
export const spanId = (): string => hex(8)
