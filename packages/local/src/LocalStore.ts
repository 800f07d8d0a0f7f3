/**
 * The embedded SQLite store behind the local backend's datasets, experiments,
 * results, spans and feedback, through `@effect/sql` and `@effect/sql-libsql`.
 *
 * How it stays safe:
 * - **One connection, one lock per database file in the process.** libsql's
 *   driver opens a fresh connection for each `sql.withTransaction` on a file
 *   database and never closes it (two file descriptors leak per transaction,
 *   and the new connection has no `busy_timeout`), and SQLite's busy handler
 *   sleeps synchronously, so two connections of one process waiting on each
 *   other would block the event loop until the timeout. So the store runs
 *   every statement on the driver's single connection, behind one semaphore,
 *   and opens each file once per process: layers on the same file share it
 *   (reference-counted; the last release closes it).
 * - **Every write in one transaction** (`BEGIN IMMEDIATE` … `COMMIT`, rolled
 *   back on failure or interruption; a write that is a single statement runs
 *   in SQLite's implicit transaction), so a crash keeps every committed
 *   transaction and none of a half-done one. WAL mode; `busy_timeout` makes
 *   another process's writer wait rather than fail.
 * - **Versioned schema** in `PRAGMA user_version`, migrated in one transaction
 *   at open (see `migrations`).
 * - **Reads never write** (`access: "read"`): no file or directory is
 *   created, nothing is migrated, and SQLite refuses every write on the
 *   connection (see `Options.access`).
 *
 * Do not call `sql.withTransaction` on the exposed client: use `transaction`.
 *
 * @since 0.1.0
 */
import * as Path from "node:path"
import { pathToFileURL } from "node:url"
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import * as LibsqlClient from "@effect/sql-libsql/LibsqlClient"
import { invalidInput, type InvalidInput, ProviderUnavailable } from "@promptops/core/PromptOpsError"
import { Context, Duration, Effect, Exit, FiberRef, Layer, Option, Predicate, Scope } from "effect"
import { PROVIDER, unavailable } from "./internal/errors.js"
import * as Files from "./internal/files.js"

/**
 * How a store is opened: `"write"` (the default) creates and migrates it;
 * `"read"` never writes — see `Options.access`.
 *
 * @since 0.1.0
 */
export type Access = "read" | "write"

/**
 * @since 0.1.0
 */
