/**
 * The `promptops` executable: the CLI on the process's arguments, with the
 * Node platform, backends configured from the environment, and standard
 * error for progress. The exit code is the CLI's (0 ok, 1 failures and
 * regressions, 2 usage and configuration errors).
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Duration, Effect, Exit, Layer, Logger } from "effect"
import * as Cli from "./cli/Cli.js"
import * as CliBackends from "./cli/CliBackends.js"
import { ExitCode } from "./cli/CliError.js"
import * as CliTerminal from "./cli/CliTerminal.js"

// `eval` flushes its spans itself, within its own deadline, before the backend closes; closing only
// sends stragglers, so it must not hold a failed run's exit for the default 5 s.
const backends = CliBackends.layerConfig({ options: { tracing: { shutdownTimeout: Duration.seconds(1) } } })

// Log lines (say, the tracer reporting an export that failed) go to standard error: standard output
// stays the command's own (`--jsonl` is parsed line by line).
const logger = Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ stderr: true }))

const environment = Layer.mergeAll(NodeContext.layer, backends, CliTerminal.layerProcess, logger)

NodeRuntime.runMain(Effect.provide(Cli.run(process.argv), environment), {
  // Failures were printed by the CLI, never with an API key in them.
  disableErrorReporting: true,
  // Ours, on standard error (above).
  disablePrettyLogger: true,
  // Ctrl-C interrupts the run (finished results and spans are still sent) and exits with 130, as shells expect.
  teardown: (exit, onExit) =>
    onExit(
      Exit.isSuccess(exit)
        ? (typeof exit.value === "number" ? exit.value : 1)
        : Cause.isInterruptedOnly(exit.cause)
        ? ExitCode.interrupted
        : ExitCode.failure
    )
})
