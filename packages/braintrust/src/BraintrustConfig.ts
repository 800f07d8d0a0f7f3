/**
 * Braintrust's settings as `Config`s, from the variables promptops documents
 * (`BRAINTRUST_API_KEY`, `BRAINTRUST_API_URL`, `BRAINTRUST_ORG_NAME`,
 * `BRAINTRUST_PROJECT`), and the defaults, declared once. A small module
 * that does not load the client, so `promptops` can read the settings of a
 * backend before (or without) loading it.
 *
 * ```ts
 * const Backend = Braintrust.layerConfig(BraintrustConfig.config)
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as ProviderConfig from "@promptops/core/ProviderConfig"
import type * as RetryPolicy from "@promptops/core/RetryPolicy"
import type { Config, Duration, Redacted } from "effect"

/**
 * The US data plane. The EU one is `https://api-eu.braintrust.dev`.
 *
 * @since 0.1.0
 */
export const defaultApiUrl = "https://api.braintrust.dev"

/**
 * The settings `layerConfig` reads. The app names its own variables, e.g.
 * `apiKey: Config.redacted("BRAINTRUST_API_KEY")`; an optional one is
 * `Config.string("BRAINTRUST_API_URL").pipe(Config.withDefault(undefined))`.
 * `config` reads the documented ones.
 *
 * @since 0.1.0
 */
export interface ConfigOptions {
  readonly apiKey: Config.Config<Redacted.Redacted>
  readonly apiUrl?: Config.Config<string | undefined> | undefined
  readonly orgName?: Config.Config<string | undefined> | undefined
  readonly project?: Config.Config<string | undefined> | undefined
  readonly timeout?: Config.Config<Duration.Duration | undefined> | undefined
  /** Not read from config: passed as is. */
  readonly retry?: RetryPolicy.RetryOptions | false | undefined
  /** Not read from config: passed as is. */
  readonly deadline?: Duration.DurationInput | false | undefined
  /** Not read from config: passed as is. */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/**
 * The documented variables: `BRAINTRUST_API_KEY` (required),
 * `BRAINTRUST_API_URL` (default `defaultApiUrl`), `BRAINTRUST_ORG_NAME`
 * (optional) and `BRAINTRUST_PROJECT` (required: prompts, datasets and logs
 * live in a project). Values are trimmed; a blank one is invalid data naming
 * its variable.
 *
 * @since 0.1.0
 */
export const config: {
  readonly apiKey: Config.Config<Redacted.Redacted>
  readonly apiUrl: Config.Config<string | undefined>
  readonly orgName: Config.Config<string | undefined>
  readonly project: Config.Config<string>
} = {
  apiKey: ProviderConfig.secret("BRAINTRUST_API_KEY"),
  apiUrl: ProviderConfig.optional(ProviderConfig.string("BRAINTRUST_API_URL")),
  orgName: ProviderConfig.optional(ProviderConfig.string("BRAINTRUST_ORG_NAME")),
  project: ProviderConfig.string("BRAINTRUST_PROJECT")
}
