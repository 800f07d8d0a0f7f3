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
 * This module is the face; the span and its record are built in
 * `internal/spanRecordBuilder.ts`, the queue and exporter run in
 * `internal/exportPipeline.ts`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import { Pipeline, type Settings } from "./internal/exportPipeline.js"
import * as Sanitize from "./internal/sanitize.js"
import { PromptOpsSpan } from "./internal/spanRecordBuilder.js"
import { invalidInput } from "./PromptOpsError.js"
import * as RetryPolicy from "./RetryPolicy.js"
import type { SpanRecord } from "./SpanRecord.js"
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

