/**
 * The app: answers a support question with a managed prompt. It depends only
 * on the neutral `Prompts` service, so the backend is chosen by the layer the
 * program is given.
 */
import { Prompt, Prompts, Trace } from "promptops"
import { Effect } from "effect"
import * as StandInModel from "./StandInModel.js"

export interface Answer {
  readonly text: string
  /** The span of this answer, for feedback. */
  readonly spanId: string
}

export const answer = (question: string, options: { readonly tag?: string } = {}) =>
  Effect.gen(function*() {
    const prompt = yield* Prompts.get("support-answer", { tag: options.tag ?? "production" })
    const rendered = yield* Prompt.render(prompt, { question, product: "Acme Cloud" }, { strict: true })
    const text = yield* StandInModel.complete(rendered)
    yield* Trace.annotate({ input: { question }, output: text, metadata: { promptVersion: prompt.version } })
    const spanId = yield* Effect.orDie(Trace.currentSpanId)
    return { text, spanId } satisfies Answer
  }).pipe(Trace.task("support-bot.answer"))
