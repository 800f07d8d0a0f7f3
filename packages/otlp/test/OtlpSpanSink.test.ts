import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Eval from "@promptops/core/Eval"
import * as Memory from "@promptops/core/Memory"
import * as Trace from "@promptops/core/Trace"
import * as Tracing from "@promptops/core/Tracing"
import * as OtlpSpanSink from "../src/OtlpSpanSink.js"
import type * as OtlpConfig from "../src/OtlpConfig.js"
import { Effect, Layer } from "effect"
import * as Receiver from "@promptops/emulators/OtlpReceiver"

/** Within a microsecond: records carry fractional milliseconds, exact to well under that. */
const assertNanos = (received: string, expected: bigint) => {
  const delta = BigInt(received) - expected
  assert.isTrue(delta <= 1000n && delta >= -1000n, `${received} is not ${expected} ns`)
}

const tracingTo = (receiver: Receiver.Receiver, options: OtlpConfig.Options = {}) =>
  Tracing.layer().pipe(
    Layer.provideMerge(
      OtlpSpanSink.layer({ endpoint: `${receiver.url}/v1/traces`, serviceName: "support-bot", ...options })
    ),
    Layer.provide(FetchHttpClient.layer)
  )

const byName = (spans: ReadonlyArray<Receiver.Span>, name: string): Receiver.Span => {
  const span = spans.find((each) => each.name === name)
  assert.isDefined(span, `no span named ${name} among ${spans.map((each) => each.name).join(", ")}`)
  return span!
}

const program = Effect.gen(function*() {
  let answerStart = 0n
  let turnStart = 0n
  yield* Effect.gen(function*() {
    turnStart = (yield* Effect.currentSpan).status.startTime
    yield* Effect.gen(function*() {
      answerStart = (yield* Effect.currentSpan).status.startTime
      yield* Trace.annotate({
        input: [{ role: "system", content: "be brief" }, { role: "user", content: "hi" }],
        output: "hello",
        usage: { promptTokens: 3, completionTokens: 4 },
        metadata: {
          "gen_ai.provider.name": "openai",
          "gen_ai.prompt.name": "greet",
          "gen_ai.prompt.version": "v2",
          model: "gpt-4o-mini",
          region: "eu",
          attempt: 2
        },
        tags: ["smoke"]
      })
    }).pipe(Trace.llm("answer"))
    yield* Effect.fail(new Error("boom")).pipe(Effect.withSpan("failing"), Effect.ignore)
  }).pipe(Effect.withSpan("turn"))
  yield* Tracing.flush
  return { answerStart, turnStart }
})

for (const protocol of ["http/protobuf", "http/json"] as const) {
  for (const compression of ["none", "gzip"] as const) {
    describe(`OtlpSpanSink over ${protocol} (${compression})`, () => {
      it.live("spans made through Effect arrive field for field", () =>
        Effect.gen(function*() {
          const receiver = yield* Receiver.start
          const started = yield* program.pipe(Effect.provide(tracingTo(receiver, { protocol, compression })))

          assert.strictEqual(receiver.requests.length, 1)
          const request = receiver.requests[0]!
          assert.strictEqual(request.method, "POST")
          assert.strictEqual(request.path, "/v1/traces")
          assert.strictEqual(
            request.headers["content-type"],
            protocol === "http/json" ? "application/json" : "application/x-protobuf"
          )
          assert.strictEqual(request.headers["content-encoding"], compression === "gzip" ? "gzip" : undefined)

          const [exported] = request.exports
          assert.deepStrictEqual(exported!.resource["service.name"], { string: "support-bot" })
          assert.deepStrictEqual(exported!.scope, { name: "@promptops/otlp", version: "0.1.0" })
          const spans = exported!.spans
          assert.strictEqual(spans.length, 3)
          const turn = byName(spans, "turn")
          const answer = byName(spans, "answer")
          const failing = byName(spans, "failing")

          // Ids: W3C hex, one trace, parentage kept.
          assert.match(turn.traceId, /^[0-9a-f]{32}$/)
          assert.match(turn.spanId, /^[0-9a-f]{16}$/)
          assert.strictEqual(turn.parentSpanId, "")
          assert.strictEqual(answer.traceId, turn.traceId)
          assert.strictEqual(failing.traceId, turn.traceId)
          assert.strictEqual(answer.parentSpanId, turn.spanId)
          assert.strictEqual(failing.parentSpanId, turn.spanId)

          // Times in nanoseconds.
          assert.match(answer.startTimeUnixNano, /^1\d{18}$/)
          assertNanos(answer.startTimeUnixNano, started.answerStart)
          assertNanos(turn.startTimeUnixNano, started.turnStart)
          assert.isTrue(BigInt(answer.endTimeUnixNano) >= BigInt(answer.startTimeUnixNano))
          assert.isTrue(BigInt(turn.endTimeUnixNano) >= BigInt(answer.endTimeUnixNano))

          // Kind: CLIENT (3) for the model call, INTERNAL (1) otherwise; status.
          assert.strictEqual(answer.kind, 3)
          assert.strictEqual(turn.kind, 1)
          assert.deepStrictEqual(answer.status, { code: 0, message: "" })
          assert.deepStrictEqual(failing.status, { code: 2, message: "boom" })
          const exception = failing.events.find((event) => event.name === "exception")
          assert.deepStrictEqual(exception?.attributes["exception.message"], { string: "boom" })
          assert.deepStrictEqual(exception?.attributes["exception.type"], { string: "Error" })
          assert.isDefined(exception?.attributes["exception.stacktrace"])
          assert.deepStrictEqual(failing.attributes["error.type"], { string: "Error" })

          // GenAI attributes.
          const a = answer.attributes
          assert.deepStrictEqual(a["gen_ai.provider.name"], { string: "openai" })
          assert.deepStrictEqual(a["gen_ai.system"], { string: "openai" })
          assert.deepStrictEqual(a["gen_ai.operation.name"], { string: "chat" })
          assert.deepStrictEqual(a["gen_ai.request.model"], { string: "gpt-4o-mini" })
          assert.deepStrictEqual(a["gen_ai.response.model"], { string: "gpt-4o-mini" })
          assert.deepStrictEqual(a["gen_ai.usage.input_tokens"], { int: "3" })
          assert.deepStrictEqual(a["gen_ai.usage.output_tokens"], { int: "4" })
          assert.deepStrictEqual(a["gen_ai.prompt.name"], { string: "greet" })
          assert.deepStrictEqual(a["gen_ai.prompt.version"], { string: "v2" })
          assert.deepStrictEqual(JSON.parse((a["gen_ai.input.messages"] as { string: string }).string), [
            { role: "system", parts: [{ type: "text", content: "be brief" }] },
            { role: "user", parts: [{ type: "text", content: "hi" }] }
          ])
          assert.deepStrictEqual(JSON.parse((a["gen_ai.output.messages"] as { string: string }).string), [
            { role: "assistant", parts: [{ type: "text", content: "hello" }] }
          ])
          // promptops's own fields under promptops.*.
          assert.deepStrictEqual(a["promptops.kind"], { string: "llm" })
          assert.deepStrictEqual(a["promptops.metadata.region"], { string: "eu" })
          assert.deepStrictEqual(a["promptops.metadata.attempt"], { int: "2" })
          assert.deepStrictEqual(a["promptops.metrics.totalTokens"], { int: "7" })
          assert.deepStrictEqual(a["promptops.tags"], { array: [{ string: "smoke" }] })
          assert.isUndefined(a["promptops.metadata.model"])
          assert.deepStrictEqual(turn.attributes["promptops.kind"], { string: "span" })
          assert.isUndefined(turn.attributes["gen_ai.operation.name"])
        }).pipe(Effect.scoped))
    })
  }
}

