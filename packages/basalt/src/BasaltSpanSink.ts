/**
 * The neutral `SpanSink` on Basalt's REST monitoring: one `POST /monitor/trace`
 * per trace, its spans a flat `logs` list linked by `parentId`.
 *
 * Basalt takes a trace whole, so spans wait here, grouped by trace id, until
 * the trace's root span (the one without a parent) arrives; then the trace is
 * sent. Spans end children first, so the root usually arrives last, in the
 * same or a later batch. A trace whose root never arrives is sent with what
 * it has (its top spans with `parentId: null`, `metadata["promptops.partial"]`):
 * - by `flushPending` (this module's `flush` = `Tracing.flush` then
 *   `flushPending`, for serverless hosts),
 * - when the layer's scope closes (after the tracing pipeline has drained
 *   into it, since the pipeline is built on top of this layer),
 * - when it has waited `maxPendingAge` (checked at each export), or when more
 *   than `maxPendingSpans` spans wait (oldest traces first).
 * A span arriving after its trace was sent is sent as a follow-up trace with
 * the same `metadata["promptops.traceId"]`.
 *
 * Mapping (every span is a log, the root included; the trace takes the
 * root's name, input, output and metadata):
 * - kinds: `llm` → `generation` (tokens, cost), `tool` → `tool`, `retrieval`
 *   → `retrieval`, `function` and `score` → `function`, a zero-length `span`
 *   → `event`, everything else → `span`; `metadata["basalt.logType"]` overrides;
 * - `generationLogs: "span"` sends LLM spans as `span` logs with tokens and
 *   cost in metadata: Basalt's own raw-REST example says the REST API may
 *   silently drop traces that contain `generation` logs;
 * - times as ISO-8601; errors (`metadata.error = { message, type, stack }`:
 *   what Basalt's SDK records as an OTel exception event), scores, tags and
 *   other metrics in metadata;
 * - span metadata `basalt.prompt` (`{ slug, version?, tag? }`, a prompt
 *   stored in Basalt), `basalt.variables` (a record), `basalt.user` and
 *   `basalt.organization` (`{ id, name }`) and `basalt.evaluators` (slugs) go
 *   to the matching Basalt fields.
 *
 * Spans routed to an experiment are not sent by default
 * (`experimentSpans: "skip"`): `BasaltExperiments.log` already sends every
 * eval case as a trace attached to the experiment, and Basalt cannot merge
 * two traces, so sending both would show each case twice.
 *
 * Delivery: a trace is sent by one export at a time, and the spans sent are
 * remembered (by trace id and span ids), so a retried or concurrent export
 * does not send them again; spans that joined the trace while it was being
 * sent follow as a late trace. A 413 sends the trace in two halves (down to
 * one span). A send that fails with a retryable error fails the export of a
 * batch holding spans of that trace, and that export hands its unsent spans
 * back (they leave this sink): the pipeline alone retries them or counts
 * them lost, so no span is counted twice. One that fails for good (400, 404
 * unknown feature, a lone span over the size limit) is dropped, counted in
 * `stats` and logged.
 *
 * @since 0.1.0
 */
import { Tracing } from "@promptops/core/Tracing"
import { isPlainObject, safeCopy } from "@promptops/core/Json"
import { isRetryable, type PromptOpsError } from "@promptops/core/PromptOpsError"
import * as Records from "@promptops/core/Records"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import * as SpanSink from "@promptops/core/SpanSink"
import { Clock, Context, Duration, Effect, Layer } from "effect"
import { BasaltClient, type TraceInput } from "./BasaltClient.js"
import type * as BasaltSchema from "./BasaltSchema.js"
import * as BasaltWarning from "./BasaltWarning.js"
import { isoTime, toIo } from "./internal/json.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /** The feature traces belong to. Default: the client's `featureSlug` (one is needed). */
  readonly featureSlug?: string | undefined
  /** How LLM spans are sent: `generation` logs (default), or `span` logs with tokens in metadata. */
  readonly generationLogs?: "generation" | "span" | undefined
  /** Spans routed to an experiment: `skip` (default, see the module notes) or `send`. */
  readonly experimentSpans?: "skip" | "send" | undefined
  /** A trace whose root has not arrived is sent as it is after this long. Default 60 s. */
  readonly maxPendingAge?: Duration.DurationInput | undefined
  /** Most spans waiting for their root; past it the oldest traces are sent as they are. Default 10,000. */
  readonly maxPendingSpans?: number | undefined
  /** How many sent traces are remembered, so a retried export does not send them twice. Default 10,000. */
  readonly sentMemory?: number | undefined
  /** Traces sent at once. Default 4. */
  readonly concurrency?: number | undefined
  /** Basalt evaluators (by slug) to run on every trace. */
  readonly evaluators?: ReadonlyArray<string> | undefined
  /** The share of traces Basalt evaluates (0..1). Default: Basalt's. */
  readonly sampleRate?: number | undefined
  /** What the tracing pipeline may put in one export call. */
  readonly limits?: Partial<SpanSink.Limits> | undefined
  /** Where Basalt's warnings go. Default: logged. */
  readonly onWarning?: BasaltWarning.Handler | undefined
}

