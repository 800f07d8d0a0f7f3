/**
 * The neutral prompt: what every backend's managed prompt decodes into, and
 * what `Prompt.render` turns into messages ready for an LLM client.
 *
 * @since 0.1.0
 */
import { Effect, Either, Schema } from "effect"
import * as Records from "./Records.js"
import type { TemplateError } from "./PromptOpsError.js"
import * as Template from "./Template.js"

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
  extra: Schema.optional(Records.Unknown)
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
  variables: Records.Unknown
})
/** @since 0.1.0 */
export type RenderedPrompt = typeof RenderedPrompt.Type

/**
 * Whether `u` counts as a record of variables: any object but an array, a
 * date, a map, a set or a promise (what Braintrust's `z.record` accepts).
 */
const isVariableRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u) && !(u instanceof Date) && !(u instanceof Map) &&
  !(u instanceof Set) && !(u instanceof Promise)

/**
 * Renders every message of a prompt with its `templateFormat`: string
 * contents, text parts and image urls. The model spec passes through as it is
 * (a `responseFormat` holding template strings is not rendered).
 *
 * Variables, by format:
 * - `mustache` (Braintrust): the template sees `{ input: variables, ...variables }`
 *   when `variables` is a record, else `{ input: variables }`, as Braintrust's
 *   `prompt.build` does, so `{{input}}` is the whole argument and
 *   `{{input.x}}` / `{{x}}` its fields.
 * - `jinja` (Basalt): the template sees `variables` itself; it must be a
 *   record (`undefined` or `null` means none).
 * - `none`: nothing is rendered and any `variables` are accepted.
 *
 * `RenderedPrompt.variables` holds `variables` when it is a record, `{}` for
 * `undefined`, and `{ input: variables }` otherwise.
 *
 * In strict mode the variables missing from all messages are reported
 * together, in one `TemplateError` listing each path once. A template that
 * does not parse fails with a `TemplateError` naming the message it is in.
 *
 * @since 0.1.0
 */
export const render = (
  prompt: Prompt,
  variables: Record<string, unknown> | unknown,
  options?: { readonly strict?: boolean | undefined }
): Effect.Effect<RenderedPrompt, TemplateError> => Effect.suspend(() => renderPrompt(prompt, variables, options))

const renderPrompt = (
  prompt: Prompt,
  variables: unknown,
  options: { readonly strict?: boolean | undefined } | undefined
): Either.Either<RenderedPrompt, TemplateError> => {
  const format = prompt.templateFormat
  const supplied: Record<string, unknown> = isVariableRecord(variables)
    ? variables
    : variables === undefined
    ? {}
    : { input: variables }
  const done = (messages: ReadonlyArray<RenderedMessage>): RenderedPrompt => ({
    slug: prompt.slug,
    version: prompt.version,
    messages,
    ...(prompt.model === undefined ? {} : { model: prompt.model }),
    variables: supplied
  })
  if (format === "none") return Either.right(done(prompt.messages))

  let view: Record<string, unknown>
  if (format === "mustache") {
    view = isVariableRecord(variables) ? { input: variables, ...variables } : { input: variables }
  } else if (isVariableRecord(variables)) {
    view = variables
  } else if (variables === undefined || variables === null) {
    view = {}
  } else {
    return Either.left(
      Template.invalidError(
        format,
        `jinja prompt "${prompt.slug}" takes a record of variables, got ${
          Array.isArray(variables) ? "an array" : typeof variables
        }`,
        "Prompt.render"
      )
    )
  }

  const renderOptions: Template.RenderOptions = { format, strict: options?.strict === true }
  const missing = new Set<string>()
  const missingIn: Array<string> = []
  let invalid: TemplateError | undefined
  const field = (text: string, where: string): string => {
    if (invalid !== undefined) return text
    const outcome = Template.renderOutcome(text, view, renderOptions)
    switch (outcome._tag) {
      case "Rendered":
        return outcome.text
      case "Missing":
        for (const name of outcome.missing) missing.add(name)
        missingIn.push(where)
        return text
      case "Invalid":
        invalid = Template.invalidError(format, `${where}: ${outcome.description}`, "Prompt.render")
        return text
    }
  }

  const messages = prompt.messages.map((message, index): RenderedMessage => {
    const where = `messages[${index}].content`
    const content = typeof message.content === "string"
      ? field(message.content, where)
      : message.content.map((part, partIndex): ContentPart =>
        part.type === "text"
          ? { ...part, text: field(part.text, `${where}[${partIndex}].text`) }
          : { ...part, url: field(part.url, `${where}[${partIndex}].url`) }
      )
    return { ...message, content }
  })

  if (invalid !== undefined) return Either.left(invalid)
  if (missing.size > 0) {
    return Either.left(
      Template.missingError(
        format,
        Array.from(missing),
        "Prompt.render",
        `prompt "${prompt.slug}" (${missingIn.join(", ")})`
      )
    )
  }
  return Either.right(done(messages))
}
