/**
 * The judge prompts promptops ships: written here, in our own words. Each
 * asks for a short reasoning first and then one choice, which the structured
 * output schema restricts to the judge's choices.
 */
import type * as Prompt from "@effect/ai/Prompt"

/** Values go in as text; anything else as JSON, so the judge sees structure. */
export const show = (value: unknown): string => {
  if (typeof value === "string") return value
  if (value === undefined) return "(none)"
  try {
    return JSON.stringify(value, null, 2) ?? String(value)
  } catch {
    return String(value)
  }
}

const ANSWER_FORMAT = "Reply with `reasoning` (a few sentences, step by step, before you decide) and then `choice`: " +
  "exactly one of the letters offered, nothing else."

/**
 * Factuality: the answer under test against a reference answer. The choices
 * say how the facts relate, so the score can tell a partial answer from a
 * wrong one.
 */
export const factualityChoices = { A: 0.4, B: 0.6, C: 1, D: 0, E: 1 } as const

export const factuality = (args: {
  readonly input: unknown
  readonly output: unknown
  readonly expected: unknown
}): ReadonlyArray<Prompt.MessageEncoded> => [
  {
    role: "system",
    content: "You check answers for factual agreement with a reference answer written by an expert. " +
      "Ignore style, wording, length and formatting; judge only the facts each answer states. " +
      ANSWER_FORMAT
  },
  {
    role: "user",
    content: [
      "The question:",
      "<question>",
      show(args.input),
      "</question>",
      "",
      "The reference answer:",
      "<reference>",
      show(args.expected),
      "</reference>",
      "",
      "The answer to check:",
      "<answer>",
      show(args.output),
      "</answer>",
      "",
      "How do the facts of the answer relate to those of the reference?",
      "A: the answer states some of the reference's facts and nothing that contradicts it (a subset).",
      "B: the answer states all of the reference's facts and more, none contradicting it (a superset).",
      "C: the answer states the same facts as the reference.",
      "D: the answer contradicts the reference on at least one fact.",
      "E: the answers differ, but only in ways that do not change the facts that matter to the question."
    ].join("\n")
  }
]

/** Closed QA: does the output answer the input, by the criteria given. */
export const closedQaChoices = { Y: 1, N: 0 } as const

export const closedQa = (args: {
  readonly input: unknown
  readonly output: unknown
  readonly criteria: string
}): ReadonlyArray<Prompt.MessageEncoded> => [
  {
    role: "system",
    content: "You decide whether an answer meets the criteria it is held to, for the question it answers. " +
      "Judge only against the criteria given. " + ANSWER_FORMAT
  },
  {
    role: "user",
    content: [
      "The question:",
      "<question>",
      show(args.input),
      "</question>",
      "",
      "The answer:",
      "<answer>",
      show(args.output),
      "</answer>",
      "",
      "The criteria:",
      "<criteria>",
      args.criteria,
      "</criteria>",
      "",
      "Does the answer meet the criteria for this question?",
      "Y: yes, it does.",
      "N: no, it does not."
    ].join("\n")
  }
]
