/**
 * A managed prompt's model (`ModelSpec`: name and neutral parameters) as a
 * provider's config, and the `ModelBinding` service that applies it to a call.
 *
 * Plain functions, with no import of the provider packages: `OpenAi` and
 * `Anthropic` (subpath modules) build the bindings on them.
 *
 * | `ModelSpec`          | OpenAI (Responses API)       | Anthropic (Messages API)     |
 * |----------------------|------------------------------|------------------------------|
 * | `name`               | `model`                      | `model`                      |
 * | `temperature`        | `temperature`                | `temperature`                |
 * | `topP`               | `top_p`                      | `top_p`                      |
 * | `maxTokens`          | `max_output_tokens`          | `max_tokens`                 |
 * | `stop`               | not sent: reported           | `stop_sequences`             |
 * | `frequencyPenalty`   | not sent: reported           | not sent: reported           |
 * | `presencePenalty`    | not sent: reported           | not sent: reported           |
 * | `responseFormat`     | not sent: use `generateObject` with a Schema | same          |
 * | `tools`, `toolChoice`| not sent: tools come from the call's `Toolkit`, `toolChoice` from the call | same |
 * | `extra`              | spread into the config unchanged (e.g. `reasoning`, `top_k`) | same |
 *
 * @since 0.1.0
 */
import type { ModelSpec } from "@promptops/core/Prompt"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

/**
 * A parameter of the prompt's model the provider's API cannot take, and why:
 * reported rather than silently sent or silently dropped.
 *
 * @since 0.1.0
 */
export interface Unmapped {
  /** The neutral name, e.g. `stop`, `frequencyPenalty`. */
  readonly param: string
  readonly reason: string
}

/**
 * A provider config built from a `ModelSpec`, with what could not be mapped.
 *
 * @since 0.1.0
 */
export interface Mapped<Config> {
  readonly config: Config
  readonly unmapped: ReadonlyArray<Unmapped>
}

/**
 * The OpenAI Responses API body fields `OpenAiLanguageModel.Config` accepts
 * that a `ModelSpec` sets; `extra` adds any other.
 *
 * @since 0.1.0
 */
export interface OpenAiConfig {
  readonly model: string
  readonly temperature?: number
  readonly top_p?: number
  readonly max_output_tokens?: number
  readonly [key: string]: unknown
}

/**
 * The Anthropic Messages API body fields `AnthropicLanguageModel.Config`
 * accepts that a `ModelSpec` sets; `extra` adds any other (`top_k`, …).
 *
 * @since 0.1.0
 */
export interface AnthropicConfig {
  readonly model: string
  readonly max_tokens?: number
  readonly temperature?: number
  readonly top_p?: number
  readonly stop_sequences?: ReadonlyArray<string>
  readonly [key: string]: unknown
}

const CALL_LEVEL: ReadonlyArray<readonly [keyof ModelSpec["params"], string]> = [
  ["responseFormat", "the response format comes from the call: use generateObject with a Schema"],
  ["tools", "tools come from the call's Toolkit"],
  ["toolChoice", "the tool choice comes from the call's toolChoice option"]
]

const callLevel = (params: ModelSpec["params"], unmapped: Array<Unmapped>): void => {
  for (const [param, reason] of CALL_LEVEL) if (params[param] !== undefined) unmapped.push({ param, reason })
}

/**
 * A `ModelSpec` as the config of `@effect/ai-openai`'s `OpenAiLanguageModel`
 * (the Responses API). `stop` and the penalties, which the Responses API
 * lacks, are reported in `unmapped`, not sent.
 *
 * @since 0.1.0
 */
export const openAi = (spec: ModelSpec): Mapped<OpenAiConfig> => {
  const params = spec.params
  const config: Record<string, unknown> = { ...params.extra, model: spec.name }
  if (params.temperature !== undefined) config.temperature = params.temperature
  if (params.topP !== undefined) config.top_p = params.topP
  if (params.maxTokens !== undefined) config.max_output_tokens = params.maxTokens
  const unmapped: Array<Unmapped> = []
  const lacks = "the OpenAI Responses API has no such parameter"
  if (params.stop !== undefined) unmapped.push({ param: "stop", reason: lacks })
  if (params.frequencyPenalty !== undefined) unmapped.push({ param: "frequencyPenalty", reason: lacks })
  if (params.presencePenalty !== undefined) unmapped.push({ param: "presencePenalty", reason: lacks })
  callLevel(params, unmapped)
  return { config: config as OpenAiConfig, unmapped }
}

/**
 * A `ModelSpec` as the config of `@effect/ai-anthropic`'s
 * `AnthropicLanguageModel` (the Messages API). The penalties, which it
 * lacks, are reported in `unmapped`, not sent.
 *
 * @since 0.1.0
 */
export const anthropic = (spec: ModelSpec): Mapped<AnthropicConfig> => {
  const params = spec.params
  const config: Record<string, unknown> = { ...params.extra, model: spec.name }
  if (params.maxTokens !== undefined) config.max_tokens = params.maxTokens
  if (params.temperature !== undefined) config.temperature = params.temperature
  if (params.topP !== undefined) config.top_p = params.topP
  if (params.stop !== undefined) config.stop_sequences = params.stop
  const unmapped: Array<Unmapped> = []
  const lacks = "the Anthropic Messages API has no such parameter"
  if (params.frequencyPenalty !== undefined) unmapped.push({ param: "frequencyPenalty", reason: lacks })
  if (params.presencePenalty !== undefined) unmapped.push({ param: "presencePenalty", reason: lacks })
  callLevel(params, unmapped)
  return { config: config as AnthropicConfig, unmapped }
}

/**
 * Applies a managed prompt's model to the calls of the app's
 * `LanguageModel`. `ManagedPrompt` uses it when provided; `OpenAi.layer` and
 * `Anthropic.layer` provide one.
 *
 * @since 0.1.0
 */
export class ModelBinding extends Context.Tag("@promptops/ai/ModelBinding")<ModelBinding, ModelBinding.Service>() {}

/**
 * @since 0.1.0
 */
export declare namespace ModelBinding {
  /**
   * @since 0.1.0
   */
  export interface Service {
    /** The GenAI provider name, e.g. `openai`, `anthropic`. */
    readonly provider: string
    readonly apply: (spec: ModelSpec) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  }
}

/**
 * Whether a spec was written for another provider than the binding's: its
 * model name is then not applied (the app's model stays).
 *
 * @since 0.1.0
 */
export const isForeign = (spec: ModelSpec, provider: string): boolean =>
  spec.provider !== undefined && spec.provider !== "" && spec.provider.toLowerCase() !== provider
