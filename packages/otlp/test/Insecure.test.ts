import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as SpanSink from "@promptops/core/SpanSink"
import * as Tracing from "@promptops/core/Tracing"
import * as Receiver from "@promptops/emulators/OtlpReceiver"
import { ConfigError, ConfigProvider, Effect, Either, Layer } from "effect"
import * as OtlpConfig from "../src/OtlpConfig.js"
import * as OtlpSpanSink from "../src/OtlpSpanSink.js"

const read = (env: Record<string, string>) =>
  Effect.withConfigProvider(OtlpConfig.config, ConfigProvider.fromMap(new Map(Object.entries(env))))

const privateEndpoint = "http://otel-collector.internal:4318/v1/traces"

describe("allowInsecureHttp: plain http:// to a Collector on a private network", () => {
  it.scoped("refused by default, with an error that names the option", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(OtlpSpanSink.make({ endpoint: privateEndpoint }))
      assert.strictEqual(error._tag, "InvalidInput")
      assert.include(error.message, "otel-collector.internal")
      assert.include(error.message, "allowInsecureHttp: true")
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.live("allowInsecureHttp: true permits it, and spans are delivered", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      // The private host is played by the receiver: the request is sent to it, under the name it was given.
      const sink = yield* OtlpSpanSink.make({
        endpoint: privateEndpoint,
        allowInsecureHttp: true,
        transformClient: HttpClient.mapRequest((request) =>
          HttpClientRequest.setUrl(request, request.url.replace("http://otel-collector.internal:4318", receiver.url))
        )
      }).pipe(Effect.provide(FetchHttpClient.layer))
      yield* Effect.gen(function*() {
        yield* Effect.withSpan(Effect.void, "over plain http")
        yield* Tracing.flush
      }).pipe(Effect.provide(Tracing.layer().pipe(Layer.provide(Layer.succeed(SpanSink.SpanSink, sink)))))
      assert.deepStrictEqual(Receiver.spansOf(receiver).map((span) => span.name), ["over plain http"])
    }).pipe(Effect.scoped))

  it.scoped("OTEL_EXPORTER_OTLP_INSECURE=true (or its TRACES variant) sets it; false or unset leaves it off", () =>
    Effect.gen(function*() {
      const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel-collector.internal:4318" }
      assert.strictEqual((yield* read({ ...endpoint, OTEL_EXPORTER_OTLP_INSECURE: "true" })).allowInsecureHttp, true)
      assert.strictEqual((yield* read({ ...endpoint, OTEL_EXPORTER_OTLP_INSECURE: "TRUE" })).allowInsecureHttp, true)
      assert.strictEqual((yield* read({ ...endpoint, OTEL_EXPORTER_OTLP_INSECURE: "false" })).allowInsecureHttp, undefined)
      assert.strictEqual((yield* read(endpoint)).allowInsecureHttp, undefined)
      const traces = yield* read({
        ...endpoint,
        OTEL_EXPORTER_OTLP_INSECURE: "false",
        OTEL_EXPORTER_OTLP_TRACES_INSECURE: "true"
      })
      assert.strictEqual(traces.allowInsecureHttp, true)
      // And the sink built from that configuration accepts the private endpoint.
      const sink = yield* OtlpSpanSink.make(yield* read({ ...endpoint, OTEL_EXPORTER_OTLP_INSECURE: "true" }))
      assert.strictEqual(sink.provider, "otlp")
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.effect("a bad OTEL_EXPORTER_OTLP_INSECURE is an InvalidData at that variable", () =>
    Effect.gen(function*() {
      const result = yield* Effect.either(read({ OTEL_EXPORTER_OTLP_INSECURE: "yes please" }))
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.isTrue(ConfigError.isInvalidData(result.left))
        assert.include(String(result.left), "OTEL_EXPORTER_OTLP_INSECURE")
        assert.include(String(result.left), "must be true or false")
      }
    }))
})
