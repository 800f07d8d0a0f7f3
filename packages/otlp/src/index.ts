/**
 * @promptops/otlp: promptops spans over OTLP/HTTP (protobuf or JSON), in the
 * OpenTelemetry GenAI semantic conventions, to a Collector or any OTLP
 * backend, with presets for Braintrust, Langfuse, LangSmith and Phoenix.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as OtlpConfig from "./OtlpConfig.js"
/** @since 0.1.0 */
export * as OtlpSpanSink from "./OtlpSpanSink.js"
