/**
 * The neutral `SpanSink` on Braintrust rows. Each batch is one cross-object
 * insert (`POST /v1/insert`), its rows grouped by destination: spans routed to
 * an experiment go to that experiment, all others to the project logs of the
 * configured project.
 *
 * A `SpanRecord` becomes the row Braintrust's own SDK writes:
 *
 * ```json
 * { "id": "<span id>", "span_id": "<span id>", "root_span_id": "<trace id>",
 *   "span_parents": ["<parent span id>"],
 *   "span_attributes": { "name": "llm call", "type": "llm" },
 *   "created": "2026-11-22T10:00:00.000Z",
 *   "input": …, "output": …, "expected": …,
 *   "error": "boom\n\nError: boom\n    at …",
 *   "metadata": { … },
 *   "metrics": { "start": 1795341600, "end": 1795341600.25,
 *                "prompt_tokens": 3, "completion_tokens": 4, "tokens": 7 },
 *   "scores": { … }, "tags": [ … ] }
 * ```
 *
 * - The row id is the span id, generated before the first attempt, so a
 *   retried batch replaces its rows instead of duplicating them.
 * - `span_attributes.type` is the span kind where Braintrust has it (`llm`,
 *   `task`, `tool`, `function`, `eval`, `score`); a `retrieval` span is a
 *   `tool` and a plain `span` a `function`, with the neutral kind kept in
 *   `span_attributes.promptops_kind`.
 * - `error` is one string, the message, a blank line, then the stack (the
 *   span's `Cause.pretty`), as the SDK's `logError` writes it and Braintrust's
 *   UI shows it; `fromRow` reads the message, stack and type back from it.
 * - `metadata` is left out when it is empty, as the SDK leaves it out.
 * - `metrics.start`/`end` are unix seconds; `promptTokens`,
 *   `completionTokens`, `totalTokens` become `prompt_tokens`,
 *   `completion_tokens`, `tokens` (integers); other numeric metrics keep their names.
 * - The `eval` span of an experiment is written as a merge (`_is_merge`), so
 *   it and the result row `Experiments.log` merges into it combine in either order.
 *
 * Limits: 100 rows and 3 MiB of JSON per batch (half Braintrust's 6 MiB request limit).
 *
 * @since 0.1.0
 */
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import * as Records from "@promptops/core/Records"
import type { Destination, SpanKind, SpanRecord } from "@promptops/core/SpanRecord"
import * as SpanSink from "@promptops/core/SpanSink"
import { Effect, Layer } from "effect"
import { BraintrustClient, provider } from "./BraintrustClient.js"
import type * as BraintrustSchema from "./BraintrustSchema.js"
import * as SpanErrorText from "./internal/spanError.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /** The project whose logs receive spans not routed to an experiment; default: the client's `project`. */
  readonly project?: string | undefined
}

/**
 * What one export may carry: 100 rows, 3 MiB.
 *
 * @since 0.1.0
 */
export const limits: SpanSink.Limits = { maxRows: 100, maxBytes: 3 * 1024 * 1024 }

/**
 * The Braintrust span type of a neutral span kind.
 *
 * @since 0.1.0
 */
export const spanType = (kind: SpanKind): BraintrustSchema.SpanType => {
  switch (kind) {
    case "retrieval":
      return "tool"
    case "span":
      return "function"
    default:
      return kind
  }
}

const kindOf = (type: unknown, stored: unknown): SpanKind => {
  switch (stored ?? type) {
    case "llm":
    case "task":
    case "tool":
    case "retrieval":
    case "function":
    case "eval":
    case "score":
    case "span":
      return (stored ?? type) as SpanKind
    default:
      return "span"
  }
}

// Maps, not object literals: a user's metric named `constructor` must not find `Object`.
const metricNames: ReadonlyMap<string, string> = new Map([
  ["promptTokens", "prompt_tokens"],
  ["completionTokens", "completion_tokens"],
  ["totalTokens", "tokens"]
])

