/**
 * Span attribute keys promptops reads when it turns an Effect span into a
 * `SpanRecord`. `Trace` helpers and `Eval.run` write them; `Tracing` reads them.
 * The `gen_ai.*` keys are the OpenTelemetry GenAI conventions `@effect/ai` uses.
 */

/** `SpanKind`: llm, task, tool, retrieval, function, eval, score, span. */
export const KIND = "promptops.kind"
export const INPUT = "promptops.input"
export const OUTPUT = "promptops.output"
export const EXPECTED = "promptops.expected"
/** An object merged into the record's metadata. */
export const METADATA = "promptops.metadata"
/** `Record<string, number | null>` merged into the record's scores. */
export const SCORES = "promptops.scores"
/** `Record<string, number>` merged into the record's metrics. */
export const METRICS = "promptops.metrics"
export const TAGS = "promptops.tags"
/** Routes this span and its descendants to an experiment instead of the project logs. */
export const EXPERIMENT_ID = "promptops.experiment_id"
/**
 * The record's name, overriding the span's: a library names its spans after
 * its own calls (`@effect/ai`: `LanguageModel.generateText`), while the
 * record of a managed prompt's call is named after the prompt.
 */
export const NAME = "promptops.name"
/**
 * Attribute keys the record leaves out: for an instrumented library's spans
 * whose internal attributes (`@effect/ai`'s `concurrency`, `toolChoice`) the
 * code that annotates the span cannot remove, since a span has no delete.
 */
export const OMIT = "promptops.omit"

/** Deprecated by the GenAI conventions in favour of `gen_ai.provider.name`; `@effect/ai` still writes it. */
export const GEN_AI_SYSTEM = "gen_ai.system"
/** The current GenAI name of the provider (`openai`, `anthropic`, …). */
export const GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
/** The managed prompt a call ran: its slug, and its version. */
export const GEN_AI_PROMPT_NAME = "gen_ai.prompt.name"
export const GEN_AI_PROMPT_VERSION = "gen_ai.prompt.version"
export const GEN_AI_OPERATION = "gen_ai.operation.name"
export const GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
export const GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
export const GEN_AI_INPUT_TOKENS = "gen_ai.usage.input_tokens"
export const GEN_AI_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
/** Older name of input tokens, still emitted by some instrumentations. */
export const GEN_AI_PROMPT_TOKENS = "gen_ai.usage.prompt_tokens"
export const GEN_AI_COMPLETION_TOKENS = "gen_ai.usage.completion_tokens"
