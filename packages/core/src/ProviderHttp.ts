/**
 * The HTTP plumbing every vendor adapter shares, written once: the base URL
 * rule, bearer auth with a `Redacted` key, default headers, a per-attempt
 * timeout, retries through `RetryPolicy`, and the mapping of statuses, vendor
 * error bodies, transport failures and undecodable bodies into
 * `PromptOpsError`s. Each vendor's Client module calls `make` once and then
 * only describes requests and response schemas.
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import {
  Cause,
  Clock,
  Duration,
  Effect,
  Exit,
  Option,
  ParseResult,
  Predicate,
  Redacted,
  ScheduleDecision,
  ScheduleIntervals,
  Schema,
  Stream
} from "effect"
import { identity } from "effect/Function"
import {
  BadRequest,
  DecodeError,
  Forbidden,
  type InvalidInput,
  invalidInput,
  Issue,
  NotFound,
  PayloadTooLarge,
  type PromptOpsError,
  ProviderUnavailable,
  RateLimited,
  TransportError,
  Unauthorized,
  withAttempts
} from "./PromptOpsError.js"
import * as RetryPolicy from "./RetryPolicy.js"

/**
 * What a vendor Client module passes to `make`.
 *
 * @since 0.1.0
 */
export interface Options {
  /** The provider name every error carries, e.g. `braintrust`. */
  readonly provider: string
  /**
   * The base URL; request paths are appended to it, path prefix included
   * (`https://host/prefix` + `/v1/x` → `https://host/prefix/v1/x`). Must be
   * `https://`, or `http://` to a loopback host (127.0.0.0/8, localhost, ::1),
   * or `http://` to any host with `allowInsecureHttp: true`.
   */
  readonly apiUrl: string
  /**
   * Permits plain `http://` to any host, not only loopback: for a server on a
   * private network that does not speak TLS, e.g. an OpenTelemetry Collector
   * at `http://otel-collector:4318`. Requests and their headers (API keys
   * included) then cross the network unencrypted. Default false.
   */
  readonly allowInsecureHttp?: boolean | undefined
  /** Sent as `Authorization: Bearer …`. Surrounding whitespace is trimmed. */
  readonly apiKey?: Redacted.Redacted | undefined
  /**
   * Headers sent with every request unless the request sets them itself.
   * `Redacted` values are secrets: their names are redacted like `secretHeaders`.
   */
  readonly headers?: Readonly<Record<string, string | Redacted.Redacted>> | undefined
  /** Header names whose values are secret: redacted in spans, logs and errors. */
  readonly secretHeaders?: ReadonlyArray<string> | undefined
  /** The limit for one attempt, up to the response headers (and the body for `json`). Default 30 s. */
  readonly timeout?: Duration.DurationInput | undefined
  /** The retry budget, or `false` for one attempt per call. Default `RetryPolicy.defaults`. */
  readonly retry?: RetryPolicy.RetryOptions | false | undefined
  /**
   * The total time one call may take over all its attempts and the waits
   * between them: an attempt still running at the deadline is cut short, and
   * a retry whose wait would end past it is not made. The error then says how
   * many attempts were made over how long (`attempts`, `elapsedMs`). `false`
   * for no total limit (only `timeout` per attempt and the retry budget).
   * Default 10 s (`defaultDeadline`), so an interactive read against an
   * unreachable vendor fails within about 10 s; when only `timeout` is set,
   * at least that. A call made without retries (`retry: false`, here or per
   * call) is one attempt bounded by its `timeout` alone, and a call's own
   * longer `timeout` extends the deadline for that call.
   */
  readonly deadline?: Duration.DurationInput | false | undefined
  /** Applied last to the wrapped client, e.g. to add a logging middleware. */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
  /**
   * What the vendor's responses say beyond the common shapes: where its
   * request id is and how its own error bodies read. Core knows no vendor.
   */
  readonly errorFormat?: ErrorFormat | undefined
}

/**
 * A vendor's own error format, given by its Client module.
 *
 * @since 0.1.0
 */
export interface ErrorFormat {
  /**
   * Response headers that carry the vendor's request id, checked before the
   * common ones (`commonRequestIdHeaders`), on errors and on bodies that fail
   * to decode alike.
   */
  readonly requestIdHeaders?: ReadonlyArray<string> | undefined
  /**
   * Reads a JSON error body of the vendor's own shape (the parsed value), or
   * returns `undefined` to leave it to the common reading (`readErrorJson`).
   * The description is then trimmed, bounded and scrubbed of secrets as any
   * other; an empty one becomes the status text.
   */
  readonly readErrorJson?: ((body: unknown) => ParsedErrorBody | undefined) | undefined
}

/**
 * Per-call options.
 *
 * @since 0.1.0
 */
export interface RequestOptions {
  /** `false` for one attempt (a request that is unsafe to repeat). Default true. */
  readonly retry?: boolean | undefined
  /** Statuses outside 2xx the caller handles itself (e.g. `[404]`); they are not errors. */
  readonly accept?: ReadonlyArray<number> | undefined
  /** Overrides the client's per-attempt timeout for this call. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Overrides the client's total deadline for this call (`false`: none). */
  readonly deadline?: Duration.DurationInput | false | undefined
}

