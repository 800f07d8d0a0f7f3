/**
 * The promptops tracer and its export pipeline.
 *
 * `layer` installs an Effect `Tracer` (with `Layer.setTracer`, the pattern of
 * `@effect/opentelemetry`'s OtlpTracer), so app code keeps using plain
 * `Effect.withSpan` / `Effect.fn` / `Effect.annotateCurrentSpan` (and the thin
 * `Trace` helpers). Every span that ends becomes a `SpanRecord`:
 *
 * - on the caller's fiber, `end()` builds the record, sanitises and bounds its
 *   data, applies the redaction hook, and pushes it onto a bounded in-memory
 *   queue. That is all: no Effect is run, nothing waits on the network, and a
 *   full queue drops the new span (counted) instead of growing;
 * - a background fiber batches records by count and JSON bytes (the sink's
 *   `limits`) and by time (`interval`), and calls the `SpanSink` with
 *   `RetryPolicy`'s retries. A 413 splits the batch in halves; what still
 *   fails is dropped, counted and logged (counts only, never span data);
 * - everything lives in a `Scope`: closing it flushes with a deadline and
 *   reports what could not be sent. `flush` serves serverless hosts.
 *
 * The exporter never traces itself: the pipeline fibers run with the tracer
 * disabled. Nor does the rest of promptops fill the user's traces: adapter
 * requests (`ProviderHttp`) open no `http.client` span, and library
 * operations open theirs only under a span of the app (`Trace.librarySpan`).
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import * as Ids from "./Ids.js"
import * as Attr from "./internal/attributes.js"
import * as Sanitize from "./internal/sanitize.js"
import * as Records from "./Records.js"
import { invalidInput, type PromptOpsError } from "./PromptOpsError.js"
import * as RetryPolicy from "./RetryPolicy.js"
import type { Destination, SpanError, SpanKind, SpanRecord } from "./SpanRecord.js"
import { SpanSink } from "./SpanSink.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /** Most spans waiting for export (queued or in flight). Default 100,000; past it new spans are dropped and counted. */
  readonly capacity?: number | undefined
  /** Most approximate bytes of span data waiting for export. Default 64 MiB; past it new spans are dropped and counted. */
  readonly maxQueueBytes?: number | undefined
  /** A partial batch is sent at the latest this long after it started to wait. Default 1 second. */
  readonly interval?: Duration.DurationInput | undefined
  /** Export calls in flight at once. Default 4. */
  readonly concurrency?: number | undefined
  /** Retries of a failed export call (only retryable errors are retried; `Retry-After` is honoured). */
  readonly retry?: RetryPolicy.RetryOptions | undefined
  /** How long closing the scope may spend sending what is still queued. Default 5 seconds. */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
  /**
   * Rewrites each record before it is queued, e.g. to remove personal data.
   * It sees sanitised data; what it returns is exported as is. Returning
   * `undefined` drops the record; throwing drops it too. Both are counted as
   * `dropped.redaction`.
   */
  readonly redact?: ((record: SpanRecord) => SpanRecord | undefined) | undefined
  /** Longest string kept in span data, in UTF-16 code units. Default 65,536. */
  readonly maxStringLength?: number | undefined
  /** Deepest nesting kept in span data. Default 16. */
  readonly maxDepth?: number | undefined
  /** Most keys of an object, or items of an array, kept in span data. Default 1,000. */
  readonly maxItems?: number | undefined
  /** Approximate bytes of data kept for one span. Default 1 MiB. */
  readonly maxRecordBytes?: number | undefined
}

/**
 * Spans dropped, by reason. Every span that is not exported is counted in
 * exactly one of these.
 *
 * @since 0.1.0
 */
export interface DroppedStats {
  /** The queue was at `capacity` or `maxQueueBytes` when the span ended. */
  readonly queueFull: number
  /** The redaction hook returned `undefined` or threw (or the record it returned could not be serialised). */
  readonly redaction: number
  /** The sink kept failing through the retry budget, or failed with an error that is not retried. */
  readonly exportFailed: number
  /** The sink answered 413 for the span on its own. */
  readonly tooLarge: number
  /** The scope closed before the span could be sent (deadline passed, or the span ended after shutdown). */
  readonly shutdown: number
}

