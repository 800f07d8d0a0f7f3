/**
 * `promptops eval <files...>`: loads eval files, runs every evaluator they
 * export against the configured backend, shows progress and a summary table
 * compared with a baseline (by default the previous run of the same name),
 * and can fail CI on regressions.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type { EvalEvent } from "@promptops/core/Eval"
import type { Experiment, ExperimentSummary } from "@promptops/core/Experiment"
import { Experiments, latestNamed } from "@promptops/core/Experiments"
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import * as Summary from "@promptops/core/Summary"
import * as Tracing from "@promptops/core/Tracing"
import { Console, type Context, Effect, Option, Stream } from "effect"
import * as Evaluator from "../Evaluator.js"
import * as PromptOps from "../PromptOps.js"
import { type CliFailure, failure, report, usage } from "./CliError.js"
import type { CliTerminal } from "./CliTerminal.js"
import * as CliOptions from "./CliOptions.js"
import * as JsonLine from "./JsonLine.js"
import * as Loader from "./Loader.js"
import * as Progress from "./Progress.js"

/**
 * Which experiment a run compares with.
 *
 * @since 0.1.0
 */
export type BaselineChoice =
  | { readonly _tag: "Previous" }
  | { readonly _tag: "None" }
  | { readonly _tag: "Id"; readonly id: string }

/**
 * @since 0.1.0
 */
export const parseBaseline = (value: Option.Option<string>): BaselineChoice =>
  Option.match(value, {
    onNone: () => ({ _tag: "Previous" }),
    onSome: (text) => (text.trim() === "none" ? { _tag: "None" } : { _tag: "Id", id: text.trim() })
  })

/**
 * The resolved baseline, and a line for people saying why it is that one.
 *
 * @since 0.1.0
 */
export interface Baseline {
  readonly experiment: Experiment | undefined
  readonly note: string
}

type BackendService = Context.Tag.Service<PromptOps.Backend>

/**
 * Finds the baseline of a run of `name`, before the run creates its own
 * experiment.
 *
 * @since 0.1.0
 */
export const resolveBaseline = (
  name: string,
  choice: BaselineChoice,
  backend: BackendService
): Effect.Effect<Baseline, CliFailure | PromptOpsError, Experiments> => {
  switch (choice._tag) {
    case "None":
      return Effect.succeed({ experiment: undefined, note: "none (--baseline none)" })
    case "Id":
      return Effect.flatMap(Experiments, (experiments) => experiments.get(choice.id)).pipe(
        Effect.catchTag("NotFound", () =>
          Effect.fail(usage(`--baseline: experiment "${choice.id}" not found on ${backend.provider} (${backend.location})`))),
        Effect.map((experiment) => ({ experiment, note: `${experiment.name} (${experiment.id}, from --baseline)` }))
      )
    case "Previous":
      return latestNamed(name).pipe(
        Effect.map(Option.match({
          onNone: () => ({
            experiment: undefined,
            note: backend.provider === "basalt"
              ? "none (basalt cannot list experiments made by other processes)"
              : `none (no previous run of "${name}" on ${backend.provider})`
          }),
          onSome: (experiment): Baseline => ({ experiment, note: `${experiment.name} (${experiment.id}, the previous run)` })
        })),
        Effect.catchTag("Unsupported", () =>
          Effect.succeed({ experiment: undefined, note: `none (${backend.provider} cannot list experiments)` }))
      )
  }
}

/**
 * How one evaluator's run ended.
 *
 * @since 0.1.0
 */
export type Outcome =
  | { readonly _tag: "Finished"; readonly name: string; readonly summary: ExperimentSummary; readonly regressed: boolean }
  | { readonly _tag: "Failed"; readonly name: string; readonly exitCode: number; readonly message: string }

/**
 * @since 0.1.0
 */
export interface RunSettings {
  readonly baseline: BaselineChoice
  readonly jsonl: boolean
  readonly trials: number | undefined
  readonly concurrency: number | undefined
}

const regressedScores = (summary: ExperimentSummary): ReadonlyArray<string> =>
  Object.values(summary.scores)
    .filter((score) => score.regressions > 0 || (score.diff !== undefined && score.diff < -1e-9))
    .map((score) => score.name)

