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
import { SpanSink } from "@promptops/core/SpanSink"
import { TraceReader } from "@promptops/core/TraceReader"
import * as Tracing from "@promptops/core/Tracing"
import * as LocalConfig from "@promptops/local/LocalConfig"
import type * as OtlpConfig from "@promptops/otlp/OtlpConfig"
import {
  Config,
  ConfigError,
  Context,
  type Duration,
  Effect,
  Either,
  Layer,
  Option,
  type Redacted,
  Schema
} from "effect"
import * as NodePath from "node:path"
import * as Otlp from "./internal/otlp.js"

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
 * Where spans can be exported, as `PROMPTOPS_TRACES` names them: `provider`
 * is the backend's own trace store (its native API, or the local store), and
 * `otlp` an OpenTelemetry endpoint (`@promptops/otlp`, set up by the standard
 * `OTEL_EXPORTER_OTLP_*` variables). Prompts, datasets and experiments stay
 * on the provider either way.
 *
 * @since 0.1.0
 */
export type TraceDestination = "provider" | "otlp"

/**
 * @since 0.1.0
 */
export const traceDestinations: ReadonlyArray<TraceDestination> = ["provider", "otlp"]

/**
 * Where spans go when `PROMPTOPS_TRACES` is not set: the provider only, as
 * before OTLP existed.
 *
 * @since 0.1.0
 */
export const defaultTraces: ReadonlyArray<TraceDestination> = ["provider"]

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
  /**
   * Where spans are exported, one entry per destination of the tracing
   * pipeline (in `Tracing.stats`' `destinations` order). Absent: to the
   * provider only (a backend built by hand).
   */
  readonly traces?: ReadonlyArray<TraceTarget> | undefined
}>() {}

/**
 * One destination of the spans, for people.
 *
 * @since 0.1.0
 */
export interface TraceTarget {
  /** The destination's key in `Tracing.stats`' `destinations`: the provider's sink name, or `otlp`. */
  readonly name: string
  /** A directory, or a URL (without query, credentials or headers). Never a key. */
  readonly location: string
}

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
  /**
   * `PROMPTOPS_TRACES` (`provider`, `otlp` or `provider,otlp`), default
   * `provider`. With `otlp`, the OTLP sink reads the standard
   * `OTEL_EXPORTER_OTLP_*` variables (`OtlpConfig.config` of `@promptops/otlp`;
   * see `resolveTraces`). The `SpanSink` in context stays the provider's.
   */
  readonly traces?: Config.Config<ReadonlyArray<TraceDestination>> | undefined
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

/**
 * Reads a `PROMPTOPS_TRACES` value: a comma list of `provider` and `otlp`
 * (spaces, repeats and empty entries ignored; empty means the default). The
 * result lists `provider` first.
 *
 * @since 0.1.0
 */
export const parseTraces = (text: string): Either.Either<ReadonlyArray<TraceDestination>, string> => {
  const chosen = new Set<TraceDestination>()
  for (const raw of text.split(",")) {
    const entry = raw.trim()
    if (entry === "") continue
    if (entry !== "provider" && entry !== "otlp") {
      return Either.left(
        `must be provider, otlp or provider,otlp (a comma list), got ${JSON.stringify(entry.slice(0, 40))}`
      )
    }
    chosen.add(entry)
  }
  return Either.right(chosen.size === 0 ? defaultTraces : traceDestinations.filter((each) => chosen.has(each)))
}

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
  local: { dir: LocalConfig.config.dir },
  traces: Config.string("PROMPTOPS_TRACES").pipe(
    // The error carries no path (Effect 3 drops it after a map); `read` names it PROMPTOPS_TRACES.
    Config.mapOrFail((text) => Either.mapLeft(parseTraces(text), (description) => ConfigError.InvalidData([], description))),
    Config.withDefault(defaultTraces)
  )
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
 * Where spans go, after reading `PROMPTOPS_TRACES` and, when it names
 * `otlp`, the OTLP settings.
 *
 * @since 0.1.0
 */
export interface ResolvedTraces {
  /** `provider` first when both. */
  readonly destinations: ReadonlyArray<TraceDestination>
  /** Set exactly when `destinations` has `otlp`. */
  readonly otlp?: {
    /** The sink's options (`OtlpConfig.Options` of `@promptops/otlp`). */
    readonly options: OtlpConfig.Options
    /** Where it sends, for people: the endpoint without query or credentials. Never a header. */
    readonly location: string
  } | undefined
}

/** The endpoint as people may see it: scheme, host and path (no credentials, no query). */
const displayEndpoint = (endpoint: string): string => {
  try {
    const url = new URL(endpoint.trim())
    // A gRPC endpoint is only scheme://host:port: no lone "/" after it.
    return `${url.protocol}//${url.host}${url.pathname === "/" ? "" : url.pathname}`
  } catch {
    return "(not a URL)"
  }
}

const missingOtlp = new ConfigurationProblem({
  setting: "PROMPTOPS_TRACES",
  description: `otlp needs ${Otlp.packageName}: npm install ${Otlp.packageName}`
})

