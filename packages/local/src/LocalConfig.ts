/**
 * The local backend's settings as `Config`s, from the variable promptops
 * documents (`PROMPTOPS_LOCAL_DIR`), and its default, declared once. A small
 * module that does not load the store (SQLite), so `promptops` can read the
 * settings of a backend before (or without) loading it.
 *
 * ```ts
 * const Backend = Local.layerConfig(LocalConfig.config)
 * ```
 *
 * @since 0.1.0
 */
import * as ProviderConfig from "@promptops/core/ProviderConfig"
import { Config } from "effect"

/**
 * The backend's directory when `PROMPTOPS_LOCAL_DIR` is not set, relative to
 * the working directory.
 *
 * @since 0.1.0
 */
export const defaultDir = ".promptops"

/**
 * The documented variable: `PROMPTOPS_LOCAL_DIR` (default `defaultDir`),
 * trimmed; a blank one is invalid data naming it.
 *
 * @since 0.1.0
 */
export const config: { readonly dir: Config.Config<string> } = {
  dir: ProviderConfig.string("PROMPTOPS_LOCAL_DIR").pipe(Config.withDefault(defaultDir))
}
