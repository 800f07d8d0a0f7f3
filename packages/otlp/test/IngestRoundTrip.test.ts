/**
 * `OtlpIngest.decode` is the inverse of the sink's encoder: generated
 * records → `internal/encode.ts` (the official serializers) in both
 * protocols, gzipped or not → decode → the same records.
 *
 * What cannot round-trip, and so is not generated (see `OtlpIngest`'s docs):
 * - a string input/output/expected that is itself JSON text (`"12"`, `"[1]"`)
 *   comes back parsed: the encoder writes non-strings as JSON text;
 * - a metadata string that is a JSON object or array comes back parsed, for
 *   the same reason; a null metadata value is not sent at all;
 * - an `llm` span's input that is a bare array, or one message of the
 *   default role (`user` in, `assistant` out), comes back in the other form
 *   (GenAI messages cannot tell them apart); `{ messages }` loses its wrapper;
 * - an error without a `type` comes back with type `"Error"` (`error.type`
 *   is required by the conventions); an empty tag list or score map, or `truncated: false`,
 *   is not sent;
 * - `gen_ai.system` alone in metadata comes back as `gen_ai.provider.name`
 *   (the encoder sends both; the current name wins);
 * - integers beyond 2^53 (int64 on the wire) and non-finite numbers.
 * Every decoded record also has `metadata["service.name"]` (the resource's).
 */
import { assert, describe, it } from "@effect/vitest"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { Effect, FastCheck as fc } from "effect"
import * as Encode from "../src/internal/encode.js"
import * as OtlpIngest from "../src/OtlpIngest.js"

const hexId = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes })
    .filter((b) => b.some((x) => x !== 0))
    .map((b) => Buffer.from(b).toString("hex"))

const isJsonText = (s: string): boolean => {
  try {
    JSON.parse(s)
    return true
  } catch {
    return false
  }
}

const text = fc.string({ maxLength: 30 }).filter((s) => !isJsonText(s))
/** A metadata string: never one the decoder would read as a JSON'd object or array. */
const metaText = fc.string({ maxLength: 20 }).filter((s) => !/^[[{]/.test(s))
const safeNumber = fc.oneof(
  fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
  fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true })
)
const key = fc.string({ minLength: 1, maxLength: 12 }).filter((k) =>
  !k.startsWith("gen_ai.") && !k.startsWith("otel.") && k !== "service.name" && k !== "model" && k !== "error.type"
)
/** JSON objects with no `role`/`messages` keys at the top (those are GenAI messages to the encoder). */
const jsonObject = fc.dictionary(key.filter((k) => k !== "role" && k !== "messages"), fc.jsonValue({ maxDepth: 3 }), {
  maxKeys: 4
})
const content = fc.oneof(text, safeNumber, fc.boolean(), jsonObject, fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }))
const llmContent = fc.oneof(
  text,
  safeNumber,
  jsonObject,
  // Real messages: more than one, or not of the default role.
  fc.array(
    fc.record({ role: fc.constantFrom("system", "user", "assistant", "tool"), content: fc.string({ maxLength: 20 }) }),
    { minLength: 2, maxLength: 4 }
  )
)
const metadataValue = fc.oneof(
  metaText,
  safeNumber,
  fc.boolean(),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.array(fc.integer(), { minLength: 1, maxLength: 3 }),
  jsonObject,
  fc.tuple(fc.string(), fc.integer()).map((pair): Array<unknown> => [...pair])
)

