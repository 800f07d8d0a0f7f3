/**
 * `promptops eval <files...>`: loads eval files, runs every evaluator they
 * export against the configured backend, shows progress, a summary table
 * compared with a baseline and the first failures, and can fail CI on
 * regressions and errors (the run's gate, recorded on its experiment).
 *
 * The default baseline is the newest run of the same name that is complete
 * (not interrupted, timed out or failed) and whose gate did not fail
 * (`Experiments.latestBaseline`): a regressed run under
 * `--fail-on-regression` never becomes the baseline of the next one.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type { EvalEvent } from "@promptops/core/Eval"
import type { EvalResult, Experiment, ExperimentSummary } from "@promptops/core/Experiment"
import { type Experiments, latestBaseline, resolve } from "@promptops/core/Experiments"
import * as Json from "@promptops/core/Json"
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import * as Summary from "@promptops/core/Summary"
import * as Tracing from "@promptops/core/Tracing"
import { Console, type Context, Duration, Effect, Option, Stream } from "effect"
import * as Evaluator from "../Evaluator.js"
import * as PromptOps from "../PromptOps.js"
import { type CliFailure, failure, report, usage } from "./CliError.js"
import type { CliTerminal } from "./CliTerminal.js"
import * as CliOptions from "./CliOptions.js"
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
  /** An experiment id, a unique id prefix, or a name (its newest complete run whose gate did not fail). */
  | { readonly _tag: "Ref"; readonly ref: string }

/**
 * @since 0.1.0
 */
export const parseBaseline = (value: Option.Option<string>): BaselineChoice =>
  Option.match(value, {
    onNone: () => ({ _tag: "Previous" }),
    onSome: (text) => (text.trim() === "none" ? { _tag: "None" } : { _tag: "Ref", ref: text.trim() })
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
    case "Ref":
      return resolve(choice.ref, { baseline: true }).pipe(
        Effect.catchTag("NotFound", (error) =>
          Effect.fail(
            usage(
              `--baseline: experiment "${choice.ref}" not found on ${backend.provider} (${backend.location}): ${error.description}`
            )
          )),
        // An ambiguous prefix (InvalidInput, exit 2) lists the candidates.
        Effect.catchTag("InvalidInput", (error) => Effect.fail(usage(`--baseline: ${error.description}`))),
        Effect.map((experiment) => ({ experiment, note: `${experiment.name} (${experiment.id}, from --baseline)` }))
      )
    case "Previous":
      return latestBaseline(name).pipe(
        Effect.map(Option.match({
          onNone: () => ({
            experiment: undefined,
            note: backend.provider === "basalt"
              ? "none (basalt cannot list experiments made by other processes)"
              : `none (no earlier run of "${name}" on ${backend.provider} that completed and passed its gate)`
          }),
          onSome: (experiment): Baseline => ({
            experiment,
            note: `${experiment.name} (${experiment.id}, the last complete run that passed its gate)`
          })
        })),
        Effect.catchTag("Unsupported", () =>
          Effect.succeed({ experiment: undefined, note: `none (${backend.provider} cannot list experiments)` })),
        // Listing never creates the project; a project that does not exist yet has no previous run (the run creates it).
        Effect.catchTag("NotFound", () =>
          Effect.succeed({ experiment: undefined, note: `none (no previous run of "${name}" on ${backend.provider})` }))
      )
  }
}

/**
 * How one evaluator's run ended.
 *
 * @since 0.1.0
 */
export type Outcome =
  | {
    readonly _tag: "Finished"
    readonly name: string
    readonly summary: ExperimentSummary
    readonly regressed: boolean
    /** The run's own gate verdict (`undefined` without --fail-on-*). */
    readonly gate: "passed" | "failed" | undefined
  }
  | { readonly _tag: "Failed"; readonly name: string; readonly exitCode: number; readonly message: string }

/**
 * @since 0.1.0
 */
export interface RunSettings {
  readonly baseline: BaselineChoice
  readonly jsonl: boolean
  readonly trials: number | undefined
  readonly concurrency: number | undefined
  /** The CI gates; either one makes the run gated (its experiment records `gate: passed | failed`). */
  readonly gates?: Gates | undefined
}

const regressedScores = (summary: ExperimentSummary): ReadonlyArray<string> =>
  Object.values(summary.scores)
    .filter((score) => score.regressions > 0 || (score.diff !== undefined && score.diff < -1e-9))
    .map((score) => score.name)

/**
 * What a gate holds against a summary: regressions (and scores the whole run
 * lacks) under `failOnRegression`, failed tasks and scorers under
 * `failOnError`. Empty: the gate passes.
 *
 * @since 0.1.0
 */