/**
 * The sink's own endpoint rule (`OtlpConfig.checkEndpoint`: plain http://
 * only to loopback unless `OTEL_EXPORTER_OTLP_INSECURE=true`; the traces URL
 * over HTTP, no path over gRPC), as problems naming the variable that set it.
 */
const otlpEndpointProblems = (
  otlp: typeof OtlpConfig,
  setting: string,
  options: OtlpConfig.Options
): Effect.Effect<ReadonlyArray<ConfigurationProblem>> =>
  Effect.match(otlp.checkEndpoint(options, setting), {
    onFailure: (error) => {
      // "<setting> is not …" → "is not …": the problem already names the setting. And the option a
      // variable user sets is the variable, not the sink's `allowInsecureHttp` or `headers`.
      const text = error.description.startsWith(`${setting} `)
        ? error.description.slice(setting.length + 1)
        : error.description
      const description = text
        .replace("allowInsecureHttp: true", `${otlp.variables.insecure}=true`)
        .replace("pass them as headers", `pass them in ${setting.replace(/ENDPOINT$/, "HEADERS")}`)
      return [new ConfigurationProblem({ setting, description })]
    },
    onSuccess: (): ReadonlyArray<ConfigurationProblem> => []
  })

/**
 * The OTLP sink's options: the standard `OTEL_EXPORTER_OTLP_*` variables; when
 * they set no endpoint and the provider is a vendor, the vendor's own OTLP
 * intake (Braintrust's `/otel/v1/traces` on `BRAINTRUST_API_URL`, into the
 * project's logs; Basalt's OTLP/gRPC intake) with the provider's key.
 */
const readOtlp = (
  resolved: Resolved,
  destinations: ReadonlyArray<TraceDestination>
): Effect.Effect<NonNullable<ResolvedTraces["otlp"]>, ConfigurationError> =>
  Effect.gen(function*() {
    const OtlpConfig = yield* Otlp.loadConfig().pipe(
      Effect.catchAll(() => new ConfigurationError({ problems: [missingOtlp] }))
    )
    const env = yield* read(OtlpConfig.config, "OTEL_EXPORTER_OTLP")
    if (Either.isLeft(env)) return yield* new ConfigurationError({ problems: env.left })
    const options = env.right
    const withLocation = (options: OtlpConfig.Options) => ({
      options,
      location: displayEndpoint(
        options.endpoint ?? (options.protocol === "grpc" ? OtlpConfig.defaultGrpcEndpoint : OtlpConfig.defaultEndpoint)
      )
    })
    if (options.endpoint !== undefined) {
      // Checked now, with the variable's name, rather than as the sink's InvalidInput when the layer starts.
      const traces = yield* Effect.orElseSucceed(Config.string(OtlpConfig.variables.tracesEndpoint), () => "")
      const setting = traces.trim() !== "" ? OtlpConfig.variables.tracesEndpoint : OtlpConfig.variables.endpoint
      const problems = yield* otlpEndpointProblems(OtlpConfig, setting, options)
      if (problems.length > 0) return yield* new ConfigurationError({ problems })
    }
    if (options.endpoint !== undefined || resolved.provider === "local" || resolved.provider === "memory") {
      return withLocation(options)
    }
    if (destinations.includes("provider")) {
      // Both destinations would be the same vendor: every span twice in one project.
      return yield* new ConfigurationError({
        provider: resolved.provider,
        problems: [
          new ConfigurationProblem({
            setting: OtlpConfig.variables.endpoint,
            description: `is not set: PROMPTOPS_TRACES=provider,otlp would send every span to ${resolved.provider} ` +
              `twice (its API and its OTLP intake); set it to another destination, or use PROMPTOPS_TRACES=otlp`
          })
        ]
      })
    }
    // What the standard variables say beyond where and how to send.
    const common = {
      ...(options.serviceName !== undefined ? { serviceName: options.serviceName } : {}),
      ...(options.resourceAttributes !== undefined ? { resourceAttributes: options.resourceAttributes } : {}),
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {})
    }
    return withLocation(
      resolved.provider === "braintrust"
        ? OtlpConfig.braintrust({ apiKey: resolved.apiKey, apiUrl: resolved.apiUrl, project: resolved.project, ...common })
        : OtlpConfig.basalt({ apiKey: resolved.apiKey, ...common })
    )
  })

/**
 * Reads `PROMPTOPS_TRACES` (or `settings.traces`) and, when it names `otlp`,
 * loads `@promptops/otlp`'s settings module and reads the OTLP variables
 * (see `Settings.traces`). Not installed: a `ConfigurationError` saying how
 * to install it.
 *
 * @since 0.1.0
 */
