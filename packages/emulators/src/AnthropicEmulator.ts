/**
 * A loopback emulator of Anthropic's Messages API: `POST /v1/messages` (plain or streamed), as `@effect/ai-anthropic`
 * calls it (`/v1/messages?beta=true`) and as the plain API takes it.
 *
 * Anthropic publishes no OpenAPI file we can get offline, so the contract is `specs/anthropic-messages.json`:
 * an OpenAPI document built from the Effect schemas `@effect/ai-anthropic` generated from Anthropic's OpenAPI
 * file (`BetaCreateMessageParams` / `CreateMessageParams` in, `BetaMessage` out, `BetaErrorResponse` on errors;
 * regenerate with `scripts/anthropic-messages-spec.mjs`). Requests need `x-api-key` (401
 * `authentication_error` otherwise) and a known `anthropic-version` (400). A body that breaks the contract is a
 * 400 `invalid_request_error` naming the field (`messages.0.content: ...`), recorded in `rejections`.
 *
 * The test scripts the model (`respond`, the same `Reply` as the OpenAI emulator). Structured output: `json` is
 * answered as the `tool_use` of the tool the request forces (what `@effect/ai-anthropic`'s `generateObject`
 * sends and reads). Faults (`handle.faults`) inject 429 with `Retry-After`, 5xx / 529, resets and delays.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, type Scope } from "effect"
import { fileURLToPath } from "node:url"
import {
  type CapturedRequest,
  type ContractViolation,
  type RequestRejection,
  scopedEmulator,
  startEmulatorServer
} from "./EmulatorServer.js"
import { Faults } from "./Faults.js"
import { defaultRespond, type ReplyRequest, type Respond } from "./internal/llm/Reply.js"
import { anthropicHooks, anthropicRoutes } from "./internal/anthropic/Routes.js"
import { OpenApiValidator } from "./OpenApiValidator.js"

export type {
  /**
   * @since 0.1.0
   */
  Reply,
  /**
   * @since 0.1.0
   */
  ReplyMessage,
  /**
   * @since 0.1.0
   */
  ReplyRequest,
  /**
   * @since 0.1.0
   */
  ReplyToolCall,
  /**
   * @since 0.1.0
   */
  Respond
} from "./internal/llm/Reply.js"

/**
 * @since 0.1.0
 */
export interface AnthropicEmulatorOptions {
  /** Accepted keys (`x-api-key`); default `["sk-ant-test"]`. */
  readonly apiKeys?: ReadonlyArray<string>
  /** Accepted `anthropic-version` values; default `["2023-06-01", "2023-01-01"]`. */
  readonly versions?: ReadonlyArray<string>
  /** The scripted model; default: the text `echo: <last user message>`. */
  readonly respond?: Respond
  /** Milliseconds clock for fault windows; default `Date.now`. */
  readonly now?: () => number
  /** How `delay` faults wait; default `setTimeout`. */
  readonly sleep?: (ms: number) => Promise<void>
  /** Overrides the bundled `specs/anthropic-messages.json`. */
  readonly specPath?: string
  readonly host?: string
  /** Default 0: an ephemeral port. */
  readonly port?: number
}

/**
 * A running emulator.
 *
 * @since 0.1.0
 */
export interface AnthropicEmulatorHandle {
  /** `http://127.0.0.1:<port>`: what `AnthropicClient.layer({ apiUrl })` takes (no `/v1`). */
  readonly url: string
  /** The first configured key. */
  readonly apiKey: string
  readonly faults: Faults
  /** Every request received, in order, with headers, body text, status and answer. */
  readonly requests: ReadonlyArray<CapturedRequest>
  /** The `/v1/messages` requests that reached the script, as the script saw them. */
  readonly replies: ReadonlyArray<ReplyRequest>
  /** Responses that broke the contract, and handler crashes: emulator bugs. Tests expect none. */
  readonly violations: ReadonlyArray<ContractViolation>
  /** Client requests that broke the contract (answered 400). Tests of clients expect none. */
  readonly rejections: ReadonlyArray<RequestRejection>
  readonly validator: OpenApiValidator
  readonly close: () => Promise<void>
}

/**
 * The bundled contract, derived from `@effect/ai-anthropic`'s generated schemas.
 *
 * @since 0.1.0
 */
export const defaultSpecPath = (): string => fileURLToPath(new URL("../specs/anthropic-messages.json", import.meta.url))

/**
 * Starts an emulator on `127.0.0.1`, on an ephemeral port.
 *
 * @since 0.1.0
 */
export const start = async (options: AnthropicEmulatorOptions = {}): Promise<AnthropicEmulatorHandle> => {
  const validator = OpenApiValidator.fromFile(options.specPath ?? defaultSpecPath())
  const now = options.now ?? Date.now
  const apiKeys = options.apiKeys ?? ["sk-ant-test"]
  const faults = new Faults({ now })
  const replies: Array<ReplyRequest> = []
  // Rejections found outside the validator (headers, the plain endpoint's body) join the server's list; no
  // request can arrive before the server has started and the sink is set.
  let sink: Array<RequestRejection> = []
  const reject = (rejection: RequestRejection): void => {
    sink.push(rejection)
  }
  let counter = 0
  // Deterministic ids: the same script gives the same transcript.
  const nextId = (prefix: string): string => `${prefix}_emu${String(++counter).padStart(6, "0")}`
  const server = await startEmulatorServer({
    validator,
    routes: anthropicRoutes({ respond: options.respond ?? defaultRespond, validator, nextId, replies, reject }),
    hooks: anthropicHooks(apiKeys, options.versions ?? ["2023-06-01", "2023-01-01"], reject),
    faults,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {})
  })
  sink = server.rejections
  return {
    url: server.url,
    apiKey: apiKeys[0] ?? "",
    faults,
    requests: server.requests,
    replies,
    violations: server.violations,
    rejections: server.rejections,
    validator,
    close: server.close
  }
}

/**
 * The running emulator as an Effect service.
 *
 * @since 0.1.0
 */
export class AnthropicEmulator extends Context.Tag("@promptops/emulators/AnthropicEmulator")<
  AnthropicEmulator,
  AnthropicEmulatorHandle
>() {}

/**
 * Starts an emulator for the lifetime of the surrounding scope.
 *
 * @since 0.1.0
 */
export const make = (options: AnthropicEmulatorOptions = {}): Effect.Effect<AnthropicEmulatorHandle, never, Scope.Scope> =>
  scopedEmulator(() => start(options))

/**
 * @since 0.1.0
 */
export const layer = (options: AnthropicEmulatorOptions = {}): Layer.Layer<AnthropicEmulator> =>
  Layer.scoped(AnthropicEmulator, make(options))
