/**
 * The same program, unchanged, on every backend `PROMPTOPS_PROVIDER` can name:
 * memory, local (twice, so the second run diffs against the first), and both
 * vendors through their emulators over the real Node HTTP stack. Each run's
 * results must land where that backend keeps them.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as BasaltEmulator from "@promptops/emulators/BasaltEmulator"
import * as BraintrustEmulator from "@promptops/emulators/BraintrustEmulator"
import { ConfigProvider, Effect, Stream } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { Experiments, PromptOps, TraceReader } from "promptops"
import { candidateRun, productionRun, program } from "../src/Demo.js"
import * as Model from "../src/Model.js"

/** The program as `main.ts` runs it: no `OPENAI_API_KEY` here, so the model is the stand-in. */
const runWith = (env: Record<string, string>) =>
  Model.fromConfig.pipe(
    Effect.flatMap(program),
    Effect.provide(PromptOps.layer),
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
  )

const experimentNames = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const experiments = yield* Experiments.Experiments
    return yield* Stream.runCollect(experiments.list()).pipe(Effect.map((all) => [...all].map((e) => e.name)))
  }).pipe(
    Effect.provide(PromptOps.layer),
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
  )

/**
 * The spans the demo's app opens outside its evals, once per run: the answer
 * (`SupportBot.answer`), its prompt fetch and its model call. The user's
 * traces hold these and nothing else: no `http.client …` span of a request
 * promptops made, no root `PromptRegistry.push` / `Experiments.*` /
 * `Feedback.log` / `BasaltExperiments.log` trace of its bookkeeping.
 */
const appSpans = ["Prompts.get", "support-answer", "support-bot.answer"]

/** `appSpans` for `runs` runs, sorted. */
const appSpansOf = (runs: number): Array<string> => Array.from({ length: runs }, () => appSpans).flat().sort()

/** The spans in one case of an eval: its tree, with the app's spans inside the task. */
const evalCaseSpans = [
  "LanguageModel.generateObject",
  "Prompts.get",
  "cites_article",
  "concise",
  "eval",
  "factuality",
  "mentions_expected",
  "support-answer",
  "support-bot.answer",
  "task"
]

/** Checks that the children of an answer hang under it: `parentOf` maps a span to its parent's name. */
const assertAnswerTrees = (spans: ReadonlyArray<{ readonly name: string; readonly parent: string | undefined }>) => {
  for (const span of spans) {
    if (span.name === "support-bot.answer") assert.isUndefined(span.parent, "the answer is the root of its trace")
    else assert.strictEqual(span.parent, "support-bot.answer", `${span.name} is a child of the answer`)
  }
}

let braintrust: BraintrustEmulator.BraintrustEmulatorHandle
let basalt: BasaltEmulator.BasaltEmulatorHandle
let localDir: string

beforeAll(async () => {
  localDir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "support-bot-"))
  braintrust = await BraintrustEmulator.start({ apiKeys: ["bt-key"] })
  basalt = await BasaltEmulator.start({
    apiKeys: ["basalt-key"],
    features: ["support-bot"],
    prompts: [{
      slug: "support-answer",
      name: "Support answer",
      featureSlugs: ["support-bot"],
      versions: [
        { version: "1", text: "{{question}}", systemText: "You are the support assistant of {{product}}. Answer briefly." },
        {
          version: "2",
          text: "{{question}}",
          systemText: "You are the support assistant of {{product}}. Answer briefly and name the help-centre article."
        }
      ],
      tags: { production: "1", candidate: "2" }
    }]
  })
})

afterAll(async () => {
  NodeFs.rmSync(localDir, { recursive: true, force: true })
  // Every request and answer on both vendors respected their OpenAPI files.
  for (const emulator of [braintrust, basalt]) {
    assert.deepStrictEqual(emulator.violations, [])
    assert.deepStrictEqual(emulator.rejections, [])
    await emulator.close()
  }
})

