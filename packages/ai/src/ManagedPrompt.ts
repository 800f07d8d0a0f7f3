/**
 * The one call for the common path: fetch a managed prompt (cached when the
 * app provides core's `PromptCache`), render it strictly, convert it with
 * `AiPrompt.toAiPrompt`, apply its model when a `ModelBinding` is provided
 * (`OpenAi.layer`, `Anthropic.layer`), and run it through the app's
 * `LanguageModel`. The call's one `llm` span (`@effect/ai`'s own) is
 * recorded as `AiTracing` does, named after the prompt's slug and carrying
 * `gen_ai.prompt.name` (the slug) and `gen_ai.prompt.version`.
 *
 * @since 0.1.0
 */
import type * as LanguageModel from "@effect/ai/LanguageModel"
import type * as Response from "@effect/ai/Response"
import type * as Tool from "@effect/ai/Tool"
import type { RenderedPrompt } from "@promptops/core/Prompt"
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import type * as Prompts from "@promptops/core/Prompts"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { NoExcessProperties } from "effect/Types"
import * as internal from "./internal/managed.js"

/**
 * Which managed prompt to run, and its variables. `version` wins over `tag`;
 * neither means the backend's default.
 *
 * @since 0.1.0
 */
export interface PromptRef {
  readonly slug: string
  readonly version?: string | undefined
  readonly tag?: string | undefined
  /** The variables to render with; a missing one fails with a `TemplateError`. */
  readonly variables?: unknown
}

/**
 * `LanguageModel.generateText`'s options (`toolkit`, `toolChoice`, …) with a
 * managed prompt in place of `prompt`.
 *
 * @since 0.1.0
 */
export interface GenerateTextOptions<Tools extends Record<string, Tool.Any>>
  extends PromptRef, Omit<LanguageModel.GenerateTextOptions<Tools>, "prompt">
{}

/**
 * `LanguageModel.generateObject`'s options (`schema`, `objectName`, …) with a
 * managed prompt in place of `prompt`.
 *
 * @since 0.1.0
 */
export interface GenerateObjectOptions<Tools extends Record<string, Tool.Any>, A, I extends Record<string, unknown>, R>
  extends PromptRef, Omit<LanguageModel.GenerateObjectOptions<Tools, A, I, R>, "prompt">
{}

/**
 * Runs a managed prompt through the app's `LanguageModel` as text. Fails
 * with `@effect/ai`'s `AiError` (and the toolkit's handler errors) or a
 * promptops error: `NotFound` and the backend's errors from `Prompts.get`,
 * `TemplateError` for missing variables, `InvalidInput` for a prompt
 * `@effect/ai` cannot take (see `AiPrompt`).
 *
 * @since 0.1.0
 */
export const generateText: <
  Options extends NoExcessProperties<GenerateTextOptions<any>, Options>,
  Tools extends Record<string, Tool.Any> = {}
>(
  options: Options & GenerateTextOptions<Tools>
) => Effect.Effect<
  LanguageModel.GenerateTextResponse<Tools>,
  LanguageModel.ExtractError<Options> | PromptOpsError,
  LanguageModel.LanguageModel | Prompts.Prompts | LanguageModel.ExtractContext<Options>
> = internal.generateText as any

/**
 * Runs a managed prompt through the app's `LanguageModel` for structured
 * output decoded with `schema`. Errors as `generateText`; output that does
 * not match the schema fails with `AiError.MalformedOutput`.
 *
 * @since 0.1.0
 */
export const generateObject: <
  A,
  I extends Record<string, unknown>,
  R,
  Options extends NoExcessProperties<GenerateObjectOptions<any, A, I, R>, Options>,
  Tools extends Record<string, Tool.Any> = {}
>(
  options: Options & GenerateObjectOptions<Tools, A, I, R>
) => Effect.Effect<
  LanguageModel.GenerateObjectResponse<Tools, A>,
  LanguageModel.ExtractError<Options> | PromptOpsError,
  LanguageModel.LanguageModel | Prompts.Prompts | R | LanguageModel.ExtractContext<Options>
> = internal.generateObject as any

/**
 * Streams a managed prompt's answer through the app's `LanguageModel`, as
 * `generateText` runs it; the `llm` span is recorded when the stream ends.
 *
 * @since 0.1.0
 */
export const streamText: <
  Options extends NoExcessProperties<GenerateTextOptions<any>, Options>,
  Tools extends Record<string, Tool.Any> = {}
>(
  options: Options & GenerateTextOptions<Tools>
) => Stream.Stream<
  Response.StreamPart<Tools>,
  LanguageModel.ExtractError<Options> | PromptOpsError,
  LanguageModel.LanguageModel | Prompts.Prompts | LanguageModel.ExtractContext<Options>
> = internal.streamText as any

/**
 * Links the `LanguageModel` calls inside `self` to a rendered managed
 * prompt, for apps that call `LanguageModel` themselves: each call's `llm`
 * span is recorded as `AiTracing` does, named after the prompt and carrying
 * `gen_ai.prompt.name` and `gen_ai.prompt.version`. An app's own span
 * transformer, if any, still runs.
 *
 * @since 0.1.0
 */
export const link: (
  rendered: Pick<RenderedPrompt, "slug" | "version" | "model">
) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R> = internal.link

/**
 * Runs `self` with the rendered prompt's model applied, when a
 * `ModelBinding` is provided (a no-op otherwise): for apps that call
 * `LanguageModel` themselves.
 *
 * @since 0.1.0
 */
export const bind: (
  rendered: Pick<RenderedPrompt, "model">
) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R> = internal.bind
