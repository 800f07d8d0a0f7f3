/**
 * One conformance suite for the neutral services, run against every backend
 * (memory, local, Braintrust and Basalt through their emulators), the way
 * `@effect/sql` keeps one `SqlClient` contract across its drivers. A backend
 * passes the parts for the capabilities it provides; the others do not
 * type-check against its layer.
 *
 * Import it from tests only: it registers vitest suites (`@effect/vitest` is an
 * optional peer dependency).
 *
 * @since 0.1.0
 */
import { assert, describe, layer } from "@effect/vitest"
import { Chunk, Effect, type Layer, Stream } from "effect"
import type { DatasetRecordInput } from "./Dataset.js"
import { Datasets } from "./Datasets.js"
import type { EvalResult } from "./Experiment.js"
import { Experiments } from "./Experiments.js"
import { Feedback } from "./Feedback.js"
import * as Ids from "./Ids.js"
import type { PromptDraft } from "./Prompt.js"
import type { PromptOpsError } from "./PromptOpsError.js"
import { PromptRegistry } from "./PromptRegistry.js"
import { Prompts } from "./Prompts.js"
import type { SpanRecord } from "./SpanRecord.js"
import { SpanSink } from "./SpanSink.js"

/** A per-run suffix so suites against a shared backend never collide. */
const unique = (name: string): string => `${name}-${Ids.spanId().slice(0, 8)}`

/** The tag of the error an effect fails with, `"Success"`, or `"Defect"`. */
const failureTag = <A, E extends { readonly _tag: string }, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<string, never, R> =>
  effect.pipe(
    Effect.as("Success"),
    Effect.catchAll((error) => Effect.succeed(error._tag)),
    Effect.catchAllDefect(() => Effect.succeed("Defect"))
  )

const collect = <A, E, R>(stream: Stream.Stream<A, E, R>): Effect.Effect<ReadonlyArray<A>, E, R> =>
  Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

const draft = (slug: string, text: string, tag?: string): PromptDraft => ({
  slug,
  name: `Conformance ${slug}`,
  templateFormat: "mustache",
  messages: [{ role: "user", content: text }],
  model: { name: "test-model", params: { temperature: 0 } },
  ...(tag !== undefined ? { tag } : {})
})

/**
 * `Prompts` + `PromptRegistry`: versions, tags, lookups and failures.
 *
 * @since 0.1.0
 */
export const promptRegistry = <E>(name: string, backend: Layer.Layer<Prompts | PromptRegistry, E>): void => {
  describe(`${name}: Prompts + PromptRegistry conformance`, () => {
    layer(backend, { timeout: 30_000 })((it) => {
      it.effect("push creates versions; get resolves latest, pinned version and tag", () =>
        Effect.gen(function*() {
          const registry = yield* PromptRegistry
          const prompts = yield* Prompts
          const slug = unique("conf-prompt")
          const first = yield* registry.push(draft(slug, "Hello {{name}} v1", "production"))
          const second = yield* registry.push(draft(slug, "Hello {{name}} v2"))
          assert.notStrictEqual(first.version, second.version)
          const latest = yield* prompts.get(slug)
          assert.strictEqual(latest.version, second.version)
          assert.strictEqual(latest.messages[0]!.content, "Hello {{name}} v2")
          const pinned = yield* prompts.get(slug, { version: first.version })
          assert.strictEqual(pinned.messages[0]!.content, "Hello {{name}} v1")
          const tagged = yield* prompts.get(slug, { tag: "production" })
          assert.strictEqual(tagged.version, first.version)
          assert.strictEqual(typeof latest.version, "string")
        }))

      it.effect("list includes pushed prompts", () =>
        Effect.gen(function*() {
          const registry = yield* PromptRegistry
          const prompts = yield* Prompts
          const slug = unique("conf-list")
          yield* registry.push(draft(slug, "listed"))
          const listed = yield* collect(prompts.list())
          assert.isTrue(listed.some((summary) => summary.slug === slug))
        }))

      it.effect("unknown slug or version is NotFound; empty slug is InvalidInput", () =>
        Effect.gen(function*() {
          const registry = yield* PromptRegistry
          const prompts = yield* Prompts
          const slug = unique("conf-missing")
          assert.strictEqual(yield* failureTag(prompts.get(slug)), "NotFound")
          yield* registry.push(draft(slug, "exists"))
          assert.strictEqual(yield* failureTag(prompts.get(slug, { version: "999999" })), "NotFound")
          assert.strictEqual(yield* failureTag(prompts.get("  ")), "InvalidInput")
        }))

      it.effect("delete removes every version", () =>
        Effect.gen(function*() {
          const registry = yield* PromptRegistry
          const prompts = yield* Prompts
          const slug = unique("conf-delete")
          yield* registry.push(draft(slug, "to delete"))
          yield* registry.delete(slug)
          assert.strictEqual(yield* failureTag(prompts.get(slug)), "NotFound")
        }))
    })
  })
}