const neutralMetricNames: ReadonlyMap<string, string> = new Map([...metricNames].map(([neutral, braintrust]) => [braintrust, neutral]))

const hasKeys = (record: Readonly<Record<string, unknown>>): boolean => {
  for (const _ in record) return true
  return false
}

/**
 * The row of a span.
 *
 * @since 0.1.0
 */
export const toRow = (record: SpanRecord): BraintrustSchema.InsertProjectLogsEvent => {
  const type = spanType(record.kind)
  const metrics: Record<string, number> = {}
  if (Number.isFinite(record.startTime)) metrics["start"] = record.startTime / 1000
  if (Number.isFinite(record.endTime)) metrics["end"] = record.endTime / 1000
  const recordMetrics = record.metrics
  for (const key in recordMetrics) {
    if (!Object.prototype.hasOwnProperty.call(recordMetrics, key)) continue
    const value = recordMetrics[key]
    if (typeof value !== "number" || !Number.isFinite(value)) continue
    const name = metricNames.get(key)
    if (name !== undefined) metrics[name] = Math.round(value)
    else if (key !== "start" && key !== "end") Records.set(metrics, key, value)
  }
  // Built by assignment rather than conditional spreads (this runs for every exported span, and each
  // `...(c ? {…} : {})` allocates and copies): the keys are set in the order the wire form lists them.
  const row: Record<string, unknown> = { id: record.spanId, span_id: record.spanId, root_span_id: record.traceId }
  if (record.parentSpanId !== undefined) row["span_parents"] = [record.parentSpanId]
  row["span_attributes"] = type !== record.kind
    ? { name: record.name, type, promptops_kind: record.kind }
    : { name: record.name, type }
  // `new Date(NaN).toISOString()` throws; a span without a start time has no `created`.
  if (Number.isFinite(record.startTime)) row["created"] = new Date(record.startTime).toISOString()
  if (record.input !== undefined) row["input"] = record.input
  if (record.output !== undefined) row["output"] = record.output
  if (record.expected !== undefined) row["expected"] = record.expected
  if (record.error !== undefined) row["error"] = SpanErrorText.format(record.error)
  if (record.truncated === true) row["metadata"] = { ...record.metadata, promptops_truncated: true }
  else if (hasKeys(record.metadata)) row["metadata"] = record.metadata
  row["metrics"] = metrics
  if (record.scores !== undefined) row["scores"] = record.scores
  if (record.tags !== undefined) row["tags"] = record.tags
  if (record.kind === "eval" && record.destination._tag === "Experiment") row["_is_merge"] = true
  return row as BraintrustSchema.InsertProjectLogsEvent
}

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Reads a fetched row back as a span (the inverse of `toRow`).
 *
 * @since 0.1.0
 */
export const fromRow = (
  row: BraintrustSchema.ProjectLogsEvent | BraintrustSchema.ExperimentEvent,
  destination: Destination
): SpanRecord => {
  const attributes = row.span_attributes ?? {}
  const rowMetrics = isRecord(row.metrics) ? row.metrics : {}
  const start = typeof rowMetrics["start"] === "number" ? rowMetrics["start"] : 0
  const end = typeof rowMetrics["end"] === "number" ? rowMetrics["end"] : start
  const metrics: Record<string, number> = {}
  for (const [key, value] of Object.entries(rowMetrics)) {
    if (key === "start" || key === "end" || typeof value !== "number") continue
    Records.set(metrics, neutralMetricNames.get(key) ?? key, value)
  }
  const { promptops_truncated, ...metadata } = isRecord(row.metadata) ? row.metadata : {}
  const error = row.error
  const scores: Record<string, number | null> = {}
  for (const [name, value] of Object.entries(row.scores ?? {})) Records.set(scores, name, value)
  return {
    traceId: row.root_span_id,
    spanId: row.span_id,
    ...(Array.isArray(row.span_parents) && row.span_parents[0] !== undefined ? { parentSpanId: row.span_parents[0] } : {}),
    name: typeof attributes.name === "string" ? attributes.name : "",
    kind: kindOf(attributes.type, attributes["promptops_kind"]),
    startTime: start * 1000,
    endTime: end * 1000,
    ...(row.input !== undefined ? { input: row.input } : {}),
    ...(row.output !== undefined ? { output: row.output } : {}),
    ...(row.expected !== undefined ? { expected: row.expected } : {}),
    ...(error === undefined || error === null
      ? {}
      : {
        // A string as the SDK and `toRow` write it; an object as other writers may.
        error: typeof error === "string"
          ? SpanErrorText.parse(error)
          : isRecord(error) && typeof error["message"] === "string"
          ? {
            message: error["message"],
            ...(typeof error["type"] === "string" ? { type: error["type"] } : {}),
            ...(typeof error["stack"] === "string" ? { stack: error["stack"] } : {})
          }
          : { message: JSON.stringify(error) }
      }),
    metadata,
    metrics,
    ...(row.scores !== undefined && row.scores !== null ? { scores } : {}),
    ...(Array.isArray(row.tags) ? { tags: row.tags } : {}),
    destination,
    ...(promptops_truncated === true ? { truncated: true } : {})
  }
}

