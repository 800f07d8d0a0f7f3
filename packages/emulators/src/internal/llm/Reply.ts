/**
 * What the LLM emulators share: the scripted reply a test gives, the provider-neutral view of a request the
 * script reads, the deterministic default reply, token counts and embeddings.
 */
import type { CapturedRequest } from "../../EmulatorServer.js"

/**
 * One tool call the scripted model makes. `arguments` is the parsed object (sent as JSON text to OpenAI, as
 * `input` to Anthropic).
 */
export interface ReplyToolCall {
  readonly name: string
  readonly arguments: unknown
  /** The call id; a deterministic one is made up when absent. */
  readonly id?: string
}

/**
 * The model's scripted answer. A string is the text. `json` is structured output: sent as the text that
 * `generateObject` parses (OpenAI), or as the input of the forced tool `@effect/ai-anthropic` uses for it.
 * Token counts default to a word count of the input and of the output.
 */
export type Reply =
  | string
  | {
    readonly text?: string
    readonly json?: unknown
    readonly toolCalls?: ReadonlyArray<ReplyToolCall>
    readonly usage?: { readonly inputTokens?: number; readonly outputTokens?: number }
    /** `"length"`: the answer was cut at the output token limit (OpenAI `incomplete`, Anthropic `max_tokens`). */
    readonly finish?: "stop" | "length"
  }

/** A message of the request, flattened to its text (tool results included as their text). */
export interface ReplyMessage {
  readonly role: string
  readonly text: string
}

/** The request, as the script sees it. */
export interface ReplyRequest {
  readonly provider: "openai" | "anthropic"
  readonly model: string
  /** OpenAI `instructions` and system/developer items; Anthropic `system`. */
  readonly system: string | undefined
  readonly messages: ReadonlyArray<ReplyMessage>
  /** The text of the last user message ("" when there is none). */
  readonly lastUserText: string
  /** Names of the function tools offered. */
  readonly tools: ReadonlyArray<string>
  /** Structured output was asked for: OpenAI `text.format` `json_schema`, or Anthropic's forced tool. */
  readonly structured: { readonly name: string; readonly schema: unknown } | undefined
  /** The parsed, validated body. */
  readonly body: unknown
  readonly request: CapturedRequest
}

/** The script: decides each answer. */
export type Respond = (request: ReplyRequest) => Reply | Promise<Reply>

/** A reply with every field filled in. */
export interface ResolvedReply {
  readonly text: string | undefined
  readonly json: unknown
  readonly hasJson: boolean
  readonly toolCalls: ReadonlyArray<{ readonly id: string; readonly name: string; readonly arguments: unknown }>
  readonly inputTokens: number
  readonly outputTokens: number
  readonly finish: "stop" | "length"
}

export const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** Words, as a deterministic stand-in for tokens. */
export const countTokens = (text: string): number => text.split(/\s+/).filter((w) => w !== "").length

/** The default script: a deterministic echo of the last user message. */
export const defaultRespond: Respond = (request) => `echo: ${request.lastUserText}`

export const resolveReply = (reply: Reply, request: ReplyRequest, nextId: (prefix: string) => string): ResolvedReply => {
  const r = typeof reply === "string" ? { text: reply } : reply
  const hasJson = "json" in r && r.json !== undefined
  const toolCalls = (r.toolCalls ?? []).map((call) => ({
    id: call.id ?? nextId("call"),
    name: call.name,
    arguments: call.arguments ?? {}
  }))
  const inputText = [request.system ?? "", ...request.messages.map((m) => m.text)].join(" ")
  const outputText = [
    r.text ?? "",
    hasJson ? JSON.stringify(r.json) : "",
    ...toolCalls.map((c) => `${c.name} ${JSON.stringify(c.arguments)}`)
  ].join(" ")
  return {
    text: r.text,
    json: hasJson ? r.json : undefined,
    hasJson,
    toolCalls,
    inputTokens: r.usage?.inputTokens ?? countTokens(inputText),
    outputTokens: r.usage?.outputTokens ?? countTokens(outputText),
    finish: r.finish ?? "stop"
  }
}

// FNV-1a, 32 bit: a stable hash for the bag-of-words embedding.
const fnv1a = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

/**
 * A deterministic embedding: a signed, hashed bag of lower-cased words, L2-normalised. The same text gives the
 * same vector, texts sharing words are close (cosine), and texts sharing none are near 0. A text without words
 * gets the first unit vector, so no consumer divides by a zero norm.
 */
export const embed = (input: string | ReadonlyArray<number>, dimensions: number): Array<number> => {
  const vector = new Array<number>(dimensions).fill(0)
  const words = typeof input === "string" ? input.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [] : input.map(String)
  for (const word of words) {
    const h = fnv1a(word)
    const index = h % dimensions
    vector[index] = (vector[index] ?? 0) + ((h >>> 31) === 1 ? -1 : 1)
  }
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0))
  if (norm === 0) {
    vector[0] = 1
    return vector
  }
  return vector.map((x) => x / norm)
}

/** Splits a text into stream deltas of a few words each, keeping the whitespace, so they concatenate back to it. */
export const chunks = (text: string): Array<string> => {
  const words = text.match(/\S+\s*|\s+/g) ?? []
  const out: Array<string> = []
  for (let i = 0; i < words.length; i += 3) out.push(words.slice(i, i + 3).join(""))
  return out.length > 0 ? out : [text]
}

/** Issue paths in the vendors' notations: OpenAI `input[0].content`, Anthropic `messages.0.content`. */
export const dottedPath = (path: ReadonlyArray<string>, style: "openai" | "anthropic"): string =>
  path.reduce((acc, segment) => {
    if (style === "openai" && /^\d+$/.test(segment)) return `${acc}[${segment}]`
    return acc === "" ? segment : `${acc}.${segment}`
  }, "")
