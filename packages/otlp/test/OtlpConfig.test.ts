import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Tracing from "@promptops/core/Tracing"
import * as OtlpConfig from "../src/OtlpConfig.js"
import * as OtlpSpanSink from "../src/OtlpSpanSink.js"
import { ConfigProvider, Duration, Effect, Layer, Redacted } from "effect"
import * as Receiver from "@promptops/emulators/OtlpReceiver"

const read = (env: Record<string, string>) =>
  Effect.withConfigProvider(OtlpConfig.config, ConfigProvider.fromMap(new Map(Object.entries(env))))

const headerValues = (options: OtlpConfig.Options): Record<string, string> =>
  Object.fromEntries(
    Object.entries(options.headers ?? {}).map(([name, value]) => [
      name,
      Redacted.isRedacted(value) ? Redacted.value(value) : value
    ])
  )

describe("OtlpConfig.config", () => {
  it.effect("nothing set: every default", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* read({}), {})
    }))

  it.effect("the base endpoint gets /v1/traces appended; the traces endpoint is used as is and wins", () =>
    Effect.gen(function*() {
      const base = yield* read({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example.com:4318/" })
      assert.strictEqual(base.endpoint, "https://otel.example.com:4318/v1/traces")
      const prefixed = yield* read({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example.com/otlp" })
      assert.strictEqual(prefixed.endpoint, "https://otel.example.com/otlp/v1/traces")
      const traces = yield* read({
        OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example.com",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example.com/custom/path"
      })
      assert.strictEqual(traces.endpoint, "https://traces.example.com/custom/path")
    }))

  it.effect("headers: k=v lists, percent-decoded, secret, the traces ones winning", () =>
    Effect.gen(function*() {
      const options = yield* read({
        OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20sk-123, x-team = a%2Cb ,x-both=general",
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-both=traces"
      })
      assert.deepStrictEqual(headerValues(options), {
        authorization: "Bearer sk-123",
        "x-team": "a,b",
        "x-both": "traces"
      })
      assert.isTrue(Redacted.isRedacted(options.headers!["authorization"]))
      assert.notInclude(JSON.stringify(options), "sk-123")
    }))

  it.effect("a bad header list names the variable and never quotes the value", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(read({ OTEL_EXPORTER_OTLP_HEADERS: "authorization:Bearer sk-secret" }))
      assert.include(String(error), "OTEL_EXPORTER_OTLP_HEADERS")
      assert.notInclude(String(error), "sk-secret")
      const encoding = yield* Effect.flip(read({ OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x=%E0%A4%A" }))
      assert.include(String(encoding), "OTEL_EXPORTER_OTLP_TRACES_HEADERS")
    }))

  it.effect("protocol, timeout, compression, service name and resource attributes", () =>
    Effect.gen(function*() {
      const options = yield* read({
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_TIMEOUT: "2500",
        OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
        OTEL_SERVICE_NAME: "support-bot",
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=prod,service.version=1.2.3,team=a%20b"
      })
      assert.strictEqual(options.protocol, "http/json")
      assert.isTrue(Duration.equals(Duration.decode(options.timeout!), Duration.millis(2500)))
      assert.strictEqual(options.compression, "gzip")
      assert.strictEqual(options.serviceName, "support-bot")
      assert.deepStrictEqual(options.resourceAttributes, {
        "deployment.environment.name": "prod",
        "service.version": "1.2.3",
        team: "a b"
      })
    }))

  it.effect("grpc parses; its base endpoint is used as is (no /v1/traces), the sink defaulting to :4317", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* read({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }), { protocol: "grpc" })
      const based = yield* read({
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc",
        OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example.com:4317"
      })
      assert.strictEqual(based.protocol, "grpc")
      assert.strictEqual(based.endpoint, "https://otel.example.com:4317")
      assert.strictEqual(OtlpConfig.defaultGrpcEndpoint, "http://localhost:4317")
    }))

  it.effect("bad values are errors naming their variable", () =>
    Effect.gen(function*() {
      const protocol = yield* Effect.flip(read({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/xml" }))
      assert.include(String(protocol), "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
      for (const value of ["soon", "-5", "0", "1.5"]) {
        const timeout = yield* Effect.flip(read({ OTEL_EXPORTER_OTLP_TIMEOUT: value }))
        assert.include(String(timeout), "OTEL_EXPORTER_OTLP_TIMEOUT")
      }
      const compression = yield* Effect.flip(read({ OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "brotli" }))
      assert.include(String(compression), "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION")
      const resource = yield* Effect.flip(read({ OTEL_RESOURCE_ATTRIBUTES: "novalue" }))
      assert.include(String(resource), "OTEL_RESOURCE_ATTRIBUTES")
    }))

  it.live("layerConfig sends where the variables say, with their headers and resource", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      const env = ConfigProvider.fromMap(
        new Map([
          ["OTEL_EXPORTER_OTLP_ENDPOINT", `${receiver.url}/collector`],
          ["OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=k%3D1"],
          ["OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"],
          ["OTEL_SERVICE_NAME", "from-env"]
        ])
      )
      yield* Effect.gen(function*() {
        yield* Effect.withSpan(Effect.void, "one")
        yield* Tracing.flush
      }).pipe(
        Effect.provide(
          Tracing.layer().pipe(
            Layer.provideMerge(OtlpSpanSink.layerConfig(OtlpConfig.config)),
            Layer.provide(FetchHttpClient.layer),
            Layer.provide(Layer.setConfigProvider(env))
          )
        )
      )
      const [request] = receiver.requests
      assert.strictEqual(request?.path, "/collector/v1/traces")
      assert.strictEqual(request?.headers["x-api-key"], "k=1")
      assert.strictEqual(request?.headers["content-type"], "application/json")
      assert.deepStrictEqual(request?.exports[0]?.resource["service.name"], { string: "from-env" })
      assert.strictEqual(request?.exports[0]?.spans[0]?.name, "one")
    }).pipe(Effect.scoped))
})

describe("OtlpConfig presets", () => {
  const key = Redacted.make("sk-very-secret")

  it("braintrust: /otel/v1/traces, bearer key, x-bt-parent, limits", () => {
    const project = OtlpConfig.braintrust({ apiKey: key, project: "support bot" })
    assert.strictEqual(project.endpoint, "https://api.braintrust.dev/otel/v1/traces")
    assert.deepStrictEqual(headerValues(project), {
      authorization: "Bearer sk-very-secret",
      "x-bt-parent": "project_name:support bot"
    })
    assert.isTrue(Redacted.isRedacted(project.headers!["authorization"]))
    assert.strictEqual(project.provider, "braintrust")
    assert.isAtMost(project.limits!.maxBytes!, 10 * 1000 * 1000 / 2)
    const byId = OtlpConfig.braintrust({ apiKey: key, projectId: "p-1", apiUrl: "https://api-eu.braintrust.dev/" })
    assert.strictEqual(byId.endpoint, "https://api-eu.braintrust.dev/otel/v1/traces")
    assert.strictEqual(headerValues(byId)["x-bt-parent"], "project_id:p-1")
    assert.strictEqual(
      headerValues(OtlpConfig.braintrust({ apiKey: key, experimentId: "e-1" }))["x-bt-parent"],
      "experiment_id:e-1"
    )
  })

  it("langfuse: /api/public/otel/v1/traces with Basic auth", () => {
    const options = OtlpConfig.langfuse({ publicKey: "pk-lf-1", secretKey: key, baseUrl: "https://us.cloud.langfuse.com" })
    assert.strictEqual(options.endpoint, "https://us.cloud.langfuse.com/api/public/otel/v1/traces")
    assert.strictEqual(
      headerValues(options)["authorization"],
      `Basic ${Buffer.from("pk-lf-1:sk-very-secret").toString("base64")}`
    )
    assert.strictEqual(OtlpConfig.langfuse({ publicKey: "p", secretKey: key }).endpoint, "https://cloud.langfuse.com/api/public/otel/v1/traces")
  })

  it("langsmith, phoenix, collector", () => {
    const smith = OtlpConfig.langsmith({ apiKey: key, project: "bots" })
    assert.strictEqual(smith.endpoint, "https://api.smith.langchain.com/otel/v1/traces")
    assert.deepStrictEqual(headerValues(smith), { "x-api-key": "sk-very-secret", "langsmith-project": "bots" })
    assert.strictEqual(OtlpConfig.phoenix().endpoint, "http://localhost:6006/v1/traces")
    assert.deepStrictEqual(headerValues(OtlpConfig.phoenix({ endpoint: "https://app.phoenix.arize.com/s/me", apiKey: key })), {
      authorization: "Bearer sk-very-secret"
    })
    assert.strictEqual(OtlpConfig.phoenix({ endpoint: "https://app.phoenix.arize.com/s/me" }).endpoint, "https://app.phoenix.arize.com/s/me/v1/traces")
    assert.strictEqual(OtlpConfig.collector().endpoint, "http://localhost:4318/v1/traces")
    assert.strictEqual(OtlpConfig.collector({ endpoint: "https://otel.example.com" }).endpoint, "https://otel.example.com/v1/traces")
  })

  it.live("a preset's headers reach the receiver; its key never appears in an error", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      receiver.reply = () => ({ status: 401, body: "{\"message\":\"bad key sk-very-secret\"}" })
      const options = OtlpConfig.braintrust({ apiKey: key, project: "bots", apiUrl: receiver.url })
      const sink = yield* OtlpSpanSink.make(options)
      const error = yield* Effect.flip(sink.export([{
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        name: "one",
        kind: "span",
        startTime: 1,
        endTime: 2,
        metadata: {},
        metrics: {},
        destination: { _tag: "ProjectLogs" }
      }]))
      assert.strictEqual(receiver.requests[0]?.path, "/otel/v1/traces")
      assert.strictEqual(receiver.requests[0]?.headers["authorization"], "Bearer sk-very-secret")
      assert.strictEqual(receiver.requests[0]?.headers["x-bt-parent"], "project_name:bots")
      assert.strictEqual(error._tag, "Unauthorized")
      assert.notInclude(`${error.message} ${JSON.stringify(error)} ${String(error)}`, "sk-very-secret")
    }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)))

  it.effect("a preset with an empty key fails at make, naming the header", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(OtlpSpanSink.make(OtlpConfig.langsmith({ apiKey: Redacted.make("  ") })))
      assert.strictEqual(error._tag, "InvalidInput")
      assert.strictEqual(error.path, "headers.x-api-key")
    }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)))
})