/**
 * `Datasets`: insert with client-side ids, idempotent re-insert, read back.
 *
 * @since 0.1.0
 */
export const datasets = <E>(name: string, backend: Layer.Layer<Datasets, E>): void => {
  describe(`${name}: Datasets conformance`, () => {
    layer(backend, { timeout: 30_000 })((it) => {
      it.effect("insert returns ids; records reads every row once, even after a retried insert", () =>
        Effect.gen(function*() {
          const datasets = yield* Datasets
          const dataset = unique("conf-dataset")
          const rows: ReadonlyArray<DatasetRecordInput> = [
            { id: "row-1", input: { q: "one" }, expected: "1" },
            { input: { q: "two" }, expected: "2", metadata: { difficulty: "easy" }, tags: ["t"] }
          ]
          const ids = yield* datasets.insert(dataset, rows)
          assert.strictEqual(ids.length, 2)
          assert.strictEqual(ids[0], "row-1")
          // A retry of the same logical insert (same ids) must not duplicate rows.
          yield* datasets.insert(dataset, rows.map((row, i) => ({ ...row, id: ids[i]! })))
          const records = yield* collect(datasets.records(dataset))
          assert.deepStrictEqual(records.map((record) => record.id).sort(), [...ids].sort())
          const second = records.find((record) => record.id === ids[1])!
          assert.deepStrictEqual(second.input, { q: "two" })
          assert.strictEqual(second.expected, "2")
          const listed = yield* collect(datasets.list())
          assert.isTrue(listed.some((entry) => entry.name === dataset))
        }))

      it.effect("empty name is InvalidInput", () =>
        Effect.gen(function*() {
          const datasets = yield* Datasets
          assert.strictEqual(yield* failureTag(datasets.insert("", [{ input: 1 }])), "InvalidInput")
        }))
    })
  })
}

const result = (caseId: string, score: number | null, trial = 0): EvalResult => ({
  caseId,
  trial,
  input: { caseId },
  output: `out-${caseId}`,
  expected: `exp-${caseId}`,
  scores: { accuracy: score },
  metadata: {},
  durationMs: 10
})

/**
 * `Experiments`: create, log idempotently, read back, summarise against a baseline.
 *
 * @since 0.1.0
 */
