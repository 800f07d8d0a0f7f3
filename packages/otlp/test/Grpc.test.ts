import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import * as Tracing from "@promptops/core/Tracing"
import * as OtlpConfig from "../src/OtlpConfig.js"
import * as OtlpSpanSink from "../src/OtlpSpanSink.js"
import { encodeRetryInfo } from "../src/internal/grpcStatus.js"
import { Effect, Layer, Logger, Redacted } from "effect"
import * as Receiver from "@promptops/emulators/OtlpReceiver"
import * as net from "node:net"
import * as path from "node:path"
import protobuf from "protobufjs"

// Short backoffs so a retry is over in milliseconds; RetryInfo is honoured over them.
const retry = { base: "1 millis", maxDelay: "5 millis", maxRetries: 4, jitter: false } as const

const key = Redacted.make("sk-grpc-very-secret")

const records: ReadonlyArray<SpanRecord> = [
  {
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "b7ad6b7169203331",
    name: "turn",
    kind: "span",
    startTime: 1_700_000_000_000.25,
    endTime: 1_700_000_000_100.5,
    metadata: { region: "eu" },
    metrics: {},
    destination: { _tag: "ProjectLogs" }
  },
  {
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "00f067aa0ba902b7",
    parentSpanId: "b7ad6b7169203331",
    name: "answer",
    kind: "llm",
    startTime: 1_700_000_000_010,
    endTime: 1_700_000_000_090,
    input: [{ role: "user", content: "hi" }],
    output: "hello",
    metadata: { "gen_ai.provider.name": "openai", "gen_ai.prompt.name": "greet", "gen_ai.prompt.version": "v2", model: "gpt-4o-mini" },
    metrics: { promptTokens: 3, completionTokens: 4 },
    tags: ["smoke"],
    error: { message: "boom", type: "Error" },
    destination: { _tag: "Experiment", experimentId: "exp-1" }
  }
]

const grpcSink = (receiver: Receiver.GrpcReceiver, options: OtlpConfig.Options = {}) =>
  OtlpSpanSink.make({ endpoint: receiver.url, protocol: "grpc", serviceName: "support-bot", ...options })

const tracingTo = (receiver: Receiver.GrpcReceiver, options: OtlpConfig.Options = {}) =>
  Tracing.layer({ retry }).pipe(
    Layer.provideMerge(OtlpSpanSink.layer({ endpoint: receiver.url, protocol: "grpc", ...options })),
    Layer.provide(FetchHttpClient.layer)
  )

/** `count` root spans, ended before the flush, so they go out in one batch. */
const spans = (count: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < count; i++) yield* Effect.withSpan(Effect.void, `s${i}`)
    yield* Tracing.flush
    return yield* Tracing.stats
  })

/** An `ExportTraceServiceResponse` with a partial success, encoded on the official protos. */
const partialSuccess = (rejectedSpans: number, errorMessage: string): Uint8Array => {
  const root = new protobuf.Root()
  root.resolvePath = (_origin, target) => path.join(Receiver.protoDir(), target)
  root.loadSync("opentelemetry/proto/collector/trace/v1/trace_service.proto")
  const type = root.lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse")
  return type.encode(type.fromObject({ partialSuccess: { rejectedSpans, errorMessage } })).finish()
}

/** A TCP proxy in front of the receiver counting the bytes clients send, to see what is on the wire. */
const countingProxy = (target: string) =>
  Effect.acquireRelease(
    Effect.async<{ server: net.Server; url: string; bytes: () => number }>((resume) => {
      const { hostname, port } = new URL(target)
      let bytes = 0
      const server = net.createServer((socket) => {
        const upstream = net.connect(Number(port), hostname)
        socket.on("data", (chunk: Buffer) => {
          bytes += chunk.length
        })
        socket.pipe(upstream).pipe(socket)
        socket.on("error", () => upstream.destroy())
        upstream.on("error", () => socket.destroy())
        server.on("close", () => socket.destroy())
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address() as net.AddressInfo
        resume(Effect.succeed({ server, url: `http://127.0.0.1:${address.port}`, bytes: () => bytes }))
      })
    }),
    ({ server }) => Effect.sync(() => server.close())
  )

const spanCount = (received: Receiver.Received): number =>
  received.exports.reduce((n, each) => n + each.spans.length, 0)

