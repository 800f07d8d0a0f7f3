/**
 * `--help`, rendered by the CLI rather than by @effect/cli's built-in: usage
 * lines that start with `promptops …`, no type boilerplate under each option
 * ("A user-defined piece of text.", "This setting is optional."), and for
 * every command its environment variables, exit codes and an example. ANSI
 * styles only when the output is a colour terminal (see `CliTerminal`).
 *
 * @since 0.1.0
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as CommandDescriptor from "@effect/cli/CommandDescriptor"
import * as HelpDoc from "@effect/cli/HelpDoc"
import type * as Span from "@effect/cli/HelpDoc/Span"
import * as Usage from "@effect/cli/Usage"
import * as TextTable from "@promptops/core/TextTable"
import { HashMap, Option } from "effect"

/**
 * The configuration help is rendered with: built-in options (`--wizard`,
 * `--completions`, …) left out of every option list, and no type names in
 * usage lines beyond the choices.
 *
 * @since 0.1.0
 */
export const config: CliConfig.CliConfig = CliConfig.make({ showBuiltIns: false })

/**
 * Environment variables the CLI reads, and what each one is.
 *
 * @since 0.1.0
 */
export const environment = {
  PROMPTOPS_PROVIDER: "the backend: braintrust, basalt, local (default) or memory (--provider overrides it)",
  PROMPTOPS_LOCAL_DIR: "the local backend's directory (default .promptops)",
  PROMPTOPS_TRACES:
    "where spans go: provider (default: the backend), otlp, or provider,otlp (both); otlp needs @promptops/otlp",
  OTEL_EXPORTER_OTLP_ENDPOINT:
    "with PROMPTOPS_TRACES=otlp: the OTLP/HTTP base URL (default http://localhost:4318; OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, HEADERS, PROTOCOL… are read too)",
  BRAINTRUST_API_KEY: "Braintrust API key (required for braintrust; never printed)",
  BRAINTRUST_API_URL: "Braintrust API base URL (default https://api.braintrust.dev)",
  BRAINTRUST_ORG_NAME: "Braintrust organization (optional)",
  BRAINTRUST_PROJECT: "Braintrust project holding prompts, datasets, experiments and logs (required for braintrust)",
  BASALT_API_KEY: "Basalt API key (required for basalt; never printed)",
  BASALT_API_URL: "Basalt API base URL (default https://api.getbasalt.ai)",
  BASALT_FEATURE: "Basalt feature that traces and experiments belong to (required for basalt)",
  NO_COLOR: "set: help without colours (also off when standard output is not a terminal; FORCE_COLOR turns them on)"
} as const

/**
 * @since 0.1.0
 */
export type EnvironmentVariable = keyof typeof environment

/**
 * What a command's help adds after its options.
 *
 * @since 0.1.0
 */
export interface CommandNotes {
  readonly environment: ReadonlyArray<EnvironmentVariable>
  /** Exit codes beyond the common ones, or a more precise meaning of 1. */
  readonly exitCodes: ReadonlyArray<readonly [code: number, meaning: string]>
  readonly example: string
}

const local = ["PROMPTOPS_PROVIDER", "PROMPTOPS_LOCAL_DIR"] as const
const braintrust = ["BRAINTRUST_API_KEY", "BRAINTRUST_API_URL", "BRAINTRUST_ORG_NAME", "BRAINTRUST_PROJECT"] as const
const basalt = ["BASALT_API_KEY", "BASALT_API_URL", "BASALT_FEATURE"] as const
/** Where the spans a command makes go. */
const traces = ["PROMPTOPS_TRACES", "OTEL_EXPORTER_OTLP_ENDPOINT"] as const
/** Every backend can serve the command. */
const allBackends: ReadonlyArray<EnvironmentVariable> = [...local, ...braintrust, ...basalt]
/** Basalt has no read side for experiments and traces. */
const readableBackends: ReadonlyArray<EnvironmentVariable> = [...local, ...braintrust]

const usageAndConfig = [2, "usage or configuration error (bad option, missing setting, a capability the backend lacks)"] as const
const interrupted = [130, "interrupted (Ctrl-C)"] as const
const plainFailure = (what: string) => [[0, "ok"], [1, what], usageAndConfig] as const

