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
 * promptops view                   the local viewer's server
 * ```
 *
 * @since 0.1.0
 */
import type * as CliApp from "@effect/cli/CliApp"
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import { Console, Effect } from "effect"
import type { CliBackends } from "./CliBackends.js"
import { reportCause, usage } from "./CliError.js"
import * as CliHelp from "./CliHelp.js"
import { CliTerminal } from "./CliTerminal.js"
import * as EvalCommand from "./EvalCommand.js"
import * as ExperimentsCommand from "./ExperimentsCommand.js"
import * as MigrateCommand from "./MigrateCommand.js"
import * as PromptsCommand from "./PromptsCommand.js"
import * as TracesCommand from "./TracesCommand.js"
import * as ViewCommand from "./ViewCommand.js"

/** @since 0.1.0 */
export const version = "0.1.0"

/**
 * The commands under `promptops`.
 *
 * @since 0.1.0
 */
export const subcommands = [
  EvalCommand.command,
  PromptsCommand.command,
  MigrateCommand.command,
  ExperimentsCommand.command,
  TracesCommand.command,
  ViewCommand.command
] as const

/**
 * The root command and its subcommands.
 *
 * @since 0.1.0
 */
export const command = Command.make("promptops", {}, () =>
  Effect.fail(usage("choose a command: eval, prompts, migrate, experiments, traces or view (see promptops --help)"))).pipe(
    Command.withDescription(
      "Prompts, evals and traces on Braintrust, Basalt or the embedded local backend, chosen by PROMPTOPS_PROVIDER."
    ),
    Command.withSubcommands(subcommands)
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
  Effect.flatMap(CliTerminal, (terminal) => {
    const args = argv.slice(2)
    // Help is ours: usage lines that name promptops, no type boilerplate, environment, exit codes, an example.
    if (CliHelp.requested(args)) {
      const found = CliHelp.find(command, subcommands, args)
      return Effect.as(Console.log(CliHelp.render(found, { version, color: terminal.color }).trimEnd()), 0)
    }
    const parsed = cli(argv).pipe(Effect.provideService(CliConfig.CliConfig, CliHelp.config))
    // @effect/cli styles its messages (usage errors) with ANSI codes: plain text into pipes and with NO_COLOR.
    return terminal.color ? finish(parsed) : Console.consoleWith((console) => finish(Effect.withConsole(parsed, plain(console))))
  })

const plain = (console: Console.Console): Console.Console => {
  const strip = (args: ReadonlyArray<unknown>) => args.map((arg) => (typeof arg === "string" ? CliHelp.stripAnsi(arg) : arg))
  return {
    ...console,
    log: (...args) => console.log(...strip(args)),
    error: (...args) => console.error(...strip(args)),
    warn: (...args) => console.warn(...strip(args)),
    info: (...args) => console.info(...strip(args))
  }
}

const finish = <R>(self: Effect.Effect<void, unknown, R>): Effect.Effect<number, never, R> =>
  self.pipe(
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