/**
 * A decoded JSON body with the response's status and headers, for callers
 * that need a header too (Braintrust's `x-bt-found-existing`).
 *
 * @since 0.1.0
 */
export interface JsonResponse<A> {
  readonly value: A
  readonly status: number
  readonly headers: Headers.Headers
}

/**
 * A streaming response (SSE, NDJSON): the status and headers arrived within
 * the timeout; the body is read as the caller pulls it, with no timeout.
 *
 * @since 0.1.0
 */
export interface StreamResponse {
  readonly status: number
  readonly headers: Headers.Headers
  readonly body: Stream.Stream<Uint8Array, TransportError>
}

/**
 * The client a vendor Client module holds.
 *
 * @since 0.1.0
 */
export interface ProviderHttp {
  readonly provider: string
  /** The validated base URL, without a trailing slash. */
  readonly apiUrl: string
  /**
   * Sends `request` (its URL a path under `apiUrl`) and returns the response
   * once its status is 2xx or accepted; the body is left unread.
   */
  readonly execute: (
    operation: string,
    request: HttpClientRequest.HttpClientRequest,
    options?: RequestOptions | undefined
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, PromptOpsError>
  /** Sends `request` and decodes the JSON body with `schema`. */
  readonly json: <A, I, R>(
    operation: string,
    request: HttpClientRequest.HttpClientRequest,
    schema: Schema.Schema<A, I, R>,
    options?: RequestOptions | undefined
  ) => Effect.Effect<A, PromptOpsError, R>
  /** Like `json`, and also returns the status and headers. */
  readonly jsonResponse: <A, I, R>(
    operation: string,
    request: HttpClientRequest.HttpClientRequest,
    schema: Schema.Schema<A, I, R>,
    options?: RequestOptions | undefined
  ) => Effect.Effect<JsonResponse<A>, PromptOpsError, R>
  /** Sends `request` and hands back the body as a byte stream. */
  readonly stream: (
    operation: string,
    request: HttpClientRequest.HttpClientRequest,
    options?: RequestOptions | undefined
  ) => Effect.Effect<StreamResponse, PromptOpsError>
}

/**
 * The default per-attempt timeout.
 *
 * @since 0.1.0
 */
export const defaultTimeout: Duration.Duration = Duration.seconds(30)

/**
 * The default total deadline of one call, all attempts included.
 *
 * @since 0.1.0
 */
export const defaultDeadline: Duration.Duration = Duration.seconds(10)

type RetrySchedule = ReturnType<typeof RetryPolicy.schedule>

/**
 * Builds the client. Fails with `InvalidInput` naming the bad option.
 *
 * @since 0.1.0
 */
export const make = (options: Options): Effect.Effect<ProviderHttp, InvalidInput, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const provider = options.provider
    const fail = (path: string, description: string) =>
      Effect.fail(invalidInput({ provider, operation: "ProviderHttp.make", path, description }))

    const apiUrl = yield* validateApiUrl(provider, options.apiUrl, { allowInsecureHttp: options.allowInsecureHttp })

    let apiKey: Redacted.Redacted | undefined
    if (options.apiKey !== undefined) {
      const value = Redacted.value(options.apiKey).trim()
      if (value === "") return yield* fail("apiKey", "apiKey is empty")
      // Checked here because fetch rejects such a header with a message that quotes its value.
      if (!isHeaderValue(value)) return yield* fail("apiKey", "apiKey contains control characters")
      apiKey = Redacted.make(value)
    }

