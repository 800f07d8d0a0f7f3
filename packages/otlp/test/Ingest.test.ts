/**
 * Bad and hostile request bodies: each one a typed `InvalidInput` naming what
 * and where (or a rejected span among accepted ones), never a crash.
 */
import { assert, describe, it } from "@effect/vitest"
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer"
import type { InvalidInput } from "@promptops/core/PromptOpsError"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { Effect } from "effect"
import * as zlib from "node:zlib"
import * as Encode from "../src/internal/encode.js"
import * as Proto from "../src/internal/ingestProto.js"
import * as OtlpIngest from "../src/OtlpIngest.js"

const TRACE = "0af7651916cd43dd8448eb211c80319c"
const record = (spanId: string): SpanRecord => ({
  traceId: TRACE,
  spanId,
  name: `s-${spanId}`,
  kind: "span",
  startTime: 1_795_341_600_000,
  endTime: 1_795_341_600_001,
  metadata: {},
  metrics: {},
  destination: { _tag: "ProjectLogs" }
})

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))
const protobuf = (value: unknown) => {
  const { request } = Proto.load()
  return request.encode(request.fromObject(value as Record<string, unknown>)).finish()
}
const span = (fields: Record<string, unknown>) => ({
  traceId: TRACE,
  spanId: "b7ad6b7169203331",
  name: "s",
  startTimeUnixNano: "1795341600000000000",
  endTimeUnixNano: "1795341600000000001",
  ...fields
})
const requestOf = (scopes: ReadonlyArray<ReadonlyArray<unknown>>) => ({
  resourceSpans: [{ resource: { attributes: [] }, scopeSpans: scopes.map((spans) => ({ scope: { name: "x" }, spans })) }]
})

const failure = (body: Uint8Array, options: OtlpIngest.DecodeOptions) => Effect.flip(OtlpIngest.ingest(body, options))
const assertInvalid = (error: InvalidInput, path: string, description: RegExp) => {
  assert.strictEqual(error._tag, "InvalidInput")
  assert.strictEqual(error.path, path)
  assert.match(error.description, description)
}

