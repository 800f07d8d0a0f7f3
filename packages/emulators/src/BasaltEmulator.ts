/**
 * A loopback emulator of the Basalt REST API (`https://api.getbasalt.ai`), checked against Basalt's official
 * OpenAPI file (`specs/basalt-openapi.json`, "Basalt API" 0.2.1).
 *
 * Semantics, from `vendors/basalt.md`:
 * - prompts resolve `version` → `tag` → the `production` tag; both given: the version wins with the warning
 *   "Both version and tag were provided. Ignoring the tag."; a version or tag that does not exist falls back to
 *   production with a 200 and a `warning`; 404 `{error}` with Basalt's texts when nothing resolves; `latest`
 *   always exists (the newest version); `publish` moves (or creates) a tag and answers 201;
 * - datasets: rows are added with 201; values for columns the dataset does not have are dropped with a
 *   `warning`; a missing required column is a 400; a `file` / `image` column must hold the `fileKey` of an
 *   uploaded file;
 * - files: `POST /files/generate-upload-url` (not in the OpenAPI file; registered as an extra operation with the
 *   SDKs' shapes) hands out a presigned-style URL on the emulator's own loopback upload server (a second port,
 *   as S3 is another host), which takes one `PUT` of the bytes with the same `Content-Type`, refuses an
 *   `Authorization` header as S3 does, and stores the file under its `fileKey`;
 * - monitoring: experiments belong to a known feature (404 otherwise); a trace needs a known feature, its logs'
 *   ids must be unique and every `parentId` must name a log of the same payload (400 otherwise), its experiment
 *   must exist and belong to the trace's feature; a generation log's `prompt` is looked up and a miss is a
 *   `warning`; `POST /monitor/log` resolves its prompt like `GET /prompts/{slug}`.
 *
 * Every request and response is validated against the OpenAPI file (a bad request is a 400, a bad response a
 * recorded `violation`). Where the file declares a 400 without a body, the emulator sends none and puts its
 * reason in the `x-emulator-error` header. Faults are injected as in the Braintrust emulator (`faults`), on the
 * API and on the upload server alike.
 *
 * `autoCreateDatasets` (off by default) creates an unknown dataset on its first row, with the row's columns: a
 * convenience for suites that name datasets at run time; Basalt itself only creates datasets in its app.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, type Scope } from "effect"
import { randomUUID } from "node:crypto"
import { fileURLToPath } from "node:url"
import {
  type CapturedRequest,
  type ContractViolation,
  type RequestRejection,
  scopedEmulator,
  startEmulatorServer
} from "./EmulatorServer.js"
import { Faults } from "./Faults.js"
import type { BasaltDeps } from "./internal/basalt/Context.js"
import { basaltHooks } from "./internal/basalt/Errors.js"
import { basaltRoutes, generateUploadUrlOperation } from "./internal/basalt/routes/index.js"
import { BasaltStore, type SeedDataset, type SeedPrompt, type UploadRequest } from "./internal/basalt/Store.js"
import { startUploadServer } from "./internal/basalt/Uploads.js"
import { OpenApiValidator } from "./OpenApiValidator.js"

export {
  /**
   * The emulator's in-memory state. Tests read it, and seed it with the `add*` methods.
   *
   * @since 0.1.0
   */
  BasaltStore
} from "./internal/basalt/Store.js"

export type {
  /**
   * @since 0.1.0
   */
  PromptModel,
  /**
   * @since 0.1.0
   */
  PromptVariable,
  /**
   * @since 0.1.0
   */
  SeedColumn,
  /**
   * @since 0.1.0
   */
  SeedDataset,
  /**
   * @since 0.1.0
   */
  SeedDatasetRow,
  /**
   * @since 0.1.0
   */
  SeedPrompt,
  /**
   * @since 0.1.0
   */
  SeedPromptVersion,
  /**
   * @since 0.1.0
   */
  StoredColumn,
  /**
   * @since 0.1.0
   */
  StoredDataset,
  /**
   * @since 0.1.0
   */
  StoredDatasetRow,
  /**
   * @since 0.1.0
   */
  StoredExperiment,
  /**
   * @since 0.1.0
   */
  StoredFile,
  /**
   * @since 0.1.0
   */
  StoredPrompt,
  /**
   * @since 0.1.0
   */
  StoredPromptVersion,
  /**
   * @since 0.1.0
   */
  StoredTrace,
  /**
   * @since 0.1.0
   */
  UploadRequest,
  /**
   * @since 0.1.0
   */
  UploadSlot
} from "./internal/basalt/Store.js"

export {
  /**
   * Basalt's texts (vendors/basalt.md §2.1).
   *
   * @since 0.1.0
   */
  messages,
  /**
   * Basalt's resolution: version → tag → production, with the fallback warnings.
   *
   * @since 0.1.0
   */
  resolvePrompt
} from "./internal/basalt/Resolution.js"

export {
  /**
   * `POST /files/generate-upload-url`, which the OpenAPI file does not list: the shapes both SDKs use.
   *
   * @since 0.1.0
   */
  generateUploadUrlOperation
} from "./internal/basalt/routes/index.js"


/**
 * @since 0.1.0
 */