    const secretNames = new Set((options.secretHeaders ?? []).map((name) => name.toLowerCase()))
    const defaultHeaders: Record<string, string> = {}
    for (const [name, raw] of Object.entries(options.headers ?? {})) {
      const lower = name.toLowerCase()
      if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(lower)) {
        return yield* fail(`headers.${name}`, "not a valid header name")
      }
      const value = Redacted.isRedacted(raw) ? Redacted.value(raw) : raw
      if (typeof value !== "string" || !isHeaderValue(value)) {
        return yield* fail(`headers.${name}`, "a header value must be a string without control characters")
      }
      if (Redacted.isRedacted(raw)) secretNames.add(lower)
      defaultHeaders[lower] = value
    }
    // Values to scrub from any text that ends up in an error, however it got there.
    const secrets = [
      ...(apiKey === undefined ? [] : [Redacted.value(apiKey)]),
      ...Object.entries(defaultHeaders).filter(([name]) => secretNames.has(name)).flatMap(([, value]) =>
        credentialParts(value)
      )
    ].filter((value) => value.length > 0)
      // Longest first, so a value is replaced whole before a part of it.
      .sort((a, b) => b.length - a.length)

    const timeout = yield* decodeDuration(options.timeout ?? defaultTimeout, "timeout", fail)
    if (Duration.lessThanOrEqualTo(timeout, Duration.zero)) return yield* fail("timeout", "timeout must be positive")
    const deadline = options.deadline === false
      ? undefined
      : options.deadline === undefined
      ? (options.timeout === undefined ? defaultDeadline : Duration.max(defaultDeadline, timeout))
      : yield* decodeDuration(options.deadline, "deadline", fail)
    if (deadline !== undefined && Duration.lessThanOrEqualTo(deadline, Duration.zero)) {
      return yield* fail("deadline", "deadline must be positive (or false for none)")
    }
    if (options.retry !== undefined && options.retry !== false) {
      yield* validateRetryOptions(options.retry, fail)
    }
    const retrySchedule: RetrySchedule | undefined = options.retry === false
      ? undefined
      : RetryPolicy.schedule(options.retry)

    const redactedNames = [...secretNames]
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest((request) => {
        let out = HttpClientRequest.prependUrl(request, apiUrl)
        const missing: Record<string, string> = {}
        for (const name in defaultHeaders) {
          if (!(name in out.headers)) missing[name] = defaultHeaders[name]!
        }
        out = HttpClientRequest.setHeaders(out, missing)
        if (!("accept" in out.headers)) out = HttpClientRequest.acceptJson(out)
        return apiKey === undefined ? out : HttpClientRequest.bearerToken(out, apiKey)
      }),
      // A request an adapter makes is the library's work, not the app's: no
      // `http.client` span (it would be exported into the user's traces, and
      // as a root of its own outside an app span), and so no `traceparent`/`b3`
      // headers either: they would hand a third party the user's trace and
      // span ids, and the vendors do not join our traces with them anyway.
      HttpClient.withTracerDisabledWhen(() => true),
      HttpClient.withTracerPropagation(false),
      // Requests go only to the configured base URL, so a redirect is an answer,
      // not an instruction: `fetch` would otherwise follow it to any host with
      // our request body. (The Node and Undici clients do not follow redirects.)
      HttpClient.transformResponse((effect) =>
        Effect.flatMap(Effect.serviceOption(FetchHttpClient.RequestInit), (init) =>
          Effect.provideService(effect, FetchHttpClient.RequestInit, {
            ...Option.getOrUndefined(init),
            redirect: "manual"
          }))
      ),
      // Secret headers are redacted wherever the platform prints headers
      // (the HttpClient span attributes, logged requests).
      redactedNames.length === 0 ? identity : HttpClient.transformResponse(
        Effect.locallyWith(Headers.currentRedactedNames, (names) => [...names, ...redactedNames])
      ),
      options.transformClient ?? identity
    )

    const scrub = (text: string): string => bound(scrubSecrets(text, secrets))
    const context = (operation: string) => ({ provider, operation })
    const idHeaders = [...(options.errorFormat?.requestIdHeaders ?? []), ...commonRequestIdHeaders]
    const requestIdOf = (headers: Headers.Headers): string | undefined => requestIdFromHeaders(headers, idHeaders)
    const readVendorJson = options.errorFormat?.readErrorJson

    const send = <A, R>(
      operation: string,
      request: HttpClientRequest.HttpClientRequest,
      requestOptions: RequestOptions | undefined,
      onResponse: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, PromptOpsError, R>
    ): Effect.Effect<A, PromptOpsError, R> =>
      Effect.suspend(() => {
        if (!request.url.startsWith("/")) {
          // Requests go only to the configured base URL: an absolute URL here is a bug.
          return Effect.fail(invalidInput({
            provider,
            operation,
            path: "request.url",
            description: "the request URL must be a path under apiUrl, starting with /"
          }))
        }
        const attemptTimeout = requestOptions?.timeout === undefined
          ? timeout
          : Option.getOrUndefined(Duration.decodeUnknown(requestOptions.timeout))
        if (attemptTimeout === undefined || Duration.lessThanOrEqualTo(attemptTimeout, Duration.zero)) {
          return Effect.fail(invalidInput({
            provider,
            operation,
            path: "options.timeout",
            description: "the timeout must be a positive duration"
          }))
        }
        const callDeadline = requestOptions?.deadline === undefined
          ? (deadline !== undefined && requestOptions?.timeout !== undefined
            ? Duration.max(deadline, attemptTimeout)
            : deadline)
          : requestOptions.deadline === false
          ? undefined
          : Option.getOrElse(Duration.decodeUnknown(requestOptions.deadline), () => Duration.zero)
        if (callDeadline !== undefined && Duration.lessThanOrEqualTo(callDeadline, Duration.zero)) {
          return Effect.fail(invalidInput({
            provider,
            operation,
            path: "options.deadline",
            description: "the deadline must be a positive duration (or false for none)"
          }))
        }
        const accepted = requestOptions?.accept ?? []
        const attempt = (limit: Duration.Duration) => client.execute(request).pipe(
          Effect.catchAll((error) => fromHttpClientError(operation, error)),
          Effect.flatMap((response) =>
            (response.status >= 200 && response.status < 300) || accepted.includes(response.status)
              ? onResponse(response)
              : Effect.flatMap(errorFromResponse(operation, request, response), Effect.fail)
          ),
          Effect.timeoutFail({
            duration: limit,
            onTimeout: () =>
              new TransportError({
                ...context(operation),
                reason: "Timeout",
                description: `no response within ${Duration.format(limit)}`
              })
          })
        )
        const schedule = requestOptions?.retry === false ? undefined : retrySchedule
        // Without retries there is one attempt, and its timeout is the whole budget.
        return schedule === undefined ? attempt(attemptTimeout) : attempts(attempt, attemptTimeout, schedule, callDeadline)
      })

    /**
     * Runs `attempt` until it succeeds, the schedule stops or the deadline
     * leaves no room for another attempt. Driven by hand rather than with
     * `Effect.retry` so that a wait is known before it starts (one that would
     * end past the deadline is not waited out) and the final error can say
     * how many attempts were made over how long.
     */
    const attempts = <A, R>(
      attempt: (limit: Duration.Duration) => Effect.Effect<A, PromptOpsError, R>,
      attemptTimeout: Duration.Duration,
      schedule: RetrySchedule,
      callDeadline: Duration.Duration | undefined
    ): Effect.Effect<A, PromptOpsError, R> =>
      Effect.gen(function*() {
        const start = yield* Clock.currentTimeMillis
        const budgetMs = callDeadline === undefined ? undefined : Duration.toMillis(callDeadline)
        let state = schedule.initial
        let made = 0
        while (true) {
          const leftMs = budgetMs === undefined ? undefined : budgetMs - ((yield* Clock.currentTimeMillis) - start)
          made++
          const exit = yield* Effect.exit(
            attempt(
              leftMs !== undefined && leftMs < Duration.toMillis(attemptTimeout)
                ? Duration.millis(Math.max(1, leftMs))
                : attemptTimeout
            )
          )
          if (Exit.isSuccess(exit)) return exit.value
          const failure = Cause.failureOption(exit.cause)
          // A defect or an interruption is not an attempt that failed: it goes through as it is.
          if (Option.isNone(failure)) return yield* Effect.failCause(exit.cause as Cause.Cause<never>)
          const error = failure.value
          const now = yield* Clock.currentTimeMillis
          const elapsedMs = now - start
          // A lone attempt whose error is not retried stays as it was; once retries or the
          // deadline had a say, the error tells how many attempts were made over how long.
          const giveUp = (deadlineEnded: boolean) =>
            Effect.fail(made > 1 || deadlineEnded ? withAttempts(error, made, elapsedMs) : error)
          const [next, , decision] = yield* schedule.step(now, error, state)
          if (ScheduleDecision.isDone(decision)) return yield* giveUp(false)
          const waitMs = Math.max(0, ScheduleIntervals.start(decision.intervals) - now)
          if (budgetMs !== undefined && elapsedMs + waitMs >= budgetMs) return yield* giveUp(true)
          state = next
          if (waitMs > 0) yield* Effect.sleep(Duration.millis(waitMs))
        }
      })

    const fromHttpClientError = (
      operation: string,
      error: HttpClientError.HttpClientError
    ): Effect.Effect<never, PromptOpsError> => {
      if (error._tag === "ResponseError") {
        // Only reachable through a `transformClient` that filters statuses itself.
        return error.reason === "StatusCode"
          ? Effect.flatMap(errorFromResponse(operation, error.request, error.response), Effect.fail)
          : Effect.fail(
            new TransportError({
              ...context(operation),
              reason: "Other",
              status: error.response.status,
              description: scrub(describeCause(error.description, error.cause, "the response could not be read"))
            })
          )
      }
      switch (error.reason) {
        case "Transport":
          return Effect.fail(
            new TransportError({
              ...context(operation),
              reason: "Connection",
              description: scrub(describeCause(error.description, error.cause, "the request could not be sent"))
            })
          )
        case "Encode":
          return Effect.fail(invalidInput({
            provider,
            operation,
            path: "request.body",
            description: scrub(describeCause(error.description, error.cause, "the request body could not be encoded"))
          }))
        case "InvalidUrl":
          return Effect.fail(invalidInput({
            provider,
            operation,
            path: "request.url",
            description: scrub(describeCause(error.description, error.cause, "the request URL is invalid"))
          }))
      }
    }

    const errorFromResponse = (
      operation: string,
      request: HttpClientRequest.HttpClientRequest,
      response: HttpClientResponse.HttpClientResponse
    ): Effect.Effect<PromptOpsError> =>
      Effect.gen(function*() {
        const text = yield* Effect.orElseSucceed(response.text, () => "")
        const parsed: ParsedErrorBody = response.status < 400
          ? { description: redirectDescription(response), issues: [] }
          : parseErrorBody(response.status, response.headers["content-type"], text, readVendorJson)
        const now = yield* Clock.currentTimeMillis
        return statusError({
          ...context(operation),
          status: response.status,
          description: scrub(parsed.description),
          requestId: requestIdOf(response.headers) ?? parsed.requestId,
          issues: parsed.issues.map((issue) =>
            new Issue({ path: scrub(issue.path), message: scrub(issue.message) })
          ),
          retryAfterMs: response.status === 429 || response.status >= 500
            ? parseRetryAfter(response.headers, now)
            : undefined,
          bytes: response.status === 413 ? requestBodySize(request) : undefined
        })
      })

    const readJson = <A, I, R>(
      operation: string,
      schema: Schema.Schema<A, I, R>,
      response: HttpClientResponse.HttpClientResponse
    ): Effect.Effect<JsonResponse<A>, PromptOpsError, R> =>
      Effect.gen(function*() {
        const where = {
          ...context(operation),
          status: response.status,
          requestId: requestIdOf(response.headers)
        }
        const text = yield* Effect.mapError(response.text, (error) =>
          new TransportError({
            ...where,
            reason: "Connection",
            description: scrub(describeCause(error.description, error.cause, "the response body could not be read"))
          }))
        let body: unknown = undefined
        if (text.trim() !== "") {
          try {
            body = JSON.parse(text)
          } catch {
            return yield* new DecodeError({
              ...where,
              path: "",
              description: scrub(`the response body is not JSON (it starts with ${JSON.stringify(text.slice(0, 60))})`)
            })
          }
        }
        const value = yield* Effect.mapError(Schema.decodeUnknown(schema)(body), (error) => {
          const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
          return new DecodeError({
            ...where,
            path: scrub(formatPath(issue?.path ?? [])),
            description: scrub(`unexpected response: ${issue?.message ?? error.message}`)
          })
        })
        return { value, status: response.status, headers: response.headers }
      })

    const jsonResponse = <A, I, R>(
      operation: string,
      request: HttpClientRequest.HttpClientRequest,
      schema: Schema.Schema<A, I, R>,
      requestOptions?: RequestOptions | undefined
    ): Effect.Effect<JsonResponse<A>, PromptOpsError, R> =>
      send(operation, request, requestOptions, (response) => readJson(operation, schema, response))

    return {
      provider,
      apiUrl,
      execute: (operation, request, requestOptions) => send(operation, request, requestOptions, Effect.succeed),
      json: (operation, request, schema, requestOptions) =>
        Effect.map(jsonResponse(operation, request, schema, requestOptions), (response) => response.value),
      jsonResponse,
      stream: (operation, request, requestOptions) =>
        send(operation, request, requestOptions, (response) =>
          Effect.succeed<StreamResponse>({
            status: response.status,
            headers: response.headers,
            body: Stream.mapError(response.stream, (error) =>
              new TransportError({
                ...context(operation),
                reason: "Connection",
                status: response.status,
                requestId: requestIdOf(response.headers),
                description: scrub(describeCause(error.description, error.cause, "the response stream failed"))
              }))
          }))
    }
  })

