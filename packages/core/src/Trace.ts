/**
 * Thin helpers for app code. Tracing itself is plain `Effect.withSpan` /
 * `Effect.fn`; these only write the span attributes the promptops tracer
 * reads (`promptops.kind`, `promptops.input`, …), so any Effect tracer still
 * works and nothing here depends on `Tracing` being installed.
 *
 * ```ts
 * const answer = (question: string) =>
 *   Effect.gen(function*() {
 *     const reply = yield* callModel(question)
 *     yield* Trace.annotate({ input: question, output: reply.text, usage: reply.usage })
 *     return reply.text
 *   }).pipe(Trace.llm("answer"))
 * ```
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Tracer from "effect/Tracer"
import type { Usage } from "./Experiment.js"
import * as Attr from "./internal/attributes.js"
import * as CaseUsage from "./internal/caseUsage.js"
import * as LibrarySpan from "./internal/librarySpan.js"
import type { SpanKind } from "./SpanRecord.js"

/**
 * A span wrapper: data-last (`effect.pipe(Trace.llm("name"))`) or data-first
 * (`Trace.llm(effect, "name")`).
 *
 * @since 0.1.0
 */
export interface SpanWrapper {
  (name: string, options?: Tracer.SpanOptions | undefined): <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, Exclude<R, Tracer.ParentSpan>>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    name: string,
    options?: Tracer.SpanOptions | undefined
  ): Effect.Effect<A, E, Exclude<R, Tracer.ParentSpan>>
}

/**
 * The caller's source line, computed lazily like Effect's own `withSpan`
 * does (Effect would otherwise point every span at this module).
 */
const captureCallSite = (options: Tracer.SpanOptions | undefined): Tracer.SpanOptions["captureStackTrace"] => {
  if (options?.captureStackTrace !== undefined && options.captureStackTrace !== true) return options.captureStackTrace
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 3
  const error = new Error()
  Error.stackTraceLimit = limit
  let cache: string | undefined | false = false
  return () => {
    if (cache === false) {
      // 0: "Error", 1: captureCallSite, 2: the exported helper, 3: its caller.
      cache = error.stack?.split("\n")[3]?.trim()
    }
    return cache
  }
}

const wrap = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  kind: SpanKind,
  name: string,
  options: Tracer.SpanOptions | undefined,
  captureStackTrace: Tracer.SpanOptions["captureStackTrace"]
): Effect.Effect<A, E, Exclude<R, Tracer.ParentSpan>> =>
  Effect.withSpan(self, name, {
    ...options,
    attributes: options?.attributes === undefined
      ? { [Attr.KIND]: kind }
      : { ...options.attributes, [Attr.KIND]: kind },
    captureStackTrace
  })

const wrapper = (kind: SpanKind): SpanWrapper =>
  function(this: unknown) {
    const args = arguments
    if (typeof args[0] === "string") {
      const name = args[0] as string
      const options = args[1] as Tracer.SpanOptions | undefined
      const callSite = captureCallSite(options)
      return <A, E, R>(self: Effect.Effect<A, E, R>) => wrap(self, kind, name, options, callSite)
    }
    const options = args[2] as Tracer.SpanOptions | undefined
    return wrap(args[0] as Effect.Effect<unknown, unknown, unknown>, kind, args[1] as string, options, captureCallSite(options))
  } as SpanWrapper

/**
 * Runs the effect in a span of the given promptops kind.
 *
 * @since 0.1.0
 */
export const span = (kind: SpanKind): SpanWrapper => wrapper(kind)

/**
 * A call to a language model (`kind: "llm"`).
 *
 * @since 0.1.0
 */
export const llm: SpanWrapper = wrapper("llm")

/**
 * A unit of app work, e.g. the task under evaluation (`kind: "task"`).
 *
 * @since 0.1.0
 */
export const task: SpanWrapper = wrapper("task")

/**
 * A tool call (`kind: "tool"`).
 *
 * @since 0.1.0
 */
export const tool: SpanWrapper = wrapper("tool")

/**
 * A retrieval step (`kind: "retrieval"`).
 *
 * @since 0.1.0
 */
export const retrieval: SpanWrapper = wrapper("retrieval")

/**
 * What `annotate` can put on the current span.
 *
 * @since 0.1.0
 */
export interface Annotations {
  readonly input?: unknown
  readonly output?: unknown
  readonly expected?: unknown
  /** Merged into the record's metadata (repeated calls add keys). */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined
  /** Token usage and cost; `totalTokens` is derived when missing. */
  readonly usage?: Usage | undefined
  /** Scores from 0 to 1, or null; merged with earlier ones. */
  readonly scores?: Readonly<Record<string, number | null>> | undefined
  /** Numeric metrics; merged with earlier ones. */
  readonly metrics?: Readonly<Record<string, number>> | undefined
  readonly tags?: ReadonlyArray<string> | undefined
}