export interface BasaltEmulatorOptions {
  /** Accepted keys (`Authorization: Bearer <key>`); default `["test-key"]`. */
  readonly apiKeys?: ReadonlyArray<string>
  /** Known feature slugs (traces and experiments need one); default `["default"]`. Prompts add theirs. */
  readonly features?: ReadonlyArray<string>
  readonly prompts?: ReadonlyArray<SeedPrompt>
  readonly datasets?: ReadonlyArray<SeedDataset>
  /** Create an unknown dataset on its first row (not Basalt's behaviour; see the module notes). Default false. */
  readonly autoCreateDatasets?: boolean
  /** Answer traces with generation logs but never store them, as Basalt's raw-REST example warns. Default false. */
  readonly dropGenerationTraces?: boolean
  /** Largest upload; default 10 MiB (Basalt's `maxSizeBytes`). */
  readonly maxUploadBytes?: number
  /** How long an upload URL stays valid; default 10 minutes. */
  readonly uploadTtlMs?: number
  /** Milliseconds clock for timestamps, upload expiry and fault windows; default `Date.now`. */
  readonly now?: () => number
  /** How `delay` faults wait; default `setTimeout`. */
  readonly sleep?: (ms: number) => Promise<void>
  /** Id generator for experiments, traces and deployment tags; default `crypto.randomUUID`. */
  readonly uuid?: () => string
  /** Overrides the bundled `specs/basalt-openapi.json`. */
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
export interface BasaltEmulatorHandle {
  /** `http://127.0.0.1:<port>`: use it as the API URL. */
  readonly url: string
  /** The first configured key. */
  readonly apiKey: string
  readonly store: BasaltStore
  readonly faults: Faults
  /** Every API request received, in order, with headers and body text. */
  readonly requests: ReadonlyArray<CapturedRequest>
  /** Responses that broke the contract, and handler crashes: emulator bugs. Tests expect none. */
  readonly violations: ReadonlyArray<ContractViolation>
  /** Client requests that broke the contract (answered 400). */
  readonly rejections: ReadonlyArray<RequestRejection>
  readonly validator: OpenApiValidator
  /** The upload server's base URL, and what it received. */
  readonly uploadUrl: string
  readonly uploadRequests: ReadonlyArray<UploadRequest>
  readonly close: () => Promise<void>
}

/**
 * The bundled OpenAPI file.
 *
 * @since 0.1.0
 */
export const defaultSpecPath = (): string => fileURLToPath(new URL("../specs/basalt-openapi.json", import.meta.url))

/**
 * Starts an emulator (and its upload server) on `127.0.0.1`, on ephemeral ports.
 *
 * @since 0.1.0
 */
export const start = async (options: BasaltEmulatorOptions = {}): Promise<BasaltEmulatorHandle> => {
  const validator = OpenApiValidator.fromFile(options.specPath ?? defaultSpecPath())
  validator.registerOperation(generateUploadUrlOperation)
  const now = options.now ?? Date.now
  const store = new BasaltStore(now, options.uuid ?? randomUUID)
  for (const feature of options.features ?? ["default"]) store.addFeature(feature)
  for (const prompt of options.prompts ?? []) store.addPrompt(prompt)
  for (const dataset of options.datasets ?? []) store.addDataset(dataset)
  const apiKeys = options.apiKeys ?? ["test-key"]
  const faults = new Faults({ now })
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const host = options.host ?? "127.0.0.1"
  const uploadRequests: Array<UploadRequest> = []
  const uploads = await startUploadServer(store, faults, sleep, uploadRequests, host)
  const deps: BasaltDeps = {
    store,
    autoCreateDatasets: options.autoCreateDatasets ?? false,
    dropGenerationTraces: options.dropGenerationTraces ?? false,
    maxUploadBytes: options.maxUploadBytes ?? 10 * 1024 * 1024,
    uploadTtlMs: options.uploadTtlMs ?? 10 * 60 * 1000,
    uploadBase: uploads.url
  }
  const server = await startEmulatorServer({
    validator,
    routes: basaltRoutes(deps),
    hooks: basaltHooks(apiKeys, validator),
    faults,
    sleep,
    host,
    ...(options.port !== undefined ? { port: options.port } : {})
  }).catch(async (error: unknown) => {
    await uploads.close()
    throw error
  })
  return {
    url: server.url,
    apiKey: apiKeys[0] ?? "",
    store,
    faults,
    requests: server.requests,
    violations: server.violations,
    rejections: server.rejections,
    validator,
    uploadUrl: uploads.url,
    uploadRequests,
    close: async () => {
      await Promise.all([server.close(), uploads.close()])
    }
  }
}

/**
 * The running emulator as an Effect service.
 *
 * @since 0.1.0
 */
export class BasaltEmulator extends Context.Tag("@promptops/emulators/BasaltEmulator")<
  BasaltEmulator,
  BasaltEmulatorHandle
>() {}

/**
 * Starts an emulator for the lifetime of the surrounding scope.
 *
 * @since 0.1.0
 */
export const make = (options: BasaltEmulatorOptions = {}): Effect.Effect<BasaltEmulatorHandle, never, Scope.Scope> =>
  scopedEmulator(() => start(options))

/**
 * @since 0.1.0
 */
export const layer = (options: BasaltEmulatorOptions = {}): Layer.Layer<BasaltEmulator> =>
  Layer.scoped(BasaltEmulator, make(options))
