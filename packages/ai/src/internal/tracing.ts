/**
 * The span transformer that records `@effect/ai`'s own `LanguageModel.*`
 * spans as promptops `llm` spans, optionally linked to a managed prompt.
 */
import type * as Prompt from "@effect/ai/Prompt"
import type * as Response from "@effect/ai/Response"
import type * as Telemetry from "@effect/ai/Telemetry"
import type { Usage } from "@promptops/core/Experiment"
import * as Trace from "@promptops/core/Trace"
import type * as Tracer from "effect/Tracer"
import { fromAiPrompt, outputOf } from "./aiPrompt.js"

// The keys core's tracer reads (core keeps its attribute module internal).
const KIND = "promptops.kind"
const NAME = "promptops.name"
const OMIT = "promptops.omit"
const GEN_AI_SYSTEM = "gen_ai.system"
const GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
const GEN_AI_OPERATION = "gen_ai.operation.name"
const GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
const GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
const GEN_AI_PROMPT_NAME = "gen_ai.prompt.name"
const GEN_AI_PROMPT_VERSION = "gen_ai.prompt.version"

/**
 * `@effect/ai`'s internals on its spans: the call's `concurrency`,
 * `toolChoice` and `generateObject`'s `objectName` options (written when the
 * span opens, so only the record can leave them out) and the deprecated
 * `gen_ai.system`, superseded by `gen_ai.provider.name`.
 */
export const OMITTED: ReadonlyArray<string> = ["concurrency", "toolChoice", "objectName", GEN_AI_SYSTEM]

/** The managed prompt a call ran. */
export interface Link {
  readonly slug: string
  readonly version: string
}

export interface Options {
  readonly link?: Link | undefined
  /** The provider name when the provider does not write `gen_ai.system` (a mock model). */
  readonly provider?: string | undefined
  /** The request model when the provider does not write one. */
  readonly model?: string | undefined
}

/** Marks transformers of this module, so a link does not run ours twice. */
export const OURS: unique symbol = Symbol.for("@promptops/ai/AiTracing/transformer")

export type Ours = Telemetry.SpanTransformer & { readonly [OURS]: true }

export const make = (options: Options = {}): Ours => {
  const transformer = (
    request: Parameters<Telemetry.SpanTransformer>[0]
  ): void => record(request.span, request.prompt, request.response, options)
  return Object.assign(transformer, { [OURS]: true as const })
}

export const isOurs = (transformer: Telemetry.SpanTransformer): transformer is Ours =>
  (transformer as Partial<Ours>)[OURS] === true

const record = (
  span: Tracer.Span,
  prompt: Prompt.Prompt,
  response: ReadonlyArray<Response.AllParts<any>>,
  options: Options
): void => {
  const attributes = span.attributes
  let finish: Response.FinishPart | undefined
  let responseModel: string | undefined
  for (const part of response) {
    if (part.type === "finish") finish = part
    else if (part.type === "response-metadata" && part.modelId._tag === "Some") responseModel = part.modelId.value
  }
  const usage = finish === undefined ? undefined : usageOf(finish.usage)
  Trace.annotateSpan(span, {
    input: fromAiPrompt(prompt),
    output: outputOf(response as ReadonlyArray<Response.AnyPart>),
    ...(usage === undefined ? {} : { usage })
  })
  span.attribute(KIND, "llm")
  span.attribute(GEN_AI_OPERATION, "chat")
  const provider = attributes.get(GEN_AI_SYSTEM) ?? options.provider
  if (provider !== undefined) span.attribute(GEN_AI_PROVIDER_NAME, provider)
  if (!attributes.has(GEN_AI_REQUEST_MODEL) && options.model !== undefined) {
    span.attribute(GEN_AI_REQUEST_MODEL, options.model)
  }
  if (!attributes.has(GEN_AI_RESPONSE_MODEL) && responseModel !== undefined) {
    span.attribute(GEN_AI_RESPONSE_MODEL, responseModel)
  }
  if (options.link !== undefined) {
    span.attribute(GEN_AI_PROMPT_NAME, options.link.slug)
    span.attribute(GEN_AI_PROMPT_VERSION, options.link.version)
    span.attribute(NAME, options.link.slug)
  }
  span.attribute(OMIT, OMITTED)
}

const usageOf = (usage: Response.Usage): Usage | undefined => {
  const out: { promptTokens?: number; completionTokens?: number; totalTokens?: number } = {}
  if (usage.inputTokens !== undefined) out.promptTokens = usage.inputTokens
  if (usage.outputTokens !== undefined) out.completionTokens = usage.outputTokens
  if (usage.totalTokens !== undefined) out.totalTokens = usage.totalTokens
  return Object.keys(out).length === 0 ? undefined : out
}
