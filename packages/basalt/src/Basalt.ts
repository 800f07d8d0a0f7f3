/**
 * Everything Basalt offers, from one layer: `BasaltClient`, the neutral
 * `Prompts`, `Datasets`, `Experiments` and `SpanSink` (for `Tracing.layer`),
 * and the Basalt-only `BasaltPromptsExtra`, `BasaltDatasetsExtra` and
 * `BasaltSpanSink`.
 *
 * Not provided, because Basalt has no API for them: `PromptRegistry` (prompts
 * are written in Basalt's app) and `Feedback`. A program that needs either
 * does not type-check against this layer.
 *
 * ```ts
 * const BasaltLive = Basalt.layerConfig({
 *   apiKey: Config.redacted("BASALT_API_KEY"),
 *   apiUrl: Config.string("BASALT_API_URL").pipe(Config.withDefault(undefined)),
 *   featureSlug: Config.string("BASALT_FEATURE").pipe(Config.withDefault(undefined))
 * }).pipe(Layer.provide(FetchHttpClient.layer))
 *
 * // The same from the documented variables, with per-service options:
 * const FromEnv = Basalt.layerConfig({ ...BasaltConfig.config, prompts: { onFallback: "accept" } })
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type { Datasets } from "@promptops/core/Datasets"
import type { Experiments } from "@promptops/core/Experiments"
import type { InvalidInput } from "@promptops/core/PromptOpsError"
import type { Prompts } from "@promptops/core/Prompts"
import type { SpanSink } from "@promptops/core/SpanSink"
import type { ConfigError } from "effect"
import { Layer } from "effect"
import * as BasaltClient from "./BasaltClient.js"
import * as BasaltDatasets from "./BasaltDatasets.js"
import * as BasaltDatasetsExtra from "./BasaltDatasetsExtra.js"
import * as BasaltExperiments from "./BasaltExperiments.js"
import * as BasaltPrompts from "./BasaltPrompts.js"
import * as BasaltPromptsExtra from "./BasaltPromptsExtra.js"
import * as BasaltSpanSink from "./BasaltSpanSink.js"

/**
 * The client's options, plus each service's.
 *
 * @since 0.1.0
 */
export interface Options extends BasaltClient.Options, ServiceOptions {}

/**
 * @since 0.1.0
 */
export interface ServiceOptions {
  readonly prompts?: BasaltPrompts.Options | undefined
  readonly datasets?: BasaltDatasets.Options | undefined
  readonly experiments?: BasaltExperiments.Options | undefined
  readonly spanSink?: BasaltSpanSink.Options | undefined
}

/**
 * What the Basalt layer provides.
 *
 * @since 0.1.0
 */
export type Services =
  | BasaltClient.BasaltClient
  | Prompts
  | Datasets
  | Experiments
  | SpanSink
  | BasaltSpanSink.BasaltSpanSink
  | BasaltPromptsExtra.BasaltPromptsExtra
  | BasaltDatasetsExtra.BasaltDatasetsExtra

/**
 * Every service, over a `BasaltClient` already in context.
 *
 * @since 0.1.0
 */
export const layerServices = (
  options: ServiceOptions = {}
): Layer.Layer<Exclude<Services, BasaltClient.BasaltClient>, never, BasaltClient.BasaltClient> =>
  Layer.mergeAll(
    BasaltPrompts.layer(options.prompts),
    BasaltDatasets.layer(options.datasets),
    BasaltExperiments.layer(options.experiments),
    BasaltSpanSink.layer(options.spanSink),
    BasaltPromptsExtra.layer,
    BasaltDatasetsExtra.layer
  )

const split = (options: Options): { readonly client: BasaltClient.Options; readonly services: ServiceOptions } => {
  const { datasets, experiments, prompts, spanSink, ...client } = options
  return { client, services: { datasets, experiments, prompts, spanSink } }
}

/**
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<Services, InvalidInput, HttpClient.HttpClient> => {
  const { client, services } = split(options)
  return Layer.provideMerge(layerServices(services), BasaltClient.layer(client))
}

/**
 * The client's settings as `Config` values (`BasaltClient.ConfigOptions`),
 * with each service's options.
 *
 * @since 0.1.0
 */
export interface ConfigOptions extends BasaltClient.ConfigOptions, ServiceOptions {}

/**
 * The client configured from `Config` values (the app names the variables,
 * or passes `BasaltConfig.config`), and every service.
 *
 * @since 0.1.0
 */
export const layerConfig = (
  options: ConfigOptions
): Layer.Layer<Services, ConfigError.ConfigError | InvalidInput, HttpClient.HttpClient> => {
  const { datasets, experiments, prompts, spanSink, ...client } = options
  return Layer.provideMerge(
    layerServices({ datasets, experiments, prompts, spanSink }),
    BasaltClient.layerConfig(client)
  )
}