describe("OtlpSpanSink over gRPC", () => {
  for (const compression of ["none", "gzip"] as const) {
    it.live(`a batch arrives field for field, as over http/protobuf (${compression})`, () =>
      Effect.gen(function*() {
        const grpcReceiver = yield* Receiver.startGrpc()
        const httpReceiver = yield* Receiver.start
        yield* (yield* grpcSink(grpcReceiver, { compression })).export(records)
        const http = yield* OtlpSpanSink.make({ endpoint: `${httpReceiver.url}/v1/traces`, serviceName: "support-bot" })
        yield* http.export(records)

        assert.strictEqual(grpcReceiver.requests.length, 1)
        const request = grpcReceiver.requests[0]!
        assert.strictEqual(request.path, "/opentelemetry.proto.collector.trace.v1.TraceService/Export")
        // The same decoded export as the HTTP path: every field, every attribute.
        assert.deepStrictEqual(request.exports, httpReceiver.requests[0]!.exports)

        const [exported] = request.exports
        assert.deepStrictEqual(exported!.resource["service.name"], { string: "support-bot" })
        const answer = exported!.spans.find((span) => span.name === "answer")!
        assert.strictEqual(answer.traceId, "0af7651916cd43dd8448eb211c80319c")
        assert.strictEqual(answer.parentSpanId, "b7ad6b7169203331")
        assert.strictEqual(answer.startTimeUnixNano, "1700000000010000000")
        assert.strictEqual(answer.kind, 3)
        assert.deepStrictEqual(answer.status, { code: 2, message: "boom" })
        assert.deepStrictEqual(answer.attributes["gen_ai.usage.input_tokens"], { int: "3" })
        assert.deepStrictEqual(answer.attributes["gen_ai.prompt.name"], { string: "greet" })
        assert.deepStrictEqual(answer.attributes["promptops.experiment_id"], { string: "exp-1" })
        const turn = exported!.spans.find((span) => span.name === "turn")!
        assert.strictEqual(turn.startTimeUnixNano, "1700000000000250000")
      }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)))
  }

  it.live("gzip: the message is compressed on the wire", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      const proxy = yield* countingProxy(receiver.url)
      const big: ReadonlyArray<SpanRecord> = records.map((record) => ({ ...record, input: "x".repeat(50_000) }))
      yield* (yield* grpcSink(receiver, { endpoint: proxy.url })).export(big)
      const plainBytes = proxy.bytes()
      yield* (yield* grpcSink(receiver, { endpoint: proxy.url, compression: "gzip" })).export(big)
      const gzipBytes = proxy.bytes() - plainBytes
      assert.strictEqual(receiver.accepted().length, 2)
      assert.deepStrictEqual(receiver.requests[1]!.exports, receiver.requests[0]!.exports)
      // 100 KB of content: sent as is the first time, a few hundred bytes gzipped.
      assert.isAbove(plainBytes, 100_000)
      assert.isBelow(gzipBytes, 10_000)
    }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)))

  it.live("headers become metadata, authorization included; the key never appears in an error", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      receiver.replies.push({ code: 16, details: "bad key sk-grpc-very-secret" })
      const sink = yield* OtlpSpanSink.make({
        ...OtlpConfig.basalt({ apiKey: key, endpoint: receiver.url }),
        headers: { authorization: Redacted.make(`Bearer ${Redacted.value(key)}`), "X-Team": "bots" }
      })
      const error = yield* Effect.flip(sink.export(records))
      const metadata = receiver.requests[0]!.headers
      assert.strictEqual(metadata["authorization"], "Bearer sk-grpc-very-secret")
      assert.strictEqual(metadata["x-team"], "bots")
      assert.strictEqual(error._tag, "Unauthorized")
      assert.include(error.message, "gRPC UNAUTHENTICATED")
      assert.notInclude(`${error.message} ${JSON.stringify(error)} ${String(error)}`, "sk-grpc-very-secret")
    }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)))

  it.effect("plain http:// to a non-loopback host is an InvalidInput naming the endpoint", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(OtlpSpanSink.make({ protocol: "grpc", endpoint: "http://collector.internal:4317" }))
      assert.strictEqual(error._tag, "InvalidInput")
      assert.strictEqual(error.path, "endpoint")
      assert.include(error.message, "plain http:// is allowed only to a loopback host")
      assert.include(error.message, "allowInsecureHttp: true")
      assert.notInclude(error.message, "sk-")
      // Opted in (OTEL_EXPORTER_OTLP_INSECURE=true): the channel is made (grpc-js connects on the first call).
      const allowed = yield* OtlpSpanSink.make({
        protocol: "grpc",
        endpoint: "http://collector.internal:4317",
        allowInsecureHttp: true
      })
      assert.strictEqual(allowed.provider, "otlp")
      const withPath = yield* Effect.flip(OtlpSpanSink.make({ protocol: "grpc", endpoint: "https://otel.example.com/v1/traces" }))
      assert.strictEqual(withPath.path, "endpoint")
      assert.include(withPath.message, "without a path")
    }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)))

  it.live("UNAVAILABLE is retried, then the batch is delivered exactly once", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      receiver.replies.push({ code: 14, details: "collector restarting" }, { code: 14, details: "collector restarting" })
      const stats = yield* spans(3).pipe(Effect.provide(tracingTo(receiver)))
      assert.strictEqual(receiver.requests.length, 3)
      assert.strictEqual(receiver.accepted().length, 1)
      assert.strictEqual(Receiver.spansOf(receiver).length, 3)
      assert.strictEqual(stats.exported, 3)
      assert.strictEqual(stats.retries, 2)
      assert.strictEqual(stats.dropped.exportFailed, 0)
    }).pipe(Effect.scoped))

  it.live("INVALID_ARGUMENT is not retried; the spans are counted as dropped", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      receiver.replies.push({ code: 3, details: "bad span" })
      const stats = yield* spans(2).pipe(Effect.provide(tracingTo(receiver)))
      assert.strictEqual(receiver.requests.length, 1)
      assert.strictEqual(stats.exported, 0)
      assert.strictEqual(stats.retries, 0)
      assert.strictEqual(stats.dropped.exportFailed, 2)
    }).pipe(Effect.scoped))

  it.live("a call past its deadline (DEADLINE_EXCEEDED) is retried", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      receiver.replies.push({ code: 0, hang: true })
      const stats = yield* spans(2).pipe(Effect.provide(tracingTo(receiver, { timeout: "300 millis" })))
      // The first call hung until its deadline; the retry got through (on a loaded machine it may take more than one).
      assert.isAtLeast(receiver.requests.length, 2)
      assert.isAtLeast(receiver.requests[1]!.at - receiver.requests[0]!.at, 280)
      assert.isAtLeast(receiver.accepted().length, 1)
      assert.notStrictEqual(receiver.accepted()[0], receiver.requests[0])
      assert.strictEqual(stats.exported, 2)
      assert.isAtLeast(stats.retries, 1)
      assert.strictEqual(stats.dropped.exportFailed, 0)
    }).pipe(Effect.scoped))

  it.live("RESOURCE_EXHAUSTED with RetryInfo waits the delay it names; without, it is not retried", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      receiver.replies.push({
        code: 8,
        details: "slow down",
        trailers: { "grpc-status-details-bin": encodeRetryInfo(protobuf, 8, "slow down", 200) }
      })
      const stats = yield* spans(2).pipe(Effect.provide(tracingTo(receiver)))
      assert.strictEqual(receiver.requests.length, 2)
      // 200 ms asked for, against a 1 ms backoff: the wait is the server's.
      assert.isAtLeast(receiver.requests[1]!.at - receiver.requests[0]!.at, 180)
      assert.strictEqual(stats.exported, 2)

      const plain = yield* Receiver.startGrpc()
      plain.replies.push({ code: 8, details: "quota exceeded" })
      const error = yield* Effect.flip((yield* grpcSink(plain)).export(records))
      assert.strictEqual(error._tag, "BadRequest")
    }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)))

  it.live("a message over the server's limit splits like a 413: every span arrives exactly once", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc({ maxReceiveMessageLength: 1200 })
      const stats = yield* spans(12).pipe(Effect.provide(tracingTo(receiver)))
      const ids = Receiver.spansOf(receiver).map((span) => span.spanId)
      assert.strictEqual(ids.length, 12)
      assert.strictEqual(new Set(ids).size, 12)
      assert.isAbove(receiver.accepted().length, 1)
      for (const request of receiver.accepted()) assert.isBelow(spanCount(request), 12)
      assert.strictEqual(stats.exported, 12)
      assert.strictEqual(stats.dropped.tooLarge, 0)
    }).pipe(Effect.scoped))

  it.live("a partial success is logged with the rejected count", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      receiver.replies.push({ code: 0, response: partialSuccess(1, "too old") })
      const logs: Array<string> = []
      const logger = Logger.make(({ annotations, message }) => {
        logs.push(`${String(message)} ${JSON.stringify(Object.fromEntries(annotations))}`)
      })
      yield* (yield* grpcSink(receiver)).export(records).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      assert.isTrue(logs.some((line) => line.includes("rejected spans") && line.includes("\"rejected\":1")), logs.join("\n"))
    }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)))
})

