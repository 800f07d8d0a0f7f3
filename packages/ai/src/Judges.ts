/**
 * LLM judges as eval scorers, on the app's `@effect/ai` `LanguageModel` with
 * structured output (`{ reasoning, choice }`): each choice maps to a score in
 * 0..1, and every score is
 *
 * ```ts
 * { name, score: choices[choice], metadata: { choice, reasoning, judge: { model?, promptSlug?, promptVersion? } } }
 * ```
 *
 * The judge's call is traced as an `llm` span, a child of its `score` span,
 * with its input, output and usage (through `AiTracing.transformer`, provided
 * around the call, so the app need not install `AiTracing.layer`); its tokens
 * and cost count towards the result's `scorerUsage`, apart from the task's.
 * Under a `JudgePolicy` (one per run, through `Eval.run`'s `layer`), calls
 * share its concurrency, retries and ceiling; without one they run unlimited.
 *
 * A choice the judge was not offered fails the scorer with
 * `JudgeInvalidChoice`, which names it: a scorer error of that case.
 *
 * @since 0.1.0
 */
import type * as LanguageModel from "@effect/ai/LanguageModel"
import type * as AiPromptInput from "@effect/ai/Prompt"
import type { Scorer, ScorerArgs } from "@promptops/core/Eval"
import * as Prompt from "@promptops/core/Prompt"
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import * as Prompts from "@promptops/core/Prompts"
import { Effect } from "effect"
import * as AiPrompt from "./AiPrompt.js"
import * as Judge from "./internal/judges/judge.js"
import * as JudgePrompts from "./internal/judges/prompts.js"

/**
 * The judge answered a choice it was not offered. Its message names the
 * judge, the choice and the choices offered.
 *
 * @since 0.1.0
 */
export const JudgeInvalidChoice: typeof Judge.JudgeInvalidChoice = Judge.JudgeInvalidChoice
/** @since 0.1.0 */
export type JudgeInvalidChoice = Judge.JudgeInvalidChoice

/**
 * Options every judge takes.
 *
 * @since 0.1.0
 */
export interface JudgeOptions {
  /** The scorer's (and score's) name. */
  readonly name?: string | undefined
  /**
   * The judge's model name, recorded in the score's metadata and used for
   * `JudgePolicy` pricing when the provider's response names no model. The
   * model itself is the `LanguageModel` in context.
   */
  readonly model?: string | undefined
}

/**
 * Factuality: the output against `expected`, as a reference answer. The judge
 * picks how the facts relate: A subset (0.4), B superset (0.6), C the same
 * (1), D a contradiction (0), E differences that do not matter (1). A case
 * without `expected` is skipped (`null`).
 *
 * @since 0.1.0
 */
export const factuality = (options: JudgeOptions = {}): Scorer<any, any, any, LanguageModel.LanguageModel> =>
  Judge.scorer({
    name: options.name ?? "factuality",
    model: options.model,
    choices: JudgePrompts.factualityChoices,
    prompt: (args) =>
      Effect.succeed(args.expected === undefined ? null : { prompt: JudgePrompts.factuality(args) })
  })

/**
 * Closed QA: does the output answer the input by `criteria`? Y → 1, N → 0.
 *
 * @since 0.1.0
 */
export const closedQa = (
  options: JudgeOptions & { readonly criteria: string }
): Scorer<any, any, any, LanguageModel.LanguageModel> =>
  Judge.scorer({
    name: options.name ?? "closed-qa",
    model: options.model,
    choices: JudgePrompts.closedQaChoices,
    prompt: (args) => Effect.succeed({ prompt: JudgePrompts.closedQa({ ...args, criteria: options.criteria }) })
  })

/**
 * A rubric whose judge prompt is a managed prompt: fetched with
 * `Prompts.get(slug, { tag, version })` (through the app's `PromptCache`
 * when it has one), rendered strictly with `{ input, output, expected,
 * metadata }`, and run through the `LanguageModel` in context. The judge is
 * versioned like any prompt: the score's metadata records the prompt's slug
 * and version. The rendered prompt must ask for one of `choices`; the
 * structured output's schema lists them too. A failed fetch, a missing
 * variable or a message `@effect/ai` cannot take is a scorer error.
 *
 * @since 0.1.0
 */
export const rubric = (
  options: JudgeOptions & {
    readonly slug: string
    readonly tag?: string | undefined
    readonly version?: string | undefined
    readonly choices: Readonly<Record<string, number>>
  }
): Scorer<any, any, any, LanguageModel.LanguageModel | Prompts.Prompts> =>
  Judge.scorer<PromptOpsError, Prompts.Prompts>({
    name: options.name ?? options.slug,
    model: options.model,
    choices: options.choices,
    prompt: (args) =>
      Effect.gen(function*() {
        const managed = yield* Prompts.get(options.slug, {
          ...(options.tag !== undefined ? { tag: options.tag } : {}),
          ...(options.version !== undefined ? { version: options.version } : {})
        })
        const variables: Record<string, unknown> = { input: args.input, output: args.output, metadata: args.metadata }
        if (args.expected !== undefined) variables["expected"] = args.expected
        const rendered = yield* Prompt.render(managed, variables, { strict: true })
        return {
          prompt: yield* AiPrompt.toAiPrompt(rendered),
          promptSlug: managed.slug,
          promptVersion: managed.version,
          model: managed.model?.name
        }
      })
  })

/**
 * A custom judge: `prompt` builds the messages for a case (an `@effect/ai`
 * prompt input: a string, encoded messages or a `Prompt`), `choices` maps
 * each answer to a score in 0..1 (checked when it runs: a score outside is
 * an `InvalidInput` naming the choice).
 *
 * @since 0.1.0
 */
export const make = <const C extends Readonly<Record<string, number>>>(options: {
  readonly name: string
  readonly prompt: (args: ScorerArgs) => AiPromptInput.RawInput
  readonly choices: C
  readonly model?: string | undefined
}): Scorer<any, any, any, LanguageModel.LanguageModel> =>
  Judge.scorer({
    name: options.name,
    model: options.model,
    choices: options.choices,
    prompt: (args) => Effect.sync(() => ({ prompt: options.prompt(args) }))
  })
