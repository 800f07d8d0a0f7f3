/**
 * The span of the promptops tracer and the `SpanRecord` built from it when it
 * ends: attributes sorted into the record's fields, data sanitised and
 * bounded (with the byte estimates the export queue uses), the error taken
 * from the exit's cause, and the destination inherited from the nearest span
 * that names an experiment.
 *
 * Runs on the caller's fiber at `end()`, so it is written for speed: see the
 * comments on `PromptOpsSpan` and `buildRecord`.
 */
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import type * as Exit from "effect/Exit"
import type * as Option from "effect/Option"
import type * as Tracer from "effect/Tracer"
import * as Ids from "../Ids.js"
import { isPlainObject } from "../Json.js"
import * as Records from "../Records.js"
import type { Destination, SpanError, SpanKind, SpanRecord } from "../SpanRecord.js"
import * as Attr from "./attributes.js"
import * as Sanitize from "./sanitize.js"

/** Where an ended span goes: the export pipeline. */
export interface SpanRecorder {
  readonly record: (span: PromptOpsSpan, endTime: bigint, exit: Exit.Exit<unknown, unknown>) => void
}

const PROJECT_LOGS: Destination = { _tag: "ProjectLogs" }

/**
 * A span of the promptops tracer. Deliberately small: attributes go into one
 * array of alternating keys and values (no Map, no dynamic-key object: both
 * cost more to fill and to walk; one array rather than two halves the
 * allocations) and all the work happens once, in `end`.
 */
export class PromptOpsSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly sampled = true
  readonly spanId: string
  readonly traceId: string
  /** Attribute keys (even indexes) and values (odd), in order; `attributes` (the `Tracer.Span` view) is derived on demand. */
  readonly attrs: Array<unknown> = []
  links: ReadonlyArray<Tracer.SpanLink>
  endTime: bigint | undefined = undefined
  exit: Exit.Exit<unknown, unknown> | undefined = undefined
  /** Set by `promptops.experiment_id`; descendants inherit it. */
  destination: Destination | undefined = undefined

  constructor(
    readonly pipeline: SpanRecorder,
    readonly name: string,
    readonly parent: Option.Option<Tracer.AnySpan>,
    readonly context: Context.Context<never>,
    links: ReadonlyArray<Tracer.SpanLink>,
    readonly startTime: bigint,
    readonly kind: Tracer.SpanKind
  ) {
    this.links = links
    this.spanId = Ids.spanId()
    this.traceId = parent._tag === "Some" ? parent.value.traceId : Ids.traceId()
  }

  get attributes(): ReadonlyMap<string, unknown> {
    const map = new Map<string, unknown>()
    const attrs = this.attrs
    for (let i = 0; i < attrs.length; i += 2) map.set(attrs[i] as string, attrs[i + 1])
    return map
  }

  get status(): Tracer.SpanStatus {
    return this.exit === undefined
      ? { _tag: "Started", startTime: this.startTime }
      : { _tag: "Ended", startTime: this.startTime, endTime: this.endTime!, exit: this.exit }
  }

  attribute(key: string, value: unknown): void {
    const attrs = this.attrs
    let index = attrs.length
    // Spans carry a handful of attributes: a scan beats any index.
    for (let i = 0; i < attrs.length; i += 2) {
      if (attrs[i] === key) {
        index = i
        break
      }
    }
    if (key === Attr.METADATA || key === Attr.SCORES || key === Attr.METRICS) {
      // Documented as "merged": a second annotation adds keys instead of replacing the first.
      const previous = index < attrs.length ? attrs[index + 1] : undefined
      if (isPlainObject(previous) && isPlainObject(value)) value = { ...previous, ...value }
    } else if (key === Attr.EXPERIMENT_ID) {
      this.destination = typeof value === "string" && value !== "" ? experimentDestination(value) : undefined
    }
    if (index === attrs.length) {
      attrs.push(key, value)
    } else {
      attrs[index + 1] = value
    }
  }

  event(_name: string, _startTime: bigint, _attributes?: Record<string, unknown>): void {
    // Span events have no place in a SpanRecord.
  }

  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.links = [...this.links, ...links]
  }

  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    if (this.exit !== undefined) return
    this.endTime = endTime
    this.exit = exit
    this.pipeline.record(this, endTime, exit)
  }
}

