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
 * `layerFanOut` sends the same spans to several destinations at once (say a
 * backend's native API and an OpenTelemetry Collector). The record is built
 * once; each destination has its own queue, limits, retries, deadline and
 * counters, so one that is slow, full or down drops and counts only its own
 * spans and never delays another's. `layer` is the one-destination case.
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
import { Exporter, Pipeline, type RecordSettings, type Settings } from "./internal/exportPipeline.js"
import * as Sanitize from "./internal/sanitize.js"
import { PromptOpsSpan } from "./internal/spanRecordBuilder.js"
import { invalidInput } from "./PromptOpsError.js"
import * as RetryPolicy from "./RetryPolicy.js"
import type { SpanRecord } from "./SpanRecord.js"
import { SpanSink } from "./SpanSink.js"

/**
 * One destination's queue and exporter. With `layerFanOut`, each destination
 * may set its own; what it leaves out comes from the top-level options.
 *
 * @since 0.1.0
 */
export interface PipelineOptions {
  /** Most spans waiting for export (queued or in flight). Default 100,000; past it new spans are dropped and counted. */
  readonly capacity?: number | undefined
  /**
   * Most approximate bytes of span data waiting for export (queued or in flight, retries included).
   * Default 64 MiB; past it new spans are dropped and counted.
   */
  readonly maxQueueBytes?: number | undefined
  /** A partial batch is sent at the latest this long after it started to wait. Default 1 second. */
  readonly interval?: Duration.DurationInput | undefined
  /** Export calls in flight at once. Default 4. */
  readonly concurrency?: number | undefined
  /** Retries of a failed export call (only retryable errors are retried; `Retry-After` is honoured). */
  readonly retry?: RetryPolicy.RetryOptions | undefined
  /** How long closing the scope may spend sending what is still queued. Default 5 seconds. */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 */
export interface Options extends PipelineOptions {
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
 * The counters of one destination. Every span that ends is counted once in
 * each destination: exported, pending, or under one drop reason.
 *
 * @since 0.1.0
 */
export interface DestinationStats {
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
 * The totals are sums over the destinations (with one destination, its own
 * counters): a span sent to two destinations counts twice in `exported`.
 *
 * @since 0.1.0
 */
export interface TracingStats extends DestinationStats {
  /** Each destination's counters, by its name (`layer`'s one destination is named after its sink's `provider`). */
  readonly destinations: { readonly [name: string]: DestinationStats }
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
  Effect.flatMap(SpanSink, (sink) => start([{ name: sink.provider, sink, path: "" }], options))

/**
 * Installs the promptops tracer for the layers and program it is provided
 * to, and provides `Tracing`.
 *
 * @since 0.1.0
 */
export const layer = (options?: Options | undefined): Layer.Layer<Tracing, never, SpanSink> =>
  Layer.unwrapScoped(Effect.map(make(options), toLayer))

// -----------------------------------------------------------------------------
// Fan-out
// -----------------------------------------------------------------------------

/**
 * One destination of `layerFanOut`: its sink, given as the service itself or
 * as a layer that provides it (built in the tracer's scope, so it closes after
 * the destination has drained), and its own pipeline options.
 *
 * @since 0.1.0
 */
export interface Destination<E = never, R = never> extends PipelineOptions {
  readonly sink: SpanSink.Service | Layer.Layer<SpanSink, E, R>
}

/**
 * What `destinations` may hold for one name: a sink, a layer providing one,
 * or a `Destination` with its own options.
 *
 * @since 0.1.0
 */
export type DestinationInput<E = never, R = never> =
  | SpanSink.Service
  | Layer.Layer<SpanSink, E, R>
  | Destination<E, R>

/**
 * @since 0.1.0
 */
export interface FanOutOptions<
  Destinations extends { readonly [name: string]: DestinationInput<unknown, unknown> }
> extends Options {
  /**
   * The destinations by name (the name keys `stats.destinations` and the
   * tracer's log lines). At least one. The top-level pipeline options are
   * each destination's defaults.
   */
  readonly destinations: Destinations
}

/**
 * @since 0.1.0
 */
export declare namespace FanOut {
  /**
   * The errors of building the destinations given as layers.
   *
   * @since 0.1.0
   */
  export type Error<Destinations> = {
    [K in keyof Destinations]: Destinations[K] extends Layer.Layer<SpanSink, infer E, infer _R> ? E
      : Destinations[K] extends { readonly sink: Layer.Layer<SpanSink, infer E, infer _R> } ? E
      : never
  }[keyof Destinations]
  /**
   * What the destinations given as layers require.
   *
   * @since 0.1.0
   */
  export type Context<Destinations> = {
    [K in keyof Destinations]: Destinations[K] extends Layer.Layer<SpanSink, infer _E, infer R> ? R
      : Destinations[K] extends { readonly sink: Layer.Layer<SpanSink, infer _E, infer R> } ? R
      : never
  }[keyof Destinations]
}

/**
 * `make` for several destinations at once: starts one pipeline per
 * destination in the current scope, all fed by one tracer.
 *
 * - A span's record is built (and redacted) once and offered to every
 *   destination's queue; each accepts or drops it on its own.
 * - A destination whose queue is full drops the new span and counts it as
 *   its own `queueFull`; the others still take it.
 * - A destination that fails (after its retries) or answers 413 drops and
 *   counts only its own copy; a slow or hanging one fills only its own
 *   queue and export slots.
 * - `flush` flushes every destination, in parallel, and returns when all are
 *   done. Closing the scope drains them in parallel, each within its own
 *   `shutdownTimeout`: one that hangs does not shorten another's deadline.
 *
 * @since 0.1.0
 */
export const makeFanOut = <
  const Destinations extends { readonly [name: string]: DestinationInput<unknown, unknown> }
>(
  options: FanOutOptions<Destinations>
): Effect.Effect<
  Tracing.Service & { readonly tracer: Tracer.Tracer },
  FanOut.Error<Destinations>,
  FanOut.Context<Destinations> | Scope.Scope
> =>
  Effect.gen(function*() {
    const names = Object.keys(options.destinations)
    if (names.length === 0) {
      return yield* Effect.die(
        invalidInput({ operation: "Tracing.makeFanOut", path: "destinations", description: "must name at least one sink" })
      )
    }
    const destinations: Array<ResolvedDestination> = []
    for (const name of names) {
      const input: DestinationInput<unknown, unknown> = options.destinations[name]!
      const path = `destinations.${name}.`
      const [source, own] = isDestination(input) ? [input.sink, input] : [input, undefined]
      const sink = isSinkLayer(source) ? Context.get(yield* Layer.build(source), SpanSink) : source
      destinations.push({ name, sink, path, options: own })
    }
    return yield* start(destinations, options)
    // Inside, the layers' errors and requirements are `unknown`; the signature tracks them per destination.
  }) as Effect.Effect<
    Tracing.Service & { readonly tracer: Tracer.Tracer },
    FanOut.Error<Destinations>,
    FanOut.Context<Destinations> | Scope.Scope
  >

/**
 * `layer` for several destinations at once (see `makeFanOut`): installs the
 * promptops tracer and provides `Tracing`, whose `stats` has each
 * destination's counters under `destinations`.
 *
 * @example
 * ```ts
 * Tracing.layerFanOut({
 *   destinations: {
 *     braintrust: BraintrustSpanSink.layer(),
 *     collector: { sink: otlpSink, capacity: 20_000, shutdownTimeout: "2 seconds" }
 *   },
 *   redact
 * })
 * ```
 *
 * @since 0.1.0
 */
export const layerFanOut = <
  const Destinations extends { readonly [name: string]: DestinationInput<unknown, unknown> }
>(
  options: FanOutOptions<Destinations>
): Layer.Layer<Tracing, FanOut.Error<Destinations>, FanOut.Context<Destinations>> =>
  Layer.unwrapScoped(Effect.map(makeFanOut(options), toLayer))

const toLayer = (
  { tracer, ...service }: Tracing.Service & { readonly tracer: Tracer.Tracer }
): Layer.Layer<Tracing> => Layer.merge(Layer.succeed(Tracing, Tracing.of(service)), Layer.setTracer(tracer))

const isSinkLayer = (
  source: SpanSink.Service | Layer.Layer<SpanSink, unknown, unknown>
): source is Layer.Layer<SpanSink, unknown, unknown> => Layer.isLayer(source)

const isDestination = (input: DestinationInput<unknown, unknown>): input is Destination<unknown, unknown> =>
  !Layer.isLayer(input) && typeof input === "object" && input !== null && "sink" in input

interface ResolvedDestination {
  readonly name: string
  readonly sink: SpanSink.Service
  /** Prefix of the option paths named in configuration errors. */
  readonly path: string
  readonly options?: PipelineOptions | undefined
}

/** The one machinery behind `make` and `makeFanOut`. */
const start = (
  destinations: ReadonlyArray<ResolvedDestination>,
  options: Options | undefined
): Effect.Effect<Tracing.Service & { readonly tracer: Tracer.Tracer }, never, Scope.Scope> =>
  Effect.gen(function*() {
    const records = yield* resolveRecordSettings(options)
    const pipelines: Array<Pipeline> = []
    for (const destination of destinations) {
      const settings = yield* resolveSettings(destination, options)
      pipelines.push(new Pipeline(destination.name, destination.sink, settings))
    }
    const exporter = new Exporter(pipelines, records)
    const tracer = Tracer.make({
      span: (name, parent, context, links, startTime, kind) =>
        new PromptOpsSpan(exporter, name, parent, context, links, startTime, kind),
      context: (f) => f()
    })
    yield* exporter.start
    return { tracer, flush: exporter.flush, stats: exporter.stats }
  })

// -----------------------------------------------------------------------------
// Settings
// -----------------------------------------------------------------------------

// A thrown InvalidInput becomes a defect: a misconfigured tracer is a programming error,
// reported loudly rather than replaced by a silent default.
const whole = (operation: string, path: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1) {
    throw invalidInput({ operation, path, description: `must be a whole number ≥ 1, got ${value}` })
  }
  return value
}

const resolveSettings = (
  destination: ResolvedDestination,
  defaults: Options | undefined
): Effect.Effect<Settings> =>
  Effect.sync(() => {
    const { path, sink } = destination
    const own = destination.options
    const operation = path === "" ? "Tracing.make" : "Tracing.makeFanOut"
    const pick = <K extends keyof PipelineOptions>(key: K): PipelineOptions[K] =>
      own?.[key] !== undefined ? own[key] : defaults?.[key]
    // A destination's own value is named by its path; a top-level default by its bare name.
    const at = (key: keyof PipelineOptions): string => own?.[key] !== undefined ? `${path}${key}` : key
    const settings: Settings = {
      capacity: whole(operation, at("capacity"), pick("capacity"), 100_000),
      maxQueueBytes: whole(operation, at("maxQueueBytes"), pick("maxQueueBytes"), 64 * 1024 * 1024),
      maxRows: whole(operation, `SpanSink(${sink.provider}).limits.maxRows`, sink.limits.maxRows, 100),
      maxBytes: whole(operation, `SpanSink(${sink.provider}).limits.maxBytes`, sink.limits.maxBytes, 3 * 1024 * 1024),
      interval: Duration.decode(pick("interval") ?? Duration.seconds(1)),
      concurrency: whole(operation, at("concurrency"), pick("concurrency"), 4),
      schedule: RetryPolicy.schedule(pick("retry")),
      shutdownTimeout: Duration.decode(pick("shutdownTimeout") ?? Duration.seconds(5))
    }
    return settings
  })

const resolveRecordSettings = (options: Options | undefined): Effect.Effect<RecordSettings> =>
  Effect.sync(() => ({
    redact: options?.redact,
    bounds: Sanitize.resolveBounds({
      maxStringLength: options?.maxStringLength,
      maxDepth: options?.maxDepth,
      maxItems: options?.maxItems,
      maxRecordBytes: options?.maxRecordBytes
    })
  }))