const runOne = (
  loaded: Loader.Loaded,
  settings: RunSettings,
  backend: BackendService
): Effect.Effect<Outcome, never, PromptOps.Services | CliTerminal> =>
  Effect.gen(function*() {
    const evaluator = loaded.evaluator
    const name = typeof evaluator.name === "string" && evaluator.name.length > 0 ? evaluator.name : loaded.exportName
    const baseline = yield* resolveBaseline(name, settings.baseline, backend)
    const progress = settings.jsonl ? undefined : yield* Progress.make(name)
    let summary: ExperimentSummary | undefined

    const onEvent = (event: EvalEvent): Effect.Effect<void> => {
      if (event._tag === "Finished") summary = event.summary
      if (progress !== undefined) return progress.onEvent(event)
      switch (event._tag) {
        case "Started":
          return Console.log(JsonLine.stringify({
            type: "started",
            evaluator: name,
            experiment: event.experiment,
            total: event.total ?? null,
            baseline: baseline.experiment === undefined
              ? null
              : { id: baseline.experiment.id, name: baseline.experiment.name }
          }))
        case "CaseCompleted":
          return Console.log(JsonLine.stringify({
            type: "result",
            evaluator: name,
            completed: event.completed,
            failed: event.failed,
            total: event.total ?? null,
            result: event.result
          }))
        case "Finished":
          return Console.log(JsonLine.stringify({
            type: "summary",
            evaluator: name,
            regressed: Summary.hasRegressions(event.summary),
            summary: event.summary
          }))
      }
    }

    const events = Evaluator.stream(evaluator, {
      trials: settings.trials,
      concurrency: settings.concurrency,
      baseline: baseline.experiment?.id
    }) as Stream.Stream<EvalEvent, unknown, PromptOps.Services>
    yield* Stream.runForEach(events, onEvent).pipe(
      Effect.ensuring(progress === undefined ? Effect.void : progress.end)
    )
    if (summary === undefined) return yield* Effect.fail(failure(`eval "${name}" ended without a summary`))
    const regressed = Summary.hasRegressions(summary)
    if (!settings.jsonl) {
      const lines = [
        "",
        Summary.toTable(summary),
        `baseline: ${baseline.note}`,
        `experiment: ${summary.experimentId}`
      ]
      if (regressed) lines.push(`regressed: ${regressedScores(summary).join(", ")}`)
      yield* Console.log(lines.join("\n"))
    }
    return { _tag: "Finished", name, summary, regressed } as const
  }).pipe(
    Effect.catchAll((error) =>
      Effect.gen(function*() {
        const name = loaded.evaluator.name
        const reported = report(error)
        const message = `eval "${name}" failed: ${reported.message ?? "unknown error"}`
        yield* settings.jsonl
          ? Console.log(JsonLine.stringify({ type: "error", evaluator: name, message: reported.message ?? null }))
          : Console.error(message)
        return { _tag: "Failed", name, exitCode: reported.exitCode, message } as const
      })
    )
  )

/**
 * Runs every loaded evaluator in turn on the backend in context, then flushes
 * the traces.
 *
 * @since 0.1.0
 */
export const runAll = (
  loaded: ReadonlyArray<Loader.Loaded>,
  settings: RunSettings
): Effect.Effect<ReadonlyArray<Outcome>, never, PromptOps.Services | CliTerminal> =>
  Effect.gen(function*() {
    const backend = yield* PromptOps.Backend
    if (settings.jsonl) {
      yield* Console.log(JsonLine.stringify({ type: "backend", provider: backend.provider, location: backend.location }))
    } else {
      yield* CliOptions.announce(backend)
    }
    const outcomes: Array<Outcome> = []
    for (const item of loaded) outcomes.push(yield* runOne(item, settings, backend))
    // Every span of the runs is exported (or counted as dropped) before the process ends.
    yield* Tracing.flush
    const stats = yield* Tracing.stats
    const dropped = Object.values(stats.dropped).reduce((sum, n) => sum + n, 0)
    if (dropped > 0) {
      yield* Console.error(`warning: ${dropped} spans could not be exported to ${backend.provider} (${JSON.stringify(stats.dropped)})`)
    }
    return outcomes
  })

