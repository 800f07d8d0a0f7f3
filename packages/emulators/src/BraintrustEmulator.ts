/**
 * A loopback emulator of the Braintrust REST API, checked against Braintrust's official OpenAPI file.
 *
 * Serves projects, prompts, functions (CRUD, versions, invoke, legacy feedback), environments (and the prompt and
 * function versions they point at), experiments, datasets, project logs (insert / fetch / feedback / summarize), the
 * cross-object insert and the eval launch, with the semantics described in `vendors/braintrust.md` (get-or-create,
 * PUT replace vs PATCH deep merge, `_xact_id` versions and their pretty form, merge rows, trace-counted fetch paging,
 * list cursors). Every request and response is validated against the
 * OpenAPI file: a bad request gets a Braintrust-style 400, a bad response is a bug recorded in `violations`.
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
import type { ApiKey, BraintrustDeps } from "./internal/braintrust/Context.js"
import { braintrustHooks } from "./internal/braintrust/Errors.js"
import { braintrustRoutes, functionFeedbackOperation } from "./internal/braintrust/routes/index.js"
import { sdkOperations, sdkRoutes } from "./internal/braintrust/sdkRoutes.js"
import { BraintrustStore } from "./internal/braintrust/Store.js"
import { OpenApiValidator } from "./OpenApiValidator.js"

export {
  /**
   * The emulator's in-memory state (projects, functions with their versions, environments and the versions they
   * point at, experiments, datasets, event rows).
   *
   * @since 0.1.0
   */
  BraintrustStore
} from "./internal/braintrust/Store.js"

export type {
  /**
   * @since 0.1.0
   */
  ContainerKind,
  /**
   * @since 0.1.0
   */
  EventContainer,
  /**
   * @since 0.1.0
   */
  FunctionRecord,
  /**
   * @since 0.1.0
   */
  FunctionVersion,
  /**
   * @since 0.1.0
   */
  ObjectRecord,
  /**
   * @since 0.1.0
   */
  RowVersion
} from "./internal/braintrust/Store.js"

export {
  /**
   * @since 0.1.0
   */
  BUILTIN_NAMES
} from "./internal/braintrust/Runtime.js"

export {
  /**
   * @since 0.1.0
   */
  FIRST_XACT_ID,
  /**
   * @since 0.1.0
   */
  loadPrettyXactId,
  /**
   * @since 0.1.0
   */
  parseVersion,
  /**
   * @since 0.1.0
   */
  prettifyXactId
} from "./internal/braintrust/XactId.js"

/**
 * An API key the emulator accepts. A read-only key gets 403 on every write.
 *
 * @since 0.1.0
 */
export type ApiKeyOption = string | { readonly key: string; readonly readOnly?: boolean }

/**
 * @since 0.1.0
 */
export interface BraintrustEmulatorOptions {
  /** Accepted keys (`Authorization: Bearer <key>`); default `["test-key"]`. */
  readonly apiKeys?: ReadonlyArray<ApiKeyOption>
  /** The organisation every key belongs to; default `"emulator-org"`. */
  readonly orgName?: string
  /** Base of the UI links in summaries; default `https://www.braintrust.dev`. */
  readonly appUrl?: string
  /** Shown in the `[user_email=…]` suffix of 400 messages; default `emulator@example.com`. */
  readonly userEmail?: string
  /** Milliseconds clock for `created` timestamps, metrics of evals and fault windows; default `Date.now`. */
  readonly now?: () => number
  /** How `delay` faults wait; default `setTimeout`. */
  readonly sleep?: (ms: number) => Promise<void>
  /** Id generator for objects and rows; default `crypto.randomUUID`. */
  readonly uuid?: () => string
  /** The first `_xact_id` handed out; default `1000192656880881099` (the OpenAPI example). */
  readonly firstXactId?: bigint
  /** Overrides the bundled `specs/braintrust-openapi.json`. */
  readonly specPath?: string
  readonly host?: string
  /** Default 0: an ephemeral port. */
  readonly port?: number
  /**
   * Serve `POST /v1/function/{id}/feedback` (documented by the older API reference, removed from the OpenAPI file
   * in 2024-07); default true.
   */
  readonly legacyFunctionFeedback?: boolean
}

