/**
 * The error family of promptops. Every failure a backend can produce is one of
 * these `Schema.TaggedError`s, so it can be logged, exported and matched with
 * `Effect.catchTag`. Each carries the provider and operation, and the HTTP
 * status and the vendor's request id where known. None ever carries the API key:
 * adapters build them from parsed bodies and status codes, never from requests.
 *
 * @since 0.1.0
 */
import { Predicate, Schema } from "effect"

/** @since 0.1.0 */
export const TypeId: unique symbol = Symbol.for("@promptops/core/PromptOpsError")
/** @since 0.1.0 */
export type TypeId = typeof TypeId

/**
 * Fields shared by every error: where it happened and what the vendor said.
 *
 * @since 0.1.0
 */
export const CommonFields = {
  /** `braintrust`, `basalt`, `local`, `memory`, or `promptops` for the library itself. */
  provider: Schema.String,
  /** The neutral or vendor operation, e.g. `Prompts.get` or `BraintrustClient.insertExperiment`. */
  operation: Schema.String,
  /** A human-readable explanation. */
  description: Schema.String,
  status: Schema.optional(Schema.Number),
  requestId: Schema.optional(Schema.String),
  /**
   * How many attempts were made before giving up, when there was more than
   * one or a deadline cut the only one (set by `ProviderHttp`).
   */
  attempts: Schema.optional(Schema.Number),
  /** Milliseconds from the first attempt to giving up; set with `attempts`. */
  elapsedMs: Schema.optional(Schema.Number)
} as const

const describe = (self: {
  readonly provider: string
  readonly operation: string
  readonly description: string
  readonly status?: number | undefined
  readonly requestId?: string | undefined
  readonly attempts?: number | undefined
  readonly elapsedMs?: number | undefined
}): string => {
  const where = `${self.provider} ${self.operation}`
  const status = self.status === undefined ? "" : ` (HTTP ${self.status})`
  const requestId = self.requestId === undefined ? "" : ` [request id ${self.requestId}]`
  return `${where}${status}: ${gaveUp(self)}${self.description}${requestId}`
}

const gaveUp = (self: { readonly attempts?: number | undefined; readonly elapsedMs?: number | undefined }): string =>
  self.attempts === undefined
    ? ""
    : `gave up after ${self.attempts} ${self.attempts === 1 ? "attempt" : "attempts"}${
      self.elapsedMs === undefined ? "" : ` over ${(self.elapsedMs / 1000).toFixed(1)} s`
    }: `

/**
 * The credentials were missing or rejected (HTTP 401).
 *
 * @since 0.1.0
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>("@promptops/core/PromptOpsError/Unauthorized")(
  "Unauthorized",
  CommonFields
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string {
    return `${describe(this)} — check the API key for ${this.provider}.`
  }
}

/**
 * The credentials lack a permission (HTTP 403). Braintrust also answers 403 for
 * an unknown route, so the description keeps the vendor's text.
 *
 * @since 0.1.0
 */
export class Forbidden extends Schema.TaggedError<Forbidden>("@promptops/core/PromptOpsError/Forbidden")(
  "Forbidden",
  CommonFields
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string {
    return describe(this)
  }
}

/**
 * The object does not exist (HTTP 404, or an empty lookup).
 *
 * @since 0.1.0
 */
