/**
 * An eval declared for the `promptops eval` command: a dataset × a task ×
 * scorers, as a value a file exports. The CLI loads the file, collects every
 * evaluator it exports and runs each with the backend chosen by
 * configuration.
 *
 * ```ts
 * // evals/greeting.eval.ts
 * import { Eval } from "@promptops/core"
 * import { Effect } from "effect"
 * import { Evaluator } from "promptops"
 *
 * export default Evaluator.make({
 *   name: "greeting",
 *   data: [{ input: "Ada", expected: "Hello Ada" }], // or a dataset name: "greetings"
 *   task: (name: string) => Effect.succeed(`Hello ${name}`),
 *   scorers: [Eval.scorer("exact", ({ output, expected }) => (output === expected ? 1 : 0))]
 * })
 * ```
 *
 * A task (and a scorer) may use the neutral services (`Prompts`, `Datasets`,
 * `Experiments`, …): the CLI provides them through `PromptOps.layer`. Services
 * of its own (an `@effect/ai` `LanguageModel`, say) come from its `layer`,
 * built once per run; what that layer needs must be among those the CLI
 * provides, or `make` does not type-check:
 *
 * ```ts
 * export default Evaluator.make({
 *   name: "answers",
 *   data: "questions",
 *   layer: OpenAiLanguageModel.model("gpt-4o-mini").pipe(Layer.provide(OpenAi)),
 *   task: (question: string) => Effect.map(LanguageModel.generateText({ prompt: question }), (r) => r.text),
 *   scorers: [Eval.scorer("non-empty", ({ output }) => (output.length > 0 ? 1 : 0))]
 * })
 * ```
 *
 * @since 0.1.0
 */
import type { Metadata } from "@promptops/core/Dataset"
import { Datasets } from "@promptops/core/Datasets"
import * as Eval from "@promptops/core/Eval"
import type { ExperimentSummary } from "@promptops/core/Experiment"
import type { Experiments } from "@promptops/core/Experiments"
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import type { Duration, Layer } from "effect"
import { Effect, Predicate, Stream } from "effect"
import type * as PromptOps from "./PromptOps.js"

/**
 * The brand of an evaluator. A global symbol, so an evaluator made by another
 * copy of this module (the CLI bundles its own) is still recognised.
 *
 * @since 0.1.0
 */
export const TypeId: unique symbol = Symbol.for("promptops/Evaluator")

/** @since 0.1.0 */
export type TypeId = typeof TypeId

/**
 * The services a task or scorer may use: those the CLI provides.
 *
 * @since 0.1.0
 */
export type Services = PromptOps.Services

/**
 * What `make` takes: `Eval.run`'s options, where `data` may also be the name
 * of a dataset of the configured backend. `R` is what the data, task and
 * scorers need: the promptops `Services` and what `layer` provides (`ROut`).
 *
 * @since 0.1.0
 */
export interface Options<I, X, A, E, R, ROut = never, LE = never, LR = never> {
  /** The experiment's name; runs with the same name compare with each other. */
  readonly name: string
  /** The cases, or the name of a dataset (read with `Datasets.records`). */
  readonly data: Eval.EvalData<I, X, E, R> | string
  readonly task: (input: I, context: Eval.TaskContext<X>) => Effect.Effect<A, unknown, R>
  /** At least one; names must be unique. */
  readonly scorers: ReadonlyArray<Eval.Scorer<I, Eval.OutputOf<A>, X, R>>
  /** Runs per case (default 1). The CLI's `--trials` wins. */
  readonly trials?: number | undefined
  /** Case × trial runs in flight at once (default 10). The CLI's `--concurrency` wins. */
  readonly concurrency?: number | undefined
  /** Budget of one case × trial. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Budget of the whole run. */
  readonly overallTimeout?: Duration.DurationInput | undefined
  readonly metadata?: Metadata | undefined
  /**
   * The services of the eval's own (an `@effect/ai` `LanguageModel`, an app's
   * services), built once per run and released after it; its own needs must
   * be among `Services`.
   */
  readonly layer?: Layer.Layer<ROut, LE, LR> | undefined
}

/**
 * A declared eval.
 *
 * @since 0.1.0
 */
