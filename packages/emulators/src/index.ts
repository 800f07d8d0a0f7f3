/**
 * @since 0.1.0
 */
export * as AnthropicEmulator from "./AnthropicEmulator.js"

/**
 * @since 0.1.0
 */
export * as BasaltEmulator from "./BasaltEmulator.js"

/**
 * @since 0.1.0
 */
export * as BraintrustEmulator from "./BraintrustEmulator.js"

/**
 * @since 0.1.0
 */
export * as EmulatorServer from "./EmulatorServer.js"

/**
 * @since 0.1.0
 */
export * as Faults from "./Faults.js"

/**
 * @since 0.1.0
 */
export * as OpenAiEmulator from "./OpenAiEmulator.js"

/**
 * @since 0.1.0
 */
export * as OpenApiValidator from "./OpenApiValidator.js"

/**
 * @since 0.1.0
 */
export * as OtlpReceiver from "./OtlpReceiver.js"
