/**
 * The conversion between promptops' rendered messages and `@effect/ai`'s
 * `Prompt`, both ways, and the neutral form of a model's response.
 */
import * as AiPrompt from "@effect/ai/Prompt"
import type * as Response from "@effect/ai/Response"
import type { ContentPart, RenderedMessage, ToolCall } from "@promptops/core/Prompt"
import { InvalidInput } from "@promptops/core/PromptOpsError"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** Thrown inside the walk and caught once at its edge: the walk is plain loops. */
class Invalid {
  constructor(readonly path: string, readonly description: string) {}
}

const invalid = (path: string, description: string): never => {
  throw new Invalid(path, description)
}

export const toAiPrompt = (
  messages: ReadonlyArray<RenderedMessage>,
  operation: string
): Either.Either<AiPrompt.Prompt, InvalidInput> => {
  try {
    return Either.right(AiPrompt.fromMessages(convertMessages(messages)))
  } catch (error) {
    if (error instanceof Invalid) {
      return Either.left(
        new InvalidInput({ provider: "promptops", operation, description: error.description, path: error.path })
      )
    }
    throw error
  }
}

const convertMessages = (messages: ReadonlyArray<RenderedMessage>): Array<AiPrompt.Message> => {
  const out: Array<AiPrompt.Message> = []
  // Tool names by call id: a promptops tool message names only the call it answers.
  const toolNames = new Map<string, string>()
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!
    const at = `messages[${i}]`
    switch (message.role) {
      case "system":
      case "developer":
        // @effect/ai 0.37 has no developer role: both are system messages (the
        // OpenAI provider sends them as `developer` to reasoning models).
        out.push(AiPrompt.systemMessage({ content: textOf(message.content, `${at}.content`) }))
        break
      case "user":
        out.push(AiPrompt.userMessage({ content: userParts(message.content, `${at}.content`) }))
        break
      case "assistant": {
        const content: Array<AiPrompt.AssistantMessagePart> = []
        const text = textOf(message.content, `${at}.content`)
        if (text !== "") content.push(AiPrompt.textPart({ text }))
        const calls = message.toolCalls ?? []
        for (let j = 0; j < calls.length; j++) {
          const call = calls[j]!
          toolNames.set(call.id, call.name)
          content.push(AiPrompt.toolCallPart({
            id: call.id,
            name: call.name,
            params: parseArguments(call.arguments, `${at}.toolCalls[${j}].arguments`),
            providerExecuted: false
          }))
        }
        out.push(AiPrompt.assistantMessage({ content }))
        break
      }
      case "tool": {
        const id = message.toolCallId ?? invalid(`${at}.toolCallId`, "a tool message needs the id of the call it answers")
        const name = toolNames.get(id) ??
          invalid(`${at}.toolCallId`, `no earlier assistant message made a tool call with id ${JSON.stringify(id)}`)
        out.push(AiPrompt.toolMessage({
          content: [AiPrompt.toolResultPart({
            id,
            name,
            isFailure: false,
            result: toolResult(textOf(message.content, `${at}.content`)),
            providerExecuted: false
          })]
        }))
        break
      }
    }
  }
  return out
}

/** The text of a content that may only hold text (system, assistant, tool). */
const textOf = (content: RenderedMessage["content"], at: string): string => {
  if (typeof content === "string") return content
  let text = ""
  for (let k = 0; k < content.length; k++) {
    const part = content[k]!
    if (part.type !== "text") invalid(`${at}[${k}]`, `a ${part.type} part is only allowed in a user message`)
    else text += part.text
  }
  return text
}

const userParts = (content: RenderedMessage["content"], at: string): Array<AiPrompt.UserMessagePart> => {
  if (typeof content === "string") return [AiPrompt.textPart({ text: content })]
  const parts: Array<AiPrompt.UserMessagePart> = []
  for (let k = 0; k < content.length; k++) parts.push(userPart(content[k]!, `${at}[${k}]`))
  return parts
}

const userPart = (part: ContentPart, at: string): AiPrompt.UserMessagePart => {
  switch (part.type) {
    case "text":
      return AiPrompt.textPart({ text: part.text })
    case "image_url": {
      const options = part.detail === undefined ? undefined : { openai: { imageDetail: part.detail } }
      if (part.url.startsWith("data:")) {
        const decoded = dataUrl(part.url, `${at}.url`)
        return AiPrompt.filePart({ mediaType: decoded.mediaType, data: decoded.bytes, options })
      }
      let url: URL
      try {
        url = new URL(part.url)
      } catch {
        return invalid(`${at}.url`, `not a URL: ${JSON.stringify(part.url.slice(0, 100))}`)
      }
      // The media type of a linked image is unknown: `image/*` is @effect/ai's
      // word for "an image", which its providers accept.
      return AiPrompt.filePart({ mediaType: "image/*", data: url, options })
    }
    case "file": {
      const fileName = part.filename
      if (part.data !== undefined && part.data !== "") {
        const decoded = dataUrl(part.data, `${at}.data`)
        return AiPrompt.filePart({ mediaType: decoded.mediaType, data: decoded.bytes, fileName })
      }
      if (part.fileId !== undefined && part.fileId !== "") {
        // A vendor file id rides as string data; @effect/ai's OpenAI provider
        // sends it as `file_id` when it starts with one of the
        // `fileIdPrefixes` of its config (e.g. `file-`). OpenAI's file inputs
        // are PDFs.
        return AiPrompt.filePart({ mediaType: "application/pdf", data: part.fileId, fileName })
      }
      return invalid(at, "a file part needs `data` (a data: URL) or a `fileId`")
    }
  }
}

