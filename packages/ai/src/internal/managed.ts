/** The machinery of `ManagedPrompt`: fetch, render, convert, bind, link. */
import * as LanguageModel from "@effect/ai/LanguageModel"
import type * as AiPrompt from "@effect/ai/Prompt"
import * as Telemetry from "@effect/ai/Telemetry"
import * as Prompt from "@promptops/core/Prompt"
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import * as Prompts from "@promptops/core/Prompts"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { ModelBinding, isForeign } from "../ModelOptions.js"
import { toAiPrompt } from "./aiPrompt.js"
import * as Tracing from "./tracing.js"

export interface Ref {
  readonly slug: string
  readonly version?: string | undefined
  readonly tag?: string | undefined
  readonly variables?: unknown
}

const REF_KEYS: ReadonlySet<string> = new Set(["slug", "version", "tag", "variables"])

/** The options left for `LanguageModel` once the prompt's are taken out. */
export const callOptions = (options: Record<string, unknown>): Record<string, unknown> => {
  const rest: Record<string, unknown> = {}
  for (const key in options) if (!REF_KEYS.has(key)) rest[key] = options[key]
  return rest
}

export interface Prepared {
  readonly rendered: Prompt.RenderedPrompt
  readonly prompt: AiPrompt.Prompt
}

export const prepare = (ref: Ref, operation: string): Effect.Effect<Prepared, PromptOpsError, Prompts.Prompts> =>
  Effect.gen(function*() {
    const stored = yield* Prompts.get(ref.slug, { version: ref.version, tag: ref.tag })
    const rendered = yield* Prompt.render(stored, ref.variables, { strict: true })
    const prompt = yield* toAiPrompt(rendered.messages, operation)
    return { rendered, prompt }
  })

/** Runs `effect` with the prompt's model applied, when a `ModelBinding` is provided. */
export const bind = (rendered: Pick<Prompt.RenderedPrompt, "model">) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.serviceOption(ModelBinding), (binding) =>
    binding._tag === "Some" && rendered.model !== undefined ? binding.value.apply(rendered.model)(self) : self)

/** The span transformer that links a call's `LanguageModel` spans to the prompt (and keeps an app's own). */
const linkedTransformer = (
  rendered: Pick<Prompt.RenderedPrompt, "slug" | "version" | "model">
): Effect.Effect<Telemetry.SpanTransformer> =>
  Effect.map(
    Effect.all([Effect.serviceOption(Telemetry.CurrentSpanTransformer), Effect.serviceOption(ModelBinding)]),
    ([previous, binding]) => {
      const spec = rendered.model
      const provider = Option.isSome(binding) ? binding.value.provider : spec?.provider
      // The prompt's model is the request's only when a binding applied it.
      const model = Option.isSome(binding) && spec !== undefined && !isForeign(spec, binding.value.provider)
        ? spec.name
        : undefined
      const ours = Tracing.make({ link: { slug: rendered.slug, version: rendered.version }, provider, model })
      const other = Option.isSome(previous) && !Tracing.isOurs(previous.value) ? previous.value : undefined
      return other === undefined ? ours : (request) => {
        other(request)
        ours(request)
      }
    }
  )

/** Runs `effect` with a span transformer that links its `LanguageModel` spans to the prompt. */
export const link = (rendered: Pick<Prompt.RenderedPrompt, "slug" | "version" | "model">) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(
    linkedTransformer(rendered),
    (transformer) => Effect.provideService(self, Telemetry.CurrentSpanTransformer, transformer)
  )

export const generateText = (options: Ref & Record<string, unknown>): Effect.Effect<unknown, unknown, unknown> =>
  Effect.flatMap(prepare(options, "ManagedPrompt.generateText"), ({ prompt, rendered }) =>
    LanguageModel.generateText({ ...callOptions(options), prompt } as LanguageModel.GenerateTextOptions<{}>).pipe(
      bind(rendered),
      link(rendered)
    ))

export const generateObject = (options: Ref & Record<string, unknown>): Effect.Effect<unknown, unknown, unknown> =>
  Effect.flatMap(prepare(options, "ManagedPrompt.generateObject"), ({ prompt, rendered }) =>
    LanguageModel.generateObject(
      { ...callOptions(options), prompt } as unknown as LanguageModel.GenerateObjectOptions<{}, unknown, {}, never>
    ).pipe(
      bind(rendered),
      link(rendered)
    ))

/**
 * A stream with the prompt's model applied and its spans linked. A binding
 * applies to Effects: the context it sets up is captured with
 * `Effect.context` inside it and handed to the stream.
 */
export const streamText = (options: Ref & Record<string, unknown>): Stream.Stream<unknown, unknown, unknown> =>
  Stream.unwrap(
    Effect.flatMap(prepare(options, "ManagedPrompt.streamText"), ({ prompt, rendered }) =>
      Effect.map(
        Effect.context<never>().pipe(bind(rendered), Effect.zip(linkedTransformer(rendered))),
        ([context, transformer]) =>
          LanguageModel.streamText({ ...callOptions(options), prompt } as LanguageModel.GenerateTextOptions<{}>).pipe(
            Stream.provideService(Telemetry.CurrentSpanTransformer, transformer),
            Stream.provideSomeContext(context)
          )
      ))
  )