/**
 * @since 0.1.0
 */
export interface Stats {
  /** Traces waiting for their root, and their spans. */
  readonly pendingTraces: number
  readonly pendingSpans: number
  /** Trace payloads Basalt accepted, and the spans in them. */
  readonly sentTraces: number
  readonly sentSpans: number
  /** Of the sent traces, those sent without their root. */
  readonly partialTraces: number
  /** Spans Basalt refused for good (400, 404, 413…). */
  readonly droppedSpans: number
  /** Spans routed to an experiment and skipped (`experimentSpans: "skip"`). */
  readonly skippedExperimentSpans: number
}

/**
 * @since 0.1.0
 */
export declare namespace BasaltSpanSink {
  /**
   * @since 0.1.0
   */
  export interface Service {
    /** The sink the tracing pipeline uses (also provided as `SpanSink`). */
    readonly sink: SpanSink.SpanSink.Service
    /** Sends every waiting trace now, with or without its root. */
    readonly flushPending: Effect.Effect<void, PromptOpsError>
    readonly stats: Effect.Effect<Stats>
  }
}

/**
 * @since 0.1.0
 */
export class BasaltSpanSink extends Context.Tag("@promptops/basalt/BasaltSpanSink")<
  BasaltSpanSink,
  BasaltSpanSink.Service
>() {}

/**
 * Sends what the tracing pipeline holds, then the traces still waiting for
 * their root, failing if they cannot be sent. `Tracing.flush` does the same
 * (the sink's `flush` hook) but only logs such a failure.
 *
 * @since 0.1.0
 */
export const flush: Effect.Effect<void, PromptOpsError, Tracing | BasaltSpanSink> = Effect.gen(function*() {
  yield* (yield* Tracing).flush
  yield* (yield* BasaltSpanSink).flushPending
})

// -----------------------------------------------------------------------------
// Span → log
// -----------------------------------------------------------------------------

type LogType = BasaltSchema.Log["type"]

const logTypes: ReadonlySet<string> = new Set(["span", "generation", "function", "tool", "retrieval", "event"])

/** Span metadata keys this sink turns into Basalt fields (and removes from `metadata`). */
const reservedMetadata: ReadonlySet<string> = new Set([
  "basalt.logType",
  "basalt.prompt",
  "basalt.variables",
  "basalt.user",
  "basalt.organization",
  "basalt.evaluators"
])

/**
 * The Basalt log type of a span.
 *
 * @since 0.1.0
 */
export const logType = (record: SpanRecord, generationLogs: "generation" | "span" = "generation"): LogType => {
  const override = record.metadata["basalt.logType"]
  const type: LogType = typeof override === "string" && logTypes.has(override)
    ? override as LogType
    : record.kind === "llm"
    ? "generation"
    : record.kind === "tool"
    ? "tool"
    : record.kind === "retrieval"
    ? "retrieval"
    : record.kind === "function" || record.kind === "score"
    ? "function"
    : record.kind === "span" && record.endTime === record.startTime
    ? "event"
    : "span"
  return type === "generation" && generationLogs === "span" ? "span" : type
}

const identity = (value: unknown): BasaltSchema.Identity | undefined =>
  isPlainObject(value) && typeof value.id === "string" && typeof value.name === "string"
    ? { id: value.id, name: value.name }
    : undefined

const evaluatorsOf = (value: unknown): Array<BasaltSchema.EvaluatorRef> | undefined =>
  Array.isArray(value)
    ? value.filter((slug): slug is string => typeof slug === "string" && slug !== "").map((slug) => ({ slug }))
    : undefined

const userMetadata = (record: SpanRecord): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const key in record.metadata) {
    if (!reservedMetadata.has(key)) Records.set(out, key, record.metadata[key])
  }
  return out
}

