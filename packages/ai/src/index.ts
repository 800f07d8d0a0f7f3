/**
 * @promptops/ai: promptops for apps that call models through `@effect/ai`.
 *
 * The provider bindings live in subpath modules (`@promptops/ai/OpenAi`,
 * `@promptops/ai/Anthropic`) so an app loads only the provider it uses.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as AiPrompt from "./AiPrompt.js"

/**
 * @since 0.1.0
 */
export * as AiTracing from "./AiTracing.js"

/**
 * @since 0.1.0
 */
export * as JudgePolicy from "./JudgePolicy.js"

/**
 * @since 0.1.0
 */
export * as Judges from "./Judges.js"

/**
 * @since 0.1.0
 */
export * as ManagedPrompt from "./ManagedPrompt.js"

/**
 * @since 0.1.0
 */
export * as ModelOptions from "./ModelOptions.js"

/**
 * @since 0.1.0
 */
export * as Similarity from "./Similarity.js"
