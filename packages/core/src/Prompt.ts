/**
 * The neutral prompt: what every backend's managed prompt decodes into, and
 * what `Prompt.render` turns into messages ready for an LLM client.
 *
 * @since 0.1.0
 */
import { Effect, Either, Schema } from "effect"
import { isPlainObject } from "./Json.js"
import * as Records from "./Records.js"
import type { TemplateError } from "./PromptOpsError.js"
import * as Template from "./Template.js"

/**
 * How the message contents are templated (declared in `Template`, beside the
 * renderer, so that `Template` needs nothing from this module).
 *
 * @since 0.1.0
 */
export const TemplateFormat: Schema.Literal<["mustache", "jinja", "nunjucks", "none"]> = Template.TemplateFormat
/** @since 0.1.0 */
export type TemplateFormat = Template.TemplateFormat

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

/**
 * A file part (a PDF, …): `data` (usually a `data:` URL), a vendor `fileId`,
 * and a `filename`; each one a template too (Braintrust renders them).
 *
 * @since 0.1.0
 */
export const FilePart = Schema.Struct({
  type: Schema.Literal("file"),
  data: Schema.optional(Schema.String),
  fileId: Schema.optional(Schema.String),
  filename: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type FilePart = typeof FilePart.Type

/** @since 0.1.0 */
export const ContentPart: Schema.Union<[typeof TextPart, typeof ImagePart, typeof FilePart]> = Schema.Union(
  TextPart,
  ImagePart,
  FilePart
)
/** @since 0.1.0 */
export type ContentPart = typeof ContentPart.Type

/**
 * A function call an assistant message made: its `id` (which a later `tool`
 * message answers with `toolCallId`), the function's `name` and its
 * `arguments` as JSON text. All three are templates (Braintrust renders them).
 *
 * @since 0.1.0
 */
export const ToolCall = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  arguments: Schema.String
})
/** @since 0.1.0 */
export type ToolCall = typeof ToolCall.Type

/**
 * One message of a prompt. `content` is a template (or template parts). A
 * completion-style prompt is a single `user` message. An `assistant` message
 * may carry `toolCalls`; a `tool` message answers one of them by `toolCallId`
 * (a template too).
 *
 * @since 0.1.0
 */
