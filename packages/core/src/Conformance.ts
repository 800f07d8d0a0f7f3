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
import { Chunk, Effect, type Layer, Option, Stream } from "effect"
import type { DatasetRecordInput } from "./Dataset.js"
import { Datasets } from "./Datasets.js"
import type { EvalResult, ExperimentState } from "./Experiment.js"
import * as ExperimentsModule from "./Experiments.js"
import { Experiments } from "./Experiments.js"
import { Feedback } from "./Feedback.js"
import * as Ids from "./Ids.js"
import type { PromptDraft } from "./Prompt.js"
import type { PromptOpsError } from "./PromptOpsError.js"
import { PromptRegistry } from "./PromptRegistry.js"
import { Prompts } from "./Prompts.js"
import type { SpanRecord } from "./SpanRecord.js"
import { SpanSink } from "./SpanSink.js"
import { type Page, type ReadOptions, TraceReader } from "./TraceReader.js"

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

const state = (
  status: ExperimentState["status"],
  extra: Partial<Omit<ExperimentState, "status">> = {}
): ExperimentState => ({ status, completed: 0, errors: 0, scorerErrors: 0, ...extra })

/**
 * `Experiments`: create, log idempotently, read back, summarise against a
 * baseline; run states, default baselines, references, scorer errors and usage.
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
          assert.strictEqual(yield* failureTag(experiments.setState(Ids.uuid(), state("complete"))), "NotFound")
          const created = yield* experiments.create({ name: unique("conf-bad-state") })
          const bad = { status: "done", completed: 1 } as unknown as ExperimentState
          assert.strictEqual(yield* failureTag(experiments.setState(created.id, bad)), "InvalidInput")
        }))

      it.effect("setState: get and list return the last state recorded, optional fields included", () =>
        Effect.gen(function*() {
          const experiments = yield* Experiments
          const experiment = yield* experiments.create({ name: unique("conf-state") })
          assert.isUndefined(experiment.state)
          const running = state("running", { total: 10 })
          yield* experiments.setState(experiment.id, running)
          assert.deepStrictEqual((yield* experiments.get(experiment.id)).state, running)
          const partial = state("partial", { total: 10, completed: 4, errors: 1, scorerErrors: 2, reason: "interrupted" })
          yield* experiments.setState(experiment.id, partial)
          assert.deepStrictEqual((yield* experiments.get(experiment.id)).state, partial)
          // A later state replaces the earlier one whole: no `reason` or `total` left behind.
          const complete = state("complete", { completed: 10, gate: "passed" })
          yield* experiments.setState(experiment.id, complete)
          assert.deepStrictEqual((yield* experiments.get(experiment.id)).state, complete)
          const listed = yield* collect(Stream.take(experiments.list(), 50))
          assert.deepStrictEqual(listed.find((entry) => entry.id === experiment.id)?.state, complete)
          const summary = yield* experiments.summarize(experiment.id)
          assert.deepStrictEqual(summary.state, complete)
        }))

      it.effect("latestBaseline: the newest complete run whose gate did not fail", () =>
        Effect.gen(function*() {
          const experiments = yield* Experiments
          const name = unique("conf-baseline")
          const make = (value: ExperimentState | undefined) =>
            Effect.tap(experiments.create({ name }), (experiment) =>
              value === undefined ? Effect.void : experiments.setState(experiment.id, value))
          const legacy = yield* make(undefined)
          const good = yield* make(state("complete", { gate: "passed" }))
          // Newer, and each unfit to compare with.
          const regressed = yield* make(state("complete", { gate: "failed" }))
          yield* make(state("partial", { reason: "interrupted" }))
          yield* make(state("failed", { reason: "data failed" }))
          yield* make(state("running"))
          const found = yield* ExperimentsModule.latestBaseline(name)
          assert.strictEqual(Option.getOrUndefined(found)?.id, good.id)
          const older = yield* ExperimentsModule.latestBaseline(name, { excluding: good.id })
          assert.strictEqual(Option.getOrUndefined(older)?.id, legacy.id, "no state: made before states, complete")
          const byName = yield* ExperimentsModule.resolve(name, { baseline: true })
          assert.strictEqual(byName.id, good.id)
          const latest = yield* ExperimentsModule.resolve(name)
          assert.notStrictEqual(latest.id, good.id, "without baseline: the newest run, whatever its state")
          assert.notStrictEqual(latest.id, regressed.id)
          assert.isTrue(Option.isNone(yield* ExperimentsModule.latestBaseline(unique("conf-none"))))
        }))

      it.effect("resolve: by id, by unique id prefix, by name; NotFound; an ambiguous prefix lists the candidates", () =>
        Effect.gen(function*() {
          const experiments = yield* Experiments
          const name = unique("conf-resolve")
          const first = yield* experiments.create({ name })
          const second = yield* experiments.create({ name })
          assert.strictEqual((yield* ExperimentsModule.resolve(first.id)).id, first.id)
          assert.strictEqual((yield* ExperimentsModule.resolve(name)).id, second.id, "a name is its newest run")
          const all = yield* collect(experiments.list())
          // The shortest prefix (≥ 4 characters) of the id that no other id shares.
          let length = 4
          while (length < first.id.length && all.some((e) => e.id !== first.id && e.id.startsWith(first.id.slice(0, length)))) {
            length++
          }
          if (length < first.id.length) {
            assert.strictEqual((yield* ExperimentsModule.resolve(first.id.slice(0, length))).id, first.id)
            // One character shorter is shared (when it is still ≥ 4): ambiguous, never a guess.
            if (length > 4) {
              const shared = first.id.slice(0, length - 1)
              const error = yield* Effect.flip(ExperimentsModule.resolve(shared))
              assert.strictEqual(error._tag, "InvalidInput")
              assert.include(error.message, first.id)
            }
          }
          const missing = `no-such-${unique("experiment")}`
          const notFound = yield* Effect.flip(ExperimentsModule.resolve(missing))
          assert.strictEqual(notFound._tag, "NotFound")
          assert.include(notFound.message, missing)
          assert.strictEqual(yield* failureTag(ExperimentsModule.resolve(" ")), "InvalidInput")
        }))

      it.effect("scorer errors and usage are stored with each result, and summed by summarize", () =>
        Effect.gen(function*() {
          const experiments = yield* Experiments
          const experiment = yield* experiments.create({ name: unique("conf-scorer-errors") })
          const failing: EvalResult = {
            ...result("a", 1),
            scores: { other: 1 },
            // Parsed, so `__proto__` is an own key, as a scorer's name may be.
            scorerErrors: JSON.parse(`{"accuracy":"judge crashed","__proto__":"odd name"}`) as Record<string, string>,
            usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15, cost: 0.25 }
          }
          yield* experiments.log(experiment.id, [failing, { ...result("b", 1), usage: { totalTokens: 5 } }])
          const results = yield* collect(experiments.results(experiment.id))
          const a = results.find((r) => r.caseId === "a")!
          assert.deepStrictEqual(a.scorerErrors, failing.scorerErrors)
          assert.isUndefined(a.metadata["scorerErrors"])
          assert.deepStrictEqual(a.usage, failing.usage)
          assert.isUndefined(results.find((r) => r.caseId === "b")!.scorerErrors)
          const summary = yield* experiments.summarize(experiment.id)
          assert.strictEqual(summary.scorerErrors, 2)
          assert.strictEqual(summary.metrics["totalTokens"]!.mean, 10)
          assert.strictEqual(summary.metrics["totalTokens"]!.unit, "tokens")
          assert.strictEqual(summary.metrics["promptTokens"]!.mean, 10)
          assert.strictEqual(summary.metrics["cost"]!.unit, "usd")
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

/** Reads page after page from `options.after` until an empty page; the pages and the cursor to resume from. */
const readToEnd = (
  reader: TraceReader.Service,
  options: ReadOptions
): Effect.Effect<{ readonly pages: ReadonlyArray<Page>; readonly cursor: string | undefined }, PromptOpsError> =>
  Effect.gen(function*() {
    const pages: Array<Page> = []
    let after = options.after
    // A bound, so a cursor that never advances fails the test instead of hanging it.
    for (let i = 0; i < 1000; i++) {
      const page = yield* reader.read({ ...options, after })
      // An empty page hands back a cursor equivalent to the one it was given.
      if (page.spans.length === 0) return { pages, cursor: page.cursor ?? after }
      assert.notStrictEqual(page.cursor, undefined, "a page with spans has a cursor")
      assert.notStrictEqual(page.cursor, after, "the cursor advances")
      pages.push(page)
      after = page.cursor
    }
    return assert.fail("read did not reach the end in 1,000 pages")
  })

