/**
 * An app instrumented with the official OpenTelemetry JS SDK, the way the
 * GenAI instrumentations write spans (current conventions, the older
 * OpenLLMetry form, a plain HTTP server span): the bodies its OTLP/HTTP
 * protobuf exporter posts (gzip) to a `node:http` server answering with
 * `OtlpIngest.response`, and the SDK's OTLP/JSON body (`JsonTraceSerializer`,
 * what its JSON exporter sends), decode to the expected records, field by
 * field.
 */
import { assert, describe, it } from "@effect/vitest"
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto"
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { Effect } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as OtlpIngest from "../src/OtlpIngest.js"

interface Posted {
  readonly headers: http.IncomingHttpHeaders
  readonly body: Buffer
  readonly records: ReadonlyArray<SpanRecord>
}

/** A `/v1/traces` server the way `promptops view` will use `OtlpIngest`: ingest, then answer with `response`. */
const server = Effect.acquireRelease(
  Effect.async<{ url: string; posted: Array<Posted>; server: http.Server }>((resume) => {
    const posted: Array<Posted> = []
    const server = http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => {
        const body = Buffer.concat(chunks)
        const contentType = req.headers["content-type"] ?? ""
        void Effect.runPromise(
          OtlpIngest.ingest(body, { contentType, contentEncoding: req.headers["content-encoding"] }).pipe(
            Effect.tap((result) => Effect.sync(() => posted.push({ headers: req.headers, body, records: result.records }))),
            Effect.map((result) => OtlpIngest.response(result, contentType)),
            Effect.catchAll((error) => Effect.succeed(OtlpIngest.response(error, contentType)))
          )
        ).then((reply) => {
          res.writeHead(reply.status, { "content-type": reply.contentType }).end(Buffer.from(reply.body))
        })
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, posted, server }))
    })
  }),
  ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
)

const T0 = 1_795_341_600_000
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"

type ExporterOptions = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>

/** The app: an agent turn with a chat call and a failing tool call, an older-instrumentation call, and an HTTP span. */
const instrumentedApp = (url: string) =>
  Effect.promise(async () => {
    const memory = new InMemorySpanExporter()
    let next = 0
    const ids = ["00f067aa0ba902b7", "00f067aa0ba902b8", "00f067aa0ba902b9", "00f067aa0ba902ba", "00f067aa0ba902bb"]
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": "support-bot", "deployment.environment.name": "dev" }),
      idGenerator: { generateTraceId: () => TRACE, generateSpanId: () => ids[next++]! },
      spanProcessors: [
        new SimpleSpanProcessor(
          new OTLPTraceExporter({ url: `${url}/v1/traces`, compression: "gzip" as NonNullable<ExporterOptions["compression"]> })
        ),
        new SimpleSpanProcessor(memory)
      ]
    })
    const tracer = provider.getTracer("support-bot-genai", "1.2.0")

    const agent = tracer.startSpan("invoke_agent support", {
      kind: SpanKind.INTERNAL,
      startTime: T0,
      attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support" }
    })
    const inAgent = trace.setSpan(ROOT_CONTEXT, agent)
    const chat = tracer.startSpan("chat gpt-4o", {
      kind: SpanKind.CLIENT,
      startTime: T0 + 10,
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 5,
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.request.temperature": 0.2,
        "gen_ai.input.messages": JSON.stringify([
          { role: "system", parts: [{ type: "text", content: "Be brief." }] },
          { role: "user", parts: [{ type: "text", content: "Weather in Paris?" }] }
        ]),
        "gen_ai.output.messages": JSON.stringify([
          {
            role: "assistant",
            parts: [{ type: "tool_call", id: "call_1", name: "get_weather", arguments: { city: "Paris" } }],
            finish_reason: "tool_call"
          }
        ]),
        "server.address": "api.openai.com"
      }
    }, inAgent)
    chat.addEvent("gen_ai.evaluation.result", {
      "gen_ai.evaluation.name": "relevance",
      "gen_ai.evaluation.score.value": 0.8,
      "gen_ai.evaluation.score.label": "relevant"
    }, T0 + 400)
    chat.end(T0 + 400.5)
    const tool = tracer.startSpan("execute_tool get_weather", {
      startTime: T0 + 401,
      attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather", "gen_ai.tool.call.id": "call_1" }
    }, inAgent)
    const failure = new Error("upstream timed out")
    failure.name = "TimeoutError"
    tool.recordException(failure, T0 + 450)
    tool.setStatus({ code: SpanStatusCode.ERROR, message: "upstream timed out" })
    tool.setAttribute("error.type", "TimeoutError")
    tool.end(T0 + 450)
    agent.end(T0 + 500)

    const legacy = tracer.startSpan("openai.chat", {
      kind: SpanKind.CLIENT,
      startTime: T0 + 600,
      attributes: {
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-3.5-turbo",
        "gen_ai.prompt.0.role": "user",
        "gen_ai.prompt.0.content": "hi",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.content": "hello",
        "gen_ai.usage.prompt_tokens": 2,
        "gen_ai.usage.completion_tokens": 1
      }
    })
    legacy.end(T0 + 700)
    const request = tracer.startSpan("GET /health", {
      kind: SpanKind.SERVER,
      startTime: T0 + 800,
      attributes: { "http.request.method": "GET", "http.response.status_code": 200, "url.path": "/health" }
    })
    request.addEvent("cache.miss", { "cache.key": "health" }, T0 + 801)
    request.end(T0 + 802)

    await provider.forceFlush()
    const spans = memory.getFinishedSpans()
    await provider.shutdown()
    return spans
  })

