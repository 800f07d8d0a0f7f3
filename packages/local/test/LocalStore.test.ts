/**
 * The SQLite store: schema versions, typed failures at open, transactions
 * that roll back, one connection shared per file, concurrent writers that
 * lose nothing, and data that survives closing and reopening.
 */
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Datasets } from "@promptops/core/Datasets"
import type { EvalResult } from "@promptops/core/Experiment"
import { Experiments } from "@promptops/core/Experiments"
import { Feedback } from "@promptops/core/Feedback"
import * as Ids from "@promptops/core/Ids"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import { Prompts } from "@promptops/core/Prompts"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { SpanSink } from "@promptops/core/SpanSink"
import * as TraceReader from "@promptops/core/TraceReader"
import { Chunk, Config, ConfigError, ConfigProvider, Deferred, Duration, Effect, Fiber, Layer, Stream } from "effect"
import * as Local from "../src/Local.js"
import * as LocalFeedback from "../src/LocalFeedback.js"
import * as LocalStore from "../src/LocalStore.js"

const root = fs.mkdtempSync(Path.join(tmpdir(), "promptops-local-store-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
let dirs = 0
const freshDir = () => Path.join(root, `d${++dirs}`)

const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

const result = (caseId: string, trial = 0): EvalResult => ({
  caseId,
  trial,
  input: { caseId },
  output: `out-${caseId}`,
  scores: { accuracy: 1 },
  metadata: {},
  durationMs: 1
})

const span = (traceId: string, name: string): SpanRecord => ({
  traceId,
  spanId: Ids.spanId(),
  name,
  kind: "span",
  startTime: 1,
  endTime: 2,
  metadata: {},
  metrics: {},
  destination: { _tag: "ProjectLogs" }
})

/** Runs `effect` against a layer built and closed around it. */
const withLocal = <A, E, R extends Local.Services>(options: Local.Options, effect: Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.flatMap(Layer.build(Local.layer(options)), (context) => Effect.provide(effect, context)))

describe("LocalStore", () => {
  it.effect("data survives closing and reopening the layer", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const traceId = Ids.traceId()
      const written = yield* withLocal(
        { dir },
        Effect.gen(function*() {
          yield* (yield* PromptRegistry).push({
            slug: "p",
            templateFormat: "none",
            messages: [{ role: "user", content: "x" }],
            tag: "production"
          })
          yield* (yield* Datasets).insert("d", [{ id: "r", input: 1 }])
          const experiments = yield* Experiments
          const experiment = yield* experiments.create({ name: "e" })
          yield* experiments.log(experiment.id, [result("a"), result("b")])
          yield* (yield* SpanSink).export([span(traceId, "s1"), span(traceId, "s2")])
          yield* (yield* Feedback).log([{ id: "f", targetId: "t", comment: "c" }])
          return experiment
        })
      )
      const wal = Path.join(dir, "promptops.sqlite-wal")
      assert.isTrue(!fs.existsSync(wal) || fs.statSync(wal).size === 0, "closing folds the WAL into the file")
      yield* withLocal(
        { dir },
        Effect.gen(function*() {
          assert.strictEqual((yield* (yield* Prompts).get("p", { tag: "production" })).version, "1")
          assert.deepStrictEqual(yield* collect((yield* Datasets).records("d")), [{ id: "r", input: 1 }])
          const experiments = yield* Experiments
          assert.deepStrictEqual(yield* experiments.get(written.id), written)
          assert.deepStrictEqual((yield* collect(experiments.results(written.id))).map((r) => r.caseId), ["a", "b"])
          const page = yield* TraceReader.TraceReader.pipe(Effect.flatMap((reader) => reader.read({ traceId })))
          assert.deepStrictEqual(page.spans.map((s) => s.name), ["s1", "s2"])
          assert.strictEqual((yield* LocalFeedback.forTarget("t"))[0]?.comment, "c")
          const summary = yield* experiments.summarize(written.id)
          assert.strictEqual(summary.results, 2)
        })
      )
    }))

  it.effect("layerConfig reads the paths from Config; a missing dir is a ConfigError", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const custom = Path.join(dir, "elsewhere")
      const configured = Local.layerConfig({
        dir: Config.string("PROMPTOPS_LOCAL_DIR"),
        promptsDir: Config.string("PROMPTS").pipe(Config.withDefault(undefined)),
        database: Config.string("DATABASE").pipe(Config.withDefault(undefined))
      })
      const provider = (entries: ReadonlyArray<readonly [string, string]>) =>
        Layer.setConfigProvider(ConfigProvider.fromMap(new Map(entries)))
      yield* Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(
          configured.pipe(
            Layer.provide(provider([["PROMPTOPS_LOCAL_DIR", dir], ["PROMPTS", Path.join(custom, "p")], ["DATABASE", Path.join(custom, "db.sqlite")]]))
          )
        )
        const store = yield* Effect.provide(LocalStore.LocalStore, context)
        assert.strictEqual(store.path, Path.join(custom, "db.sqlite"))
        yield* Effect.provide(
          Effect.flatMap(PromptRegistry, (registry) =>
            registry.push({ slug: "x", templateFormat: "none", messages: [] })),
          context
        )
        assert.isTrue(fs.existsSync(Path.join(custom, "p", "x.json")))
      }))
      const missing = yield* Effect.flip(Effect.scoped(Layer.build(configured.pipe(Layer.provide(provider([]))))))
      assert.isTrue(ConfigError.isConfigError(missing))
      assert.deepStrictEqual(Local.paths({ dir: "rel" }), {
        dir: Path.resolve("rel"),
        prompts: Path.resolve("rel/prompts"),
        datasets: Path.resolve("rel/datasets"),
        database: Path.resolve("rel/promptops.sqlite")
      })
    }))

  it.effect("creates the schema at its version, in WAL mode", () =>
    Effect.gen(function*() {
      const database = Path.join(freshDir(), "nested", "store.sqlite")
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* LocalStore.make({ database })
        const [version] = yield* store.sql<{ user_version: number }>`PRAGMA user_version`
        assert.strictEqual(version?.user_version, LocalStore.schemaVersion)
        const [mode] = yield* store.sql<{ journal_mode: string }>`PRAGMA journal_mode`
        assert.strictEqual(mode?.journal_mode, "wal")
        const [timeout] = yield* store.sql<{ timeout: number }>`PRAGMA busy_timeout`
        assert.strictEqual(timeout?.timeout, 5000)
        assert.deepStrictEqual(yield* store.integrityCheck, ["ok"])
      }))
      // Reopening finds nothing to migrate.
      yield* Effect.scoped(LocalStore.make({ database }))
    }))

  it.effect("a newer schema, or a file that is not a database, fails typed at open", () =>
    Effect.gen(function*() {
      const database = Path.join(freshDir(), "store.sqlite")
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* LocalStore.make({ database })
        yield* store.sql.unsafe(`PRAGMA user_version = ${LocalStore.schemaVersion + 1}`)
      }))
      const newer = yield* Effect.flip(Effect.scoped(LocalStore.make({ database })))
      assert.strictEqual(newer._tag, "ProviderUnavailable")
      assert.include(newer.message, "newer")

      const garbage = Path.join(freshDir(), "garbage.sqlite")
      fs.mkdirSync(Path.dirname(garbage), { recursive: true })
      fs.writeFileSync(garbage, "this is not a database ".repeat(200))
      const notDb = yield* Effect.flip(Effect.scoped(LocalStore.make({ database: garbage })))
      assert.strictEqual(notDb._tag, "ProviderUnavailable")
      assert.include(notDb.message, "garbage.sqlite")

      for (const busyTimeout of [Duration.infinity, "soon" as Duration.DurationInput]) {
        const bad = yield* Effect.flip(Effect.scoped(LocalStore.make({ database, busyTimeout })))
        assert.strictEqual(bad._tag, "InvalidInput")
      }
    }))

  it.effect("a failed or interrupted transaction leaves nothing; nested calls join", () =>
    Effect.gen(function*() {
      const database = Path.join(freshDir(), "store.sqlite")
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* LocalStore.make({ database })
        const sql = store.sql
        const count = store.read("count", sql<{ n: number }>`SELECT count(*) AS n FROM feedback`).pipe(
          Effect.map((rows) => rows[0]!.n)
        )
        const insert = (id: string) =>
          sql`INSERT INTO feedback (id, target_id, created_at) VALUES (${id}, 't', 0)`
        const failed = yield* Effect.flip(store.transaction(
          "test",
          Effect.zipRight(insert("a"), Effect.fail("boom" as const))
        ))
        assert.strictEqual(failed, "boom")
        assert.strictEqual(yield* count, 0)

        const duplicate = yield* Effect.flip(store.transaction("test.duplicate", Effect.zipRight(insert("b"), insert("b"))))
        assert.strictEqual(duplicate._tag, "ProviderUnavailable")
        assert.include(duplicate.message, "test.duplicate")
        assert.strictEqual(yield* count, 0)

        const started = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(
          store.transaction("test", insert("c").pipe(Effect.zipRight(Deferred.succeed(started, void 0)), Effect.zipRight(Effect.never)))
        )
        yield* Deferred.await(started)
        yield* Fiber.interrupt(fiber)
        assert.strictEqual(yield* count, 0)

        yield* store.transaction(
          "outer",
          Effect.zipRight(insert("d"), store.transaction("inner", Effect.zipRight(insert("e"), store.read("r", count))))
        )
        assert.strictEqual(yield* count, 2)
      }))
    }))

  it.effect("two layers on one file in one process share the connection; concurrent writes all land", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      yield* Effect.scoped(Effect.gen(function*() {
        const one = yield* Layer.build(Local.layer({ dir }))
        const two = yield* Layer.build(Local.layer({ dir }))
        const storeOne = yield* Effect.provide(LocalStore.LocalStore, one)
        const storeTwo = yield* Effect.provide(LocalStore.LocalStore, two)
        assert.strictEqual(storeOne, storeTwo)
        const experiment = yield* Effect.provide(Effect.flatMap(Experiments, (e) => e.create({ name: "shared" })), one)
        yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i),
          (i) =>
            Effect.provide(
              Effect.flatMap(Experiments, (e) => e.log(experiment.id, [result(`case-${i}`), result(`case-${i}`, 1)])),
              i % 2 === 0 ? one : two
            ),
          { concurrency: "unbounded", discard: true }
        )
        const results = yield* Effect.provide(Effect.flatMap(Experiments, (e) => collect(e.results(experiment.id))), two)
        assert.strictEqual(results.length, 40)
      }))
    }))

  it.effect("20 fibers logging results, exporting spans and pushing prompts at once lose nothing", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const traceId = Ids.traceId()
      yield* withLocal(
        { dir },
        Effect.gen(function*() {
          const experiments = yield* Experiments
          const registry = yield* PromptRegistry
          const prompts = yield* Prompts
          const sink = yield* SpanSink
          const experiment = yield* experiments.create({ name: "concurrent" })
          const versions = yield* Effect.forEach(
            Array.from({ length: 20 }, (_, fiber) => fiber),
            (fiber) =>
              Effect.gen(function*() {
                const pushed: Array<string> = []
                for (let batch = 0; batch < 5; batch++) {
                  yield* experiments.log(
                    experiment.id,
                    Array.from({ length: 10 }, (_, i) => result(`f${fiber}-b${batch}-${i}`))
                  )
                  yield* sink.export([span(traceId, `f${fiber}-${batch}`)])
                }
                for (let push = 0; push < 3; push++) {
                  const prompt = yield* registry.push({
                    slug: "shared",
                    templateFormat: "none",
                    messages: [{ role: "user", content: `fiber ${fiber} push ${push}` }]
                  })
                  pushed.push(prompt.version)
                }
                return pushed
              }),
            { concurrency: "unbounded" }
          )
          const results = yield* collect(experiments.results(experiment.id))
          assert.strictEqual(results.length, 20 * 5 * 10)
          assert.strictEqual(new Set(results.map((r) => r.caseId)).size, 1000)
          const spans = yield* collect(TraceReader.readAll({ traceId }))
          assert.strictEqual(spans.length, 100)
          const all = versions.flat()
          assert.strictEqual(new Set(all).size, 60, "every push got its own version")
          assert.strictEqual((yield* prompts.get("shared")).version, "60")
          for (const version of all) {
            const prompt = yield* prompts.get("shared", { version })
            assert.match(String(prompt.messages[0]!.content), /^fiber \d+ push \d$/)
          }
          const contents = yield* Effect.forEach(all, (version) => prompts.get("shared", { version }))
          assert.strictEqual(new Set(contents.map((p) => p.messages[0]!.content)).size, 60)
        })
      )
    }))
})