/**
 * The request body of one batch: rows grouped by experiment and project logs.
 *
 * @since 0.1.0
 */
export const toInsertRequest = (
  batch: ReadonlyArray<SpanRecord>,
  projectId: string
): BraintrustSchema.CrossObjectInsertRequest => {
  const experiments: Record<string, { events: Array<BraintrustSchema.InsertExperimentEvent> }> = {}
  const logs: Array<BraintrustSchema.InsertProjectLogsEvent> = []
  for (const record of batch) {
    const row = toRow(record)
    if (record.destination._tag === "Experiment") {
      const id = record.destination.experimentId
      ;(experiments[id] ??= { events: [] }).events.push(row)
    } else {
      logs.push(row)
    }
  }
  return {
    ...(Object.keys(experiments).length > 0 ? { experiment: experiments } : {}),
    ...(logs.length > 0 ? { project_logs: { [projectId]: { events: logs } } } : {})
  }
}

/**
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<SpanSink.SpanSink.Service, never, BraintrustClient> =>
  Effect.map(BraintrustClient, (client) =>
    SpanSink.make({
      provider,
      limits,
      export: (batch) =>
        Effect.gen(function*() {
          if (batch.length === 0) return
          // Only spans for the project logs need the project (one cached get-or-create).
          const projectId = batch.some((record) => record.destination._tag === "ProjectLogs")
            ? (yield* client.resolveProject(options.project)).id
            : ""
          // `toRow` builds wire-form rows from sanitised records (a test checks the schema pass is the identity on them).
          yield* client.insert(toInsertRequest(batch, projectId), { prevalidated: true })
        })
    }))

/**
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<SpanSink.SpanSink, never, BraintrustClient> =>
  Layer.effect(SpanSink.SpanSink, make(options))

/**
 * Every stored span of a trace, read back from the project logs (or the
 * experiment the destination names). Walks every row of the object: meant
 * for tests and debugging, not for large projects.
 *
 * @since 0.1.0
 */
export const readTrace = (
  traceId: string,
  options: { readonly destination?: Destination | undefined; readonly project?: string | undefined } = {}
): Effect.Effect<ReadonlyArray<SpanRecord>, PromptOpsError, BraintrustClient> =>
  Effect.gen(function*() {
    const client = yield* BraintrustClient
    const destination: Destination = options.destination ?? { _tag: "ProjectLogs" }
    const rows: ReadonlyArray<BraintrustSchema.ProjectLogsEvent | BraintrustSchema.ExperimentEvent> =
      destination._tag === "Experiment"
        ? yield* client.experiments.fetchAll(destination.experimentId)
        : yield* client.projectLogs.fetchAll((yield* client.findProject(options.project)).id)
    return rows.filter((row) => row.root_span_id === traceId).map((row) => fromRow(row, destination))
  })