describe("OtlpConfig.basalt", () => {
  it("Basalt's gRPC collector, bearer metadata, the basalt dialect", () => {
    const options = OtlpConfig.basalt({ apiKey: key })
    assert.strictEqual(options.endpoint, "https://grpc.otel.getbasalt.ai")
    assert.strictEqual(options.protocol, "grpc")
    assert.strictEqual(options.provider, "basalt")
    assert.strictEqual(options.dialect, "basalt")
    const authorization = options.headers?.["authorization"]
    assert.isTrue(Redacted.isRedacted(authorization))
    assert.strictEqual(Redacted.value(authorization as Redacted.Redacted), "Bearer sk-grpc-very-secret")
    assert.notInclude(JSON.stringify(options), "sk-grpc-very-secret")
    // A plain string key is accepted and kept secret all the same.
    const plain = OtlpConfig.basalt({ apiKey: " sk-plain-key-123 ", endpoint: "http://127.0.0.1:4317/", compression: "gzip" })
    assert.strictEqual(plain.endpoint, "http://127.0.0.1:4317")
    assert.strictEqual(plain.compression, "gzip")
    assert.isTrue(Redacted.isRedacted(plain.headers?.["authorization"]))
  })

  it.live("the basalt dialect adds the basalt.* attributes Basalt's SDKs set", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      yield* (yield* OtlpSpanSink.make(OtlpConfig.basalt({ apiKey: key, endpoint: receiver.url }))).export(records)
      const spans = Receiver.spansOf(receiver)
      const answer = spans.find((span) => span.name === "answer")!
      assert.deepStrictEqual(answer.attributes["basalt.span.kind"], { string: "generation" })
      assert.deepStrictEqual(answer.attributes["basalt.prompt.slug"], { string: "greet" })
      assert.deepStrictEqual(answer.attributes["basalt.prompt.version"], { string: "v2" })
      assert.deepStrictEqual(answer.attributes["basalt.experiment.id"], { string: "exp-1" })
      // The GenAI attributes stay: the dialect adds, never replaces.
      assert.deepStrictEqual(answer.attributes["gen_ai.prompt.name"], { string: "greet" })
      const turn = spans.find((span) => span.name === "turn")!
      assert.deepStrictEqual(turn.attributes["basalt.span.kind"], { string: "function" })
      assert.isUndefined(turn.attributes["basalt.experiment.id"])
      assert.strictEqual(receiver.requests[0]!.headers["authorization"], "Bearer sk-grpc-very-secret")

      // The Basalt layer's own metadata (`basalt.prompt`, `basalt.user`, `basalt.organization`) maps as Basalt names it.
      const tagged: SpanRecord = {
        ...records[0]!,
        metadata: {
          "basalt.prompt": { slug: "support", version: "1.2.0", tag: "prod" },
          "basalt.user": { id: "u-1", name: "Ada" },
          "basalt.organization": { id: "o-1" }
        }
      }
      yield* (yield* OtlpSpanSink.make(OtlpConfig.basalt({ apiKey: key, endpoint: receiver.url }))).export([tagged])
      const [span] = receiver.requests[1]!.exports[0]!.spans
      assert.deepStrictEqual(span!.attributes["basalt.prompt.slug"], { string: "support" })
      assert.deepStrictEqual(span!.attributes["basalt.prompt.version"], { string: "1.2.0" })
      assert.deepStrictEqual(span!.attributes["basalt.prompt.tag"], { string: "prod" })
      assert.deepStrictEqual(span!.attributes["basalt.user.id"], { string: "u-1" })
      assert.deepStrictEqual(span!.attributes["basalt.user.name"], { string: "Ada" })
      assert.deepStrictEqual(span!.attributes["basalt.organization.id"], { string: "o-1" })
      assert.isUndefined(span!.attributes["basalt.organization.name"])
    }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)))
})

describe("OtlpSpanSink over gRPC: lifetime", () => {
  it.live("the channel is closed with the sink's scope", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      const sink = yield* Effect.scoped(
        Effect.gen(function*() {
          const sink = yield* grpcSink(receiver)
          yield* sink.export(records)
          return sink
        })
      )
      assert.strictEqual(receiver.accepted().length, 1)
      // Used after its scope closed: the closed channel refuses, as a typed error, and nothing is sent.
      const error = yield* Effect.flip(sink.export(records))
      assert.strictEqual(error._tag, "TransportError")
      assert.strictEqual(receiver.requests.length, 1)
    }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)))
})