/** The last experiment destination made: an eval tags every case's root span with the same one, and records are read-only. */
let lastExperiment: { readonly _tag: "Experiment"; readonly experimentId: string } | undefined

const experimentDestination = (experimentId: string): Destination =>
  lastExperiment !== undefined && lastExperiment.experimentId === experimentId
    ? lastExperiment
    : (lastExperiment = { _tag: "Experiment", experimentId })

const resolveDestination = (span: PromptOpsSpan): Destination => {
  let current: PromptOpsSpan | undefined = span
  while (current !== undefined) {
    if (current.destination !== undefined) return current.destination
    const parent: Option.Option<Tracer.AnySpan> = current.parent
    current = parent._tag === "Some" && parent.value instanceof PromptOpsSpan ? parent.value : undefined
  }
  return PROJECT_LOGS
}


// -----------------------------------------------------------------------------
// Span → SpanRecord
// -----------------------------------------------------------------------------

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const SPAN_KINDS: ReadonlySet<string> = new Set(["llm", "task", "tool", "retrieval", "function", "eval", "score", "span"])

/** Bytes of a record's fixed fields (ids, times, keys), added to the data's estimate. */
export const RECORD_OVERHEAD = 256

const toNumber = (value: unknown): number | undefined => {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined
  if (typeof value === "bigint") return Number(value)
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value)
    return Number.isFinite(n) ? n : undefined
  }
  return undefined
}

/** Shared by every record without metadata or metrics: records are read-only, and most spans have none. */
const EMPTY: Readonly<Record<string, never>> = Object.freeze({})

