import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc, Option, Redacted } from "effect"
import * as Sanitize from "../src/internal/sanitize.js"

const clean = (value: unknown, bounds: Partial<Sanitize.Bounds> = {}) => {
  const budget = new Sanitize.Budget(Sanitize.resolveBounds(bounds))
  const out = Sanitize.clean(value, budget)
  return { out, changed: budget.changed, bytes: budget.bytes }
}

const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed()

describe("sanitize", () => {
  it("keeps primitives and small plain data as they are, unchanged", () => {
    for (const value of ["text", 42, 0.5, true, null, undefined]) {
      const { changed, out } = clean(value)
      assert.strictEqual(out, value)
      assert.isFalse(changed)
    }
    const data = { role: "user", content: [{ type: "text", text: "hi" }], n: 1, ok: false, none: null }
    const { changed, out } = clean(data)
    assert.deepStrictEqual(out, data)
    assert.notStrictEqual(out, data, "a copy, so later mutation by the app cannot leak into the record")
    assert.isFalse(changed)
  })

  it("breaks cycles but keeps shared references that are not cycles", () => {
    const shared = { id: 1 }
    const node: Record<string, unknown> = { a: shared, b: shared, list: [] as Array<unknown> }
    ;(node.list as Array<unknown>).push(node)
    node.self = node
    const { changed, out } = clean(node)
    assert.isTrue(changed)
    assert.deepStrictEqual(out, { a: { id: 1 }, b: { id: 1 }, list: ["[Circular]"], self: "[Circular]" })
  })

  it("turns BigInt, functions and symbols into descriptive strings", () => {
    const { changed, out } = clean({ big: 12345678901234567890n, fn: () => 1, named: function f() {}, sym: Symbol("k") })
    assert.isTrue(changed)
    assert.deepStrictEqual(out, {
      big: "12345678901234567890",
      fn: "[Function fn]",
      named: "[Function f]",
      sym: "[Symbol(k)]"
    })
  })

  it("replaces lone surrogates in strings and keys with U+FFFD, keeping valid pairs", () => {
    const { changed, out } = clean({ ["k\udc00"]: "a\ud800b", emoji: "😀" })
    assert.isTrue(changed)
    assert.deepStrictEqual(out, { "k\ufffd": "a\ufffdb", emoji: "😀" })
  })

  it("truncates huge strings with a marker, never splitting a surrogate pair", () => {
    const { changed, out } = clean("x".repeat(10 * 1024 * 1024))
    assert.isTrue(changed)
    assert.strictEqual((out as string).slice(0, 65536), "x".repeat(65536))
    assert.strictEqual((out as string).slice(65536), `…[truncated ${10 * 1024 * 1024 - 65536} chars]`)
    const emoji = clean("a" + "😀".repeat(20), { maxStringLength: 16 }).out as string
    assert.isTrue(isWellFormed(emoji))
    assert.match(emoji, /^a(😀){7}…\[truncated 26 chars\]$/)
  })

  it("renders Dates, Errors, Maps, Sets, RegExps and binary data", () => {
    const error = new TypeError("bad input", { cause: "root" })
    const { out } = clean({
      date: new Date(Date.UTC(2025, 0, 2, 3, 4, 5)),
      invalid: new Date(NaN),
      error,
      map: new Map([["a", 1]]),
      objectKeys: new Map<unknown, unknown>([[1, "one"]]),
      set: new Set(["x", "y"]),
      re: /ab+c/gi,
      bytes: new Uint8Array(12)
    })
    const o = out as Record<string, unknown>
    assert.strictEqual(o.date, "2025-01-02T03:04:05.000Z")
    assert.strictEqual(o.invalid, "Invalid Date")
    const e = o.error as Record<string, unknown>
    assert.strictEqual(e.name, "TypeError")
    assert.strictEqual(e.message, "bad input")
    assert.strictEqual(e.cause, "root")
    assert.include(e.stack as string, "TypeError: bad input")
    assert.deepStrictEqual(o.map, { a: 1 })
    assert.deepStrictEqual(o.objectKeys, [[1, "one"]])
    assert.deepStrictEqual(o.set, ["x", "y"])
    assert.strictEqual(o.re, "/ab+c/gi")
    assert.strictEqual(o.bytes, "[Uint8Array 12 bytes]")
  })

  it("uses toJSON the way JSON.stringify would (a Redacted secret stays redacted)", () => {
    const { out } = clean({ key: Redacted.make("sk-secret"), option: Option.some(1) })
    assert.notInclude(JSON.stringify(out), "sk-secret")
    assert.deepStrictEqual((out as Record<string, unknown>).option, { _id: "Option", _tag: "Some", value: 1 })
  })

  it("bounds depth, items per object or array, and the record's total bytes", () => {
    let deep: Record<string, unknown> = { leaf: true }
    for (let i = 0; i < 30; i++) deep = { next: deep }
    const depth = clean(deep, { maxDepth: 3 })
    assert.isTrue(depth.changed)
    assert.deepStrictEqual(depth.out, { next: { next: { next: "[Object]" } } })

    const items = clean({ list: Array.from({ length: 10 }, (_, i) => i) }, { maxItems: 4 })
    assert.isTrue(items.changed)
    assert.deepStrictEqual(items.out, { list: [0, 1, 2, 3, "[truncated: 6 more items]"] })

    const keys = clean(Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, i])), { maxItems: 2 })
    assert.deepStrictEqual(keys.out, { k0: 0, k1: 1, "[truncated]": "3 more keys" })

    const bulky = Array.from({ length: 500 }, () => "y".repeat(100))
    const total = clean(bulky, { maxRecordBytes: 4096 })
    assert.isTrue(total.changed)
    assert.isBelow(JSON.stringify(total.out).length, 4096 + 200)
    assert.match((total.out as Array<string>).at(-1)!, /^\[truncated: \d+ more items\]$/)
  })

  it("never throws: throwing getters, hostile proxies and toJSON", () => {
    const getter = Object.defineProperty({ ok: 1 }, "boom", {
      enumerable: true,
      get() {
        throw new Error("no")
      }
    })
    const proxy = new Proxy({}, {
      ownKeys() {
        throw new Error("trap")
      }
    })
    const badToJSON = {
      toJSON() {
        throw new Error("nope")
      }
    }
    assert.deepStrictEqual(clean(getter).out, { ok: 1, boom: "[unreadable]" })
    assert.strictEqual(clean(proxy).out, "[unserializable]")
    const r = clean({ fine: "yes", bad: badToJSON })
    assert.deepStrictEqual(r.out, { fine: "yes", bad: "[unserializable]" })
    assert.isTrue(r.changed)
  })

  it("keeps a __proto__ key as data and never changes a prototype", () => {
    const input = JSON.parse("{\"__proto__\": {\"polluted\": true}, \"a\": 1}")
    const { out } = clean(input)
    assert.strictEqual(Object.getPrototypeOf(out), Object.prototype)
    assert.isUndefined((out as Record<string, unknown>).polluted)
    assert.strictEqual(JSON.stringify(out), "{\"__proto__\":{\"polluted\":true},\"a\":1}")
    assert.isUndefined(({} as Record<string, unknown>).polluted)
    // The same through the fast path for flat objects of primitives.
    const flat = clean(JSON.parse("{\"__proto__\": \"x\", \"b\": 2}")).out as Record<string, unknown>
    assert.strictEqual(Object.getPrototypeOf(flat), Object.prototype)
    assert.strictEqual(JSON.stringify(flat), "{\"__proto__\":\"x\",\"b\":2}")
  })

  it("copies flat objects of primitives, bounding what needs it", () => {
    const flat = { a: "x", n: 1, ok: true, none: null }
    const { changed, out } = clean(flat)
    assert.deepStrictEqual(out, flat)
    assert.notStrictEqual(out, flat)
    assert.isFalse(changed)
    // A long string or a lone surrogate in a flat object still gets bounded / repaired.
    const fixed = clean({ s: "y".repeat(100), bad: "\ud800" }, { maxStringLength: 16 })
    assert.isTrue(fixed.changed)
    assert.deepStrictEqual(fixed.out, { s: `${"y".repeat(16)}…[truncated 84 chars]`, bad: "\ufffd" })
  })

  it.prop("any value becomes serialisable, well-formed JSON within bounds, without throwing", [
    fc.anything({
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
      withUnicodeString: true
    })
  ], ([value]) => {
    const budget = new Sanitize.Budget(Sanitize.resolveBounds({ maxRecordBytes: 8192, maxStringLength: 512 }))
    const out = Sanitize.clean(value, budget)
    const json = JSON.stringify(out) ?? ""
    assert.isTrue(isWellFormed(json))
    assert.isBelow(json.length, 8192 * 2 + 1024)
    // `worst` is what the exporter trusts to size batches without serialising: it must be an upper bound.
    assert.isAtMost(Buffer.byteLength(json), budget.worst)
  }, { fastCheck: { numRuns: 500 } })

  it.prop("the byte upper bound holds for strings heavy in escapes and multi-byte characters", [
    fc.array(fc.string({ unit: fc.constantFrom("\"", "\\", "\n", "\u0000", "\u007f", "é", "€", "😀", "\ud800", "a") }))
  ], ([strings]) => {
    const budget = new Sanitize.Budget(Sanitize.defaultBounds)
    const out = Sanitize.clean({ list: strings, [strings.join("")]: strings[0] ?? null }, budget)
    assert.isAtMost(Buffer.byteLength(JSON.stringify(out)), budget.worst)
  })
})
