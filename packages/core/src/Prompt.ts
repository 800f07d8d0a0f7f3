/**
 * The neutral prompt: what every backend's managed prompt decodes into, and
 * what `Prompt.render` turns into messages ready for an LLM client.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * How the message contents are templated. Braintrust uses mustache, Basalt uses
 * Jinja; `none` leaves the text untouched.
 *
 * @since 0.1.0
 */
export const TemplateFormat: Schema.Literal<["mustache", "jinja", "none"]> = Schema.Literal("mustache", "jinja", "none")
/** @since 0.1.0 */
export type TemplateFormat = typeof TemplateFormat.Type

/** @since 0.1.0 */
export const Role: Schema.Literal<["system", "user", "assistant", "tool", "developer"]> = Schema.Literal(
  "system",
  "user",
  "assistant",
  "tool",
  "developer"
)
/** @since 0.1.0 */
export type Role = typeof Role.Type

/**
 * A text part of a multi-part message.
 *
 * @since 0.1.0
 */
export const TextPart = Schema.Struct({
  type: Schema.Literal("text"),
  text: Schema.String
})
/** @since 0.1.0 */
export type TextPart = typeof TextPart.Type

/**
 * An image part; its `url` is a template too (Braintrust renders it).
 *
 * @since 0.1.0
 */
export const ImagePart = Schema.Struct({
  type: Schema.Literal("image_url"),
  url: Schema.String,
  detail: Schema.optional(Schema.Literal("auto", "low", "high"))
})
/** @since 0.1.0 */
export type ImagePart = typeof ImagePart.Type

/** @since 0.1.0 */
export const ContentPart: Schema.Union<[typeof TextPart, typeof ImagePart]> = Schema.Union(TextPart, ImagePart)
/** @since 0.1.0 */
export type ContentPart = typeof ContentPart.Type

/**
 * One message of a prompt. `content` is a template (or template parts). A
 * completion-style prompt is a single `user` message.
 *
 * @since 0.1.0
 */
export const Message = Schema.Struct({
  role: Role,
  content: Schema.Union(Schema.String, Schema.Array(ContentPart)),
  name: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type Message = typeof Message.Type

/**
 * Model parameters in neutral names. Anything else the vendor stores rides in
 * `extra`, unchanged.
 *
 * @since 0.1.0
 */
export const ModelParams = Schema.Struct({
  temperature: Schema.optional(Schema.Number),
  maxTokens: Schema.optional(Schema.Number),
  topP: Schema.optional(Schema.Number),
  frequencyPenalty: Schema.optional(Schema.Number),
  presencePenalty: Schema.optional(Schema.Number),
  stop: Schema.optional(Schema.Array(Schema.String)),
  responseFormat: Schema.optional(Schema.Unknown),
  tools: Schema.optional(Schema.Array(Schema.Unknown)),
  toolChoice: Schema.optional(Schema.Unknown),
  extra: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})
/** @since 0.1.0 */
export type ModelParams = typeof ModelParams.Type

/** @since 0.1.0 */
export const ModelSpec = Schema.Struct({
  /** e.g. `openai`, `anthropic`. */
  provider: Schema.optional(Schema.String),
  /** e.g. `gpt-4o-mini`. */
  name: Schema.String,
  params: ModelParams
})
/** @since 0.1.0 */
export type ModelSpec = typeof ModelSpec.Type

/**
 * A variable the vendor declares for a prompt (Basalt's describe endpoint).
 *
 * @since 0.1.0
 */
export const Variable = Schema.Struct({
  name: Schema.String,
  type: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type Variable = typeof Variable.Type

/**
 * Where a prompt came from. `raw` is the vendor's object, as an escape hatch.
 *
 * @since 0.1.0
 */
export const Source = Schema.Struct({
  provider: Schema.String,
  id: Schema.optional(Schema.String),
  raw: Schema.optional(Schema.Unknown)
})
/** @since 0.1.0 */
export type Source = typeof Source.Type

/**
 * A managed prompt.
 *
 * `version` is opaque: Braintrust's is a 64-bit transaction id in a string that
 * must never become a JS number; Basalt's is a semver-like label.
 *
 * @since 0.1.0
 */
export const Prompt = Schema.Struct({
  slug: Schema.String,
  name: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  version: Schema.String,
  /** Basalt tag or Braintrust environment this prompt was resolved through. */
  tag: Schema.optional(Schema.String),
  messages: Schema.Array(Message),
  model: Schema.optional(ModelSpec),
  templateFormat: TemplateFormat,
  variables: Schema.optional(Schema.Array(Variable)),
  /** A warning the vendor attached to the response; never dropped. */
  warning: Schema.optional(Schema.String),
  source: Source
})
/** @since 0.1.0 */
export type Prompt = typeof Prompt.Type

/**
 * What `PromptRegistry.push` takes: a prompt without a version (the backend
 * assigns one) and without a source.
 *
 * @since 0.1.0
 */
export const PromptDraft = Schema.Struct({
  slug: Schema.String,
  name: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  tag: Schema.optional(Schema.String),
  messages: Schema.Array(Message),
  model: Schema.optional(ModelSpec),
  templateFormat: TemplateFormat,
  variables: Schema.optional(Schema.Array(Variable))
})
/** @since 0.1.0 */
export type PromptDraft = typeof PromptDraft.Type

/**
 * One line of `Prompts.list`: enough to choose a prompt, not necessarily its body.
 *
 * @since 0.1.0
 */
export const PromptSummary = Schema.Struct({
  slug: Schema.String,
  name: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  version: Schema.optional(Schema.String),
  tags: Schema.optional(Schema.Array(Schema.String)),
  source: Source
})
/** @since 0.1.0 */
export type PromptSummary = typeof PromptSummary.Type

/**
 * A rendered message: contents are final text.
 *
 * @since 0.1.0
 */
export const RenderedMessage = Schema.Struct({
  role: Role,
  content: Schema.Union(Schema.String, Schema.Array(ContentPart)),
  name: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type RenderedMessage = typeof RenderedMessage.Type

/**
 * A prompt with its variables filled in, plus model parameters: ready to hand
 * to an LLM client.
 *
 * @since 0.1.0
 */
export const RenderedPrompt = Schema.Struct({
  slug: Schema.String,
  version: Schema.String,
  messages: Schema.Array(RenderedMessage),
  model: Schema.optional(ModelSpec),
  variables: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})
/** @since 0.1.0 */
export type RenderedPrompt = typeof RenderedPrompt.Type
