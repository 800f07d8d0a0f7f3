/**
 * The neutral `Prompts` service on Basalt.
 *
 * Basalt has no API to write prompts (they are edited in its app), so there
 * is no `PromptRegistry` here: a program that needs one does not type-check
 * against the Basalt layer.
 *
 * Resolution follows Basalt: `version` wins over `tag` (only the version is
 * sent, so Basalt does not warn "Ignoring the tag"); neither means the
 * production tag. When the version or tag asked for does not exist, Basalt
 * answers 200 with the production prompt and a `warning`. A silent swap is
 * never what a pinned caller wants, so by default that is a `VersionMismatch`
 * (with `requested`, `received` and Basalt's `warning`);
 * `onFallback: "accept"` returns the production prompt instead, with
 * `warning` set.
 *
 * Prompts are Jinja templates (`templateFormat: "jinja"`), rendered by core's
 * `Prompt.render` with the engine Basalt's JS SDK uses.
 *
 * @since 0.1.0
 */
import type { ModelParams, ModelSpec, Prompt, PromptSummary } from "@promptops/core/Prompt"
import { VersionMismatch } from "@promptops/core/PromptOpsError"
import * as Prompts from "@promptops/core/Prompts"
import * as Records from "@promptops/core/Records"
import { Effect, Layer, Stream } from "effect"
import { BasaltClient, provider } from "./BasaltClient.js"
import type * as BasaltSchema from "./BasaltSchema.js"
import * as BasaltWarning from "./BasaltWarning.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /**
   * When Basalt answers with another version or tag than the one asked for:
   * `fail` with `VersionMismatch` (default), or `accept` and return that
   * prompt with `warning` set.
   */
  readonly onFallback?: "fail" | "accept" | undefined
  /** Where the warnings of `list` go. Default: logged. */
  readonly onWarning?: BasaltWarning.Handler | undefined
}

/**
 * The model parameters in neutral names. `maxLength` is `maxTokens`;
 * Basalt's `responseFormat` string is kept as it is (`text`, `json`,
 * `json-object`, `json_object`, `tools`) with its schema in
 * `extra.jsonObject`; `tools.tools` / `tools.toolChoice` become `tools` /
 * `toolChoice`. Everything else (`client`, the model `version`, `topK`,
 * `reasoningEffort`, `verbosity`, unknown fields) rides in `extra`.
 *
 * @since 0.1.0
 */
export const toModelSpec = (model: BasaltSchema.PromptModel): ModelSpec => {
  const {
    frequencyPenalty,
    maxLength,
    presencePenalty,
    responseFormat,
    temperature,
    tools,
    topP,
    ...parametersRest
  } = model.parameters ?? {}
  const { client, model: name, parameters: _parameters, provider: modelProvider, version, ...modelRest } = model
  const extra: Record<string, unknown> = { ...modelRest }
  if (client !== undefined) extra.client = client
  if (version !== undefined) extra.modelVersion = version
  for (const [key, value] of Object.entries(parametersRest)) {
    if (value !== undefined) Records.set(extra, key, value)
  }
  const { toolChoice, tools: toolList, ...toolsRest } = tools ?? {}
  if (Object.keys(toolsRest).length > 0) extra.toolsConfig = toolsRest
  const params: { -readonly [K in keyof ModelParams]: ModelParams[K] } = {}
  if (temperature !== undefined) params.temperature = temperature
  if (maxLength !== undefined) params.maxTokens = maxLength
  if (topP !== undefined) params.topP = topP
  if (frequencyPenalty !== undefined) params.frequencyPenalty = frequencyPenalty
  if (presencePenalty !== undefined) params.presencePenalty = presencePenalty
  if (responseFormat !== undefined) params.responseFormat = responseFormat
  if (toolList !== undefined) params.tools = toolList
  if (toolChoice !== undefined) params.toolChoice = toolChoice
  if (Object.keys(extra).length > 0) params.extra = extra
  const providerName = modelProvider ?? client
  return { ...(providerName !== undefined ? { provider: providerName } : {}), name, params }
}

/**
 * A `GET /prompts/{slug}` answer as a neutral `Prompt`: the system text (when
 * not empty) then the text, as Jinja templates; `source.raw` is Basalt's
 * prompt object.
 *
 * @since 0.1.0
 */
