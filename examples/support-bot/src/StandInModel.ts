/**
 * A deterministic stand-in for an LLM: it answers from a small knowledge base
 * by keyword, so the example runs offline, with no key, and gives the same
 * results every time. It is traced like a real model call (an `llm` span with
 * input, output and token usage).
 */
import { type Prompt, Trace } from "promptops"

import { Effect } from "effect"

const knowledge: ReadonlyArray<readonly [keywords: ReadonlyArray<string>, answer: string, article: string]> = [
  [["password"], "Use the reset link on the sign-in page.", "Signing in"],
  [["cancel"], "Open billing settings and choose Cancel plan.", "Billing"],
  [["invoice"], "Invoices are under billing settings, Invoices.", "Billing"],
  [["two-factor", "2fa"], "Turn it on in the security tab of your profile.", "Security"],
  [["export"], "Use the export button in Settings, Data.", "Your data"],
  [["rate limit", "limits"], "Each key may send 1,000 requests per minute.", "API"],
  [["invite"], "Add people from the members page.", "Teams"]
]

const words = (text: string): number => text.split(/\s+/).filter((word) => word.length > 0).length

const textOf = (prompt: Prompt.RenderedPrompt): string =>
  prompt.messages.map((message) => typeof message.content === "string" ? message.content : "").join("\n")

/** Completes a rendered prompt. */
export const complete = (prompt: Prompt.RenderedPrompt): Effect.Effect<string> =>
  Effect.gen(function*() {
    const text = textOf(prompt)
    const question = text.toLowerCase()
    const match = knowledge.find(([keywords]) => keywords.some((keyword) => question.includes(keyword)))
    const citeArticle = text.includes("help-centre article")
    const answer = match === undefined
      ? "I am not sure; a human agent will follow up."
      : citeArticle
      ? `${match[1]} (See the help-centre article "${match[2]}".)`
      : match[1]
    yield* Trace.annotate({
      input: prompt.messages,
      output: answer,
      metadata: { model: prompt.model?.name, promptVersion: prompt.version },
      usage: { promptTokens: words(text), completionTokens: words(answer) }
    })
    return answer
  }).pipe(Trace.llm("stand-in completion"))
