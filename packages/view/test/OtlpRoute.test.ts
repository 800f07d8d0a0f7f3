/**
 * `POST /v1/traces` on the real viewer (127.0.0.1:0) over a local backend in
 * a temporary directory:
 * - an app instrumented with the official OpenTelemetry JS SDK exports GenAI
 *   spans with its protobuf exporter (gzip, SimpleSpanProcessor) and its JSON
 *   exporter (BatchSpanProcessor); `/api/traces` and `/api/traces/:traceId`
 *   then show them field for field;
 * - bad requests get the OTLP answers (415, 400, 413, 403, 405, partial
 *   success with the good spans stored), and `promptops.experiment_id` files
 *   spans under that experiment;
 * - promptops's own `OtlpSpanSink`, fed by the tracing pipeline, delivers
 *   spans that come back equal to what the app recorded.
 */
import * as fs from "node:fs"
import * as Http from "node:http"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import * as zlib from "node:zlib"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { afterAll, assert, describe, it, layer } from "@effect/vitest"
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api"
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto"
import { resourceFromAttributes } from "@opentelemetry/resources"
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  type SpanExporter,
  SimpleSpanProcessor
} from "@opentelemetry/sdk-trace-base"
import { Experiments } from "@promptops/core/Experiments"
import * as Memory from "@promptops/core/Memory"
import { ProviderUnavailable } from "@promptops/core/PromptOpsError"
import { Prompts } from "@promptops/core/Prompts"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import * as SpanSink from "@promptops/core/SpanSink"
import * as Testing from "@promptops/core/Testing"
import * as Trace from "@promptops/core/Trace"
import * as Tracing from "@promptops/core/Tracing"
import * as Local from "@promptops/local/Local"
import * as OtlpSpanSink from "@promptops/otlp/OtlpSpanSink"
import { Context, Effect, Layer, Scope } from "effect"
import * as Api from "../src/internal/api.js"
import * as Otlp from "../src/internal/otlp.js"
import * as ViewServer from "../src/ViewServer.js"

const dir = fs.mkdtempSync(Path.join(tmpdir(), "promptops-view-otlp-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

interface Reply {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly body: Buffer
  readonly json: any
}

/**
 * One request with full control of the headers and body. The reply is taken
 * as soon as it arrives: the server may answer (413) before the body is sent.
 */
const request = (
  url: string,
  options: {
    readonly method?: string
    readonly headers?: Record<string, string | number>
    readonly body?: Uint8Array | string | ReadonlyArray<Uint8Array>
  } = {}
): Effect.Effect<Reply> =>
  Effect.async<Reply>((resume) => {
    let done = false
    const req = Http.request(url, { method: options.method ?? "GET", headers: options.headers }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => {
        done = true
        const body = Buffer.concat(chunks)
        let json: unknown = undefined
        try {
          json = JSON.parse(body.toString("utf8"))
        } catch {
          // not JSON
        }
        resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body, json }))
        req.destroy()
      })
    })
    // Writing the rest of a refused body may fail once the server closes: the reply is what counts.
    req.on("error", (error) => {
      if (!done) setTimeout(() => !done && resume(Effect.die(error)), 0)
    })
    const body = options.body
    if (Array.isArray(body)) {
      for (const part of body) req.write(part)
      req.end()
    } else {
      req.end(body as Uint8Array | string | undefined)
    }
  })

const getJson = (url: string) => Effect.map(request(url), (reply) => reply.json)

interface Seeded {
  readonly url: string
  readonly experimentId: string
}

class Seed extends Effect.Tag("test/OtlpSeed")<Seed, Seeded>() {}

const Backend = Local.layer({ dir })
const Server = ViewServer.layer().pipe(Layer.provide(Backend))
const SeedLive = Layer.effect(
  Seed,
  Effect.gen(function*() {
    const experiment = yield* (yield* Experiments).create({ name: "otlp-routing" })
    return { url: (yield* ViewServer.ViewServer).url, experimentId: experiment.id }
  })
).pipe(Layer.provideMerge(Layer.merge(Server, Backend)))

// ---------------------------------------------------------------------------------------------------------------
// The instrumented app

const T0 = 1_795_341_600_000

/** Span ids for one run: `prefix` + the span's number. */
const spanIds = (prefix: string) => ["1", "2", "3", "4"].map((n) => `${prefix}${"0".repeat(14)}${n}`)

