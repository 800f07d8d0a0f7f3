import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import {
  decodeXact,
  encodeXact,
  FIRST_XACT_ID,
  isPrettyVersion,
  loadPrettyXactId,
  parseVersion,
  prettifyXactId,
  XACT_TOP_BITS
} from "../src/internal/braintrust/XactId.js"

const MASK64 = (1n << 64n) - 1n
const u64 = FastCheck.bigUintN(64)
const low48 = FastCheck.bigUintN(48)

describe("XactId", () => {
  it("matches the vector documented in the OpenAPI file", () => {
    assert.strictEqual(prettifyXactId("1000192656880881099"), "81cd05ee665fdfb3")
    assert.strictEqual(loadPrettyXactId("81cd05ee665fdfb3"), "1000192656880881099")
    assert.strictEqual(FIRST_XACT_ID.toString(), "1000192656880881099")
    assert.strictEqual(parseVersion("81cd05ee665fdfb3"), 1000192656880881099n)
    assert.strictEqual(parseVersion("1000192656880881099"), 1000192656880881099n)
  })

  it("rejects versions that are neither form", () => {
    assert.isUndefined(parseVersion("latest"))
    assert.isUndefined(parseVersion("81cd05ee665fdfb"))
    assert.isUndefined(parseVersion("99999999999999999999"))
  })

  it.prop("the multiplication is a bijection on every 64-bit value", [u64], ([x]) => {
    assert.strictEqual(decodeXact(encodeXact(x)), x)
    assert.strictEqual(encodeXact(decodeXact(x)), x)
    assert.isTrue(encodeXact(x) <= MASK64)
  })

  it.prop("a transaction id round-trips through its pretty form", [low48], ([low]) => {
    const xact = XACT_TOP_BITS | low
    const pretty = prettifyXactId(xact)
    assert.isTrue(isPrettyVersion(pretty))
    assert.strictEqual(pretty.length, 16)
    assert.strictEqual(loadPrettyXactId(pretty), xact.toString())
    assert.strictEqual(parseVersion(pretty), xact)
  })

  it.prop("loading any 64-bit value ORs the top bits back in", [u64], ([x]) => {
    assert.strictEqual(BigInt(loadPrettyXactId(prettifyXactId(x))), x | XACT_TOP_BITS)
  })
})