export const buildRecord = (
  span: PromptOpsSpan,
  endTime: bigint,
  exit: Exit.Exit<unknown, unknown>,
  budget: Sanitize.Budget
): SpanRecord => {
  let metadata: Record<string, unknown> | undefined
  let metrics: Record<string, number> | undefined
  let input: unknown, output: unknown, expected: unknown
  let scores: Record<string, number | null> | undefined
  let tags: Array<string> | undefined
  let kind: SpanKind | undefined
  let genAi = false
  let requestModel: unknown
  let responseModel: unknown
  let recordName: string | undefined
  let omit: ReadonlyArray<unknown> | undefined
  const attrs = span.attrs
  for (let i = 0; i < attrs.length; i += 2) {
    const key = attrs[i] as string
    const value = attrs[i + 1]
    const first = key.charCodeAt(0)
    // Most attributes are neither promptops.* nor gen_ai.*: straight to metadata.
    if (first !== 112 /* p */ && first !== 103 /* g */) {
      Records.set(metadata ??= {}, Sanitize.cleanKey(key, budget), Sanitize.clean(value, budget))
      continue
    }
    switch (key) {
      case Attr.KIND:
        if (typeof value === "string" && SPAN_KINDS.has(value)) kind = value as SpanKind
        else Records.set(metadata ??= {}, Sanitize.cleanKey(key, budget), Sanitize.clean(value, budget))
        break
      case Attr.INPUT:
        input = Sanitize.clean(value, budget)
        break
      case Attr.OUTPUT:
        output = Sanitize.clean(value, budget)
        break
      case Attr.EXPECTED:
        expected = Sanitize.clean(value, budget)
        break
      case Attr.METADATA: {
        const cleaned = Sanitize.clean(value, budget)
        metadata ??= {}
        if (isPlainObject(cleaned)) {
          for (const k in cleaned) Records.set(metadata, k, cleaned[k])
        } else {
          Records.set(metadata, Sanitize.cleanKey(key, budget), cleaned)
        }
        break
      }
      case Attr.SCORES:
        scores = cleanScores(value, budget)
        break
      case Attr.METRICS:
        metrics = cleanMetrics(value, metrics, budget)
        break
      case Attr.TAGS:
        tags = cleanTags(value, budget)
        break
      case Attr.EXPERIMENT_ID:
        break
      case Attr.NAME:
        if (typeof value === "string" && value !== "") recordName = value
        else Records.set(metadata ??= {}, Sanitize.cleanKey(key, budget), Sanitize.clean(value, budget))
        break
      case Attr.OMIT:
        if (Array.isArray(value)) omit = value
        break
      case Attr.GEN_AI_INPUT_TOKENS:
      case Attr.GEN_AI_PROMPT_TOKENS:
        genAi = true
        metrics = setMetric(metrics, "promptTokens", value, budget)
        break
      case Attr.GEN_AI_OUTPUT_TOKENS:
      case Attr.GEN_AI_COMPLETION_TOKENS:
        genAi = true
        metrics = setMetric(metrics, "completionTokens", value, budget)
        break
      case Attr.GEN_AI_REQUEST_MODEL:
        genAi = true
        requestModel = value
        break
      case Attr.GEN_AI_RESPONSE_MODEL:
        genAi = true
        responseModel = value
        break
      default:
        if (key.startsWith("gen_ai.")) genAi = true
        Records.set(metadata ??= {}, Sanitize.cleanKey(key, budget), Sanitize.clean(value, budget))
    }
  }
  if (omit !== undefined && metadata !== undefined) {
    // Left out after the walk: the keys to omit are usually written last (at
    // the span's end), after the attributes they name. The byte estimate
    // keeps them, an overestimate the queue tolerates.
    for (const key of omit) if (typeof key === "string") delete metadata[key]
  }
  if (genAi) {
    const model = responseModel ?? requestModel
    if (model !== undefined && (metadata === undefined || !("model" in metadata))) {
      ;(metadata ??= {}).model = Sanitize.clean(model, budget)
    }
    if (
      metrics !== undefined && metrics.totalTokens === undefined &&
      (metrics.promptTokens !== undefined || metrics.completionTokens !== undefined)
    ) {
      setMetric(metrics, "totalTokens", (metrics.promptTokens ?? 0) + (metrics.completionTokens ?? 0), budget)
    }
  }

  const name = Sanitize.cleanString(recordName ?? span.name, budget)
  const destination = resolveDestination(span)
  // Effect's clock is in nanoseconds; records carry fractional unix milliseconds.
  const startTime = Number(span.startTime) / 1e6
  const endMs = Number(endTime) / 1e6
  const parent = span.parent
  // One literal per shape, so the common fields sit inside the object (no out-of-line property store).
  const record: Mutable<SpanRecord> = parent._tag === "Some"
    ? {
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: parent.value.spanId,
      name,
      kind: kind ?? (genAi ? "llm" : "span"),
      startTime,
      endTime: endMs,
      metadata: metadata ?? EMPTY,
      metrics: metrics ?? EMPTY,
      destination
    }
    : {
      traceId: span.traceId,
      spanId: span.spanId,
      name,
      kind: kind ?? (genAi ? "llm" : "span"),
      startTime,
      endTime: endMs,
      metadata: metadata ?? EMPTY,
      metrics: metrics ?? EMPTY,
      destination
    }
  if (input !== undefined) record.input = input
  if (output !== undefined) record.output = output
  if (expected !== undefined) record.expected = expected
  if (scores !== undefined) record.scores = scores
  if (tags !== undefined) record.tags = tags
  if (exit._tag === "Failure") record.error = errorFromCause(exit.cause, budget)
  if (budget.changed) record.truncated = true
  // The fields not counted while cleaning: field names, ids, times, kind, destination.
  budget.worst += RECORD_FIXED_WORST +
    6 * (record.traceId.length + record.spanId.length + (record.parentSpanId?.length ?? 0) +
      (destination._tag === "Experiment" ? destination.experimentId.length : 0))
  return record
}

