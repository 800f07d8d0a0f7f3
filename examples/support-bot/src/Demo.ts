/**
 * The demo's pieces: scorers (deterministic ones and an LLM judge), the eval
 * of one prompt tag, and the whole program. It needs only the neutral
 * services, so `PromptOps.layer` runs it on whichever backend
 * `PROMPTOPS_PROVIDER` names, and a `Model` (the offline stand-in, or OpenAI).
 * `main.ts` runs it; the tests check it on every backend.
 */
import { JudgePolicy, Judges } from "@promptops/ai"
import { Console, Effect, Layer, Option } from "effect"
import { Eval, Experiments, Prompts, PromptOps, Scorers, Summary, Tracing } from "promptops"
import { answerPromptV1, answerPromptV2, dataset } from "./Knowledge.js"
import type * as Model from "./Model.js"
import * as SupportBot from "./SupportBot.js"

type Input = { readonly question: string }

export const mentionsExpected = Scorers.contains<Input, string, string>({ name: "mentions_expected", ignoreCase: true })

export const citesArticle = Scorers.contains<Input, string, string>({
  name: "cites_article",
  expected: () => "help-centre article"
})

/** Full marks up to 60 characters, then less the longer the answer. */
export const concise = Eval.scorer<Input, string, string>(
  "concise",
  ({ output }) => Math.min(1, 60 / Math.max(output.length, 1))
)

/** An LLM judge: the answer's facts against the expected answer's, on the run's model. */
export const factuality = Judges.factuality()

/**
 * One policy for the judges of a run: two calls at once, and a ceiling on
 * their tokens (past it, the remaining judge calls are scorer errors). Priced
 * for OpenAI; the stand-in's calls cost nothing.
 */
export const judgePolicy = JudgePolicy.layer({
  concurrency: 2,
  maxTokens: 20_000,
  pricing: { "gpt-4o-mini": { input: 0.15, output: 0.6 } }
})

export const productionRun = "support-answer production"
export const candidateRun = "support-answer candidate"

/** Evaluates the `support-answer` prompt of `tag`, the model and the judges' policy given to the run. */
export const evaluate = (name: string, tag: string, model: Model.Model, baseline?: string) =>
  Eval.run({
    name,
    data: dataset,
    task: (input: Input) => Effect.map(SupportBot.answer(input.question, { tag }), (answer) => answer.text),
    scorers: [mentionsExpected, citesArticle, concise, factuality],
    concurrency: 4,
    baseline,
    layer: Layer.merge(model.layer, judgePolicy)
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

export const program = (model: Model.Model) =>
  Effect.gen(function*() {
    const backend = yield* PromptOps.Backend
    yield* Console.log(`Backend: ${backend.provider} (${backend.location})`)
    yield* Console.log(`Model: ${model.description}`)
    yield* ensurePrompts

    const reply = yield* SupportBot.answer("How do I reset my password?").pipe(Effect.provide(model.layer))
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
    const production = yield* evaluate(productionRun, "production", model, Option.getOrUndefined(previous)?.id)
    yield* Console.log(`\n${Summary.toTable(production.summary)}`)
    if (Option.isNone(previous)) yield* Console.log("(First run: run again to see the diff against this one.)")
    // The candidate against production.
    const candidate = yield* evaluate(candidateRun, "candidate", model, production.experiment.id)
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
