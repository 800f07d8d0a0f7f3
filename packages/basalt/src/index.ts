/**
 * @promptops/basalt: Basalt behind the promptops neutral services.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Basalt from "./Basalt.js"
/** @since 0.1.0 */
export * as BasaltClient from "./BasaltClient.js"
/** @since 0.1.0 */
export * as BasaltConfig from "./BasaltConfig.js"
/** @since 0.1.0 */
export * as BasaltDatasets from "./BasaltDatasets.js"
/** @since 0.1.0 */
export * as BasaltDatasetsExtra from "./BasaltDatasetsExtra.js"
/** @since 0.1.0 */
export * as BasaltExperiments from "./BasaltExperiments.js"
/** @since 0.1.0 */
export * as BasaltPrompts from "./BasaltPrompts.js"
/** @since 0.1.0 */
export * as BasaltPromptsExtra from "./BasaltPromptsExtra.js"
/** @since 0.1.0 */
export * as BasaltSchema from "./BasaltSchema.js"
/** @since 0.1.0 */
export * as BasaltSpanSink from "./BasaltSpanSink.js"
/** @since 0.1.0 */
export * as BasaltWarning from "./BasaltWarning.js"