// -----------------------------------------------------------------------------
// Base URL
// -----------------------------------------------------------------------------

/**
 * Checks a URL an app configures against the project rule (DESIGN §8):
 * absolute, `https://`, or plain `http://` only to a loopback host (to any
 * host with `allowInsecureHttp: true`); no credentials, query or fragment.
 * Errors name `path` (the option, e.g. `apiUrl` or `endpoint`) and never echo
 * a URL that holds credentials. Every client checks its URLs with this one
 * rule: `ProviderHttp.make`, and the OTLP sink over HTTP and gRPC.
 *
 * @since 0.1.0
 */
export const checkUrl = (
  text: string,
  options: {
    readonly provider: string
    readonly operation: string
    /** The option's name, the start of every message. */
    readonly path: string
    /** Where credentials go instead, e.g. "pass the key as apiKey". */
    readonly credentialsHint: string
    readonly allowInsecureHttp?: boolean | undefined
  }
): Effect.Effect<URL, InvalidInput> => {
  const { path, provider, operation } = options
  const fail = (description: string) => Effect.fail(invalidInput({ provider, operation, path, description }))
  let url: URL
  try {
    url = new URL(text.trim())
  } catch {
    return fail(`${path} is not an absolute URL`)
  }
  if (url.username !== "" || url.password !== "") {
    // Never echo this URL: it holds credentials.
    return fail(`${path} must not contain credentials; ${options.credentialsHint}`)
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return fail(`${path} must use https:// (got ${url.protocol}//)`)
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname) && options.allowInsecureHttp !== true) {
    return fail(
      `plain http:// is allowed only to a loopback host, not ${url.hostname}; use https://, ` +
        "or set allowInsecureHttp: true for a server on a private network"
    )
  }
  if (url.search !== "" || url.hash !== "") {
    return fail(`${path} must not have a query string or a fragment`)
  }
  return Effect.succeed(url)
}