/**
 * @since 0.1.0
 */
export interface TracingStats {
  /** Spans accepted into the queue. */
  readonly enqueued: number
  /** Spans the sink accepted. */
  readonly exported: number
  /** Spans accepted but not yet exported or dropped. */
  readonly pending: number
  readonly dropped: DroppedStats
  /** Export attempts beyond the first, over all batches. */
  readonly retries: number
  /** Successful export calls. */
  readonly batches: number
}

/**
 * @since 0.1.0
 */
export declare namespace Tracing {
  /**
   * @since 0.1.0
   */
  export interface Service {
    /** Sends everything queued now and waits until each of those spans is exported or dropped. */
    readonly flush: Effect.Effect<void>
    readonly stats: Effect.Effect<TracingStats>
  }
}

/**
 * The running pipeline: flush it, read its counters.
 *
 * @since 0.1.0
 */
export class Tracing extends Context.Tag("@promptops/core/Tracing")<Tracing, Tracing.Service>() {}

/**
 * Sends everything queued now and waits until each of those spans is exported
 * or dropped. Call it before a serverless handler returns.
 *
 * @since 0.1.0
 */
export const flush: Effect.Effect<void, never, Tracing> = Effect.flatMap(Tracing, (tracing) => tracing.flush)

/**
 * @since 0.1.0
 */
export const stats: Effect.Effect<TracingStats, never, Tracing> = Effect.flatMap(Tracing, (tracing) => tracing.stats)

/**
 * Starts the pipeline in the current scope and returns the tracer to install
 * (with `Layer.setTracer` or `Effect.withTracer`) along with the service.
 *
 * @since 0.1.0
 */
export const make = (
  options?: Options | undefined
): Effect.Effect<Tracing.Service & { readonly tracer: Tracer.Tracer }, never, SpanSink | Scope.Scope> =>
  Effect.gen(function*() {
    const sink = yield* SpanSink
    const settings = yield* resolveSettings(options, sink)
    const pipeline = new Pipeline(sink, settings)
    const tracer = Tracer.make({
      span: (name, parent, context, links, startTime, kind) =>
        new PromptOpsSpan(pipeline, name, parent, context, links, startTime, kind),
      context: (f) => f()
    })
    const worker = yield* Effect.forkScoped(Effect.withTracerEnabled(pipeline.worker, false))
    const ticker = yield* Effect.forkScoped(Effect.withTracerEnabled(pipeline.ticker, false))
    // Added after the forks, so it runs before their interruption: the fibers are still there to drain.
    yield* Effect.addFinalizer(() => Effect.withTracerEnabled(pipeline.shutdown(worker, ticker), false))
    return { tracer, flush: pipeline.flush, stats: pipeline.stats }
  })

/**
 * Installs the promptops tracer for the layers and program it is provided
 * to, and provides `Tracing`.
 *
 * @since 0.1.0
 */
export const layer = (options?: Options | undefined): Layer.Layer<Tracing, never, SpanSink> =>
  Layer.unwrapScoped(
    Effect.map(make(options), ({ tracer, ...service }) =>
      Layer.merge(Layer.succeed(Tracing, Tracing.of(service)), Layer.setTracer(tracer)))
  )

// -----------------------------------------------------------------------------
// Settings
// -----------------------------------------------------------------------------

interface Settings {
  readonly capacity: number
  readonly maxQueueBytes: number
  readonly maxRows: number
  readonly maxBytes: number
  readonly interval: Duration.Duration
  readonly concurrency: number
  readonly schedule: Schedule.Schedule<unknown, PromptOpsError>
  readonly shutdownTimeout: Duration.Duration
  readonly redact: ((record: SpanRecord) => SpanRecord | undefined) | undefined
  readonly bounds: Sanitize.Bounds
}