export const resolveTraces = (resolved: Resolved, settings: Settings = {}): Effect.Effect<ResolvedTraces, ConfigurationError> =>
  Effect.gen(function*() {
    const traces = yield* read(settings.traces ?? defaults.traces, "PROMPTOPS_TRACES")
    if (Either.isLeft(traces)) return yield* new ConfigurationError({ problems: traces.left })
    const destinations = traces.right
    if (!destinations.includes("otlp")) return { destinations }
    return { destinations, otlp: yield* readOtlp(resolved, destinations) }
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

/** The name of the OTLP destination in `Tracing.stats`' `destinations`. */
const otlpDestination = "otlp"

/**
 * The tracing pipeline for `traces`: the backend's sink alone (one
 * destination named after it, as `Tracing.layer` names it), the OTLP sink
 * alone, or both through `Tracing.layerFanOut`, each with its own queue,
 * retries and counters. `@promptops/otlp`'s sink (and its serializers) loads
 * here, only when chosen.
 */
const tracingLayer = (
  traces: ResolvedTraces,
  options: Options
): Layer.Layer<Tracing.Tracing, PromptOpsError, SpanSink> => {
  const otlp = traces.otlp
  if (otlp === undefined) return Tracing.layer(options.tracing)
  return Layer.unwrapEffect(
    Effect.gen(function*() {
      const [OtlpSpanSink, FetchHttpClient] = yield* Effect.all([
        // `resolveTraces` loaded the settings module of the same package: missing now is a broken install.
        Effect.orDie(Otlp.loadSink()),
        // The same HttpClient as the vendor adapters, loaded on first use as theirs.
        Effect.promise(() => import("@effect/platform/FetchHttpClient"))
      ])
      const sink = OtlpSpanSink.layer(otlp.options).pipe(Layer.provide(FetchHttpClient.layer))
      const own = yield* SpanSink
      const destinations = traces.destinations.includes("provider")
        ? { [own.provider]: own, [otlpDestination]: sink }
        : { [otlpDestination]: sink }
      // The computed names hide the OTLP layer's error from `FanOut.Error`: it is `InvalidInput`.
      return Tracing.layerFanOut({ ...options.tracing, destinations }) as Layer.Layer<Tracing.Tracing, PromptOpsError>
    })
  )
}

/**
 * The services of a resolved backend, with tracing installed: to the
 * backend's own sink, or as `traces` says (see `resolveTraces`).
 *
 * @since 0.1.0
 */
export const layerResolved = (
  resolved: Resolved,
  options: Options = {},
  traces: ResolvedTraces = { destinations: defaultTraces }
): Layer.Layer<Services, PromptOpsError> => {
  const backend = Layer.effect(
    Backend,
    Effect.gen(function*() {
      const sink = yield* SpanSink
      const location = locationOf(resolved)
      const targets: Array<TraceTarget> = []
      if (traces.otlp === undefined || traces.destinations.includes("provider")) {
        targets.push({ name: sink.provider, location })
      }
      if (traces.otlp !== undefined) targets.push({ name: otlpDestination, location: traces.otlp.location })
      return {
        provider: resolved.provider,
        location,
        registry: yield* Effect.serviceOption(PromptRegistry),
        feedback: yield* Effect.serviceOption(Feedback),
        traceReader: yield* Effect.serviceOption(TraceReader),
        traces: targets
      }
    })
  )
  return Layer.mergeAll(backend, tracingLayer(traces, options)).pipe(
    Layer.provideMerge(backendLayer(resolved, options))
  )
}

/**
 * The provider's settings, then where traces go: with a provider problem, a
 * bad `PROMPTOPS_TRACES` is reported in the same error.
 */
const resolveAll = (
  settings: Settings
): Effect.Effect<readonly [Resolved, ResolvedTraces], ConfigurationError> =>
  Effect.gen(function*() {
    const resolved = yield* Effect.either(resolve(settings))
    if (Either.isLeft(resolved)) {
      const traces = yield* read(settings.traces ?? defaults.traces, "PROMPTOPS_TRACES")
      if (Either.isRight(traces)) return yield* resolved.left
      return yield* new ConfigurationError({
        provider: resolved.left.provider,
        problems: [...traces.left, ...resolved.left.problems]
      })
    }
    return [resolved.right, yield* resolveTraces(resolved.right, settings)] as const
  })

/**
 * The backend named by `settings` (each defaulting to its documented
 * variable), with tracing installed.
 *
 * @since 0.1.0
 */
export const layerConfig = (settings: Settings = {}): Layer.Layer<Services, ConfigurationError | PromptOpsError> =>
  Layer.unwrapEffect(
    Effect.map(resolveAll(settings), ([resolved, traces]) => layerResolved(resolved, settings.options, traces))
  )

/**
 * The backend named by `PROMPTOPS_PROVIDER` (default `local`), configured
 * from the environment, its spans exported where `PROMPTOPS_TRACES` says.
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

/**
 * `Settings` sending spans to `destinations` instead of reading
 * `PROMPTOPS_TRACES`, e.g. `withTraces(["provider", "otlp"])` (an empty list
 * is the default, the provider).
 *
 * @since 0.1.0
 */
export const withTraces = (destinations: ReadonlyArray<TraceDestination>, settings: Settings = {}): Settings => {
  const chosen = traceDestinations.filter((each) => destinations.includes(each))
  return { ...settings, traces: Config.succeed(chosen.length === 0 ? defaultTraces : chosen) }
}
