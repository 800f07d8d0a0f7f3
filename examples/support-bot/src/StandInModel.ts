/**
 * A deterministic stand-in for an LLM, as an `@effect/ai` `LanguageModel`
 * layer: it answers support questions from a small knowledge base by keyword,
 * and the eval's judges (factuality, closed QA) by comparing texts, so the
 * example runs offline, with no key, and gives the same results every time.
 * Its calls are traced like a real provider's (`@effect/ai` opens the span;
 * the stand-in writes its provider and model on it and reports word counts as
 * token usage in the `finish` part).
 */
import * as AiError from "@effect/ai/AiError"
import * as LanguageModel from "@effect/ai/LanguageModel"
import type * as Prompt from "@effect/ai/Prompt"
import type * as Response from "@effect/ai/Response"
import { Effect, Layer, Stream } from "effect"

/** The GenAI provider name the stand-in records on its spans. */
export const provider = "stand-in"

/** The model name the stand-in records on its spans. */
export const modelName = "keyword-bot-1"

const knowledge: ReadonlyArray<readonly [keywords: ReadonlyArray<string>, answer: string, article: string]> = [
  [["password"], "Use the reset link on the sign-in page.", "Signing in"],
  [["cancel"], "Open billing settings and choose Cancel plan.", "Billing"],
  [["invoice"], "Invoices are under billing settings, Invoices.", "Billing"],
  [["two-factor", "2fa"], "Turn it on in the security tab of your profile.", "Security"],
  [["export"], "Use the export button in Settings, Data.", "Your data"],
  [["rate limit", "limits"], "Each key may send 1,000 requests per minute.", "API"],
  [["invite"], "Add people from the members page.", "Teams"]
]

/** What the stand-in says when the knowledge base has no answer. */
export const deferral = "I am not sure; a human agent will follow up."

const words = (text: string): number => text.split(/\s+/).filter((word) => word.length > 0).length

/** The text of a prompt's messages, one message per line (non-text parts are left out). */
export const textOf = (prompt: Prompt.Prompt): string =>
  prompt.content.map((message) =>
    typeof message.content === "string"
      ? message.content
      : message.content.map((part) => part.type === "text" ? part.text : "").join("")
  ).join("\n")

/**
 * The answer to a support prompt (its whole text): the knowledge base's
 * answer for the first keyword found, citing the help-centre article when the
 * prompt asks for it.
 */
export const answer = (text: string): string => {
  const question = text.toLowerCase()
  const match = knowledge.find(([keywords]) => keywords.some((keyword) => question.includes(keyword)))
  if (match === undefined) return deferral
  return text.includes("help-centre article") ? `${match[1]} (See the help-centre article "${match[2]}".)` : match[1]
}

/** The text between `<tag>` and `</tag>` in a judge prompt, trimmed. */
const section = (text: string, tag: string): string | undefined => {
  const found = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(text)
  return found === null ? undefined : found[1]!.trim()
}

/** A judge's verdict: the structured output `@promptops/ai`'s judges ask for. */
export interface Verdict {
  readonly reasoning: string
  readonly choice: string
}

/**
 * The verdict on a judge prompt of `@promptops/ai`: factuality (a
 * `<reference>` to compare with) is C when the answer states the reference's
 * key phrase and D when it does not; closed QA (`<criteria>`) is N when the
 * answer defers to a human agent and Y otherwise. `undefined` for any other
 * prompt.
 */
export const judge = (text: string): Verdict | undefined => {
  const reply = section(text, "answer")
  if (reply === undefined) return undefined
  const reference = section(text, "reference")
  if (reference !== undefined) {
    return reply.toLowerCase().includes(reference.toLowerCase())
      ? { reasoning: `The answer states the reference's fact ("${reference}").`, choice: "C" }
      : { reasoning: `The answer does not state the reference's fact ("${reference}"); it says something else.`, choice: "D" }
  }
  if (section(text, "criteria") !== undefined) {
    return reply.includes("human agent")
      ? { reasoning: "The answer defers to a human agent instead of answering.", choice: "N" }
      : { reasoning: "The answer tells the user what to do.", choice: "Y" }
  }
  return undefined
}

/**
 * What the stand-in replies to a prompt's text: a judge's verdict as JSON
 * text when structured output is asked for, else the support answer. Shared
 * with the tests, whose OpenAI emulator answers as the stand-in does.
 */
export const reply = (text: string, structured: boolean): string | undefined => {
  if (!structured) return answer(text)
  const verdict = judge(text)
  return verdict === undefined ? undefined : JSON.stringify(verdict)
}

const respond = (options: LanguageModel.ProviderOptions) =>
  Effect.gen(function*() {
    const text = textOf(options.prompt)
    const output = reply(text, options.responseFormat.type === "json")
    if (output === undefined) {
      return yield* new AiError.MalformedInput({
        module: "StandInModel",
        method: "generateText",
        description: "the stand-in model answers support questions and the factuality and closed-QA judges only"
      })
    }
    // What a provider writes on `@effect/ai`'s span (`AiTracing` records it).
    options.span.attribute("gen_ai.system", provider)
    options.span.attribute("gen_ai.request.model", modelName)
    const inputTokens = words(text)
    const outputTokens = words(output)
    return {
      output,
      metadata: { type: "response-metadata", modelId: modelName } as const,
      finish: {
        type: "finish",
        reason: "stop",
        usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens }
      } as const
    }
  })

const make = LanguageModel.make({
  generateText: (options) =>
    Effect.map(respond(options), ({ finish, metadata, output }): Array<Response.PartEncoded> => [
      metadata,
      { type: "text", text: output },
      finish
    ]),
  streamText: (options) =>
    Stream.flatMap(respond(options), ({ finish, metadata, output }) =>
      Stream.fromIterable<Response.StreamPartEncoded>([
        metadata,
        { type: "text-start", id: "0" },
        { type: "text-delta", id: "0", delta: output },
        { type: "text-end", id: "0" },
        finish
      ]))
})

/** The stand-in as the app's `LanguageModel`. */
export const layer: Layer.Layer<LanguageModel.LanguageModel> = Layer.effect(LanguageModel.LanguageModel, make)
