/**
 * The bot's model, as an `@effect/ai` `LanguageModel` layer: the offline
 * stand-in when `OPENAI_API_KEY` is not set (so `npm run demo` needs no key),
 * OpenAI through `@effect/ai-openai` when it is. With OpenAI, `OpenAi.layer`
 * applies each managed prompt's model and parameters to its call; the judges
 * run on the app's model (`defaultOpenAiModel`). Both record `@effect/ai`'s
 * spans as promptops `llm` spans (`AiTracing.layer`).
 */
import type * as LanguageModel from "@effect/ai/LanguageModel"
import type * as Telemetry from "@effect/ai/Telemetry"
import * as OpenAiClient from "@effect/ai-openai/OpenAiClient"
import * as OpenAiLanguageModel from "@effect/ai-openai/OpenAiLanguageModel"
import { NodeHttpClient } from "@effect/platform-node"
import { AiTracing } from "@promptops/ai"
import * as OpenAi from "@promptops/ai/OpenAi"
import { Config, Effect, Layer, Option, Redacted } from "effect"
import { PromptOps } from "promptops"
import * as StandInModel from "./StandInModel.js"

export interface Model {
  /** For people: which model answers, and where. Never a key. */
  readonly description: string
  readonly layer: Layer.Layer<LanguageModel.LanguageModel | Telemetry.CurrentSpanTransformer, PromptOps.ConfigurationError>
}

/** The app's OpenAI model: the judges' model, and the answers' when a prompt names none. */
export const defaultOpenAiModel = "gpt-4o-mini"

export const standIn: Model = {
  description: `${StandInModel.provider} ${StandInModel.modelName} (offline; set OPENAI_API_KEY to call OpenAI)`,
  layer: Layer.merge(StandInModel.layer, AiTracing.layer)
}

const configurationError = (setting: string, description: string) =>
  new PromptOps.ConfigurationError({
    provider: "openai",
    problems: [new PromptOps.ConfigurationProblem({ setting, description })]
  })

const baseUrl = Config.string("OPENAI_BASE_URL").pipe(Config.option)

/**
 * OpenAI through `@effect/ai-openai`, over Node's HTTP stack (undici): the
 * key from `OPENAI_API_KEY`, the API's base URL from `OPENAI_BASE_URL`
 * (default `https://api.openai.com/v1`).
 */
export const openAi = (apiUrl: string | undefined): Model => ({
  description: `openai ${defaultOpenAiModel} at ${apiUrl ?? "https://api.openai.com/v1"} ` +
    "(each managed prompt's own model and params win)",
  layer: Layer.mergeAll(
    OpenAiLanguageModel.model(defaultOpenAiModel),
    OpenAi.layer,
    AiTracing.layer
  ).pipe(
    Layer.provide(OpenAiClient.layerConfig({
      apiKey: Config.redacted("OPENAI_API_KEY"),
      apiUrl: Config.map(baseUrl, Option.getOrUndefined)
    })),
    Layer.provide(NodeHttpClient.layerUndici),
    Layer.mapError((error) => configurationError("OPENAI_API_KEY", String(error)))
  )
})

/**
 * The stand-in, or OpenAI when `OPENAI_API_KEY` is set (an empty value counts
 * as unset). A malformed `OPENAI_BASE_URL` is a `ConfigurationError` naming it.
 */
export const fromConfig: Effect.Effect<Model, PromptOps.ConfigurationError> = Effect.gen(function*() {
  const key = yield* Config.option(Config.redacted("OPENAI_API_KEY")).pipe(
    Effect.mapError((error) => configurationError("OPENAI_API_KEY", String(error)))
  )
  if (Option.isNone(key) || Redacted.value(key.value).trim() === "") return standIn
  const url = Option.getOrUndefined(
    yield* baseUrl.pipe(Effect.mapError((error) => configurationError("OPENAI_BASE_URL", String(error))))
  )
  if (url !== undefined && !isUrl(url)) {
    return yield* configurationError("OPENAI_BASE_URL", `must be a URL such as https://api.openai.com/v1, got ${url}`)
  }
  return openAi(url)
})

const isUrl = (text: string): boolean => {
  try {
    return ["http:", "https:"].includes(new URL(text).protocol)
  } catch {
    return false
  }
}
