/**
 * The client and every neutral service through the real Node HTTP stack
 * (`FetchHttpClient`) against the spec-validating Braintrust emulator: every
 * request and response is checked against the official OpenAPI file, and the
 * emulator must record no contract violation and reject no request.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Conformance from "@promptops/core/Conformance"
import { Datasets } from "@promptops/core/Datasets"
import * as Eval from "@promptops/core/Eval"
import { Experiments } from "@promptops/core/Experiments"
import { Feedback } from "@promptops/core/Feedback"
import * as Ids from "@promptops/core/Ids"
import * as Prompt from "@promptops/core/Prompt"
import type { InvalidInput, PromptOpsError } from "@promptops/core/PromptOpsError"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import { Prompts } from "@promptops/core/Prompts"
import * as Trace from "@promptops/core/Trace"
import { TraceReader } from "@promptops/core/TraceReader"
import * as Tracing from "@promptops/core/Tracing"
import { BraintrustEmulator } from "@promptops/emulators"
import { Chunk, Context, Effect, Fiber, Layer, Redacted, Schema, Stream, TestClock } from "effect"
import * as Braintrust from "../src/Braintrust.js"
import { BraintrustClient } from "../src/BraintrustClient.js"
import * as BraintrustEval from "../src/BraintrustEval.js"
import * as BraintrustFunctions from "../src/BraintrustFunctions.js"
import type * as BraintrustSchema from "../src/BraintrustSchema.js"
import * as BraintrustSpanSink from "../src/BraintrustSpanSink.js"
import * as BraintrustVersion from "../src/BraintrustVersion.js"

const emulator = await BraintrustEmulator.start()

afterAll(() => emulator.close())

const backend = (project: string, options: Partial<Parameters<typeof Braintrust.layer>[0]> = {}) =>
  Braintrust.layer({
    apiKey: Redacted.make(emulator.apiKey),
    apiUrl: emulator.url,
    project,
    ...options
  }).pipe(Layer.provide(FetchHttpClient.layer))

// -----------------------------------------------------------------------------
// The neutral conformance suite
// -----------------------------------------------------------------------------

Conformance.promptRegistry("braintrust", backend("conformance-prompts"))
Conformance.datasets("braintrust", backend("conformance-datasets"))
Conformance.experiments("braintrust", backend("conformance-experiments"))
Conformance.spanSink<InvalidInput, BraintrustClient>(
  "braintrust",
  backend("conformance-spans"),
  (traceId) => BraintrustSpanSink.readTrace(traceId)
)
Conformance.feedback("braintrust", backend("conformance-feedback"), () => Ids.spanId())
// Reads never create the project and the suite reads before it writes: the project exists first, as after any write.
Conformance.traceReader(
  "braintrust",
  backend("conformance-traces").pipe(
    Layer.tap((context) => Context.get(context, BraintrustClient).resolveProject())
  ),
  {
    // Braintrust accepts rows only for an experiment that exists.
    experimentId: Effect.flatMap(Experiments, (experiments) => experiments.create({ name: "conformance-traces" })).pipe(
      Effect.map((experiment) => experiment.id)
    )
  }
)

// -----------------------------------------------------------------------------
// Every endpoint
// -----------------------------------------------------------------------------

const codeFunction = (projectId: string, slug: string, builtin: string) => ({
  project_id: projectId,
  name: slug,
  slug,
  function_data: {
    type: "code",
    data: { type: "inline", runtime_context: { runtime: "node", version: "20" }, code: `// @emulator:${builtin}` }
  }
}) as const

describe("BraintrustClient against the emulator", () => {
  it.layer(backend("endpoints"), { timeout: 30_000 })((it) => {
    it.effect("projects: get-or-create, get, list, stream", () =>
      Effect.gen(function*() {
        const client = yield* BraintrustClient
        const first = yield* client.projects.create({ name: "it-project" })
        const again = yield* client.projects.create({ name: "it-project" })
        assert.isFalse(first.foundExisting)
        assert.isTrue(again.foundExisting)
        assert.strictEqual(again.project.id, first.project.id)
        assert.strictEqual((yield* client.projects.get(first.project.id)).name, "it-project")
        const byName = yield* client.projects.list({ project_name: "it-project" })
        assert.deepStrictEqual(byName.map((p) => p.id), [first.project.id])
        const all = Chunk.toReadonlyArray(yield* Stream.runCollect(client.projects.stream({ limit: 1 })))
        assert.isTrue(all.some((p) => p.id === first.project.id))
        assert.strictEqual(new Set(all.map((p) => p.id)).size, all.length)
      }))

    it.effect("functions: create / found-existing / replace / versions / patch / list both ways / invoke / feedback / delete", () =>
      Effect.gen(function*() {
        const client = yield* BraintrustClient
        const project = yield* client.resolveProject()
        const created: Array<BraintrustSchema.FunctionObject> = []
        for (let i = 0; i < 5; i++) {
          created.push((yield* client.functions.create(codeFunction(project.id, `upper-${i}`, "uppercase"))).function)
        }
        const again = yield* client.functions.create({ ...codeFunction(project.id, "upper-0", "identity"), description: "ignored" })
        assert.isTrue(again.foundExisting)
        assert.isUndefined(again.function.description ?? undefined)

        const replaced = yield* client.functions.replace({ ...codeFunction(project.id, "upper-0", "identity"), description: "v2" })
        assert.isTrue(replaced.foundExisting)
        assert.strictEqual(replaced.function.id, created[0]!.id)
        assert.strictEqual(BraintrustVersion.compare(replaced.function._xact_id, created[0]!._xact_id), 1)
        // The old version, pinned in its pretty form.
        const pretty = BraintrustVersion.toPretty(BigInt(created[0]!._xact_id))
        const old = yield* client.functions.get(created[0]!.id, { version: pretty })
        assert.strictEqual(old._xact_id, created[0]!._xact_id)
        assert.isUndefined(old.description ?? undefined)

        const patched = yield* client.functions.update(created[0]!.id, { description: "patched", tags: ["t"] })
        assert.strictEqual(patched.description, "patched")
        assert.strictEqual(patched.name, "upper-0")

        const byIds = yield* client.functions.list({ ids: [created[1]!.id, created[2]!.id] })
        assert.deepStrictEqual(byIds.map((f) => f.id).sort(), [created[1]!.id, created[2]!.id].sort())
        const bySlug = yield* client.functions.list({ project_name: "endpoints", slug: "upper-3" })
        assert.deepStrictEqual(bySlug.map((f) => f.id), [created[3]!.id])

        // Newest first: upper-4 … upper-0. Forward walk from the newest, backward walk from the oldest.
        const forward = Chunk.toReadonlyArray(
          yield* Stream.runCollect(client.functions.stream({ project_id: project.id, limit: 2 }))
        ).filter((f) => f.slug.startsWith("upper-"))
        assert.deepStrictEqual(forward.map((f) => f.slug), ["upper-4", "upper-3", "upper-2", "upper-1", "upper-0"])
        const backward = Chunk.toReadonlyArray(
          yield* Stream.runCollect(
            client.functions.stream({ project_id: project.id, limit: 2, ending_before: created[0]!.id })
          )
        )
        assert.deepStrictEqual(backward.map((f) => f.slug), ["upper-1", "upper-2", "upper-3", "upper-4"])

        const output = yield* client.functions.invoke(created[1]!.id, { input: "hello" })
        assert.strictEqual(output, "HELLO")
        const text = yield* BraintrustFunctions.collectText(
          client.functions.invokeStream(created[1]!.id, { input: "stream me" })
        )
        assert.strictEqual(text, "STREAM ME")

        yield* client.functions.feedback(created[1]!.id, [{ id: "event-1", scores: { good: 1 }, comment: "nice" }])
        assert.isTrue(emulator.store.functionFeedback.some((f) => f.functionId === created[1]!.id))

        yield* client.functions.delete(created[4]!.id)
        const gone = yield* Effect.flip(client.functions.get(created[4]!.id))
        assert.strictEqual(gone._tag, "NotFound")
      }))

    it.effect("prompts: create, replace, versions, environment-free lookups, patch, delete", () =>
      Effect.gen(function*() {
        const client = yield* BraintrustClient
        const project = yield* client.resolveProject()
        const data = (text: string) => ({
          prompt: { type: "chat" as const, messages: [{ role: "user" as const, content: text }] },
          options: { model: "gpt-4o-mini", params: { temperature: 0 } }
        })
        const created = yield* client.prompts.create({ project_id: project.id, name: "P", slug: "p1", prompt_data: data("v1") })
        assert.isFalse(created.foundExisting)
        const replaced = yield* client.prompts.replace({ project_id: project.id, name: "P", slug: "p1", prompt_data: data("v2") })
        assert.isTrue(replaced.foundExisting)
        const v1 = yield* client.prompts.list({ project_id: project.id, slug: "p1", version: created.prompt._xact_id })
        assert.strictEqual(v1[0]?.prompt_data?.prompt?.type === "chat" && v1[0].prompt_data.prompt.messages[0]?.content, "v1")
        const latest = yield* client.prompts.get(created.prompt.id)
        assert.strictEqual(latest._xact_id, replaced.prompt._xact_id)
        const patched = yield* client.prompts.update(created.prompt.id, { tags: ["x"] })
        assert.deepStrictEqual(patched.tags, ["x"])
        assert.strictEqual(patched.prompt_data?.options?.model, "gpt-4o-mini")
        yield* client.prompts.delete(created.prompt.id)
        assert.strictEqual((yield* Effect.flip(client.prompts.get(created.prompt.id)))._tag, "NotFound")
      }))

    it.effect("environments: create, list, get, update, delete; prompts resolved through them", () =>
      Effect.gen(function*() {
        const client = yield* BraintrustClient
        const project = yield* client.resolveProject()
        const created = yield* client.environments.create({ name: "QA", slug: "it-qa", description: "checks" })
        assert.strictEqual(created.slug, "it-qa")
        const clash = yield* Effect.flip(client.environments.create({ name: "QA 2", slug: "it-qa" }))
        assert.strictEqual(clash._tag, "BadRequest")
        assert.deepStrictEqual((yield* client.environments.list({ name: "QA" })).map((e) => e.id), [created.id])
        assert.deepStrictEqual((yield* client.environments.list({ ids: created.id })).map((e) => e.slug), ["it-qa"])
        assert.strictEqual((yield* client.environments.get(created.id)).description, "checks")
        assert.strictEqual((yield* client.environments.update(created.id, { name: "Quality" })).name, "Quality")

        const data = (text: string) => ({ prompt: { type: "chat" as const, messages: [{ role: "user" as const, content: text }] } })
        const body = { project_id: project.id, name: "E", slug: "env-p" }
        const v1 = yield* client.prompts.replace({ ...body, prompt_data: data("v1"), environment_slugs: ["it-qa"] })
        yield* client.prompts.replace({ ...body, prompt_data: data("v2") })
        const inQa = yield* client.prompts.list({ project_id: project.id, slug: "env-p", environment: "it-qa" })
        assert.deepStrictEqual(inQa.map((p) => p._xact_id), [v1.prompt._xact_id])
        assert.strictEqual((yield* client.prompts.get(v1.prompt.id, { environment: "it-qa" }))._xact_id, v1.prompt._xact_id)
        const unknown = yield* Effect.flip(client.prompts.replace({ ...body, prompt_data: data("v3"), environment_slugs: ["it-nope"] }))
        assert.strictEqual(unknown._tag, "BadRequest")

        const deleted = yield* client.environments.delete(created.id)
        assert.isString(deleted.deleted_at)
        assert.strictEqual((yield* Effect.flip(client.environments.get(created.id)))._tag, "NotFound")
      }))

    it.effect("experiments: ensure_new, insert, fetch, feedback, summarize with a comparison", () =>
      Effect.gen(function*() {
        const client = yield* BraintrustClient
        const project = yield* client.resolveProject()
        const base = (yield* client.experiments.create({ project_id: project.id, name: "exp", ensure_new: true })).experiment
        const next = (yield* client.experiments.create({ project_id: project.id, name: "exp", ensure_new: true })).experiment
        assert.notStrictEqual(base.id, next.id)
        assert.notStrictEqual(base.name, next.name)
        const reuse = yield* client.experiments.create({ project_id: project.id, name: base.name })
        assert.isTrue(reuse.foundExisting)
        assert.strictEqual(reuse.experiment.id, base.id)

        const row = (id: string, score: number) => ({
          id,
          input: { q: id },
          output: "o",
          scores: { accuracy: score },
          span_attributes: { name: "eval", type: "eval" },
          metrics: { start: 1, end: 2 }
        })
        yield* client.experiments.insert(base.id, [row("a", 0), row("b", 1)])
        const rowIds = yield* client.experiments.insert(next.id, [row("a", 1), row("b", 1)])
        assert.deepStrictEqual(rowIds, ["a", "b"])
        // A re-sent row is a new version, not a duplicate.
        yield* client.experiments.insert(next.id, [{ ...row("a", 1), output: "o2" }])
        const fetched = yield* client.experiments.fetchAll(next.id, { limit: 1 })
        assert.strictEqual(fetched.length, 2)
        assert.strictEqual(fetched.find((e) => e.id === "a")?.output, "o2")

        const status = yield* client.experiments.feedback(next.id, [{ id: "b", scores: { human: 0.5 } }])
        assert.strictEqual(status.status, "success")

        const summary = yield* client.experiments.summarize(next.id, {
          summarize_scores: true,
          comparison_experiment_id: base.id
        })
        assert.strictEqual(summary.comparison_experiment_name, base.name)
        assert.strictEqual(summary.scores?.["accuracy"]?.score, 1)
        assert.strictEqual(summary.scores?.["accuracy"]?.improvements, 1)
        const listed = yield* client.experiments.list({ project_id: project.id, experiment_name: next.name })
        assert.deepStrictEqual(listed.map((e) => e.id), [next.id])
        assert.strictEqual((yield* client.experiments.get(next.id)).name, next.name)
      }))

    it.effect("datasets, project logs and the cross-object insert", () =>
      Effect.gen(function*() {
        const client = yield* BraintrustClient
        const project = yield* client.resolveProject()
        const { dataset } = yield* client.datasets.create({ project_id: project.id, name: "ds", metadata: { k: 1 } })
        assert.strictEqual((yield* client.datasets.create({ project_id: project.id, name: "ds" })).foundExisting, true)
        yield* client.datasets.insert(dataset.id, [{ id: "d1", input: 1, expected: 2 }, { input: 3 }])
        const rows = yield* client.datasets.fetchAll(dataset.id)
        assert.strictEqual(rows.length, 2)
        const dsSummary = yield* client.datasets.summarize(dataset.id, { summarize_data: true })
        assert.strictEqual(dsSummary.data_summary?.total_records, 2)
        assert.strictEqual((yield* client.datasets.get(dataset.id)).name, "ds")
        assert.isTrue((yield* client.datasets.list({ project_id: project.id })).some((d) => d.id === dataset.id))

        const experiment = (yield* client.experiments.create({ project_id: project.id, name: "cross", ensure_new: true })).experiment
        const response = yield* client.insert({
          experiment: { [experiment.id]: { events: [{ id: "x1", input: 1 }] } },
          project_logs: { [project.id]: { events: [{ id: "log-1", input: "hi" }], feedback: [] } },
          dataset: { [dataset.id]: { events: [{ id: "d3", input: 5 }] } }
        })
        assert.deepStrictEqual(response.experiment?.[experiment.id]?.row_ids, ["x1"])
        assert.deepStrictEqual(response.project_logs?.[project.id]?.row_ids, ["log-1"])

        yield* client.projectLogs.insert(project.id, [{ id: "log-2", input: "there", span_attributes: { type: "llm" } }])
        yield* client.projectLogs.feedback(project.id, [{ id: "log-2", scores: { thumbs: 1 }, source: "app" }])
        const logs = yield* client.projectLogs.fetchAll(project.id)
        assert.deepStrictEqual(logs.find((row) => row.id === "log-2")?.scores, { thumbs: 1 })
        assert.isTrue(logs.some((row) => row.id === "log-1"))
      }))

    it.effect("eval launch: inline rows, saved and global functions, JSON and streamed", () =>
      Effect.gen(function*() {
        const client = yield* BraintrustClient
        const project = yield* client.resolveProject()
        const task = (yield* client.functions.create(codeFunction(project.id, "eval-task", "uppercase"))).function
        const base = yield* client.eval.launch({
          project_id: project.id,
          data: { data: [{ input: "a", expected: "A" }, { input: "b", expected: "x" }] },
          task: { function_id: task.id },
          scores: [{ global_function: "ExactMatch" }],
          experiment_name: "remote-base"
        })
        assert.strictEqual(base.scores?.["ExactMatch"]?.score, 0.5)
        const eval_ = yield* BraintrustEval.BraintrustEval
        const events = Chunk.toReadonlyArray(
          yield* Stream.runCollect(
            eval_.launchStream({
              data: { data: [{ input: "a", expected: "A" }, { input: "b", expected: "B" }] },
              task: { project_name: "endpoints", slug: "eval-task" },
              scores: [{ inline_context: { runtime: "node", version: "20" }, code: "// @emulator:exact_match", name: "exact" }],
              experiment_name: "remote-next",
              base_experiment_name: base.experiment_name,
              trial_count: 1,
              max_concurrency: 2
            })
          )
        )
        assert.strictEqual(events[0]?._tag, "Start")
        const summary = events.find((e) => e._tag === "Summary")
        assert.strictEqual(summary?._tag === "Summary" && summary.summary.scores?.["exact"]?.score, 1)
        assert.strictEqual(events[events.length - 1]?._tag, "Done")
      }))
  })
})

// -----------------------------------------------------------------------------
// Errors and faults
// -----------------------------------------------------------------------------

describe("errors and faults against the emulator", () => {
  it.effect("a wrong key is Unauthorized; a read-only key's write is Forbidden; an unknown id is NotFound", () =>
    Effect.gen(function*() {
      const other = yield* Effect.acquireRelease(
        Effect.promise(() => BraintrustEmulator.start({ apiKeys: ["good", { key: "reader", readOnly: true }] })),
        (handle) => Effect.promise(() => handle.close())
      )
      const client = (key: string) =>
        Effect.provide(
          BraintrustClient,
          Braintrust.layer({ apiKey: Redacted.make(key), apiUrl: other.url, project: "p", retry: false }).pipe(
            Layer.provide(FetchHttpClient.layer)
          )
        )
      const wrong = yield* client("bad")
      assert.strictEqual((yield* Effect.flip(wrong.projects.list()))._tag, "Unauthorized")
      const reader = yield* client("reader")
      const forbidden = yield* Effect.flip(reader.projects.create({ name: "nope" }))
      assert.strictEqual(forbidden._tag, "Forbidden")
      const good = yield* client("good")
      assert.strictEqual((yield* Effect.flip(good.experiments.get(Ids.uuid())))._tag, "NotFound")
      // A request the contract rejects (no `name`) comes back as BadRequest naming the field.
      const raw = yield* HttpClientRequest.bodyJson(HttpClientRequest.post("/v1/project"), {}).pipe(Effect.orDie)
      const bad = yield* Effect.flip(good.http.json("raw", raw, Schema.Unknown))
      assert.strictEqual(bad._tag, "BadRequest")
      assert.isTrue(bad._tag === "BadRequest" && bad.issues.length > 0)
      assert.strictEqual(other.rejections.length, 1)
      assert.strictEqual(other.violations.length, 0)
    }).pipe(Effect.scoped))

  it.effect("429 + Retry-After, 503s and a connection reset are retried; nothing is lost or duplicated", () =>
    Effect.gen(function*() {
      const other = yield* Effect.acquireRelease(
        Effect.promise(() => BraintrustEmulator.start()),
        (handle) => Effect.promise(() => handle.close())
      )
      const client = yield* Effect.provide(
        BraintrustClient,
        Braintrust.layer({
          apiKey: Redacted.make(other.apiKey),
          apiUrl: other.url,
          project: "faults",
          retry: { maxRetries: 5, jitter: false, base: "100 millis" }
        }).pipe(Layer.provide(FetchHttpClient.layer))
      )
      const project = yield* client.resolveProject()
      other.faults.rateLimit({ match: "POST /v1/project_logs/*/insert", retryAfter: 2 })
      other.faults.storm({ match: "POST /v1/project_logs/*/insert", status: 503, times: 2 })
      other.faults.reset({ match: "POST /v1/project_logs/*/insert" })
      const before = other.requests.length
      const fiber = yield* Effect.fork(
        client.projectLogs.insert(project.id, [{ id: "r1", input: 1 }, { id: "r2", input: 2 }])
      )
      // Let each real round trip finish, then move the test clock past the backoff it scheduled.
      for (let i = 0; i < 200 && other.requests.length - before < 5; i++) {
        yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
        yield* TestClock.adjust("500 millis")
      }
      const ids = yield* Fiber.join(fiber)
      assert.deepStrictEqual(ids, ["r1", "r2"])
      assert.strictEqual(other.requests.length - before, 5)
      const rows = yield* client.projectLogs.fetchAll(project.id)
      assert.deepStrictEqual(rows.map((r) => r.id).sort(), ["r1", "r2"])
      assert.strictEqual(other.violations.length, 0)
    }).pipe(Effect.scoped))

  it.effect("413 is PayloadTooLarge and is not retried", () =>
    Effect.gen(function*() {
      const other = yield* Effect.acquireRelease(
        Effect.promise(() => BraintrustEmulator.start()),
        (handle) => Effect.promise(() => handle.close())
      )
      const client = yield* Effect.provide(
        BraintrustClient,
        Braintrust.layer({ apiKey: Redacted.make(other.apiKey), apiUrl: other.url, project: "big" }).pipe(
          Layer.provide(FetchHttpClient.layer)
        )
      )
      const project = yield* client.resolveProject()
      other.faults.payloadLimit(1000)
      const before = other.requests.length
      const error = yield* Effect.flip(client.projectLogs.insert(project.id, [{ id: "big", input: "x".repeat(5000) }]))
      assert.strictEqual(error._tag, "PayloadTooLarge")
      assert.strictEqual(other.requests.length - before, 1)
    }).pipe(Effect.scoped))
})

