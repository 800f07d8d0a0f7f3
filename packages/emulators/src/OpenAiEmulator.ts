/**
 * A loopback emulator of the OpenAI HTTP API: `POST /v1/responses` (Responses API, plain or streamed) and
 * `POST /v1/embeddings`, checked against OpenAI's official OpenAPI file (`specs/openai-openapi.json`, the subset
 * of those two paths; MIT).
 *
 * The test scripts the model (`respond`): text, a JSON object for structured output, tool calls, token usage.
 * Embeddings are a deterministic hashed bag of words. Auth is `Authorization: Bearer <key>`; a missing or wrong
 * key is a 401 in OpenAI's error shape, a body that breaks the OpenAPI file a 400 whose `error.param` names the
 * failing path (`input[0].content`), recorded in `rejections`. Faults (`handle.faults`) inject 429 with
 * `Retry-After`, 5xx, resets and delays.
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
import { openAiHooks, openAiRoutes } from "./internal/openai/Routes.js"
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

export {
  /**
   * The emulator's embedding: a signed, hashed bag of lower-cased words, L2-normalised.
   *
   * @since 0.1.0
   */
  embed
} from "./internal/llm/Reply.js"

/**
 * @since 0.1.0
 */
export interface OpenAiEmulatorOptions {
  /** Accepted keys (`Authorization: Bearer <key>`); default `["sk-test"]`. */
  readonly apiKeys?: ReadonlyArray<string>
  /** The scripted model; default: the text `echo: <last user message>`. */
  readonly respond?: Respond
  /** Embedding length when the request sets no `dimensions`; default 64. */
  readonly embeddingDimensions?: number
  /** Milliseconds clock for `created_at` and fault windows; default `Date.now`. */
  readonly now?: () => number
  /** How `delay` faults wait; default `setTimeout`. */
  readonly sleep?: (ms: number) => Promise<void>
  /** Overrides the bundled `specs/openai-openapi.json`. */
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
export interface OpenAiEmulatorHandle {
  /** `http://127.0.0.1:<port>`; the provider's `apiUrl` is `url + "/v1"` (see `apiUrl`). */
  readonly url: string
  /** `url + "/v1"`: what `OpenAiClient.layer({ apiUrl })` takes. */
  readonly apiUrl: string
  /** The first configured key. */
  readonly apiKey: string
  readonly faults: Faults
  /** Every request received, in order, with headers, body text, status and answer. */
  readonly requests: ReadonlyArray<CapturedRequest>
  /** The `/v1/responses` requests that reached the script, as the script saw them. */
  readonly replies: ReadonlyArray<ReplyRequest>
  /** Responses that broke the contract, and handler crashes: emulator bugs. Tests expect none. */
  readonly violations: ReadonlyArray<ContractViolation>
  /** Client requests that broke the contract (answered 400). Tests of clients expect none. */
  readonly rejections: ReadonlyArray<RequestRejection>
  readonly validator: OpenApiValidator
  readonly close: () => Promise<void>
}

/**
 * The bundled OpenAPI subset.
 *
 * @since 0.1.0
 */
export const defaultSpecPath = (): string => fileURLToPath(new URL("../specs/openai-openapi.json", import.meta.url))

/**
 * Starts an emulator on `127.0.0.1`, on an ephemeral port.
 *
 * @since 0.1.0
 */
export const start = async (options: OpenAiEmulatorOptions = {}): Promise<OpenAiEmulatorHandle> => {
  const validator = OpenApiValidator.fromFile(options.specPath ?? defaultSpecPath())
  const now = options.now ?? Date.now
  const apiKeys = options.apiKeys ?? ["sk-test"]
  const faults = new Faults({ now })
  const replies: Array<ReplyRequest> = []
  let counter = 0
  // Deterministic ids: the same script gives the same transcript.
  const nextId = (prefix: string): string => `${prefix}_emu${String(++counter).padStart(6, "0")}`
  const server = await startEmulatorServer({
    validator,
    routes: openAiRoutes({
      respond: options.respond ?? defaultRespond,
      embeddingDimensions: options.embeddingDimensions ?? 64,
      now,
      nextId,
      replies,
      validator
    }),
    hooks: openAiHooks(apiKeys),
    faults,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {})
  })
  return {
    url: server.url,
    apiUrl: `${server.url}/v1`,
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
export class OpenAiEmulator extends Context.Tag("@promptops/emulators/OpenAiEmulator")<
  OpenAiEmulator,
  OpenAiEmulatorHandle
>() {}

/**
 * Starts an emulator for the lifetime of the surrounding scope.
 *
 * @since 0.1.0
 */
export const make = (options: OpenAiEmulatorOptions = {}): Effect.Effect<OpenAiEmulatorHandle, never, Scope.Scope> =>
  scopedEmulator(() => start(options))

/**
 * @since 0.1.0
 */
export const layer = (options: OpenAiEmulatorOptions = {}): Layer.Layer<OpenAiEmulator> =>
  Layer.scoped(OpenAiEmulator, make(options))
