/**
 * The `ModelBinding` for `@effect/ai-anthropic`: a managed prompt's model
 * name and parameters applied to a call with
 * `AnthropicLanguageModel.withConfigOverride` (see `ModelOptions.anthropic`
 * for the mapping). A subpath module (`@promptops/ai/Anthropic`), so apps
 * without `@effect/ai-anthropic` never load it.
 *
 * @since 0.1.0
 */
import * as AnthropicLanguageModel from "@effect/ai-anthropic/AnthropicLanguageModel"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Binding from "./internal/binding.js"
import * as ModelOptions from "./ModelOptions.js"

/**
 * The GenAI provider name.
 *
 * @since 0.1.0
 */
export const provider = "anthropic"

/**
 * @since 0.1.0
 */
export const binding: ModelOptions.ModelBinding.Service = {
  provider,
  apply: (spec) => {
    const { config, unmapped } = ModelOptions.anthropic(spec)
    const foreign = ModelOptions.isForeign(spec, provider)
    const overrides = (foreign ? Binding.withoutModel(config) : config) as AnthropicLanguageModel.Config.Service
    const report = Binding.report(provider, spec, unmapped, foreign)
    return (self) => Effect.zipRight(report, AnthropicLanguageModel.withConfigOverride(self, overrides))
  }
}

/**
 * Provides the Anthropic `ModelBinding`, so `ManagedPrompt` calls run with
 * the prompt's model and parameters.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<ModelOptions.ModelBinding> = Layer.succeed(ModelOptions.ModelBinding, binding)