/**
 * Writes data onto the current span. Does nothing outside a span.
 *
 * @since 0.1.0
 */
export const annotate = (annotations: Annotations): Effect.Effect<void> => {
  const annotated = Effect.annotateCurrentSpan(attributesOf(annotations))
  // Inside an eval case, the usage also counts towards the case's result.
  return annotations.usage === undefined
    ? annotated
    : Effect.zipRight(annotated, CaseUsage.report(withTotal(annotations.usage)))
}

/**
 * Writes data onto a span held by hand, as `annotate` does on the current
 * span: for code a library calls outside an Effect with the span in hand
 * (`@effect/ai`'s span transformer, say). Usage counts towards the eval case
 * the span belongs to, as with `annotate`.
 *
 * @since 0.1.0
 */
export const annotateSpan = (span: Tracer.Span, annotations: Annotations): void => {
  for (const [key, value] of Object.entries(attributesOf(annotations))) span.attribute(key, value)
  if (annotations.usage !== undefined) CaseUsage.reportFor(span, withTotal(annotations.usage))
}

const attributesOf = (annotations: Annotations): Record<string, unknown> => {
  const attributes: Record<string, unknown> = {}
  if (annotations.input !== undefined) attributes[Attr.INPUT] = annotations.input
  if (annotations.output !== undefined) attributes[Attr.OUTPUT] = annotations.output
  if (annotations.expected !== undefined) attributes[Attr.EXPECTED] = annotations.expected
  if (annotations.metadata !== undefined) attributes[Attr.METADATA] = annotations.metadata
  if (annotations.scores !== undefined) attributes[Attr.SCORES] = annotations.scores
  if (annotations.tags !== undefined) attributes[Attr.TAGS] = annotations.tags
  if (annotations.usage !== undefined || annotations.metrics !== undefined) {
    attributes[Attr.METRICS] = { ...usageMetrics(annotations.usage), ...annotations.metrics }
  }
  return attributes
}

const withTotal = (usage: Usage): Usage =>
  usage.totalTokens !== undefined || (usage.promptTokens === undefined && usage.completionTokens === undefined)
    ? usage
    : { ...usage, totalTokens: (usage.promptTokens ?? 0) + (usage.completionTokens ?? 0) }

const usageMetrics = (usage: Usage | undefined): Record<string, number> => {
  const metrics: Record<string, number> = {}
  if (usage === undefined) return metrics
  if (usage.promptTokens !== undefined) metrics.promptTokens = usage.promptTokens
  if (usage.completionTokens !== undefined) metrics.completionTokens = usage.completionTokens
  if (usage.totalTokens !== undefined) metrics.totalTokens = usage.totalTokens
  else if (usage.promptTokens !== undefined || usage.completionTokens !== undefined) {
    metrics.totalTokens = (usage.promptTokens ?? 0) + (usage.completionTokens ?? 0)
  }
  if (usage.cost !== undefined) metrics.cost = usage.cost
  return metrics
}

/**
 * Sets the promptops kind of the current span.
 *
 * @since 0.1.0
 */
export const kind = (kind: SpanKind): Effect.Effect<void> => Effect.annotateCurrentSpan(Attr.KIND, kind)

/**
 * The id of the current span, e.g. to attach feedback to it later. Fails
 * outside a span.
 *
 * @since 0.1.0
 */
export const currentSpanId: Effect.Effect<string, Cause.NoSuchElementException> = Effect.map(
  Effect.currentSpan,
  (span) => span.spanId
)

/**
 * The trace id of the current span. Fails outside a span.
 *
 * @since 0.1.0
 */
export const currentTraceId: Effect.Effect<string, Cause.NoSuchElementException> = Effect.map(
  Effect.currentSpan,
  (span) => span.traceId
)

/**
 * What a library span carries.
 *
 * @since 0.1.0
 */
export type LibrarySpanOptions = LibrarySpan.LibrarySpanOptions

/**
 * For library and adapter code, not for apps: runs the effect in a span only
 * when it runs inside another span (the app's), as that span's child, and
 * untraced otherwise. promptops wraps its own operations (`Prompts.get`,
 * `PromptRegistry.push`, `Experiments.create`, …) with it, so the user's
 * traces hold what the app traced: a prompt fetch shows inside the request
 * that used it, and bookkeeping never becomes a trace of its own.
 *
 * @since 0.1.0
 */
export const librarySpan: {
  (name: string, options?: LibrarySpanOptions | undefined): <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, Exclude<R, Tracer.ParentSpan>>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    name: string,
    options?: LibrarySpanOptions | undefined
  ): Effect.Effect<A, E, Exclude<R, Tracer.ParentSpan>>
} = LibrarySpan.withLibrarySpan