describe("the support bot on every backend", () => {
  it.effect("memory", () =>
    Effect.gen(function*() {
      const { candidate, production } = yield* runWith({ PROMPTOPS_PROVIDER: "memory" })
      assert.strictEqual(production.summary.scores["mentions_expected"]!.mean, 7 / 8)
      assert.strictEqual(candidate.summary.comparison?.id, production.experiment.id)
    }))

  it.effect("local (the default): results persist, and the second run diffs against the first", () =>
    Effect.gen(function*() {
      const env = { PROMPTOPS_LOCAL_DIR: localDir }
      const first = yield* runWith(env)
      assert.isUndefined(first.production.summary.comparison)
      const second = yield* runWith(env)
      assert.strictEqual(second.production.summary.comparison?.id, first.production.experiment.id)
      assert.strictEqual(second.production.summary.scores["mentions_expected"]!.diff, 0)
      assert.strictEqual(second.production.summary.scores["mentions_expected"]!.regressions, 0)
      assert.deepStrictEqual(yield* experimentNames(env), [candidateRun, productionRun, candidateRun, productionRun])
      assert.isTrue(NodeFs.existsSync(NodePath.join(localDir, "promptops.sqlite")))

      // The project logs hold the app's spans of both runs, nothing of promptops's own work.
      const logged = yield* Effect.flatMap(
        PromptOps.traceReader,
        (reader) => Stream.runCollect(TraceReader.readAll().pipe(Stream.provideService(TraceReader.TraceReader, reader)))
      ).pipe(
        Effect.provide(PromptOps.layer),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
      )
      const spans = [...logged]
      assert.deepStrictEqual(spans.map((span) => span.name).sort(), appSpansOf(2))
      const byId = new Map(spans.map((span) => [span.spanId, span.name]))
      assertAnswerTrees(spans.map((span) => ({
        name: span.name,
        parent: span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId) ?? "(missing)"
      })))

      // The model call, read back from the store: @effect/ai's own span, recorded by `AiTracing`,
      // named after the managed prompt and linked to its slug and version, with nothing of @effect/ai's internals.
      const llm = spans.filter((span) => span.kind === "llm")
      assert.strictEqual(llm.length, 2)
      for (const span of llm) {
        assert.strictEqual(span.name, "support-answer")
        assert.deepStrictEqual(span.input, [
          { role: "system", content: "You are the support assistant of Acme Cloud. Answer briefly." },
          { role: "user", content: "How do I reset my password?" }
        ])
        assert.deepStrictEqual(span.output, [{ role: "assistant", content: "Use the reset link on the sign-in page." }])
        assert.strictEqual(span.metrics["promptTokens"], 16)
        assert.strictEqual(span.metrics["completionTokens"], 8)
        assert.strictEqual(span.metrics["totalTokens"], 24)
        assert.strictEqual(span.metadata["model"], "keyword-bot-1")
        assert.strictEqual(span.metadata["gen_ai.provider.name"], "stand-in")
        assert.strictEqual(span.metadata["gen_ai.operation.name"], "chat")
        assert.strictEqual(span.metadata["gen_ai.prompt.name"], "support-answer")
        assert.strictEqual(span.metadata["gen_ai.prompt.version"], "1")
        assert.notMatch(JSON.stringify(span), /~effect\/ai|"concurrency"|"toolChoice"|gen_ai\.system/)
      }

      // The judge scored every case, its reasoning kept, its tokens summed apart from the task's.
      const summary = first.production.summary
      assert.strictEqual(summary.scorerErrors, 0)
      assert.strictEqual(summary.scores["factuality"]!.mean, 7 / 8)
      assert.strictEqual(summary.scores["factuality"]!.count, 8)
      for (const metric of ["scorerPromptTokens", "scorerCompletionTokens", "scorerTotalTokens"]) {
        assert.strictEqual(summary.metrics[metric]?.unit, "tokens", metric)
      }
      assert.isAbove(summary.metrics["scorerPromptTokens"]!.mean, 100)
      assert.isBelow(summary.metrics["promptTokens"]!.mean, 30, "the task's tokens hold none of the judge's")
      const [reset] = first.production.results!
      assert.deepStrictEqual(reset!.usage, { promptTokens: 16, completionTokens: 8, totalTokens: 24 })
      assert.isAbove(reset!.scorerUsage!.promptTokens!, 100)
      assert.deepStrictEqual((reset!.metadata["scoreMetadata"] as Record<string, unknown>)["factuality"], {
        choice: "C",
        reasoning: "The answer states the reference's fact (\"reset link\").",
        judge: { model: "keyword-bot-1" }
      })
      const refund = first.production.results!.find((result) => result.caseId === "refund")!
      assert.strictEqual(refund.scores["factuality"], 0)
    }))

  it.effect("braintrust (emulator): experiments and spans stored at the vendor", () =>
    Effect.gen(function*() {
      const env = {
        PROMPTOPS_PROVIDER: "braintrust",
        BRAINTRUST_API_KEY: "bt-key",
        BRAINTRUST_API_URL: braintrust.url,
        BRAINTRUST_PROJECT: "support-bot"
      }
      const first = yield* runWith(env)
      const second = yield* runWith(env)
      assert.strictEqual(second.production.summary.comparison?.id, first.production.experiment.id)
      const stored = [...braintrust.store.experiments.values()].map((experiment) => experiment.data["name"])
      // Braintrust keeps experiment names unique: the second run is "…-1", and still the previous run of the third.
      assert.sameMembers(stored, [productionRun, candidateRun, `${productionRun}-1`, `${candidateRun}-1`])
      const third = yield* runWith(env)
      assert.strictEqual(third.production.summary.comparison?.id, second.production.experiment.id)
      assert.strictEqual((yield* experimentNames(env)).length, 6)
      // The two prompt versions were pushed by the first run only.
      const prompt = [...braintrust.store.functions.values()].find((f) => f.versions[0]?.data["slug"] === "support-answer")
      assert.strictEqual(prompt?.versions.length, 2)

      // The project logs hold the app's spans of the three runs, and nothing of promptops's own work.
      const rowsOf = (kind: "project_logs" | "experiment") =>
        [...braintrust.store.containers.values()]
          .filter((container) => container.kind === kind)
          .map((container) => braintrust.store.liveRows(container).map(({ row }) => row))
      const nameOf = (row: Record<string, unknown>) => String((row["span_attributes"] as { name?: unknown })?.name)
      const logs = rowsOf("project_logs").flat()
      assert.deepStrictEqual(logs.map(nameOf).sort(), appSpansOf(3))
      const logNames = new Map(logs.map((row) => [row["span_id"], nameOf(row)]))
      assertAnswerTrees(logs.map((row) => {
        const parents = (row["span_parents"] ?? []) as ReadonlyArray<string>
        return { name: nameOf(row), parent: parents.length === 0 ? undefined : logNames.get(parents[0]) ?? "(missing)" }
      }))
      // Each experiment holds one eval → task → score tree per case, with the app's spans in the task.
      const experiments = rowsOf("experiment")
      assert.strictEqual(experiments.length, 6)
      for (const rows of experiments) {
        const traces = new Map<unknown, Array<Record<string, unknown>>>()
        for (const row of rows) traces.set(row["root_span_id"], [...(traces.get(row["root_span_id"]) ?? []), row])
        assert.strictEqual(traces.size, 8)
        for (const trace of traces.values()) {
          assert.deepStrictEqual(trace.map(nameOf).sort(), evalCaseSpans)
          const roots = trace.filter((row) => ((row["span_parents"] ?? []) as ReadonlyArray<string>).length === 0)
          assert.deepStrictEqual(roots.map(nameOf), ["eval"])
        }
      }
    }))

  it.effect("basalt (emulator): experiments and the traces stored at the vendor", () =>
    Effect.gen(function*() {
      const env = {
        PROMPTOPS_PROVIDER: "basalt",
        BASALT_API_KEY: "basalt-key",
        BASALT_API_URL: basalt.url,
        BASALT_FEATURE: "support-bot"
      }
      const { candidate, production } = yield* runWith(env)
      assert.strictEqual(production.summary.scores["mentions_expected"]!.mean, 7 / 8)
      assert.strictEqual(candidate.summary.comparison?.id, production.experiment.id)
      const stored = [...basalt.store.experiments.values()].map((experiment) => experiment.name)
      assert.includeMembers(stored, [productionRun, candidateRun])
      // The monitor holds the app's trace (the answer, its prompt fetch and its model call) and the
      // experiments' cases; nothing of promptops's own work.
      const monitored = basalt.store.traces.filter((trace) => trace.experimentId === undefined)
      assert.strictEqual(monitored.length, 1)
      const logs = monitored.flatMap((trace) =>
        (trace.body["logs"] ?? []) as ReadonlyArray<{ readonly id: string; readonly name: string; readonly parentId: string | null }>
      )
      assert.deepStrictEqual(logs.map((log) => log.name).sort(), appSpansOf(1))
      const logNames = new Map(logs.map((log) => [log.id, log.name]))
      assertAnswerTrees(logs.map((log) => ({
        name: log.name,
        parent: log.parentId === null ? undefined : logNames.get(log.parentId) ?? "(missing)"
      })))
      assert.strictEqual(monitored[0]!.body["name"], "support-bot.answer")
      const cases = basalt.store.traces.filter((trace) => trace.experimentId !== undefined)
      assert.strictEqual(cases.length, 16)
      assert.sameMembers([...new Set(cases.map((trace) => trace.experimentId))], [production.experiment.id, candidate.experiment.id])
    }))
})
