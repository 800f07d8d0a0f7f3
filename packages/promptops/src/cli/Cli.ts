/**
 * The `promptops` command line: the command tree, and running it on an
 * argument list to an exit code.
 *
 * ```
 * promptops eval <files...>        run evaluators, compare with a baseline
 * promptops prompts pull|push|diff prompts as files ⇄ a backend
 * promptops migrate                copy prompts and datasets between backends
 * promptops experiments list|show  read experiments back
 * promptops traces tail            read spans back (and follow)
 * ```
 *
 * @since 0.1.0
 */
import type * as CliApp from "@effect/cli/CliApp"
import * as Command from "@effect/cli/Command"
import { Console, Effect } from "effect"
import type { CliBackends } from "./CliBackends.js"
import { reportCause, usage } from "./CliError.js"
import type { CliTerminal } from "./CliTerminal.js"
import * as EvalCommand from "./EvalCommand.js"
import * as ExperimentsCommand from "./ExperimentsCommand.js"
import * as MigrateCommand from "./MigrateCommand.js"
import * as PromptsCommand from "./PromptsCommand.js"
import * as TracesCommand from "./TracesCommand.js"

/** @since 0.1.0 */
export const version = "0.1.0"

/**
 * The root command and its subcommands.
 *
 * @since 0.1.0
 */
export const command = Command.make("promptops", {}, () =>
  Effect.fail(usage("choose a command: eval, prompts, migrate, experiments or traces (see promptops --help)"))).pipe(
    Command.withDescription(
      "Prompts, evals and traces on Braintrust, Basalt or the embedded local backend, chosen by PROMPTOPS_PROVIDER."
    ),
    Command.withSubcommands([
      EvalCommand.command,
      PromptsCommand.command,
      MigrateCommand.command,
      ExperimentsCommand.command,
      TracesCommand.command
    ])
  )

const cli = Command.run(command, { name: "promptops", version })

/**
 * What the CLI needs from its host: the platform (file system, path,
 * terminal), the backends, and standard error for progress.
 *
 * @since 0.1.0
 */
export type Environment = CliApp.CliApp.Environment | CliBackends | CliTerminal

/**
 * Runs the CLI on `process.argv`-shaped arguments (runtime and script first)
 * and returns its exit code. Failures are printed to standard error; nothing
 * fails through.
 *
 * @since 0.1.0
 */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<number, never, Environment> =>
  cli(argv).pipe(
    Effect.matchCauseEffect({
      onSuccess: () => Effect.succeed(0),
      onFailure: (cause) => {
        const reported = reportCause(cause)
        return reported.message === undefined
          ? Effect.succeed(reported.exitCode)
          : Effect.as(Console.error(`promptops: ${reported.message}`), reported.exitCode)
      }
    })
  )

/**
 * Runs the CLI on its arguments alone (`["eval", "a.eval.ts"]`).
 *
 * @since 0.1.0
 */
export const runArgs = (args: ReadonlyArray<string>): Effect.Effect<number, never, Environment> =>
  run(["node", "promptops", ...args])
