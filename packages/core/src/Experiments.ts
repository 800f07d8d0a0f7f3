/**
 * The `Experiments` service: create experiments, log eval results, read them
 * back and summarise them.
 *
 * The summary is computed here, in core, from the results, for every backend
 * (so Basalt gets baseline diffs too), and merged with the vendor's own summary
 * where the backend has one.
 *
 * @since 0.1.0
 */
import { Chunk, Context, Effect, Either, Option, ParseResult, Schema, Stream } from "effect"
import type { Metadata } from "./Dataset.js"
import { type EvalResult, type Experiment, ExperimentState, type ExperimentSummary } from "./Experiment.js"
import { withLibrarySpan } from "./internal/librarySpan.js"
import { nonEmpty } from "./internal/validate.js"
import { invalidInput, NotFound, type PromptOpsError } from "./PromptOpsError.js"
import * as Summary from "./Summary.js"

/** @since 0.1.0 */
export interface CreateOptions {
  readonly name: string
  /** Id of the experiment to compare against by default. */
  readonly baseline?: string | undefined
  readonly dataset?: string | undefined
  readonly metadata?: Metadata | undefined
}

/** @since 0.1.0 */
export interface SummarizeOptions {
  /** Id of the experiment to compare against; defaults to the experiment's own baseline. */
  readonly baseline?: string | undefined
  /**
   * The experiment itself, when the caller already holds it (as `resolve` or
   * `create` returned it): it is not read again.
   */
  readonly experiment?: Experiment | undefined
  /** The baseline experiment, when the caller already holds it: it is not read again (its results are). */
  readonly baselineExperiment?: Experiment | undefined
}

/**
 * @since 0.1.0
 */
export declare namespace Experiments {
  /**
   * @since 0.1.0
   */
  export interface Service {
    readonly provider: string
    readonly create: (options: CreateOptions) => Effect.Effect<Experiment, PromptOpsError>
    readonly get: (id: string) => Effect.Effect<Experiment, PromptOpsError>
    /** Newest first. */
    readonly list: () => Stream.Stream<Experiment, PromptOpsError>
    readonly log: (experimentId: string, results: ReadonlyArray<EvalResult>) => Effect.Effect<void, PromptOpsError>
    readonly results: (experimentId: string) => Stream.Stream<EvalResult, PromptOpsError>
    /** Records the state of the experiment's run (replacing the previous one); `get` and `list` return it. */
    readonly setState: (experimentId: string, state: ExperimentState) => Effect.Effect<void, PromptOpsError>
    readonly summarize: (
      experimentId: string,
      options?: SummarizeOptions
    ) => Effect.Effect<ExperimentSummary, PromptOpsError>
    /**
     * The summary of `experiment` from results the caller holds (an eval that
     * has just logged them): the same summary `summarize` gives once they are
     * stored, without reading them back. The baseline's results are read, and
     * the vendor's own summary too where the backend has one.
     */
    readonly summarizeResults: (
      experiment: Experiment,
      results: ReadonlyArray<EvalResult>,
      options?: Omit<SummarizeOptions, "experiment">
    ) => Effect.Effect<ExperimentSummary, PromptOpsError>
  }
}

/**
 * @since 0.1.0
 */
export class Experiments extends Context.Tag("@promptops/core/Experiments")<Experiments, Experiments.Service>() {}

/** @since 0.1.0 */
export interface ConstructorParams {
  readonly provider: string
  readonly create: (options: CreateOptions) => Effect.Effect<Experiment, PromptOpsError>
  readonly get: (id: string) => Effect.Effect<Experiment, PromptOpsError>
  readonly list: () => Stream.Stream<Experiment, PromptOpsError>
  readonly log: (experimentId: string, results: ReadonlyArray<EvalResult>) => Effect.Effect<void, PromptOpsError>
  readonly results: (experimentId: string) => Stream.Stream<EvalResult, PromptOpsError>
  /** Stores the run's state so that `get` and `list` return it. */
  readonly setState: (experimentId: string, state: ExperimentState) => Effect.Effect<void, PromptOpsError>
  /** The vendor's own summary, where it has one; merged into the local one. */
  readonly providerSummary?: (
    experiment: Experiment,
    baseline: Experiment | undefined
  ) => Effect.Effect<Option.Option<Summary.ProviderSummary>, PromptOpsError>
}

/**
 * @since 0.1.0
 */