export const gateReasons = (summary: ExperimentSummary, gates: Gates): ReadonlyArray<string> => {
  const reasons: Array<string> = []
  if (gates.failOnRegression && Summary.hasRegressions(summary)) {
    const regressed = regressedScores(summary).filter((name) => !summary.missingScores.includes(name))
    if (regressed.length > 0) reasons.push(`regressed: ${regressed.join(", ")}`)
    if (summary.missingScores.length > 0) reasons.push(`missing scores: ${summary.missingScores.join(", ")}`)
  }
  if (gates.failOnError && summary.errors > 0) reasons.push(`${summary.errors} of ${summary.results} tasks failed`)
  if (gates.failOnError && summary.scorerErrors > 0) reasons.push(`${summary.scorerErrors} scorer errors`)
  return reasons
}

const isGated = (gates: Gates | undefined): gates is Gates =>
  gates !== undefined && (gates.failOnRegression || gates.failOnError)

/** Failures shown under the summary table; the rest are counted. */
const shownFailures = 5

/**
 * One failure of a run: a task that failed, or a scorer that failed on a case.
 *
 * @since 0.1.0
 */
export interface Failure {
  readonly caseId: string
  readonly trial: number
  readonly input: unknown
  /** `undefined` for the task's own failure, else the scorer's name. */
  readonly scorer: string | undefined
  readonly message: string
}

/**
 * The failures of one result, the task's first.
 *
 * @since 0.1.0
 */
export const failuresOf = (result: EvalResult): ReadonlyArray<Failure> => {
  const base = { caseId: result.caseId, trial: result.trial, input: result.input }
  const failures: Array<Failure> = []
  if (result.error !== undefined) failures.push({ ...base, scorer: undefined, message: result.error })
  for (const [scorer, message] of Object.entries(result.scorerErrors ?? {})) failures.push({ ...base, scorer, message })
  return failures
}

/** One line of terminal-safe text: control characters (ANSI escapes too) and line breaks become spaces. */
const oneLine = (text: string, max: number): string => {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").replace(/\s+/g, " ").trim()
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`
}

/**
 * A failure as one line: case (and trial), a short excerpt of the input,
 * then the task's error or `scorer <name>: <message>`.
 *
 * @since 0.1.0
 */
export const formatFailure = (failure: Failure): string => {
  const input = oneLine(Json.stringify(failure.input) ?? "undefined", 60)
  const what = failure.scorer === undefined ? failure.message : `scorer ${failure.scorer}: ${failure.message}`
  return `  ${oneLine(failure.caseId, 12)}#${failure.trial}  ${input}  ${oneLine(what, 160)}`
}

/**
 * The lines under the summary table for a run's failures: the first few,
 * then how many more.
 *
 * @since 0.1.0
 */
export const formatFailures = (failures: ReadonlyArray<Failure>, total: number, experimentId: string): ReadonlyArray<string> => {
  if (total === 0) return []
  const lines = [`failures (${total}):`, ...failures.slice(0, shownFailures).map(formatFailure)]
  const more = total - Math.min(shownFailures, failures.length)
  if (more > 0) lines.push(`  … and ${more} more (promptops experiments show ${experimentId} --results)`)
  return lines
}

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
    // The first failures, for the lines under the table; all of them are counted.
    const failures: Array<Failure> = []
    let failureCount = 0
    const gates = settings.gates
    const gate = isGated(gates) ? (summary: ExperimentSummary) => gateReasons(summary, gates).length === 0 : undefined

    const onEvent = (event: EvalEvent): Effect.Effect<void> => {
      if (event._tag === "Finished") summary = event.summary
      if (event._tag === "CaseCompleted") {
        const found = failuresOf(event.result)
        failureCount += found.length
        if (failures.length < shownFailures) failures.push(...found.slice(0, shownFailures - failures.length))
      }
      if (progress !== undefined) return progress.onEvent(event)
      switch (event._tag) {
        case "Started":
          return Console.log(Json.stringify({
            type: "started",
            evaluator: name,
            experiment: event.experiment,
            total: event.total ?? null,
            baseline: baseline.experiment === undefined
              ? null
              : { id: baseline.experiment.id, name: baseline.experiment.name }
          }))
        case "CaseCompleted":
          return Console.log(Json.stringify({
            type: "result",
            evaluator: name,
            completed: event.completed,
            failed: event.failed,
            total: event.total ?? null,
            result: event.result
          }))
        case "Finished":
          return Console.log(Json.stringify({
            type: "summary",
            evaluator: name,
            regressed: Summary.hasRegressions(event.summary),
            gate: gate === undefined ? null : gate(event.summary) ? "passed" : "failed",
            // Each failure is on its result line (`result.error`, `result.scorerErrors`); this counts them.
            failures: failureCount,
            summary: event.summary
          }))
      }
    }

    const events = Evaluator.stream(evaluator, {
      trials: settings.trials,
      concurrency: settings.concurrency,
      baseline: baseline.experiment?.id,
      gate
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
      // Missing scores are named by the table's own note.
      const worse = regressedScores(summary).filter((score) => !summary!.missingScores.includes(score))
      if (worse.length > 0) lines.push(`regressed: ${worse.join(", ")}`)
      lines.push(...formatFailures(failures, failureCount, summary.experimentId))
      yield* Console.log(lines.join("\n"))
    }
    return {
      _tag: "Finished",
      name,
      summary,
      regressed,
      gate: gate === undefined ? undefined : gate(summary) ? "passed" : "failed"
    } as const
  }).pipe(
    Effect.catchAll((error) =>
      Effect.gen(function*() {
        const name = loaded.evaluator.name
        const reported = report(error)
        const message = `eval "${name}" failed: ${reported.message ?? "unknown error"}`
        yield* settings.jsonl
          ? Console.log(Json.stringify({ type: "error", evaluator: name, message: reported.message ?? null }))
          : Console.error(message)
        return { _tag: "Failed", name, exitCode: reported.exitCode, message } as const
      })
    )
  )

