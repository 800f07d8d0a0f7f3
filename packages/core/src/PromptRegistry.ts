/**
 * The `PromptRegistry` service: write prompts to a backend that stores them
 * (Braintrust, local, memory; Basalt edits prompts in its app only).
 *
 * @since 0.1.0
 */
import { Context, Effect } from "effect"
import { withLibrarySpan } from "./internal/librarySpan.js"
import { nonEmpty } from "./internal/validate.js"
import type { Prompt, PromptDraft } from "./Prompt.js"
import type { PromptOpsError } from "./PromptOpsError.js"

/**
 * @since 0.1.0
 */
export declare namespace PromptRegistry {
  /**
   * @since 0.1.0
   */
  export interface Service {
    readonly provider: string
    /** Stores a new version of the prompt and returns it, with its version. */
    readonly push: (draft: PromptDraft) => Effect.Effect<Prompt, PromptOpsError>
    /** Deletes the prompt and all its versions. */
    readonly delete: (slug: string) => Effect.Effect<void, PromptOpsError>
  }
}

/**
 * @since 0.1.0
 */
export class PromptRegistry extends Context.Tag("@promptops/core/PromptRegistry")<
  PromptRegistry,
  PromptRegistry.Service
>() {}

/** @since 0.1.0 */
export interface ConstructorParams {
  readonly provider: string
  readonly push: (draft: PromptDraft) => Effect.Effect<Prompt, PromptOpsError>
  readonly delete: (slug: string) => Effect.Effect<void, PromptOpsError>
}

/**
 * @since 0.1.0
 */
export const make = (params: ConstructorParams): PromptRegistry.Service => ({
  provider: params.provider,
  push: (draft) =>
    nonEmpty(params.provider, "PromptRegistry.push", "draft.slug", draft.slug).pipe(
      Effect.zipRight(params.push(draft)),
      withLibrarySpan("PromptRegistry.push", {
        attributes: { "promptops.provider": params.provider, "promptops.prompt.slug": draft.slug }
      })
    ),
  delete: (slug) =>
    nonEmpty(params.provider, "PromptRegistry.delete", "slug", slug).pipe(
      Effect.zipRight(params.delete(slug)),
      withLibrarySpan("PromptRegistry.delete", {
        attributes: { "promptops.provider": params.provider, "promptops.prompt.slug": slug }
      })
    )
})
