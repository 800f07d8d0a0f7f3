/**
 * `Datasets` from two places: files in the datasets directory
 * (`<name>.jsonl` / `<name>.csv`, see `DatasetFile`), read-only, and the
 * SQLite store, where `insert` writes.
 *
 * A name is either file-backed or stored, never both: `insert` into a name
 * that has a file, and `records` of a name found in two places (two files, or
 * a file and the store), are `InvalidInput`s naming the places, so no row is
 * ever silently hidden. `list` shows file datasets (by name) then stored ones
 * (oldest first). Re-inserting a record id replaces that record in place.
 *
 * @since 0.1.0
 */
import * as Path from "node:path"
import type { Dataset, DatasetRecord } from "@promptops/core/Dataset"
import * as Datasets from "@promptops/core/Datasets"
import * as Ids from "@promptops/core/Ids"
import { invalidInput, type PromptOpsError } from "@promptops/core/PromptOpsError"
import { Clock, Effect, Either, Layer, Option, Stream } from "effect"
import * as DatasetFile from "./DatasetFile.js"
import { notFound, PROVIDER } from "./internal/errors.js"
import * as Files from "./internal/files.js"
import { chunks, decodeRow, encodeAll, INSERT_CHUNK, PAGE_SIZE, pages } from "./internal/rows.js"
import * as LocalStore from "./LocalStore.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /** The datasets directory (need not exist). */
  readonly dir: string
}

interface DatasetRow {
  readonly seq: number
  readonly name: string
  readonly id: string
  readonly description: string | null
}

interface RecordRow {
  readonly seq: number
  readonly id: string
  readonly input: string | null
  readonly expected: string | null
  readonly metadata: string | null
  readonly tags: string | null
}

const decodeRecord = (name: string) => (row: RecordRow) =>
  decodeRow("Datasets.records", `dataset "${name}" record ${row.id}`, (columns): DatasetRecord => {
    const expected = columns.json(row.expected, "expected")
    const metadata = columns.json(row.metadata, "metadata")
    const tags = columns.json(row.tags, "tags")
    return {
      id: row.id,
      input: columns.json(row.input, "input"),
      ...(expected !== undefined ? { expected } : {}),
      ...(metadata !== undefined ? { metadata: metadata as DatasetRecord["metadata"] & object } : {}),
      ...(tags !== undefined ? { tags: tags as ReadonlyArray<string> } : {})
    }
  })

/**
 * The service over the directory and the store in context.
 *
 * @since 0.1.0
 */
