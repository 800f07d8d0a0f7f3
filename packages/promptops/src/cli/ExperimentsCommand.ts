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
import type { EvalResult, Experiment, ExperimentState } from "@promptops/core/Experiment"
import { Experiments, isRunOf, resolve } from "@promptops/core/Experiments"
import * as Json from "@promptops/core/Json"
import { type PromptOpsError, Unsupported } from "@promptops/core/PromptOpsError"
import * as Summary from "@promptops/core/Summary"
import * as TextTable from "@promptops/core/TextTable"
import { Chunk, Console, Effect, Option, Stream } from "effect"
import * as PromptOps from "../PromptOps.js"
import { type CliFailure, usage } from "./CliError.js"
import * as CliOptions from "./CliOptions.js"

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
 * A run's state in a few words: `complete`, `partial 24/100`, `failed`,
 * `running 3/10`; `-` for experiments made before states were recorded.
 *
 * @since 0.1.0
 */
export const formatState = (state: ExperimentState | undefined): string => {
  if (state === undefined) return "-"
  const counted = state.total === undefined ? `${state.completed}` : `${state.completed}/${state.total}`
  switch (state.status) {
    case "complete":
    case "failed":
      return state.status
    case "partial":
    case "running":
      return `${state.status} ${counted}`
  }
}

/**
 * Experiments as an aligned table: id, name, created, state, gate, dataset.
 *
 * @since 0.1.0
 */
export const formatList = (experiments: ReadonlyArray<Experiment>): string => {
  const rows = [
    ["id", "name", "created", "state", "gate", "dataset"],
    ...experiments.map((e) => [
      e.id,
      e.name,
      formatTime(e.createdAt),
      formatState(e.state),
      e.state?.gate ?? "-",
      e.dataset ?? ""
    ])
  ]
  return TextTable.render(rows, { trimEnd: true })
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
  const what = result.error !== undefined ? `error: ${result.error}` : `output: ${Json.stringify(result.output) ?? "undefined"}`
  return `${result.caseId.slice(0, 12)}#${result.trial}  ${scoresText(result)}  ${truncate(what.replace(/\s+/g, " "), 100)}`
}

const stateLine = (state: ExperimentState): string => {
  const counts = `${state.completed}${state.total === undefined ? "" : `/${state.total}`} results, ${state.errors} errors, ${state.scorerErrors} scorer errors`
  const gate = state.gate === undefined ? "" : `, gate ${state.gate}`
  const reason = state.reason === undefined ? "" : ` (${state.reason})`
  return `state ${state.status}${reason}: ${counts}${gate}`
}

const jsonl = Options.boolean("jsonl").pipe(Options.withDescription("Print one JSON object per line."))

const list = Command.make(
  "list",
  {
    provider: CliOptions.provider,
    name: Options.text("name").pipe(Options.withDescription("Only the runs of the experiment with this name (a backend's numeric suffix, as in name-1, included)."), Options.optional),
    limit: Options.integer("limit").pipe(Options.withDescription("Most experiments shown, newest first."), Options.withDefault(20)),
    jsonl
  },
  (args) =>
    Effect.gen(function*() {
      const limit = (yield* CliOptions.positive("limit", Option.some(args.limit)))!
      yield* CliOptions.withReadBackend(
        args.provider,
        Effect.gen(function*() {
          const backend = yield* readable
          if (!args.jsonl) yield* CliOptions.announce(backend)
          const experiments = yield* Experiments
          const found = Chunk.toReadonlyArray(
            yield* experiments.list().pipe(
              Stream.filter((experiment) => Option.match(args.name, { onNone: () => true, onSome: (name) => isRunOf(name, experiment.name) })),
              Stream.take(limit),
              Stream.runCollect
            )
          )
          if (args.jsonl) {
            for (const experiment of found) yield* Console.log(Json.stringify({ type: "experiment", experiment }))
          } else if (found.length === 0) {
            yield* Console.log("no experiments")
          } else {
            yield* Console.log(formatList(found))
          }
        })
      )
    })
).pipe(Command.withDescription("List experiments, newest first."))

/**
 * The experiment `ref` names (id, unique id prefix of 4+ characters, or name:
 * its newest run, or with `baseline` its newest complete run whose gate did
 * not fail); not found and ambiguous prefixes are usage errors (exit 2).
 *
 * @since 0.1.0
 */
export const resolveRef = (
  ref: string,
  where: string,
  options: { readonly baseline?: boolean } = {}
): Effect.Effect<Experiment, CliFailure | PromptOpsError, Experiments> =>
  resolve(ref, { baseline: options.baseline === true }).pipe(
    Effect.catchTags({
      NotFound: (error) => Effect.fail(usage(`experiment "${ref}" not found on ${where}: ${error.description}`)),
      InvalidInput: (error) => Effect.fail(usage(error.description))
    })
  )

const show = Command.make(
  "show",
  {
    id: Args.text({ name: "experiment" }).pipe(
      Args.withDescription(
        "The experiment: its id, a unique id prefix (4+ characters, as experiments list shows), or a name (its newest run)."
      )
    ),
    provider: CliOptions.provider,
    baseline: Options.text("baseline").pipe(
      Options.withDescription(
        "Experiment to compare with: an id, a unique id prefix, or a name (its newest complete run whose gate did not fail). Default: the experiment's own baseline."
      ),
      Options.optional
    ),
    results: Options.boolean("results").pipe(Options.withDescription("Also print every result.")),
    jsonl
  },
  (args) =>
    CliOptions.withReadBackend(
      args.provider,
      Effect.gen(function*() {
        const backend = yield* readable
        if (!args.jsonl) yield* CliOptions.announce(backend)
        const experiments = yield* Experiments
        const where = `${backend.provider} (${backend.location})`
        const experiment = yield* resolveRef(args.id, where)
        const baseline = Option.isSome(args.baseline)
          ? yield* resolveRef(args.baseline.value, where, { baseline: true })
          : undefined
        // The experiments in hand are not read again: only the results are.
        const summary = yield* experiments.summarize(experiment.id, {
          experiment,
          ...(baseline !== undefined ? { baseline: baseline.id, baselineExperiment: baseline } : {})
        })
        const results = args.results || args.jsonl
          ? Chunk.toReadonlyArray(yield* Stream.runCollect(experiments.results(experiment.id)))
          : []
        if (args.jsonl) {
          yield* Console.log(Json.stringify({ type: "experiment", experiment }))
          for (const result of results) yield* Console.log(Json.stringify({ type: "result", result }))
          yield* Console.log(Json.stringify({ type: "summary", summary }))
          return
        }
        const header = [
          `experiment ${experiment.id}: ${experiment.name}`,
          ...(experiment.createdAt !== undefined ? [`created ${formatTime(experiment.createdAt)}`] : []),
          ...(experiment.dataset !== undefined ? [`dataset ${experiment.dataset}`] : []),
          ...(experiment.state !== undefined ? [stateLine(experiment.state)] : [])
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
  Effect.fail(usage("choose a subcommand: experiments list | experiments show <experiment>"))).pipe(
    Command.withDescription("Read experiments back (local, braintrust, memory)."),
    Command.withSubcommands([list, show])
  )
