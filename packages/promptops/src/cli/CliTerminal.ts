/**
 * Where progress goes: standard error, redrawn in place when it is a TTY.
 * Lines (tables, JSON, messages) go through Effect's `Console`, which tests
 * replace; this service is the raw side that a progress bar needs.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import { colorEnabled } from "./CliHelp.js"

/**
 * @since 0.1.0
 */
export declare namespace CliTerminal {
  /**
   * @since 0.1.0
   */
  export interface Service {
    /** Whether progress can be redrawn in place (standard error is a TTY). */
    readonly isTTY: boolean
    /** Width of the terminal, for the progress bar. */
    readonly columns: number
    /**
     * Whether output (help, usage errors) may carry ANSI styles: standard
     * output is a terminal and `NO_COLOR` is not set, or `FORCE_COLOR` is.
     */
    readonly color: boolean
    /** Writes to standard error as it is (no newline added). */
    readonly write: (text: string) => Effect.Effect<void>
  }
}

/**
 * @since 0.1.0
 */
export class CliTerminal extends Context.Tag("promptops/cli/CliTerminal")<CliTerminal, CliTerminal.Service>() {}

/**
 * The process's standard error.
 *
 * @since 0.1.0
 */
export const layerProcess: Layer.Layer<CliTerminal> = Layer.sync(CliTerminal, () => ({
  isTTY: process.stderr.isTTY === true,
  columns: process.stderr.columns || 80,
  color: colorEnabled(process.stdout.isTTY === true, process.env),
  write: (text) =>
    Effect.sync(() => {
      process.stderr.write(text)
    })
}))

/**
 * A terminal that is not a TTY and keeps what is written, for tests.
 *
 * @since 0.1.0
 */
export const layerCapture = (
  written: Array<string>,
  options: { readonly isTTY?: boolean; readonly columns?: number; readonly color?: boolean } = {}
): Layer.Layer<CliTerminal> =>
  Layer.succeed(CliTerminal, {
    isTTY: options.isTTY ?? false,
    columns: options.columns ?? 80,
    color: options.color ?? false,
    write: (text) =>
      Effect.sync(() => {
        written.push(text)
      })
  })
