import { assert, describe, it } from "@effect/vitest"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { attributes, hrTime, otlpId, toMessages } from "../src/internal/spans.js"

const record = (fields: Partial<SpanRecord>): SpanRecord => ({
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: "b7ad6b7169203331",
  name: "s",
  kind: "span",
  startTime: 0,
  endTime: 0,
  metadata: {},
  metrics: {},
  destination: { _tag: "ProjectLogs" },
  ...fields
})

describe("mapping", () => {
  it("ids: W3C hex kept, a UUID undashed, anything else hashed to the right size, stably", () => {
    assert.strictEqual(otlpId("0AF7651916CD43DD8448EB211C80319C", 16), "0af7651916cd43dd8448eb211c80319c")
    assert.strictEqual(otlpId("b7ad6b7169203331", 8), "b7ad6b7169203331")
    assert.strictEqual(otlpId("0af76519-16cd-43dd-8448-eb211c80319c", 16), "0af7651916cd43dd8448eb211c80319c")
    const hashed = otlpId("row-17", 8)
    assert.match(hashed, /^[0-9a-f]{16}$/)
    assert.strictEqual(otlpId("row-17", 8), hashed)
    assert.notStrictEqual(otlpId("row-18", 8), hashed)
    // An all-zero id is invalid in OTLP.
    assert.notStrictEqual(otlpId("0000000000000000", 8), "0000000000000000")
  })

  it("times: fractional milliseconds to [seconds, nanoseconds]", () => {
    assert.deepStrictEqual(hrTime(1_795_341_600_123.5), [1_795_341_600, 123_500_000])
    assert.deepStrictEqual(hrTime(999.9999999), [1, 0])
  })

  it("messages: roles kept, a rendered prompt's messages used, anything else one message", () => {
    assert.deepStrictEqual(toMessages({ messages: [{ role: "system", content: "x" }] }, "user"), [
      { role: "system", parts: [{ type: "text", content: "x" }] }
    ])
    assert.deepStrictEqual(toMessages({ q: 1 }, "user"), [{ role: "user", parts: [{ type: "text", content: "{\"q\":1}" }] }])
    assert.deepStrictEqual(toMessages([{ role: "assistant", content: [{ type: "text", text: "hi" }], finish_reason: "stop" }], "assistant"), [
      { role: "assistant", parts: [{ type: "text", content: "hi" }], finish_reason: "stop" }
    ])
  })

  it("a tool span names its tool; captureContent: false drops every content attribute", () => {
    const tool = attributes(record({ kind: "tool", name: "search", input: "q", output: "a", expected: "a" }), true)
    assert.strictEqual(tool["gen_ai.operation.name"], "execute_tool")
    assert.strictEqual(tool["gen_ai.tool.name"], "search")
    assert.strictEqual(tool["promptops.input"], "q")
    const quiet = attributes(record({ kind: "tool", name: "search", input: "q", output: "a", expected: "a" }), false)
    assert.deepStrictEqual(Object.keys(quiet).filter((key) => /input|output|expected|messages/.test(key)), [])
  })

  it("gen_ai.system alone gives gen_ai.provider.name too", () => {
    const out = attributes(record({ kind: "llm", metadata: { "gen_ai.system": "anthropic" } }), true)
    assert.strictEqual(out["gen_ai.provider.name"], "anthropic")
    assert.strictEqual(out["gen_ai.system"], "anthropic")
  })
})
