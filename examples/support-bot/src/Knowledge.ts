/**
 * The bot's prompts and its eval dataset. In a real app the prompts live in a
 * backend (Braintrust, Basalt, the local store) and are edited there.
 */
import type { Eval, Prompt } from "promptops"

export const answerPromptV1: Prompt.PromptDraft = {
  slug: "support-answer",
  name: "Support answer",
  tag: "production",
  templateFormat: "mustache",
  messages: [
    { role: "system", content: "You are the support assistant of {{product}}. Answer briefly." },
    { role: "user", content: "{{question}}" }
  ],
  // Sent to OpenAI (through `OpenAi.layer`) when OPENAI_API_KEY is set; the
  // offline stand-in model ignores it.
  model: { provider: "openai", name: "gpt-4o-mini", params: { temperature: 0, maxTokens: 120 } }
}

/** The candidate: also asks the model to cite the help-centre article. */
export const answerPromptV2: Prompt.PromptDraft = {
  ...answerPromptV1,
  tag: "candidate",
  messages: [
    {
      role: "system",
      content: "You are the support assistant of {{product}}. Answer briefly and name the help-centre article."
    },
    { role: "user", content: "{{question}}" }
  ]
}

export const dataset: ReadonlyArray<Eval.EvalCase<{ readonly question: string }, string>> = [
  { id: "reset-password", input: { question: "How do I reset my password?" }, expected: "reset link" },
  { id: "cancel-plan", input: { question: "How can I cancel my plan?" }, expected: "billing settings" },
  { id: "invoice", input: { question: "Where do I find my invoice?" }, expected: "billing settings" },
  { id: "two-factor", input: { question: "How do I turn on two-factor authentication?" }, expected: "security tab" },
  { id: "export-data", input: { question: "Can I export all my data?" }, expected: "export button" },
  { id: "api-limits", input: { question: "What are the API rate limits?" }, expected: "1,000 requests" },
  { id: "refund", input: { question: "Can I get a refund?" }, expected: "within 30 days" },
  { id: "team-invite", input: { question: "How do I invite a teammate?" }, expected: "members page" }
]
