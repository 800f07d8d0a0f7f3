/**
 * Basalt's settings as `Config`s, from the variables promptops documents
 * (`BASALT_API_KEY`, `BASALT_API_URL`, `BASALT_FEATURE`), and the defaults,
 * declared once. A small module that does not load the client, so
 * `promptops` can read the settings of a backend before (or without)
 * loading it.
 *
 * ```ts
 * const Backend = Basalt.layerConfig(BasaltConfig.config)
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as ProviderConfig from "@promptops/core/ProviderConfig"
import type * as RetryPolicy from "@promptops/core/RetryPolicy"
import type { Config, Duration, Redacted } from "effect"

/**
 * @since 0.1.0
 */
export const defaultApiUrl = "https://api.getbasalt.ai"

/**
 * The settings `layerConfig` reads from `Config`; the app names its own
 * variables (`config` reads the documented ones). The rest are plain
 * options, passed as they are.
 *
 * @since 0.1.0
 */
export interface ConfigOptions {
  readonly apiKey: Config.Config<Redacted.Redacted>
  readonly apiUrl?: Config.Config<string | undefined> | undefined
  readonly featureSlug?: Config.Config<string | undefined> | undefined
  readonly timeout?: Config.Config<Duration.Duration | undefined> | undefined
  /** Not read from config: see `BasaltClient.Options.deadline`. */
  readonly deadline?: Duration.DurationInput | false | undefined
  /** Not read from config: see `BasaltClient.Options.retry`. */
  readonly retry?: RetryPolicy.RetryOptions | false | undefined
  /** Not read from config: see `BasaltClient.Options.retryWrites`. */
  readonly retryWrites?: boolean | undefined
  /** Not read from config: passed as is. */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/**
 * The documented variables: `BASALT_API_KEY` (required), `BASALT_API_URL`
 * (default `defaultApiUrl`) and `BASALT_FEATURE` (required: traces and
 * experiments belong to a feature). Values are trimmed; a blank one is
 * invalid data naming its variable.
 *
 * @since 0.1.0
 */
export const config: {
  readonly apiKey: Config.Config<Redacted.Redacted>
  readonly apiUrl: Config.Config<string | undefined>
  readonly featureSlug: Config.Config<string>
} = {
  apiKey: ProviderConfig.secret("BASALT_API_KEY"),
  apiUrl: ProviderConfig.optional(ProviderConfig.string("BASALT_API_URL")),
  featureSlug: ProviderConfig.string("BASALT_FEATURE")
}