describe("OtlpSpanSink", () => {
  it.live("captureContent: false leaves inputs and outputs out", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      yield* program.pipe(Effect.provide(tracingTo(receiver, { captureContent: false })))
      const answer = byName(Receiver.spansOf(receiver), "answer")
      assert.isUndefined(answer.attributes["gen_ai.input.messages"])
      assert.isUndefined(answer.attributes["gen_ai.output.messages"])
      assert.deepStrictEqual(answer.attributes["gen_ai.request.model"], { string: "gpt-4o-mini" })
    }).pipe(Effect.scoped))

  it.live("an eval's scores arrive as gen_ai.evaluation.result events, routed to its experiment", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      const run = yield* Effect.gen(function*() {
        const run = yield* Eval.run({
          name: "upper",
          data: [{ input: "a", expected: "A" }],
          task: (input: string) => Effect.succeed(input.toUpperCase()),
          scorers: [
            Eval.scorer("exact", ({ expected, output }) => (output === expected ? 1 : 0)),
            Eval.scorer("half", () => 0.5)
          ]
        })
        yield* Tracing.flush
        return run
      }).pipe(Effect.provide(Layer.merge(tracingTo(receiver), Memory.layer())))

      const spans = Receiver.spansOf(receiver)
      const withScores = spans.filter((span) => span.events.some((event) => event.name === "gen_ai.evaluation.result"))
      assert.isAbove(withScores.length, 0)
      const results = new Map<string, Receiver.Value | undefined>()
      for (const span of withScores) {
        for (const event of span.events) {
          if (event.name !== "gen_ai.evaluation.result") continue
          const name = event.attributes["gen_ai.evaluation.name"] as { string: string }
          results.set(name.string, event.attributes["gen_ai.evaluation.score.value"])
          assert.strictEqual(event.timeUnixNano, span.endTimeUnixNano)
        }
      }
      // Exact is 1 (an int in OTLP's eyes: the transformer writes whole numbers as intValue), half 0.5.
      assert.deepStrictEqual(results.get("half"), { double: 0.5 })
      assert.isDefined(results.get("exact"))
      const evalSpan = spans.find((span) => (span.attributes["promptops.kind"] as { string: string }).string === "eval")
      assert.isDefined(evalSpan)
      assert.deepStrictEqual(evalSpan!.attributes["promptops.experiment_id"], { string: run.experiment.id })
      assert.deepStrictEqual(evalSpan!.attributes["promptops.expected"], { string: "A" })
    }).pipe(Effect.scoped))

  it.effect("a bad endpoint is an InvalidInput naming it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(OtlpSpanSink.make({ endpoint: "http://collector.internal:4318/v1/traces" }))
      assert.strictEqual(error._tag, "InvalidInput")
      // The option the user set, not the client's internal base URL.
      assert.strictEqual(error.path, "endpoint")
      assert.include(error.message, "allowed only to a loopback host")
      const unknown = yield* Effect.flip(OtlpSpanSink.make({ protocol: "http/xml" as never }))
      assert.include(unknown.message, "protocol must be http/protobuf, http/json or grpc")
      assert.strictEqual(unknown.path, "protocol")
    }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)))
})
