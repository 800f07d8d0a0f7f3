/**
 * One LLM judge as an eval scorer: build its prompt, ask the app's
 * `LanguageModel` for `{ reasoning, choice }` with structured output (under
 * the run's `JudgePolicy` when there is one), traced as an `llm` span below
 * the scorer's `score` span, and map the choice to its score.
 */
import * as LanguageModel from "@effect/ai/LanguageModel"
import type * as Prompt from "@effect/ai/Prompt"
import * as Telemetry from "@effect/ai/Telemetry"
import type { Score, Scorer, ScorerArgs } from "@promptops/core/Eval"
import { InvalidInput } from "@promptops/core/PromptOpsError"
import * as Trace from "@promptops/core/Trace"
import { Effect, Option, Schema } from "effect"
import * as AiTracing from "../../AiTracing.js"
import { JudgePolicy } from "../../JudgePolicy.js"

/**
 * The judge answered a choice it was not offered (a model that ignores the
 * structured output's `enum`, or a stand-in model).
 */
export class JudgeInvalidChoice extends Schema.TaggedError<JudgeInvalidChoice>(
  "@promptops/ai/Judges/JudgeInvalidChoice"
)("JudgeInvalidChoice", {
  judge: Schema.String,
  choice: Schema.String,
  choices: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `judge "${this.judge}" answered choice ${JSON.stringify(this.choice)}, ` +
      `which is not one of ${this.choices.join(", ")}`
  }
}

/** What a judge's prompt step gives: the prompt, and the managed prompt it came from. */
export interface BuiltPrompt {
  readonly prompt: Prompt.RawInput
  readonly promptSlug?: string | undefined
  readonly promptVersion?: string | undefined
  /** The model the managed prompt names, a fallback for the score's metadata. */
  readonly model?: string | undefined
}

export interface JudgeSpec<E, R> {
  readonly name: string
  readonly choices: Readonly<Record<string, number>>
  /** The judge's model, for its metadata and pricing when the response names none. */
  readonly model?: string | undefined
  /** The prompt for a case, or `null` to skip it. */
  readonly prompt: (args: ScorerArgs) => Effect.Effect<BuiltPrompt | null, E, R>
}

/** The structured output: a string `choice` whose JSON schema lists the choices. */
const verdictSchema = (choices: ReadonlyArray<string>) =>
  Schema.Struct({
    reasoning: Schema.String,
    // Decoded as any string, so an answer outside the choices is our typed
    // error naming it, not a parse error; the `enum` tells the model.
    choice: Schema.String.annotations({ jsonSchema: { type: "string", enum: choices } })
  })

/** The model the provider says answered (`response-metadata`), if any. */
const responseModel = (content: ReadonlyArray<{ readonly type: string }>): string | undefined => {
  for (const part of content) {
    if (part.type !== "response-metadata") continue
    const modelId = (part as { readonly modelId?: Option.Option<string> }).modelId
    if (modelId !== undefined && Option.isOption(modelId) && Option.isSome(modelId)) return modelId.value
  }
  return undefined
}

const checkChoices = (name: string, choices: Readonly<Record<string, number>>): InvalidInput | undefined => {
  const keys = Object.keys(choices)
  if (keys.length === 0) {
    return new InvalidInput({
      provider: "promptops",
      operation: "Judges.make",
      description: `judge "${name}" has no choices`,
      path: "Judges.make.choices"
    })
  }
  for (const key of keys) {
    const score = choices[key]
    if (typeof score !== "number" || !Number.isFinite(score) || score < 0 || score > 1) {
      return new InvalidInput({
        provider: "promptops",
        operation: "Judges.make",
        description: `judge "${name}" maps choice ${JSON.stringify(key)} to ${String(score)}, not a score in 0..1`,
        path: `Judges.make.choices.${key}`
      })
    }
  }
  return undefined
}

export const scorer = <E, R>(spec: JudgeSpec<E, R>): Scorer<any, any, any, R | LanguageModel.LanguageModel> => {
  const choices = Object.keys(spec.choices)
  const schema = verdictSchema(choices)
  const bad = checkChoices(spec.name, spec.choices)
  const score = (args: ScorerArgs) =>
    Effect.gen(function*() {
      if (bad !== undefined) return yield* bad
      const built = yield* spec.prompt(args)
      if (built === null) return null
      // The judge's call becomes an `llm` span with its input, output and
      // usage even when the app did not install `AiTracing.layer`; its usage
      // lands in the result's `scorerUsage` through the score span's mark.
      // A rubric's span links to its managed prompt, as any managed call's does.
      const transformer = built.promptSlug !== undefined && built.promptVersion !== undefined
        ? AiTracing.make({ link: { slug: built.promptSlug, version: built.promptVersion }, model: spec.model })
        : spec.model !== undefined
        ? AiTracing.make({ model: spec.model })
        : AiTracing.transformer
      const generate = LanguageModel.generateObject({ prompt: built.prompt, schema, objectName: "verdict" }).pipe(
        Effect.provideService(Telemetry.CurrentSpanTransformer, transformer)
      )
      const policy = yield* Effect.serviceOption(JudgePolicy)
      let response: LanguageModel.GenerateObjectResponse<{}, typeof schema.Type>
      let model: string | undefined
      if (Option.isSome(policy)) {
        const charged = yield* policy.value.call(generate, (value) => ({
          usage: value.usage,
          model: responseModel(value.content) ?? spec.model ?? built.model
        }))
        response = charged.value
        model = charged.model
        // Tokens reach `scorerUsage` through the `llm` span; the price is ours.
        if (charged.cost !== undefined) yield* Trace.annotate({ usage: { cost: charged.cost } })
      } else {
        response = yield* generate
        model = responseModel(response.content) ?? spec.model ?? built.model
      }
      const { choice, reasoning } = response.value
      if (!Object.hasOwn(spec.choices, choice)) {
        return yield* new JudgeInvalidChoice({ judge: spec.name, choice, choices })
      }
      const judge: Record<string, string> = {}
      if (model !== undefined) judge["model"] = model
      if (built.promptSlug !== undefined) judge["promptSlug"] = built.promptSlug
      if (built.promptVersion !== undefined) judge["promptVersion"] = built.promptVersion
      const result: Score = { name: spec.name, score: spec.choices[choice]!, metadata: { choice, reasoning, judge } }
      return result
    })
  return { name: spec.name, score }
}