export class NotFound extends Schema.TaggedError<NotFound>("@promptops/core/PromptOpsError/NotFound")("NotFound", {
  ...CommonFields,
  /** What was looked up, e.g. `prompt "greeting" version 3`. */
  resource: Schema.optional(Schema.String)
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string {
    return describe(this)
  }
}

/**
 * The vendor throttled the request (HTTP 429). `retryAfterMs` comes from the
 * `Retry-After` header when the vendor sent one.
 *
 * @since 0.1.0
 */
export class RateLimited extends Schema.TaggedError<RateLimited>("@promptops/core/PromptOpsError/RateLimited")(
  "RateLimited",
  {
    ...CommonFields,
    retryAfterMs: Schema.optional(Schema.Number)
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string {
    const hint = this.retryAfterMs === undefined ? "" : ` (retry after ${this.retryAfterMs} ms)`
    return `${describe(this)}${hint}`
  }
}

/**
 * One problem the vendor found in a request.
 *
 * @since 0.1.0
 */
export class Issue extends Schema.Class<Issue>("@promptops/core/PromptOpsError/Issue")({
  /** Dotted path of the offending field, `""` for the whole request. */
  path: Schema.String,
  message: Schema.String
}) {}

/**
 * The vendor rejected the request as invalid (HTTP 400, 409, 422, other 4xx).
 * `issues` holds the vendor's validation issues when it listed them.
 *
 * @since 0.1.0
 */
export class BadRequest extends Schema.TaggedError<BadRequest>("@promptops/core/PromptOpsError/BadRequest")(
  "BadRequest",
  {
    ...CommonFields,
    issues: Schema.Array(Issue)
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string {
    const issues = this.issues.map((issue) => `\n  - ${issue.path === "" ? "" : `${issue.path}: `}${issue.message}`)
    return `${describe(this)}${issues.join("")}`
  }
}

/**
 * The request body was over the vendor's limit (HTTP 413). The tracing pipeline
 * splits the batch and tries the halves.
 *
 * @since 0.1.0
 */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>(
  "@promptops/core/PromptOpsError/PayloadTooLarge"
)("PayloadTooLarge", {
  ...CommonFields,
  bytes: Schema.optional(Schema.Number)
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string {
    return `${describe(this)}${this.bytes === undefined ? "" : ` (${this.bytes} bytes sent)`}`
  }
}

/**
 * The vendor failed (HTTP 5xx) and kept failing through the retry budget.
 * `retryAfterMs` comes from the `Retry-After` header when the vendor sent one
 * (a 503 in maintenance, a Collector shedding load); retries wait that long.
 *
 * @since 0.1.0
 */
export class ProviderUnavailable extends Schema.TaggedError<ProviderUnavailable>(
  "@promptops/core/PromptOpsError/ProviderUnavailable"
)("ProviderUnavailable", {
  ...CommonFields,
  retryAfterMs: Schema.optional(Schema.Number)
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string {
    const hint = this.retryAfterMs === undefined ? "" : ` (retry after ${this.retryAfterMs} ms)`
    return `${describe(this)}${hint}`
  }
}

/**
 * The request never got an HTTP answer: connection refused or reset, DNS, or
 * the request timeout.
 *
 * @since 0.1.0
 */
export class TransportError extends Schema.TaggedError<TransportError>(
  "@promptops/core/PromptOpsError/TransportError"
)("TransportError", {
  ...CommonFields,
  reason: Schema.Literal("Timeout", "Connection", "Other")
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string {
    return `${describe(this)} (${this.reason.toLowerCase()})`
  }
}

/**
 * A vendor response (or a stored file) did not have the expected shape.
 * `path` names the field that failed, e.g. `objects[0].prompt_data.prompt`.
 *
 * @since 0.1.0
 */
export class DecodeError extends Schema.TaggedError<DecodeError>("@promptops/core/PromptOpsError/DecodeError")(
  "DecodeError",
  {
    ...CommonFields,
    path: Schema.String
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string {
    return `${describe(this)} (at ${this.path === "" ? "the top level" : this.path})`
  }
}

/**
 * The backend does not offer this operation (e.g. Basalt cannot delete a prompt).
 *
 * @since 0.1.0
 */
export class Unsupported extends Schema.TaggedError<Unsupported>("@promptops/core/PromptOpsError/Unsupported")(
  "Unsupported",
  CommonFields
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string {
    return describe(this)
  }
}

/**
 * A template could not be parsed or rendered. In strict mode `missing` lists
 * every variable the template uses that the caller did not supply.
 *
 * @since 0.1.0
 */
export class TemplateError extends Schema.TaggedError<TemplateError>("@promptops/core/PromptOpsError/TemplateError")(
  "TemplateError",
  {
    ...CommonFields,
    format: Schema.Literal("mustache", "jinja", "nunjucks", "none"),
    missing: Schema.Array(Schema.String)
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string {
    const missing = this.missing.length === 0 ? "" : ` (missing: ${this.missing.join(", ")})`
    return `${describe(this)}${missing}`
  }
}

/**
 * The vendor answered with another prompt version or tag than the one asked
 * for (Basalt falls back to production with a 200 and a warning).
 *
 * @since 0.1.0
 */
export class VersionMismatch extends Schema.TaggedError<VersionMismatch>(
  "@promptops/core/PromptOpsError/VersionMismatch"
)("VersionMismatch", {
  ...CommonFields,
  slug: Schema.String,
  requested: Schema.String,
  received: Schema.String,
  warning: Schema.optional(Schema.String)
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string {
    return `${describe(this)} (asked for ${this.requested}, got ${this.received})`
  }
}

/**
 * An argument or a setting the caller gave is invalid. `path` names it, e.g.
 * `Eval.run.trials` or `BRAINTRUST_API_URL`.
 *
 * @since 0.1.0
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>("@promptops/core/PromptOpsError/InvalidInput")(
  "InvalidInput",
  {
    ...CommonFields,
    path: Schema.String
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string {
    return `${describe(this)} (at ${this.path})`
  }
}

/**
 * The schema of any promptops error, for decoding errors that crossed a wire.
 *
 * @since 0.1.0
 */
export const PromptOpsError: Schema.Union<[
  typeof Unauthorized,
  typeof Forbidden,
  typeof NotFound,
  typeof RateLimited,
  typeof BadRequest,
  typeof PayloadTooLarge,
  typeof ProviderUnavailable,
  typeof TransportError,
  typeof DecodeError,
  typeof Unsupported,
  typeof TemplateError,
  typeof VersionMismatch,
  typeof InvalidInput
]> = Schema.Union(
  Unauthorized,
  Forbidden,
  NotFound,
  RateLimited,
  BadRequest,
  PayloadTooLarge,
  ProviderUnavailable,
  TransportError,
  DecodeError,
  Unsupported,
  TemplateError,
  VersionMismatch,
  InvalidInput
)

/**
 * Any promptops error. Declared after the schema of the same name: the
 * bundled declarations keep only the last of two same-named exports in
 * `@promptops/core`'s `PromptOpsError` namespace, and the type is the one
 * apps name (`Effect<A, PromptOpsError.PromptOpsError>`).
 *
 * @since 0.1.0
 */
export type PromptOpsError =
  | Unauthorized
  | Forbidden
  | NotFound
  | RateLimited
  | BadRequest
  | PayloadTooLarge
  | ProviderUnavailable
  | TransportError
  | DecodeError
  | Unsupported
  | TemplateError
  | VersionMismatch
  | InvalidInput

/**
 * @since 0.1.0
 */
export const isPromptOpsError = (u: unknown): u is PromptOpsError => Predicate.hasProperty(u, TypeId)

/**
 * Whether a failure is worth another attempt: transport errors, throttling and
 * vendor outages. Never 400/401/403/404/413.
 *
 * @since 0.1.0
 */
export const isRetryable = (error: PromptOpsError): boolean =>
  error._tag === "TransportError" || error._tag === "RateLimited" || error._tag === "ProviderUnavailable" ||
  (error._tag === "BadRequest" && (error.status === 408 || error.status === 409))

/**
 * The same error with how many attempts were made over how long
 * (`attempts`, `elapsedMs`); its message then starts with
 * `gave up after N attempts over T s:`.
 *
 * @since 0.1.0
 */
export const withAttempts = <E extends PromptOpsError>(
  error: E,
  attempts: number,
  elapsedMs: number
): E => {
  const Self = error.constructor as new(props: Record<string, unknown>) => E
  const { _tag: _, ...fields } = error as E & Record<string, unknown>
  return new Self({ ...fields, attempts, elapsedMs: Math.max(0, Math.round(elapsedMs)) })
}

/**
 * Builds an `InvalidInput` for a caller's argument.
 *
 * @since 0.1.0
 */
export const invalidInput = (options: {
  readonly provider?: string | undefined
  readonly operation: string
  readonly path: string
  readonly description: string
}): InvalidInput =>
  new InvalidInput({
    provider: options.provider ?? "promptops",
    operation: options.operation,
    path: options.path,
    description: options.description
  })
