/**
 * `promptops experiments list|show`: reading experiments back from a backend
 * that keeps them (local, Braintrust, memory). Basalt's API has no read side:
 * its layer knows only the experiments made by the same process, so the CLI
 * says it cannot instead of showing an empty list.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type { EvalResult, Experiment } from "@promptops/core/Experiment"
import { Experiments } from "@promptops/core/Experiments"
import { Unsupported } from "@promptops/core/PromptOpsError"
import * as Summary from "@promptops/core/Summary"
import { Chunk, Console, Effect, Option, Stream } from "effect"
import * as PromptOps from "../PromptOps.js"
import { usage } from "./CliError.js"
import * as CliOptions from "./CliOptions.js"
import * as JsonLine from "./JsonLine.js"

/** Fails on a backend whose experiments cannot be read back by another process. */
const readable = Effect.flatMap(PromptOps.Backend, (backend) =>
  backend.provider === "basalt"
    ? Effect.fail(
      new Unsupported({
        provider: backend.provider,
        operation: "Experiments.list",
        description: "the basalt backend cannot read experiments back (Basalt's API has no read side for them)"
      })
    )
    : Effect.succeed(backend))

const formatTime = (millis: number | undefined): string =>
  millis === undefined ? "" : new Date(millis).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z")

/**
 * Experiments as an aligned table: id, name, created, dataset.
 *
 * @since 0.1.0
 */
export const formatList = (experiments: ReadonlyArray<Experiment>): string => {
  const rows = [["id", "name", "created", "dataset"], ...experiments.map((e) => [e.id, e.name, formatTime(e.createdAt), e.dataset ?? ""])]
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()).join("\n")
}

const scoresText = (result: EvalResult): string =>
  Object.entries(result.scores).map(([name, value]) => `${name}=${value === null ? "—" : value.toFixed(2)}`).join(" ")

const truncate = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`)

/**
 * One line per result: case, trial, scores, error or output.
 *
 * @since 0.1.0
 */
export const formatResult = (result: EvalResult): string => {
  const what = result.error !== undefined ? `error: ${result.error}` : `output: ${JsonLine.stringify(result.output) ?? "undefined"}`
  return `${result.caseId.slice(0, 12)}#${result.trial}  ${scoresText(result)}  ${truncate(what.replace(/\s+/g, " "), 100)}`
}

const jsonl = Options.boolean("jsonl").pipe(Options.withDescription("Print one JSON object per line."))

const list = Command.make(
  "list",
  {
    provider: CliOptions.provider,
    name: Options.text("name").pipe(Options.withDescription("Only experiments with this name."), Options.optional),
    limit: Options.integer("limit").pipe(Options.withDescription("Most experiments shown, newest first."), Options.withDefault(20)),
    jsonl
  },
  (args) =>
    Effect.gen(function*() {
      const limit = (yield* CliOptions.positive("limit", Option.some(args.limit)))!
      yield* CliOptions.withBackend(
        args.provider,
        Effect.gen(function*() {
          const backend = yield* readable
          if (!args.jsonl) yield* CliOptions.announce(backend)
          const experiments = yield* Experiments
          const found = Chunk.toReadonlyArray(
            yield* experiments.list().pipe(
              Stream.filter((experiment) => Option.match(args.name, { onNone: () => true, onSome: (name) => experiment.name === name })),
              Stream.take(limit),
              Stream.runCollect
            )
          )
          if (args.jsonl) {
            for (const experiment of found) yield* Console.log(JsonLine.stringify({ type: "experiment", experiment }))
          } else if (found.length === 0) {
            yield* Console.log("no experiments")
          } else {
            yield* Console.log(formatList(found))
          }
        })
      )
    })
).pipe(Command.withDescription("List experiments, newest first."))

const show = Command.make(
  "show",
  {
    id: Args.text({ name: "id" }).pipe(Args.withDescription("The experiment id (see experiments list).")),
    provider: CliOptions.provider,
    baseline: Options.text("baseline").pipe(
      Options.withDescription("Experiment id to compare with (default: the experiment's own baseline)."),
      Options.optional
    ),
    results: Options.boolean("results").pipe(Options.withDescription("Also print every result.")),
    jsonl
  },
  (args) =>
    CliOptions.withBackend(
      args.provider,
      Effect.gen(function*() {
        const backend = yield* readable
        if (!args.jsonl) yield* CliOptions.announce(backend)
        const experiments = yield* Experiments
        const notFound = (id: string) => () =>
          Effect.fail(usage(`experiment "${id}" not found on ${backend.provider} (${backend.location})`))
        const experiment = yield* experiments.get(args.id).pipe(Effect.catchTag("NotFound", notFound(args.id)))
        const baseline = Option.getOrUndefined(args.baseline)
        if (baseline !== undefined) yield* experiments.get(baseline).pipe(Effect.catchTag("NotFound", notFound(baseline)))
        const summary = yield* experiments.summarize(experiment.id, { baseline })
        const results = args.results || args.jsonl
          ? Chunk.toReadonlyArray(yield* Stream.runCollect(experiments.results(experiment.id)))
          : []
        if (args.jsonl) {
          yield* Console.log(JsonLine.stringify({ type: "experiment", experiment }))
          for (const result of results) yield* Console.log(JsonLine.stringify({ type: "result", result }))
          yield* Console.log(JsonLine.stringify({ type: "summary", summary }))
          return
        }
        const header = [
          `experiment ${experiment.id}: ${experiment.name}`,
          ...(experiment.createdAt !== undefined ? [`created ${formatTime(experiment.createdAt)}`] : []),
          ...(experiment.dataset !== undefined ? [`dataset ${experiment.dataset}`] : [])
        ]
        yield* Console.log([...header, "", Summary.toTable(summary)].join("\n"))
        if (args.results) {
          yield* Console.log(["", `results (${results.length}):`, ...results.map(formatResult)].join("\n"))
        }
      })
    )
).pipe(Command.withDescription("Show an experiment's summary (compared with its baseline) and, with --results, its results."))

/**
 * @since 0.1.0
 */
export const command = Command.make("experiments", {}, () =>
  Effect.fail(usage("choose a subcommand: experiments list | experiments show <id>"))).pipe(
    Command.withDescription("Read experiments back (local, braintrust, memory)."),
    Command.withSubcommands([list, show])
  )