export const experiments = <E>(name: string, backend: Layer.Layer<Experiments, E>): void => {
  describe(`${name}: Experiments conformance`, () => {
    layer(backend, { timeout: 30_000 })((it) => {
      it.effect("create, get, list, log twice without duplicates, results", () =>
        Effect.gen(function*() {
          const experiments = yield* Experiments
          const experiment = yield* experiments.create({ name: unique("conf-exp") })
          const fetched = yield* experiments.get(experiment.id)
          assert.strictEqual(fetched.name, experiment.name)
          const batch = [result("a", 1), result("b", 0), result("a", 0.5, 1)]
          yield* experiments.log(experiment.id, batch)
          yield* experiments.log(experiment.id, batch)
          const results = yield* collect(experiments.results(experiment.id))
          assert.strictEqual(results.length, 3)
          assert.deepStrictEqual(
            results.map((r) => `${r.caseId}/${r.trial}`).sort(),
            ["a/0", "a/1", "b/0"]
          )
          const listed = yield* collect(Stream.take(experiments.list(), 50))
          assert.isTrue(listed.some((entry) => entry.id === experiment.id))
        }))

      it.effect("summarize: means, and diff / improvements / regressions against a baseline", () =>
        Effect.gen(function*() {
          const experiments = yield* Experiments
          const baseline = yield* experiments.create({ name: unique("conf-base") })
          yield* experiments.log(baseline.id, [result("a", 0.5), result("b", 0.5), result("c", 0.5)])
          const candidate = yield* experiments.create({ name: unique("conf-cand"), baseline: baseline.id })
          yield* experiments.log(candidate.id, [result("a", 1), result("b", 0), result("c", 0.5), result("d", null)])
          const summary = yield* experiments.summarize(candidate.id)
          assert.strictEqual(summary.results, 4)
          assert.strictEqual(summary.comparison?.id, baseline.id)
          const accuracy = summary.scores["accuracy"]!
          assert.strictEqual(accuracy.count, 3)
          assert.closeTo(accuracy.mean, 0.5, 1e-9)
          assert.strictEqual(accuracy.improvements, 1)
          assert.strictEqual(accuracy.regressions, 1)
          assert.closeTo(accuracy.diff!, 0, 1e-9)
          assert.isDefined(summary.metrics["duration"])
        }))

      it.effect("unknown experiment is NotFound", () =>
        Effect.gen(function*() {
          const experiments = yield* Experiments
          assert.strictEqual(yield* failureTag(experiments.get(Ids.uuid())), "NotFound")
        }))
    })
  })
}

/**
 * `SpanSink`: an exported batch can be read back, and re-exporting it (a retry)
 * does not duplicate. `readBack` reads what the backend stored for a trace.
 *
 * @since 0.1.0
 */
export const spanSink = <E, R>(
  name: string,
  backend: Layer.Layer<SpanSink | R, E>,
  readBack: (traceId: string) => Effect.Effect<ReadonlyArray<SpanRecord>, PromptOpsError, R>
): void => {
  describe(`${name}: SpanSink conformance`, () => {
    layer(backend, { timeout: 30_000 })((it) => {
      it.effect("export is readable back and idempotent on retry", () =>
        Effect.gen(function*() {
          const sink = yield* SpanSink
          const traceId = Ids.traceId()
          const rootId = Ids.spanId()
          const now = Date.now()
          const batch: ReadonlyArray<SpanRecord> = [
            {
              traceId,
              spanId: rootId,
              name: "root",
              kind: "task",
              startTime: now,
              endTime: now + 5,
              input: { question: "q" },
              output: "a",
              metadata: { user: "u1" },
              metrics: {},
              destination: { _tag: "ProjectLogs" }
            },
            {
              traceId,
              spanId: Ids.spanId(),
              parentSpanId: rootId,
              name: "llm call",
              kind: "llm",
              startTime: now + 1,
              endTime: now + 4,
              metadata: { model: "m" },
              metrics: { promptTokens: 3, completionTokens: 4, totalTokens: 7 },
              destination: { _tag: "ProjectLogs" }
            }
          ]
          assert.isTrue(sink.limits.maxRows >= 1)
          yield* sink.export(batch)
          yield* sink.export(batch)
          const stored = yield* readBack(traceId)
          assert.strictEqual(stored.length, 2)
          const child = stored.find((record) => record.name === "llm call")!
          assert.strictEqual(child.parentSpanId, rootId)
          assert.strictEqual(child.metrics["totalTokens"], 7)
        }))
    })
  })
}

/**
 * `Feedback`: valid items are accepted; scores outside 0..1 are InvalidInput.
 *
 * @since 0.1.0
 */
export const feedback = <E>(name: string, backend: Layer.Layer<Feedback, E>, targetId: () => string): void => {
  describe(`${name}: Feedback conformance`, () => {
    layer(backend, { timeout: 30_000 })((it) => {
      it.effect("logs feedback on a span; rejects bad scores", () =>
        Effect.gen(function*() {
          const feedback = yield* Feedback
          yield* feedback.log([{ targetId: targetId(), scores: { helpful: 1 }, comment: "great", source: "app" }])
          assert.strictEqual(
            yield* failureTag(feedback.log([{ targetId: targetId(), scores: { helpful: 1.5 } }])),
            "InvalidInput"
          )
          assert.strictEqual(yield* failureTag(feedback.log([{ targetId: " " }])), "InvalidInput")
        }))
    })
  })
}