// -----------------------------------------------------------------------------
// An app written only against the neutral services
// -----------------------------------------------------------------------------

describe("a neutral app on the Braintrust layer", () => {
  const app = backend("neutral-app")
  const traced = Layer.provideMerge(Tracing.layer({ interval: "10 millis" }), app)

  it.live("prompt fetch + render, a traced eval with a baseline diff, feedback on a logged span", () =>
    Effect.gen(function*() {
      // Seeded by an admin tool; the app only reads it.
      yield* Effect.flatMap(PromptRegistry, (registry) =>
        registry.push({
          slug: "greet",
          templateFormat: "mustache",
          messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello {{name}}!" }],
          model: { name: "gpt-4o-mini", params: { temperature: 0 } }
        }))

      const prompt = yield* Effect.flatMap(Prompts, (prompts) => prompts.get("greet"))
      const rendered = yield* Prompt.render(prompt, { name: "Ada" })
      assert.deepStrictEqual(rendered.messages[1], { role: "user", content: "Hello Ada!" })

      const data = [{ input: "Ada", expected: "Hello Ada!" }, { input: "Bob", expected: "Hello Bob!" }]
      const exact = Eval.scorer("exact", ({ expected, output }: { expected: unknown; output: unknown }) =>
        output === expected ? 1 : 0)
      const baseline = yield* Eval.run({
        name: "greeting",
        data,
        task: (name: string) => Effect.succeed(name === "Ada" ? `Hello ${name}!` : "Hi"),
        scorers: [exact]
      })
      const candidate = yield* Eval.run({
        name: "greeting",
        data,
        baseline: baseline.experiment.id,
        task: (name: string) => Effect.succeed(`Hello ${name}!`),
        scorers: [exact]
      })
      assert.strictEqual(candidate.summary.comparison?.id, baseline.experiment.id)
      assert.strictEqual(candidate.summary.scores["exact"]!.mean, 1)
      assert.strictEqual(candidate.summary.scores["exact"]!.improvements, 1)
      assert.strictEqual(candidate.summary.scores["exact"]!.regressions, 0)
      assert.strictEqual(candidate.summary.computedBy, "local+provider")

      // A request handled by the app, traced, then feedback on its span.
      const spanId = yield* Trace.task(Trace.currentSpanId, "answer")
      yield* Tracing.flush
      yield* Effect.flatMap(Feedback, (feedback) => feedback.log([{ targetId: spanId, scores: { helpful: 1 }, source: "app" }]))

      // The eval spans and the logged results share one root row per case × trial.
      yield* Tracing.flush
      const results = Chunk.toReadonlyArray(
        yield* Stream.runCollect(Stream.unwrap(Effect.map(Experiments, (e) => e.results(candidate.experiment.id))))
      )
      assert.strictEqual(results.length, 2)
      assert.deepStrictEqual(results.map((r) => r.caseId).sort(), candidate.results!.map((r) => r.caseId).sort())
      const spans = yield* BraintrustSpanSink.readTrace(results[0]!.traceId!, {
        destination: { _tag: "Experiment", experimentId: candidate.experiment.id }
      })
      assert.deepStrictEqual(spans.map((s) => s.kind).sort(), ["eval", "score", "task"])
      const client = yield* BraintrustClient
      const logs = yield* client.projectLogs.fetchAll((yield* client.resolveProject()).id)
      assert.deepStrictEqual(logs.find((row) => row.id === spanId)?.scores, { helpful: 1 })
      assert.strictEqual(logs.find((row) => row.id === spanId)?.span_attributes?.type, "task")
    }).pipe(Effect.provide(traced)))
})