describe("OtlpIngest bad input", () => {
  it.effect("truncated protobuf: the body is named, not a crash", () =>
    Effect.gen(function*() {
      const body = yield* Encode.make({ protocol: "http/protobuf", gzip: false, captureContent: true })
        .encode([record("b7ad6b7169203331"), record("b7ad6b7169203332")], "otlp", "test")
      const error = yield* failure(body.subarray(0, body.length - 5), { contentType: "application/x-protobuf" })
      assertInvalid(error, "body", /not a valid protobuf ExportTraceServiceRequest/)
      assert.strictEqual(OtlpIngest.statusOf(error), 400)
      // The same bytes declared as JSON.
      assertInvalid(yield* failure(body, { contentType: "application/json" }), "body", /not valid OTLP\/JSON/)
    }))

  it.effect("wrong content type or encoding: 415, with a google.rpc.Status body in the request's encoding", () =>
    Effect.gen(function*() {
      const error = yield* failure(json({}), { contentType: "text/plain" })
      assertInvalid(error, "content-type", /"text\/plain" is not an OTLP encoding/)
      const reply = OtlpIngest.response(error, "text/plain")
      assert.strictEqual(reply.status, 415)
      assert.strictEqual(reply.contentType, "application/json")
      assert.deepStrictEqual(JSON.parse(new TextDecoder().decode(reply.body)), {
        code: 3,
        message: "content-type: \"text/plain\" is not an OTLP encoding: use application/x-protobuf or application/json"
      })
      const encoding = yield* failure(json({}), { contentType: "application/x-protobuf", contentEncoding: "br" })
      assertInvalid(encoding, "content-encoding", /"br" is not supported/)
      const protoReply = OtlpIngest.response(encoding, "application/x-protobuf")
      assert.strictEqual(protoReply.status, 415)
      const { status } = Proto.load()
      assert.deepStrictEqual(status.toObject(status.decode(protoReply.body)), {
        code: 3,
        message: "content-encoding: \"br\" is not supported: use gzip, deflate or none"
      })
      // Parameters and case do not matter.
      assert.deepStrictEqual(
        yield* OtlpIngest.decode(json({}), { contentType: "Application/JSON; charset=utf-8", contentEncoding: "identity" }),
        []
      )
    }))

  it.effect("a gzip bomb stops at the limit (413), the default limit included; bad gzip is a bad body", () =>
    Effect.gen(function*() {
      const bomb = zlib.gzipSync(Buffer.alloc(4 * 1024 * 1024), { level: 1 })
      assert.isBelow(bomb.length, 64 * 1024)
      const error = yield* failure(bomb, { contentType: "application/json", contentEncoding: "gzip", maxBytes: 1024 * 1024 })
      assertInvalid(error, "body.length", /inflates to more than 1048576 bytes/)
      assert.strictEqual(OtlpIngest.statusOf(error), 413)

      const big = zlib.gzipSync(Buffer.alloc(OtlpIngest.defaultMaxBytes + 1), { level: 1 })
      const atDefault = yield* failure(big, { contentType: "application/x-protobuf", contentEncoding: "GZIP" })
      assertInvalid(atDefault, "body.length", /inflates to more than 67108864 bytes/)

      // Over the limit before inflation too.
      assertInvalid(
        yield* failure(new Uint8Array(2048), { contentType: "application/x-protobuf", maxBytes: 1024 }),
        "body.length",
        /is 2048 bytes, over the limit of 1024/
      )
      assertInvalid(
        yield* failure(json({}), { contentType: "application/json", contentEncoding: "gzip" }),
        "body",
        /is not valid gzip data/
      )
    }))

  it.effect("ids of the wrong length, in either encoding: the span's path and the rule", () =>
    Effect.gen(function*() {
      const good = span({})
      const request = requestOf([[good], [good, good, good, span({ traceId: TRACE.slice(2) })]])
      const fromJson = yield* Effect.flip(OtlpIngest.decode(json(request), { contentType: "application/json" }))
      assertInvalid(fromJson, "resourceSpans[0].scopeSpans[1].spans[3].traceId", /must be 16 bytes \(32 hex characters\), got 30/)
      assert.strictEqual(
        fromJson.message.includes("resourceSpans[0].scopeSpans[1].spans[3].traceId"),
        true
      )
      const bytes = (hex: string) => Buffer.from(hex, "hex")
      const binary = requestOf([[{ ...good, traceId: bytes(TRACE), spanId: bytes("b7ad6b71692033") }]])
      const fromProtobuf = yield* Effect.flip(OtlpIngest.decode(protobuf(binary), { contentType: "application/x-protobuf" }))
      assertInvalid(fromProtobuf, "resourceSpans[0].scopeSpans[0].spans[0].spanId", /must be 8 bytes, got 7/)
      // Not hex, all zeros, a bad parent, a time that is not an integer.
      const cases: ReadonlyArray<readonly [Record<string, unknown>, string, RegExp]> = [
        [{ spanId: "zzzzzzzzzzzzzzzz" }, "spanId", /hex characters/],
        [{ traceId: "0".repeat(32) }, "traceId", /all zeros/],
        [{ parentSpanId: "abc" }, "parentSpanId", /must be 8 bytes/],
        [{ startTimeUnixNano: "1.5" }, "startTimeUnixNano", /unix nanoseconds/],
        [{ kind: "SERVERISH" }, "kind", /enum number/],
        [{ attributes: [{ key: "n", value: { intValue: "many" } }] }, "attributes[0].value.intValue", /64-bit integer/]
      ]
      for (const [fields, path, description] of cases) {
        const error = yield* Effect.flip(OtlpIngest.decode(json(requestOf([[span(fields)]])), { contentType: "application/json" }))
        assertInvalid(error, `resourceSpans[0].scopeSpans[0].spans[0].${path}`, description)
      }
    }))

  it.effect("a span without its trace id among good ones: rejected and counted, the rest accepted (partial success)", () =>
    Effect.gen(function*() {
      const { traceId: _, ...noTrace } = span({ spanId: "b7ad6b7169203332" })
      const request = requestOf([[span({}), noTrace, span({ spanId: "b7ad6b7169203333" })]])
      for (const contentType of ["application/json", "application/x-protobuf"] as const) {
        const body = contentType === "application/json"
          ? json(request)
          : protobuf({
            resourceSpans: [{
              scopeSpans: [{
                spans: request.resourceSpans[0]!.scopeSpans[0]!.spans.map((each) => {
                  const s = each as Record<string, unknown>
                  return { ...s, ...(typeof s.traceId === "string" ? { traceId: Buffer.from(s.traceId, "hex") } : {}), spanId: Buffer.from(s.spanId as string, "hex") }
                })
              }]
            }]
          })
        const result = yield* OtlpIngest.ingest(body, { contentType })
        assert.deepStrictEqual(result.records.map((r) => r.spanId), ["b7ad6b7169203331", "b7ad6b7169203333"])
        assert.strictEqual(result.rejected.length, 1)
        assertInvalid(result.rejected[0]!, "resourceSpans[0].scopeSpans[0].spans[1].traceId", /is missing \(must be 16 bytes\)/)

        // The reply the exporter reads: partial success, through the official deserializers.
        const reply = OtlpIngest.response(result, contentType)
        assert.strictEqual(reply.status, 200)
        assert.strictEqual(reply.contentType, contentType)
        const decoded = contentType === "application/json"
          ? JsonTraceSerializer.deserializeResponse(reply.body)
          : ProtobufTraceSerializer.deserializeResponse(reply.body)
        assert.strictEqual(Number(decoded.partialSuccess?.rejectedSpans), 1)
        assert.strictEqual(
          decoded.partialSuccess?.errorMessage,
          "resourceSpans[0].scopeSpans[0].spans[1].traceId: is missing (must be 16 bytes)"
        )
        // All or nothing: decode fails on it.
        assertInvalid(yield* Effect.flip(OtlpIngest.decode(body, { contentType })), "resourceSpans[0].scopeSpans[0].spans[1].traceId", /missing/)
      }
      // All accepted: an empty response (no partialSuccess).
      const ok = yield* OtlpIngest.ingest(json(requestOf([[span({})]])), { contentType: "application/json" })
      assert.deepStrictEqual(JSON.parse(new TextDecoder().decode(OtlpIngest.response(ok, "application/json").body)), {})
      assert.strictEqual(OtlpIngest.response(ok, "application/x-protobuf").body.length, 0)
    }))

  it.effect("a request that is not a request: named; an empty one is zero spans", () =>
    Effect.gen(function*() {
      assertInvalid(yield* failure(json([1]), { contentType: "application/json" }), "body", /ExportTraceServiceRequest object/)
      assertInvalid(yield* failure(json({ resourceSpans: 3 }), { contentType: "application/json" }), "resourceSpans", /must be an array/)
      assert.deepStrictEqual(yield* OtlpIngest.decode(new Uint8Array(0), { contentType: "application/x-protobuf" }), [])
      // OTLP/JSON leniencies: int64 times as numbers, enums by name, ids in upper case.
      const [lenient] = yield* OtlpIngest.decode(
        json(requestOf([[span({
          traceId: TRACE.toUpperCase(),
          startTimeUnixNano: 1_795_341_600_000_000_000,
          endTimeUnixNano: "1795341600002500000",
          kind: "SPAN_KIND_SERVER",
          status: { code: "STATUS_CODE_ERROR", message: "boom" }
        })]])),
        { contentType: "application/json" }
      )
      assert.strictEqual(lenient!.traceId, TRACE)
      assert.strictEqual(lenient!.startTime, 1_795_341_600_000)
      assert.strictEqual(lenient!.endTime, 1_795_341_600_002.5)
      assert.strictEqual(lenient!.metadata["otel.span_kind"], "server")
      assert.deepStrictEqual(lenient!.error, { message: "boom" })
      // A bad resource rejects its spans (counted), other resources are read.
      const result = yield* OtlpIngest.ingest(
        json({
          resourceSpans: [
            { resource: { attributes: "no" }, scopeSpans: [{ spans: [span({}), span({})] }] },
            { scopeSpans: [{ spans: [span({})] }] }
          ]
        }),
        { contentType: "application/json" }
      )
      assert.strictEqual(result.records.length, 1)
      assert.deepStrictEqual(result.rejected.map((e) => e.path), ["resourceSpans[0].resource.attributes", "resourceSpans[0].resource.attributes"])
    }))

  it.effect("hostile values: bounded, JSON-safe, no prototype pollution, big integers kept exact", () =>
    Effect.gen(function*() {
      // 5,000 levels: written as text (JSON.stringify itself would overflow the stack).
      const deep = "{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":".repeat(5_000) + "{\"stringValue\":\"bottom\"}" +
        "}]}}".repeat(5_000)
      const attributes = [
        { key: "__proto__", value: { kvlistValue: { values: [{ key: "polluted", value: { boolValue: true } }] } } },
        { key: "deep", value: "DEEP" },
        { key: "huge", value: { stringValue: "x".repeat(100_000) } },
        { key: "big", value: { intValue: "9007199254740993" } },
        { key: "nan", value: { doubleValue: "NaN" } },
        { key: "bytes", value: { bytesValue: "AAEC" } },
        { key: "many", value: { arrayValue: { values: Array.from({ length: 2_000 }, (_, i) => ({ intValue: i })) } } }
      ]
      const body = new TextEncoder().encode(JSON.stringify(requestOf([[span({ attributes })]])).replace("\"DEEP\"", deep))
      const [decoded] = yield* OtlpIngest.decode(body, { contentType: "application/json" })
      const metadata = decoded!.metadata
      assert.strictEqual(({} as Record<string, unknown>).polluted, undefined)
      assert.isTrue(Object.prototype.hasOwnProperty.call(metadata, "__proto__"))
      assert.deepStrictEqual(Object.getOwnPropertyDescriptor(metadata, "__proto__")?.value, { polluted: true })
      assert.include(JSON.stringify(metadata.deep), "[truncated: too deep]")
      assert.isBelow((metadata.huge as string).length, 70_000)
      assert.strictEqual(metadata.big, "9007199254740993")
      assert.strictEqual(metadata.nan, "NaN")
      assert.strictEqual(metadata.bytes, "AAEC")
      assert.strictEqual((metadata.many as Array<number>).length, 1_000)
      assert.strictEqual(decoded!.truncated, true)
      // The record is plain JSON (no bytes, no BigInt): it survives a JSON round trip unchanged.
      assert.deepStrictEqual(JSON.parse(JSON.stringify(decoded)), decoded)
    }))

  it.effect("older GenAI forms and OpenInference: prompt/completion events, flattened tokens and model, span kinds", () =>
    Effect.gen(function*() {
      const attribute = (key: string, value: unknown) => ({
        key,
        value: typeof value === "number" ? { intValue: value } : { stringValue: value }
      })
      const [events, openInference] = yield* OtlpIngest.decode(
        json(requestOf([[
          span({
            spanId: "b7ad6b7169203331",
            attributes: [attribute("gen_ai.system", "cohere"), attribute("gen_ai.response.model", "command-r")],
            events: [
              { name: "gen_ai.content.prompt", timeUnixNano: "1795341600000000000", attributes: [attribute("gen_ai.prompt", "[{\"role\":\"user\",\"content\":\"hi\"}]")] },
              { name: "gen_ai.content.completion", timeUnixNano: "1795341600000000001", attributes: [attribute("gen_ai.completion", "[{\"role\":\"assistant\",\"content\":\"yo\"}]")] }
            ]
          }),
          span({
            spanId: "b7ad6b7169203332",
            attributes: [
              attribute("openinference.span.kind", "RETRIEVER"),
              attribute("llm.model_name", "text-embedding-3"),
              attribute("llm.token_count.prompt", 7),
              attribute("llm.token_count.total", 7)
            ]
          })
        ]])),
        { contentType: "application/json" }
      )
      assert.strictEqual(events!.kind, "llm")
      assert.deepStrictEqual(events!.input, [{ role: "user", content: "hi" }])
      assert.deepStrictEqual(events!.output, [{ role: "assistant", content: "yo" }])
      assert.deepStrictEqual(events!.metadata, { "gen_ai.provider.name": "cohere", model: "command-r", "otel.scope": { name: "x" } })
      assert.strictEqual(openInference!.kind, "retrieval")
      assert.deepStrictEqual(openInference!.metrics, { promptTokens: 7, totalTokens: 7 })
      assert.deepStrictEqual(openInference!.metadata, {
        "openinference.span.kind": "RETRIEVER",
        model: "text-embedding-3",
        "otel.scope": { name: "x" }
      })
    }))
})