/** Token and cost metrics, the ones a generation log has fields for. */
const tokenMetrics: ReadonlySet<string> = new Set(["promptTokens", "completionTokens", "cost"])

/**
 * One span as a Basalt log. `parentId` is the parent span's id when that span
 * is in the same payload, else `null`.
 *
 * @since 0.1.0
 */
export const toLog = (
  record: SpanRecord,
  parentId: string | null,
  generationLogs: "generation" | "span" = "generation"
): BasaltSchema.Log => {
  const type = logType(record, generationLogs)
  const metadata: Record<string, unknown> = { ...userMetadata(record), "promptops.kind": record.kind }
  if (record.parentSpanId !== undefined && parentId === null) metadata["promptops.parentSpanId"] = record.parentSpanId
  if (record.error !== undefined) metadata.error = record.error
  if (record.scores !== undefined) metadata.scores = record.scores
  if (record.tags !== undefined) metadata.tags = record.tags
  if (record.truncated === true) metadata["promptops.truncated"] = true
  const isGeneration = type === "generation"
  const otherMetrics: Record<string, number> = {}
  for (const key in record.metrics) {
    if (!(isGeneration && tokenMetrics.has(key))) Records.set(otherMetrics, key, record.metrics[key]!)
  }
  if (record.kind === "llm" && !isGeneration) {
    // Basalt's raw-REST example keeps an LLM span's tokens in metadata when it sends it as a `span`.
    if (record.metrics.promptTokens !== undefined) metadata.inputTokens = record.metrics.promptTokens
    if (record.metrics.completionTokens !== undefined) metadata.outputTokens = record.metrics.completionTokens
    if (record.metrics.cost !== undefined) metadata.cost = record.metrics.cost
  }
  if (Object.keys(otherMetrics).length > 0) metadata.metrics = otherMetrics
  const startTime = isoTime(record.startTime)
  const endTime = isoTime(record.endTime)
  const evaluators = evaluatorsOf(record.metadata["basalt.evaluators"])
  const common = {
    id: record.spanId,
    name: record.name,
    parentId,
    ...(startTime !== undefined ? { startTime } : {}),
    ...(endTime !== undefined ? { endTime } : {}),
    ...(record.input !== undefined ? { input: toIo(record.input) } : {}),
    ...(record.output !== undefined ? { output: toIo(record.output) } : {}),
    ...(record.expected !== undefined ? { idealOutput: toIo(record.expected) } : {}),
    metadata: safeCopy(metadata) as Record<string, unknown>,
    ...(evaluators !== undefined && evaluators.length > 0 ? { evaluators } : {})
  }
  if (!isGeneration) return { ...common, type: type as Exclude<LogType, "generation"> }
  const prompt = record.metadata["basalt.prompt"]
  const variables = record.metadata["basalt.variables"]
  return {
    ...common,
    type: "generation",
    ...(record.metrics.promptTokens !== undefined ? { inputTokens: record.metrics.promptTokens } : {}),
    ...(record.metrics.completionTokens !== undefined ? { outputTokens: record.metrics.completionTokens } : {}),
    ...(record.metrics.cost !== undefined ? { cost: record.metrics.cost } : {}),
    // Only a prompt Basalt stores: the server looks it up.
    ...(isPlainObject(prompt) && typeof prompt.slug === "string"
      ? {
        prompt: {
          slug: prompt.slug,
          ...(typeof prompt.version === "string" ? { version: prompt.version } : {}),
          ...(typeof prompt.tag === "string" ? { tag: prompt.tag } : {})
        }
      }
      : {}),
    ...(isPlainObject(variables)
      ? {
        variables: Object.entries(variables).map(([label, value]) => ({
          label,
          value: value === null || value === undefined ? null : typeof value === "string" ? value : JSON.stringify(safeCopy(value)) ?? null
        }))
      }
      : {})
  }
}

/**
 * The spans of one trace as one `POST /monitor/trace` payload. `root` is the
 * span without a parent when it is there; without it the earliest top span
 * names the trace and `metadata["promptops.partial"]` is set.
 *
 * @since 0.1.0
 */
