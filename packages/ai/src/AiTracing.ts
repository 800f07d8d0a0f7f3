/**
 * Records `@effect/ai`'s own `LanguageModel.*` spans as promptops `llm`
 * spans: a `Telemetry.SpanTransformer` that writes, on the span `@effect/ai`
 * opened, the input messages and the output in promptops' neutral form
 * (`AiPrompt.fromAiPrompt` / `outputOf`), the usage from the `finish` part
 * (so an eval case's usage sums it), `gen_ai.provider.name`,
 * `gen_ai.operation.name` and the models, and leaves `@effect/ai`'s
 * internals (its `concurrency` / `toolChoice` span attributes, the
 * deprecated `gen_ai.system`) out of the record.
 *
 * `@effect/ai` calls a transformer only when the call succeeds: a failed
 * call's span carries the error but no input.
 *
 * @since 0.1.0
 */
import * as Telemetry from "@effect/ai/Telemetry"
import * as Layer from "effect/Layer"
import * as internal from "./internal/tracing.js"

/**
 * The span transformer, for apps that install their own
 * `Telemetry.CurrentSpanTransformer`.
 *
 * @since 0.1.0
 */
export const transformer: Telemetry.SpanTransformer = internal.make()

/**
 * A transformer with options: the provider name and request model to record
 * when the `LanguageModel` writes none (a mock or stand-in model), and the
 * managed prompt to link (`ManagedPrompt.link` does this for you).
 *
 * @since 0.1.0
 */
export const make = (options: {
  readonly provider?: string | undefined
  readonly model?: string | undefined
  readonly link?: { readonly slug: string; readonly version: string } | undefined
}): Telemetry.SpanTransformer => internal.make(options)

/**
 * Provides `transformer` as `@effect/ai`'s `CurrentSpanTransformer`: every
 * `LanguageModel` call under it is recorded.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<Telemetry.CurrentSpanTransformer> = Layer.succeed(
  Telemetry.CurrentSpanTransformer,
  transformer
)