export interface Evaluator<I = any, X = any, A = any, E = any, R = any, ROut = any, LE = any, LR = any>
  extends Options<I, X, A, E, R, ROut, LE, LR>
{
  readonly [TypeId]: TypeId
}

/**
 * Declares an eval. Validation happens when it runs (`Eval.run` checks the
 * name, scorers, trials, …), so a file that declares a bad one still loads
 * and the CLI reports the problem with the evaluator's name.
 *
 * @since 0.1.0
 */
export const make = <
  I,
  X,
  A,
  E = never,
  R extends Services | ROut = never,
  ROut = never,
  LE = never,
  LR extends Services = never
>(
  options: Options<I, X, A, E, R, ROut, LE, LR>
): Evaluator<I, X, A, E, R, ROut, LE, LR> => ({ ...options, [TypeId]: TypeId })

/**
 * @since 0.1.0
 */
export const isEvaluator = (u: unknown): u is Evaluator => Predicate.hasProperty(u, TypeId) && u[TypeId] === TypeId

/**
 * What the caller of a run may override or add.
 *
 * @since 0.1.0
 */
export interface RunOverrides<RP = never> {
  readonly trials?: number | undefined
  readonly concurrency?: number | undefined
  /** Experiment id to compare with. */
  readonly baseline?: string | undefined
  readonly onProgress?: ((event: Eval.EvalEvent) => Effect.Effect<void, never, RP>) | undefined
  /** The run's verdict on its summary (`true`: passed), recorded as the experiment's `state.gate`. */
  readonly gate?: ((summary: ExperimentSummary) => boolean) | undefined
}

/**
 * The `Eval.run` options of an evaluator: a dataset name becomes a stream of
 * its records (and is recorded on the experiment).
 *
 * @since 0.1.0
 */
export const toRunOptions = <I, X, A, E, R, RP = never, ROut = never, LE = never, LR = never>(
  self: Evaluator<I, X, A, E, R, ROut, LE, LR>,
  overrides: RunOverrides<RP> = {}
): Eval.RunOptions<I, X, A, E | PromptOpsError, R | Datasets, R, R, RP, ROut, LE, LR> => {
  const fromDataset = typeof self.data === "string"
  const data: Eval.EvalData<I, X, E | PromptOpsError, R | Datasets> = typeof self.data === "string"
    ? datasetCases<I, X>(self.data)
    : self.data
  return {
    name: self.name,
    data,
    task: self.task,
    scorers: self.scorers,
    trials: overrides.trials ?? self.trials,
    concurrency: overrides.concurrency ?? self.concurrency,
    timeout: self.timeout,
    overallTimeout: self.overallTimeout,
    metadata: self.metadata,
    baseline: overrides.baseline,
    dataset: fromDataset ? (self.data as string) : undefined,
    onProgress: overrides.onProgress,
    layer: self.layer,
    gate: overrides.gate
  }
}

const datasetCases = <I, X>(name: string): Stream.Stream<Eval.EvalCase<I, X>, PromptOpsError, Datasets> =>
  Stream.unwrap(Effect.map(Datasets, (datasets) => datasets.records(name) as Stream.Stream<Eval.EvalCase<I, X>, PromptOpsError>))

/**
 * Runs an evaluator with `Eval.run`.
 *
 * @since 0.1.0
 */
export const run = <I, X, A, E, R, RP = never, ROut = never, LE = never, LR = never>(
  self: Evaluator<I, X, A, E, R, ROut, LE, LR>,
  overrides: RunOverrides<RP> = {}
): Effect.Effect<
  Eval.EvalRun,
  PromptOpsError | Eval.EvalTimeout | E | LE,
  Experiments | Exclude<R | Datasets, ROut> | RP | LR
> =>
  Eval.run(toRunOptions(self, overrides))

/**
 * Runs an evaluator with `Eval.stream`: progress events ending with `Finished`.
 *
 * @since 0.1.0
 */
export const stream = <I, X, A, E, R, RP = never, ROut = never, LE = never, LR = never>(
  self: Evaluator<I, X, A, E, R, ROut, LE, LR>,
  overrides: RunOverrides<RP> = {}
): Stream.Stream<
  Eval.EvalEvent,
  PromptOpsError | Eval.EvalTimeout | E | LE,
  Experiments | Exclude<R | Datasets, ROut> | RP | LR
> =>
  Eval.stream(toRunOptions(self, overrides))
