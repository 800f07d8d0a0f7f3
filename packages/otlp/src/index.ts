/**
 * @promptops/otlp: promptops spans over OTLP/HTTP (protobuf or JSON) or
 * OTLP/gRPC, in the OpenTelemetry GenAI semantic conventions, to a Collector
 * or any OTLP backend, with presets for Braintrust, Langfuse, LangSmith,
 * Phoenix and Basalt.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as OtlpConfig from "./OtlpConfig.js"
/** @since 0.1.0 */
export * as OtlpIngest from "./OtlpIngest.js"
/** @since 0.1.0 */
export * as OtlpSpanSink from "./OtlpSpanSink.js"