export interface Options {
  /** Path of the SQLite file (created with its directory when missing, unless `access` is `"read"`). */
  readonly database: string
  /**
   * `"write"` (default): creates the file and its directory, migrates the
   * schema, and switches the file to WAL (and back to rollback journaling
   * when the last connection closes). `"read"`: opens an existing file only,
   * with every write refused by SQLite (`PRAGMA query_only`), no migration,
   * no journal-mode change and no checkpoint at close, so a listing writes
   * nothing and works on a read-only file in a read-only directory. A missing
   * file is not created: every operation then fails with `missingStore`'s
   * `ProviderUnavailable`, and a schema older than this package's fails
   * with one saying to run a write command once.
   */
  readonly access?: Access | undefined
  /**
   * `PRAGMA synchronous`. `"normal"` (default) is safe in WAL mode: a process
   * crash loses nothing committed, a power loss may lose the last
   * transactions but never corrupts the file. `"full"` syncs every commit.
   */
  readonly synchronous?: "normal" | "full" | undefined
  /** How long a write waits for another process's write lock (default 5 seconds). */
  readonly busyTimeout?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 */
export interface Service {
  /** The resolved path of the database file. */
  readonly path: string
  /** The client. Run statements inside `read` or `transaction`, never `sql.withTransaction`. */
  readonly sql: SqlClient.SqlClient
  /**
   * Runs `effect` in one write transaction (`BEGIN IMMEDIATE` … `COMMIT`),
   * serialised with every other operation on this file in the process. A
   * failure or interruption rolls it back. `SqlError`s become
   * `ProviderUnavailable` naming `operation`. Nested calls join the outer one.
   */
  readonly transaction: <A, E, R>(
    operation: string,
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, Exclude<E, SqlError> | ProviderUnavailable, R>
  /**
   * Runs one statement under the same lock without `BEGIN`/`COMMIT`: SQLite
   * makes a single statement atomic on its own (an implicit transaction), so
   * a one-statement write saves two round trips. Inside `transaction` it
   * joins the transaction.
   */
  readonly autocommit: <A>(
    operation: string,
    statement: Effect.Effect<A, SqlError>
  ) => Effect.Effect<A, ProviderUnavailable>
  /** Runs reads serialised with the writes, so they never see half a transaction. */
  readonly read: <A, E, R>(
    operation: string,
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, Exclude<E, SqlError> | ProviderUnavailable, R>
  /** `PRAGMA integrity_check`: `["ok"]` for a sound file. */
  readonly integrityCheck: Effect.Effect<ReadonlyArray<string>, ProviderUnavailable>
}

/**
 * @since 0.1.0
 */
export class LocalStore extends Context.Tag("@promptops/local/LocalStore")<LocalStore, Service>() {}

/**
 * The schema, one entry per version: `migrations[n]` takes a database from
 * `user_version` n to n + 1. Append only; never edit a shipped entry.
 *
 * Every table has `seq INTEGER PRIMARY KEY AUTOINCREMENT`: insertion order,
 * never reused, so it is the paging cursor (an upsert keeps its row's `seq`).
 * JSON columns hold `JSON.stringify` text; SQL NULL means "absent".
 *
 * @since 0.1.0
 */
export const migrations: ReadonlyArray<ReadonlyArray<string>> = [
  [
    `CREATE TABLE datasets (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      name TEXT NOT NULL UNIQUE,
      id TEXT NOT NULL UNIQUE,
      description TEXT,
      created_at INTEGER NOT NULL
    )`,
    `CREATE TABLE dataset_records (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      dataset TEXT NOT NULL,
      id TEXT NOT NULL,
      input TEXT,
      expected TEXT,
      metadata TEXT,
      tags TEXT,
      UNIQUE (dataset, id)
    )`,
    `CREATE INDEX dataset_records_by_dataset ON dataset_records (dataset, seq)`,
    `CREATE TABLE experiments (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      name TEXT NOT NULL,
      baseline TEXT,
      dataset TEXT,
      metadata TEXT,
      created_at INTEGER NOT NULL
    )`,
    `CREATE INDEX experiments_by_name ON experiments (name, seq)`,
    `CREATE TABLE results (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      experiment_id TEXT NOT NULL,
      case_id TEXT NOT NULL,
      trial INTEGER NOT NULL,
      input TEXT,
      output TEXT,
      expected TEXT,
      scores TEXT NOT NULL,
      error TEXT,
      metadata TEXT NOT NULL,
      tags TEXT,
      duration_ms REAL NOT NULL,
      usage TEXT,
      trace_id TEXT,
      span_id TEXT,
      UNIQUE (experiment_id, case_id, trial)
    )`,
    `CREATE INDEX results_by_experiment ON results (experiment_id, seq)`,
    `CREATE TABLE spans (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      trace_id TEXT NOT NULL,
      span_id TEXT NOT NULL,
      parent_span_id TEXT,
      experiment_id TEXT,
      name TEXT NOT NULL,
      kind TEXT NOT NULL,
      start_time REAL NOT NULL,
      end_time REAL NOT NULL,
      input TEXT,
      output TEXT,
      expected TEXT,
      error TEXT,
      metadata TEXT NOT NULL,
      metrics TEXT NOT NULL,
      scores TEXT,
      tags TEXT,
      truncated INTEGER,
      UNIQUE (trace_id, span_id)
    )`,
    `CREATE INDEX spans_by_trace ON spans (trace_id, seq)`,
    `CREATE INDEX spans_by_experiment ON spans (experiment_id, seq)`,
    `CREATE TABLE feedback (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      target_id TEXT NOT NULL,
      destination TEXT,
      scores TEXT,
      comment TEXT,
      expected TEXT,
      metadata TEXT,
      source TEXT,
      created_at INTEGER NOT NULL
    )`,
    `CREATE INDEX feedback_by_target ON feedback (target_id, seq)`
  ],
  // Version 2: the state of an experiment's run (JSON), and each result's scorer errors (JSON).
  [
    `ALTER TABLE experiments ADD COLUMN state TEXT`,
    `ALTER TABLE results ADD COLUMN scorer_errors TEXT`
  ],
  // Version 3: each result's scorer usage (JSON): an LLM judge's tokens and cost, apart from the task's.
  [
    `ALTER TABLE results ADD COLUMN scorer_usage TEXT`
  ],
  // Version 4: the viewer's lists (`LocalView`): root spans newest first (a partial index holds only the
  // roots, so a list of traces never walks their children) and root spans by name. (The experiments list
  // needs none: newest first is the primary key, a name and the trend use `experiments_by_name`.)
  [
    `CREATE INDEX spans_roots ON spans (experiment_id, seq) WHERE parent_span_id IS NULL`,
    `CREATE INDEX spans_roots_by_name ON spans (name, seq) WHERE parent_span_id IS NULL`
  ]
]

/**
 * The schema version this package writes.
 *
 * @since 0.1.0
 */
export const schemaVersion: number = migrations.length

type Held = "none" | "read" | "write"

const MISSING_STORE = "LocalStore.open"

/**
 * The error of every operation on a store opened with `access: "read"` whose
 * file does not exist: it says where it looked and how to make one. (A
 * `ProviderUnavailable`: the backend cannot serve the call, and every store
 * operation already fails that way.)
 *
 * @since 0.1.0
 */
export const missingStore = (path: string): ProviderUnavailable =>
  new ProviderUnavailable({
    provider: PROVIDER,
    operation: MISSING_STORE,
    description: `no promptops store at ${path}: run an eval or \`promptops prompts push\` to create one, or set PROMPTOPS_LOCAL_DIR`
  })

/**
 * Whether `error` is `missingStore`'s: a read found no store file.
 *
 * @since 0.1.0
 */
export const isMissingStore = (error: unknown): error is ProviderUnavailable =>
  Predicate.isTagged(error, "ProviderUnavailable") && (error as ProviderUnavailable).operation === MISSING_STORE

const isSqlError = (error: unknown): error is SqlError => error instanceof SqlError

const mapSqlError = (operation: string, path: string) => <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, Exclude<E, SqlError> | ProviderUnavailable, R> =>
  Effect.catchAll(effect, (error) =>
    Effect.fail(isSqlError(error) ? unavailable(operation, `SQLite ${path}`, error) : error as Exclude<E, SqlError>))

/** A read-only open checks the schema version instead of migrating: it may not write the upgrade. */
const checkVersion = (sql: SqlClient.SqlClient, path: string) =>
  Effect.gen(function*() {
    const [row] = yield* sql<{ readonly user_version: number }>`PRAGMA user_version`
    const current = Number(row?.user_version ?? 0)
    if (current === migrations.length) return
    return yield* Effect.fail(
      unavailable(
        "LocalStore.make",
        `cannot read ${path}`,
        new Error(
          current > migrations.length
            ? `its schema version ${current} is newer than this package's (${migrations.length}); upgrade @promptops/local`
            : `its schema version ${current} is older than this package's (${migrations.length}), and a read does not upgrade it: run a write command once (e.g. an eval or \`promptops prompts push\`)`
        )
      )
    )
  })

/**
 * The store of a read when there is no file: each operation fails with
 * `missingStore`. Its client is an in-memory database (nothing touches the
 * disk), only there so services can build their statements.
 */
const openMissing = (path: string): Effect.Effect<Service, ProviderUnavailable, Scope.Scope> =>
  Effect.gen(function*() {
    const context = yield* Layer.build(LibsqlClient.layer({ url: ":memory:" })).pipe(
      Effect.catchAllDefect((defect) => Effect.fail(unavailable("LocalStore.make", "cannot open an in-memory database", defect)))
    )
    const missing = Effect.fail(missingStore(path))
    return {
      path,
      sql: Context.get(context, SqlClient.SqlClient),
      transaction: () => missing,
      autocommit: () => missing,
      read: () => missing,
      integrityCheck: missing
    }
  })

const open = (
  path: string,
  options: Options
): Effect.Effect<Service, ProviderUnavailable | InvalidInput, Scope.Scope> =>
  Effect.gen(function*() {
    const busyTimeout = Duration.decodeUnknown(options.busyTimeout ?? Duration.seconds(5))
    const busyMs = Option.match(busyTimeout, { onNone: () => Number.NaN, onSome: Duration.toMillis })
    if (!Number.isFinite(busyMs) || busyMs < 0 || busyMs > 2 ** 31 - 1) {
      return yield* Effect.fail(invalidInput({
        provider: PROVIDER,
        operation: "LocalStore.make",
        path: "busyTimeout",
        description: `must be a finite duration, got ${String(options.busyTimeout)}`
      }))
    }
    const readOnly = options.access === "read"
    if (readOnly) {
      // A read never creates the store: without one, every operation says where it looked.
      if (!(yield* Files.isFile(path, "LocalStore.make"))) return yield* openMissing(path)
    } else {
      yield* Files.makeDirectory(Path.dirname(path), "LocalStore.make")
    }
    const context = yield* Layer.build(LibsqlClient.layer({ url: pathToFileURL(path).href })).pipe(
      Effect.catchAllDefect((defect) => Effect.fail(unavailable("LocalStore.make", `cannot open ${path}`, defect)))
    )
    const sql = Context.get(context, SqlClient.SqlClient)
    const lock = yield* Effect.makeSemaphore(1)
    const held = yield* FiberRef.make<Held>("none")
    const exec = (statement: string) => Effect.asVoid(sql.unsafe(statement).raw)

    const read = <A, E, R>(operation: string, effect: Effect.Effect<A, E, R>) =>
      Effect.flatMap(FiberRef.get(held), (state) =>
        state !== "none" ? effect : lock.withPermits(1)(Effect.locally(effect, held, "read"))).pipe(
          mapSqlError(operation, path),
          Effect.withTracerEnabled(false)
        )

    const inTransaction = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError, R> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(exec("BEGIN IMMEDIATE"), Effect.exit(restore(Effect.locally(effect, held, "write")))).pipe(
          Effect.flatMap((exit): Effect.Effect<A, E | SqlError> =>
            Exit.isSuccess(exit)
              ? Effect.as(Effect.tapError(exec("COMMIT"), () => Effect.ignore(exec("ROLLBACK"))), exit.value)
              : Effect.zipRight(Effect.ignore(exec("ROLLBACK")), exit)
          )
        )
      )

    const transaction = <A, E, R>(operation: string, effect: Effect.Effect<A, E, R>) =>
      Effect.flatMap(FiberRef.get(held), (state): Effect.Effect<A, E | SqlError, R> =>
        state === "write"
          ? effect
          : state === "read"
          ? inTransaction(effect)
          : lock.withPermits(1)(inTransaction(effect))).pipe(
          mapSqlError(operation, path),
          Effect.withTracerEnabled(false)
        )

    const setup = Effect.gen(function*() {
      yield* exec(`PRAGMA busy_timeout = ${Math.round(busyMs)}`)
      const [mode] = yield* sql<{ readonly journal_mode: string }>`PRAGMA journal_mode = WAL`
      if (mode?.journal_mode !== "wal") {
        return yield* Effect.fail(
          unavailable("LocalStore.make", `cannot use ${path}`, new Error(`journal_mode is ${mode?.journal_mode}, not wal`))
        )
      }
      yield* exec(`PRAGMA synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`)
    })
    if (readOnly) {
      // `@libsql/client` has no read-only open (its URL takes no `mode=ro`, its driver no `readonly` flag), so
      // SQLite itself refuses every write on this connection: `query_only` fails any statement that would change
      // the file (a write even root could make), and nothing here changes the journal mode, migrates or
      // checkpoints. A file the process may not write is opened read-only by SQLite on its own.
      yield* read("LocalStore.make", Effect.zipRight(
        exec(`PRAGMA busy_timeout = ${Math.round(busyMs)}`),
        exec("PRAGMA query_only = 1")
      ))
      yield* read("LocalStore.make", checkVersion(sql, path))
    } else {
      yield* read("LocalStore.make", setup)
      // Fold the WAL into the main file when the store closes, so the
      // `.sqlite` file alone is complete (libsql leaves the WAL behind). When
      // no other connection has it open, the file also goes back to rollback
      // journaling (the next writer switches it to WAL again): a WAL file
      // without its `-shm` cannot be read from a read-only directory, even by
      // a read-only connection, and reads must work there. Another process
      // still connected keeps it in WAL (the switch fails at once, ignored).
      yield* Effect.addFinalizer(() =>
        Effect.ignore(read(
          "LocalStore.close",
          Effect.zipRight(
            exec("PRAGMA wal_checkpoint(TRUNCATE)"),
            Effect.zipRight(exec("PRAGMA busy_timeout = 0"), exec("PRAGMA journal_mode = DELETE"))
          )
        ))
      )
    }

    if (!readOnly) yield* transaction(
      "LocalStore.migrate",
      Effect.gen(function*() {
        const [row] = yield* sql<{ readonly user_version: number }>`PRAGMA user_version`
        const current = Number(row?.user_version ?? 0)
        if (current > migrations.length) {
          return yield* Effect.fail(
            unavailable(
              "LocalStore.migrate",
              `cannot use ${path}`,
              new Error(`its schema version ${current} is newer than this package's (${migrations.length}); upgrade @promptops/local`)
            )
          )
        }
        for (const migration of migrations.slice(current)) {
          for (const statement of migration) yield* exec(statement)
        }
        if (current < migrations.length) yield* exec(`PRAGMA user_version = ${migrations.length}`)
      })
    )

    return {
      path,
      sql,
      transaction,
      autocommit: read,
      read,
      integrityCheck: read(
        "LocalStore.integrityCheck",
        Effect.map(sql<{ readonly integrity_check: string }>`PRAGMA integrity_check`, (rows) =>
          rows.map((row) => row.integrity_check))
      )
    } satisfies Service
  })

interface Shared {
  refs: number
  readonly service: Service
  readonly scope: Scope.CloseableScope
}

/** Stores open in this process, by access and resolved path (`write:/a/b.sqlite`). */
const shared = new Map<string, Shared>()
const sharedLock = Effect.unsafeMakeSemaphore(1)

/** A read shares the process's write connection when there is one (it only reads through it). */
const acquire = (path: string, options: Options) =>
  sharedLock.withPermits(1)(
    Effect.suspend(() => {
      const own = `${options.access ?? "write"}:${path}`
      const key = options.access === "read" && shared.has(`write:${path}`) ? `write:${path}` : own
      const entry = shared.get(key)
      if (entry !== undefined) {
        entry.refs++
        return Effect.succeed({ key, service: entry.service })
      }
      return Effect.flatMap(Scope.make(), (scope) =>
        open(path, options).pipe(
          Scope.extend(scope),
          Effect.tap((service) => Effect.sync(() => shared.set(key, { refs: 1, service, scope }))),
          Effect.map((service) => ({ key, service })),
          Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
        ))
    })
  )

const release = (key: string) =>
  sharedLock.withPermits(1)(
    Effect.suspend(() => {
      const entry = shared.get(key)
      if (entry === undefined) return Effect.void
      entry.refs--
      if (entry.refs > 0) return Effect.void
      shared.delete(key)
      return Scope.close(entry.scope, Exit.void)
    })
  )

/**
 * Opens (or shares, when this process has it open already) the store at
 * `options.database`, creating and migrating it as needed (with `access:
 * "read"`, neither: see `Options.access`). Closed when the last scope using
 * it closes. A second opener's `synchronous` and `busyTimeout` are ignored
 * while the first keeps it open.
 *
 * @since 0.1.0
 */
export const make = (options: Options): Effect.Effect<Service, ProviderUnavailable | InvalidInput, Scope.Scope> => {
  const path = Path.resolve(options.database)
  return Effect.map(
    Effect.acquireRelease(acquire(path, options), ({ key }) => release(key)),
    ({ service }) => service
  )
}

/**
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<LocalStore, ProviderUnavailable | InvalidInput> =>
  Layer.scoped(LocalStore, make(options))