const spansOf = (pages: ReadonlyArray<Page>): ReadonlyArray<SpanRecord> => pages.flatMap((page) => page.spans)

/** The ids of `spans` that are among `ids`, in read order. */
const only = (spans: ReadonlyArray<SpanRecord>, ids: ReadonlyArray<string>): ReadonlyArray<string> =>
  spans.map((span) => span.spanId).filter((id) => ids.includes(id))

/**
 * `TraceReader` (with the `SpanSink` that feeds it): exported spans read back
 * oldest first, by cursor, filtered by trace and by experiment.
 *
 * Every test starts from the cursor at the end of what the backend already
 * holds and checks only its own spans, so the suite tolerates other writers.
 * `experimentId` gives the id of an experiment that exists (backends that
 * check); by default a fresh UUID.
 *
 * @since 0.1.0
 */
export const traceReader = <E, R = never>(
  name: string,
  backend: Layer.Layer<SpanSink | TraceReader | R, E>,
  options: { readonly experimentId?: Effect.Effect<string, PromptOpsError, R> | undefined } = {}
): void => {
  const experimentId: Effect.Effect<string, PromptOpsError, R> = options.experimentId ?? Effect.sync(() => Ids.uuid())

  /** One trace: a root and a child, `at` ms apart from `now`. */
  const trace = (destination: SpanRecord["destination"], at: number, id?: string): ReadonlyArray<SpanRecord> => {
    const traceId = id ?? Ids.traceId()
    const rootId = Ids.spanId()
    const start = Date.now() + at
    return [
      {
        traceId,
        spanId: rootId,
        name: "handle",
        kind: "task",
        startTime: start,
        endTime: start + 20,
        input: { question: "q" },
        output: "a",
        metadata: { user: "u1" },
        metrics: {},
        destination
      },
      {
        traceId,
        spanId: Ids.spanId(),
        parentSpanId: rootId,
        name: "search",
        kind: "retrieval",
        startTime: start + 1,
        endTime: start + 9.5,
        output: ["doc"],
        metadata: { index: "kb" },
        metrics: { promptTokens: 3, completionTokens: 4, totalTokens: 7 },
        destination
      }
    ]
  }
  const logs: SpanRecord["destination"] = { _tag: "ProjectLogs" }
  const ids = (spans: ReadonlyArray<SpanRecord>): ReadonlyArray<string> => spans.map((span) => span.spanId)
  const sorted = (values: ReadonlyArray<string>): ReadonlyArray<string> => [...values].sort()

  describe(`${name}: TraceReader conformance`, () => {
    layer(backend, { timeout: 30_000 })((it) => {
      it.effect("reads exported spans back oldest first, each once, as they were exported", () =>
        Effect.gen(function*() {
          const sink = yield* SpanSink
          const reader = yield* TraceReader
          const start = (yield* readToEnd(reader, { limit: 1000 })).cursor
          const first = trace(logs, 0)
          const second = trace(logs, 100)
          yield* sink.export(first)
          yield* sink.export(first) // a retried batch
          yield* sink.export(second)
          const read = spansOf((yield* readToEnd(reader, { after: start })).pages)
          const order = only(read, [...ids(first), ...ids(second)])
          assert.strictEqual(order.length, 4, "every span once")
          assert.deepStrictEqual(sorted(order.slice(0, 2)), sorted(ids(first)), "the first batch first")
          assert.deepStrictEqual(sorted(order.slice(2)), sorted(ids(second)))

          const child = read.find((span) => span.spanId === first[1]!.spanId)!
          const expected = first[1]!
          assert.strictEqual(child.traceId, expected.traceId)
          assert.strictEqual(child.parentSpanId, expected.parentSpanId)
          assert.strictEqual(child.name, "search")
          assert.strictEqual(child.kind, "retrieval")
          assert.closeTo(child.startTime, expected.startTime, 0.01)
          assert.closeTo(child.endTime, expected.endTime, 0.01)
          assert.deepStrictEqual(child.output, ["doc"])
          assert.deepStrictEqual(child.metadata, { index: "kb" })
          assert.deepStrictEqual(child.metrics, { promptTokens: 3, completionTokens: 4, totalTokens: 7 })
          assert.deepStrictEqual(child.destination, logs)
          const root = read.find((span) => span.spanId === first[0]!.spanId)!
          assert.isUndefined(root.parentSpanId)
          assert.deepStrictEqual(root.input, { question: "q" })

          // Exported again later: still once (where it now sits may differ by backend).
          yield* sink.export(first)
          const again = only(spansOf((yield* readToEnd(reader, { after: start })).pages), [...ids(first), ...ids(second)])
          assert.deepStrictEqual(sorted(again), sorted([...ids(first), ...ids(second)]))
        }))

      it.effect("pages with limit and cursor without loss or duplication, then tails new spans", () =>
        Effect.gen(function*() {
          const sink = yield* SpanSink
          const reader = yield* TraceReader
          const start = (yield* readToEnd(reader, { limit: 1000 })).cursor
          const batches = [trace(logs, 0), trace(logs, 100), trace(logs, 200)]
          for (const batch of batches) yield* sink.export(batch)
          const mine = batches.flatMap(ids)
          const whole = only(spansOf((yield* readToEnd(reader, { after: start })).pages), mine)
          assert.strictEqual(whole.length, 6)
          for (const limit of [1, 2, 5]) {
            const { cursor, pages } = yield* readToEnd(reader, { after: start, limit })
            for (const page of pages) assert.isAtMost(page.spans.length, limit)
            assert.deepStrictEqual(only(spansOf(pages), mine), whole, `limit ${limit}: same spans, same order`)
            // The cursor after the last page resumes with what is exported next, and only that.
            const tail = trace(logs, 300 + limit)
            yield* sink.export(tail)
            const next = yield* readToEnd(reader, { after: cursor, limit })
            assert.deepStrictEqual(
              sorted(only(spansOf(next.pages), [...mine, ...ids(tail)])),
              sorted(ids(tail)),
              `limit ${limit}: the tail holds the new spans only`
            )
          }
        }))

      it.effect("filters by traceId and by experimentId", () =>
        Effect.gen(function*() {
          const sink = yield* SpanSink
          const reader = yield* TraceReader
          const experiment = yield* experimentId
          const start = (yield* readToEnd(reader, { limit: 1000 })).cursor
          const inLogs = trace(logs, 0)
          const other = trace(logs, 50)
          const inExperiment = trace({ _tag: "Experiment", experimentId: experiment }, 100)
          yield* sink.export([...inLogs, ...other])
          yield* sink.export(inExperiment)
          const traceId = inLogs[0]!.traceId
          const byTrace = spansOf((yield* readToEnd(reader, { after: start, traceId, limit: 1 })).pages)
          assert.deepStrictEqual(sorted(ids(byTrace)), sorted(ids(inLogs)))
          assert.isTrue(byTrace.every((span) => span.traceId === traceId))

          const logged = spansOf((yield* readToEnd(reader, { after: start })).pages)
          assert.deepStrictEqual(only(logged, ids(inExperiment)), [], "project logs hold no experiment span")
          assert.strictEqual(only(logged, [...ids(inLogs), ...ids(other)]).length, 4)

          const fromExperiment = spansOf((yield* readToEnd(reader, { experimentId: experiment })).pages)
          assert.deepStrictEqual(sorted(only(fromExperiment, ids(inExperiment))), sorted(ids(inExperiment)))
          assert.deepStrictEqual(only(fromExperiment, [...ids(inLogs), ...ids(other)]), [])
          const experimentChild = fromExperiment.find((span) => span.spanId === inExperiment[1]!.spanId)!
          assert.deepStrictEqual(experimentChild.destination, { _tag: "Experiment", experimentId: experiment })
          assert.strictEqual(experimentChild.parentSpanId, inExperiment[0]!.spanId)

          const experimentTrace = inExperiment[0]!.traceId
          const both = spansOf((yield* readToEnd(reader, { experimentId: experiment, traceId: experimentTrace })).pages)
          assert.deepStrictEqual(sorted(ids(both)), sorted(ids(inExperiment)))
          const wrongPlace = spansOf((yield* readToEnd(reader, { after: start, traceId: experimentTrace })).pages)
          assert.deepStrictEqual(wrongPlace, [], "an experiment's trace is not in the project logs")
        }))

      it.effect("newest first: the newest `limit` spans in one read, and a cursor that follows only later spans", () =>
        Effect.gen(function*() {
          const sink = yield* SpanSink
          const reader = yield* TraceReader
          const start = (yield* readToEnd(reader, { limit: 1000 })).cursor
          const [first, second, third] = [trace(logs, 0), trace(logs, 100), trace(logs, 200)]
          for (const batch of [first, second, third]) yield* sink.export(batch)
          const mine = [...ids(first), ...ids(second), ...ids(third)]

          const tail = yield* reader.read({ after: start, limit: 3, order: "newest" })
          const read = ids(tail.spans)
          assert.strictEqual(read.length, 3, "exactly `limit` spans")
          assert.deepStrictEqual(sorted(read.slice(0, 2)), sorted(ids(third)), "the newest batch first")
          assert.include(ids(second), read[2], "then the batch before it")
          assert.isTrue(read.every((id) => mine.includes(id)))

          // Following from its cursor, oldest first: only what is exported afterwards.
          const fourth = trace(logs, 300)
          yield* sink.export(fourth)
          const followed = spansOf((yield* readToEnd(reader, { after: tail.cursor })).pages)
          assert.deepStrictEqual(sorted(ids(followed)), sorted(ids(fourth)))

          // With a trace filter: that trace's newest spans only.
          const one = yield* reader.read({ after: start, traceId: second[0]!.traceId, limit: 1, order: "newest" })
          assert.strictEqual(one.spans.length, 1)
          assert.strictEqual(one.spans[0]!.traceId, second[0]!.traceId)
          // Nothing after the cursor: an empty page.
          const none = yield* reader.read({ after: start, traceId: Ids.traceId(), order: "newest" })
          assert.deepStrictEqual(none.spans, [])
        }))

      it.effect("a trace id prefix of at least 8 hex characters reads that trace; an ambiguous one lists the traces", () =>
        Effect.gen(function*() {
          const sink = yield* SpanSink
          const reader = yield* TraceReader
          const start = (yield* readToEnd(reader, { limit: 1000 })).cursor
          // Two traces whose ids share their first 10 characters, and a third apart.
          const shared = Ids.traceId().slice(0, 10)
          const a = trace(logs, 0, `${shared}${Ids.traceId().slice(10)}`)
          const b = trace(logs, 50, `${shared}${Ids.traceId().slice(10)}`)
          yield* sink.export([...a, ...b])

          const unique = a[0]!.traceId.slice(0, 16)
          for (const order of ["oldest", "newest"] as const) {
            const page = yield* reader.read({ after: start, traceId: unique.toUpperCase(), order, limit: 10 })
            assert.deepStrictEqual(sorted(ids(page.spans)), sorted(ids(a)), `${order}: the trace of the prefix`)
            const ambiguous = yield* Effect.flip(reader.read({ after: start, traceId: shared, order, limit: 10 }))
            assert.strictEqual(ambiguous._tag, "InvalidInput")
            assert.include(ambiguous.message, a[0]!.traceId)
            assert.include(ambiguous.message, b[0]!.traceId)
          }
          const short = yield* Effect.flip(reader.read({ traceId: shared.slice(0, 7) }))
          assert.strictEqual(short._tag === "InvalidInput" && short.path, "traceId")
          const badOrder = yield* Effect.flip(reader.read({ order: "sideways" as never }))
          assert.strictEqual(badOrder._tag === "InvalidInput" && badOrder.path, "order")
        }))

      it.effect("a limit outside 1..10,000 or not an integer is InvalidInput", () =>
        Effect.gen(function*() {
          const reader = yield* TraceReader
          for (const limit of [0, -1, 1.5, 10_001, Number.NaN]) {
            assert.strictEqual(yield* failureTag(reader.read({ limit })), "InvalidInput", `limit ${limit}`)
          }
          const page = yield* reader.read({ limit: 10_000 })
          assert.isAtMost(page.spans.length, 10_000)
        }))
    })
  })
}