/**
 * Checks a base URL (`checkUrl`, as `apiUrl`) and returns it normalised
 * without a trailing slash.
 *
 * @since 0.1.0
 */
export const validateApiUrl = (
  provider: string,
  apiUrl: string,
  options?: { readonly allowInsecureHttp?: boolean | undefined } | undefined
): Effect.Effect<string, InvalidInput> =>
  Effect.map(
    checkUrl(apiUrl, {
      provider,
      operation: "ProviderHttp.make",
      path: "apiUrl",
      credentialsHint: "pass the key as apiKey",
      allowInsecureHttp: options?.allowInsecureHttp
    }),
    (url) => `${url.origin}${url.pathname.replace(/\/+$/, "")}`
  )

/**
 * Whether a URL hostname (as `URL#hostname` normalises it) is loopback.
 *
 * @since 0.1.0
 */
export const isLoopbackHost = (hostname: string): boolean => {
  const host = hostname.toLowerCase()
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

// -----------------------------------------------------------------------------
// Status → error
// -----------------------------------------------------------------------------

/**
 * What `statusError` needs to build an error for a non-2xx response.
 *
 * @since 0.1.0
 */
export interface StatusErrorInput {
  readonly provider: string
  readonly operation: string
  readonly status: number
  readonly description: string
  readonly requestId?: string | undefined
  readonly issues?: ReadonlyArray<Issue> | undefined
  /** For a 429 or a 5xx: how long the vendor asked us to wait (`Retry-After`). */
  readonly retryAfterMs?: number | undefined
  /** For a 413: how many bytes were sent. */
  readonly bytes?: number | undefined
}

/**
 * Maps a non-2xx status to its error: 401 `Unauthorized`, 403 `Forbidden`,
 * 404 `NotFound`, 413 `PayloadTooLarge`, 429 `RateLimited`, 5xx
 * `ProviderUnavailable`, anything else (400, 408, 409, 422, other 4xx, an
 * unexpected 3xx) `BadRequest`. The result is retryable exactly for 408,
 * 409, 429 and 5xx (`PromptOpsError.isRetryable`).
 *
 * @since 0.1.0
 */
export const statusError = (input: StatusErrorInput): PromptOpsError => {
  const common = {
    provider: input.provider,
    operation: input.operation,
    description: input.description,
    status: input.status,
    requestId: input.requestId
  }
  const status = input.status
  if (status === 401) return new Unauthorized(common)
  if (status === 403) return new Forbidden(common)
  if (status === 404) return new NotFound(common)
  if (status === 413) return new PayloadTooLarge({ ...common, bytes: input.bytes })
  if (status === 429) return new RateLimited({ ...common, retryAfterMs: input.retryAfterMs })
  if (status >= 500) return new ProviderUnavailable({ ...common, retryAfterMs: input.retryAfterMs })
  return new BadRequest({ ...common, issues: input.issues ?? [] })
}

/**
 * The request id headers of no vendor in particular.
 *
 * @since 0.1.0
 */
export const commonRequestIdHeaders: ReadonlyArray<string> = ["x-request-id", "x-amzn-requestid"]

/**
 * The request id from the response headers, if any: the first of `names`
 * (default `commonRequestIdHeaders`) that is set.
 *
 * @since 0.1.0
 */
export const requestIdFromHeaders = (
  headers: Headers.Headers,
  names: ReadonlyArray<string> = commonRequestIdHeaders
): string | undefined => {
  for (const name of names) {
    const value = headers[name]
    if (value !== undefined && value !== "") return value
  }
  return undefined
}

/**
 * How long a 429 or a 5xx asks us to wait, in milliseconds: `retry-after-ms`, else
 * `Retry-After` as seconds or as an HTTP date (relative to `nowMs`).
 * `undefined` when absent or unreadable; never negative.
 *
 * @since 0.1.0
 */
export const parseRetryAfter = (headers: Headers.Headers, nowMs: number): number | undefined => {
  const ms = headers["retry-after-ms"]
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.max(0, Math.ceil(Number(ms)))
  const value = headers["retry-after"]?.trim()
  if (value === undefined || value === "") return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}

const redirectDescription = (response: HttpClientResponse.HttpClientResponse): string => {
  const location = response.headers["location"]
  return `unexpected HTTP ${response.status}${
    location === undefined ? "" : ` redirect to ${location}`
  }; redirects are not followed (check apiUrl)`
}

const requestBodySize = (request: HttpClientRequest.HttpClientRequest): number | undefined => {
  const length = (request.body as { readonly contentLength?: number | undefined }).contentLength
  return typeof length === "number" ? length : undefined
}

// -----------------------------------------------------------------------------
// Error bodies
// -----------------------------------------------------------------------------

/**
 * What a vendor error body says.
 *
 * @since 0.1.0
 */
export interface ParsedErrorBody {
  readonly description: string
  readonly requestId?: string | undefined
  readonly issues: ReadonlyArray<Issue>
}

/**
 * The longest description kept from an error body.
 *
 * @since 0.1.0
 */
export const maxDescriptionLength = 500

/**
 * Reads an error body:
 * - JSON in the vendor's own shape, through `readVendorJson` (a vendor
 *   Client module's `ErrorFormat.readErrorJson`), when it returns a reading;
 * - JSON in the common shapes (`readErrorJson`);
 * - plain text, and HTML gateway pages (their `<title>`, else the first line).
 * The description is trimmed and at most `maxDescriptionLength` characters.
 *
 * @since 0.1.0
 */
export const parseErrorBody = (
  status: number,
  contentType: string | undefined,
  text: string,
  readVendorJson?: ((body: unknown) => ParsedErrorBody | undefined) | undefined
): ParsedErrorBody => {
  const trimmed = text.trim()
  if (trimmed === "") return { description: statusText(status), issues: [] }
  if (isHtml(contentType, trimmed)) {
    const description = htmlSummary(trimmed)
    return { description: bound(description === "" ? statusText(status) : description), issues: [] }
  }
  if (trimmed.startsWith("{") || trimmed.startsWith("[") || trimmed.startsWith("\"")) {
    const json = parseJson(trimmed)
    if (json !== undefined) {
      const parsed = readVendorJson?.(json.value) ?? readErrorJson(json.value)
      if (parsed !== undefined) {
        return {
          description: bound(parsed.description === "" ? statusText(status) : parsed.description),
          requestId: parsed.requestId,
          issues: parsed.issues
        }
      }
    }
  }
  return { description: bound(collapse(trimmed)), issues: [] }
}

const parseJson = (text: string): { readonly value: unknown } | undefined => {
  try {
    return { value: JSON.parse(text) }
  } catch {
    return undefined
  }
}

/**
 * Reads a JSON error body in the common shapes: `{message}`, `{error}`
 * (string or object), `{detail}`, `{Code}`, `{errors}` (list or record), a
 * bare string or list of issues; the request id from `request_id` or
 * `requestId`. `undefined` for a value that is none of these (a number).
 *
 * @since 0.1.0
 */
export const readErrorJson = (body: unknown): ParsedErrorBody | undefined => {
  if (typeof body === "string") return { description: collapse(body), issues: [] }
  if (Array.isArray(body)) {
    const issues = issuesFrom(body)
    return { description: issues[0]?.message ?? "", issues }
  }
  if (!Predicate.isRecord(body)) return undefined

  const requestId = firstString(body.request_id, body.requestId)
  const issues = issuesFrom(body.errors)

  const error = body.error
  const description = firstString(
    body.message,
    typeof error === "string" ? error : undefined,
    Predicate.isRecord(error) ? firstString(error.message, error.error, error.detail) : undefined,
    body.detail,
    body.Code,
    issues[0]?.message
  )
  if (description === undefined && issues.length === 0) {
    return { description: collapse(JSON.stringify(body)), requestId, issues }
  }
  const code = typeof body.Code === "string" && description !== body.Code ? body.Code : undefined
  return {
    description: collapse(code === undefined ? description ?? "" : `${code}: ${description ?? ""}`),
    requestId,
    issues
  }
}

const issuesFrom = (errors: unknown): ReadonlyArray<Issue> => {
  if (Array.isArray(errors)) {
    const issues: Array<Issue> = []
    for (const item of errors) {
      if (typeof item === "string") {
        issues.push(new Issue({ path: "", message: collapse(item) }))
      } else if (Predicate.isRecord(item)) {
        const message = firstString(item.message, item.msg, item.error, item.detail) ?? collapse(JSON.stringify(item))
        issues.push(new Issue({ path: issuePath(item.path ?? item.loc ?? item.field), message: collapse(message) }))
      }
    }
    return issues
  }
  if (Predicate.isRecord(errors)) {
    // `{ field: "message" | ["message", …] }`
    const issues: Array<Issue> = []
    for (const [field, value] of Object.entries(errors)) {
      for (const message of Array.isArray(value) ? value : [value]) {
        if (typeof message === "string") issues.push(new Issue({ path: field, message: collapse(message) }))
      }
    }
    return issues
  }
  if (typeof errors === "string") return [new Issue({ path: "", message: collapse(errors) })]
  return []
}

const issuePath = (path: unknown): string => {
  if (typeof path === "string") return path
  if (Array.isArray(path)) {
    return formatPath(path.filter((key): key is string | number => typeof key === "string" || typeof key === "number"))
  }
  return ""
}

/**
 * Formats a field path the way a reader writes it: `objects[0].prompt_data.prompt`,
 * with keys that are not identifiers quoted (`metadata["my key"]`).
 *
 * @since 0.1.0
 */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`
    else if (typeof key === "symbol") out += `[${String(key)}]`
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) out += out === "" ? key : `.${key}`
    else out += `[${JSON.stringify(key)}]`
  }
  return out
}

const firstString = (...values: ReadonlyArray<unknown>): string | undefined => {
  for (const value of values) {
    if (typeof value === "string" && value.trim() !== "") return value.trim()
  }
  return undefined
}

const isHtml = (contentType: string | undefined, text: string): boolean =>
  (contentType !== undefined && /html/i.test(contentType)) || /^(<!doctype html|<html[\s>])/i.test(text)

const htmlSummary = (html: string): string => {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1]
  if (title !== undefined && collapse(decodeEntities(title)) !== "") return collapse(decodeEntities(title))
  const body = html.replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ").replace(/<[^>]*>/g, "\n")
  const line = body.split("\n").map((part) => collapse(decodeEntities(part))).find((part) => part !== "")
  return line ?? ""
}

const decodeEntities = (text: string): string =>
  text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, "\"")
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&")

const collapse = (text: string): string => text.replace(/\s+/g, " ").trim()

const bound = (text: string): string =>
  text.length <= maxDescriptionLength ? text : `${text.slice(0, maxDescriptionLength - 1)}…`

const statusTexts: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  409: "Conflict",
  413: "Payload Too Large",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout"
}

const statusText = (status: number): string => statusTexts[status] ?? `HTTP ${status}`

// -----------------------------------------------------------------------------
// Secrets and small helpers
// -----------------------------------------------------------------------------

/**
 * Replaces every occurrence of each secret in `text` with `[redacted]`.
 *
 * @since 0.1.0
 */
export const scrubSecrets = (text: string, secrets: ReadonlyArray<string>): string => {
  let out = text
  for (const secret of secrets) {
    if (secret !== "" && out.includes(secret)) out = out.split(secret).join("[redacted]")
  }
  return out
}

/**
 * What of a secret header value could come back in an error body: the value,
 * and the credential in it (`Bearer <key>`: the key; `Basic <token>`: the
 * token, the decoded `user:secret` and the secret), since a server may echo
 * the bare key. Parts shorter than 8 characters are left: they would mangle text.
 */
const credentialParts = (value: string): ReadonlyArray<string> => {
  const parts = [value]
  const scheme = /^\s*(bearer|basic)\s+(.+?)\s*$/i.exec(value)
  if (scheme !== null) {
    const credential = scheme[2]!
    parts.push(credential)
    if (scheme[1]!.toLowerCase() === "basic") {
      try {
        const decoded = atob(credential)
        parts.push(decoded)
        const at = decoded.indexOf(":")
        if (at >= 0) parts.push(decoded.slice(at + 1))
      } catch {
        // Not base64: the whole value and the credential are scrubbed already.
      }
    }
  }
  return parts.filter((part, i) => i === 0 || part.length >= 8)
}

const isHeaderValue = (value: string): boolean => !/[\0\r\n]/.test(value)

// What a socket error code means, for people: `connection refused (ECONNREFUSED)`.
const socketErrors: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ECONNABORTED: "connection aborted",
  EPIPE: "connection closed while sending",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed (temporary)",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_SOCKET: "connection closed by the server"
}

const socketError = (cause: unknown): string | undefined => {
  // fetch wraps the socket error (`fetch failed` → `connect ECONNREFUSED …`), sometimes twice.
  for (let error = cause, depth = 0; error !== undefined && error !== null && depth < 4; depth++) {
    const code = Predicate.hasProperty(error, "code") ? error.code : undefined
    if (typeof code === "string" && socketErrors[code] !== undefined) return `${socketErrors[code]} (${code})`
    const errors = Predicate.hasProperty(error, "errors") && Array.isArray(error.errors) ? error.errors : []
    for (const each of errors) {
      const inner = Predicate.hasProperty(each, "code") ? each.code : undefined
      if (typeof inner === "string" && socketErrors[inner] !== undefined) return `${socketErrors[inner]} (${inner})`
    }
    error = Predicate.hasProperty(error, "cause") ? error.cause : undefined
  }
  return undefined
}

const describeCause = (description: string | undefined, cause: unknown, fallback: string): string => {
  const socket = socketError(cause)
  if (socket !== undefined) return socket
  if (description !== undefined && description !== "") return description
  if (cause instanceof Error) {
    const inner = (cause as { readonly cause?: unknown }).cause
    const detail = inner instanceof Error
      ? inner.message
      : Predicate.hasProperty(inner, "code") && typeof inner.code === "string"
      ? inner.code
      : undefined
    return detail === undefined || detail === cause.message ? cause.message : `${cause.message}: ${detail}`
  }
  return fallback
}

const decodeDuration = <E>(
  input: Duration.DurationInput,
  path: string,
  fail: (path: string, description: string) => Effect.Effect<never, E>
): Effect.Effect<Duration.Duration, E> =>
  Option.match(Duration.decodeUnknown(input), {
    onNone: () => fail(path, `${path} is not a duration`),
    onSome: Effect.succeed
  })

const validateRetryOptions = <E>(
  retry: RetryPolicy.RetryOptions,
  fail: (path: string, description: string) => Effect.Effect<never, E>
): Effect.Effect<void, E> =>
  Effect.gen(function*() {
    if (retry.maxRetries !== undefined && !(Number.isInteger(retry.maxRetries) && retry.maxRetries >= 0)) {
      return yield* fail("retry.maxRetries", "retry.maxRetries must be a whole number ≥ 0")
    }
    if (retry.factor !== undefined && !(Number.isFinite(retry.factor) && retry.factor >= 1)) {
      return yield* fail("retry.factor", "retry.factor must be a finite number ≥ 1")
    }
    for (const key of ["base", "maxDelay", "maxRetryAfter"] as const) {
      const value = retry[key]
      if (value !== undefined) yield* decodeDuration(value, `retry.${key}`, fail)
    }
  })
