/**
 * The neutral span: what the promptops `Tracer` turns every ended Effect span
 * into, and what a `SpanSink` exports.
 *
 * These are plain structs, not classes: records are built on the caller's hot
 * path and must cost next to nothing.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import * as Records from "./Records.js"
import { Metadata } from "./Dataset.js"
import { Scores } from "./Experiment.js"

/**
 * @since 0.1.0
 */
export const SpanKind: Schema.Literal<["llm", "task", "tool", "retrieval", "function", "eval", "score", "span"]> =
  Schema.Literal("llm", "task", "tool", "retrieval", "function", "eval", "score", "span")
/** @since 0.1.0 */
export type SpanKind = typeof SpanKind.Type

/**
 * Where a span is stored: the project's logs, or an experiment.
 *
 * @since 0.1.0
 */
export const Destination: Schema.Union<[
  Schema.TaggedStruct<"ProjectLogs", {}>,
  Schema.TaggedStruct<"Experiment", { experimentId: typeof Schema.String }>
]> = Schema.Union(
  Schema.TaggedStruct("ProjectLogs", {}),
  Schema.TaggedStruct("Experiment", { experimentId: Schema.String })
)
/** @since 0.1.0 */
export type Destination = typeof Destination.Type

/**
 * Token usage, cost, and any other numeric metric.
 *
 * @since 0.1.0
 */
export const SpanMetrics: Records.Of<typeof Schema.Number> = Records.of(Schema.Number)
/**
 * Well-known keys: `promptTokens`, `completionTokens`, `totalTokens`, `cost`.
 *
 * @since 0.1.0
 */
export type SpanMetrics = typeof SpanMetrics.Type

/** @since 0.1.0 */
export const SpanError = Schema.Struct({
  message: Schema.String,
  type: Schema.optional(Schema.String),
  stack: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type SpanError = typeof SpanError.Type

/**
 * @since 0.1.0
 */
export const SpanRecord = Schema.Struct({
  /** 32 lowercase hex characters. */
  traceId: Schema.String,
  /** 16 lowercase hex characters. */
  spanId: Schema.String,
  parentSpanId: Schema.optional(Schema.String),
  name: Schema.String,
  kind: SpanKind,
  /** Unix milliseconds, fractional. */
  startTime: Schema.Number,
  /** Unix milliseconds, fractional. */
  endTime: Schema.Number,
  input: Schema.optional(Schema.Unknown),
  output: Schema.optional(Schema.Unknown),
  expected: Schema.optional(Schema.Unknown),
  error: Schema.optional(SpanError),
  metadata: Metadata,
  metrics: SpanMetrics,
  scores: Schema.optional(Scores),
  tags: Schema.optional(Schema.Array(Schema.String)),
  destination: Destination,
  /** Set when redaction or size bounds changed the data. */
  truncated: Schema.optional(Schema.Boolean)
})
/** @since 0.1.0 */
export type SpanRecord = typeof SpanRecord.Type
