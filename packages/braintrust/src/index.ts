/**
 * @promptops/braintrust: Braintrust behind the promptops neutral services,
 * plus Braintrust-only functions and eval launch.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Braintrust from "./Braintrust.js"
/** @since 0.1.0 */
export * as BraintrustClient from "./BraintrustClient.js"
/** @since 0.1.0 */
export * as BraintrustConfig from "./BraintrustConfig.js"
/** @since 0.1.0 */
export * as BraintrustDatasets from "./BraintrustDatasets.js"
/** @since 0.1.0 */
export * as BraintrustEval from "./BraintrustEval.js"
/** @since 0.1.0 */
export * as BraintrustEvalSchema from "./BraintrustEvalSchema.js"
/** @since 0.1.0 */
export * as BraintrustExperiments from "./BraintrustExperiments.js"
/** @since 0.1.0 */
export * as BraintrustFeedback from "./BraintrustFeedback.js"
/** @since 0.1.0 */
export * as BraintrustFunctions from "./BraintrustFunctions.js"
/** @since 0.1.0 */
export * as BraintrustPrompts from "./BraintrustPrompts.js"
/** @since 0.1.0 */
export * as BraintrustSchema from "./BraintrustSchema.js"
/** @since 0.1.0 */
export * as BraintrustSpanSink from "./BraintrustSpanSink.js"
/** @since 0.1.0 */
export * as BraintrustTraceReader from "./BraintrustTraceReader.js"
/** @since 0.1.0 */
export * as BraintrustVersion from "./BraintrustVersion.js"
