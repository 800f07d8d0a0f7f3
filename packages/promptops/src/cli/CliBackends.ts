/**
 * How the CLI gets a backend: by default `PromptOps.layerConfig`, reading the
 * environment, with `--provider` (or `--from` / `--to`) naming the provider
 * instead of `PROMPTOPS_PROVIDER`. Tests replace it to run commands against
 * backends they hold on to between commands.
 *
 * @since 0.1.0
 */
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import { Context, Layer, Option } from "effect"
import * as PromptOps from "../PromptOps.js"

/**
 * @since 0.1.0
 */
export declare namespace CliBackends {
  /**
   * @since 0.1.0
   */
  export interface Service {
    /**
     * The services of the backend named by `provider`, or by the
     * configuration when none is named, opened for `access` (default
     * `"write"`; read commands pass `"read"`, so they create nothing).
     * `traced: false` (a command that runs with the tracer off): spans go
     * to the provider whatever `PROMPTOPS_TRACES` says, so no OTLP sink is
     * loaded or configured for it. Default `true`.
     */
    readonly layer: (
      provider: Option.Option<PromptOps.Provider>,
      access?: PromptOps.Access,
      traced?: boolean
    ) => Layer.Layer<PromptOps.Services, PromptOps.ConfigurationError | PromptOpsError>
  }
}

/**
 * @since 0.1.0
 */
export class CliBackends extends Context.Tag("promptops/cli/CliBackends")<CliBackends, CliBackends.Service>() {}

/**
 * The backends of `PromptOps`, configured from the environment.
 *
 * @since 0.1.0
 */
export const layerConfig = (settings: PromptOps.Settings = {}): Layer.Layer<CliBackends> =>
  Layer.succeed(CliBackends, {
    layer: (provider, access = "write", traced = true) => {
      const named = Option.match(provider, {
        onNone: () => settings,
        onSome: (name) => PromptOps.withProvider(name, settings)
      })
      return PromptOps.layerConfig(
        PromptOps.withAccess(access, traced ? named : PromptOps.withTraces(PromptOps.defaultTraces, named))
      )
    }
  })
