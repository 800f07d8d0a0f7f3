/**
 * The OTLP sink's settings: the `Options` `OtlpSpanSink.make` takes, the
 * standard OpenTelemetry exporter variables read as one `Config` (`config`),
 * and presets that fill in the endpoint, headers and limits of a destination
 * (`braintrust`, `langfuse`, `langsmith`, `phoenix`, `basalt`, `collector`).
 *
 * ```ts
 * const Sink = OtlpSpanSink.layerConfig(OtlpConfig.config)
 * // or a destination:
 * const ToLangfuse = OtlpSpanSink.layer(OtlpConfig.langfuse({ publicKey, secretKey }))
 * ```
 *
 * A small module that does not load the encoder, so an app can read the
 * settings before (or without) loading the sink.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { invalidInput, type InvalidInput } from "@promptops/core/PromptOpsError"
import { checkUrl } from "@promptops/core/ProviderHttp"
import type * as SpanSink from "@promptops/core/SpanSink"
import { Config, ConfigError, Duration, Effect, Either, Redacted } from "effect"

/**
 * The OTLP transports this sink speaks: OTLP/HTTP with protobuf or JSON
 * bodies, or OTLP/gRPC (`grpc`, through `@grpc/grpc-js`, loaded only then).
 *
 * @since 0.1.0
 */
export type Protocol = "http/protobuf" | "http/json" | "grpc"

/**
 * @since 0.1.0
 */
export type Compression = "gzip" | "none"

/**
 * A resource attribute value.
 *
 * @since 0.1.0
 */
export type ResourceValue = string | number | boolean

/**
 * Everything the sink needs; every field has a default.
 *
 * @since 0.1.0
 */
