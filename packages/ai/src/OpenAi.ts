/**
 * The `ModelBinding` for `@effect/ai-openai`: a managed prompt's model name
 * and parameters applied to a call with `OpenAiLanguageModel.withConfigOverride`
 * (see `ModelOptions.openAi` for the mapping). A subpath module
 * (`@promptops/ai/OpenAi`), so apps without `@effect/ai-openai` never load it.
 *
 * @since 0.1.0
 */
import * as OpenAiLanguageModel from "@effect/ai-openai/OpenAiLanguageModel"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Binding from "./internal/binding.js"
import * as ModelOptions from "./ModelOptions.js"

/**
 * The GenAI provider name.
 *
 * @since 0.1.0
 */
export const provider = "openai"

/**
 * @since 0.1.0
 */
export const binding: ModelOptions.ModelBinding.Service = {
  provider,
  apply: (spec) => {
    const { config, unmapped } = ModelOptions.openAi(spec)
    const foreign = ModelOptions.isForeign(spec, provider)
    const overrides = (foreign ? Binding.withoutModel(config) : config) as OpenAiLanguageModel.Config.Service
    const report = Binding.report(provider, spec, unmapped, foreign)
    return (self) => Effect.zipRight(report, OpenAiLanguageModel.withConfigOverride(self, overrides))
  }
}

/**
 * Provides the OpenAI `ModelBinding`, so `ManagedPrompt` calls run with the
 * prompt's model and parameters.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<ModelOptions.ModelBinding> = Layer.succeed(ModelOptions.ModelBinding, binding)