// -----------------------------------------------------------------------------
// The contract held
// -----------------------------------------------------------------------------

describe("reads never write", () => {
  it.effect("reads of a missing project are NotFound naming it and BRAINTRUST_PROJECT, and create nothing; a write creates it", () =>
    Effect.gen(function*() {
      const name = `typo-${Ids.uuid().slice(0, 8)}`
      const touchesProject = () =>
        emulator.requests.filter((request) => request.path === "/v1/project").map((request) => request.method)
      const reads: ReadonlyArray<
        readonly [string, Effect.Effect<unknown, PromptOpsError, Prompts | Datasets | Experiments | TraceReader | BraintrustClient>]
      > = [
        ["Prompts.list", Effect.flatMap(Prompts, (prompts) => Stream.runCollect(prompts.list()))],
        ["Prompts.get", Effect.flatMap(Prompts, (prompts) => prompts.get("greet"))],
        ["Datasets.list", Effect.flatMap(Datasets, (datasets) => Stream.runCollect(datasets.list()))],
        ["Datasets.records", Effect.flatMap(Datasets, (datasets) => Stream.runCollect(datasets.records("qa")))],
        ["Experiments.list", Effect.flatMap(Experiments, (experiments) => Stream.runCollect(experiments.list()))],
        ["TraceReader.read", Effect.flatMap(TraceReader, (reader) => reader.read({ limit: 10 }))],
        ["readTrace", BraintrustSpanSink.readTrace("0".repeat(32))]
      ]
      const before = touchesProject().length
      for (const [operation, read] of reads) {
        const error = yield* Effect.flip(Effect.provide(read, backend(name)))
        assert.strictEqual(error._tag, "NotFound", operation)
        assert.include(error.message, `Braintrust project "${name}" does not exist`, operation)
        assert.include(error.message, "BRAINTRUST_PROJECT", operation)
      }
      assert.deepStrictEqual(touchesProject().slice(before), reads.map(() => "GET"))
      assert.isFalse(emulator.requests.some((request) => request.method === "POST" && request.body.includes(name)))

      yield* Effect.flatMap(PromptRegistry, (registry) =>
        registry.push({ slug: "greet", templateFormat: "mustache", messages: [{ role: "user", content: "Hi" }] })).pipe(
          Effect.provide(backend(name))
        )
      assert.strictEqual(touchesProject().slice(before).at(-1), "POST")
      const listed = yield* Effect.flatMap(Prompts, (prompts) => Stream.runCollect(prompts.list())).pipe(
        Effect.provide(backend(name))
      )
      assert.deepStrictEqual(Chunk.toReadonlyArray(listed).map((prompt) => prompt.slug), ["greet"])
    }))
})

describe("the emulator's verdict", () => {
  it("recorded no contract violation and rejected no request", () => {
    assert.deepStrictEqual(emulator.violations, [])
    assert.deepStrictEqual(emulator.rejections.map((r) => JSON.stringify(r).slice(0, 300)), [])
    assert.isTrue(emulator.requests.length > 50)
  })
})
