/**
 * Usage annotated on spans inside an eval case, added to the case's result.
 *
 * `Eval.run` marks each case's `task` span with the case (one property
 * assignment, no context to provide); `Trace.annotate({ usage })` in any span
 * below it (an LLM call in the task) finds the mark by walking up the parents
 * and adds the usage to the case, so the result's `usage`, and with it the
 * summary's token and cost metrics, is the same on every backend, not only
 * where the vendor sums spans itself.
 *
 * Each `score` span carries a mark too, whose sink adds to the result's
 * `scorerUsage` (an LLM judge's tokens and cost): score spans are siblings of
 * the task span, so the walk to the nearest mark never mixes the two.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import type { Usage } from "../Experiment.js"

/** The property of a task or score span that holds where its usage goes. */
export const CASE: unique symbol = Symbol.for("@promptops/core/Eval/case")

/** What a case accepts. */
export interface UsageSink {
  readonly addUsage: (usage: Usage) => void
}

/** The sink marked on `span` or its nearest marked ancestor. */
const caseOf = (span: Tracer.AnySpan): UsageSink | undefined => {
  let current: Tracer.AnySpan | undefined = span
  // Bounded: a span tree deeper than this is not an eval case's.
  for (let depth = 0; current !== undefined && depth < 64; depth++) {
    const sink = (current as unknown as { readonly [CASE]?: UsageSink })[CASE]
    if (sink !== undefined) return sink
    current = current._tag === "Span" ? Option.getOrUndefined(current.parent) : undefined
  }
  return undefined
}

/**
 * Adds `usage` to the eval case `span` belongs to, if any: for code that holds
 * a span but runs outside an Effect (a span transformer called by a library).
 */
export const reportFor = (span: Tracer.AnySpan, usage: Usage): void => {
  caseOf(span)?.addUsage(usage)
}

/** Adds `usage` to the eval case the current span belongs to, if any. */
export const report = (usage: Usage): Effect.Effect<void> =>
  Effect.flatMap(Effect.serviceOption(Tracer.ParentSpan), (span) => {
    if (Option.isNone(span)) return Effect.void
    const sink = caseOf(span.value)
    if (sink === undefined) return Effect.void
    return Effect.sync(() => sink.addUsage(usage))
  })