/**
 * The notes of each command, by its path (`""` is `promptops` itself).
 *
 * @since 0.1.0
 */
export const notes: Readonly<Record<string, CommandNotes>> = {
  "": {
    environment: [...allBackends, ...traces, "NO_COLOR"],
    exitCodes: [[0, "ok"], [1, "a failure, a regression or error under a --fail-on-* gate, or a prompt diff"], usageAndConfig, interrupted],
    example: "promptops eval evals/ --fail-on-regression"
  },
  eval: {
    environment: [...allBackends, ...traces],
    exitCodes: [
      [0, "every eval finished and no gate tripped"],
      [1, "an eval could not finish, or a gate tripped: --fail-on-regression (a score regressed or is missing), --fail-on-error (a task or scorer failed)"],
      usageAndConfig,
      interrupted
    ],
    example: "PROMPTOPS_PROVIDER=braintrust promptops eval evals/ --fail-on-regression --fail-on-error"
  },
  prompts: {
    environment: allBackends,
    exitCodes: plainFailure("a failure, or (diff) the files and the backend differ"),
    example: "promptops prompts pull --provider braintrust --dir prompts"
  },
  "prompts pull": {
    environment: allBackends,
    exitCodes: plainFailure("a failure"),
    example: "promptops prompts pull --provider braintrust --dir prompts"
  },
  "prompts push": {
    environment: allBackends,
    exitCodes: plainFailure("a failure"),
    example: "promptops prompts push --provider local --dir prompts"
  },
  "prompts diff": {
    environment: allBackends,
    exitCodes: plainFailure("the files and the backend differ, or a failure"),
    example: "promptops prompts diff --provider braintrust --dir prompts"
  },
  migrate: {
    environment: allBackends,
    exitCodes: plainFailure("a failure"),
    example: "promptops migrate --from local --to braintrust --apply"
  },
  experiments: {
    environment: readableBackends,
    exitCodes: plainFailure("a failure"),
    example: "promptops experiments list --name greeting"
  },
  "experiments list": {
    environment: readableBackends,
    exitCodes: plainFailure("a failure"),
    example: "promptops experiments list --name greeting --limit 5"
  },
  "experiments show": {
    environment: readableBackends,
    exitCodes: [[0, "ok"], [1, "a failure"], [2, "usage or configuration error, an unknown experiment, or an ambiguous id prefix"]],
    example: "promptops experiments show greeting --results"
  },
  traces: {
    environment: readableBackends,
    exitCodes: plainFailure("a failure"),
    example: "promptops traces tail --follow"
  },
  "traces tail": {
    environment: readableBackends,
    exitCodes: [...plainFailure("a failure"), interrupted],
    example: "promptops traces tail --experiment greeting --limit 50"
  },
  view: {
    environment: readableBackends,
    exitCodes: [...plainFailure("a failure (the port is taken, the backend cannot be opened)"), interrupted],
    example: "promptops view --port 4000 --open"
  }
}

/** Type boilerplate @effect/cli writes under options and arguments; the option's own description says more. */
const noise: ReadonlyArray<RegExp> = [
  /^A user-defined piece of text\.$/,
  /^A user-defined piece of text that is confidential\.$/,
  /^A true or false value\.$/,
  /^An integer\.$/,
  /^A floating point number\.$/,
  /^A date without a time-zone in the ISO-8601 format, such as 2007-12-03T10:15:30\.$/,
  /^One of the following: /,
  /^(An existing |A )(file|directory|file or directory)( that must not exist)?\.$/,
  /^This setting is optional\.$/,
  /^This (argument|option) must be repeated at least \d+ times\.$/,
  /^This (argument|option) may be repeated zero or more times\.$/
]

/**
 * The text of a span, without styles.
 *
 * @since 0.1.0
 */
export const spanText = (span: Span.Span): string => {
  switch (span._tag) {
    case "Text":
    case "URI":
      return span.value
    case "Sequence":
      return spanText(span.left) + spanText(span.right)
    case "Highlight":
    case "Strong":
    case "Weak":
      return spanText(span.value)
  }
}