export const toTrace = (
  spans: ReadonlyArray<SpanRecord>,
  options: {
    readonly featureSlug?: string | undefined
    readonly generationLogs?: "generation" | "span" | undefined
    readonly evaluators?: ReadonlyArray<string> | undefined
    readonly sampleRate?: number | undefined
    /** Set for spans that arrived after their trace was sent. */
    readonly late?: boolean | undefined
  } = {}
): TraceInput => {
  const byId = new Map(spans.map((span) => [span.spanId, span]))
  const ids = new Set(byId.keys())
  const depth = new Map<string, number>()
  const depthOf = (span: SpanRecord): number => {
    let known = depth.get(span.spanId)
    if (known !== undefined) return known
    // Walk up within the payload; a cycle (never produced by the tracer) stops the walk.
    let d = 0
    let current: SpanRecord | undefined = span
    const seen = new Set<string>()
    while (current?.parentSpanId !== undefined && !seen.has(current.spanId)) {
      seen.add(current.spanId)
      current = byId.get(current.parentSpanId)
      if (current !== undefined) d++
    }
    known = d
    depth.set(span.spanId, known)
    return known
  }
  // By start time; at equal times parents first (spans started in the same millisecond).
  const ordered = [...spans].sort((a, b) => a.startTime - b.startTime || depthOf(a) - depthOf(b))
  const logs = ordered.map((span) =>
    toLog(
      span,
      span.parentSpanId !== undefined && ids.has(span.parentSpanId) ? span.parentSpanId : null,
      options.generationLogs
    )
  )
  const root = ordered.find((span) => span.parentSpanId === undefined)
  const top = root ?? ordered.find((span) => span.parentSpanId === undefined || !ids.has(span.parentSpanId)) ?? ordered[0]!
  const start = Math.min(...ordered.map((span) => span.startTime))
  const end = Math.max(...ordered.map((span) => span.endTime))
  const startTime = isoTime(start)
  const endTime = isoTime(end)
  const user = identity(top.metadata["basalt.user"])
  const organization = identity(top.metadata["basalt.organization"])
  const evaluators = [
    ...(options.evaluators ?? []).map((slug) => ({ slug })),
    ...(evaluatorsOf(top.metadata["basalt.evaluators"]) ?? [])
  ]
  const metadata: Record<string, unknown> = { ...userMetadata(top), "promptops.traceId": top.traceId }
  if (root === undefined) metadata["promptops.partial"] = true
  if (options.late === true) metadata["promptops.late"] = true
  return {
    ...(options.featureSlug !== undefined ? { featureSlug: options.featureSlug } : {}),
    name: top.name,
    ...(top.input !== undefined ? { input: toIo(top.input) } : {}),
    ...(top.output !== undefined ? { output: toIo(top.output) } : {}),
    ...(top.expected !== undefined ? { idealOutput: toIo(top.expected) } : {}),
    metadata: safeCopy(metadata) as Record<string, unknown>,
    ...(user !== undefined ? { user } : {}),
    ...(organization !== undefined ? { organization } : {}),
    ...(startTime !== undefined ? { startTime } : {}),
    ...(endTime !== undefined ? { endTime } : {}),
    ...(top.destination._tag === "Experiment" ? { experiment: { id: top.destination.experimentId } } : {}),
    logs,
    ...(evaluators.length > 0 ? { evaluators } : {}),
    ...(options.sampleRate !== undefined ? { evaluationConfig: { sampleRate: options.sampleRate } } : {})
  }
}

// -----------------------------------------------------------------------------
// The sink
// -----------------------------------------------------------------------------

interface Pending {
  readonly traceId: string
  readonly spans: Map<string, SpanRecord>
  /** When the first span of the trace arrived here (clock millis). */
  readonly since: number
  hasRoot: boolean
  /** Part of its trace was sent already: these spans come late. */
  late: boolean
}

/**
 * @since 0.1.0
 */
