/**
 * Reading tables page by page by their `seq` column, and the JSON columns of
 * a row.
 */
import type { SqlError } from "@effect/sql/SqlError"
import type { DecodeError, InvalidInput, ProviderUnavailable } from "@promptops/core/PromptOpsError"
import type { Service as Store } from "../LocalStore.js"
import { Chunk, Effect, Either, Option, Stream } from "effect"
import { decode, encode } from "./json.js"

/** Rows per page when streaming a table. */
export const PAGE_SIZE = 500

/**
 * Rows per multi-row `INSERT`: 17,000 bound parameters for the widest table
 * (spans, 17 columns), under SQLite's 32,766.
 */
export const INSERT_CHUNK = 1000

/**
 * Every row from `start`, page by page: `fetch(cursor)` returns up to
 * `PAGE_SIZE` rows after the cursor, and the last row's `seq` is the next cursor.
 */
export const pages = <Row extends { readonly seq: number }, A, E>(
  start: number,
  fetch: (cursor: number) => Effect.Effect<ReadonlyArray<Row>, E>,
  decodeRow: (row: Row) => Either.Either<A, DecodeError>
): Stream.Stream<A, E | DecodeError> =>
  Stream.paginateChunkEffect(start, (cursor) =>
    Effect.flatMap(fetch(cursor), (rows) => {
      const out: Array<A> = []
      for (const row of rows) {
        const decoded = decodeRow(row)
        if (Either.isLeft(decoded)) return Effect.fail(decoded.left)
        out.push(decoded.right)
      }
      const last = rows[rows.length - 1]
      return Effect.succeed(
        [Chunk.unsafeFromArray(out), rows.length < PAGE_SIZE || last === undefined ? Option.none() : Option.some(last.seq)] as const
      )
    }))

/**
 * Upserts `rows` with one multi-row statement per `INSERT_CHUNK`: a single
 * statement runs in SQLite's implicit transaction, more in one explicit
 * transaction, so the write is all or nothing either way.
 */
export const upsertAll = <Row>(
  store: Store,
  operation: string,
  rows: ReadonlyArray<Row>,
  statement: (chunk: ReadonlyArray<Row>) => Effect.Effect<unknown, SqlError>
): Effect.Effect<void, ProviderUnavailable> => {
  if (rows.length === 0) return Effect.void
  if (rows.length <= INSERT_CHUNK) return Effect.asVoid(store.autocommit(operation, statement(rows)))
  return store.transaction(operation, Effect.forEach(chunks(rows, INSERT_CHUNK), statement, { discard: true }))
}

/** Splits `items` into chunks of `size`. */
export const chunks = <A>(items: ReadonlyArray<A>, size: number): ReadonlyArray<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * Decodes the JSON columns of a row, throwing the `DecodeError` of the first
 * bad one to the caller's `Either.try` (see `decodeRow`).
 */
export class ColumnReader {
  constructor(
    readonly operation: string,
    readonly where: string
  ) {}
  json(text: unknown, column: string): unknown {
    const decoded = decode(text, this.operation, `${this.where}.${column}`)
    if (Either.isLeft(decoded)) throw new ColumnError(decoded.left)
    return decoded.right
  }
}

class ColumnError {
  constructor(readonly error: DecodeError) {}
}

/** Runs a row decoder written with `ColumnReader`, turning a bad column into its `DecodeError`. */
export const decodeRow = <A>(
  operation: string,
  where: string,
  f: (columns: ColumnReader) => A
): Either.Either<A, DecodeError> => {
  try {
    return Either.right(f(new ColumnReader(operation, where)))
  } catch (cause) {
    if (cause instanceof ColumnError) return Either.left(cause.error)
    throw cause
  }
}

/** Encodes the JSON columns of a row, throwing the `InvalidInput` of the first bad value to `encodeRow`. */
export class ColumnWriter {
  constructor(
    readonly operation: string,
    readonly where: string
  ) {}
  json(value: unknown, field: string): string | null {
    const encoded = encode(value, this.operation, `${this.where}.${field}`)
    if (Either.isLeft(encoded)) throw new ColumnInvalid(encoded.left)
    return encoded.right
  }
}

class ColumnInvalid {
  constructor(readonly error: InvalidInput) {}
}

/** Runs a row encoder written with `ColumnWriter`, turning a value without JSON form into its `InvalidInput`. */
export const encodeRow = <A>(
  operation: string,
  where: string,
  f: (columns: ColumnWriter) => A
): Either.Either<A, InvalidInput> => {
  try {
    return Either.right(f(new ColumnWriter(operation, where)))
  } catch (cause) {
    if (cause instanceof ColumnInvalid) return Either.left(cause.error)
    throw cause
  }
}

/** Encodes every item, failing with the first bad one. */
export const encodeAll = <A, B>(
  operation: string,
  items: ReadonlyArray<A>,
  where: (index: number) => string,
  f: (columns: ColumnWriter, item: A) => B
): Either.Either<ReadonlyArray<B>, InvalidInput> => {
  const out: Array<B> = []
  for (let index = 0; index < items.length; index++) {
    const encoded = encodeRow(operation, where(index), (columns) => f(columns, items[index]!))
    if (Either.isLeft(encoded)) return Either.left(encoded.left)
    out.push(encoded.right)
  }
  return Either.right(out)
}