/**
 * A running emulator.
 *
 * @since 0.1.0
 */
export interface BraintrustEmulatorHandle {
  /** `http://127.0.0.1:<port>`: use it as the API URL. */
  readonly url: string
  /** The first configured key. */
  readonly apiKey: string
  readonly store: BraintrustStore
  readonly faults: Faults
  /** Every request received, in order, with headers and body text. */
  readonly requests: ReadonlyArray<CapturedRequest>
  /** Responses that broke the contract, and handler crashes: emulator bugs. Tests expect none. */
  readonly violations: ReadonlyArray<ContractViolation>
  /** Client requests that broke the contract (answered 400). */
  readonly rejections: ReadonlyArray<RequestRejection>
  readonly validator: OpenApiValidator
  readonly close: () => Promise<void>
}

/**
 * The bundled OpenAPI file.
 *
 * @since 0.1.0
 */
export const defaultSpecPath = (): string => fileURLToPath(new URL("../specs/braintrust-openapi.json", import.meta.url))

const toApiKeys = (keys: ReadonlyArray<ApiKeyOption> | undefined): ReadonlyArray<ApiKey> =>
  (keys ?? ["test-key"]).map((k) => (typeof k === "string" ? { key: k, readOnly: false } : { key: k.key, readOnly: k.readOnly ?? false }))

/**
 * Starts an emulator on `127.0.0.1` and an ephemeral port.
 *
 * @since 0.1.0
 */
export const start = async (options: BraintrustEmulatorOptions = {}): Promise<BraintrustEmulatorHandle> => {
  const validator = OpenApiValidator.fromFile(options.specPath ?? defaultSpecPath())
  if (options.legacyFunctionFeedback !== false) validator.registerOperation(functionFeedbackOperation)
  // The official SDK's private endpoints (login, register, logs3, …): not in the OpenAPI file.
  for (const operation of sdkOperations) validator.registerOperation(operation)
  const store = new BraintrustStore({
    ...(options.orgName !== undefined ? { orgName: options.orgName } : {}),
    ...(options.now !== undefined ? { now: options.now } : {}),
    ...(options.uuid !== undefined ? { uuid: options.uuid } : {}),
    ...(options.firstXactId !== undefined ? { firstXactId: options.firstXactId } : {})
  })
  const apiKeys = toApiKeys(options.apiKeys)
  const deps: BraintrustDeps = {
    store,
    validator,
    appUrl: (options.appUrl ?? "https://www.braintrust.dev").replace(/\/+$/, ""),
    userEmail: options.userEmail ?? "emulator@example.com",
    apiKeys
  }
  const faults = new Faults(options.now !== undefined ? { now: options.now } : {})
  const routes = [...braintrustRoutes(deps), ...sdkRoutes(deps)].filter((route) =>
    options.legacyFunctionFeedback !== false || route.path !== functionFeedbackOperation.path
  )
  const server = await startEmulatorServer({
    validator,
    routes,
    hooks: braintrustHooks(deps),
    faults,
    ...(options.sleep !== undefined ? { sleep: options.sleep } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {})
  })
  return {
    url: server.url,
    apiKey: apiKeys[0]?.key ?? "",
    store,
    faults,
    requests: server.requests,
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
export class BraintrustEmulator extends Context.Tag("@promptops/emulators/BraintrustEmulator")<
  BraintrustEmulator,
  BraintrustEmulatorHandle
>() {}

/**
 * Starts an emulator for the lifetime of the surrounding scope.
 *
 * @since 0.1.0
 */
export const make = (options: BraintrustEmulatorOptions = {}): Effect.Effect<BraintrustEmulatorHandle, never, Scope.Scope> =>
  scopedEmulator(() => start(options))

/**
 * @since 0.1.0
 */
export const layer = (options: BraintrustEmulatorOptions = {}): Layer.Layer<BraintrustEmulator> =>
  Layer.scoped(BraintrustEmulator, make(options))