const resolveSettings = (
  options: Options | undefined,
  sink: SpanSink.Service
): Effect.Effect<Settings> =>
  // A thrown InvalidInput becomes a defect: a misconfigured tracer is a programming error,
  // reported loudly rather than replaced by a silent default.
  Effect.suspend(() => {
    const whole = (path: string, value: number | undefined, fallback: number): number => {
      if (value === undefined) return fallback
      if (!Number.isInteger(value) || value < 1) {
        throw invalidInput({ operation: "Tracing.make", path, description: `must be a whole number ≥ 1, got ${value}` })
      }
      return value
    }
    const settings: Settings = {
      capacity: whole("capacity", options?.capacity, 100_000),
      maxQueueBytes: whole("maxQueueBytes", options?.maxQueueBytes, 64 * 1024 * 1024),
      maxRows: whole(`SpanSink(${sink.provider}).limits.maxRows`, sink.limits.maxRows, 100),
      maxBytes: whole(`SpanSink(${sink.provider}).limits.maxBytes`, sink.limits.maxBytes, 3 * 1024 * 1024),
      interval: Duration.decode(options?.interval ?? Duration.seconds(1)),
      concurrency: whole("concurrency", options?.concurrency, 4),
      schedule: RetryPolicy.schedule(options?.retry),
      shutdownTimeout: Duration.decode(options?.shutdownTimeout ?? Duration.seconds(5)),
      redact: options?.redact,
      bounds: Sanitize.resolveBounds({
        maxStringLength: options?.maxStringLength,
        maxDepth: options?.maxDepth,
        maxItems: options?.maxItems,
        maxRecordBytes: options?.maxRecordBytes
      })
    }
    return Effect.succeed(settings)
  })

// -----------------------------------------------------------------------------
// The span
// -----------------------------------------------------------------------------

const PROJECT_LOGS: Destination = { _tag: "ProjectLogs" }

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * A span of the promptops tracer. Deliberately small: attributes go into one
 * array of alternating keys and values (no Map, no dynamic-key object: both
 * cost more to fill and to walk; one array rather than two halves the
 * allocations) and all the work happens once, in `end`.
 */
