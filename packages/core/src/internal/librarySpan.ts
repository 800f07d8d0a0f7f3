/**
 * Spans around library operations (`Prompts.get`, the registry, experiment
 * bookkeeping, …). The user's traces hold what the app traced: a library
 * operation shows up only inside a span the app opened (a prompt fetch inside
 * the request that used it), never as a trace of its own in the user's
 * vendor account. So the span is opened only when the fiber already has a
 * parent span; otherwise the operation runs untraced.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Tracer from "effect/Tracer"
import type { GetOptions } from "../Prompts.js"
import type { SpanKind } from "../SpanRecord.js"
import * as Attr from "./attributes.js"

/**
 * What a library span carries.
 */
export interface LibrarySpanOptions {
  /** Span attributes; `promptops.kind` defaults to `function`. */
  readonly attributes?: Readonly<Record<string, unknown>> | undefined
  readonly kind?: SpanKind | undefined
}

/**
 * Runs `self` in a span named `name` when it runs inside another span (as
 * that span's child), and without a span otherwise.
 */
export const withLibrarySpan: {
  (name: string, options?: LibrarySpanOptions | undefined): <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, Exclude<R, Tracer.ParentSpan>>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    name: string,
    options?: LibrarySpanOptions | undefined
  ): Effect.Effect<A, E, Exclude<R, Tracer.ParentSpan>>
} = dual(
  (args) => Effect.isEffect(args[0]),
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    name: string,
    options?: LibrarySpanOptions | undefined
  ): Effect.Effect<A, E, Exclude<R, Tracer.ParentSpan>> => {
    const spanOptions: Tracer.SpanOptions = {
      attributes: { [Attr.KIND]: options?.kind ?? "function", ...options?.attributes },
      // A stack pointing into promptops tells the user nothing, and costs an Error per call.
      captureStackTrace: false
    }
    return Effect.withFiberRuntime<A, E, R>((fiber) =>
      Context.getOption(fiber.currentContext, Tracer.ParentSpan)._tag === "Some"
        ? Effect.withSpan(self, name, spanOptions) as Effect.Effect<A, E, R>
        : self
    ) as Effect.Effect<A, E, Exclude<R, Tracer.ParentSpan>>
  }
)

/**
 * Sets an attribute on the current span, if there is one. Unlike
 * `Effect.annotateCurrentSpan`, it builds no exception when there is none
 * (the untraced case of a library operation), so it costs nothing there.
 */
export const annotate = (key: string, value: unknown): Effect.Effect<void> =>
  Effect.withFiberRuntime<void>((fiber) => {
    const span = Context.getOption(fiber.currentContext, Tracer.ParentSpan)
    if (span._tag === "Some" && span.value._tag === "Span") span.value.attribute(key, value)
    return Effect.void
  })

/** The version a `Prompts.get` returned. */
export const PROMPT_VERSION = "promptops.prompt.version"

/**
 * The attributes of a `Prompts.get` span, shared by `Prompts.make` and the
 * cached `Prompts` of `PromptCache.layer`: a get has the same span with or
 * without the cache.
 */
export const promptGetAttributes = (
  provider: string,
  slug: string,
  options: GetOptions
): Readonly<Record<string, unknown>> => ({
  "promptops.provider": provider,
  "promptops.prompt.slug": slug,
  ...(options.version !== undefined ? { "promptops.prompt.requested_version": options.version } : {}),
  ...(options.tag !== undefined ? { "promptops.prompt.requested_tag": options.tag } : {})
})
