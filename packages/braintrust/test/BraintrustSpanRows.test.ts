/**
 * The span sink sends its rows without the client's schema pass (it was the
 * largest client cost per exported span). That is sound only while the pass
 * would change nothing: for any sanitised span record, encoding the insert
 * request `toInsertRequest` builds must be the identity and must succeed.
 */
import { assert, describe, it } from "@effect/vitest"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { FastCheck as fc, Schema } from "effect"
import { CrossObjectInsertRequest } from "../src/BraintrustSchema.js"
import * as BraintrustSpanSink from "../src/BraintrustSpanSink.js"

const hex = (length: number) =>
  fc.array(fc.constantFrom(..."0123456789abcdef"), { minLength: length, maxLength: length }).map((chars) => chars.join(""))

/**
 * JSON values, as the tracer's sanitiser leaves span data: `__proto__` keys
 * included, as own data (fast-check generates them on purpose).
 */
const key = fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "toString"))
const json = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.parse(JSON.stringify(value)) as unknown)
const finite = fc.double({ noNaN: true, noDefaultInfinity: true })

const spanRecord: fc.Arbitrary<SpanRecord> = fc.record({
  traceId: hex(32),
  spanId: hex(16),
  parentSpanId: fc.option(hex(16), { nil: undefined }),
  name: fc.string(),
  kind: fc.constantFrom("llm", "task", "tool", "retrieval", "function", "eval", "score", "span"),
  startTime: fc.double({ min: 1e12, max: 2e12, noNaN: true }),
  endTime: fc.double({ min: 1e12, max: 2e12, noNaN: true }),
  input: fc.option(json, { nil: undefined }),
  output: fc.option(json, { nil: undefined }),
  expected: fc.option(json, { nil: undefined }),
  error: fc.option(
    fc.record({ message: fc.string(), type: fc.option(fc.string(), { nil: undefined }) }),
    { nil: undefined }
  ),
  metadata: fc.dictionary(key, json),
  metrics: fc.dictionary(
    fc.constantFrom("promptTokens", "completionTokens", "totalTokens", "cost", "extra", "__proto__", "constructor"),
    finite
  ),
  scores: fc.option(fc.dictionary(key, fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null })), {
    nil: undefined
  }),
  tags: fc.option(fc.array(fc.string()), { nil: undefined }),
  destination: fc.oneof(
    fc.constant({ _tag: "ProjectLogs" as const }),
    fc.uuid().map((experimentId) => ({ _tag: "Experiment" as const, experimentId }))
  ),
  truncated: fc.option(fc.boolean(), { nil: undefined })
}, { requiredKeys: ["traceId", "spanId", "name", "kind", "startTime", "endTime", "metadata", "metrics", "destination"] })
  // fast-check types optional keys as `T | undefined`; the values are what a SpanRecord holds.
  .map((record) => record as SpanRecord)

describe("BraintrustSpanSink rows", () => {
  it.prop("are already in wire form: the schema pass the sink skips would change nothing", [
    fc.array(spanRecord, { minLength: 1, maxLength: 20 })
  ], ([batch]) => {
    const request = BraintrustSpanSink.toInsertRequest(batch, "3f1c2a4e-8d2b-4f6a-9c1e-0b7d5e3a2f10")
    const encoded = Schema.encodeUnknownSync(CrossObjectInsertRequest)(request)
    // Compared as the JSON that goes on the wire (where -0 and 0 are one).
    assert.deepStrictEqual(JSON.parse(JSON.stringify(encoded)), JSON.parse(JSON.stringify(request)))
  }, { fastCheck: { numRuns: 200 } })
})

describe("BraintrustSpanSink row names", () => {
  it("metric and score names shaped like Object.prototype members stay as they are, both ways", () => {
    const metrics = JSON.parse('{"constructor":3,"toString":4,"__proto__":5,"promptTokens":6.4}') as Record<string, number>
    const scores = JSON.parse('{"__proto__":1,"hasOwnProperty":0}') as Record<string, number>
    const record: SpanRecord = {
      traceId: "a".repeat(32),
      spanId: "b".repeat(16),
      name: "llm",
      kind: "llm",
      startTime: 1_700_000_000_000,
      endTime: 1_700_000_000_500,
      metadata: {},
      metrics,
      scores,
      destination: { _tag: "ProjectLogs" }
    }
    const row = BraintrustSpanSink.toRow(record)
    assert.strictEqual(
      JSON.stringify(row.metrics),
      '{"start":1700000000,"end":1700000000.5,"constructor":3,"toString":4,"__proto__":5,"prompt_tokens":6}'
    )
    const back = BraintrustSpanSink.fromRow({ ...row, span_id: record.spanId, root_span_id: record.traceId } as never, {
      _tag: "ProjectLogs"
    })
    assert.strictEqual(JSON.stringify(back.metrics), '{"constructor":3,"toString":4,"__proto__":5,"promptTokens":6}')
    assert.strictEqual(JSON.stringify(back.scores), '{"__proto__":1,"hasOwnProperty":0}')
  })
})
