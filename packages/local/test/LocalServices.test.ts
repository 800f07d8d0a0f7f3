/**
 * What the local backend adds to the neutral contract: files and store side by
 * side for datasets, prompt files on disk, results replaced in place, typed
 * errors for bad values, feedback and spans read back.
 */
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { afterAll, assert, describe, it, layer } from "@effect/vitest"
import { Datasets } from "@promptops/core/Datasets"
import type { EvalResult } from "@promptops/core/Experiment"
import { Experiments } from "@promptops/core/Experiments"
import { Feedback } from "@promptops/core/Feedback"
import * as Ids from "@promptops/core/Ids"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import { Prompts } from "@promptops/core/Prompts"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { SpanSink } from "@promptops/core/SpanSink"
import * as Tracing from "@promptops/core/Tracing"
import { TraceReader } from "@promptops/core/TraceReader"
import * as TraceReaderModule from "@promptops/core/TraceReader"
import { Chunk, Effect, Layer, Stream } from "effect"
import * as Local from "../src/Local.js"
import * as LocalFeedback from "../src/LocalFeedback.js"
import * as PromptFile from "../src/PromptFile.js"

const dir = fs.mkdtempSync(Path.join(tmpdir(), "promptops-local-services-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const paths = Local.paths({ dir })
fs.mkdirSync(paths.datasets, { recursive: true })
fs.writeFileSync(Path.join(paths.datasets, "qa.jsonl"), "{\"id\":\"q1\",\"input\":\"hi\",\"expected\":\"hello\"}\n")
fs.writeFileSync(Path.join(paths.datasets, "sheet.csv"), "question,expected\n\"a, b\",1\n")
fs.writeFileSync(Path.join(paths.datasets, "twice.jsonl"), "{\"input\":1}\n")
fs.writeFileSync(Path.join(paths.datasets, "twice.csv"), "input\n1\n")
fs.writeFileSync(Path.join(paths.datasets, "broken.jsonl"), "{\"input\":1}\n{\"input\":\n")

const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

const result = (caseId: string, output: unknown, trial = 0): EvalResult => ({
  caseId,
  trial,
  input: { caseId },
  output,
  scores: { accuracy: 1 },
  metadata: {},
  durationMs: 3
})

describe("local services", () => {
  layer(Local.layer({ dir }))((it) => {
    it.effect("datasets: files and store side by side; list shows both", () =>
      Effect.gen(function*() {
        const datasets = yield* Datasets
        assert.deepStrictEqual(yield* collect(datasets.records("qa")), [{ id: "q1", input: "hi", expected: "hello" }])
        const sheet = yield* collect(datasets.records("sheet"))
        assert.deepStrictEqual(sheet.map((record) => [record.input, record.expected]), [[{ question: "a, b" }, 1]])
        yield* datasets.insert("stored", [{ id: "s1", input: { n: 1 } }])
        const listed = yield* collect(datasets.list())
        const names = listed.map((dataset) => dataset.name)
        for (const name of ["qa", "sheet", "stored", "broken"]) assert.include(names, name)
        assert.strictEqual(listed.find((dataset) => dataset.name === "qa")!.id, "file:qa.jsonl")
      }))

    it.effect("datasets: a file-backed name refuses inserts; two places or a bad line are typed errors", () =>
      Effect.gen(function*() {
        const datasets = yield* Datasets
        const insert = yield* Effect.flip(datasets.insert("qa", [{ input: 1 }]))
        assert.strictEqual(insert._tag, "InvalidInput")
        assert.include(insert.message, "qa.jsonl")
        const twice = yield* Effect.flip(collect(datasets.records("twice")))
        assert.strictEqual(twice._tag, "InvalidInput")
        const broken = yield* Effect.flip(collect(datasets.records("broken")))
        assert.strictEqual(broken._tag, "DecodeError")
        assert.include(broken.message, `${Path.join(paths.datasets, "broken.jsonl")}:2`)
        assert.strictEqual((yield* Effect.flip(collect(datasets.records("nope"))))._tag, "NotFound")
        // A stored dataset that later gets a file is reported, not hidden.
        yield* datasets.insert("shadowed", [{ id: "x", input: 1 }])
        fs.writeFileSync(Path.join(paths.datasets, "shadowed.jsonl"), "{\"input\":2}\n")
        const shadowed = yield* Effect.flip(collect(datasets.records("shadowed")))
        assert.strictEqual(shadowed._tag, "InvalidInput")
        assert.include(shadowed.message, "the store")
      }))

    it.effect("datasets: re-inserting an id replaces the record in place; values round-trip", () =>
      Effect.gen(function*() {
        const datasets = yield* Datasets
        yield* datasets.insert("order", [{ id: "a", input: 1 }, { id: "b", input: null, tags: ["t"] }, { id: "c", input: 3 }])
        yield* datasets.insert("order", [{ id: "b", input: { changed: true }, metadata: { m: 1 }, expected: [1, 2] }])
        assert.deepStrictEqual(yield* collect(datasets.records("order")), [
          { id: "a", input: 1 },
          { id: "b", input: { changed: true }, expected: [1, 2], metadata: { m: 1 } },
          { id: "c", input: 3 }
        ])
        const bigint = yield* Effect.flip(datasets.insert("order", [{ id: "d", input: { n: 1n } }]))
        assert.strictEqual(bigint._tag, "InvalidInput")
        assert.include(bigint.message, "records[0].input")
      }))

    it.effect("experiments: list newest first; re-logging replaces in place; exact round trip", () =>
      Effect.gen(function*() {
        const experiments = yield* Experiments
        const first = yield* experiments.create({ name: "nightly", metadata: { commit: "abc" } })
        const second = yield* experiments.create({ name: "nightly", baseline: first.id, dataset: "qa" })
        const listed = yield* collect(experiments.list())
        assert.deepStrictEqual(listed.slice(0, 2).map((e) => e.id), [second.id, first.id])
        assert.deepStrictEqual(yield* experiments.get(second.id), second)
        assert.deepStrictEqual((yield* experiments.get(first.id)).metadata, { commit: "abc" })

        const full: EvalResult = {
          caseId: "c1",
          trial: 0,
          input: { q: "?" },
          output: { text: "!" },
          expected: "!",
          scores: { accuracy: 0.5, skipped: null },
          error: "boom",
          metadata: { scorerErrors: [] },
          tags: ["t"],
          durationMs: 12.25,
          usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
          traceId: Ids.traceId(),
          spanId: Ids.spanId()
        }
        yield* experiments.log(second.id, [full, result("c2", "two")])
        yield* experiments.log(second.id, [result("c1", "replaced")])
        const results = yield* collect(experiments.results(second.id))
        assert.deepStrictEqual(results.map((r) => [r.caseId, r.output]), [["c1", "replaced"], ["c2", "two"]])
        yield* experiments.log(second.id, [full])
        assert.deepStrictEqual((yield* collect(experiments.results(second.id)))[0], full)
      }))

    it.effect("experiments: unknown ids are NotFound; a value without JSON form is InvalidInput naming it", () =>
      Effect.gen(function*() {
        const experiments = yield* Experiments
        const missing = Ids.uuid()
        assert.strictEqual((yield* Effect.flip(experiments.log(missing, [result("a", 1)])))._tag, "NotFound")
        assert.strictEqual((yield* Effect.flip(collect(experiments.results(missing))))._tag, "NotFound")
        assert.strictEqual((yield* Effect.flip(experiments.create({ name: "x", baseline: missing })))._tag, "NotFound")
        const experiment = yield* experiments.create({ name: "cyclic" })
        const cyclic: Record<string, unknown> = {}
        cyclic["self"] = cyclic
        const error = yield* Effect.flip(experiments.log(experiment.id, [result("ok", 1), result("bad", cyclic)]))
        assert.strictEqual(error._tag, "InvalidInput")
        assert.include(error.message, "results[1].output")
        assert.deepStrictEqual(yield* collect(experiments.results(experiment.id)), [], "nothing of the failed batch is stored")
      }))

    it.effect("feedback: stored, read back, a retry replaces", () =>
      Effect.gen(function*() {
        const feedback = yield* Feedback
        const target = Ids.spanId()
        yield* feedback.log([{ id: "f1", targetId: target, scores: { helpful: 1 }, comment: "great", source: "app" }])
        yield* feedback.log([{ id: "f1", targetId: target, scores: { helpful: 0 }, comment: "changed my mind" }])
        yield* feedback.log([{ targetId: target, expected: "x", destination: { _tag: "ProjectLogs" }, metadata: { u: 1 } }])
        const stored = yield* LocalFeedback.forTarget(target)
        assert.strictEqual(stored.length, 2)
        assert.deepStrictEqual(
          { id: stored[0]!.id, scores: stored[0]!.scores, comment: stored[0]!.comment, source: stored[0]!.source },
          { id: "f1", scores: { helpful: 0 }, comment: "changed my mind", source: undefined }
        )
        assert.deepStrictEqual(stored[1]!.destination, { _tag: "ProjectLogs" })
        assert.deepStrictEqual(stored[1]!.metadata, { u: 1 })
      }))

    it.effect("spans: every field round-trips; a bad cursor or value is a typed error", () =>
      Effect.gen(function*() {
        const sink = yield* SpanSink
        const reader = yield* TraceReader
        const span: SpanRecord = {
          traceId: Ids.traceId(),
          spanId: Ids.spanId(),
          parentSpanId: Ids.spanId(),
          name: "llm",
          kind: "llm",
          startTime: 1700000000000.25,
          endTime: 1700000000010.5,
          input: [{ role: "user", content: "hi" }],
          output: null,
          expected: "e",
          error: { message: "m", type: "T" },
          metadata: { a: { b: 1 } },
          metrics: { totalTokens: 3, cost: 0.01 },
          scores: { s: 1 },
          tags: ["x"],
          destination: { _tag: "Experiment", experimentId: "exp-1" },
          truncated: true
        }
        yield* sink.export([span])
        const page = yield* reader.read({ traceId: span.traceId, experimentId: "exp-1" })
        assert.deepStrictEqual(page.spans, [span])
        assert.deepStrictEqual((yield* reader.read({ traceId: span.traceId })).spans, [], "not in the project logs")
        assert.strictEqual((yield* Effect.flip(reader.read({ after: "abc" })))._tag, "InvalidInput")
        const bad = yield* Effect.flip(sink.export([{ ...span, spanId: Ids.spanId(), output: { n: 1n } }]))
        assert.strictEqual(bad._tag, "InvalidInput")
        assert.include(bad.message, "batch[0].output")
        const empty = yield* reader.read({ after: "999999999", limit: 5 })
        assert.deepStrictEqual(empty, { spans: [], cursor: "999999999" })
      }))

    it.effect("prompts: one file per prompt on disk; re-push is idempotent; tags move; delete removes the file", () =>
      Effect.gen(function*() {
        const registry = yield* PromptRegistry
        const prompts = yield* Prompts
        const base = { slug: "greet", templateFormat: "mustache" as const, name: "Greeting" }
        const v1 = yield* registry.push({ ...base, messages: [{ role: "user", content: "Hi {{name}}" }], tag: "production" })
        const again = yield* registry.push({ ...base, messages: [{ role: "user", content: "Hi {{name}}" }] })
        assert.deepStrictEqual([v1.version, again.version, v1.tag], ["1", "1", "production"])
        const v2 = yield* registry.push({ ...base, messages: [{ role: "user", content: "Hello {{name}}" }], tag: "staging" })
        yield* registry.push({ ...base, messages: [{ role: "user", content: "Hello {{name}}" }], tag: "production" })
        assert.strictEqual(v2.version, "2")
        assert.strictEqual((yield* prompts.get("greet", { tag: "production" })).version, "2")

        const path = Path.join(paths.prompts, "greet.json")
        const file = yield* PromptFile.parse(fs.readFileSync(path, "utf8"), path)
        assert.deepStrictEqual(file.tags, { production: "2", staging: "2" })
        assert.deepStrictEqual(file.versions.map((v) => v.version), ["1", "2"])
        assert.strictEqual(fs.readFileSync(path, "utf8"), PromptFile.format(file), "the file is in canonical form")

        // A hand edit is seen at once.
        fs.writeFileSync(path, PromptFile.format({ ...file, tags: { production: "1" } }))
        assert.strictEqual((yield* prompts.get("greet", { tag: "production" })).version, "1")
        const listed = yield* collect(prompts.list())
        assert.deepStrictEqual(listed.find((summary) => summary.slug === "greet")?.tags, ["production"])

        const invalid = yield* Effect.flip(registry.push({ ...base, messages: [{ role: "bot" as "user", content: "x" }] }))
        assert.strictEqual(invalid._tag, "InvalidInput")
        assert.include(invalid.message, "messages[0].role")
        assert.strictEqual((yield* Effect.flip(registry.push({ ...base, messages: [], tag: " " })))._tag, "InvalidInput")

        yield* registry.delete("greet")
        assert.isFalse(fs.existsSync(path))
        assert.strictEqual((yield* Effect.flip(registry.delete("greet")))._tag, "NotFound")
      }))
  })
})

describe("local backend behind the tracing pipeline", () => {
  it.effect("app spans reach SQLite with their parent links; the store's own SQL is not traced", () =>
    Effect.gen(function*() {
      const traced = Effect.gen(function*() {
        const experiments = yield* Experiments
        yield* experiments.create({ name: "traced" }).pipe(
          Effect.zipRight(Effect.void.pipe(Effect.withSpan("child"))),
          Effect.withSpan("handle")
        )
        yield* Tracing.flush
        const stats = yield* Tracing.stats
        assert.strictEqual(stats.exported, stats.enqueued)
        return yield* collect(TraceReaderModule.readAll())
      })
      const spans = yield* traced.pipe(
        Effect.provide(Tracing.layer().pipe(Layer.provideMerge(Local.layer({ dir: Path.join(dir, "traced") }))))
      )
      const names = spans.map((span) => span.name)
      assert.includeMembers(names, ["handle", "child", "Experiments.create"])
      assert.isFalse(names.some((name) => name.startsWith("sql")), names.join(", "))
      const handle = spans.find((span) => span.name === "handle")!
      assert.strictEqual(spans.find((span) => span.name === "child")!.parentSpanId, handle.spanId)
    }))
})