/**
 * An agent turn: a chat call and a failing tool call under the agent, and an
 * HTTP call under the tool (three levels).
 */
const instrumentedApp = (exporter: SpanExporter, batch: boolean, traceId: string, ids: ReadonlyArray<string>) =>
  Effect.promise(async () => {
    const memory = new InMemorySpanExporter()
    let next = 0
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": "support-bot", "deployment.environment.name": "dev" }),
      idGenerator: { generateTraceId: () => traceId, generateSpanId: () => ids[next++]! },
      spanProcessors: [batch ? new BatchSpanProcessor(exporter) : new SimpleSpanProcessor(exporter), new SimpleSpanProcessor(memory)]
    })
    const tracer = provider.getTracer("support-bot-genai", "1.2.0")
    const agent = tracer.startSpan("invoke_agent support", {
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
        ])
      }
    }, inAgent)
    chat.end(T0 + 400.5)
    const tool = tracer.startSpan("execute_tool get_weather", {
      startTime: T0 + 401,
      attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather" }
    }, inAgent)
    const http = tracer.startSpan("GET /weather", {
      kind: SpanKind.CLIENT,
      startTime: T0 + 402,
      attributes: { "http.request.method": "GET", "http.response.status_code": 504 }
    }, trace.setSpan(ROOT_CONTEXT, tool))
    http.end(T0 + 449)
    const failure = new Error("upstream timed out")
    failure.name = "TimeoutError"
    tool.recordException(failure, T0 + 450)
    tool.setStatus({ code: SpanStatusCode.ERROR, message: "upstream timed out" })
    tool.setAttribute("error.type", "TimeoutError")
    tool.end(T0 + 450)
    agent.end(T0 + 500)
    await provider.forceFlush()
    const finished = memory.getFinishedSpans()
    await provider.shutdown()
    return finished
  })

const base = {
  "service.name": "support-bot",
  "otel.resource": { "deployment.environment.name": "dev" },
  "otel.scope": { name: "support-bot-genai", version: "1.2.0" }
}

/** What the viewer must show for the app's spans, oldest first (the error's stack compared apart). */
const expected = (traceId: string, [agent, chat, tool, http]: ReadonlyArray<string>): ReadonlyArray<SpanRecord> => {
  const common = (spanId: string, parent: string | undefined) => ({
    traceId,
    spanId,
    ...(parent !== undefined ? { parentSpanId: parent } : {}),
    destination: { _tag: "ProjectLogs" } as const
  })
  return [
    {
      ...common(agent!, undefined),
      name: "invoke_agent support",
      kind: "task",
      startTime: T0,
      endTime: T0 + 500,
      metadata: { ...base, "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support" },
      metrics: {}
    },
    {
      ...common(chat!, agent),
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
        "otel.span_kind": "client"
      },
      metrics: { promptTokens: 12, completionTokens: 5, totalTokens: 17 }
    },
    {
      ...common(tool!, agent),
      name: "execute_tool get_weather",
      kind: "tool",
      startTime: T0 + 401,
      endTime: T0 + 450,
      error: { message: "upstream timed out", type: "TimeoutError", stack: "" },
      metadata: { ...base, "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather" },
      metrics: {}
    },
    {
      ...common(http!, tool),
      name: "GET /weather",
      kind: "span",
      startTime: T0 + 402,
      endTime: T0 + 449,
      metadata: { ...base, "http.request.method": "GET", "http.response.status_code": 504, "otel.span_kind": "client" },
      metrics: {}
    }
  ]
}

/** The stack the SDK recorded is this test's own: checked, then blanked for the comparison. */
const withoutStack = (spans: ReadonlyArray<any>): ReadonlyArray<unknown> =>
  spans.map((span) => {
    if (span.error === undefined) return span
    assert.include(span.error.stack, "TimeoutError: upstream timed out")
    return { ...span, error: { ...span.error, stack: "" } }
  })

const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value))

const oneSpan = (traceId: string, spanId: string, attributes: ReadonlyArray<unknown> = []) => ({
  traceId,
  spanId,
  name: `span ${spanId}`,
  kind: 1,
  startTimeUnixNano: String(BigInt(T0) * 1_000_000n),
  endTimeUnixNano: String(BigInt(T0 + 5) * 1_000_000n),
  attributes
})
const requestOf = (spans: ReadonlyArray<unknown>) =>
  JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: "t" }, spans }] }] })

