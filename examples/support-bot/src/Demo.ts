/**
 * The demo's pieces: scorers, the eval of one prompt tag, the whole program and
 * the layer it runs on. `main.ts` runs it; the tests check it.
 */
import { Eval, Feedback, Memory, Summary, Tracing } from "@promptops/core"
import { Console, Effect, Layer } from "effect"
import { answerPromptV1, answerPromptV2, dataset } from "./Knowledge.js"
import * as SupportBot from "./SupportBot.js"

export const mentionsExpected = Eval.scorer<{ readonly question: string }, string, string>(
  "mentions_expected",
  ({ expected, output }) => expected === undefined ? null : output.toLowerCase().includes(expected.toLowerCase()) ? 1 : 0
)

export const citesArticle = Eval.scorer<{ readonly question: string }, string, string>(
  "cites_article",
  ({ output }) => output.includes("help-centre article") ? 1 : 0
)

/** Full marks up to 60 characters, then less the longer the answer. */
export const concise = Eval.scorer<{ readonly question: string }, string, string>(
  "concise",
  ({ output }) => Math.min(1, 60 / Math.max(output.length, 1))
)

export const evaluate = (name: string, tag: string, baseline?: string) =>
  Eval.run({
    name,
    data: dataset,
    task: (input: { readonly question: string }) =>
      Effect.map(SupportBot.answer(input.question, { tag }), (answer) => answer.text),
    scorers: [mentionsExpected, citesArticle, concise],
    concurrency: 4,
    baseline
  })

export const program = Effect.gen(function*() {
  const reply = yield* SupportBot.answer("How do I reset my password?")
  yield* Console.log(`Bot: ${reply.text}`)
  yield* Feedback.log([{ targetId: reply.spanId, scores: { helpful: 1 }, comment: "Worked first time", source: "app" }])

  const first = yield* evaluate("support-answer production", "production")
  yield* Console.log(`\n${Summary.toTable(first.summary)}`)
  const second = yield* evaluate("support-answer candidate", "candidate", first.experiment.id)
  yield* Console.log(`\n${Summary.toTable(second.summary)}`)

  yield* Tracing.flush
  const stats = yield* Tracing.stats
  const state = yield* Memory.MemoryState
  const spans = [...state.spans.values()]
  const inExperiments = spans.filter((span) => span.destination._tag === "Experiment").length
  yield* Console.log(
    `\nTraces: ${stats.exported} spans exported to the memory backend ` +
      `(${inExperiments} in experiments, ${spans.length - inExperiments} in project logs, ${stats.dropped.queueFull} dropped); ` +
      `${state.feedback.size} feedback item(s).`
  )
  if (Summary.hasRegressions(second.summary)) {
    yield* Console.log("The candidate regresses on at least one score: review before promoting it.")
  }
})

/** The memory backend with both prompt versions, and the promptops tracer. */
export const App = Layer.provideMerge(Tracing.layer(), Memory.layer({ prompts: [answerPromptV1, answerPromptV2] }))
