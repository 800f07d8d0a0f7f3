/**
 * The backend of an app, chosen by configuration: `PROMPTOPS_PROVIDER` picks
 * Braintrust, Basalt, the embedded local store or process memory, and the
 * chosen backend's settings are read from the environment (or from `Config`
 * values the app names itself, with `layerConfig`).
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Prompts, PromptOps } from "promptops"
 *
 * const program = Prompts.get("support-answer")
 * Effect.runPromise(program.pipe(Effect.provide(PromptOps.layer)))
 * ```
 *
 * Every setting is read before anything starts, and every problem is reported
 * at once in one `ConfigurationError` naming the variable to set.
 *
 * @since 0.1.0
 */
// The adapters' config modules are small (Config values and defaults, no
// client, no SQLite): a backend's package itself loads only when it is chosen.
import * as BasaltConfig from "@promptops/basalt/BasaltConfig"
import * as BraintrustConfig from "@promptops/braintrust/BraintrustConfig"
import type { Datasets } from "@promptops/core/Datasets"
import type { Experiments } from "@promptops/core/Experiments"
import { Feedback } from "@promptops/core/Feedback"
import * as Memory from "@promptops/core/Memory"
import * as PromptCache from "@promptops/core/PromptCache"
import { type PromptOpsError, Unsupported } from "@promptops/core/PromptOpsError"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import type { Prompts } from "@promptops/core/Prompts"
import { validateApiUrl } from "@promptops/core/ProviderHttp"
import type { RetryOptions } from "@promptops/core/RetryPolicy"
import type { SpanSink } from "@promptops/core/SpanSink"
import { TraceReader } from "@promptops/core/TraceReader"
import * as Tracing from "@promptops/core/Tracing"
import * as LocalConfig from "@promptops/local/LocalConfig"
import { Config, type ConfigError, Context, type Duration, Effect, Either, Layer, Option, type Redacted, Schema } from "effect"
import * as NodePath from "node:path"

/**
 * The backends `PROMPTOPS_PROVIDER` can name.
 *
 * @since 0.1.0
 */
export type Provider = "braintrust" | "basalt" | "local" | "memory"

/**
 * @since 0.1.0
 */
export const providers: ReadonlyArray<Provider> = ["braintrust", "basalt", "local", "memory"]

/**
 * The provider when `PROMPTOPS_PROVIDER` is not set: the embedded store, which
 * needs no key and no network.
 *
 * @since 0.1.0
 */
export const defaultProvider: Provider = "local"

/**
 * The directory of the local backend when `PROMPTOPS_LOCAL_DIR` is not set,
 * relative to the working directory.
 *
 * @since 0.1.0
 */
export const defaultLocalDir: string = LocalConfig.defaultDir

/**
 * One thing wrong with the configuration, and the setting that fixes it.
 *
 * @since 0.1.0
 */
export class ConfigurationProblem extends Schema.Class<ConfigurationProblem>("ConfigurationProblem")({
  /** The variable (or config path) to set. */
  setting: Schema.String,
  description: Schema.String
}) {}

/**
 * The configuration cannot start a backend; `problems` lists every reason.
 *
 * @since 0.1.0
 */
export class ConfigurationError extends Schema.TaggedError<ConfigurationError>(
  "promptops/PromptOps/ConfigurationError"
)("ConfigurationError", {
  provider: Schema.optional(Schema.String),
  problems: Schema.Array(ConfigurationProblem)
}) {
  /** @since 0.1.0 */
  override get message(): string {
    const backend = this.provider === undefined ? "" : ` for the ${this.provider} backend`
    return [
      `promptops is not configured${backend}:`,
      ...this.problems.map((problem) => `  - ${problem.setting}: ${problem.description}`)
    ].join("\n")
  }
}

/**
 * What the chosen backend is and which optional capabilities it has. The
 * neutral services every backend provides are in context as themselves;
 * these are the ones only some backends have (Basalt keeps no feedback, has
 * no prompt registry and cannot read traces back).
 *
 * @since 0.1.0
 */
