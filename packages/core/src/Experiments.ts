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
import { Chunk, Context, Effect, Option, Stream } from "effect"
import type { Metadata } from "./Dataset.js"
import type { EvalResult, Experiment, ExperimentSummary } from "./Experiment.js"
import { nonEmpty } from "./internal/validate.js"
import type { PromptOpsError } from "./PromptOpsError.js"
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
    readonly summarize: (
      experimentId: string,
      options?: SummarizeOptions
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
  return {
    provider: params.provider,
    create: (options) =>
      nonEmpty(params.provider, "Experiments.create", "options.name", options.name).pipe(
        Effect.zipRight(params.create(options)),
        Effect.withSpan("Experiments.create", {
          attributes: { "promptops.kind": "function", "promptops.provider": params.provider, "promptops.experiment.name": options.name }
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
    summarize: (experimentId, options = {}) =>
      Effect.gen(function*() {
        const experiment = yield* params.get(experimentId)
        const baselineId = options.baseline ?? experiment.baseline
        const baseline = baselineId === undefined ? undefined : yield* params.get(baselineId)
        const [results, baselineResults] = yield* Effect.all(
          [collect(experimentId), baseline === undefined ? Effect.succeed(undefined) : collect(baseline.id)],
          { concurrency: 2 }
        )
        const local = Summary.compute({ experiment, results, baseline, baselineResults })
        if (params.providerSummary === undefined) return local
        const vendor = yield* params.providerSummary(experiment, baseline)
        return Option.match(vendor, { onNone: () => local, onSome: (summary) => Summary.merge(local, summary) })
      }).pipe(
        Effect.withSpan("Experiments.summarize", {
          attributes: { "promptops.kind": "function", "promptops.provider": params.provider, "promptops.experiment.id": experimentId }
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