/** `data:[<media type>][;base64],<data>` → its media type and bytes. */
const dataUrl = (url: string, at: string): { readonly mediaType: string; readonly bytes: Uint8Array } => {
  const comma = url.indexOf(",")
  if (!url.startsWith("data:") || comma < 0) return invalid(at, "expected a data: URL (data:<media type>;base64,<data>)")
  const header = url.slice(5, comma)
  const body = url.slice(comma + 1)
  const base64 = header.endsWith(";base64")
  const mediaType = (base64 ? header.slice(0, -7) : header).split(";")[0]!.trim() || "application/octet-stream"
  if (!base64) {
    try {
      return { mediaType, bytes: new TextEncoder().encode(decodeURIComponent(body)) }
    } catch {
      return invalid(at, "the data: URL's data is not valid percent-encoding")
    }
  }
  const bytes = Encoding.decodeBase64(body)
  return Either.isRight(bytes) ? { mediaType, bytes: bytes.right } : invalid(at, "the data: URL's data is not base64")
}

const parseArguments = (text: string, at: string): unknown => {
  try {
    return JSON.parse(text)
  } catch (error) {
    return invalid(at, `the tool call's arguments are not JSON: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/**
 * A tool's output as @effect/ai's result: JSON text is parsed (its providers
 * send `JSON.stringify(result)`, so a string result would reach the model
 * quoted twice), anything else stays a string.
 */
const toolResult = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

// -----------------------------------------------------------------------------
// @effect/ai → neutral
// -----------------------------------------------------------------------------

export const fromAiPrompt = (prompt: AiPrompt.Prompt): ReadonlyArray<RenderedMessage> => {
  const out: Array<RenderedMessage> = []
  for (const message of prompt.content) {
    switch (message.role) {
      case "system":
        out.push({ role: "system", content: message.content })
        break
      case "user": {
        const parts: Array<ContentPart> = []
        for (const part of message.content) {
          parts.push(part.type === "text" ? { type: "text", text: part.text } : neutralFile(part))
        }
        out.push({
          role: "user",
          content: parts.length === 1 && parts[0]!.type === "text" ? parts[0]!.text : parts
        })
        break
      }
      case "assistant": {
        let text = ""
        const toolCalls: Array<ToolCall> = []
        const results: Array<RenderedMessage> = []
        for (const part of message.content) {
          if (part.type === "text") text += part.text
          else if (part.type === "tool-call") toolCalls.push(neutralCall(part.id, part.name, part.params))
          else if (part.type === "tool-result") results.push(neutralResult(part.id, part.result))
        }
        out.push(assistant(text, toolCalls))
        out.push(...results)
        break
      }
      case "tool":
        for (const part of message.content) out.push(neutralResult(part.id, part.result))
        break
    }
  }
  return out
}

/**
 * A model's response parts as neutral messages: one assistant message (its
 * text and tool calls), then one tool message per tool result the toolkit
 * resolved. Reasoning, sources, metadata and the finish part are left out
 * (the span carries usage and model apart).
 */
export const outputOf = (parts: ReadonlyArray<Response.AnyPart>): ReadonlyArray<RenderedMessage> => {
  let text = ""
  const toolCalls: Array<ToolCall> = []
  const results: Array<RenderedMessage> = []
  for (const part of parts) {
    switch (part.type) {
      case "text":
        text += part.text
        break
      case "text-delta":
        text += part.delta
        break
      case "tool-call":
        toolCalls.push(neutralCall(part.id, part.name, part.params))
        break
      case "tool-result":
        results.push(neutralResult(part.id, part.result))
        break
    }
  }
  return [assistant(text, toolCalls), ...results]
}

const assistant = (text: string, toolCalls: ReadonlyArray<ToolCall>): RenderedMessage =>
  toolCalls.length === 0 ? { role: "assistant", content: text } : { role: "assistant", content: text, toolCalls }

const neutralCall = (id: string, name: string, params: unknown): ToolCall => ({
  id,
  name,
  arguments: JSON.stringify(params) ?? "null"
})

const neutralResult = (id: string, result: unknown): RenderedMessage => ({
  role: "tool",
  content: typeof result === "string" ? result : JSON.stringify(result) ?? "null",
  toolCallId: id
})

const neutralFile = (part: AiPrompt.FilePart): ContentPart => {
  const detail = imageDetail(part.options)
  if (part.mediaType.startsWith("image/")) {
    const url = part.data instanceof URL
      ? part.data.toString()
      : part.data instanceof Uint8Array
      ? `data:${part.mediaType};base64,${Encoding.encodeBase64(part.data)}`
      : part.data
    const image: Mutable<Extract<ContentPart, { type: "image_url" }>> = { type: "image_url", url }
    if (detail !== undefined) image.detail = detail
    return image
  }
  const file: Mutable<Extract<ContentPart, { type: "file" }>> = { type: "file" }
  if (part.data instanceof Uint8Array) file.data = `data:${part.mediaType};base64,${Encoding.encodeBase64(part.data)}`
  else if (part.data instanceof URL) file.data = part.data.toString()
  else file.fileId = part.data
  if (part.fileName !== undefined) file.filename = part.fileName
  return file
}

const imageDetail = (options: AiPrompt.FilePart["options"]): "auto" | "low" | "high" | undefined => {
  const detail = options.openai?.imageDetail
  return detail === "auto" || detail === "low" || detail === "high" ? detail : undefined
}