export class Backend extends Context.Tag("promptops/PromptOps/Backend")<Backend, {
  readonly provider: Provider
  /** Where results land, for people: a directory, or a URL and project. Never a key. */
  readonly location: string
  readonly registry: Option.Option<PromptRegistry.Service>
  readonly feedback: Option.Option<Feedback.Service>
  readonly traceReader: Option.Option<TraceReader.Service>
}>() {}

/**
 * What `layer` and `layerConfig` provide, whichever backend is chosen. The
 * promptops `Tracer` is installed too, so every `Effect.withSpan` is exported.
 *
 * @since 0.1.0
 */
export type Services = Prompts | Datasets | Experiments | SpanSink | Tracing.Tracing | Backend

/**
 * Where each setting comes from. Every field defaults to the variable named in
 * its comment.
 *
 * @since 0.1.0
 */
export interface Settings {
  /** `PROMPTOPS_PROVIDER`, default `local`. */
  readonly provider?: Config.Config<Provider> | undefined
  readonly braintrust?: {
    /** `BRAINTRUST_API_KEY` (required). */
    readonly apiKey?: Config.Config<Redacted.Redacted> | undefined
    /** `BRAINTRUST_API_URL`, default `https://api.braintrust.dev`. */
    readonly apiUrl?: Config.Config<Option.Option<string>> | undefined
    /** `BRAINTRUST_ORG_NAME`, optional. */
    readonly orgName?: Config.Config<Option.Option<string>> | undefined
    /** `BRAINTRUST_PROJECT` (required: prompts, datasets and logs live in a project). */
    readonly project?: Config.Config<string> | undefined
  } | undefined
  readonly basalt?: {
    /** `BASALT_API_KEY` (required). */
    readonly apiKey?: Config.Config<Redacted.Redacted> | undefined
    /** `BASALT_API_URL`, default `https://api.getbasalt.ai`. */
    readonly apiUrl?: Config.Config<Option.Option<string>> | undefined
    /** `BASALT_FEATURE` (required: traces and experiments belong to a feature). */
    readonly feature?: Config.Config<string> | undefined
  } | undefined
  readonly local?: {
    /** `PROMPTOPS_LOCAL_DIR`, default `.promptops`. */
    readonly dir?: Config.Config<string> | undefined
  } | undefined
  /** Plain options, not read from config. */
  readonly options?: Options | undefined
}

/**
 * What a program does with the backend. `"write"` (the default) may create
 * what it writes to; `"read"` promises only reads (listing, tailing,
 * pulling, dry runs), so the local store is opened read-only and never
 * created. Braintrust splits by operation on its own either way: reads look
 * the project up and only writes create it.
 *
 * @since 0.1.0
 */
export type Access = "read" | "write"

/**
 * Options passed as they are (code, not configuration).
 *
 * @since 0.1.0
 */
export interface Options {
  /**
   * `"read"`: the program only reads (see `Access`). The local backend then
   * writes nothing — no directory, no store, no migration — and a missing
   * store fails each store read with a message saying where it looked.
   * Default `"write"`.
   */
  readonly access?: Access | undefined
  /** The tracing pipeline's options (queue, batching, shutdown deadline, redaction). */
  readonly tracing?: Tracing.Options | undefined
  /**
   * Caches prompts of the vendor backends (TTL, stale-while-revalidate,
   * stale-if-error). Default on with core's defaults; `false` turns it off.
   * The local and memory backends read no network and are never cached.
   */
  readonly promptCache?: PromptCache.PromptCache.Options | false | undefined
  /** Retry policy of the vendor clients. */
  readonly retry?: RetryOptions | false | undefined
  /**
   * One vendor call's total time over all its attempts (default 10 s; `false`
   * for none): past it the call fails, saying how many attempts it made.
   */
  readonly deadline?: Duration.DurationInput | false | undefined
  /** Prompts and datasets the memory backend starts with. */
  readonly memory?: Memory.Options | undefined
}

/**
 * The settings after reading, with the provider they are for.
 *
 * @since 0.1.0
 */
