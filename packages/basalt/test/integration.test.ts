/**
 * The Basalt adapter through the real Node HTTP stack (`FetchHttpClient`)
 * against the Basalt emulator, which validates every request and response
 * against Basalt's OpenAPI file. Runs core's conformance suites for the
 * capabilities Basalt has, a Prompts-only check (Basalt has no
 * `PromptRegistry`), every endpoint, and faults. At the end: no contract
 * violation, and no request of ours the emulator had to reject.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { afterAll, assert, beforeAll, describe, layer } from "@effect/vitest"
import * as Conformance from "@promptops/core/Conformance"
import { Datasets } from "@promptops/core/Datasets"
import type { EvalResult } from "@promptops/core/Experiment"
import { Experiments } from "@promptops/core/Experiments"
import * as Eval from "@promptops/core/Eval"
import * as Prompt from "@promptops/core/Prompt"
import { Prompts } from "@promptops/core/Prompts"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { SpanSink } from "@promptops/core/SpanSink"
import * as Trace from "@promptops/core/Trace"
import * as Tracing from "@promptops/core/Tracing"
import * as BasaltEmulator from "@promptops/emulators/BasaltEmulator"
import { Chunk, Effect, Layer, Redacted, Stream } from "effect"
import * as Basalt from "../src/Basalt.js"
import { BasaltClient } from "../src/BasaltClient.js"
import * as BasaltDatasetsExtra from "../src/BasaltDatasetsExtra.js"
import * as BasaltPromptsExtra from "../src/BasaltPromptsExtra.js"
import * as BasaltSpanSink from "../src/BasaltSpanSink.js"
import type * as BasaltWarning from "../src/BasaltWarning.js"

const KEY = "integration-key"
const FEATURE = "support-bot"

let emulator: BasaltEmulator.BasaltEmulatorHandle

beforeAll(async () => {
  emulator = await BasaltEmulator.start({
    apiKeys: [KEY],
    features: [FEATURE, "other-feature"],
    autoCreateDatasets: true,
    prompts: [
      {
        slug: "greeting",
        name: "Greeting",
        featureSlugs: [FEATURE],
        versions: [
          { version: "1.0.0", text: "Hello {{ name }}", systemText: "You are {{ persona }}." },
          { version: "1.1.0", text: "Hi {{ name | upper }}{% if vip %} (VIP){% endif %}" },
          { version: "2.0.0", text: "Hey {{ name }}" }
        ],
        tags: { production: "1.0.0", staging: "1.1.0" }
      },
      { slug: "support/answer", versions: [{ version: "1", text: "Answer: {{ q }}" }], tags: { production: "1" } }
    ],
    datasets: [
      {
        slug: "faq",
        name: "FAQ",
        columns: [{ name: "question", required: true }, "context", { name: "image", type: "image" }],
        rows: [{ values: { question: "Why?", context: "because" }, idealOutput: "Because.", metadata: null }]
      }
    ]
  })
})

afterAll(async () => {
  // Every answer respected the OpenAPI file, and every request we sent did too.
  assert.deepStrictEqual(emulator.violations, [])
  assert.deepStrictEqual(emulator.rejections, [])
  await emulator.close()
})

const EmulatorLive = Layer.effect(BasaltEmulator.BasaltEmulator, Effect.sync(() => emulator))

/** The Basalt layer against the emulator, over the real Node HTTP stack. */
const basaltLayer = (options: Omit<Basalt.Options, "apiKey"> = {}) =>
  Layer.unwrapEffect(
    Effect.map(BasaltEmulator.BasaltEmulator, (handle) =>
      Basalt.layer({
        apiKey: Redacted.make(KEY),
        apiUrl: handle.url,
        featureSlug: FEATURE,
        // Fast retries: these tests run on the live clock.
        retry: { base: "5 millis", maxDelay: "20 millis", jitter: false, maxRetryAfter: "20 millis" },
        ...options
      }))
  ).pipe(Layer.provide(FetchHttpClient.layer), Layer.provideMerge(EmulatorLive))

const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

