/**
 * The `Prompts` service: fetch managed prompts by slug, pinned version or tag.
 *
 * Adapters implement the narrow `ConstructorParams`; `make` adds what every
 * backend shares (argument validation, a span per call), so it is written once.
 *
 * @since 0.1.0
 */
import { Context, Effect, Stream } from "effect"
import * as LibrarySpan from "./internal/librarySpan.js"
import { nonEmpty } from "./internal/validate.js"
import type { Prompt, PromptSummary } from "./Prompt.js"
import type { PromptOpsError } from "./PromptOpsError.js"

/**
 * How to pick a prompt. `version` wins over `tag`; neither means the backend's
 * default (Braintrust: latest; Basalt: the production tag).
 *
 * @since 0.1.0
 */
export interface GetOptions {
  readonly version?: string | undefined
  readonly tag?: string | undefined
}

/** @since 0.1.0 */
export interface ListOptions {
  /** Basalt feature slug or Braintrust project name; defaults to the configured one. */
  readonly scope?: string | undefined
}

/**
 * @since 0.1.0
 */
export declare namespace Prompts {
  /**
   * What an app uses.
   *
   * @since 0.1.0
   */
  export interface Service {
    readonly provider: string
    readonly get: (slug: string, options?: GetOptions) => Effect.Effect<Prompt, PromptOpsError>
    /** Every prompt, walking the vendor's pages lazily. */
    readonly list: (options?: ListOptions) => Stream.Stream<PromptSummary, PromptOpsError>
  }
}

/**
 * @since 0.1.0
 */
export class Prompts extends Context.Tag("@promptops/core/Prompts")<Prompts, Prompts.Service>() {}

/**
 * What a backend implements.
 *
 * @since 0.1.0
 */
export interface ConstructorParams {
  readonly provider: string
  readonly get: (slug: string, options: GetOptions) => Effect.Effect<Prompt, PromptOpsError>
  readonly list: (options: ListOptions) => Stream.Stream<PromptSummary, PromptOpsError>
}

/**
 * Wraps a backend's implementation with validation and a span. The span
 * (`Prompts.get`) is opened only inside a span of the app, as its child; a
 * get outside any span is not traced (see `Trace.librarySpan`).
 *
 * @since 0.1.0
 */
export const make = (params: ConstructorParams): Prompts.Service => ({
  provider: params.provider,
  get: (slug, options = {}) =>
    Effect.all([
      nonEmpty(params.provider, "Prompts.get", "slug", slug),
      options.version !== undefined
        ? nonEmpty(params.provider, "Prompts.get", "options.version", options.version)
        : Effect.void,
      options.tag !== undefined ? nonEmpty(params.provider, "Prompts.get", "options.tag", options.tag) : Effect.void
    ], { discard: true }).pipe(
      Effect.zipRight(params.get(slug, options)),
      Effect.tap((prompt) => LibrarySpan.annotate(LibrarySpan.PROMPT_VERSION, prompt.version)),
      LibrarySpan.withLibrarySpan("Prompts.get", {
        attributes: LibrarySpan.promptGetAttributes(params.provider, slug, options)
      })
    ),
  list: (options = {}) => params.list(options)
})

/**
 * @since 0.1.0
 */
export const get = (slug: string, options?: GetOptions): Effect.Effect<Prompt, PromptOpsError, Prompts> =>
  Effect.flatMap(Prompts, (prompts) => prompts.get(slug, options))

/**
 * @since 0.1.0
 */
export const list = (options?: ListOptions): Stream.Stream<PromptSummary, PromptOpsError, Prompts> =>
  Stream.unwrap(Effect.map(Prompts, (prompts) => prompts.list(options)))
