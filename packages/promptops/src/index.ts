/**
 * promptops: one import for Effect apps. The whole core API (prompts, evals,
 * traces, the neutral services and their errors), plus `PromptOps`, which
 * picks the backend from configuration.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * from "@promptops/core"
/** @since 0.1.0 */
export * as PromptOps from "./PromptOps.js"
/** @since 0.1.0 */
export * as Evaluator from "./Evaluator.js"
