/**
 * @promptops/local: the embedded promptops backend — prompts as code, datasets
 * from JSONL/CSV files, and experiments, spans and feedback in SQLite.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as DatasetFile from "./DatasetFile.js"
/** @since 0.1.0 */
export * as Local from "./Local.js"
/** @since 0.1.0 */
export * as LocalConfig from "./LocalConfig.js"
/** @since 0.1.0 */
export * as LocalDatasets from "./LocalDatasets.js"
/** @since 0.1.0 */
export * as LocalExperiments from "./LocalExperiments.js"
/** @since 0.1.0 */
export * as LocalFeedback from "./LocalFeedback.js"
/** @since 0.1.0 */
export * as LocalPrompts from "./LocalPrompts.js"
/** @since 0.1.0 */
export * as LocalSpanSink from "./LocalSpanSink.js"
/** @since 0.1.0 */
export * as LocalStore from "./LocalStore.js"
/** @since 0.1.0 */
export * as LocalTraceReader from "./LocalTraceReader.js"
/** @since 0.1.0 */
export * as LocalView from "./LocalView.js"
/** @since 0.1.0 */
export * as PromptFile from "./PromptFile.js"
