/**
 * @promptops/core: provider-neutral prompts, evals and traces for Effect.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Dataset from "./Dataset.js"
/** @since 0.1.0 */
export * as Datasets from "./Datasets.js"
/** @since 0.1.0 */
export * as Experiment from "./Experiment.js"
/** @since 0.1.0 */
export * as Experiments from "./Experiments.js"
/** @since 0.1.0 */
export * as Feedback from "./Feedback.js"
/** @since 0.1.0 */
export * as Ids from "./Ids.js"
/** @since 0.1.0 */
export * as Json from "./Json.js"
/** @since 0.1.0 */
export * as Prompt from "./Prompt.js"
/** @since 0.1.0 */
export * as PromptDiff from "./PromptDiff.js"
/** @since 0.1.0 */
export * as PromptOpsError from "./PromptOpsError.js"
/** @since 0.1.0 */
export * as ProviderConfig from "./ProviderConfig.js"
/** @since 0.1.0 */
export * as PromptRegistry from "./PromptRegistry.js"
/** @since 0.1.0 */
export * as Prompts from "./Prompts.js"
/** @since 0.1.0 */
export * as Records from "./Records.js"
/** @since 0.1.0 */
export * as SpanRecord from "./SpanRecord.js"
/** @since 0.1.0 */
export * as SpanSink from "./SpanSink.js"
/** @since 0.1.0 */
export * as TraceReader from "./TraceReader.js"
/** @since 0.1.0 */
export * as Summary from "./Summary.js"
/** @since 0.1.0 */
export * as Scorers from "./Scorers.js"
/** @since 0.1.0 */
export * as PromptCache from "./PromptCache.js"
/** @since 0.1.0 */
export * as Memory from "./Memory.js"
/** @since 0.1.0 */
export * as Testing from "./Testing.js"
/** @since 0.1.0 */
export * as ProviderHttp from "./ProviderHttp.js"
/** @since 0.1.0 */
export * as RetryPolicy from "./RetryPolicy.js"
/** @since 0.1.0 */
export * as Template from "./Template.js"
/** @since 0.1.0 */
export * as TextTable from "./TextTable.js"
/** @since 0.1.0 */
export * as Eval from "./Eval.js"
/** @since 0.1.0 */
export * as Trace from "./Trace.js"
/** @since 0.1.0 */
export * as Tracing from "./Tracing.js"
