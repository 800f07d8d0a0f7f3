import { assert, describe, it } from "@effect/vitest"
import * as Ids from "../src/Ids.js"

describe("Ids", () => {
  it("span and trace ids are lowercase hex of W3C length, distinct across pool refills", () => {
    const spans = new Set<string>()
    // 4096-byte pool, 8 bytes a span id: 20,000 ids refill it ~40 times.
    for (let i = 0; i < 20_000; i++) {
      const id = Ids.spanId()
      assert.match(id, /^[0-9a-f]{16}$/)
      spans.add(id)
    }
    assert.strictEqual(spans.size, 20_000)
    const traces = new Set<string>()
    for (let i = 0; i < 5_000; i++) {
      const id = Ids.traceId()
      assert.match(id, /^[0-9a-f]{32}$/)
      traces.add(id)
    }
    assert.strictEqual(traces.size, 5_000)
  })

  it("every hex digit occurs (the lookup table covers all byte values)", () => {
    const seen = new Set<string>()
    for (let i = 0; i < 200; i++) for (const c of Ids.traceId()) seen.add(c)
    assert.strictEqual(seen.size, 16)
  })

  it("uuid is a v4 UUID", () => {
    assert.match(Ids.uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })
})
