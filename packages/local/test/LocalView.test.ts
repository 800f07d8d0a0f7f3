/**
 * The viewer's queries: root spans newest first through the partial index of
 * schema version 4 (checked with the query plan), keyset paging and filters;
 * the experiments list by keyset with core's `isRunOf` name filter and each
 * row's trend runs (the plans use an index, never a scan of every run);
 * experiment stats equal to core's summary; a prompt's versions.
 */
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Experiments from "@promptops/core/Experiments"
import * as Ids from "@promptops/core/Ids"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { SpanSink } from "@promptops/core/SpanSink"
import { Effect, Option, Stream } from "effect"
import * as Local from "../src/Local.js"
import { LocalStore } from "../src/LocalStore.js"
import { LocalView } from "../src/LocalView.js"

const dir = fs.mkdtempSync(Path.join(tmpdir(), "promptops-local-view-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const span = (traceId: string, name: string, extra: Partial<SpanRecord> = {}): SpanRecord => ({
  traceId,
  spanId: Ids.spanId(),
  name,
  kind: "task",
  startTime: 1000,
  endTime: 1010,
  metadata: {},
  metrics: {},
  destination: { _tag: "ProjectLogs" },
  ...extra
})

describe("LocalView", () => {
  it.effect("root spans: newest first, filtered, keyset-paged, through the roots index", () =>
    Effect.gen(function*() {
      const sink = yield* SpanSink
      const [a, b, c] = [Ids.traceId(), Ids.traceId(), Ids.traceId()]
      const rootA = span(a, "chat")
      yield* sink.export([
        rootA,
        span(a, "child", { parentSpanId: rootA.spanId }),
        span(b, "chat", { error: { message: "x" }, startTime: 2000 }),
        span(c, "search", { kind: "retrieval", startTime: 3000 })
      ])
      const view = yield* LocalView
      const names = (spans: ReadonlyArray<{ readonly span: SpanRecord }>) => spans.map((row) => row.span.traceId)
      assert.deepStrictEqual(names(yield* view.rootSpans({ limit: 10 })), [c, b, a])
      assert.deepStrictEqual(names(yield* view.rootSpans({ limit: 10, name: "chat" })), [b, a])
      assert.deepStrictEqual(names(yield* view.rootSpans({ limit: 10, error: true })), [b])
      assert.deepStrictEqual(names(yield* view.rootSpans({ limit: 10, kind: "retrieval" })), [c])
      assert.deepStrictEqual(names(yield* view.rootSpans({ limit: 10, from: 1500, to: 2500 })), [b])
      const [first] = yield* view.rootSpans({ limit: 1 })
      assert.deepStrictEqual(names(yield* view.rootSpans({ limit: 10, before: first!.seq })), [b, a])
      const store = yield* LocalStore
      const plan = yield* store.read(
        "test",
        store.sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT * FROM spans
          WHERE parent_span_id IS NULL AND experiment_id IS NULL AND seq < 100 ORDER BY seq DESC LIMIT 50`
      )
      assert.isTrue(plan.some((row) => row.detail.includes("spans_roots")), JSON.stringify(plan))
    }).pipe(Effect.provide(Local.layer({ dir: Path.join(dir, "spans") }))))

  it.effect("experiment stats equal core's summary; prompt versions from the file", () =>
    Effect.gen(function*() {
      const experiments = yield* Experiments.Experiments
      const experiment = yield* experiments.create({ name: "e" })
      yield* experiments.log(experiment.id, [
        { caseId: "a", trial: 0, input: 1, output: 1, scores: { s: 1, t: null }, metadata: {}, durationMs: 1 },
        { caseId: "b", trial: 0, input: 2, output: 2, scores: { s: 0.25 }, error: "boom", metadata: {}, durationMs: 1 }
      ])
      const view = yield* LocalView
      const stats = (yield* view.experimentStats([experiment.id, "none"])).get(experiment.id)
      const summary = yield* experiments.summarize(experiment.id)
      assert.deepStrictEqual(stats, { total: 2, errored: 1, means: { s: summary.scores["s"]!.mean } })
      const registry = yield* PromptRegistry
      yield* registry.push({ slug: "p", templateFormat: "none", messages: [{ role: "user", content: "1" }] })
      yield* registry.push({ slug: "p", templateFormat: "none", messages: [{ role: "user", content: "2" }] })
      const file = yield* view.promptVersions("p")
      assert.deepStrictEqual(Option.map(file, (f) => f.versions.map((v) => v.version)), Option.some(["1", "2"]))
      assert.isTrue(Option.isNone(yield* view.promptVersions("missing")))
    }).pipe(Effect.provide(Local.layer({ dir: Path.join(dir, "stats") }))))

  it.effect("experiments: newest first by keyset, runs of a name as core's isRunOf, trend runs; plans use indexes", () =>
    Effect.gen(function*() {
      const experiments = yield* Experiments.Experiments
      // Names around the prefix range: only `qa` and `qa-<digits>` are runs of `qa`.
      const names = ["qa", "other", "qa-2", "qa-x", "qa-", "qab", "qa-10", "qa.1", "qa", "qa"]
      const made: Array<{ readonly id: string; readonly name: string }> = []
      for (const name of names) made.push(yield* experiments.create({ name }))
      const view = yield* LocalView
      const ids = (rows: ReadonlyArray<{ readonly experiment: { readonly id: string } }>) => rows.map((row) => row.experiment.id)
      const newest = [...made].reverse()
      assert.deepStrictEqual(ids(yield* view.experiments({ limit: 100 })), newest.map((e) => e.id))
      const listed = yield* Stream.runCollect(experiments.list())
      assert.deepStrictEqual(ids(yield* view.experiments({ limit: 100 })), [...listed].map((e) => e.id))
      const runsOfQa = newest.filter((e) => Experiments.isRunOf("qa", e.name)).map((e) => e.id)
      assert.deepStrictEqual(runsOfQa.length, 5)
      assert.deepStrictEqual(ids(yield* view.experiments({ limit: 100, name: "qa" })), runsOfQa)
      // Keyset paging: a page of 2, then the rest from the last row's seq.
      const page = yield* view.experiments({ limit: 2, name: "qa" })
      assert.deepStrictEqual(ids(page), runsOfQa.slice(0, 2))
      const rest = yield* view.experiments({ limit: 100, name: "qa", before: page[1]!.seq })
      assert.deepStrictEqual(ids(rest), runsOfQa.slice(2))
      // Trend runs: the last `depth` runs of exactly the same name up to each one, oldest first.
      const qa = made.filter((e) => e.name === "qa").map((e) => e.id)
      const trends = yield* view.trendRuns([qa[2]!, qa[1]!, made[1]!.id, "unknown"], 2)
      assert.deepStrictEqual(trends.get(qa[2]!), [qa[1]!, qa[2]!])
      assert.deepStrictEqual(trends.get(qa[1]!), [qa[0]!, qa[1]!])
      assert.deepStrictEqual(trends.get(made[1]!.id), [made[1]!.id])
      assert.isFalse(trends.has("unknown"))
      assert.deepStrictEqual((yield* view.trendRuns([qa[2]!], 10)).get(qa[2]!), qa)

      const store = yield* LocalStore
      const plan = (statement: Effect.Effect<ReadonlyArray<{ readonly detail: string }>, unknown>) =>
        Effect.map(Effect.orDie(statement), (rows) => rows.map((row) => row.detail).join(" | "))
      const sql = store.sql
      const byName = yield* plan(sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT * FROM experiments
        WHERE seq < 100 AND (name = 'qa' OR (name > 'qa-' AND name < 'qa.'
          AND substr(name, 4) GLOB '[0-9]*' AND substr(name, 4) NOT GLOB '*[^0-9]*'))
        ORDER BY seq DESC LIMIT 51`)
      assert.include(byName, "experiments_by_name", byName)
      assert.notMatch(byName, /SCAN experiments(?! USING)/, byName)
      const all = yield* plan(sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT * FROM experiments
        WHERE seq < 100 ORDER BY seq DESC LIMIT 51`)
      assert.match(all, /SEARCH experiments USING INTEGER PRIMARY KEY/, all)
      const trend = yield* plan(sql<{ detail: string }>`EXPLAIN QUERY PLAN
        WITH page AS MATERIALIZED (
          SELECT p.id, p.name, p.seq, coalesce((
            SELECT x.seq FROM experiments x WHERE x.name = p.name AND x.seq <= p.seq
            ORDER BY x.seq DESC LIMIT 1 OFFSET 9
          ), 0) AS low
          FROM experiments p WHERE p.id IN ('a', 'b')
        )
        SELECT page.id AS of_id, e.id AS id FROM page
        JOIN experiments e ON e.name = page.name AND e.seq >= page.low AND e.seq <= page.seq
        ORDER BY page.seq, e.seq`)
      assert.notMatch(trend, /SCAN (e|x|p)\b(?! USING)/, trend)
      assert.include(trend, "experiments_by_name", trend)
      const statsPlan = yield* plan(sql<{ detail: string }>`EXPLAIN QUERY PLAN
        SELECT experiment_id, count(*) FROM results WHERE experiment_id IN ('a', 'b') GROUP BY experiment_id`)
      assert.include(statsPlan, "results_by_experiment", statsPlan)
    }).pipe(Effect.provide(Local.layer({ dir: Path.join(dir, "experiments") }))))
})