const cleanBlock = (doc: HelpDoc.HelpDoc): HelpDoc.HelpDoc => {
  switch (doc._tag) {
    case "Sequence":
      return HelpDoc.sequence(cleanBlock(doc.left), cleanBlock(doc.right))
    case "Paragraph": {
      const text = spanText(doc.value)
      const defaults = /^This setting is optional\. Defaults to: (.*)$/.exec(text)
      if (defaults !== null) return HelpDoc.p(`Default: ${defaults[1]}.`)
      return noise.some((pattern) => pattern.test(text)) ? HelpDoc.empty : doc
    }
    default:
      return doc
  }
}

/**
 * A command's help without the type boilerplate under its options and
 * arguments.
 *
 * @since 0.1.0
 */
export const clean = (doc: HelpDoc.HelpDoc): HelpDoc.HelpDoc => {
  switch (doc._tag) {
    case "Sequence":
      return HelpDoc.sequence(clean(doc.left), clean(doc.right))
    // The subcommand list is rendered by `render` (one short line each, named from promptops).
    case "Header":
      return spanText(doc.value) === "COMMANDS" ? HelpDoc.empty : doc
    case "Enumeration":
      return HelpDoc.empty
    case "DescriptionList":
      return HelpDoc.descriptionList(
        doc.definitions.map(([span, block]) => [span, cleanBlock(block)] as [Span.Span, HelpDoc.HelpDoc]) as [
          [Span.Span, HelpDoc.HelpDoc],
          ...Array<[Span.Span, HelpDoc.HelpDoc]>
        ]
      )
    default:
      return doc
  }
}

const blockText = (doc: HelpDoc.HelpDoc): string => {
  switch (doc._tag) {
    case "Empty":
      return ""
    case "Header":
    case "Paragraph":
      return spanText(doc.value)
    case "Sequence":
      return `${blockText(doc.left)} ${blockText(doc.right)}`.trim()
    case "Enumeration":
      return doc.elements.map(blockText).join(" ")
    case "DescriptionList":
      return doc.definitions.map(([span, block]) => `${spanText(span)} ${blockText(block)}`).join(" ")
  }
}

/**
 * The options and arguments of a help document that have no description of
 * their own (after the boilerplate is removed). Empty for every command of
 * the CLI; a test keeps it so.
 *
 * @since 0.1.0
 */
export const undocumented = (doc: HelpDoc.HelpDoc): ReadonlyArray<string> => {
  switch (doc._tag) {
    case "Sequence":
      return [...undocumented(doc.left), ...undocumented(doc.right)]
    case "DescriptionList":
      return doc.definitions
        .filter(([, block]) => blockText(cleanBlock(block)).length === 0)
        .map(([span]) => spanText(span))
    default:
      return []
  }
}

/**
 * The subcommands a help document lists: each one's name (its words before
 * any option or argument) and description.
 *
 * @since 0.1.0
 */
