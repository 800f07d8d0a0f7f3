/**
 * `TraceReader` over the store's `spans` table. The cursor is the span's
 * insertion sequence (`seq`, never reused), as a decimal string; a span
 * re-exported later keeps its place. Without `experimentId` a read returns
 * project-log spans only; with it, only that experiment's. Newest first is
 * `ORDER BY seq DESC LIMIT n`: a tail reads only the rows it shows.
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
          const traceId = options.traceId
          const filters = [
            sql`seq > ${after}`,
            options.experimentId === undefined ? sql`experiment_id IS NULL` : sql`experiment_id = ${options.experimentId}`,
            ...(traceId === undefined
              ? []
              // A prefix is hex only (checked by `TraceReader.make`): no LIKE wildcard can be in it.
              : [options.traceIdPrefix ? sql`trace_id LIKE ${`${traceId}%`}` : sql`trace_id = ${traceId}`])
          ]
          if (traceId !== undefined && options.traceIdPrefix) {
            const traces = yield* store.read(
              "TraceReader.read",
              sql<{ readonly trace_id: string }>`SELECT DISTINCT trace_id FROM spans WHERE ${sql.and(filters)} LIMIT 11`
            )
            if (traces.length > 1) {
              return yield* Effect.fail(TraceReader.ambiguousTraceId(PROVIDER, traceId, traces.map((row) => row.trace_id)))
            }
          }
          const newest = options.order === "newest"
          const rows = yield* store.read(
            "TraceReader.read",
            sql<SpanRow>`SELECT ${sql.literal(COLUMNS)} FROM spans WHERE ${sql.and(filters)}
              ORDER BY seq ${sql.literal(newest ? "DESC" : "ASC")} LIMIT ${options.limit}`
          )
          const spans = []
          for (const row of rows) spans.push(yield* decode(row))
          // Newest first, the cursor is past the first row (the newest); oldest first, past the last.
          const edge = newest ? rows[0] : rows[rows.length - 1]
          return { spans, cursor: edge === undefined ? options.after : String(edge.seq) }
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