/** What Basalt stored for a promptops trace id, as span records again. */
const readBack = (traceId: string) =>
  Effect.map(BasaltEmulator.BasaltEmulator, (handle): ReadonlyArray<SpanRecord> =>
    handle.store.tracesWithMetadata("promptops.traceId", traceId).flatMap((trace) =>
      (trace.body["logs"] as Array<Record<string, any>>).map((log): SpanRecord => {
        const { metrics, ...metadata } = Object.fromEntries(
          Object.entries(log["metadata"] ?? {}).filter(([key]) => !key.startsWith("promptops."))
        ) as Record<string, any>
        return {
          traceId,
          spanId: log["id"],
          ...(log["parentId"] ? { parentSpanId: log["parentId"] } : {}),
          name: log["name"],
          kind: log["metadata"]["promptops.kind"],
          startTime: Date.parse(log["startTime"]),
          endTime: Date.parse(log["endTime"]),
          metadata,
          metrics: {
            ...metrics,
            ...(log["inputTokens"] != null ? { promptTokens: log["inputTokens"] } : {}),
            ...(log["outputTokens"] != null ? { completionTokens: log["outputTokens"] } : {}),
            ...(log["cost"] != null ? { cost: log["cost"] } : {})
          },
          destination: { _tag: "ProjectLogs" }
        }
      })
    )
  )

// -----------------------------------------------------------------------------
// Core's conformance suites, for what Basalt provides
// -----------------------------------------------------------------------------

Conformance.datasets("Basalt (emulator)", basaltLayer())
Conformance.experiments("Basalt (emulator)", basaltLayer())
Conformance.spanSink("Basalt (emulator)", basaltLayer(), readBack)

// -----------------------------------------------------------------------------
// Prompts: Basalt has no PromptRegistry, so prompts are seeded in the emulator
// -----------------------------------------------------------------------------

describe("Basalt (emulator): Prompts conformance (read-only)", () => {
  layer(basaltLayer(), { timeout: 30_000 })((it) => {
    it.effect("production by default; a pinned version; a tag", () =>
      Effect.gen(function*() {
        const prompts = yield* Prompts
        const production = yield* prompts.get("greeting")
        assert.deepStrictEqual([production.version, production.tag], ["1.0.0", "production"])
        assert.deepStrictEqual(production.messages, [
          { role: "system", content: "You are {{ persona }}." },
          { role: "user", content: "Hello {{ name }}" }
        ])
        assert.strictEqual(production.templateFormat, "jinja")
        assert.strictEqual((yield* prompts.get("greeting", { version: "2.0.0" })).messages[0]!.content, "Hey {{ name }}")
        const staging = yield* prompts.get("greeting", { tag: "staging" })
        assert.deepStrictEqual([staging.version, staging.tag], ["1.1.0", "staging"])
        const rendered = yield* Prompt.render(staging, { name: "ada", vip: true })
        assert.strictEqual(rendered.messages[0]!.content, "Hi ADA (VIP)")
        // Slugs with reserved characters travel URL-encoded.
        assert.strictEqual((yield* prompts.get("support/answer")).version, "1")
      }))

    it.effect("version wins over tag", () =>
      Effect.gen(function*() {
        const prompts = yield* Prompts
        const prompt = yield* prompts.get("greeting", { version: "2.0.0", tag: "staging" })
        assert.strictEqual(prompt.version, "2.0.0")
        assert.strictEqual(prompt.warning, undefined)
      }))

    it.effect("a fallback to production is a VersionMismatch; unknown slug NotFound; empty slug InvalidInput", () =>
      Effect.gen(function*() {
        const prompts = yield* Prompts
        const mismatch = yield* Effect.flip(prompts.get("greeting", { version: "9.9.9" }))
        assert.strictEqual(mismatch._tag, "VersionMismatch")
        if (mismatch._tag === "VersionMismatch") {
          assert.strictEqual(mismatch.warning, BasaltEmulator.messages.versionFallback)
          assert.strictEqual(mismatch.requested, "version 9.9.9")
        }
        assert.strictEqual((yield* Effect.flip(prompts.get("greeting", { tag: "nope" })))._tag, "VersionMismatch")
        const unknown = yield* Effect.flip(prompts.get("missing"))
        assert.strictEqual(unknown._tag, "NotFound")
        assert.strictEqual(unknown.description, "No prompt with slug \"missing\" exists.")
        assert.strictEqual((yield* Effect.flip(prompts.get(" ")))._tag, "InvalidInput")
      }))

    it.effect("list includes the seeded prompts, filtered by feature", () =>
      Effect.gen(function*() {
        const prompts = yield* Prompts
        const scoped = yield* collect(prompts.list())
        assert.deepStrictEqual(scoped.map((summary) => summary.slug), ["greeting"])
        assert.deepStrictEqual(scoped[0]!.tags, ["production", "staging"]) // `latest` is implicit, never a deployment tag
        const other = yield* collect(prompts.list({ scope: "other-feature" }))
        assert.deepStrictEqual(other, [])
      }))
  })

  layer(basaltLayer({ prompts: { onFallback: "accept" } }), { timeout: 30_000 })((it) => {
    it.effect("onFallback: accept returns production with Basalt's warning", () =>
      Effect.gen(function*() {
        const prompt = yield* Effect.flatMap(Prompts, (prompts) => prompts.get("greeting", { version: "9.9.9" }))
        assert.strictEqual(prompt.version, "1.0.0")
        assert.strictEqual(prompt.warning, BasaltEmulator.messages.versionFallback)
      }))
  })
})

