/**
 * A `SpanRecord` as a row of the `spans` table, and back.
 */
import type { DecodeError, InvalidInput } from "@promptops/core/PromptOpsError"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import type { Either } from "effect"
import { type ColumnWriter, decodeRow, encodeAll } from "./rows.js"

/** The columns `SELECT`ed for a span. */
export const COLUMNS =
  "seq, trace_id, span_id, parent_span_id, experiment_id, name, kind, start_time, end_time, input, output, expected, error, metadata, metrics, scores, tags, truncated"

/** A stored span. */
export interface SpanRow {
  readonly seq: number
  readonly trace_id: string
  readonly span_id: string
  readonly parent_span_id: string | null
  readonly experiment_id: string | null
  readonly name: string
  readonly kind: string
  readonly start_time: number
  readonly end_time: number
  readonly input: string | null
  readonly output: string | null
  readonly expected: string | null
  readonly error: string | null
  readonly metadata: string
  readonly metrics: string
  readonly scores: string | null
  readonly tags: string | null
  readonly truncated: number | null
}

const toRow = (columns: ColumnWriter, span: SpanRecord) => ({
  trace_id: span.traceId,
  span_id: span.spanId,
  parent_span_id: span.parentSpanId ?? null,
  experiment_id: span.destination._tag === "Experiment" ? span.destination.experimentId : null,
  name: span.name,
  kind: span.kind,
  start_time: span.startTime,
  end_time: span.endTime,
  input: columns.json(span.input, "input"),
  output: columns.json(span.output, "output"),
  expected: columns.json(span.expected, "expected"),
  error: columns.json(span.error, "error"),
  metadata: columns.json(span.metadata, "metadata") ?? "{}",
  metrics: columns.json(span.metrics, "metrics") ?? "{}",
  scores: columns.json(span.scores, "scores"),
  tags: columns.json(span.tags, "tags"),
  truncated: span.truncated === undefined ? null : span.truncated ? 1 : 0
})

/** The rows of a batch, or the `InvalidInput` of the first value without a JSON form. */
export const encodeBatch = (
  batch: ReadonlyArray<SpanRecord>
): Either.Either<ReadonlyArray<ReturnType<typeof toRow>>, InvalidInput> =>
  encodeAll("SpanSink.export", batch, (index) => `batch[${index}]`, toRow)

/** A stored span as a `SpanRecord`. */
export const decode = (row: SpanRow): Either.Either<SpanRecord, DecodeError> =>
  decodeRow("TraceReader.read", `span ${row.span_id}`, (columns): SpanRecord => {
    const input = columns.json(row.input, "input")
    const output = columns.json(row.output, "output")
    const expected = columns.json(row.expected, "expected")
    const error = columns.json(row.error, "error") as SpanRecord["error"]
    const scores = columns.json(row.scores, "scores") as SpanRecord["scores"]
    const tags = columns.json(row.tags, "tags") as SpanRecord["tags"]
    return {
      traceId: row.trace_id,
      spanId: row.span_id,
      ...(row.parent_span_id !== null ? { parentSpanId: row.parent_span_id } : {}),
      name: row.name,
      kind: row.kind as SpanRecord["kind"],
      startTime: row.start_time,
      endTime: row.end_time,
      ...(input !== undefined ? { input } : {}),
      ...(output !== undefined ? { output } : {}),
      ...(expected !== undefined ? { expected } : {}),
      ...(error !== undefined ? { error } : {}),
      metadata: columns.json(row.metadata, "metadata") as SpanRecord["metadata"],
      metrics: columns.json(row.metrics, "metrics") as SpanRecord["metrics"],
      ...(scores !== undefined ? { scores } : {}),
      ...(tags !== undefined ? { tags } : {}),
      destination: row.experiment_id === null
        ? { _tag: "ProjectLogs" }
        : { _tag: "Experiment", experimentId: row.experiment_id },
      ...(row.truncated !== null ? { truncated: row.truncated === 1 } : {})
    }
  })