export interface Options {
  /**
   * The full traces URL, used as is (`https://host/v1/traces`). Default
   * `http://localhost:4318/v1/traces` (a local Collector). Like every
   * promptops client: `https://`, or plain `http://` only to a loopback host
   * (to any host with `allowInsecureHttp`).
   * For `grpc`: `https://host[:port]` (TLS) or `http://localhost:4317`
   * (insecure, loopback only), without a path; default `defaultGrpcEndpoint`.
   */
  readonly endpoint?: string | undefined
  /**
   * Sent with every request (gRPC: as metadata, keys lower-cased). `Redacted`
   * values are secrets: never printed, scrubbed from errors.
   */
  readonly headers?: Readonly<Record<string, string | Redacted.Redacted>> | undefined
  /** Default `http/protobuf`, as the OpenTelemetry specification says. */
  readonly protocol?: Protocol | undefined
  /** Default `none`. `gzip` with `grpc` is gRPC's own message compression. */
  readonly compression?: Compression | undefined
  /** The limit of one request (gRPC: the call's deadline). Default 10 seconds, the OpenTelemetry default. */
  readonly timeout?: Duration.DurationInput | undefined
  /** The resource's `service.name` (overrides one in `resourceAttributes`). Default `unknown_service:node`. */
  readonly serviceName?: string | undefined
  /** Resource attributes (`deployment.environment.name`, `service.version`, …). */
  readonly resourceAttributes?: Readonly<Record<string, ResourceValue>> | undefined
  /**
   * Whether span inputs, outputs and expected values are sent
   * (`gen_ai.input.messages`, `gen_ai.output.messages`, `promptops.input`, …).
   * Default `true`: promptops records content by design (it is what evals and
   * the trace views are made of); set `false` for a backend that must not
   * receive it, or use `Tracing`'s `redact` hook for finer control.
   */
  readonly captureContent?: boolean | undefined
  /** Batch bounds advertised to the tracing pipeline (default `OtlpSpanSink.defaultLimits`). */
  readonly limits?: Partial<SpanSink.Limits> | undefined
  /** The provider name in errors and logs. Default `otlp`; the presets set their destination's. */
  readonly provider?: string | undefined
  /**
   * Extra attributes in a destination's own vocabulary: `basalt` adds the
   * `basalt.*` attributes Basalt's SDKs set (prompt slug and version,
   * experiment id, span kind) next to the GenAI ones. Default none.
   */
  readonly dialect?: "basalt" | undefined
  /**
   * Permits plain `http://` to any host, not only loopback: for a Collector on
   * a private network that does not speak TLS (`http://otel-collector:4318`).
   * Spans and headers then cross the network unencrypted. Default false; the
   * standard `OTEL_EXPORTER_OTLP_INSECURE=true` sets it (for `http/*` too).
   */
  readonly allowInsecureHttp?: boolean | undefined
  /** Applied last to the HTTP client, e.g. to add a logging middleware (not used by `grpc`). */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/**
 * The endpoint when none is set: a Collector on this machine.
 *
 * @since 0.1.0
 */
export const defaultEndpoint = "http://localhost:4318/v1/traces"

/**
 * The endpoint when none is set and the protocol is `grpc`: a Collector's
 * OTLP/gRPC receiver on this machine.
 *
 * @since 0.1.0
 */
export const defaultGrpcEndpoint = "http://localhost:4317"

/**
 * Where a sink sends, once its endpoint is checked: over HTTP, the base URL
 * and the path requested on it; over gRPC, the channel's `host:port` and
 * whether it is TLS.
 *
 * @since 0.1.0
 */
export type Endpoint =
  | { readonly protocol: "http"; readonly base: string; readonly path: string }
  | { readonly protocol: "grpc"; readonly target: string; readonly secure: boolean }

/**
 * The endpoint rule of every OTLP sink, written once: core's URL rule
 * (`https://`, or plain `http://` only to a loopback host unless
 * `allowInsecureHttp`; no credentials, query or fragment), then the
 * protocol's shape: the full traces URL over HTTP, `scheme://host:port`
 * without a path over gRPC. The sink checks it when it is built; `promptops`
 * checks it at start-up to name the variable that set it (`path`, default
 * `endpoint`, begins every message).
 *
 * @since 0.1.0
 */
export const checkEndpoint = (
  options: Pick<Options, "endpoint" | "protocol" | "allowInsecureHttp" | "provider">,
  path = "endpoint"
): Effect.Effect<Endpoint, InvalidInput> => {
  const provider = options.provider ?? "otlp"
  const grpc = options.protocol === "grpc"
  const fail = (description: string) =>
    Effect.fail(invalidInput({ provider, operation: "OtlpSpanSink.make", path, description }))
  return Effect.flatMap(
    checkUrl(options.endpoint ?? (grpc ? defaultGrpcEndpoint : defaultEndpoint), {
      provider,
      operation: "OtlpSpanSink.make",
      path,
      credentialsHint: "pass them as headers",
      allowInsecureHttp: options.allowInsecureHttp
    }),
    (url): Effect.Effect<Endpoint, InvalidInput> => {
      if (grpc) {
        if (url.pathname !== "" && url.pathname !== "/") {
          return fail(`${path} must be scheme://host:port without a path for grpc (the service path is fixed)`)
        }
        const secure = url.protocol === "https:"
        const port = url.port !== "" ? url.port : secure ? "443" : "80"
        return Effect.succeed({ protocol: "grpc", target: `${url.hostname}:${port}`, secure })
      }
      const pathname = url.pathname.replace(/\/+$/, "")
      const at = pathname.lastIndexOf("/")
      if (at < 0 || pathname.slice(at + 1) === "") {
        return fail(`${path} must be the full traces URL, e.g. http://localhost:4318/v1/traces`)
      }
      return Effect.succeed({ protocol: "http", base: `${url.origin}${pathname.slice(0, at)}`, path: pathname.slice(at) })
    }
  )
}

/**
 * The request timeout when none is set (the OpenTelemetry default).
 *
 * @since 0.1.0
 */
export const defaultTimeout: Duration.Duration = Duration.seconds(10)

/**
 * The standard variables, as the OpenTelemetry exporter specification
 * names them.
 *
 * @since 0.1.0
 */
export const variables = {
  endpoint: "OTEL_EXPORTER_OTLP_ENDPOINT",
  tracesEndpoint: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  headers: "OTEL_EXPORTER_OTLP_HEADERS",
  tracesHeaders: "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
  protocol: "OTEL_EXPORTER_OTLP_PROTOCOL",
  tracesProtocol: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
  timeout: "OTEL_EXPORTER_OTLP_TIMEOUT",
  tracesTimeout: "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
  compression: "OTEL_EXPORTER_OTLP_COMPRESSION",
  tracesCompression: "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
  serviceName: "OTEL_SERVICE_NAME",
  resourceAttributes: "OTEL_RESOURCE_ATTRIBUTES",
  insecure: "OTEL_EXPORTER_OTLP_INSECURE",
  tracesInsecure: "OTEL_EXPORTER_OTLP_TRACES_INSECURE"
} as const

// -----------------------------------------------------------------------------
// Parsing the variables' values
// -----------------------------------------------------------------------------

/**
 * The traces URL of a base endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`): `v1/traces`
 * appended to its path, as the specification says for the base variable.
 *
 * @since 0.1.0
 */
export const tracesUrl = (base: string): string => `${base.replace(/\/+$/, "")}/v1/traces`

/**
 * Reads a `k=v,k2=v2` list (the W3C Baggage format the OTLP headers and
 * resource attributes variables use): keys and values trimmed and
 * percent-decoded. `Left` with a description that never quotes a value
 * (header values are usually secrets).
 *
 * @since 0.1.0
 */
export const parseKeyValues = (text: string): Either.Either<Record<string, string>, string> => {
  const out: Record<string, string> = {}
  let index = 0
  for (const raw of text.split(",")) {
    index++
    if (raw.trim() === "") continue
    const at = raw.indexOf("=")
    if (at <= 0) return Either.left(`entry ${index} is not key=value`)
    try {
      const key = decodeURIComponent(raw.slice(0, at).trim())
      const value = decodeURIComponent(raw.slice(at + 1).trim())
      if (key === "") return Either.left(`entry ${index} has an empty key`)
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
    } catch {
      return Either.left(`entry ${index} is not valid percent-encoding`)
    }
  }
  return Either.right(out)
}

const protocols: ReadonlyArray<string> = ["http/protobuf", "http/json", "grpc"]

/**
 * Reads a protocol value (`http/protobuf`, `http/json` or `grpc`).
 *
 * @since 0.1.0
 */
export const parseProtocol = (text: string): Either.Either<Protocol, string> => {
  const value = text.trim()
  if (protocols.includes(value)) return Either.right(value as Protocol)
  return Either.left(`must be http/protobuf, http/json or grpc, got ${JSON.stringify(value.slice(0, 40))}`)
}

const fromVariable = <A>(name: string, text: string | undefined, parse: (text: string) => Either.Either<A, string>) =>
  text === undefined || text.trim() === ""
    ? Either.right(undefined)
    : Either.mapLeft(parse(text), (description) => ConfigError.InvalidData([name], description))

const parseTimeout = (text: string): Either.Either<Duration.Duration, string> => {
  const value = text.trim()
  return /^\d+$/.test(value) && Number(value) > 0
    ? Either.right(Duration.millis(Number(value)))
    : Either.left(`must be a whole number of milliseconds > 0, got ${JSON.stringify(value.slice(0, 40))}`)
}

const parseCompression = (text: string): Either.Either<Compression, string> => {
  const value = text.trim()
  return value === "gzip" || value === "none"
    ? Either.right(value)
    : Either.left(`must be gzip or none, got ${JSON.stringify(value.slice(0, 40))}`)
}

const parseBoolean = (text: string): Either.Either<boolean, string> => {
  const value = text.trim().toLowerCase()
  return value === "true" || value === "false"
    ? Either.right(value === "true")
    : Either.left(`must be true or false, got ${JSON.stringify(text.trim().slice(0, 40))}`)
}

const optionalString = (name: string): Config.Config<string | undefined> =>
  Config.withDefault(Config.string(name), undefined)

/**
 * The standard variables as one `Config`:
 * - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, used as is, else
 *   `OTEL_EXPORTER_OTLP_ENDPOINT` with `/v1/traces` appended (as is for
 *   `grpc`, as the specification says), else `defaultEndpoint`
 *   (`defaultGrpcEndpoint` for `grpc`);
 * - `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_TRACES_HEADERS`
 *   (`k=v,k2=v2`, percent-decoded; the traces ones win), every value a secret;
 * - `…_PROTOCOL` (`http/protobuf` | `http/json` | `grpc`),
 *   `…_TIMEOUT` (milliseconds), `…_COMPRESSION` (`gzip` | `none`), each with
 *   its `…_TRACES_…` variant winning;
 * - `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`;
 * - `OTEL_EXPORTER_OTLP_INSECURE` (`true` | `false`, its `…_TRACES_…` variant
 *   winning): `true` sets `allowInsecureHttp`. The specification defines it
 *   for gRPC; it is accepted for `http/*` too, to permit plain `http://` to a
 *   Collector on a private network.
 *
 * A bad value is `ConfigError.InvalidData` at exactly that variable's name;
 * header values are never quoted.
 *
 * @since 0.1.0
 */
export const config: Config.Config<Options> = Config.mapOrFail(
  Config.all({
    endpoint: optionalString(variables.endpoint),
    tracesEndpoint: optionalString(variables.tracesEndpoint),
    headers: Config.withDefault(Config.redacted(variables.headers), undefined),
    tracesHeaders: Config.withDefault(Config.redacted(variables.tracesHeaders), undefined),
    protocol: optionalString(variables.protocol),
    tracesProtocol: optionalString(variables.tracesProtocol),
    timeout: optionalString(variables.timeout),
    tracesTimeout: optionalString(variables.tracesTimeout),
    compression: optionalString(variables.compression),
    tracesCompression: optionalString(variables.tracesCompression),
    serviceName: optionalString(variables.serviceName),
    resourceAttributes: optionalString(variables.resourceAttributes),
    insecure: optionalString(variables.insecure),
    tracesInsecure: optionalString(variables.tracesInsecure)
  }),
  (env): Either.Either<Options, ConfigError.ConfigError> =>
    Either.gen(function*() {
      const headers: Record<string, Redacted.Redacted> = {}
      for (
        const [name, value] of [
          [variables.headers, env.headers],
          [variables.tracesHeaders, env.tracesHeaders]
        ] as const
      ) {
        const parsed = yield* fromVariable(name, value === undefined ? undefined : Redacted.value(value), parseKeyValues)
        for (const [key, text] of Object.entries(parsed ?? {})) headers[key.toLowerCase()] = Redacted.make(text)
      }
      const protocol = (yield* fromVariable(variables.tracesProtocol, env.tracesProtocol, parseProtocol)) ??
        (yield* fromVariable(variables.protocol, env.protocol, parseProtocol))
      // gRPC has no URL path to append: the base endpoint is the server's address.
      const endpoint = env.tracesEndpoint?.trim() ||
        (env.endpoint?.trim() ? (protocol === "grpc" ? env.endpoint.trim() : tracesUrl(env.endpoint.trim())) : undefined)
      const timeout = (yield* fromVariable(variables.tracesTimeout, env.tracesTimeout, parseTimeout)) ??
        (yield* fromVariable(variables.timeout, env.timeout, parseTimeout))
      const compression = (yield* fromVariable(variables.tracesCompression, env.tracesCompression, parseCompression)) ??
        (yield* fromVariable(variables.compression, env.compression, parseCompression))
      const resourceAttributes = yield* fromVariable(variables.resourceAttributes, env.resourceAttributes, parseKeyValues)
      const serviceName = env.serviceName?.trim() || undefined
      const allowInsecureHttp = (yield* fromVariable(variables.tracesInsecure, env.tracesInsecure, parseBoolean)) ??
        (yield* fromVariable(variables.insecure, env.insecure, parseBoolean))
      return {
        ...(endpoint !== undefined ? { endpoint } : {}),
        ...(Object.keys(headers).length > 0 ? { headers } : {}),
        ...(protocol !== undefined ? { protocol } : {}),
        ...(timeout !== undefined ? { timeout } : {}),
        ...(compression !== undefined ? { compression } : {}),
        ...(serviceName !== undefined ? { serviceName } : {}),
        ...(resourceAttributes !== undefined ? { resourceAttributes } : {}),
        ...(allowInsecureHttp === true ? { allowInsecureHttp } : {})
      }
    })
)

// -----------------------------------------------------------------------------
// Presets
// -----------------------------------------------------------------------------

/**
 * What every preset also takes: the settings that are not the destination's.
 *
 * @since 0.1.0
 */
export type Common = Omit<Options, "endpoint" | "headers" | "provider">

const join = (base: string, path: string): string => `${base.trim().replace(/\/+$/, "")}${path}`

/**
 * Where a Braintrust preset writes: a project by name or id, or an experiment.
 *
 * @since 0.1.0
 */
export type BraintrustParent =
  | { readonly project: string; readonly projectId?: undefined; readonly experimentId?: undefined }
  | { readonly projectId: string; readonly project?: undefined; readonly experimentId?: undefined }
  | { readonly experimentId: string; readonly project?: undefined; readonly projectId?: undefined }

/**
 * Braintrust's OTLP endpoint (`<apiUrl>/otel/v1/traces`), with
 * `Authorization: Bearer <apiKey>` and `x-bt-parent` naming the project
 * (`project_name:…`, `project_id:…`) or experiment (`experiment_id:…`).
 * Braintrust answers 413 above 10 MB a request, so batches are kept to
 * 4 MiB of span data.
 *
 * @since 0.1.0
 */
export const braintrust = (
  options: { readonly apiKey: Redacted.Redacted; readonly apiUrl?: string | undefined } & BraintrustParent & Common
): Options => {
  const { apiKey, apiUrl, project, projectId, experimentId, ...common } = options
  const parent = experimentId !== undefined
    ? `experiment_id:${experimentId}`
    : projectId !== undefined
    ? `project_id:${projectId}`
    : `project_name:${project ?? ""}`
  return {
    limits: { maxRows: 512, maxBytes: 4 * 1024 * 1024 },
    ...common,
    provider: "braintrust",
    endpoint: join(apiUrl ?? "https://api.braintrust.dev", "/otel/v1/traces"),
    headers: {
      authorization: Redacted.make(`Bearer ${Redacted.value(apiKey).trim()}`),
      "x-bt-parent": parent
    }
  }
}

/**
 * Langfuse's OTLP endpoint (`<baseUrl>/api/public/otel/v1/traces`, default
 * Langfuse Cloud EU `https://cloud.langfuse.com`), with Basic auth from the
 * public and secret keys.
 *
 * @since 0.1.0
 */
export const langfuse = (
  options: {
    readonly publicKey: string | Redacted.Redacted
    readonly secretKey: Redacted.Redacted
    readonly baseUrl?: string | undefined
  } & Common
): Options => {
  const { baseUrl, publicKey, secretKey, ...common } = options
  const user = Redacted.isRedacted(publicKey) ? Redacted.value(publicKey) : publicKey
  const token = Buffer.from(`${user.trim()}:${Redacted.value(secretKey).trim()}`, "utf8").toString("base64")
  return {
    ...common,
    provider: "langfuse",
    endpoint: join(baseUrl ?? "https://cloud.langfuse.com", "/api/public/otel/v1/traces"),
    headers: { authorization: Redacted.make(`Basic ${token}`) }
  }
}

/**
 * LangSmith's OTLP endpoint (`<endpoint>/otel/v1/traces`, default
 * `https://api.smith.langchain.com`), with `x-api-key` and, when given,
 * `Langsmith-Project`.
 *
 * @since 0.1.0
 */
export const langsmith = (
  options: {
    readonly apiKey: Redacted.Redacted
    readonly project?: string | undefined
    readonly endpoint?: string | undefined
  } & Common
): Options => {
  const { apiKey, endpoint, project, ...common } = options
  return {
    ...common,
    provider: "langsmith",
    endpoint: join(endpoint ?? "https://api.smith.langchain.com", "/otel/v1/traces"),
    headers: {
      "x-api-key": Redacted.make(Redacted.value(apiKey).trim()),
      ...(project !== undefined ? { "langsmith-project": project } : {})
    }
  }
}

/**
 * Arize Phoenix's OTLP endpoint (`<endpoint>/v1/traces`, default a local
 * Phoenix at `http://localhost:6006`), with `Authorization: Bearer` when an
 * API key is given (Phoenix Cloud, or a Phoenix with auth on).
 *
 * @since 0.1.0
 */
export const phoenix = (
  options: { readonly endpoint?: string | undefined; readonly apiKey?: Redacted.Redacted | undefined } & Common = {}
): Options => {
  const { apiKey, endpoint, ...common } = options
  return {
    ...common,
    provider: "phoenix",
    endpoint: join(endpoint ?? "http://localhost:6006", "/v1/traces"),
    ...(apiKey !== undefined
      ? { headers: { authorization: Redacted.make(`Bearer ${Redacted.value(apiKey).trim()}`) } }
      : {})
  }
}

/**
 * Basalt's OTLP/gRPC collector (`https://grpc.otel.getbasalt.ai`, the
 * endpoint Basalt's own SDKs export to), with `authorization: Bearer <apiKey>`
 * metadata and the `basalt` dialect (the `basalt.prompt.slug`,
 * `basalt.prompt.version`, `basalt.experiment.id` and `basalt.span.kind`
 * attributes Basalt's SDKs set). The Basalt layer's own trace path stays
 * `POST /monitor/trace`; this preset is the OpenTelemetry route.
 *
 * @since 0.1.0
 */
export const basalt = (
  options: { readonly apiKey: Redacted.Redacted | string; readonly endpoint?: string | undefined } & Common
): Options => {
  const { apiKey, endpoint, ...common } = options
  const key = Redacted.isRedacted(apiKey) ? Redacted.value(apiKey) : apiKey
  return {
    protocol: "grpc",
    dialect: "basalt",
    ...common,
    provider: "basalt",
    endpoint: (endpoint ?? "https://grpc.otel.getbasalt.ai").trim().replace(/\/+$/, ""),
    headers: { authorization: Redacted.make(`Bearer ${key.trim()}`) }
  }
}

/**
 * An OpenTelemetry Collector's OTLP/HTTP receiver (`<endpoint>/v1/traces`,
 * default `http://localhost:4318`).
 *
 * @since 0.1.0
 */
export const collector = (
  options: { readonly endpoint?: string | undefined; readonly headers?: Options["headers"] } & Common = {}
): Options => {
  const { endpoint, ...rest } = options
  return { ...rest, provider: "otlp", endpoint: tracesUrl(endpoint ?? "http://localhost:4318") }
}
