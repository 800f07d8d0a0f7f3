/**
 * Reads never write: a layer built with `access: "read"` creates no directory
 * and no store, opens an existing store without changing a byte of it (no
 * migration, no journal-mode switch, no checkpoint), and SQLite refuses any
 * write on its connection — a check that holds for root too, where file
 * permissions do not.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Datasets } from "@promptops/core/Datasets"
import { Experiments } from "@promptops/core/Experiments"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import { Prompts } from "@promptops/core/Prompts"
import * as TraceReader from "@promptops/core/TraceReader"
import { Chunk, Effect, Layer, Stream } from "effect"
import * as Local from "../src/Local.js"
import * as LocalStore from "../src/LocalStore.js"

const root = fs.mkdtempSync(Path.join(tmpdir(), "promptops-local-read-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
let dirs = 0
const freshDir = () => Path.join(root, `d${++dirs}`)

const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

const withLocal = <A, E, R extends Local.Services>(options: Local.Options, effect: Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.flatMap(Layer.build(Local.layer(options)), (context) => Effect.provide(effect, context)))

/** The database file's size, mtime and hash: what a write would change. */
const fingerprint = (database: string): string => {
  const stat = fs.statSync(database)
  return `${stat.size}:${stat.mtimeMs}:${createHash("sha256").update(fs.readFileSync(database)).digest("hex")}`
}

/**
 * The store is as the writer left it: the same database bytes, no frame in
 * the WAL, and no other file. (The `-wal`/`-shm` pair is SQLite's to keep or
 * tidy: a connection this process's writer leaked may close at any time.)
 */
const assertUnchanged = (dir: string, database: string, before: string) => {
  assert.strictEqual(fingerprint(database), before)
  const wal = `${database}-wal`
  if (fs.existsSync(wal)) assert.strictEqual(fs.statSync(wal).size, 0, "a read wrote to the WAL")
  const allowed = new Set([database, wal, `${database}-shm`].map((path) => Path.basename(path)))
  assert.deepStrictEqual(fs.readdirSync(dir).filter((name) => !allowed.has(name)), [])
}

/** A store with one experiment, written and closed. */
const seeded = (dir: string) =>
  Effect.map(
    withLocal({ dir }, Effect.flatMap(Experiments, (experiments) => experiments.create({ name: "seed" }))),
    (experiment) => experiment.id
  )

describe("Local with access: \"read\"", () => {
  it.effect("in a directory without a store: creates nothing, store reads say where they looked, files still read", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const database = Path.join(dir, "promptops.sqlite")
      const outcome = yield* withLocal(
        { dir, access: "read" },
        Effect.gen(function*() {
          const experiments = yield* Experiments
          const listError = yield* Effect.flip(collect(experiments.list()))
          const tailError = yield* Effect.flip((yield* TraceReader.TraceReader).read({ limit: 10 }))
          const prompts = yield* collect((yield* Prompts).list())
          const missingPrompt = yield* Effect.flip((yield* Prompts).get("greeting"))
          const datasets = yield* collect((yield* Datasets).list())
          const pushError = yield* Effect.flip(
            (yield* PromptRegistry).push({ slug: "greeting", templateFormat: "mustache", messages: [] })
          )
          return { listError, tailError, prompts, missingPrompt, datasets, pushError }
        })
      )
      const expected =
        `no promptops store at ${database}: run an eval or \`promptops prompts push\` to create one, or set PROMPTOPS_LOCAL_DIR`
      assert.strictEqual(outcome.listError._tag, "ProviderUnavailable")
      assert.include(outcome.listError.message, expected)
      assert.isTrue(LocalStore.isMissingStore(outcome.listError))
      assert.include(outcome.tailError.message, expected)
      assert.deepStrictEqual(outcome.prompts, [])
      assert.strictEqual(outcome.missingPrompt._tag, "NotFound")
      assert.deepStrictEqual(outcome.datasets, [])
      assert.strictEqual(outcome.pushError._tag, "Unsupported")
      assert.isFalse(fs.existsSync(dir), "a read created the directory")
    }))

  it.effect("dataset files read without a store", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      fs.mkdirSync(Path.join(dir, "datasets"), { recursive: true })
      fs.writeFileSync(Path.join(dir, "datasets", "qa.jsonl"), `{"id":"a","input":1}\n`)
      const records = yield* withLocal(
        { dir, access: "read" },
        Effect.flatMap(Datasets, (datasets) => collect(datasets.records("qa")))
      )
      assert.deepStrictEqual(records.map((record) => record.id), ["a"])
      assert.isFalse(fs.existsSync(Path.join(dir, "promptops.sqlite")))
    }))

  it.effect("an existing store: read without changing a byte, and SQLite refuses writes on the connection", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const database = Path.join(dir, "promptops.sqlite")
      const id = yield* seeded(dir)
      const before = fingerprint(database)
      const outcome = yield* withLocal(
        { dir, access: "read" },
        Effect.gen(function*() {
          const listed = yield* collect((yield* Experiments).list())
          const store = yield* LocalStore.LocalStore
          const [queryOnly] = yield* store.read("test", store.sql<{ query_only: number }>`PRAGMA query_only`)
          // Root ignores file permissions; SQLite's refusal does not depend on them.
          const writeError = yield* Effect.flip(
            store.read("test", store.sql`INSERT INTO experiments (id, name, created_at) VALUES ('x', 'x', 0)`)
          )
          const createError = yield* Effect.flip((yield* Experiments).create({ name: "not-here" }))
          return { listed, queryOnly: queryOnly?.query_only, writeError, createError }
        })
      )
      assert.deepStrictEqual(outcome.listed.map((experiment) => experiment.id), [id])
      assert.strictEqual(outcome.queryOnly, 1)
      assert.include(outcome.writeError.message, "readonly")
      assert.include(outcome.createError.message, "readonly")
      assertUnchanged(dir, database, before)
    }))

  it.effect("a store of an older schema version is not migrated by a read: the error says to run a write once", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const database = Path.join(dir, "promptops.sqlite")
      yield* seeded(dir)
      // Pretend the file predates the newest migration.
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* LocalStore.make({ database })
        yield* store.autocommit("test", store.sql.unsafe(`PRAGMA user_version = ${LocalStore.schemaVersion - 1}`).raw)
      }))
      const before = fingerprint(database)
      const error = yield* Effect.flip(withLocal({ dir, access: "read" }, Experiments))
      assert.strictEqual(error._tag, "ProviderUnavailable")
      assert.include(error.message, "is older than this package's")
      assert.include(error.message, "run a write command once")
      assertUnchanged(dir, database, before)
    }))

  it.effect("a read while the process has the store open for writing sees its writes", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const ids = yield* withLocal(
        { dir },
        Effect.gen(function*() {
          const created = yield* (yield* Experiments).create({ name: "both" })
          const listed = yield* withLocal(
            { dir, access: "read" },
            Effect.flatMap(Experiments, (experiments) => collect(experiments.list()))
          )
          return { created: created.id, listed: listed.map((experiment) => experiment.id) }
        })
      )
      assert.deepStrictEqual(ids.listed, [ids.created])
    }))
})