/** How long the spans of runs that all finished may take to be exported. */
const flushDeadline = Duration.seconds(30)
/** How long they may take after a run failed (see `runAll`). */
const flushGraceAfterFailure = Duration.seconds(1)

/**
 * Runs every loaded evaluator in turn on the backend in context, then flushes
 * the traces (within a deadline: 30 s, or 1 s when a run failed).
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
      yield* Console.log(Json.stringify({
        type: "backend",
        provider: backend.provider,
        location: backend.location,
        ...(backend.traces !== undefined ? { traces: backend.traces } : {})
      }))
    } else {
      yield* CliOptions.announce(backend)
    }
    const outcomes: Array<Outcome> = []
    for (const item of loaded) outcomes.push(yield* runOne(item, settings, backend))
    // The spans of the runs are exported (or counted as dropped) before the process ends. When a run
    // failed, the backend is often unreachable: its spans would only wait out the export retries, so
    // they get a short grace and the process exits; what was not sent is counted below either way.
    const failed = outcomes.some((outcome) => outcome._tag === "Failed")
    yield* Effect.timeoutOption(Tracing.flush, failed ? flushGraceAfterFailure : flushDeadline)
    // One line per destination that lost spans (PROMPTOPS_TRACES=provider,otlp has two): a span
    // lost at one destination may well have reached the other, so the counts are never summed.
    const stats = yield* Tracing.stats
    for (const [name, own] of Object.entries(stats.destinations)) {
      const dropped = Object.values(own.dropped).reduce((sum, n) => sum + n, 0)
      if (dropped + own.pending === 0) continue
      const target = backend.traces?.find((each) => each.name === name)
      const where = target === undefined || name !== "otlp" ? backend.provider : `otlp (${target.location})`
      const counts = { ...own.dropped, unsent: own.pending }
      yield* Console.error(`warning: ${dropped + own.pending} spans could not be exported to ${where} (${JSON.stringify(counts)})`)
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
    const named = regressed.map((outcome) =>
      outcome.summary.missingScores.length === 0
        ? outcome.name
        : `${outcome.name} (missing scores: ${outcome.summary.missingScores.join(", ")})`
    )
    reasons.push(`regressions against the baseline in: ${named.join(", ")}`)
  }
  const errored = finished.filter((outcome) => outcome.summary.errors > 0)
  if (gates.failOnError && errored.length > 0) {
    const counts = errored.map((outcome) => `${outcome.name} (${outcome.summary.errors} of ${outcome.summary.results})`)
    reasons.push(`results with a failed task in: ${counts.join(", ")}`)
  }
  const scorerErrored = finished.filter((outcome) => outcome.summary.scorerErrors > 0)
  if (gates.failOnError && scorerErrored.length > 0) {
    const counts = scorerErrored.map((outcome) => `${outcome.name} (${outcome.summary.scorerErrors})`)
    reasons.push(`scorer errors in: ${counts.join(", ")}`)
  }
  return reasons.length > 0 ? Effect.fail(failure(reasons.join("; "))) : Effect.void
}

const files = Args.text({ name: "files" }).pipe(
  Args.withDescription("Eval files (.ts/.js) exporting evaluators, or directories of *.eval.ts files."),
  Args.atLeast(1)
)

const baseline = Options.text("baseline").pipe(
  Options.withDescription(
    "Experiment to compare with: a name (its newest complete run whose gate did not fail), an id, a unique id prefix (4+ characters), or \"none\". Default: the newest complete run of the same name whose gate did not fail."
  ),
  Options.optional
)

const failOnRegression = Options.boolean("fail-on-regression").pipe(
  Options.withDescription(
    "Exit with 1 when a score regressed against the baseline or the baseline has a score this run lacks (a CI gate, recorded on the experiment: a failed run is never a default baseline)."
  )
)

const failOnError = Options.boolean("fail-on-error").pipe(
  Options.withDescription(
    "Exit with 1 when the task failed for any case × trial, or a scorer failed (threw, or gave a score that is not a number in 0..1); a CI gate, recorded on the experiment."
  )
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
        concurrency: yield* CliOptions.positive("concurrency", args.concurrency),
        gates: { failOnRegression: args.failOnRegression, failOnError: args.failOnError }
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
