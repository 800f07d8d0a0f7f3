/**
 * The app: answers a support question with a managed prompt, run through the
 * app's `@effect/ai` `LanguageModel` by `ManagedPrompt.generateText` (fetch,
 * strict render, the prompt's model applied when a binding is provided). It
 * depends only on the neutral `Prompts` service and a `LanguageModel`, so the
 * backend and the model are chosen by the layers the program is given.
 */
import type * as AiError from "@effect/ai/AiError"
import type * as LanguageModel from "@effect/ai/LanguageModel"
import { ManagedPrompt } from "@promptops/ai"
import { Effect } from "effect"
import { type PromptOpsError, type Prompts, Trace } from "promptops"

export interface Answer {
  readonly text: string
  /** The span of this answer, for feedback. */
  readonly spanId: string
}

/**
 * Answers with the `support-answer` prompt of `tag` (default `production`),
 * inside a `task` span; the model call is `@effect/ai`'s own `llm` span,
 * named after the prompt and carrying its slug and version.
 */
export const answer = (
  question: string,
  options: { readonly tag?: string } = {}
): Effect.Effect<Answer, PromptOpsError.PromptOpsError | AiError.AiError, LanguageModel.LanguageModel | Prompts.Prompts> =>
  Effect.gen(function*() {
    const response = yield* ManagedPrompt.generateText({
      slug: "support-answer",
      tag: options.tag ?? "production",
      variables: { question, product: "Acme Cloud" }
    })
    yield* Trace.annotate({ input: { question }, output: response.text })
    const spanId = yield* Effect.orDie(Trace.currentSpanId)
    return { text: response.text, spanId } satisfies Answer
  }).pipe(Trace.task("support-bot.answer"))
