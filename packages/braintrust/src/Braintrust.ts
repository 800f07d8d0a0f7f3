/**
 * Everything at once: `BraintrustClient` plus every neutral service it
 * backs (`Prompts`, `PromptRegistry`, `Datasets`, `Experiments`, `SpanSink`,
 * `Feedback`, `TraceReader`) and the Braintrust-only `BraintrustFunctions` and
 * `BraintrustEval`, as `@effect/sql` drivers provide their own client tag and
 * the neutral one from one layer.
 *
 * ```ts
 * const Backend = Braintrust.layerConfig({
 *   apiKey: Config.redacted("BRAINTRUST_API_KEY"),
 *   apiUrl: Config.string("BRAINTRUST_API_URL").pipe(Config.withDefault(undefined)),
 *   orgName: Config.string("BRAINTRUST_ORG_NAME").pipe(Config.withDefault(undefined)),
 *   project: Config.string("BRAINTRUST_PROJECT")
 * }).pipe(Layer.provide(FetchHttpClient.layer))
 *
 * // The same from the documented variables:
 * const FromEnv = Braintrust.layerConfig(BraintrustConfig.config)
 * ```
 *
 * The project is resolved once and shared by every service: reads (get,
 * list, records, results, reading spans, summaries) look it up with a read
 * and fail with `NotFound` naming it when it does not exist; only writes
 * (push, insert, create, log, export) get-or-create it.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type { Datasets } from "@promptops/core/Datasets"
import type { Experiments } from "@promptops/core/Experiments"
import type { Feedback } from "@promptops/core/Feedback"
import type { InvalidInput } from "@promptops/core/PromptOpsError"
import type { PromptRegistry } from "@promptops/core/PromptRegistry"
import type { Prompts } from "@promptops/core/Prompts"
import type { SpanSink } from "@promptops/core/SpanSink"
import type { TraceReader } from "@promptops/core/TraceReader"
import { type ConfigError, Layer } from "effect"
import * as BraintrustClient from "./BraintrustClient.js"
import * as BraintrustDatasets from "./BraintrustDatasets.js"
import * as BraintrustEval from "./BraintrustEval.js"
import * as BraintrustExperiments from "./BraintrustExperiments.js"
import * as BraintrustFeedback from "./BraintrustFeedback.js"
import * as BraintrustFunctions from "./BraintrustFunctions.js"
import * as BraintrustPrompts from "./BraintrustPrompts.js"
import * as BraintrustSpanSink from "./BraintrustSpanSink.js"
import * as BraintrustTraceReader from "./BraintrustTraceReader.js"

/**
 * The services built on a `BraintrustClient`.
 *
 * @since 0.1.0
 */
export type Services =
  | Prompts
  | PromptRegistry
  | Datasets
  | Experiments
  | SpanSink
  | Feedback
  | TraceReader
  | BraintrustFunctions.BraintrustFunctions
  | BraintrustEval.BraintrustEval

/**
 * Every service, over the `BraintrustClient` in context. `project`
 * overrides the client's default project for all of them.
 *
 * @since 0.1.0
 */
export const layerServices = (
  options: { readonly project?: string | undefined } = {}
): Layer.Layer<Services, never, BraintrustClient.BraintrustClient> =>
  Layer.mergeAll(
    BraintrustPrompts.layer(options),
    BraintrustDatasets.layer(options),
    BraintrustExperiments.layer(options),
    BraintrustSpanSink.layer(options),
    BraintrustFeedback.layer(options),
    BraintrustTraceReader.layer(options),
    BraintrustFunctions.layer,
    BraintrustEval.layer(options)
  )

/**
 * The client and every service.
 *
 * @since 0.1.0
 */
export const layer = (
  options: BraintrustClient.Options
): Layer.Layer<Services | BraintrustClient.BraintrustClient, InvalidInput, HttpClient.HttpClient> =>
  Layer.provideMerge(layerServices(), BraintrustClient.layer(options))

/**
 * The client and every service, configured from `Config` values.
 *
 * @since 0.1.0
 */
export const layerConfig = (
  options: BraintrustClient.ConfigOptions
): Layer.Layer<
  Services | BraintrustClient.BraintrustClient,
  ConfigError.ConfigError | InvalidInput,
  HttpClient.HttpClient
> => Layer.provideMerge(layerServices(), BraintrustClient.layerConfig(options))
