/**
 * The embedded backend, every neutral service from one layer: prompts as code
 * in a directory of files, datasets from JSONL/CSV files and the store, and
 * experiments, results, spans and feedback in a SQLite file.
 *
 * ```ts
 * const Backend = Local.layer({ dir: ".promptops" })
 * // or, from configuration (the app names the variable):
 * const Backend = Local.layerConfig({ dir: Config.string("PROMPTOPS_LOCAL_DIR"), access: "read" })
 * // or the documented one, PROMPTOPS_LOCAL_DIR (default `.promptops`):
 * const FromEnv = Local.layerConfig(LocalConfig.config)
 * ```
 *
 * Layout under `dir` (each overridable): `prompts/` (one `<slug>.json` per
 * prompt), `datasets/` (`<name>.jsonl`, `<name>.csv`) and `promptops.sqlite`
 * (with its `-wal` and `-shm` files while open).
 *
 * @since 0.1.0
 */
import * as Path from "node:path"
import type { Datasets } from "@promptops/core/Datasets"
import type { Experiments } from "@promptops/core/Experiments"
import type { Feedback } from "@promptops/core/Feedback"
import type { InvalidInput, ProviderUnavailable } from "@promptops/core/PromptOpsError"
import type { PromptRegistry } from "@promptops/core/PromptRegistry"
import type { Prompts } from "@promptops/core/Prompts"
import type { Limits, SpanSink } from "@promptops/core/SpanSink"
import type { TraceReader } from "@promptops/core/TraceReader"
import type { ConfigError } from "effect"
import { Config, Effect, Layer } from "effect"
import * as LocalDatasets from "./LocalDatasets.js"
import * as LocalExperiments from "./LocalExperiments.js"
import * as LocalFeedback from "./LocalFeedback.js"
import * as LocalPrompts from "./LocalPrompts.js"
import * as LocalSpanSink from "./LocalSpanSink.js"
import * as LocalStore from "./LocalStore.js"
import * as LocalTraceReader from "./LocalTraceReader.js"
import * as LocalView from "./LocalView.js"

/**
 * Where things live. Relative paths resolve against the working directory
 * when the layer is built.
 *
 * @since 0.1.0
 */
export interface Options {
  /** The backend's directory. */
  readonly dir: string
  /** Default `<dir>/prompts`. */
  readonly promptsDir?: string | undefined
  /** Default `<dir>/datasets`. */
  readonly datasetsDir?: string | undefined
  /** The SQLite file; default `<dir>/promptops.sqlite`. */
  readonly database?: string | undefined
  /** See `LocalStore.Options.synchronous` (default `"normal"`). */
  readonly synchronous?: LocalStore.Options["synchronous"]
  /** See `LocalStore.Options.busyTimeout` (default 5 seconds). */
  readonly busyTimeout?: LocalStore.Options["busyTimeout"]
  /** Batch bounds for the tracing pipeline (default `LocalSpanSink.defaultLimits`). */
  readonly spanLimits?: Partial<Limits> | undefined
  /**
   * `"write"` (default) creates and migrates the store. `"read"`, for
   * commands that only read (listing, tailing, pulling, dry runs): the store
   * is opened read-only and never created (see `LocalStore.Options.access`;
   * without one, store reads fail with `LocalStore.missingStore`'s message
   * while prompt and dataset files still read), no directory is made, and
   * prompt pushes fail with `Unsupported`.
   */
  readonly access?: LocalStore.Access | undefined
}

/**
 * What the local layer provides: every neutral service, the store, and the
 * viewer's queries (`LocalView`).
 *
 * @since 0.1.0
 */
export type Services =
  | Prompts
  | PromptRegistry
  | Datasets
  | Experiments
  | SpanSink
  | Feedback
  | TraceReader
  | LocalView.LocalView
  | LocalStore.LocalStore

/**
 * The resolved paths of the options.
 *
 * @since 0.1.0
 */
export const paths = (options: Options): {
  readonly dir: string
  readonly prompts: string
  readonly datasets: string
  readonly database: string
} => {
  const dir = Path.resolve(options.dir)
  return {
    dir,
    prompts: Path.resolve(options.promptsDir ?? Path.join(dir, "prompts")),
    datasets: Path.resolve(options.datasetsDir ?? Path.join(dir, "datasets")),
    database: Path.resolve(options.database ?? Path.join(dir, "promptops.sqlite"))
  }
}

/**
 * Every service. Opening the store creates the directory and the database
 * (migrating an older one), unless `access` is `"read"`; it fails with
 * `ProviderUnavailable` when the file cannot be opened or is not a promptops
 * store this version can read.
 *
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<Services, ProviderUnavailable | InvalidInput> => {
  const resolved = paths(options)
  const store = LocalStore.layer({
    database: resolved.database,
    synchronous: options.synchronous,
    busyTimeout: options.busyTimeout,
    access: options.access
  })
  const services = Layer.mergeAll(
    LocalPrompts.layer({ dir: resolved.prompts, access: options.access }),
    LocalDatasets.layer({ dir: resolved.datasets }),
    LocalExperiments.layer,
    LocalSpanSink.layer({ limits: options.spanLimits }),
    LocalFeedback.layer,
    LocalTraceReader.layer,
    LocalView.layer({ promptsDir: resolved.prompts })
  )
  return Layer.provideMerge(services, store)
}

/**
 * The paths as `Config` values (the app names its variables, or passes
 * `LocalConfig.config` for `PROMPTOPS_LOCAL_DIR`), the rest as plain options.
 *
 * @since 0.1.0
 */
export interface ConfigOptions extends Omit<Options, "dir" | "promptsDir" | "datasetsDir" | "database"> {
  readonly dir: Config.Config<string>
  readonly promptsDir?: Config.Config<string | undefined> | undefined
  readonly datasetsDir?: Config.Config<string | undefined> | undefined
  readonly database?: Config.Config<string | undefined> | undefined
}

/**
 * @since 0.1.0
 */
export const layerConfig = (
  options: ConfigOptions
): Layer.Layer<Services, ConfigError.ConfigError | ProviderUnavailable | InvalidInput> =>
  Layer.unwrapEffect(
    Effect.map(
      Config.all({
        dir: options.dir,
        promptsDir: options.promptsDir ?? Config.succeed(undefined),
        datasetsDir: options.datasetsDir ?? Config.succeed(undefined),
        database: options.database ?? Config.succeed(undefined)
      }),
      (paths) => layer({ ...options, ...paths })
    )
  )
