/**
 * The demo's pieces: scorers, the eval of one prompt tag, and the whole
 * program. It needs only the neutral services, so `PromptOps.layer` runs it on
 * whichever backend `PROMPTOPS_PROVIDER` names. `main.ts` runs it; the tests
 * check it on every backend.
 */
import { Console, Effect, Option } from "effect"
import { Eval, Experiments, Prompts, PromptOps, Summary, Tracing } from "promptops"
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

export const productionRun = "support-answer production"
export const candidateRun = "support-answer candidate"

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

/**
 * Makes sure both prompt versions exist: pushed to the registry where the
 * backend has one (only when missing, so re-runs create nothing), otherwise
 * (Basalt) they must have been created in the vendor's app.
 */
export const ensurePrompts = Effect.forEach([answerPromptV1, answerPromptV2], (draft) =>
  Prompts.get(draft.slug, { tag: draft.tag }).pipe(
    Effect.asVoid,
    Effect.catchTag("NotFound", () => Effect.flatMap(PromptOps.registry, (registry) => registry.push(draft)))
  ), { discard: true })

export const program = Effect.gen(function*() {
  const backend = yield* PromptOps.Backend
  yield* Console.log(`Backend: ${backend.provider} (${backend.location})`)
  yield* ensurePrompts

  const reply = yield* SupportBot.answer("How do I reset my password?")
  yield* Console.log(`Bot: ${reply.text}`)
  yield* PromptOps.feedback.pipe(
    Effect.flatMap((feedback) =>
      feedback.log([{ targetId: reply.spanId, scores: { helpful: 1 }, comment: "Worked first time", source: "app" }])
    ),
    Effect.zipRight(Console.log("Feedback: a thumbs-up recorded on that answer.")),
    Effect.catchTag("Unsupported", (error) => Console.log(`Feedback: skipped (${error.description}).`))
  )

  // The production prompt against its previous run, if there is one.
  const previous = yield* Experiments.latestNamed(productionRun)
  const production = yield* evaluate(productionRun, "production", Option.getOrUndefined(previous)?.id)
  yield* Console.log(`\n${Summary.toTable(production.summary)}`)
  if (Option.isNone(previous)) yield* Console.log("(First run: run again to see the diff against this one.)")
  // The candidate against production.
  const candidate = yield* evaluate(candidateRun, "candidate", production.experiment.id)
  yield* Console.log(`\n${Summary.toTable(candidate.summary)}`)
  if (Summary.hasRegressions(candidate.summary)) {
    yield* Console.log("The candidate regresses on at least one score: review before promoting it.")
  }

  yield* Tracing.flush
  const stats = yield* Tracing.stats
  const dropped = Object.values(stats.dropped).reduce((total, count) => total + count, 0)
  yield* Console.log(
    `\nTraces: ${stats.exported} spans exported to ${backend.location} (${dropped} dropped).` +
      (Option.isSome(backend.traceReader) ? " Read them back with `npx promptops traces tail`." : "")
  )
  return { production, candidate }
})