export const toPrompt = (slug: string, response: BasaltSchema.GetPromptResponse): Prompt => {
  const raw = response.prompt
  const system = raw.systemText
  return {
    slug: raw.slug ?? slug,
    version: raw.version,
    ...(raw.tag !== undefined ? { tag: raw.tag } : {}),
    messages: [
      ...(system !== undefined && system !== "" ? [{ role: "system" as const, content: system }] : []),
      { role: "user" as const, content: raw.text }
    ],
    ...(raw.model !== undefined ? { model: toModelSpec(raw.model) } : {}),
    templateFormat: "jinja",
    ...(response.warning !== undefined ? { warning: response.warning } : {}),
    source: { provider, id: `${raw.slug ?? slug}@${raw.version}`, raw }
  }
}

/**
 * What was asked for and what came back, when they differ.
 *
 * - a version was asked: the answer's `version` must be it;
 * - a tag was asked: the answer's `tag` must be it; an answer without a tag is
 *   taken as a fallback when it carries a warning.
 *
 * @since 0.1.0
 */
export const fallbackOf = (
  selector: Prompts.GetOptions,
  response: BasaltSchema.GetPromptResponse
): { readonly requested: string; readonly received: string } | undefined => {
  const prompt = response.prompt
  const received = `version ${prompt.version}${prompt.tag !== undefined ? ` (tag ${prompt.tag})` : ""}`
  if (selector.version !== undefined) {
    return prompt.version === selector.version ? undefined : { requested: `version ${selector.version}`, received }
  }
  if (selector.tag !== undefined) {
    const differs = prompt.tag !== undefined ? prompt.tag !== selector.tag : response.warning !== undefined
    return differs ? { requested: `tag ${selector.tag}`, received } : undefined
  }
  return undefined
}

/**
 * A listed prompt's deployment tags: its `availableTags` without `latest`,
 * which Basalt keeps pointing at the newest version itself (it cannot be
 * published, so a prompt file never carries it).
 *
 * @since 0.1.0
 */
export const deploymentTags = (item: BasaltSchema.PromptListItem): ReadonlyArray<string> =>
  item.availableTags.filter((tag) => tag !== "latest")

/**
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<Prompts.Prompts.Service, never, BasaltClient> =>
  Effect.gen(function*() {
    const client = yield* BasaltClient
    const onFallback = options.onFallback ?? "fail"
    const onWarning = options.onWarning ?? BasaltWarning.log
    return Prompts.make({
      provider,
      get: (slug, selector) =>
        Effect.gen(function*() {
          // Version wins over tag: only the version is sent.
          const request = selector.version !== undefined
            ? { version: selector.version }
            : selector.tag !== undefined
            ? { tag: selector.tag }
            : {}
          const response = yield* client.getPrompt(slug, request)
          const prompt = toPrompt(slug, response)
          const fallback = fallbackOf(request, response)
          if (fallback === undefined) {
            // A tag that resolved fine is the tag the prompt came through.
            return prompt.tag === undefined && request.tag !== undefined ? { ...prompt, tag: request.tag } : prompt
          }
          if (onFallback === "fail") {
            return yield* new VersionMismatch({
              provider,
              operation: "Prompts.get",
              description: `Basalt answered prompt "${slug}" with ${fallback.received} instead of the ${fallback.requested} asked for${
                response.warning !== undefined ? ` (${response.warning})` : ""
              }`,
              status: 200,
              slug,
              requested: fallback.requested,
              received: fallback.received,
              ...(response.warning !== undefined ? { warning: response.warning } : {})
            })
          }
          return {
            ...prompt,
            warning: response.warning ??
              `Basalt answered ${fallback.received} instead of the ${fallback.requested} asked for`
          }
        }),
      list: (listOptions) =>
        Stream.unwrap(
          client.listPrompts({ featureSlug: listOptions.scope }).pipe(
            Effect.tap((response) =>
              BasaltWarning.report(onWarning, "Prompts.list", listOptions.scope ?? "all prompts", response.warning)
            ),
            Effect.map((response) =>
              Stream.fromIterable(
                response.prompts.flatMap((item): Array<PromptSummary> =>
                  // A prompt without a slug cannot be fetched by slug: it is not listed.
                  item.slug === undefined || item.slug === ""
                    ? []
                    : [{
                      slug: item.slug,
                      name: item.name,
                      ...(item.description !== undefined ? { description: item.description } : {}),
                      ...(deploymentTags(item).length > 0 ? { tags: deploymentTags(item) } : {}),
                      source: { provider, id: item.slug, raw: item }
                    }]
                )
              )
            )
          )
        )
    })
  })

/**
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<Prompts.Prompts, never, BasaltClient> =>
  Layer.effect(Prompts.Prompts, make(options))
