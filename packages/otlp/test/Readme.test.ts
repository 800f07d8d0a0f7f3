/**
 * The README's Collector example, run as written against the test receiver
 * (the standard variables point it there).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Trace from "@promptops/core/Trace"
import * as Tracing from "@promptops/core/Tracing"
import { ConfigProvider, Effect, Layer } from "effect"
import { OtlpConfig, OtlpSpanSink } from "../src/index.js"
import * as Receiver from "@promptops/emulators/OtlpReceiver"

describe("README", () => {
  it.live("the Collector example sends its llm span", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      const env = ConfigProvider.fromMap(new Map([["OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url], ["OTEL_SERVICE_NAME", "readme"]]))

      // --- as in the README ---
      const TracingLive = Tracing.layer().pipe(
        Layer.provide(OtlpSpanSink.layerConfig(OtlpConfig.config)),
        Layer.provide(FetchHttpClient.layer)
      )
      const answer = (question: string) =>
        Effect.gen(function*() {
          const reply = `You asked: ${question}`
          yield* Trace.annotate({
            input: [{ role: "user", content: question }],
            output: reply,
            usage: { promptTokens: 12, completionTokens: 5 },
            metadata: { "gen_ai.provider.name": "openai", model: "gpt-4o-mini" }
          })
          return reply
        }).pipe(Trace.llm("answer"))
      // ---

      const reply = yield* answer("What is OTLP?").pipe(
        Effect.provide(TracingLive.pipe(Layer.provide(Layer.setConfigProvider(env))))
      )
      assert.strictEqual(reply, "You asked: What is OTLP?")
      // Closing the layer's scope flushed the span.
      const [span] = Receiver.spansOf(receiver)
      assert.strictEqual(receiver.requests[0]?.path, "/v1/traces")
      assert.deepStrictEqual(receiver.requests[0]?.exports[0]?.resource["service.name"], { string: "readme" })
      assert.strictEqual(span?.name, "answer")
      assert.deepStrictEqual(span?.attributes["gen_ai.usage.input_tokens"], { int: "12" })
      assert.deepStrictEqual(span?.attributes["gen_ai.request.model"], { string: "gpt-4o-mini" })
    }).pipe(Effect.scoped))
})