export const make = (options: Options): Effect.Effect<Datasets.Datasets.Service, never, LocalStore.LocalStore> =>
  Effect.map(LocalStore.LocalStore, (store) => {
    const dir = Path.resolve(options.dir)
    const sql = store.sql

    /** The dataset files of `name` that exist. */
    const filesOf = (name: string, operation: string) =>
      Effect.filter(DatasetFile.candidates(dir, name), (candidate) => Files.isFile(candidate.path, operation))

    // A read without a store (opened with `access: "read"` before any write) still serves the dataset files.
    const storedDataset = (name: string, operation: string) =>
      store.read(
        operation,
        Effect.map(
          sql<DatasetRow>`SELECT seq, name, id, description FROM datasets WHERE name = ${name}`,
          (rows) => Option.fromNullable(rows[0])
        )
      ).pipe(Effect.catchIf(LocalStore.isMissingStore, () => Effect.succeedNone))

    const records = (name: string): Stream.Stream<DatasetRecord, PromptOpsError> =>
      Stream.unwrap(Effect.gen(function*() {
        const operation = "Datasets.records"
        const files = yield* filesOf(name, operation)
        const stored = yield* storedDataset(name, operation)
        const places = [...files.map((file) => file.path), ...(Option.isSome(stored) ? [`the store ${store.path}`] : [])]
        if (places.length > 1) {
          return yield* Effect.fail(invalidInput({
            provider: PROVIDER,
            operation,
            path: "name",
            description: `dataset "${name}" is in ${places.join(" and ")}; keep one`
          }))
        }
        const file = files[0]
        if (file !== undefined) {
          const parsed = yield* DatasetFile.read(file.path, file.format)
          return Stream.fromIterable(Option.getOrElse(parsed, () => []))
        }
        if (Option.isNone(stored)) return yield* Effect.fail(notFound(operation, `dataset "${name}"`))
        return pages(
          0,
          (after) =>
            store.read(
              operation,
              sql<RecordRow>`SELECT seq, id, input, expected, metadata, tags FROM dataset_records
                WHERE dataset = ${name} AND seq > ${after} ORDER BY seq LIMIT ${PAGE_SIZE}`
            ),
          decodeRecord(name)
        )
      }))

    const insert = (name: string, records: ReadonlyArray<DatasetRecord>): Effect.Effect<void, PromptOpsError> =>
      Effect.gen(function*() {
        const operation = "Datasets.insert"
        const files = yield* filesOf(name, operation)
        if (files.length > 0) {
          return yield* Effect.fail(invalidInput({
            provider: PROVIDER,
            operation,
            path: "name",
            description: `dataset "${name}" is read from ${files[0]!.path}; add the rows to that file, or insert under another name`
          }))
        }
        const rows = yield* encodeAll(operation, records, (index) => `records[${index}]`, (columns, record) => ({
          dataset: name,
          id: record.id,
          input: columns.json(record.input, "input"),
          expected: columns.json(record.expected, "expected"),
          metadata: columns.json(record.metadata, "metadata"),
          tags: columns.json(record.tags, "tags")
        }))
        const now = yield* Clock.currentTimeMillis
        yield* store.transaction(
          operation,
          Effect.gen(function*() {
            yield* sql`INSERT INTO datasets (name, id, created_at) VALUES (${name}, ${Ids.uuid()}, ${now})
              ON CONFLICT (name) DO NOTHING`
            for (const chunk of chunks(rows, INSERT_CHUNK)) {
              yield* sql`INSERT INTO dataset_records ${sql.insert(chunk)}
                ON CONFLICT (dataset, id) DO UPDATE SET input = excluded.input, expected = excluded.expected,
                  metadata = excluded.metadata, tags = excluded.tags`
            }
          })
        )
      })

    const list = (): Stream.Stream<Dataset, PromptOpsError> =>
      Stream.unwrap(Effect.gen(function*() {
        const names = yield* Files.readDirNames(dir, "Datasets.list")
        const fromFiles = names.flatMap((fileName): Array<Dataset> =>
          Option.match(DatasetFile.nameOf(fileName), {
            onNone: () => [],
            onSome: ({ format, name }) => [{
              id: `file:${fileName}`,
              name,
              source: { provider: PROVIDER, raw: { file: Path.join(dir, fileName), format } }
            }]
          })
        )
        const stored = pages(
          0,
          (after) =>
            store.read(
              "Datasets.list",
              sql<DatasetRow>`SELECT seq, name, id, description FROM datasets
                WHERE seq > ${after} ORDER BY seq LIMIT ${PAGE_SIZE}`
            ),
          (row) =>
            Either.right<Dataset>({
              id: row.id,
              name: row.name,
              ...(row.description !== null ? { description: row.description } : {}),
              source: { provider: PROVIDER, raw: { database: store.path } }
            })
        ).pipe(Stream.catchAll((error) => LocalStore.isMissingStore(error) ? Stream.empty : Stream.fail(error)))
        return Stream.concat(Stream.fromIterable(fromFiles), stored)
      }))

    return Datasets.make({ provider: PROVIDER, list, records, insert })
  })

/**
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<Datasets.Datasets, never, LocalStore.LocalStore> =>
  Layer.effect(Datasets.Datasets, make(options))