export const make = (
  options: Options = {}
): Effect.Effect<BasaltSpanSink.Service, never, BasaltClient> =>
  Effect.gen(function*() {
    const client = yield* BasaltClient
    const featureSlug = options.featureSlug ?? client.featureSlug
    const generationLogs = options.generationLogs ?? "generation"
    const experimentSpans = options.experimentSpans ?? "skip"
    const maxPendingAge = Duration.toMillis(Duration.decode(options.maxPendingAge ?? Duration.seconds(60)))
    const maxPendingSpans = Math.max(1, options.maxPendingSpans ?? 10_000)
    const sentMemory = Math.max(1, options.sentMemory ?? 10_000)
    const concurrency = Math.max(1, options.concurrency ?? 4)
    const onWarning = options.onWarning ?? BasaltWarning.log

    /** Traces waiting, in arrival order of their first span. */
    const pending = new Map<string, Pending>()
    let pendingSpans = 0
    /** Sent traces (most recent last) and the ids of the spans sent in them. */
    const sent = new Map<string, Set<string>>()
    /** Traces whose send is under way: an overlapping export leaves them alone. */
    const inFlight = new Set<Pending>()
    const counters = { sentTraces: 0, sentSpans: 0, partialTraces: 0, droppedSpans: 0, skippedExperimentSpans: 0 }

    const remember = (traceId: string, spanIds: Iterable<string>) => {
      const known = sent.get(traceId) ?? new Set<string>()
      for (const id of spanIds) known.add(id)
      sent.delete(traceId)
      sent.set(traceId, known)
      while (sent.size > sentMemory) sent.delete(sent.keys().next().value!)
    }

    const accept = (batch: ReadonlyArray<SpanRecord>, now: number) => {
      for (const record of batch) {
        if (record.destination._tag === "Experiment" && experimentSpans === "skip") {
          counters.skippedExperimentSpans++
          continue
        }
        const alreadySent = sent.get(record.traceId)
        if (alreadySent?.has(record.spanId) === true) continue
        let group = pending.get(record.traceId)
        if (group === undefined) {
          group = { traceId: record.traceId, spans: new Map(), since: now, hasRoot: false, late: alreadySent !== undefined }
          pending.set(record.traceId, group)
        }
        if (!group.spans.has(record.spanId)) pendingSpans++
        group.spans.set(record.spanId, record)
        if (record.parentSpanId === undefined) group.hasRoot = true
      }
    }

    /** The traces to send now: complete, late, too old, or the oldest past the span budget. */
    const due = (now: number, all: boolean): Array<Pending> => {
      const out: Array<Pending> = []
      let remaining = pendingSpans
      for (const group of pending.values()) {
        if (inFlight.has(group)) continue
        if (all || group.hasRoot || group.late || now - group.since >= maxPendingAge || remaining > maxPendingSpans) {
          out.push(group)
          remaining -= group.spans.size
        }
      }
      return out
    }

    /**
     * Settles `spans` of `group` (sent, or refused for good): they leave the
     * group and are remembered. Spans that joined the group while it was being
     * sent stay, and go out as a follow-up trace.
     */
    const settle = (group: Pending, spans: ReadonlyArray<SpanRecord>) => {
      remember(group.traceId, spans.map((span) => span.spanId))
      for (const span of spans) {
        if (group.spans.delete(span.spanId)) pendingSpans--
      }
      if (group.spans.size === 0) {
        if (pending.get(group.traceId) === group) pending.delete(group.traceId)
      } else {
        group.late = true
      }
    }

    /**
     * Sends `spans` of `group` as one trace payload. A 413 sends it in two
     * halves (a trace and its follow-up), down to a single span.
     */
    const sendSpans = (
      group: Pending,
      spans: ReadonlyArray<SpanRecord>,
      late: boolean
    ): Effect.Effect<void, { readonly error: PromptOpsError; readonly refused: boolean }> =>
      Effect.suspend(() => {
        const trace = toTrace(spans, {
          featureSlug,
          generationLogs,
          evaluators: options.evaluators,
          sampleRate: options.sampleRate,
          late
        })
        return client.sendTrace(trace).pipe(
          Effect.matchEffect({
            onSuccess: (response) => {
              settle(group, spans)
              counters.sentTraces++
              counters.sentSpans += spans.length
              if (!spans.some((span) => span.parentSpanId === undefined)) counters.partialTraces++
              return BasaltWarning.report(onWarning, "SpanSink.export", `trace ${group.traceId}`, response.warning)
            },
            onFailure: (error) => {
              if (error._tag === "PayloadTooLarge" && spans.length > 1) {
                const half = Math.ceil(spans.length / 2)
                return Effect.zipRight(
                  sendSpans(group, spans.slice(0, half), late),
                  Effect.suspend(() => sendSpans(group, spans.slice(half), true))
                )
              }
              // Kept waiting: the pipeline's retry (or the next export, or a flush) sends it again.
              if (isRetryable(error)) return Effect.fail({ error, refused: false })
              // Refused for good: keeping it would fail every later export too.
              settle(group, spans)
              counters.droppedSpans += spans.length
              return Effect.logWarning("basalt: a trace was refused; its spans are dropped").pipe(
                Effect.annotateLogs({
                  "basalt.trace": group.traceId,
                  dropped: spans.length,
                  error: `${error._tag}${error.status === undefined ? "" : ` ${error.status}`}: ${error.description}`
                }),
                Effect.zipRight(Effect.fail({ error, refused: true }))
              )
            }
          })
        )
      })

    const send = (
      group: Pending
    ): Effect.Effect<void, { readonly error: PromptOpsError; readonly refused: boolean }> =>
      Effect.suspend(() => {
        // `due` lists a trace for every export running at that moment: only the
        // first send of it goes; the others find it in flight, or already sent.
        if (inFlight.has(group) || pending.get(group.traceId) !== group) return Effect.void
        if (group.spans.size === 0) {
          pending.delete(group.traceId)
          return Effect.void
        }
        inFlight.add(group)
        return sendSpans(group, [...group.spans.values()], group.late).pipe(
          Effect.ensuring(Effect.sync(() => inFlight.delete(group)))
        )
      })

    /**
     * Sends the due traces, all of them even when one fails. Then fails with
     * the first retryable failure of a trace in `owned` (every trace when
     * undefined), so the caller retries; a failure of any other trace leaves
     * it waiting here, for the next export or flush. For `flushPending`, whose
     * caller wants to know, it also fails with the first refusal. An export
     * whose traces were only refused succeeds: those spans are dropped,
     * counted in `stats` and logged, and failing would make the pipeline count
     * the whole batch as lost.
     */
    const sendDue = (
      all: boolean,
      reportRefused: boolean,
      owned?: ReadonlySet<string>
    ): Effect.Effect<void, PromptOpsError> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const groups = due(now, all)
        if (groups.length === 0) return
        const outcomes = yield* Effect.forEach(groups, (group) => Effect.either(send(group)), { concurrency })
        let refused: PromptOpsError | undefined
        for (let i = 0; i < outcomes.length; i++) {
          const outcome = outcomes[i]!
          if (outcome._tag === "Left") {
            if (!outcome.left.refused) {
              if (owned === undefined || owned.has(groups[i]!.traceId)) return yield* Effect.fail(outcome.left.error)
            } else {
              refused ??= outcome.left.error
            }
          }
        }
        if (refused !== undefined && reportRefused) return yield* Effect.fail(refused)
      })

    /**
     * Hands the spans of a failed (or interrupted) export back to the
     * pipeline: those not sent leave this sink, so the pipeline alone retries
     * them, or counts them lost — never both it and this sink's shutdown report.
     */
    const release = (batch: ReadonlyArray<SpanRecord>) => {
      for (const record of batch) {
        const group = pending.get(record.traceId)
        if (group === undefined || !group.spans.delete(record.spanId)) continue
        pendingSpans--
        if (record.parentSpanId === undefined) group.hasRoot = false
        if (group.spans.size === 0 && !inFlight.has(group)) pending.delete(record.traceId)
      }
    }

    const flushPending = sendDue(true, true)
    const sink = SpanSink.make({
      provider: "basalt",
      limits: options.limits,
      export: (batch) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          accept(batch, now)
          return sendDue(false, false, new Set(batch.map((record) => record.traceId)))
        }).pipe(Effect.onExit((exit) => (exit._tag === "Failure" ? Effect.sync(() => release(batch)) : Effect.void))),
      // `Tracing.flush` and the pipeline's shutdown send the traces still waiting for their root.
      flush: flushPending
    })

    return {
      sink,
      flushPending,
      stats: Effect.sync(() => ({ pendingTraces: pending.size, pendingSpans, ...counters }))
    }
  })

/**
 * Provides `SpanSink` (for `Tracing.layer`) and `BasaltSpanSink`. Closing the
 * layer's scope sends the traces still waiting for their root.
 *
 * @since 0.1.0
 */
export const layer = (
  options: Options = {}
): Layer.Layer<SpanSink.SpanSink | BasaltSpanSink, never, BasaltClient> =>
  Layer.scopedContext(
    Effect.gen(function*() {
      const service = yield* make(options)
      yield* Effect.addFinalizer(() =>
        service.flushPending.pipe(
          Effect.catchAll((error) =>
            Effect.flatMap(service.stats, (stats) =>
              Effect.logWarning("basalt: traces still waiting at shutdown could not be sent").pipe(
                Effect.annotateLogs({
                  pendingSpans: stats.pendingSpans,
                  error: `${error._tag}: ${error.description}`
                })
              ))
          )
        )
      )
      return Context.make(BasaltSpanSink, service).pipe(Context.add(SpanSink.SpanSink, service.sink))
    })
  )