export type Resolved =
  | {
    readonly provider: "braintrust"
    readonly apiKey: Redacted.Redacted
    readonly apiUrl: string
    readonly orgName: string | undefined
    readonly project: string
  }
  | {
    readonly provider: "basalt"
    readonly apiKey: Redacted.Redacted
    readonly apiUrl: string
    readonly feature: string
  }
  | { readonly provider: "local"; readonly dir: string }
  | { readonly provider: "memory" }

/** An optional setting as `Settings` takes it. */
const option = <A>(config: Config.Config<A | undefined>): Config.Config<Option.Option<A>> =>
  Config.map(config, Option.fromNullable)

/** The defaults of `Settings`: the adapters' own configs, with the documented variable names. */
const defaults = {
  provider: Config.literal("braintrust", "basalt", "local", "memory")("PROMPTOPS_PROVIDER").pipe(
    Config.withDefault(defaultProvider)
  ) as Config.Config<Provider>,
  braintrust: {
    apiKey: BraintrustConfig.config.apiKey,
    apiUrl: option(BraintrustConfig.config.apiUrl),
    orgName: option(BraintrustConfig.config.orgName),
    project: BraintrustConfig.config.project
  },
  basalt: {
    apiKey: BasaltConfig.config.apiKey,
    apiUrl: option(BasaltConfig.config.apiUrl),
    feature: BasaltConfig.config.featureSlug
  },
  local: { dir: LocalConfig.config.dir }
}

/**
 * Every leaf of a `ConfigError` as a problem naming its setting; `fallback`
 * names a leaf that carries no path (an app's own `Config` may fail that way).
 *
 * @since 0.1.0
 */
export const problemsOf = (error: ConfigError.ConfigError, fallback = "configuration"): ReadonlyArray<ConfigurationProblem> => {
  const setting = (path: ReadonlyArray<string>) => path.length > 0 ? path.join("_") : fallback
  switch (error._op) {
    case "And":
    case "Or":
      return [...problemsOf(error.left, fallback), ...problemsOf(error.right, fallback)]
    case "MissingData":
      return [new ConfigurationProblem({ setting: setting(error.path), description: "is not set" })]
    default:
      return [new ConfigurationProblem({ setting: setting(error.path), description: error.message })]
  }
}

/** Reads one setting, keeping its problems instead of failing. */
const read = <A>(config: Config.Config<A>, name: string) =>
  Effect.map(Effect.either(config), Either.mapLeft((error) => problemsOf(error, name)))

const apiUrlProblem = (provider: string, setting: string, url: string) =>
  Effect.match(validateApiUrl(provider, url), {
    onFailure: (error) => [new ConfigurationProblem({ setting, description: error.description })],
    onSuccess: () => []
  })

/** A vendor's settings: read them all, then report every problem at once. */
const readVendor = <const Fields extends Record<string, Config.Config<any>>>(
  provider: "braintrust" | "basalt",
  fields: Fields,
  urlSetting: string
): Effect.Effect<{ readonly [K in keyof Fields]: Config.Config.Success<Fields[K]> }, ConfigurationError> =>
  Effect.gen(function*() {
    const problems: Array<ConfigurationProblem> = []
    const values: Record<string, unknown> = {}
    for (const [key, config] of Object.entries(fields)) {
      const result = yield* read(config, `${provider}.${key}`)
      if (Either.isLeft(result)) problems.push(...result.left)
      else values[key] = result.right
    }
    const apiUrl = values["apiUrl"] as Option.Option<string> | undefined
    if (apiUrl !== undefined && Option.isSome(apiUrl)) {
      problems.push(...(yield* apiUrlProblem(provider, urlSetting, apiUrl.value)))
    }
    if (problems.length > 0) return yield* new ConfigurationError({ provider, problems })
    return values as { readonly [K in keyof Fields]: Config.Config.Success<Fields[K]> }
  })

/**
 * Reads the provider and that provider's settings.
 *
 * @since 0.1.0
 */
