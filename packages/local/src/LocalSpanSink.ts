/**
 * `SpanSink` into the SQLite store: the tracing pipeline's batches land in
 * the `spans` table, one transaction per batch. Re-exporting a span (same
 * trace and span id: a retried batch) replaces the stored row in place, so
 * retries never duplicate and the span keeps its position for `TraceReader`.
 *
 * @since 0.1.0
 */
import * as SpanSink from "@promptops/core/SpanSink"
import { Effect, Layer } from "effect"
import { PROVIDER } from "./internal/errors.js"
import { upsertAll } from "./internal/rows.js"
import { encodeBatch } from "./internal/spanRows.js"
import { LocalStore } from "./LocalStore.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /** Batch bounds advertised to the tracing pipeline (default `defaultLimits`). */
  readonly limits?: Partial<SpanSink.Limits> | undefined
}

/**
 * 100 spans or 3 MiB per batch (one multi-row statement). SQLite writes
 * synchronously, so a batch is also how long the event loop is held: larger
 * batches measured no faster (the cost is per row, inside SQLite) and hold
 * the loop longer.
 *
 * @since 0.1.0
 */
export const defaultLimits: SpanSink.Limits = { maxRows: 100, maxBytes: 3 * 1024 * 1024 }

/**
 * The sink over the store in context.
 *
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<SpanSink.SpanSink.Service, never, LocalStore> =>
  Effect.map(LocalStore, (store) => {
    const sql = store.sql
    return SpanSink.make({
      provider: PROVIDER,
      limits: { ...defaultLimits, ...options.limits },
      export: (batch) =>
        Effect.flatMap(encodeBatch(batch), (rows) =>
          upsertAll(
            store,
            "SpanSink.export",
            rows,
            (chunk) =>
              sql`INSERT INTO spans ${sql.insert(chunk)}
                  ON CONFLICT (trace_id, span_id) DO UPDATE SET
                    parent_span_id = excluded.parent_span_id, experiment_id = excluded.experiment_id,
                    name = excluded.name, kind = excluded.kind, start_time = excluded.start_time,
                    end_time = excluded.end_time, input = excluded.input, output = excluded.output,
                    expected = excluded.expected, error = excluded.error, metadata = excluded.metadata,
                    metrics = excluded.metrics, scores = excluded.scores, tags = excluded.tags,
                    truncated = excluded.truncated`
          ))
    })
  })

/**
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<SpanSink.SpanSink, never, LocalStore> =>
  Layer.effect(SpanSink.SpanSink, make(options))