export const make = (params: ConstructorParams): Experiments.Service => {
  const collect = (id: string) => Stream.runCollect(params.results(id)).pipe(Effect.map(Chunk.toReadonlyArray))
  // One summary path for stored and held results: only where the results come from differs.
  const summarizeWith = (
    experiment: Experiment,
    results: Effect.Effect<ReadonlyArray<EvalResult>, PromptOpsError>,
    options: Omit<SummarizeOptions, "experiment">
  ): Effect.Effect<ExperimentSummary, PromptOpsError> =>
    Effect.gen(function*() {
      const baselineId = options.baseline ?? options.baselineExperiment?.id ?? experiment.baseline
      const baseline = baselineId === undefined
        ? undefined
        : options.baselineExperiment?.id === baselineId
        ? options.baselineExperiment
        : yield* params.get(baselineId)
      const [current, baselineResults] = yield* Effect.all(
        [results, baseline === undefined ? Effect.succeed(undefined) : collect(baseline.id)],
        { concurrency: 2 }
      )
      const local = Summary.compute({ experiment, results: current, baseline, baselineResults })
      if (params.providerSummary === undefined) return local
      const vendor = yield* params.providerSummary(experiment, baseline)
      return Option.match(vendor, { onNone: () => local, onSome: (summary) => Summary.merge(local, summary) })
    })
  return {
    provider: params.provider,
    create: (options) =>
      nonEmpty(params.provider, "Experiments.create", "options.name", options.name).pipe(
        Effect.zipRight(params.create(options)),
        withLibrarySpan("Experiments.create", {
          attributes: { "promptops.provider": params.provider, "promptops.experiment.name": options.name }
        })
      ),
    get: (id) => Effect.zipRight(nonEmpty(params.provider, "Experiments.get", "id", id), params.get(id)),
    list: params.list,
    log: (experimentId, results) =>
      results.length === 0
        ? Effect.void
        : nonEmpty(params.provider, "Experiments.log", "experimentId", experimentId).pipe(
          Effect.zipRight(params.log(experimentId, results))
        ),
    results: (experimentId) =>
      Stream.unwrap(
        Effect.as(nonEmpty(params.provider, "Experiments.results", "experimentId", experimentId), params.results(experimentId))
      ),
    setState: (experimentId, state) =>
      nonEmpty(params.provider, "Experiments.setState", "experimentId", experimentId).pipe(
        Effect.zipRight(
          Schema.validateEither(ExperimentState)(state).pipe(
            Either.match({
              onLeft: (error) =>
                Effect.fail(invalidInput({
                  provider: params.provider,
                  operation: "Experiments.setState",
                  path: "state",
                  description: `state is not a valid ExperimentState: ${ParseResult.TreeFormatter.formatErrorSync(error)}`
                })),
              onRight: (valid) => params.setState(experimentId, valid)
            })
          )
        ),
        withLibrarySpan("Experiments.setState", {
          attributes: {
            "promptops.kind": "function",
            "promptops.provider": params.provider,
            "promptops.experiment.id": experimentId,
            "promptops.experiment.status": state.status
          }
        })
      ),
    summarize: (experimentId, options = {}) =>
      Effect.gen(function*() {
        const experiment = options.experiment?.id === experimentId ? options.experiment : yield* params.get(experimentId)
        return yield* summarizeWith(experiment, collect(experimentId), options)
      }).pipe(
        withLibrarySpan("Experiments.summarize", {
          attributes: { "promptops.provider": params.provider, "promptops.experiment.id": experimentId }
        })
      ),
    summarizeResults: (experiment, results, options = {}) =>
      summarizeWith(experiment, Effect.succeed(results), options).pipe(
        withLibrarySpan("Experiments.summarize", {
          attributes: { "promptops.provider": params.provider, "promptops.experiment.id": experiment.id }
        })
      )
  }
}

/**
 * Whether `experimentName` is a run of `name`: the name itself, or the name
 * with the numeric suffix a backend adds to keep names unique (Braintrust
 * stores a second "nightly" as "nightly-1").
 *
 * @since 0.1.0
 */
export const isRunOf = (name: string, experimentName: string): boolean =>
  experimentName === name ||
  (experimentName.startsWith(`${name}-`) && /^\d+$/.test(experimentName.slice(name.length + 1)))

/**
 * The newest run of the experiment named `name` (see `isRunOf`), if the
 * backend has one: the "previous run" an eval compares against by default.
 * `list` is newest first on every backend, so this reads only as far as the
 * first match.
 *
 * @since 0.1.0
 */