export const resolve = (settings: Settings = {}): Effect.Effect<Resolved, ConfigurationError> =>
  Effect.gen(function*() {
    const provider = yield* read(settings.provider ?? defaults.provider, "provider")
    if (Either.isLeft(provider)) return yield* new ConfigurationError({ problems: provider.left })
    switch (provider.right) {
      case "braintrust": {
        const values = yield* readVendor("braintrust", {
          apiKey: settings.braintrust?.apiKey ?? defaults.braintrust.apiKey,
          apiUrl: settings.braintrust?.apiUrl ?? defaults.braintrust.apiUrl,
          orgName: settings.braintrust?.orgName ?? defaults.braintrust.orgName,
          project: settings.braintrust?.project ?? defaults.braintrust.project
        }, "BRAINTRUST_API_URL")
        return {
          provider: "braintrust",
          apiKey: values.apiKey,
          apiUrl: Option.getOrElse(values.apiUrl, () => BraintrustConfig.defaultApiUrl),
          orgName: Option.getOrUndefined(values.orgName),
          project: values.project
        } as const
      }
      case "basalt": {
        const values = yield* readVendor("basalt", {
          apiKey: settings.basalt?.apiKey ?? defaults.basalt.apiKey,
          apiUrl: settings.basalt?.apiUrl ?? defaults.basalt.apiUrl,
          feature: settings.basalt?.feature ?? defaults.basalt.feature
        }, "BASALT_API_URL")
        return {
          provider: "basalt",
          apiKey: values.apiKey,
          apiUrl: Option.getOrElse(values.apiUrl, () => BasaltConfig.defaultApiUrl),
          feature: values.feature
        } as const
      }
      case "local": {
        const dir = yield* read(settings.local?.dir ?? defaults.local.dir, "local.dir")
        if (Either.isLeft(dir)) return yield* new ConfigurationError({ provider: "local", problems: dir.left })
        return { provider: "local", dir: NodePath.resolve(dir.right) } as const
      }
      case "memory":
        return { provider: "memory" } as const
    }
  })

/**
 * Loads a backend's package when it is chosen, not before: an app on the
 * local store never loads the vendor clients, and a vendor app never loads
 * SQLite.
 */
const lazily = <ROut, E>(load: () => Promise<Layer.Layer<ROut, E>>): Layer.Layer<ROut, E> =>
  Layer.unwrapEffect(Effect.promise(load))

/** The chosen backend's services, before tracing and the capability record. */
const backendLayer = (
  resolved: Resolved,
  options: Options
): Layer.Layer<Prompts | Datasets | Experiments | SpanSink, PromptOpsError> => {
  const cached = <E, R>(layer: Layer.Layer<Prompts | Datasets | Experiments | SpanSink, E, R>) =>
    options.promptCache === false
      ? layer
      : Layer.provideMerge(PromptCache.layer(options.promptCache), layer)
  switch (resolved.provider) {
    case "braintrust":
      return lazily(() =>
        // FetchHttpClient too on first use: it is not among the peers an app already loads (import budget).
        Promise.all([import("@promptops/braintrust/Braintrust"), import("@effect/platform/FetchHttpClient")]).then((
          [Braintrust, FetchHttpClient]
        ) =>
          cached(Braintrust.layer({
            apiKey: resolved.apiKey,
            apiUrl: resolved.apiUrl,
            orgName: resolved.orgName,
            project: resolved.project,
            retry: options.retry,
            deadline: options.deadline
          })).pipe(Layer.provide(FetchHttpClient.layer))
        )
      )
    case "basalt":
      return lazily(() =>
        Promise.all([import("@promptops/basalt/Basalt"), import("@effect/platform/FetchHttpClient")]).then((
          [Basalt, FetchHttpClient]
        ) =>
          cached(Basalt.layer({
            apiKey: resolved.apiKey,
            apiUrl: resolved.apiUrl,
            featureSlug: resolved.feature,
            retry: options.retry,
            deadline: options.deadline
          })).pipe(Layer.provide(FetchHttpClient.layer))
        )
      )
    case "local":
      return lazily(() =>
        import("@promptops/local/Local").then((Local) => Local.layer({ dir: resolved.dir, access: options.access }))
      )
    case "memory":
      return Memory.layer(options.memory)
  }
}