describe("ViewServer: OTLP at /v1/traces", () => {
  layer(SeedLive, { timeout: "60 seconds", excludeTestServices: true })((it) => {
    for (
      const [encoding, traceId, prefix] of [
        ["protobuf", "4bf92f3577b34da6a3ce929d0e0e4736", "a"],
        ["json", "5bf92f3577b34da6a3ce929d0e0e4737", "b"]
      ] as const
    ) {
      it.effect(`the OpenTelemetry JS SDK's ${encoding} exporter: its GenAI spans show on the traces endpoints, field for field`, () =>
        Effect.gen(function*() {
          const { url } = yield* Seed
          const ids = spanIds(prefix)
          const exporter = encoding === "protobuf"
            ? new ProtoExporter({ url: `${url}${Otlp.path}`, compression: "gzip" as any })
            : new JsonExporter({ url: `${url}${Otlp.path}` })
          const results: Array<number> = []
          // Each export's result code (0 = success): a stored batch is acknowledged, nothing retried or dropped.
          const counting: SpanExporter = {
            export: (spans, done) => exporter.export(spans, (result) => (results.push(result.code), done(result))),
            shutdown: () => exporter.shutdown(),
            forceFlush: () => exporter.forceFlush()
          }
          const finished = yield* instrumentedApp(counting, encoding === "json", traceId, ids)
          assert.strictEqual(finished.length, 4)
          assert.isAbove(results.length, 0)
          assert.deepStrictEqual(results, results.map(() => 0))

          const want = json(expected(traceId, ids)) as ReadonlyArray<any>
          const page = yield* getJson(`${url}/api/traces/${traceId}`)
          assert.strictEqual(page.traceId, traceId)
          assert.deepStrictEqual(withoutStack(page.spans), want)
          // The list shows the root (the only one of this trace), as stored.
          const roots = (yield* getJson(`${url}/api/traces?name=${encodeURIComponent("invoke_agent support")}`)).items
          assert.deepStrictEqual(roots.filter((span: any) => span.traceId === traceId), [want[0]])
          const errors = (yield* getJson(`${url}/api/traces?error=true`)).items
          assert.isFalse(errors.some((span: any) => span.traceId === traceId), "the error is on a child, not the root")
          const one = yield* getJson(`${url}/api/traces/${traceId}/spans/${ids[2]}`)
          assert.deepStrictEqual(withoutStack([one]), [want[2]])
        }))
    }

    it.effect("a wrong content type is 415 before the body is read, an OTLP Status in JSON", () =>
      Effect.gen(function*() {
        const { url } = yield* Seed
        const reply = yield* request(`${url}/v1/traces`, {
          method: "POST",
          headers: { "content-type": "text/plain" },
          body: "hello"
        })
        assert.strictEqual(reply.status, 415)
        assert.strictEqual(reply.headers["content-type"], "application/json")
        assert.strictEqual(reply.json.code, 3)
        assert.match(reply.json.message, /^content-type: "text\/plain" is not an OTLP encoding/)
        const encoding = yield* request(`${url}/v1/traces`, {
          method: "POST",
          headers: { "content-type": "application/json", "content-encoding": "br" },
          body: "{}"
        })
        assert.strictEqual(encoding.status, 415)
        assert.match(encoding.json.message, /^content-encoding: "br" is not supported/)
      }))

    it.effect("garbage is 400 with a google.rpc.Status in the request's encoding", () =>
      Effect.gen(function*() {
        const { url } = yield* Seed
        const proto = yield* request(`${url}/v1/traces`, {
          method: "POST",
          headers: { "content-type": "application/x-protobuf" },
          body: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01])
        })
        assert.strictEqual(proto.status, 400)
        assert.strictEqual(proto.headers["content-type"], "application/x-protobuf")
        // google.rpc.Status: field 1 (code) = 3, field 2 (message) the text.
        assert.deepStrictEqual([...proto.body.subarray(0, 2)], [0x08, 3])
        assert.include(proto.body.toString("utf8"), "body: is not a valid protobuf ExportTraceServiceRequest")
        const text = yield* request(`${url}/v1/traces`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{not json"
        })
        assert.strictEqual(text.status, 400)
        assert.strictEqual(text.json.code, 3)
        assert.match(text.json.message, /^body: is not valid OTLP\/JSON/)
        const gzip = yield* request(`${url}/v1/traces`, {
          method: "POST",
          headers: { "content-type": "application/json", "content-encoding": "gzip" },
          body: "not gzip"
        })
        assert.strictEqual(gzip.status, 400)
        assert.match(gzip.json.message, /^body: is not valid gzip data/)
      }))

    it.effect("over 16 MiB is 413: at once for a declared length, and as soon as a chunked body passes it", () =>
      Effect.gen(function*() {
        const { url } = yield* Seed
        const declared = yield* request(`${url}/v1/traces`, {
          method: "POST",
          headers: { "content-type": "application/json", "content-length": Otlp.maxRequestBytes + 1 },
          body: "{"
        })
        assert.strictEqual(declared.status, 413)
        assert.strictEqual(declared.headers["connection"], "close")
        assert.strictEqual(declared.json.code, 3)
        assert.strictEqual(declared.json.message, `body.length: is ${Otlp.maxRequestBytes + 1} bytes, over the limit of ${Otlp.maxRequestBytes}`)
        const part = new Uint8Array(1024 * 1024).fill(0x20)
        const chunked = yield* request(`${url}/v1/traces`, {
          method: "POST",
          headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
          body: Array.from({ length: 17 }, () => part)
        })
        assert.strictEqual(chunked.status, 413)
        assert.strictEqual(chunked.json.message, `body.length: is over the limit of ${Otlp.maxRequestBytes} bytes`)
        // Exactly the limit is accepted (spaces around an empty request are valid JSON).
        const atLimit = new Uint8Array(Otlp.maxRequestBytes).fill(0x20)
        atLimit[0] = 0x7b // {
        atLimit[atLimit.length - 1] = 0x7d // }
        const ok = yield* request(`${url}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: atLimit })
        assert.strictEqual(ok.status, 200)
        assert.deepStrictEqual(ok.json, {})
      }))

    it.effect("a browser's cross-origin post is 403; an exporter (no Origin) and the own origin are allowed; GET is 405", () =>
      Effect.gen(function*() {
        const { url } = yield* Seed
        const traceId = "6bf92f3577b34da6a3ce929d0e0e4738"
        const body = requestOf([oneSpan(traceId, "c000000000000001")])
        const post = (headers: Record<string, string>) =>
          request(`${url}/v1/traces`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body })
        const foreign = yield* post({ origin: "http://evil.example" })
        assert.strictEqual(foreign.status, 403)
        assert.strictEqual(foreign.json.code, 7)
        assert.strictEqual(foreign.json.message, `cross-origin post to /v1/traces refused: Origin "http://evil.example" is not ${url}`)
        const crossSite = yield* post({ "sec-fetch-site": "cross-site" })
        assert.strictEqual(crossSite.status, 403)
        const protobuf = yield* request(`${url}/v1/traces`, {
          method: "POST",
          headers: { "content-type": "application/x-protobuf", origin: "http://evil.example" },
          body: new Uint8Array(0)
        })
        assert.strictEqual(protobuf.status, 403)
        assert.strictEqual(protobuf.headers["content-type"], "application/x-protobuf")
        assert.deepStrictEqual([...protobuf.body.subarray(0, 2)], [0x08, 7])
        // Nothing was stored by the refused posts.
        assert.strictEqual((yield* request(`${url}/api/traces/${traceId}`)).status, 400)
        // The host check still holds for OTLP.
        const rebound = yield* post({ host: "evil.example" })
        assert.strictEqual(rebound.status, 403)

        const own = yield* post({ origin: url })
        assert.strictEqual(own.status, 200)
        const exporter = yield* post({})
        assert.strictEqual(exporter.status, 200)
        assert.deepStrictEqual(exporter.json, {})
        assert.deepStrictEqual((yield* getJson(`${url}/api/traces/${traceId}`)).spans.map((s: any) => s.spanId), [
          "c000000000000001"
        ])
        const get = yield* request(`${url}/v1/traces`)
        assert.strictEqual(get.status, 405)
        assert.strictEqual(get.headers["allow"], "POST")
        assert.strictEqual(get.headers["x-content-type-options"], "nosniff")
      }))

    it.effect("one bad span among good ones: 200 with partial success naming it, the good ones stored", () =>
      Effect.gen(function*() {
        const { url } = yield* Seed
        const traceId = "7bf92f3577b34da6a3ce929d0e0e4739"
        const body = requestOf([
          oneSpan(traceId, "d000000000000001"),
          oneSpan("not-a-trace-id", "d000000000000002"),
          oneSpan(traceId, "d000000000000003")
        ])
        const reply = yield* request(`${url}/v1/traces`, {
          method: "POST",
          headers: { "content-type": "application/json", "content-encoding": "gzip" },
          body: zlib.gzipSync(body)
        })
        assert.strictEqual(reply.status, 200)
        assert.strictEqual(reply.json.partialSuccess.rejectedSpans, "1")
        assert.match(reply.json.partialSuccess.errorMessage, /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]\.traceId: /)
        const page = yield* getJson(`${url}/api/traces/${traceId}`)
        assert.deepStrictEqual(page.spans.map((s: any) => s.spanId), ["d000000000000001", "d000000000000003"])
      }))

    it.effect("promptops.experiment_id files a span under that experiment; a large request is stored whole", () =>
      Effect.gen(function*() {
        const { experimentId, url } = yield* Seed
        const traceId = "8bf92f3577b34da6a3ce929d0e0e473a"
        const attribute = [{ key: "promptops.experiment_id", value: { stringValue: experimentId } }]
        const reply = yield* request(`${url}/v1/traces`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: requestOf([oneSpan(traceId, "e000000000000001", attribute)])
        })
        assert.strictEqual(reply.status, 200)
        const inExperiment = yield* getJson(`${url}/api/traces?experiment=${experimentId}`)
        assert.deepStrictEqual(inExperiment.items.map((s: any) => [s.spanId, s.destination]), [
          ["e000000000000001", { _tag: "Experiment", experimentId }]
        ])
        const logs = yield* getJson(`${url}/api/traces?limit=200`)
        assert.isFalse(logs.items.some((s: any) => s.traceId === traceId))

        // 250 spans in one request: more than the local sink's batch (100 rows), all stored before the 200.
        const many = "9bf92f3577b34da6a3ce929d0e0e473b"
        const spans = Array.from({ length: 250 }, (_, i) => oneSpan(many, `f${String(i + 1).padStart(15, "0")}`))
        const big = yield* request(`${url}/v1/traces`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: requestOf(spans)
        })
        assert.strictEqual(big.status, 200)
        assert.strictEqual((yield* getJson(`${url}/api/traces/${many}`)).spans.length, 250)
      }))

    for (const protocol of ["http/protobuf", "http/json"] as const) {
      it.effect(`promptops's own OtlpSpanSink (${protocol}) at the viewer: spans come back as the app recorded them`, () =>
        Effect.gen(function*() {
          const { url } = yield* Seed
          const { recording, sink: recorder } = Testing.makeRecording()
          const tracing = Tracing.layerFanOut({
            destinations: {
              recording: recorder,
              viewer: OtlpSpanSink.layer({
                endpoint: `${url}/v1/traces`,
                protocol,
                compression: protocol === "http/json" ? "gzip" : "none",
                serviceName: "support-bot"
              }).pipe(Layer.provide(FetchHttpClient.layer))
            }
          })
          yield* Effect.gen(function*() {
            yield* Effect.gen(function*() {
              yield* Trace.annotate({
                input: [{ role: "system", content: "be brief" }, { role: "user", content: "hi" }],
                output: "hello",
                usage: { promptTokens: 3, completionTokens: 4 },
                metadata: { "gen_ai.provider.name": "openai", model: "gpt-4o-mini", region: "eu", attempt: 2 },
                tags: ["smoke"]
              })
            }).pipe(Trace.llm("answer"))
            yield* Effect.fail(new TypeError("boom")).pipe(Effect.withSpan("failing"), Effect.ignore)
          }).pipe(Effect.withSpan("turn"), Effect.zipRight(Tracing.flush), Effect.provide(tracing), Effect.scoped)

          const recorded = recording.records()
          assert.strictEqual(recorded.length, 3)
          const traceId = recorded[0]!.traceId
          const stored = (yield* getJson(`${url}/api/traces/${traceId}`)).spans as ReadonlyArray<any>
          // What comes back is what the app recorded, plus the resource's service name, oldest first.
          const want = Api.oldestFirst(recorded).map((record) =>
            json({ ...record, metadata: { ...record.metadata, "service.name": "support-bot" } })
          )
          assert.deepStrictEqual(stored, want)
        }))
    }
  })
})