// -----------------------------------------------------------------------------
// Every endpoint through BasaltClient
// -----------------------------------------------------------------------------

describe("Basalt (emulator): every endpoint", () => {
  layer(basaltLayer(), { timeout: 30_000 })((it) => {
    it.effect("prompts: list, get, describe, publish", () =>
      Effect.gen(function*() {
        const client = yield* BasaltClient
        const handle = yield* BasaltEmulator.BasaltEmulator
        const listed = yield* client.listPrompts()
        assert.deepStrictEqual(listed.prompts.map((prompt) => prompt.slug), ["greeting"])
        const got = yield* client.getPrompt("greeting", { version: "1.1.0", tag: "production" })
        assert.strictEqual(got.prompt.version, "1.1.0")
        assert.strictEqual(got.warning, BasaltEmulator.messages.bothGiven)
        const described = yield* client.describePrompt("greeting")
        assert.deepStrictEqual(described.prompt.variables.map((variable) => variable.label), ["persona", "name"])
        const extra = yield* BasaltPromptsExtra.BasaltPromptsExtra
        const published = yield* extra.publish("greeting", { newTag: "canary", version: "2.0.0" })
        assert.strictEqual(published.label, "canary")
        assert.strictEqual((yield* client.getPrompt("greeting", { tag: "canary" })).prompt.version, "2.0.0")
        const last = handle.requests.at(-1)!
        assert.strictEqual(last.headers["authorization"], `Bearer ${KEY}`)
        assert.strictEqual(last.headers["x-basalt-sdk-type"], "promptops-effect")
        assert.strictEqual(last.url, "/prompts/greeting?tag=canary")
      }))

    it.effect("datasets: list, get, add a row (201) with the unknown-column warning surfaced", () =>
      Effect.gen(function*() {
        const client = yield* BasaltClient
        const listed = yield* client.listDatasets()
        assert.deepStrictEqual(listed.datasets.find((dataset) => dataset.slug === "faq")!.columns.map((c) => c.type), [
          "text",
          "text",
          "image"
        ])
        const added = yield* client.createDatasetItem("faq", { values: { question: "How?", bogus: "x" }, name: "r" })
        assert.strictEqual(added.warning, "The following columns do not exist in the dataset and were omitted: bogus")
        assert.deepStrictEqual(added.datasetRow.values, { question: "How?" })
        const dataset = yield* client.getDataset("faq")
        assert.isTrue(dataset.dataset.rows.some((row) => row.values["question"] === "How?"))
        const missing = yield* Effect.flip(client.createDatasetItem("faq", { values: { context: "no question" } }))
        assert.strictEqual(missing._tag, "BadRequest")
        assert.strictEqual(missing.description, "Missing required columns: question")
      }))

    it.effect("files: upload URL, PUT to the upload server without the key, the key in an image column", () =>
      Effect.gen(function*() {
        const handle = yield* BasaltEmulator.BasaltEmulator
        const extra = yield* BasaltDatasetsExtra.BasaltDatasetsExtra
        const added = yield* extra.addRow("faq", {
          values: { question: "What is in the picture?" },
          files: { image: { fileName: "cat.png", contentType: "image/png", bytes: new Uint8Array([137, 80, 78, 71]) } }
        })
        const fileKey = added.files["image"]!.fileKey
        assert.strictEqual(added.row.values["image"], fileKey)
        assert.deepStrictEqual([...handle.store.files.get(fileKey)!.bytes], [137, 80, 78, 71])
        const upload = handle.uploadRequests.at(-1)!
        assert.strictEqual(upload.status, 200)
        assert.strictEqual(upload.headers["authorization"], undefined)
        assert.strictEqual(upload.headers["x-basalt-sdk-version"], undefined)
      }))

    it.effect("monitoring: experiment, trace, log", () =>
      Effect.gen(function*() {
        const client = yield* BasaltClient
        const handle = yield* BasaltEmulator.BasaltEmulator
        const experiment = yield* client.createExperiment({ name: "endpoint check" })
        assert.strictEqual(experiment.featureSlug, FEATURE)
        const trace = yield* client.sendTrace({
          name: "check",
          experiment: { id: experiment.id },
          logs: [
            { id: "a", type: "span", name: "root", parentId: null },
            { id: "b", type: "generation", name: "llm", parentId: "a", inputTokens: 1, prompt: { slug: "nope" } }
          ]
        })
        assert.strictEqual(trace.warning, BasaltEmulator.messages.promptNotFoundForLog)
        assert.strictEqual(handle.store.traces.find((stored) => stored.id === trace.traceId)!.experimentId, experiment.id)
        const log = yield* client.sendLog({ slug: "greeting", output: "Hello Ada", variables: [{ label: "name", value: "Ada" }] })
        assert.strictEqual(log.warning, undefined)
        const broken = yield* Effect.flip(client.sendTrace({ logs: [{ id: "x", type: "span", parentId: "ghost" }] }))
        assert.strictEqual(broken._tag, "BadRequest")
        const otherFeature = yield* Effect.flip(client.createExperiment({ name: "x", featureSlug: "unknown-feature" }))
        assert.strictEqual(otherFeature._tag, "NotFound")
        assert.strictEqual(otherFeature.description, "No feature with slug \"unknown-feature\" exists.")
      }))

    it.effect("neutral datasets: records read back rows made in Basalt; insert surfaces warnings", () =>
      Effect.gen(function*() {
        const datasets = yield* Datasets
        const records = yield* collect(datasets.records("faq"))
        const seeded = records.find((record) => (record.input as Record<string, string>)["question"] === "Why?")!
        assert.strictEqual(seeded.expected, "Because.")
        assert.match(seeded.id, /^row-[0-9a-f]{16}$/)
      }))
  })

  const warnings: Array<BasaltWarning.BasaltWarning> = []
  layer(basaltLayer({ datasets: { onWarning: (warning) => Effect.sync(() => warnings.push(warning)) } }), {
    timeout: 30_000
  })((it) => {
    it.effect("Datasets.insert hands Basalt's dropped-column warning to onWarning", () =>
      Effect.gen(function*() {
        const datasets = yield* Datasets
        yield* datasets.insert("faq", [{ id: "warn-1", input: { question: "q", unknown: "u" } }])
        assert.deepStrictEqual(warnings.map((warning) => warning.warning), [
          "The following columns do not exist in the dataset and were omitted: unknown"
        ])
      }))
  })
})