const scope = { name: "support-bot-genai", version: "1.2.0" }
const common = (spanId: string, parent: string | undefined) => ({
  traceId: TRACE,
  spanId,
  ...(parent !== undefined ? { parentSpanId: parent } : {}),
  destination: { _tag: "ProjectLogs" } as const
})
const base = { "service.name": "support-bot", "otel.scope": scope }

/** The records an app's spans must become (metadata without `otel.resource`, checked apart). */
const expected: ReadonlyArray<SpanRecord> = [
  {
    ...common("00f067aa0ba902b8", "00f067aa0ba902b7"),
    name: "chat gpt-4o",
    kind: "llm",
    startTime: T0 + 10,
    endTime: T0 + 400.5,
    input: [{ role: "system", content: "Be brief." }, { role: "user", content: "Weather in Paris?" }],
    output: [{
      role: "assistant",
      content: [{ type: "tool_call", id: "call_1", name: "get_weather", arguments: { city: "Paris" } }],
      finish_reason: "tool_call"
    }],
    metadata: {
      ...base,
      model: "gpt-4o-2024-08-06",
      "gen_ai.request.model": "gpt-4o",
      "gen_ai.provider.name": "openai",
      "gen_ai.operation.name": "chat",
      "gen_ai.response.finish_reasons": ["stop"],
      "gen_ai.request.temperature": 0.2,
      "gen_ai.evaluation.relevance": { "gen_ai.evaluation.score.label": "relevant" },
      "server.address": "api.openai.com",
      "otel.span_kind": "client"
    },
    metrics: { promptTokens: 12, completionTokens: 5, totalTokens: 17 },
    scores: { relevance: 0.8 }
  },
  {
    ...common("00f067aa0ba902b9", "00f067aa0ba902b7"),
    name: "execute_tool get_weather",
    kind: "tool",
    startTime: T0 + 401,
    endTime: T0 + 450,
    error: { message: "upstream timed out", type: "TimeoutError", stack: "" },
    metadata: {
      ...base,
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "get_weather",
      "gen_ai.tool.call.id": "call_1"
    },
    metrics: {}
  },
  {
    ...common("00f067aa0ba902b7", undefined),
    name: "invoke_agent support",
    kind: "task",
    startTime: T0,
    endTime: T0 + 500,
    metadata: { ...base, "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support" },
    metrics: {}
  },
  {
    ...common("00f067aa0ba902ba", undefined),
    name: "openai.chat",
    kind: "llm",
    startTime: T0 + 600,
    endTime: T0 + 700,
    input: [{ role: "user", content: "hi" }],
    output: [{ role: "assistant", content: "hello" }],
    metadata: { ...base, model: "gpt-3.5-turbo", "gen_ai.provider.name": "openai", "otel.span_kind": "client" },
    metrics: { promptTokens: 2, completionTokens: 1, totalTokens: 3 }
  },
  {
    ...common("00f067aa0ba902bb", undefined),
    name: "GET /health",
    kind: "span",
    startTime: T0 + 800,
    endTime: T0 + 802,
    metadata: {
      ...base,
      "http.request.method": "GET",
      "http.response.status_code": 200,
      "url.path": "/health",
      "otel.span_kind": "server",
      "otel.events": [{ name: "cache.miss", time: T0 + 801, attributes: { "cache.key": "health" } }]
    },
    metrics: {}
  }
]

/** The stack the SDK recorded is the test's own: compare it apart. */
const comparable = (records: ReadonlyArray<SpanRecord>): ReadonlyArray<unknown> =>
  records.map((record) => {
    const { "otel.resource": resource, ...metadata } = record.metadata
    // The resource's other attributes, as one object (this provider adds no SDK defaults).
    assert.deepStrictEqual(resource, { "deployment.environment.name": "dev" })
    const out: Record<string, unknown> = { ...record, metadata }
    if (record.error !== undefined) {
      assert.include(record.error.stack ?? "", "TimeoutError: upstream timed out")
      out.error = { ...record.error, stack: "" }
    }
    return out
  })

describe("OtlpIngest with the OpenTelemetry JS SDK", () => {
  it.live("the SDK's protobuf (gzip) and JSON bodies decode to the expected records, field by field", () =>
    Effect.gen(function*() {
      const { posted, url } = yield* server
      const readable = yield* instrumentedApp(url)

      // Protobuf, as the SDK's exporter posted it (one request per span: SimpleSpanProcessor).
      assert.strictEqual(posted.length, 5)
      for (const each of posted) {
        assert.strictEqual(each.headers["content-type"], "application/x-protobuf")
        assert.strictEqual(each.headers["content-encoding"], "gzip")
      }
      const viaProtobuf = posted.flatMap((each) => each.records)
      assert.deepStrictEqual<ReadonlyArray<unknown>>(comparable(viaProtobuf), expected)

      // JSON, as the SDK's JSON exporter would send the same spans.
      const body = JsonTraceSerializer.serializeRequest(readable)!
      const viaJson = yield* OtlpIngest.decode(body, { contentType: "application/json" })
      assert.deepStrictEqual<ReadonlyArray<unknown>>(comparable(viaJson), expected)
      assert.deepStrictEqual(viaJson, viaProtobuf)
    }).pipe(Effect.scoped))
})