export const subcommandRows = (doc: HelpDoc.HelpDoc): ReadonlyArray<readonly [name: string, description: string]> => {
  switch (doc._tag) {
    case "Sequence":
      return [...subcommandRows(doc.left), ...subcommandRows(doc.right)]
    case "Enumeration":
      return doc.elements.map((element) => {
        // @effect/cli pads the usage from the description with two or more spaces.
        const [usage = "", ...description] = blockText(element).split(/ {2,}/)
        const words = usage.split(" ")
        const end = words.findIndex((word) => /^[[(<-]/.test(word))
        return [(end === -1 ? words : words.slice(0, end)).join(" "), description.join(" ")] as const
      })
    default:
      return []
  }
}

// A `Command` is what `withSubcommands` takes; its subcommands are descriptors one level down.
type AnyCommand = Command.Command<any, any, any, any>

const names = (command: AnyCommand): ReadonlyArray<string> => [...Command.getNames(command)]

/**
 * The command at the start of `args` (subcommand names, before the first
 * option), with the path that names it.
 *
 * @since 0.1.0
 */
export const find = (
  root: AnyCommand,
  children: ReadonlyArray<AnyCommand>,
  args: ReadonlyArray<string>
): { readonly path: ReadonlyArray<string>; readonly help: HelpDoc.HelpDoc; readonly usage: Usage.Usage } => {
  const rootFound = { help: Command.getHelp(root, config), usage: Command.getUsage(root) }
  const first = args[0]
  const child = first === undefined ? undefined : children.find((command) => names(command).includes(first))
  if (child === undefined || first === undefined) return { path: [], ...rootFound }
  const second = args[1]
  const grandchild = second === undefined
    ? Option.none()
    : HashMap.get(Command.getSubcommands(child), second).pipe(
      // A command without subcommands lists itself as its only "subcommand".
      Option.filter(() => !names(child).includes(second))
    )
  if (Option.isSome(grandchild) && second !== undefined) {
    return {
      path: [first, second],
      help: CommandDescriptor.getHelp(grandchild.value, config),
      usage: CommandDescriptor.getUsage(grandchild.value)
    }
  }
  return { path: [first], help: Command.getHelp(child, config), usage: Command.getUsage(child) }
}

/** Removes ANSI escape sequences (colours, bold). */
export const stripAnsi = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "")

const bold = (text: string, color: boolean): string => (color ? `\x1b[1m${text}\x1b[0m` : text)

// Names and what they mean; the descriptions are the last column, so padding them only adds trailing spaces.
const table = (rows: ReadonlyArray<readonly [string, string]>): string => TextTable.render(rows, { indent: "  ", trimEnd: true })

/**
 * The help text of the command named by `path` (see `find`), with colours or
 * without.
 *
 * @since 0.1.0
 */
export const render = (
  found: { readonly path: ReadonlyArray<string>; readonly help: HelpDoc.HelpDoc; readonly usage: Usage.Usage },
  options: { readonly version: string; readonly color: boolean }
): string => {
  const { color } = options
  const key = found.path.join(" ")
  const parents = ["promptops", ...found.path.slice(0, -1)].join(" ")
  const rows = subcommandRows(found.help)
  const self = ["promptops", ...found.path].join(" ")
  const usageLines = rows.length > 0
    ? [`  ${self} <command> [options]`]
    : Usage.enumerate(found.usage, config).map((span) => `  ${parents} ${spanText(span)}`)
  const body = HelpDoc.toAnsiText(clean(found.help)).trimEnd()
  const sections = [
    `${bold(self, color)} (promptops ${options.version})`,
    `${bold("USAGE", color)}\n\n${usageLines.join("\n")}`,
    color ? body : stripAnsi(body)
  ]
  if (rows.length > 0) {
    sections.push(`${bold("COMMANDS", color)}\n\n${table(rows.map(([name, description]) => [`${self} ${name}`, description]))}`)
  }
  const commandNotes = notes[key]
  if (commandNotes !== undefined) {
    sections.push(
      `${bold("ENVIRONMENT", color)}\n\n${table(commandNotes.environment.map((name) => [name, environment[name]]))}`,
      `${bold("EXIT CODES", color)}\n\n${table(commandNotes.exitCodes.map(([code, meaning]) => [String(code), meaning]))}`,
      `${bold("EXAMPLE", color)}\n\n  ${commandNotes.example}`
    )
  }
  sections.push(`Every command takes --help.`)
  return `${sections.join("\n\n")}\n`
}

/**
 * Whether `args` ask for help (`--help` or `-h` before a `--`).
 *
 * @since 0.1.0
 */
export const requested = (args: ReadonlyArray<string>): boolean => {
  for (const arg of args) {
    if (arg === "--") return false
    if (arg === "--help" || arg === "-h") return true
  }
  return false
}

/**
 * Whether output may carry ANSI styles: never with `NO_COLOR` set (non-empty),
 * always with `FORCE_COLOR` set (other than `0`), else only on a terminal.
 *
 * @since 0.1.0
 */
export const colorEnabled = (isTTY: boolean, env: Readonly<Record<string, string | undefined>>): boolean => {
  const noColor = env["NO_COLOR"]
  if (noColor !== undefined && noColor !== "") return false
  const force = env["FORCE_COLOR"]
  if (force !== undefined && force !== "" && force !== "0" && force !== "false") return true
  return isTTY
}