// -----------------------------------------------------------------------------
// Faults: survived, with nothing lost or duplicated
// -----------------------------------------------------------------------------

const evalResult = (caseId: string): EvalResult => ({
  caseId,
  trial: 0,
  input: { q: caseId },
  output: `out-${caseId}`,
  scores: { ok: 1 },
  metadata: {},
  durationMs: 1
})

describe("Basalt (emulator): faults", () => {
  // Live services: retries wait on the real clock (milliseconds here).
  layer(basaltLayer(), { timeout: 30_000, excludeTestServices: true })((it) => {
    it.effect("reads ride out a 503 storm; an HTML 502 is ProviderUnavailable with its title", () =>
      Effect.gen(function*() {
        const handle = yield* BasaltEmulator.BasaltEmulator
        const client = yield* BasaltClient
        handle.faults.storm({ match: "GET /prompts/greeting", times: 2 })
        assert.strictEqual((yield* client.getPrompt("greeting")).prompt.version, "1.0.0")
        handle.faults.status(502, { match: "GET /datasets", times: 10 })
        const error = yield* Effect.flip(client.listDatasets())
        handle.faults.clear()
        assert.strictEqual(error._tag, "ProviderUnavailable")
        assert.strictEqual(error.description, "502 Bad Gateway")
      }))

    it.effect("a 429 on a trace is retried once it is allowed; the trace is stored once", () =>
      Effect.gen(function*() {
        const handle = yield* BasaltEmulator.BasaltEmulator
        const client = yield* BasaltClient
        handle.faults.rateLimit({ match: "POST /monitor/trace", retryAfter: 0, times: 2 })
        const sent = yield* client.sendTrace({ name: "rate-limited", metadata: { marker: "rl-1" } })
        assert.strictEqual(handle.store.tracesWithMetadata("marker", "rl-1").length, 1)
        assert.strictEqual(handle.store.traces.filter((trace) => trace.id === sent.traceId).length, 1)
      }))

    it.effect("Experiments.log after a 500 and a reset: logging again delivers every case exactly once", () =>
      Effect.gen(function*() {
        const handle = yield* BasaltEmulator.BasaltEmulator
        const experiments = yield* Experiments
        const experiment = yield* experiments.create({ name: "faulty" })
        const batch = ["a", "b", "c", "d"].map(evalResult)
        handle.faults.status(500, { match: "POST /monitor/trace" })
        const first = yield* Effect.flip(experiments.log(experiment.id, batch))
        assert.strictEqual(first._tag, "ProviderUnavailable")
        assert.strictEqual(first.description, "Failed to create trace")
        handle.faults.reset({ match: "POST /monitor/trace" })
        const second = yield* Effect.flip(experiments.log(experiment.id, batch))
        assert.strictEqual(second._tag, "TransportError")
        yield* experiments.log(experiment.id, batch)
        const stored = handle.store.traces.filter((trace) => trace.experimentId === experiment.id)
        assert.deepStrictEqual(stored.map((trace) => trace.body["name"]).sort(), ["a", "b", "c", "d"])
        assert.strictEqual((yield* collect(experiments.results(experiment.id))).length, 4)
      }))

    it.effect("the tracing pipeline survives a 429, a reset and a 503: every span stored once", () =>
      Effect.gen(function*() {
        const handle = yield* BasaltEmulator.BasaltEmulator
        handle.faults.rateLimit({ match: "POST /monitor/trace", retryAfter: 0 })
        handle.faults.reset({ match: "POST /monitor/trace" })
        handle.faults.storm({ match: "POST /monitor/trace", status: 503, times: 1 })
        const runId = `run-${Date.now()}`
        const request = (i: number) =>
          Effect.gen(function*() {
            yield* Trace.annotate({ input: `q${i}`, metadata: { runId } })
            yield* Effect.succeed(`a${i}`).pipe(
              Effect.tap(() => Trace.annotate({ usage: { promptTokens: i, completionTokens: 1 } })),
              Trace.llm("model")
            )
            yield* Effect.void.pipe(Trace.tool("lookup"))
          }).pipe(Trace.task(`request ${i}`))
        yield* Effect.gen(function*() {
          yield* Effect.forEach([1, 2, 3, 4, 5], request, { concurrency: 5 })
          yield* BasaltSpanSink.flush
        }).pipe(
          Effect.provide(Tracing.layer({ retry: { base: "5 millis", jitter: false, maxRetryAfter: "20 millis" } }))
        )
        const traces = handle.store.tracesWithMetadata("runId", runId)
        assert.strictEqual(traces.length, 5)
        const logs = traces.flatMap((trace) => trace.body["logs"] as Array<{ id: string; parentId: string | null; type: string }>)
        assert.strictEqual(logs.length, 15)
        assert.strictEqual(new Set(logs.map((log) => log.id)).size, 15)
        for (const trace of traces) {
          const [root, ...children] = trace.body["logs"] as Array<{ id: string; parentId: string | null; type: string }>
          assert.strictEqual(root!.parentId, null)
          assert.deepStrictEqual(children.map((child) => child.parentId), [root!.id, root!.id])
          assert.deepStrictEqual(children.map((child) => child.type).sort(), ["generation", "tool"])
        }
        const stats = yield* Effect.flatMap(BasaltSpanSink.BasaltSpanSink, (sink) => sink.stats)
        assert.strictEqual(stats.pendingSpans, 0)
        assert.strictEqual(stats.droppedSpans, 0)
      }))
  })

  // A fresh sink: nothing else waits in it.
  layer(basaltLayer(), { timeout: 30_000 })((it) => {
    it.effect("SpanSink: a refused trace (unknown feature) is dropped and counted, not retried forever", () =>
      Effect.gen(function*() {
        const sink = yield* SpanSink
        const basalt = yield* BasaltSpanSink.BasaltSpanSink
        const handle = yield* BasaltEmulator.BasaltEmulator
        handle.store.features.delete(FEATURE)
        try {
          yield* sink.export([{
            traceId: "ffffffffffffffffffffffffffffffff",
            spanId: "aaaaaaaaaaaaaaaa",
            name: "refused",
            kind: "span",
            startTime: Date.now(),
            endTime: Date.now() + 1,
            metadata: {},
            metrics: {},
            destination: { _tag: "ProjectLogs" }
          }])
        } finally {
          handle.store.features.add(FEATURE)
        }
        const stats = yield* basalt.stats
        assert.strictEqual(stats.droppedSpans, 1)
        assert.strictEqual(stats.pendingSpans, 0)
      }))
  })
})