export const latestNamed = (
  name: string,
  options: { readonly excluding?: string | undefined } = {}
): Effect.Effect<Option.Option<Experiment>, PromptOpsError, Experiments> =>
  Effect.flatMap(Experiments, (experiments) =>
    experiments.list().pipe(
      Stream.filter((experiment) => isRunOf(name, experiment.name) && experiment.id !== options.excluding),
      Stream.runHead
    ))

/**
 * Whether an experiment may serve as a default baseline: its run completed
 * (an experiment without a state predates states and counts as complete) and
 * its gate, if it had one, did not fail.
 *
 * @since 0.1.0
 */
export const isBaselineCandidate = (experiment: Experiment): boolean =>
  experiment.state === undefined ||
  (experiment.state.status === "complete" && experiment.state.gate !== "failed")

/**
 * The default baseline of a run named `name`: the newest run of that name (see
 * `isRunOf`) that is complete, or has no state (made before states existed),
 * and whose gate did not fail. A run that was interrupted, timed out, failed,
 * is still running, or regressed under a gate (e.g. `--fail-on-regression`)
 * is skipped, so running a regressed eval again still compares with the last
 * good run.
 *
 * @since 0.1.0
 */
export const latestBaseline = (
  name: string,
  options: { readonly excluding?: string | undefined } = {}
): Effect.Effect<Option.Option<Experiment>, PromptOpsError, Experiments> =>
  Effect.flatMap(Experiments, (experiments) =>
    experiments.list().pipe(
      Stream.filter((experiment) =>
        isRunOf(name, experiment.name) && experiment.id !== options.excluding && isBaselineCandidate(experiment)
      ),
      Stream.runHead
    ))

/** The shortest id prefix `resolve` accepts, so a stray short word is never taken for an id. */
const MIN_PREFIX = 4

/**
 * Finds the experiment `ref` names: a full id, a unique id prefix (at least 4
 * characters), or an experiment name (its newest run; with `baseline: true`,
 * its newest run that `latestBaseline` accepts). An exact id wins over a
 * name, and a name over a prefix.
 *
 * Fails with `NotFound` naming `ref` when nothing matches, and with
 * `InvalidInput` listing the candidates when a prefix matches several ids.
 *
 * @since 0.1.0
 */
export const resolve = (
  ref: string,
  options: { readonly baseline?: boolean | undefined } = {}
): Effect.Effect<Experiment, PromptOpsError, Experiments> =>
  Effect.gen(function*() {
    const experiments = yield* Experiments
    const provider = experiments.provider
    yield* nonEmpty(provider, "Experiments.resolve", "ref", ref)
    const all = yield* Stream.runCollect(experiments.list()).pipe(Effect.map(Chunk.toReadonlyArray))
    const exact = all.find((experiment) => experiment.id === ref)
    if (exact !== undefined) return exact
    // `list` is newest first, so the first run of the name is its newest.
    const runs = all.filter((experiment) => isRunOf(ref, experiment.name))
    if (runs.length > 0) {
      const chosen = options.baseline === true ? runs.find(isBaselineCandidate) : runs[0]
      if (chosen !== undefined) return chosen
      return yield* Effect.fail(
        new NotFound({
          provider,
          operation: "Experiments.resolve",
          description: `experiment "${ref}" has ${runs.length} run(s), none complete with a passing gate`,
          resource: `experiment "${ref}"`
        })
      )
    }
    const prefixed = ref.length >= MIN_PREFIX ? all.filter((experiment) => experiment.id.startsWith(ref)) : []
    if (prefixed.length === 1) return prefixed[0]!
    if (prefixed.length > 1) {
      const shown = prefixed.slice(0, 10).map((experiment) => `${experiment.id} (${experiment.name})`)
      return yield* Effect.fail(invalidInput({
        provider,
        operation: "Experiments.resolve",
        path: "ref",
        description: `"${ref}" is the prefix of ${prefixed.length} experiment ids: ${shown.join(", ")}` +
          (prefixed.length > shown.length ? ", …" : "") + "; give more characters"
      }))
    }
    return yield* Effect.fail(
      new NotFound({
        provider,
        operation: "Experiments.resolve",
        description: `no experiment has the id, id prefix or name "${ref}"` +
          (ref.length < MIN_PREFIX ? ` (an id prefix needs at least ${MIN_PREFIX} characters)` : ""),
        resource: `experiment "${ref}"`
      })
    )
  }).pipe(
    withLibrarySpan("Experiments.resolve", { attributes: { "promptops.experiment.ref": ref } })
  )