/**
 * Where a resolved backend keeps its results, for people.
 *
 * @since 0.1.0
 */
export const locationOf = (resolved: Resolved): string => {
  switch (resolved.provider) {
    case "braintrust":
      return `${resolved.apiUrl} (project "${resolved.project}")`
    case "basalt":
      return `${resolved.apiUrl} (feature "${resolved.feature}")`
    case "local":
      return resolved.dir
    case "memory":
      return "process memory (gone when the process exits)"
  }
}

/**
 * The services of a resolved backend, with tracing installed.
 *
 * @since 0.1.0
 */
export const layerResolved = (resolved: Resolved, options: Options = {}): Layer.Layer<Services, PromptOpsError> => {
  const backend = Layer.effect(
    Backend,
    Effect.gen(function*() {
      return {
        provider: resolved.provider,
        location: locationOf(resolved),
        registry: yield* Effect.serviceOption(PromptRegistry),
        feedback: yield* Effect.serviceOption(Feedback),
        traceReader: yield* Effect.serviceOption(TraceReader)
      }
    })
  )
  return Layer.mergeAll(backend, Tracing.layer(options.tracing)).pipe(
    Layer.provideMerge(backendLayer(resolved, options))
  )
}

/**
 * The backend named by `settings` (each defaulting to its documented
 * variable), with tracing installed.
 *
 * @since 0.1.0
 */
export const layerConfig = (settings: Settings = {}): Layer.Layer<Services, ConfigurationError | PromptOpsError> =>
  Layer.unwrapEffect(Effect.map(resolve(settings), (resolved) => layerResolved(resolved, settings.options)))

/**
 * The backend named by `PROMPTOPS_PROVIDER` (default `local`), configured
 * from the environment.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<Services, ConfigurationError | PromptOpsError> = layerConfig()

const capability = <S>(
  operation: string,
  what: string,
  pick: (backend: Context.Tag.Service<Backend>) => Option.Option<S>
): Effect.Effect<S, Unsupported, Backend> =>
  Effect.flatMap(Backend, (backend) =>
    Option.match(pick(backend), {
      onSome: Effect.succeed,
      onNone: () =>
        Effect.fail(
          new Unsupported({
            provider: backend.provider,
            operation,
            description: `the ${backend.provider} backend ${what}`
          })
        )
    }))

/**
 * The prompt registry, or `Unsupported` on a backend without one (Basalt).
 *
 * @since 0.1.0
 */
export const registry: Effect.Effect<PromptRegistry.Service, Unsupported, Backend> = capability(
  "PromptRegistry",
  "cannot push or delete prompts",
  (backend) => backend.registry
)

/**
 * The feedback service, or `Unsupported` on a backend without one (Basalt).
 *
 * @since 0.1.0
 */
export const feedback: Effect.Effect<Feedback.Service, Unsupported, Backend> = capability(
  "Feedback",
  "keeps no feedback",
  (backend) => backend.feedback
)

/**
 * The trace reader, or `Unsupported` on a backend that cannot read spans back (Basalt).
 *
 * @since 0.1.0
 */
export const traceReader: Effect.Effect<TraceReader.Service, Unsupported, Backend> = capability(
  "TraceReader",
  "cannot read traces back",
  (backend) => backend.traceReader
)

/**
 * `Settings` whose backend is opened for `access` (see `Access`): the CLI's
 * read commands use `"read"`.
 *
 * @since 0.1.0
 */
export const withAccess = (access: Access, settings: Settings = {}): Settings => ({
  ...settings,
  options: { ...settings.options, access }
})

/**
 * `Settings` naming `provider` instead of reading `PROMPTOPS_PROVIDER` (the
 * CLI's `--provider`).
 *
 * @since 0.1.0
 */
export const withProvider = (provider: Provider, settings: Settings = {}): Settings => ({
  ...settings,
  provider: Config.succeed(provider)
})