class PromptOpsSpan implements Tracer.Span {
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
    readonly pipeline: Pipeline,
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
const RECORD_OVERHEAD = 256

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

const buildRecord = (
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

  const name = Sanitize.cleanString(span.name, budget)
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

const jsonBytes = (record: SpanRecord): number => Buffer.byteLength(JSON.stringify(record), "utf8")

// -----------------------------------------------------------------------------
// The pipeline
// -----------------------------------------------------------------------------

/**
 * A batch handed to the sink. `startSeq` is the sequence number of its first
 * record: every record before the smallest in-flight `startSeq` is settled.
 */
interface Batch {
  readonly records: ReadonlyArray<SpanRecord>
  readonly startSeq: number
}

interface Waiter {
  readonly target: number
  readonly deferred: Deferred.Deferred<void>
}

/**
 * Records flow queue → staging → batch → sink. Each accepted record has a
 * sequence number (its position in `accepted`); `flush` waits for the
 * "watermark", the first sequence number not yet exported or dropped.
 */
class Pipeline {
  // Counters (see TracingStats).
  accepted = 0
  exported = 0
  retries = 0
  batches = 0
  droppedQueueFull = 0
  droppedRedaction = 0
  droppedExportFailed = 0
  droppedTooLarge = 0
  droppedShutdown = 0
  /** Accepted records dropped before reaching the sink (their serialisation failed). */
  droppedUnserialisable = 0
  /** Part of `droppedShutdown` that had been accepted (the rest ended after shutdown). */
  droppedShutdownAccepted = 0

  // The queue: records from the callers, not yet looked at by the worker.
  items: Array<SpanRecord | undefined> = []
  approxBytes: Array<number> = []
  worstBytes: Array<number> = []
  head = 0
  queuedApproxBytes = 0

  // Staging: records being gathered into the next batch. `stagingBytes` is an
  // upper bound of the batch's JSON bytes: exact sizes where a record was
  // measured, the sanitiser's upper bound where it was not (stored negated in
  // `stagingSizes`; never 0). Small spans are never serialised here at all.
  staging: Array<SpanRecord> = []
  stagingSizes: Array<number> = []
  stagingEstimated = 0
  stagingBytes = 0
  stagingStart = 0
  /** Records moved out of the queue so far. */
  taken = 0

  inflight: Set<Batch> = new Set()
  /** Records with a sequence number below this go out even in a partial batch. */
  forceUntil = 0
  /** No more records are accepted. */
  closed = false
  /** Shutdown is over: everything is settled one way or the other. */
  finished = false
  waiting: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  waiters: Array<Waiter> = []

  readonly awaitWork: Effect.Effect<void>
  readonly worker: Effect.Effect<never>
  readonly ticker: Effect.Effect<never>
  readonly flush: Effect.Effect<void>
  readonly stats: Effect.Effect<TracingStats>

  constructor(readonly sink: SpanSink.Service, readonly settings: Settings) {
    // Built here rather than as field initialisers, which would run before `settings` is set.
    this.awaitWork = this.makeAwaitWork()
    this.worker = this.makeWorker()
    this.ticker = this.makeTicker()
    this.flush = this.makeFlush()
    this.stats = this.makeStats()
  }

  // --- caller side (synchronous, never throws) -------------------------------

  record(span: PromptOpsSpan, endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    if (this.closed) {
      this.droppedShutdown++
      return
    }
    let record: SpanRecord | undefined
    let approx: number
    let worst: number
    try {
      const budget = new Sanitize.Budget(this.settings.bounds)
      record = buildRecord(span, endTime, exit, budget)
      approx = budget.bytes + RECORD_OVERHEAD
      worst = budget.worst
      const redact = this.settings.redact
      if (redact !== undefined) {
        record = redact(record)
        if (typeof record !== "object" || record === null) {
          this.droppedRedaction++
          return
        }
        // The hook may have changed anything: the worker measures this record.
        worst = -1
      }
    } catch {
      this.droppedRedaction++
      return
    }
    this.offer(record, approx, worst)
  }

  /**
   * `approx` is the estimate the queue's byte bound uses; `worst` an upper
   * bound of the record's JSON bytes, or -1 when unknown.
   */
  offer(record: SpanRecord, approx: number, worst: number): void {
    const settings = this.settings
    if (
      this.accepted - this.settledCount() >= settings.capacity ||
      this.queuedApproxBytes + approx > settings.maxQueueBytes
    ) {
      this.droppedQueueFull++
      return
    }
    this.items.push(record)
    this.approxBytes.push(approx)
    this.worstBytes.push(worst)
    this.queuedApproxBytes += approx
    this.accepted++
    if (
      this.waiting !== undefined &&
      (this.items.length - this.head + this.staging.length >= settings.maxRows ||
        this.queuedApproxBytes >= settings.maxBytes)
    ) {
      this.signal()
    }
  }

  settledCount(): number {
    return this.exported + this.droppedExportFailed + this.droppedTooLarge + this.droppedUnserialisable +
      this.droppedShutdownAccepted
  }

  signal(): void {
    const resume = this.waiting
    if (resume !== undefined) {
      this.waiting = undefined
      resume(Effect.void)
    }
  }

  // --- worker side -------------------------------------------------------------

  pendingStart(): number {
    return this.staging.length > 0 ? this.stagingStart : this.taken
  }

  watermark(): number {
    if (this.finished) return Number.POSITIVE_INFINITY
    let mark = this.pendingStart()
    for (const batch of this.inflight) if (batch.startSeq < mark) mark = batch.startSeq
    return mark
  }

  hasWork(): boolean {
    const queued = this.items.length - this.head
    if (
      queued > 0 &&
      (queued + this.staging.length >= this.settings.maxRows || this.queuedApproxBytes >= this.settings.maxBytes)
    ) return true
    return (queued > 0 || this.staging.length > 0) && this.forceUntil > this.pendingStart()
  }

  /** Moves queued records into batches; a partial batch only when forced (interval, flush, shutdown). */
  step(): Array<Batch> {
    const out: Array<Batch> = []
    const maxRows = this.settings.maxRows
    const items = this.items
    while (this.head < items.length) {
      const index = this.head++
      const record = items[index]!
      items[index] = undefined
      this.queuedApproxBytes -= this.approxBytes[index]!
      const seq = this.taken++
      let size = this.worstBytes[index]!
      let exact = false
      if (size < 0 || !this.fits(size)) {
        // The bound is not good enough: measure (serialisation happens here, never in `end`).
        try {
          size = jsonBytes(record)
          exact = true
        } catch {
          // Only a redaction hook's output can fail here: sanitised data always serialises.
          this.droppedRedaction++
          this.droppedUnserialisable++
          continue
        }
        if (!this.fits(size) && this.stagingEstimated > 0) this.measureStaging()
      }
      if (!this.fits(size)) out.push(this.emit())
      if (this.staging.length === 0) {
        this.stagingStart = seq
        this.stagingBytes = 2 + size
      } else {
        this.stagingBytes += 1 + size
      }
      this.staging.push(record)
      this.stagingSizes.push(exact ? size : -size)
      if (!exact) this.stagingEstimated++
      if (this.staging.length >= maxRows) out.push(this.emit())
    }
    if (this.head === items.length) {
      this.items = []
      this.approxBytes = []
      this.worstBytes = []
      this.head = 0
    }
    if (this.staging.length > 0 && this.forceUntil > this.stagingStart) out.push(this.emit())
    return out
  }

  /** Whether a record of `size` bytes can join the staged batch (a lone record always can). */
  fits(size: number): boolean {
    return this.staging.length === 0 || this.stagingBytes + 1 + size <= this.settings.maxBytes
  }

  /** Replaces the staged records' upper bounds by their exact sizes. */
  measureStaging(): void {
    const sizes = this.stagingSizes
    let total = 1 + sizes.length
    for (let i = 0; i < sizes.length; i++) {
      let size = sizes[i]!
      if (size < 0) {
        try {
          size = jsonBytes(this.staging[i]!)
        } catch {
          size = -size
        }
        sizes[i] = size
      }
      total += size
    }
    this.stagingBytes = total
    this.stagingEstimated = 0
  }

  emit(): Batch {
    const batch: Batch = { records: this.staging, startSeq: this.stagingStart }
    this.staging = []
    this.stagingSizes = []
    this.stagingEstimated = 0
    this.stagingBytes = 0
    this.inflight.add(batch)
    return batch
  }

  settle(batch: Batch): void {
    this.inflight.delete(batch)
    this.resolveWaiters()
  }

  resolveWaiters(): void {
    if (this.waiters.length === 0) return
    const mark = this.watermark()
    const remaining: Array<Waiter> = []
    for (const waiter of this.waiters) {
      if (waiter.target <= mark) Deferred.unsafeDone(waiter.deferred, Exit.void)
      else remaining.push(waiter)
    }
    this.waiters = remaining
  }

  awaitSettled(target: number): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.watermark() >= target) return Effect.void
      return Effect.flatMap(Deferred.make<void>(), (deferred) => {
        this.waiters.push({ target, deferred })
        return Deferred.await(deferred)
      })
    })
  }

  makeAwaitWork(): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      // Checked here, atomically with registering, so a signal cannot slip in between.
      if (this.hasWork()) {
        resume(Effect.void)
        return
      }
      this.waiting = resume
      return Effect.sync(() => {
        this.waiting = undefined
      })
    })
  }

  makeWorker(): Effect.Effect<never> {
    return Effect.gen(this, function*() {
      const semaphore = yield* Effect.makeSemaphore(this.settings.concurrency)
      while (true) {
        yield* this.awaitWork
        const batches = this.step()
        for (const batch of batches) {
          yield* semaphore.take(1)
          yield* Effect.fork(
            Effect.ensuring(
              this.exportRecords(batch.records),
              Effect.zipRight(Effect.sync(() => this.settle(batch)), semaphore.release(1))
            )
          )
        }
      }
    })
  }

  makeTicker(): Effect.Effect<never> {
    return Effect.forever(
      Effect.zipRight(
        Effect.sleep(this.settings.interval),
        Effect.sync(() => {
          if (this.forceUntil < this.accepted) this.forceUntil = this.accepted
          this.signal()
        })
      )
    )
  }

  exportRecords(records: ReadonlyArray<SpanRecord>): Effect.Effect<void> {
    return Effect.suspend(() => {
      let attempts = 0
      return Effect.suspend(() => {
        attempts++
        return this.sink.export(records)
      }).pipe(
        Effect.withTracerEnabled(false),
        Effect.retry(this.settings.schedule),
        Effect.matchCauseEffect({
          onSuccess: () =>
            Effect.sync(() => {
              this.retries += attempts - 1
              this.exported += records.length
              this.batches++
            }),
          onFailure: (cause) => {
            this.retries += attempts - 1
            // Shutdown interrupted the call: `shutdown` counts these records.
            if (Cause.isInterrupted(cause)) return Effect.failCause(Cause.stripFailures(cause))
            const failure = Cause.failureOption(cause)
            if (failure._tag === "Some" && failure.value._tag === "PayloadTooLarge") {
              if (records.length > 1) {
                const half = Math.ceil(records.length / 2)
                return Effect.zipRight(
                  this.exportRecords(records.slice(0, half)),
                  this.exportRecords(records.slice(half))
                )
              }
              this.droppedTooLarge++
              return Effect.logWarning("promptops tracing: a span is too large for the sink on its own; dropped").pipe(
                Effect.annotateLogs({ provider: this.sink.provider, dropped: 1 })
              )
            }
            this.droppedExportFailed += records.length
            return Effect.logWarning("promptops tracing: export failed; spans dropped").pipe(
              Effect.annotateLogs({
                provider: this.sink.provider,
                dropped: records.length,
                attempts,
                error: failure._tag === "Some"
                  ? `${failure.value._tag}${failure.value.status === undefined ? "" : ` ${failure.value.status}`}`
                  : "defect"
              })
            )
          }
        })
      )
    })
  }

  makeFlush(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const target = this.accepted
      if (this.forceUntil < target) this.forceUntil = target
      this.signal()
      return Effect.zipRight(this.awaitSettled(target), this.flushSink)
    })
  }

  /** The sink's own hold-back (e.g. Basalt's traces waiting for their root); a failure is logged, never raised. */
  get flushSink(): Effect.Effect<void> {
    const flush = this.sink.flush
    if (flush === undefined) return Effect.void
    return Effect.withTracerEnabled(flush, false).pipe(
      Effect.catchAllCause((cause) =>
        Effect.logWarning("promptops tracing: the sink's flush failed").pipe(
          Effect.annotateLogs({ provider: this.sink.provider, cause: Cause.pretty(cause) })
        )
      )
    )
  }

  makeStats(): Effect.Effect<TracingStats> {
    return Effect.sync(() => ({
      enqueued: this.accepted,
      exported: this.exported,
      pending: this.accepted - this.settledCount(),
      dropped: {
        queueFull: this.droppedQueueFull,
        redaction: this.droppedRedaction,
        exportFailed: this.droppedExportFailed,
        tooLarge: this.droppedTooLarge,
        shutdown: this.droppedShutdown
      },
      retries: this.retries,
      batches: this.batches
    }))
  }

  /** Sends what is queued within the deadline, then stops and reports what could not be sent. */
  shutdown(worker: Fiber.RuntimeFiber<never>, ticker: Fiber.RuntimeFiber<never>): Effect.Effect<void> {
    const drainAll: Effect.Effect<void> = Effect.suspend(() => {
      const target = this.accepted
      this.forceUntil = Number.POSITIVE_INFINITY
      this.signal()
      return Effect.flatMap(
        this.awaitSettled(target),
        // Spans may have ended while we waited: go again until nothing is left.
        () => (this.accepted > target ? drainAll : Effect.void)
      )
    })
    return Effect.gen(this, function*() {
      // Finalizers run uninterruptibly; the drain must be interruptible for the deadline to cut it short.
      yield* Effect.timeoutOption(
        Effect.interruptible(Effect.zipRight(drainAll, this.flushSink)),
        this.settings.shutdownTimeout
      )
      this.closed = true
      yield* Fiber.interrupt(worker)
      yield* Fiber.interrupt(ticker)
      const unsent = this.accepted - this.settledCount()
      this.droppedShutdown += unsent
      this.droppedShutdownAccepted += unsent
      this.finished = true
      this.resolveWaiters()
      if (unsent > 0) {
        yield* Effect.logWarning("promptops tracing: shutdown deadline passed; spans not sent").pipe(
          Effect.annotateLogs({ provider: this.sink.provider, dropped: unsent })
        )
      }
    })
  }
}