/**
 * When a finished eval fails the run anyway: a CI gate on regressions, on
 * cases whose task failed, or both.
 *
 * @since 0.1.0
 */
export interface Gates {
  readonly failOnRegression: boolean
  readonly failOnError: boolean
}

/**
 * The exit of a whole `eval`: the worst failure, else the gates that trip.
 *
 * @since 0.1.0
 */
export const conclude = (outcomes: ReadonlyArray<Outcome>, gates: Gates): Effect.Effect<void, CliFailure> => {
  const failed = outcomes.filter((outcome) => outcome._tag === "Failed")
  if (failed.length > 0) {
    const exitCode = Math.max(...failed.map((outcome) => outcome.exitCode))
    return Effect.fail(
      exitCode === 2
        ? usage(`${failed.length} of ${outcomes.length} evals failed`)
        : failure(`${failed.length} of ${outcomes.length} evals failed`)
    )
  }
  const finished = outcomes.filter((outcome) => outcome._tag === "Finished")
  const reasons: Array<string> = []
  const regressed = finished.filter((outcome) => outcome.regressed)
  if (gates.failOnRegression && regressed.length > 0) {
    reasons.push(`regressions against the baseline in: ${regressed.map((outcome) => outcome.name).join(", ")}`)
  }
  const errored = finished.filter((outcome) => outcome.summary.errors > 0)
  if (gates.failOnError && errored.length > 0) {
    const counts = errored.map((outcome) => `${outcome.name} (${outcome.summary.errors} of ${outcome.summary.results})`)
    reasons.push(`results with a failed task in: ${counts.join(", ")}`)
  }
  return reasons.length > 0 ? Effect.fail(failure(reasons.join("; "))) : Effect.void
}

const files = Args.text({ name: "files" }).pipe(
  Args.withDescription("Eval files (.ts/.js) exporting evaluators, or directories of *.eval.ts files."),
  Args.atLeast(1)
)

const baseline = Options.text("baseline").pipe(
  Options.withDescription(
    "Experiment id to compare with, or \"none\". Default: the previous run with the same name."
  ),
  Options.optional
)

const failOnRegression = Options.boolean("fail-on-regression").pipe(
  Options.withDescription("Exit with 1 when a score regressed against the baseline (a CI gate).")
)

const failOnError = Options.boolean("fail-on-error").pipe(
  Options.withDescription("Exit with 1 when the task failed for any case × trial (its result has an error).")
)

const jsonl = Options.boolean("jsonl").pipe(
  Options.withDescription("Print one JSON object per line (backend, started, result, summary, error) instead of progress and tables.")
)

const trials = Options.integer("trials").pipe(
  Options.withDescription("Runs per case (overrides the evaluator's trials)."),
  Options.optional
)

const concurrency = Options.integer("concurrency").pipe(
  Options.withDescription("Case × trial runs in flight at once (overrides the evaluator's concurrency)."),
  Options.optional
)

/**
 * @since 0.1.0
 */
export const command = Command.make(
  "eval",
  {
    files,
    provider: CliOptions.provider,
    baseline,
    failOnRegression,
    failOnError,
    jsonl,
    trials,
    concurrency
  },
  (args) =>
    Effect.gen(function*() {
      const settings: RunSettings = {
        baseline: parseBaseline(args.baseline),
        jsonl: args.jsonl,
        trials: yield* CliOptions.positive("trials", args.trials),
        concurrency: yield* CliOptions.positive("concurrency", args.concurrency)
      }
      // Files load before the backend starts: a typo in a path needs no configuration to report.
      const loaded = yield* Loader.load(args.files)
      const outcomes = yield* CliOptions.withBackend(args.provider, runAll(loaded, settings), { traced: true })
      yield* conclude(outcomes, { failOnRegression: args.failOnRegression, failOnError: args.failOnError })
    })
).pipe(
  Command.withDescription(
    "Run the evaluators exported by eval files, store each run as an experiment, and compare it with a baseline."
  )
)
