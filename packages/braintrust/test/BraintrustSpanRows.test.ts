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
 * JSON values, as the tracer's sanitiser leaves span data. Without a
 * `__proto__` key: the schema pass drops one (it assigns properties), while
 * the rows keep it as plain data; both are harmless, but not equal.
 */
const key = fc.string().filter((name) => name !== "__proto__")
const json = fc.jsonValue({ maxDepth: 3 })
  .map((value) => JSON.parse(JSON.stringify(value)) as unknown)
  .filter((value) => !JSON.stringify(value).includes('"__proto__"'))
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
  metrics: fc.dictionary(fc.constantFrom("promptTokens", "completionTokens", "totalTokens", "cost", "extra"), finite),
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
