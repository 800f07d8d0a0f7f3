/**
 * What Basalt offers on prompts beyond the neutral `Prompts`: `describe` (the
 * declared variables, versions and tags) and `publish` (point a deployment
 * tag such as `production` at a version).
 *
 * @since 0.1.0
 */
import type { Variable } from "@promptops/core/Prompt"
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import * as Trace from "@promptops/core/Trace"
import { Context, Effect, Layer } from "effect"
import { BasaltClient, type PromptSelector } from "./BasaltClient.js"
import type * as BasaltSchema from "./BasaltSchema.js"

/**
 * A prompt's description.
 *
 * @since 0.1.0
 */
export interface PromptDescription {
  readonly slug: string
  readonly name: string
  /** `live` or `draft`. */
  readonly status?: string | undefined
  readonly description?: string | undefined
  readonly versions: ReadonlyArray<string>
  readonly tags: ReadonlyArray<string>
  /** The variables the prompt declares (`label` is the name). */
  readonly variables: ReadonlyArray<Variable>
  /** The version and tag described, where Basalt says. */
  readonly version?: string | undefined
  readonly tag?: string | undefined
  /** Basalt's warning (e.g. the version asked for fell back to production). */
  readonly warning?: string | undefined
  readonly raw: BasaltSchema.PromptDescription
}

/**
 * What `publish` did: the deployment tag and its id.
 *
 * @since 0.1.0
 */
export interface DeploymentTag {
  readonly id: string
  readonly label: string
  readonly warning?: string | undefined
}

/**
 * @since 0.1.0
 */
export declare namespace BasaltPromptsExtra {
  /**
   * @since 0.1.0
   */
  export interface Service {
    readonly describe: (slug: string, options?: PromptSelector) => Effect.Effect<PromptDescription, PromptOpsError>
    /**
     * Points `newTag` at the version selected by `version` (or by the version
     * `tag` points at; neither: production). Creates the tag if needed.
     * Moving a tag to where it already is changes nothing, so this is retried.
     */
    readonly publish: (
      slug: string,
      options: { readonly newTag: string; readonly version?: string | undefined; readonly tag?: string | undefined }
    ) => Effect.Effect<DeploymentTag, PromptOpsError>
  }
}

/**
 * @since 0.1.0
 */
export class BasaltPromptsExtra extends Context.Tag("@promptops/basalt/BasaltPromptsExtra")<
  BasaltPromptsExtra,
  BasaltPromptsExtra.Service
>() {}

/**
 * @since 0.1.0
 */
export const make: Effect.Effect<BasaltPromptsExtra.Service, never, BasaltClient> = Effect.map(
  BasaltClient,
  (client): BasaltPromptsExtra.Service => ({
    describe: (slug, options) =>
      Effect.map(client.describePrompt(slug, options), (response): PromptDescription => {
        const prompt = response.prompt
        return {
          slug: prompt.slug ?? slug,
          name: prompt.name,
          ...(prompt.status !== undefined ? { status: prompt.status } : {}),
          ...(prompt.description !== undefined ? { description: prompt.description } : {}),
          versions: prompt.availableVersions,
          tags: prompt.availableTags,
          variables: prompt.variables.map((variable): Variable => ({
            name: variable.label,
            ...(variable.type !== undefined ? { type: variable.type } : {}),
            ...(variable.description !== undefined ? { description: variable.description } : {})
          })),
          ...(prompt.version !== undefined ? { version: prompt.version } : {}),
          ...(prompt.tag !== undefined ? { tag: prompt.tag } : {}),
          ...(response.warning !== undefined ? { warning: response.warning } : {}),
          raw: prompt
        }
      }).pipe(Trace.librarySpan("BasaltPromptsExtra.describe", { attributes: { "promptops.prompt.slug": slug } })),
    publish: (slug, options) =>
      Effect.map(
        client.publishPrompt(slug, {
          newTag: options.newTag,
          ...(options.version !== undefined ? { version: options.version } : {}),
          ...(options.tag !== undefined ? { tag: options.tag } : {})
        }),
        (response): DeploymentTag => ({
          id: response.deploymentTag.id,
          label: response.deploymentTag.label,
          ...(response.warning !== undefined ? { warning: response.warning } : {})
        })
      ).pipe(Trace.librarySpan("BasaltPromptsExtra.publish", { attributes: { "promptops.prompt.slug": slug } }))
  })
)

/**
 * @since 0.1.0
 */
export const layer: Layer.Layer<BasaltPromptsExtra, never, BasaltClient> = Layer.effect(BasaltPromptsExtra, make)