describe("ViewServer: OTLP into other sinks", () => {
  const serverWith = (sink: SpanSink.SpanSink.Service | undefined) => {
    const services = Memory.makeServices(Memory.makeState())
    const context = Context.make(Experiments, services.experiments).pipe(Context.add(Prompts, services.prompts))
    const provided = sink === undefined ? context : Context.add(context, SpanSink.SpanSink, sink)
    // The whole context replaced, not merged: only these services, whatever the test runner provides.
    return Effect.flatMap(Effect.scope, (scope) =>
      ViewServer.make().pipe(Effect.mapInputContext((_: Context.Context<never>) => Context.add(provided, Scope.Scope, scope))))
  }
  const traceId = "aaf92f3577b34da6a3ce929d0e0e473c"
  const body = requestOf(["1", "2", "3", "4", "5"].map((n) => oneSpan(traceId, `${"0".repeat(15)}${n}`)))
  const post = (url: string, contentType = "application/json") =>
    request(`${url}/v1/traces`, { method: "POST", headers: { "content-type": contentType }, body })

  it.effect("written in the sink's batch bounds, all before the reply", () =>
    Effect.gen(function*() {
      const { recording, sink } = Testing.makeRecording({ limits: { maxRows: 2 } })
      const server = yield* serverWith(sink)
      const reply = yield* post(server.url)
      assert.strictEqual(reply.status, 200)
      assert.deepStrictEqual(recording.batches(), [2, 2, 1])
      assert.deepStrictEqual(recording.records().map((r) => r.spanId), ["1", "2", "3", "4", "5"].map((n) => `${"0".repeat(15)}${n}`))
    }).pipe(Effect.scoped))

  it.effect("a failing store is 503 with retry-after (the exporter retries); no store is 501", () =>
    Effect.gen(function*() {
      const failing = SpanSink.make({
        provider: "test",
        export: () => Effect.fail(new ProviderUnavailable({ provider: "test", operation: "SpanSink.export", description: "disk full" }))
      })
      const down = yield* serverWith(failing)
      const reply = yield* post(down.url)
      assert.strictEqual(reply.status, 503)
      assert.strictEqual(reply.headers["retry-after"], "1")
      assert.strictEqual(reply.json.code, 14)
      assert.match(reply.json.message, /^the trace store failed: .*disk full/)
      const none = yield* serverWith(undefined)
      const unsupported = yield* post(none.url, "application/x-protobuf")
      assert.strictEqual(unsupported.status, 501)
      assert.strictEqual(unsupported.headers["content-type"], "application/x-protobuf")
      assert.deepStrictEqual([...unsupported.body.subarray(0, 2)], [0x08, 12])
    }).pipe(Effect.scoped))
})

describe("internal/otlp chunks", () => {
  it("splits by the sink's rows and bytes, a record larger than the bytes alone", () => {
    const record = (name: string): SpanRecord => ({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      name,
      kind: "span",
      startTime: 0,
      endTime: 0,
      metadata: {},
      metrics: {},
      destination: { _tag: "ProjectLogs" }
    })
    const size = Buffer.byteLength(JSON.stringify(record("a")))
    const records = ["a", "b", "c", "d", "e"].map(record)
    assert.deepStrictEqual(Otlp.chunks(records, { maxRows: 2, maxBytes: 1e6 }).map((c) => c.length), [2, 2, 1])
    assert.deepStrictEqual(Otlp.chunks(records, { maxRows: 100, maxBytes: size * 3 }).map((c) => c.length), [3, 2])
    const large = record("x".repeat(size * 2))
    assert.deepStrictEqual(Otlp.chunks([record("a"), large, record("b")], { maxRows: 100, maxBytes: size }).map((c) => c.length), [
      1,
      1,
      1
    ])
    assert.deepStrictEqual(Otlp.chunks([], { maxRows: 1, maxBytes: 1 }), [])
  })
})
