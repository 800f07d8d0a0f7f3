/**
 * `TraceReader` over the store's `spans` table. The cursor is the span's
 * insertion sequence (`seq`, never reused), as a decimal string; a span
 * re-exported later keeps its place. Without `experimentId` a read returns
 * project-log spans only; with it, only that experiment's.
 *
 * @since 0.1.0
 */
import { invalidInput } from "@promptops/core/PromptOpsError"
import * as TraceReader from "@promptops/core/TraceReader"
import { Effect, Layer } from "effect"
import { PROVIDER } from "./internal/errors.js"
import { COLUMNS, decode, type SpanRow } from "./internal/spanRows.js"
import { LocalStore } from "./LocalStore.js"

const CURSOR = /^\d{1,15}$/

/**
 * The reader over the store in context.
 *
 * @since 0.1.0
 */
export const make: Effect.Effect<TraceReader.TraceReader.Service, never, LocalStore> = Effect.map(
  LocalStore,
  (store) => {
    const sql = store.sql
    return TraceReader.make({
      provider: PROVIDER,
      read: (options) =>
        Effect.gen(function*() {
          if (options.after !== undefined && !CURSOR.test(options.after)) {
            return yield* Effect.fail(invalidInput({
              provider: PROVIDER,
              operation: "TraceReader.read",
              path: "after",
              description: `not a cursor of this backend: ${JSON.stringify(options.after)}`
            }))
          }
          const after = options.after === undefined ? 0 : Number(options.after)
          const filters = [
            sql`seq > ${after}`,
            options.experimentId === undefined ? sql`experiment_id IS NULL` : sql`experiment_id = ${options.experimentId}`,
            ...(options.traceId !== undefined ? [sql`trace_id = ${options.traceId}`] : [])
          ]
          const rows = yield* store.read(
            "TraceReader.read",
            sql<SpanRow>`SELECT ${sql.literal(COLUMNS)} FROM spans WHERE ${sql.and(filters)}
              ORDER BY seq LIMIT ${options.limit}`
          )
          const spans = []
          for (const row of rows) spans.push(yield* decode(row))
          const last = rows[rows.length - 1]
          return { spans, cursor: last === undefined ? options.after : String(last.seq) }
        })
    })
  }
)

/**
 * @since 0.1.0
 */
export const layer: Layer.Layer<TraceReader.TraceReader, never, LocalStore> = Layer.effect(
  TraceReader.TraceReader,
  make
)