// -----------------------------------------------------------------------------
// The same neutral app as on Braintrust (feedback aside: Basalt's layer does
// not provide it, which test/types.test.ts checks at type level)
// -----------------------------------------------------------------------------

describe("a neutral app on the Basalt layer", () => {
  const traced = Layer.provideMerge(Tracing.layer({ interval: "10 millis" }), basaltLayer())

  // Live clock: the tracing pipeline's interval and the HTTP timeouts run for real.
  layer(traced, { timeout: 30_000, excludeTestServices: true })((it) => {
    it.effect("prompt fetch + render, a traced eval with a baseline diff", () =>
      Effect.gen(function*() {
        const prompt = yield* Effect.flatMap(Prompts, (prompts) => prompts.get("greeting"))
        assert.strictEqual(prompt.version, "1.0.0")
        const rendered = yield* Prompt.render(prompt, { name: "Ada", persona: "kind" }, { strict: true })
        assert.deepStrictEqual(rendered.messages.map((message) => message.content), ["You are kind.", "Hello Ada"])

        const data = [{ input: "Ada", expected: "Hello Ada" }, { input: "Bob", expected: "Hello Bob" }]
        const exact = Eval.scorer("exact", ({ expected, output }: { expected: unknown; output: unknown }) =>
          output === expected ? 1 : 0)
        const greet = (good: boolean) => (name: string) =>
          Effect.flatMap(Effect.flatMap(Prompts, (prompts) => prompts.get("greeting")), (p) =>
            Effect.map(Prompt.render(p, { name, persona: "kind" }), (r) =>
              good || name === "Ada" ? String(r.messages[1]!.content) : "Hi")).pipe(Trace.llm("greet"))
        const baseline = yield* Eval.run({ name: "greeting", data, task: greet(false), scorers: [exact] })
        const candidate = yield* Eval.run({
          name: "greeting",
          data,
          baseline: baseline.experiment.id,
          task: greet(true),
          scorers: [exact]
        })
        const score = candidate.summary.scores["exact"]!
        assert.strictEqual(candidate.summary.comparison?.id, baseline.experiment.id)
        assert.strictEqual(score.mean, 1)
        assert.strictEqual(score.improvements, 1)
        assert.strictEqual(score.regressions, 0)
        // Each case went to Basalt as a trace attached to the candidate experiment.
        yield* Tracing.flush
        const handle = yield* BasaltEmulator.BasaltEmulator
        const traces = handle.store.traces.filter((trace) => trace.experimentId === candidate.experiment.id)
        assert.strictEqual(traces.length, 2)
      }))
  })
})