/**
 * An upper bound of the JSON bytes of a record's fixed parts: every field
 * name with its quotes, colon and comma (~350 bytes), kind, two times, and
 * the destination's tag.
 */
const RECORD_FIXED_WORST = 512

const setMetric = (
  metrics: Record<string, number> | undefined,
  key: string,
  value: unknown,
  budget: Sanitize.Budget
): Record<string, number> | undefined => {
  const n = toNumber(value)
  if (n === undefined) {
    budget.changed = true
    return metrics
  }
  metrics ??= {}
  Records.set(metrics, key, n)
  budget.bytes += key.length + 12
  budget.worst += 6 * key.length + 4 + Sanitize.MAX_NUMBER_BYTES
  return metrics
}

const cleanMetrics = (
  value: unknown,
  metrics: Record<string, number> | undefined,
  budget: Sanitize.Budget
): Record<string, number> | undefined => {
  if (!isPlainObject(value)) {
    budget.changed = true
    return metrics
  }
  for (const key in value) metrics = setMetric(metrics, Sanitize.wellFormed(key), value[key], budget)
  return metrics
}

const cleanScores = (value: unknown, budget: Sanitize.Budget): Record<string, number | null> | undefined => {
  if (!isPlainObject(value)) {
    budget.changed = true
    return undefined
  }
  const scores: Record<string, number | null> = {}
  for (const key in value) {
    const score = value[key]
    // An invalid score would make the vendor reject the whole batch: drop that score alone.
    if (score === null || (typeof score === "number" && score >= 0 && score <= 1)) {
      Records.set(scores, Sanitize.cleanKey(key, budget), score)
      budget.worst += Sanitize.MAX_NUMBER_BYTES
    } else {
      budget.changed = true
    }
  }
  return scores
}

const cleanTags = (value: unknown, budget: Sanitize.Budget): Array<string> | undefined => {
  if (!Array.isArray(value)) {
    budget.changed = true
    return undefined
  }
  const tags: Array<string> = []
  const n = Math.min(value.length, budget.bounds.maxItems)
  for (let i = 0; i < n; i++) {
    const tag = value[i]
    if (typeof tag === "string") {
      tags.push(Sanitize.cleanString(tag, budget))
      budget.worst += 1
    } else {
      budget.changed = true
    }
  }
  if (value.length > n) budget.changed = true
  return tags
}

const errorFromCause = (cause: Cause.Cause<unknown>, budget: Sanitize.Budget): SpanError => {
  if (Cause.isInterruptedOnly(cause)) return { message: "interrupted", type: "Interrupted" }
  let message = "unknown error"
  let type: string | undefined
  let stack: string | undefined
  try {
    const squashed = Cause.squash(cause)
    if (squashed instanceof Error) {
      message = squashed.message
      const tag = (squashed as { _tag?: unknown })._tag
      type = typeof tag === "string" ? tag : squashed.name
    } else if (typeof squashed === "string") {
      message = squashed
    } else {
      const tag = isPlainObject(squashed) ? squashed._tag : undefined
      if (typeof tag === "string") type = tag
      // A budget of its own (the message is bounded again below), but a lossy
      // change to the error still marks the record truncated.
      const errorBudget = new Sanitize.Budget(budget.bounds)
      const cleaned = Sanitize.clean(squashed, errorBudget)
      if (errorBudget.changed) budget.changed = true
      message = typeof cleaned === "string" ? cleaned : JSON.stringify(cleaned) ?? String(cleaned)
    }
    stack = Cause.pretty(cause)
  } catch {
    budget.changed = true
  }
  const error: Mutable<SpanError> = { message: Sanitize.cleanString(message, budget) }
  if (type !== undefined) error.type = Sanitize.cleanString(type, budget)
  if (stack !== undefined) error.stack = Sanitize.cleanString(stack, budget)
  return error
}

