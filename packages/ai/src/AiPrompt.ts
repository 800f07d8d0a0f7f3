/**
 * A rendered promptops prompt as an `@effect/ai` `Prompt`, and back.
 *
 * | promptops (`RenderedMessage`)              | `@effect/ai` (`Prompt.Message`)                                  |
 * |--------------------------------------------|------------------------------------------------------------------|
 * | `system`                                   | `SystemMessage`                                                  |
 * | `developer`                                | `SystemMessage` (0.37 has no developer role; the OpenAI provider sends system messages as `developer` to reasoning models) |
 * | `user` text / parts                        | `UserMessage` with `TextPart` / `FilePart`                       |
 * | `image_url` part, http(s) URL              | `FilePart` `{ mediaType: "image/*", data: URL }`, `detail` → `options.openai.imageDetail` |
 * | `image_url` part, `data:` URL              | `FilePart` with the URL's media type and its bytes               |
 * | `file` part with `data` (`data:` URL)      | `FilePart` with the URL's media type and bytes, `filename` → `fileName` |
 * | `file` part with a `fileId`                | `FilePart` `{ mediaType: "application/pdf", data: fileId }` (OpenAI sends it as `file_id` when it matches `fileIdPrefixes`) |
 * | `assistant` text + `toolCalls`             | `AssistantMessage` with a `TextPart` and `ToolCallPart`s (`arguments` parsed as JSON) |
 * | `tool` (`toolCallId`, content)             | `ToolMessage` with a `ToolResultPart` named after the earlier call; JSON content is parsed, other text stays a string |
 *
 * A message's `name` has no place in `@effect/ai` 0.37 and is dropped.
 *
 * @since 0.1.0
 */
import type * as Prompt from "@effect/ai/Prompt"
import type * as Response from "@effect/ai/Response"
import type { RenderedMessage, RenderedPrompt } from "@promptops/core/Prompt"
import type { InvalidInput } from "@promptops/core/PromptOpsError"
import * as Effect from "effect/Effect"
import * as internal from "./internal/aiPrompt.js"

/**
 * Converts a rendered prompt (or its messages) into an `@effect/ai` prompt.
 * Fails with `InvalidInput` naming the message and field at fault: tool call
 * arguments that are not JSON (`messages[i].toolCalls[j].arguments`), a tool
 * message answering no earlier call (`messages[i].toolCallId`), a non-text
 * part outside a user message, a malformed image or file URL.
 *
 * @since 0.1.0
 */
export const toAiPrompt = (
  input: RenderedPrompt | ReadonlyArray<RenderedMessage>
): Effect.Effect<Prompt.Prompt, InvalidInput> =>
  Effect.suspend(() => internal.toAiPrompt(isMessages(input) ? input : input.messages, "AiPrompt.toAiPrompt"))

const isMessages = (
  input: RenderedPrompt | ReadonlyArray<RenderedMessage>
): input is ReadonlyArray<RenderedMessage> => Array.isArray(input)

/**
 * An `@effect/ai` prompt in promptops' neutral, JSON-plain form (what an
 * `llm` span's input holds): no type ids, no empty provider options. Bytes
 * become `data:` URLs; `developer` messages come back as `system`.
 *
 * @since 0.1.0
 */
export const fromAiPrompt: (prompt: Prompt.Prompt) => ReadonlyArray<RenderedMessage> = internal.fromAiPrompt

/**
 * A model's response parts in the neutral form (what an `llm` span's output
 * holds): one assistant message with the text and tool calls, then one tool
 * message per tool result. Reasoning, sources and the finish part are left
 * out: usage and model go on the span apart.
 *
 * @since 0.1.0
 */
export const outputOf: (parts: ReadonlyArray<Response.AnyPart>) => ReadonlyArray<RenderedMessage> = internal.outputOf
