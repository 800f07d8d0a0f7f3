import * as grpc from "@grpc/grpc-js"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as path from "node:path"
import protobuf from "protobufjs"
import * as OtlpReceiver from "../src/OtlpReceiver.js"

const root = (): protobuf.Root => {
  const out = new protobuf.Root()
  out.resolvePath = (_origin, target) => path.join(OtlpReceiver.protoDir(), target)
  out.loadSync("opentelemetry/proto/collector/trace/v1/trace_service.proto")
  return out
}

const types = root()
const Request = types.lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest")
const Response = types.lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse")

const request = (spanName: string, padding = ""): Uint8Array =>
  Request.encode(Request.fromObject({
    resourceSpans: [{
      resource: { attributes: [{ key: "service.name", value: { stringValue: "svc" } }] },
      scopeSpans: [{
        scope: { name: "probe", version: "1" },
        spans: [{
          traceId: Buffer.from("0af7651916cd43dd8448eb211c80319c", "hex"),
          spanId: Buffer.from("b7ad6b7169203331", "hex"),
          name: spanName,
          kind: 3,
          startTimeUnixNano: "1700000000000000000",
          endTimeUnixNano: "1700000000500000000",
          attributes: [
            { key: "n", value: { intValue: "7" } },
            { key: "pad", value: { stringValue: padding } }
          ],
          status: { code: 2, message: "boom" }
        }]
      }]
    }]
  })).finish()

interface Outcome {
  readonly error: grpc.ServiceError | null
  readonly response: Buffer | undefined
}

/** One unary Export call with a plain grpc-js client, independent of any exporter under test. */
const call = (url: string, body: Uint8Array, metadata: Record<string, string> = {}, options: grpc.ClientOptions = {}) =>
  Effect.async<Outcome>((resume) => {
    const client = new grpc.Client(new URL(url).host, grpc.credentials.createInsecure(), options)
    const meta = new grpc.Metadata()
    for (const [key, value] of Object.entries(metadata)) meta.set(key, value)
    client.makeUnaryRequest<Uint8Array, Buffer>(
      OtlpReceiver.grpcExportPath,
      (bytes) => Buffer.from(bytes),
      (bytes) => bytes,
      body,
      meta,
      { deadline: new Date(Date.now() + 5_000) },
      (error, response) => {
        client.close()
        resume(Effect.succeed({ error: error ?? null, response }))
      }
    )
  })

describe("OtlpReceiver over gRPC", () => {
  it.live("decodes an Export call on the official protos and records its metadata", () =>
    Effect.gen(function*() {
      const receiver = yield* OtlpReceiver.startGrpc()
      assert.match(receiver.url, /^http:\/\/127\.0\.0\.1:\d+$/)
      const outcome = yield* call(receiver.url, request("probe-span"), { authorization: "Bearer k", "x-team": "bots" })
      assert.isNull(outcome.error)
      assert.strictEqual(receiver.requests.length, 1)
      const received = receiver.requests[0]!
      assert.strictEqual(received.path, "/opentelemetry.proto.collector.trace.v1.TraceService/Export")
      assert.strictEqual(received.headers["authorization"], "Bearer k")
      assert.strictEqual(received.headers["x-team"], "bots")
      const [span] = OtlpReceiver.spansOf(receiver)
      assert.deepStrictEqual(received.exports[0]!.resource["service.name"], { string: "svc" })
      assert.deepStrictEqual(received.exports[0]!.scope, { name: "probe", version: "1" })
      assert.strictEqual(span!.traceId, "0af7651916cd43dd8448eb211c80319c")
      assert.strictEqual(span!.spanId, "b7ad6b7169203331")
      assert.strictEqual(span!.name, "probe-span")
      assert.strictEqual(span!.kind, 3)
      assert.strictEqual(span!.startTimeUnixNano, "1700000000000000000")
      assert.deepStrictEqual(span!.status, { code: 2, message: "boom" })
      assert.deepStrictEqual(span!.attributes["n"], { int: "7" })
    }).pipe(Effect.scoped))

  it.live("scripted replies: an error status with details and trailers, then OK with a partial success", () =>
    Effect.gen(function*() {
      const receiver = yield* OtlpReceiver.startGrpc()
      const partial = Response.encode(Response.fromObject({ partialSuccess: { rejectedSpans: 2, errorMessage: "old" } }))
        .finish()
      receiver.replies.push(
        { code: grpc.status.UNAVAILABLE, details: "restarting", trailers: { "x-why": "deploy" } },
        { code: grpc.status.OK, response: partial }
      )
      const first = yield* call(receiver.url, request("a"))
      assert.strictEqual(first.error?.code, grpc.status.UNAVAILABLE)
      assert.strictEqual(first.error?.details, "restarting")
      assert.deepStrictEqual(first.error?.metadata.get("x-why"), ["deploy"])
      const second = yield* call(receiver.url, request("b"))
      assert.isNull(second.error)
      const decoded = Response.toObject(Response.decode(second.response!), { longs: Number }) as {
        partialSuccess: { rejectedSpans: number; errorMessage: string }
      }
      assert.deepStrictEqual(decoded.partialSuccess, { rejectedSpans: 2, errorMessage: "old" })
      assert.strictEqual(receiver.requests.length, 2)
      assert.deepStrictEqual(receiver.accepted().map((each) => each.exports[0]!.spans[0]!.name), ["b"])
    }).pipe(Effect.scoped))

  it.live("a message that is not an ExportTraceServiceRequest is INVALID_ARGUMENT, not accepted", () =>
    Effect.gen(function*() {
      const receiver = yield* OtlpReceiver.startGrpc()
      const outcome = yield* call(receiver.url, Buffer.from([0x0a, 0xff, 0xff, 0xff]))
      assert.strictEqual(outcome.error?.code, grpc.status.INVALID_ARGUMENT)
      assert.strictEqual(receiver.requests.length, 1)
      assert.strictEqual(receiver.accepted().length, 0)
    }).pipe(Effect.scoped))

  it.live("a message over maxReceiveMessageLength is RESOURCE_EXHAUSTED, larger than max", () =>
    Effect.gen(function*() {
      const receiver = yield* OtlpReceiver.startGrpc({ maxReceiveMessageLength: 1024 })
      const outcome = yield* call(receiver.url, request("big", "x".repeat(4096)))
      assert.strictEqual(outcome.error?.code, grpc.status.RESOURCE_EXHAUSTED)
      assert.match(outcome.error?.details ?? "", /larger than max/i)
      assert.strictEqual(receiver.accepted().length, 0)
      const small = yield* call(receiver.url, request("small"))
      assert.isNull(small.error)
    }).pipe(Effect.scoped))

  it.live("gzip-compressed messages are inflated before decoding", () =>
    Effect.gen(function*() {
      const receiver = yield* OtlpReceiver.startGrpc()
      const outcome = yield* call(receiver.url, request("zipped", "y".repeat(10_000)), {}, {
        "grpc.default_compression_algorithm": grpc.compressionAlgorithms.gzip
      })
      assert.isNull(outcome.error)
      assert.strictEqual(OtlpReceiver.spansOf(receiver)[0]!.name, "zipped")
      assert.isAbove(receiver.requests[0]!.rawBytes, 10_000)
    }).pipe(Effect.scoped))
})