export const Message = Schema.Struct({
  role: Role,
  content: Schema.Union(Schema.String, Schema.Array(ContentPart)),
  name: Schema.optional(Schema.String),
  toolCalls: Schema.optional(Schema.Array(ToolCall)),
  toolCallId: Schema.optional(Schema.String)
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
  extra: Schema.optional(Records.Unknown),
  /**
   * Parameters only the vendor reads, never the LLM (Braintrust's
   * `use_cache`, `reasoning_enabled`, `reasoning_budget`): kept when a prompt
   * is read, pulled or pushed, and left out of a rendered prompt's model, as
   * the vendor's SDK leaves them out.
   */
  vendor: Schema.optional(Records.Unknown)
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
  /** A tag (Braintrust: environment) to point at the stored version. */
  tag: Schema.optional(Schema.String),
  /** More tags to point at the stored version, besides `tag` (a prompt file's tags on its latest version). */
  tags: Schema.optional(Schema.Array(Schema.String)),
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
  /**
   * The tags (Braintrust: environments) the prompt may be resolved through
   * with `get(slug, { tag })`. Braintrust's environments belong to the
   * organisation, so there it lists them all: a `get` through one that holds
   * no version of the prompt is `NotFound`.
   */
  tags: Schema.optional(Schema.Array(Schema.String)),
  /**
   * The latest version in full, when the listing returned it (Braintrust's
   * does): `get(slug)` would answer the same, so callers that need every
   * prompt's body (`prompts pull`, `migrate`) use it rather than asking again.
   */
  prompt: Schema.optional(Prompt),
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
  name: Schema.optional(Schema.String),
  toolCalls: Schema.optional(Schema.Array(ToolCall)),
  toolCallId: Schema.optional(Schema.String)
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
 * Renders a prompt with its `templateFormat`, as the vendor's SDK does:
 *
 * - every message: string contents, text parts, image urls, a file part's
 *   `data`, `fileId` and `filename` (an empty one is left out), each tool
 *   call's `id`, `name` and `arguments`, and a tool message's `toolCallId`;
 *   in Braintrust's formats an image url that is just `{{ path }}`, with a
 *   list of http(s) URLs there, becomes one image part per URL;
 * - for `mustache` and `nunjucks` (Braintrust's formats) the model's `tools`
 *   (every key and string value of every tool definition) and, for a
 *   `{ type: "json_schema" }` `responseFormat`, every string value of its
 *   `json_schema.schema` (a schema given as a string is rendered, then read as
 *   JSON: empty is `null`, invalid JSON stays a string), as Braintrust's
 *   `Prompt.build` does. Basalt's SDK renders neither, so `jinja` leaves them.
 *
 * The rendered model leaves out `params.vendor` (parameters only the vendor
 * reads; Braintrust's SDK strips them too).
 *
 * Variables, by format:
 * - `mustache` and `nunjucks` (Braintrust): the template sees
 *   `{ input: variables, ...variables }` when `variables` is a record, else
 *   `{ input: variables }`, as Braintrust's `prompt.build` does, so
 *   `{{input}}` is the whole argument and `{{input.x}}` / `{{x}}` its fields.
 * - `jinja` (Basalt): the template sees `variables` itself; it must be a
 *   record (`undefined` or `null` means none). As Basalt's SDK builds its
 *   chat messages, a rendered system or user text is trimmed, and left out
 *   when it is empty.
 * - `none`: nothing is rendered and any `variables` are accepted.
 *
 * `RenderedPrompt.variables` holds `variables` when it is a record, `{}` for
 * `undefined`, and `{ input: variables }` otherwise.
 *
 * In strict mode the variables missing from all messages, tools and the
 * response format are reported together, in one `TemplateError` listing each
 * path once and naming where they are used. A template that does not parse
 * fails with a `TemplateError` naming where it is.
 *
 * @since 0.1.0
 */
export const render = (
  prompt: Prompt,
  variables: Record<string, unknown> | unknown,
  options?: { readonly strict?: boolean | undefined }
): Effect.Effect<RenderedPrompt, TemplateError> => Effect.suspend(() => renderPrompt(prompt, variables, options))

/** The model as an LLM gets it: without the parameters only the vendor reads. */
const modelForLlm = (model: ModelSpec): ModelSpec => {
  if (model.params.vendor === undefined) return model
  const { vendor: _vendor, ...params } = model.params
  return { ...model, params }
}

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
  const done = (messages: ReadonlyArray<RenderedMessage>, model: ModelSpec | undefined): RenderedPrompt => ({
    slug: prompt.slug,
    version: prompt.version,
    messages,
    ...(model === undefined ? {} : { model: modelForLlm(model) }),
    variables: supplied
  })
  if (format === "none") return Either.right(done(prompt.messages, prompt.model))

  const braintrust = format === "mustache" || format === "nunjucks"
  let view: Record<string, unknown>
  if (braintrust) {
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

  const part = (item: ContentPart, where: string): ReadonlyArray<ContentPart> => {
    switch (item.type) {
      case "text":
        return [{ ...item, text: field(item.text, `${where}.text`) }]
      case "image_url": {
        const urls = braintrust ? imageUrlList(item.url, view) : undefined
        if (urls !== undefined) return urls.map((url): ContentPart => ({ type: "image_url", url }))
        return [{ ...item, url: field(item.url, `${where}.url`) }]
      }
      case "file": {
        // As Braintrust's SDK: an empty field is left out.
        const { data, fileId, filename, ...rest } = item
        return [{
          ...rest,
          ...(data !== undefined && data !== "" ? { data: field(data, `${where}.data`) } : {}),
          ...(fileId !== undefined && fileId !== "" ? { fileId: field(fileId, `${where}.fileId`) } : {}),
          ...(filename !== undefined && filename !== "" ? { filename: field(filename, `${where}.filename`) } : {})
        }]
      }
    }
  }

  const messages = prompt.messages.map((message, index): RenderedMessage => {
    const where = `messages[${index}]`
    const content = typeof message.content === "string"
      ? field(message.content, `${where}.content`)
      : message.content.flatMap((item, partIndex) => part(item, `${where}.content[${partIndex}]`))
    return {
      ...message,
      content,
      ...(message.toolCalls !== undefined
        ? {
          toolCalls: message.toolCalls.map((call, callIndex): ToolCall => ({
            id: field(call.id, `${where}.toolCalls[${callIndex}].id`),
            name: field(call.name, `${where}.toolCalls[${callIndex}].name`),
            arguments: field(call.arguments, `${where}.toolCalls[${callIndex}].arguments`)
          }))
        }
        : {}),
      ...(message.toolCallId !== undefined ? { toolCallId: field(message.toolCallId, `${where}.toolCallId`) } : {})
    }
  })

  // Braintrust renders the tools' JSON text as one template; each key and
  // string is rendered here instead, so a value holding a quote keeps the
  // definitions valid (see the README's differences from the vendor's SDK).
  const deep = (value: unknown, where: string, keys: boolean): unknown => {
    if (typeof value === "string") return field(value, where)
    if (Array.isArray(value)) return value.map((item, i) => deep(item, `${where}[${i}]`, keys))
    if (isPlainObject(value)) {
      const out: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(value)) {
        const name = keys ? field(key, `${where} key ${JSON.stringify(key)}`) : key
        Records.set(out, name, deep(item, `${where}.${key}`, keys))
      }
      return out
    }
    return value
  }

  let model = prompt.model
  if (braintrust && model !== undefined) {
    const params = model.params
    const tools = params.tools === undefined
      ? undefined
      : params.tools.map((tool, i) => deep(tool, `model.params.tools[${i}]`, true))
    const responseFormat = renderResponseFormat(params.responseFormat, (schema) => {
      const where = "model.params.responseFormat.json_schema.schema"
      if (typeof schema !== "string") return deep(schema, where, false)
      const text = field(schema, where)
      if (text.trim() === "") return null
      try {
        return JSON.parse(text)
      } catch {
        return text
      }
    })
    model = {
      ...model,
      params: {
        ...params,
        ...(tools !== undefined ? { tools } : {}),
        ...(responseFormat !== undefined ? { responseFormat } : {})
      }
    }
  }

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
  return Either.right(done(format === "jinja" ? basaltChat(messages) : messages, model))
}

/**
 * Basalt's SDK (`buildChatMessages`) trims the rendered system and user
 * texts and leaves out those that end up empty.
 */
const basaltChat = (messages: ReadonlyArray<RenderedMessage>): ReadonlyArray<RenderedMessage> =>
  messages.flatMap((message) => {
    if ((message.role !== "system" && message.role !== "user") || typeof message.content !== "string") return [message]
    const content = message.content.trim()
    return content === "" ? [] : [{ ...message, content }]
  })

/**
 * Braintrust's SDK turns an image part whose url is just `{{ path }}`, where
 * `path` holds a list of http(s) URLs, into one image part per URL (no
 * detail); `undefined` when the url is anything else.
 */
const imageUrlList = (url: string, view: Record<string, unknown>): ReadonlyArray<string> | undefined => {
  const match = /^\{\{\s*([\w.]+)\s*\}\}$/.exec(url)
  if (match === null) return undefined
  let value: unknown = view
  for (const segment of match[1]!.split(".")) {
    if (typeof value !== "object" || value === null) return undefined
    value = Object.hasOwn(value, segment) ? (value as Record<string, unknown>)[segment] : undefined
  }
  if (!Array.isArray(value) || !value.every(isHttpUrl)) return undefined
  return value as ReadonlyArray<string>
}

const isHttpUrl = (u: unknown): boolean => {
  if (typeof u !== "string") return false
  try {
    const parsed = new URL(u.trim())
    return parsed.protocol === "http:" || parsed.protocol === "https:"
  } catch {
    return false
  }
}

/**
 * A `{ type: "json_schema", json_schema: { name, schema } }` response format
 * with its schema rendered; anything else unchanged (Braintrust renders
 * nothing else).
 */
const renderResponseFormat = (format: unknown, schema: (schema: unknown) => unknown): unknown => {
  if (!isPlainObject(format) || format["type"] !== "json_schema") return format
  const jsonSchema = format["json_schema"]
  if (!isPlainObject(jsonSchema) || typeof jsonSchema["name"] !== "string") return format
  return { ...format, json_schema: { ...jsonSchema, schema: schema(jsonSchema["schema"]) } }
}

/** Whether a format renders the model's tools and response format (Braintrust's formats do). */
const rendersModel = (format: TemplateFormat): boolean => format === "mustache" || format === "nunjucks"

/**
 * What would render differently if a prompt written for its `templateFormat`
 * were rendered as `to`, one line per construct, each prefixed with where it
 * is (`messages[0].content: …`). Empty when every template renders the same,
 * so the prompt may simply be relabelled. See `Template.conversionDifferences`.
 *
 * @since 0.1.0
 */
export const formatDifferences = (
  prompt: Pick<PromptDraft, "messages" | "model" | "templateFormat">,
  to: TemplateFormat
): ReadonlyArray<string> => {
  const from = prompt.templateFormat
  if (from === to) return []
  const out: Array<string> = []
  const check = (text: string, where: string, source: TemplateFormat, target: TemplateFormat) => {
    for (const difference of Template.conversionDifferences(text, source, target)) out.push(`${where}: ${difference}`)
  }
  prompt.messages.forEach((message, index) => {
    const where = `messages[${index}]`
    if (typeof message.content === "string") check(message.content, `${where}.content`, from, to)
    else {
      message.content.forEach((part, partIndex) => {
        const at = `${where}.content[${partIndex}]`
        if (part.type === "text") check(part.text, `${at}.text`, from, to)
        else if (part.type === "image_url") check(part.url, `${at}.url`, from, to)
        else {
          for (const key of ["data", "fileId", "filename"] as const) {
            const value = part[key]
            if (value !== undefined) check(value, `${at}.${key}`, from, to)
          }
        }
      })
    }
    message.toolCalls?.forEach((call, callIndex) => {
      for (const key of ["id", "name", "arguments"] as const) {
        check(call[key], `${where}.toolCalls[${callIndex}].${key}`, from, to)
      }
    })
    if (message.toolCallId !== undefined) check(message.toolCallId, `${where}.toolCallId`, from, to)
  })
  // Tools and response formats are templates only in Braintrust's formats.
  const source: TemplateFormat = rendersModel(from) ? from : "none"
  const target: TemplateFormat = rendersModel(to) ? to : "none"
  if (prompt.model !== undefined && source !== target) {
    const strings = (value: unknown, where: string): void => {
      if (typeof value === "string") check(value, where, source, target)
      else if (Array.isArray(value)) value.forEach((item, i) => strings(item, `${where}[${i}]`))
      else if (isPlainObject(value)) {
        for (const [key, item] of Object.entries(value)) {
          check(key, `${where} key ${JSON.stringify(key)}`, source, target)
          strings(item, `${where}.${key}`)
        }
      }
    }
    strings(prompt.model.params.tools, "model.params.tools")
    strings(prompt.model.params.responseFormat, "model.params.responseFormat")
  }
  return out
}