const record: fc.Arbitrary<SpanRecord> = fc.record({
  traceId: hexId(16),
  spanId: hexId(8),
  parentSpanId: fc.option(hexId(8), { nil: undefined }),
  name: fc.string({ maxLength: 20 }),
  kind: fc.constantFrom("llm", "task", "tool", "retrieval", "function", "eval", "score", "span") as fc.Arbitrary<
    SpanRecord["kind"]
  >,
  // Unix ms with microseconds, 2020–2030; a duration up to an hour with nanoseconds.
  start: fc.tuple(fc.integer({ min: 1_577_836_800_000, max: 1_893_456_000_000 }), fc.integer({ min: 0, max: 999 })),
  duration: fc.integer({ min: 0, max: 3_600_000_000_000 }),
  content: fc.record({ input: content, output: content, expected: content, llmInput: llmContent, llmOutput: llmContent }, {
    requiredKeys: []
  }),
  metadata: fc.dictionary(key, metadataValue, { maxKeys: 5 }),
  genAi: fc.record({
    model: fc.string({ minLength: 1, maxLength: 10 }),
    "gen_ai.provider.name": fc.constantFrom("openai", "anthropic", "aws.bedrock"),
    "gen_ai.prompt.name": fc.string({ minLength: 1, maxLength: 10 }),
    "gen_ai.prompt.version": fc.string({ minLength: 1, maxLength: 4 })
  }, { requiredKeys: [] }),
  metrics: fc.record({
    promptTokens: fc.nat(100_000),
    completionTokens: fc.nat(100_000),
    totalTokens: fc.nat(200_000),
    cost: fc.double({ min: 0, max: 100, noNaN: true }),
    latencyMs: fc.double({ min: 0, max: 1e6, noNaN: true })
  }, { requiredKeys: [] }),
  scores: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }), { minKeys: 1, maxKeys: 3 }), { nil: undefined }),
  tags: fc.option(fc.array(fc.string({ maxLength: 10 }), { minLength: 1, maxLength: 3 }), { nil: undefined }),
  experimentId: fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: undefined }),
  error: fc.option(
    fc.record({ message: fc.string({ maxLength: 30 }), type: fc.string({ minLength: 1, maxLength: 12 }), stack: fc.string({ maxLength: 40 }) }, {
      requiredKeys: ["message", "type"]
    }),
    { nil: undefined }
  ),
  truncated: fc.option(fc.constant(true as const), { nil: undefined })
}, { requiredKeys: ["traceId", "spanId", "name", "kind", "start", "duration", "content", "metadata", "genAi", "metrics"] }).map((g) => {
  const startTime = g.start[0] + g.start[1] / 1000
  const isLlm = g.kind === "llm"
  const out: Record<string, unknown> = {
    traceId: g.traceId,
    spanId: g.spanId,
    name: g.name,
    kind: g.kind,
    startTime,
    endTime: startTime + g.duration / 1e6,
    metadata: { ...g.metadata, ...g.genAi },
    metrics: g.metrics,
    destination: g.experimentId === undefined ? { _tag: "ProjectLogs" } : { _tag: "Experiment", experimentId: g.experimentId }
  }
  if (g.parentSpanId !== undefined) out.parentSpanId = g.parentSpanId
  const input = isLlm ? g.content.llmInput : g.content.input
  const output = isLlm ? g.content.llmOutput : g.content.output
  if (input !== undefined) out.input = input
  if (output !== undefined) out.output = output
  if (g.content.expected !== undefined) out.expected = g.content.expected
  for (const field of ["scores", "tags", "error", "truncated"] as const) if (g[field] !== undefined) out[field] = g[field]
  return out as unknown as SpanRecord
})

/** What the decoder gives back: the record through JSON (as any transport), plus the resource's service name. */
const expectedOf = (original: SpanRecord): SpanRecord => {
  const copy = JSON.parse(JSON.stringify(original)) as Record<string, unknown>
  copy.startTime = original.startTime
  copy.endTime = original.endTime
  copy.metadata = { ...(copy.metadata as object), "service.name": "svc" }
  return copy as unknown as SpanRecord
}

const roundTrip = (batch: ReadonlyArray<SpanRecord>, protocol: "http/protobuf" | "http/json", gzip: boolean) =>
  Effect.gen(function*() {
    const encoder = Encode.make({ protocol, gzip, captureContent: true, serviceName: "svc" })
    const body = yield* encoder.encode(batch, "otlp", "test")
    return yield* OtlpIngest.decode(body, { contentType: encoder.contentType, contentEncoding: gzip ? "gzip" : undefined })
  })

describe("OtlpIngest round trip", () => {
  it.effect.prop(
    "records → the sink's encoder (protobuf and JSON, gzip or not) → decode → the same records",
    [fc.array(record, { minLength: 1, maxLength: 4 }), fc.boolean()],
    ([batch, gzip]) =>
      Effect.gen(function*() {
        const expected = batch.map(expectedOf)
        const viaProtobuf = yield* roundTrip(batch, "http/protobuf", gzip)
        const viaJson = yield* roundTrip(batch, "http/json", gzip)
        assert.deepStrictEqual(viaProtobuf, expected)
        assert.deepStrictEqual(viaJson, expected)
      }),
    { fastCheck: { numRuns: 80 } }
  )

  it.effect("a known record, field by field (so the property is not comparing two equal mistakes)", () =>
    Effect.gen(function*() {
      const original: SpanRecord = {
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        parentSpanId: "00f067aa0ba902b7",
        name: "answer",
        kind: "llm",
        startTime: 1_795_341_600_123.456,
        endTime: 1_795_341_601_000.5,
        input: [{ role: "system", content: "be brief" }, { role: "user", content: "hi" }],
        output: "hello",
        metadata: { model: "claude", "gen_ai.provider.name": "anthropic", flag: true, nested: { a: [1, "b"] } },
        metrics: { promptTokens: 3, completionTokens: 4, totalTokens: 7, cost: 0.25 },
        scores: { relevance: 0.75, skipped: null },
        tags: ["prod"],
        error: { message: "bad answer", type: "TypeError", stack: "TypeError: bad answer\n    at x" },
        destination: { _tag: "Experiment", experimentId: "exp-1" }
      }
      for (const protocol of ["http/protobuf", "http/json"] as const) {
        const [decoded] = yield* roundTrip([original], protocol, false)
        assert.deepStrictEqual(decoded, { ...original, metadata: { ...original.metadata, "service.name": "svc" } })
      }
    }))
})
