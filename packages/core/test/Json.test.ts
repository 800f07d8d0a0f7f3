import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import * as Eval from "../src/Eval.js"
import * as Json from "../src/Json.js"

/** Rebuilds `value` with every object's keys in reverse order (arrays keep theirs). */
const reversed = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(reversed)
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).reverse()) {
      Object.defineProperty(out, key, {
        value: reversed((value as Record<string, unknown>)[key]),
        enumerable: true,
        writable: true,
        configurable: true
      })
    }
    return out
  }
  return value
}

// `-0` has no JSON form of its own (it parses back as 0), so JSON values here are built without it.
const jsonValue: FastCheck.Arbitrary<unknown> = FastCheck.jsonValue().map((value) =>
  JSON.parse(JSON.stringify(value))
)

describe("Json.canonical", () => {
  it.prop("does not depend on key order", [jsonValue], ([value]) => Json.canonical(reversed(value)) === Json.canonical(value))

  it.prop("parses back to the value, for JSON values", [jsonValue], ([value]) => {
    assert.deepStrictEqual(JSON.parse(Json.canonical(value)), value)
  })

  it.prop("is a fixed point: the canonical text of its own parse is itself", [jsonValue], ([value]) => {
    const text = Json.canonical(value)
    return Json.canonical(JSON.parse(text)) === text
  })

  it("writes BigInt, non-finite numbers, Date, undefined and cycles as documented", () => {
    assert.strictEqual(Json.canonical(BigInt(10)), "\"10n\"")
    assert.strictEqual(Json.canonical([Number.NaN, Number.POSITIVE_INFINITY, -Infinity]), "[\"NaN\",\"Infinity\",\"-Infinity\"]")
    assert.strictEqual(Json.canonical(new Date(Date.UTC(2026, 0, 2, 3, 4, 5))), "\"2026-01-02T03:04:05.000Z\"")
    assert.strictEqual(Json.canonical(undefined), "null")
    assert.strictEqual(Json.canonical([undefined, () => 1, Symbol("s")]), "[null,null,null]")
    assert.strictEqual(Json.canonical({ b: undefined, c: () => 1, a: 1 }), "{\"a\":1}")
    assert.strictEqual(Json.canonical({ toJSON: () => ({ y: 1, x: 2 }) }), "{\"x\":2,\"y\":1}")
    const circular: Record<string, unknown> = { a: 1 }
    circular.self = circular
    assert.strictEqual(Json.canonical(circular), "{\"a\":1,\"self\":\"[Circular]\"}")
    // A shared (not circular) reference is written in full both times.
    const shared = { x: 1 }
    assert.strictEqual(Json.canonical([shared, shared]), "[{\"x\":1},{\"x\":1}]")
  })

  it.prop(
    "hashes as Eval.caseId does, for any value",
    [FastCheck.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withBoxedValues: true, withTypedArray: true, withSparseArray: true })],
    ([value]) => Json.contentId(value) === Eval.caseId(value)
  )

  it("gives the pinned case ids (the hash stored baselines compare by)", () => {
    assert.strictEqual(Json.contentId("Ada"), "a39afeed7d3319213be7a235840b3c6d")
    assert.strictEqual(Json.contentId(BigInt(10)), "e3ffebd1b5f8c20c92126f8c84c515f7")
    assert.strictEqual(
      Json.contentId({ meta: { a: [1, 2], z: 1 }, name: "Ada" }),
      "457fcb94807d8fafdff4fc908265bc62"
    )
    assert.strictEqual(Json.contentId("Ada", 16), "a39afeed7d331921")
  })
})

describe("Json.repeatCounter", () => {
  it("numbers repeats -2, -3, … per id, in order", () => {
    const unique = Json.repeatCounter()
    assert.deepStrictEqual(["a", "b", "a", "a", "b"].map(unique), ["a", "b", "a-2", "a-3", "b-2"])
  })
})

describe("Json.safeCopy", () => {
  it.prop("is the identity on JSON values", [jsonValue], ([value]) => {
    assert.deepStrictEqual(Json.safeCopy(value), value)
  })

  it("makes BigInt, Date, non-finite numbers, functions, maps, sets and cycles JSON-safe", () => {
    const circular: Record<string, unknown> = { a: 1 }
    circular.self = circular
    const value = {
      big: BigInt(10),
      date: new Date(Date.UTC(2026, 0, 2)),
      bad: new Date(Number.NaN),
      nan: Number.NaN,
      fn: () => 1,
      list: [undefined, Symbol("s")],
      map: new Map([["k", 1]]),
      set: new Set([1, 2]),
      circular,
      withJson: { toJSON: () => "json" },
      throwing: { toJSON: () => { throw new Error("no") } }
    }
    assert.deepStrictEqual(Json.safeCopy(value), {
      big: "10",
      date: "2026-01-02T00:00:00.000Z",
      bad: null,
      nan: null,
      list: [null, null],
      map: { k: 1 },
      set: [1, 2],
      circular: { a: 1, self: "[Circular]" },
      withJson: "json",
      throwing: "[unserializable]"
    })
  })

  it("skips a getter that throws and keeps __proto__ as data", () => {
    const source = JSON.parse("{\"__proto__\":{\"polluted\":true},\"ok\":1}") as object
    Object.defineProperty(source, "boom", { enumerable: true, get: () => { throw new Error("no") } })
    const copy = Json.safeCopy(source) as Record<string, unknown>
    assert.deepStrictEqual(Object.keys(copy), ["__proto__", "ok"])
    assert.strictEqual(Object.getPrototypeOf(copy), Object.prototype)
    assert.strictEqual(Json.stringify(source), "{\"__proto__\":{\"polluted\":true},\"ok\":1}")
  })

  it("stringify writes one line, BigInt and cycles included", () => {
    const circular: Record<string, unknown> = { n: BigInt(2) }
    circular.self = circular
    assert.strictEqual(Json.stringify(circular), "{\"n\":\"2\",\"self\":\"[Circular]\"}")
    assert.strictEqual(Json.stringify(undefined), undefined)
  })
})

describe("Json.isPlainObject", () => {
  it("is true for object literals, parsed JSON and null-prototype objects only", () => {
    assert.isTrue(Json.isPlainObject({}))
    assert.isTrue(Json.isPlainObject(JSON.parse("{\"a\":1}")))
    assert.isTrue(Json.isPlainObject(Object.create(null)))
    assert.isTrue(Json.isPlainObject(structuredClone({ a: 1 })))
    for (const value of [[], new Date(), new Map(), new Set(), new Error("e"), new (class A {})(), null, "x", 1]) {
      assert.isFalse(Json.isPlainObject(value), String(value))
    }
  })
})
