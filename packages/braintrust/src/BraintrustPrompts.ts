/**
 * The neutral `Prompts` and `PromptRegistry` services on Braintrust prompts
 * (`/v1/prompt`) of the configured project.
 *
 * - A prompt's `version` is its `_xact_id` (a transaction id string); a
 *   pinned version may be given in either form (transaction id or 16-hex).
 * - A `tag` is the slug of a Braintrust environment: `get` sends
 *   `environment=<tag>`; `push` first makes sure the organisation has an
 *   environment with that slug (it lists `/environment` and, when none
 *   matches, creates one with name = slug = tag), then writes the version
 *   with `environment_slugs: [tag]`, which points the environment at it.
 *   Braintrust's knowledge base documents `environment_slugs`; the OpenAPI
 *   file does not list it yet. A prompt with no version in the environment,
 *   and an environment Braintrust does not know (a 400 naming it), are
 *   `NotFound`, like an unknown slug.
 * - `push` always stores a new version: it is a `PUT` (create or replace),
 *   never the get-or-create `POST`, which would return an existing prompt
 *   unmodified.
 * - `prompt_data` ↔ neutral: chat messages map one to one (roles `function`
 *   → `tool`, `model` → `assistant`), with an assistant's `tool_calls` as
 *   `toolCalls`, a tool message's `tool_call_id` as `toolCallId` and `file`
 *   parts as file parts; a completion prompt becomes one user message;
 *   `options.model` and `options.params` become the model spec, with the chat
 *   block's `tools` (a JSON string) as `params.tools` and the parameters only
 *   Braintrust reads (`use_cache`, `reasoning_enabled`, `reasoning_budget`) as
 *   `params.vendor`; `template_format` defaults to mustache, and `nunjucks` is
 *   the neutral `nunjucks` (not Basalt's `jinja`: they render differently).
 * - A `jinja` draft is pushed as `nunjucks` only when every template in it
 *   renders the same in both (`Prompt.formatDifferences`); otherwise the
 *   push fails with a `TemplateError` listing what differs.
 *
 * @since 0.1.0
 */
import * as Prompt from "@promptops/core/Prompt"
import { DecodeError, NotFound, type PromptOpsError, TemplateError } from "@promptops/core/PromptOpsError"
import * as PromptRegistry from "@promptops/core/PromptRegistry"
import * as Prompts from "@promptops/core/Prompts"
import * as Records from "@promptops/core/Records"
import { Context, Effect, Either, Layer, Stream } from "effect"
import { BraintrustClient, provider } from "./BraintrustClient.js"
import type * as BraintrustSchema from "./BraintrustSchema.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /** The project holding the prompts; default: the client's `project`. */
  readonly project?: string | undefined
}

// -----------------------------------------------------------------------------
// Mapping
// -----------------------------------------------------------------------------

/** Where a `prompt_data` could not be read, and why. */
interface Problem {
  readonly path: string
  readonly description: string
}

const roleOf = (role: BraintrustSchema.ChatMessage["role"]): Prompt.Role => {
  switch (role) {
    case "function":
      return "tool"
    case "model":
      return "assistant"
    default:
      return role
  }
}

const imageDetail = (detail: unknown): "auto" | "low" | "high" | undefined =>
  detail === "auto" || detail === "low" || detail === "high" ? detail : undefined

const contentOf = (
  content: BraintrustSchema.ChatMessage["content"],
  path: string
): Either.Either<Prompt.Message["content"], Problem> => {
  if (content === undefined || content === null) return Either.right("")
  if (typeof content === "string") return Either.right(content)
  const parts: Array<Prompt.ContentPart> = []
  for (let i = 0; i < content.length; i++) {
    const part = content[i]!
    if (part.type === "text") parts.push({ type: "text", text: part.text })
    else if (part.type === "image_url") {
      const detail = imageDetail(part.image_url.detail)
      parts.push({ type: "image_url", url: part.image_url.url, ...(detail !== undefined ? { detail } : {}) })
    } else if (part.type === "file") {
      const file = part.file
      parts.push({
        type: "file",
        ...(typeof file.file_data === "string" ? { data: file.file_data } : {}),
        ...(typeof file.file_id === "string" ? { fileId: file.file_id } : {}),
        ...(typeof file.filename === "string" ? { filename: file.filename } : {})
      })
    } else {
      return Either.left({
        path: `${path}[${i}]`,
        description: `a "${(part as { type: string }).type}" content part has no neutral form`
      })
    }
  }
  return Either.right(parts)
}

/** An OpenAI tool call: `{ id, type: "function", function: { name, arguments } }`. */
const toolCallsOf = (
  calls: ReadonlyArray<unknown> | null | undefined,
  path: string
): Either.Either<ReadonlyArray<Prompt.ToolCall> | undefined, Problem> => {
  if (calls === undefined || calls === null) return Either.right(undefined)
  const out: Array<Prompt.ToolCall> = []
  for (let i = 0; i < calls.length; i++) {
    const call = calls[i] as { id?: unknown; type?: unknown; function?: { name?: unknown; arguments?: unknown } }
    const fn = typeof call === "object" && call !== null ? call.function : undefined
    if (
      typeof call !== "object" || call === null || typeof call.id !== "string" ||
      (call.type !== undefined && call.type !== "function") || typeof fn !== "object" || fn === null ||
      typeof fn.name !== "string" || typeof fn.arguments !== "string"
    ) {
      return Either.left({
        path: `${path}[${i}]`,
        description: `a tool call must be { id, type: "function", function: { name, arguments } } with string values`
      })
    }
    out.push({ id: call.id, name: fn.name, arguments: fn.arguments })
  }
  return Either.right(out)
}

/** The parameters Braintrust's SDK strips before a call (its `BraintrustModelParams`). */
const vendorParams: ReadonlySet<string> = new Set(["use_cache", "reasoning_enabled", "reasoning_budget"])

/** The vendor keys with a neutral name, and that name. */
const namedParams: ReadonlyArray<readonly [vendor: string, neutral: keyof Prompt.ModelParams]> = [
  ["temperature", "temperature"],
  ["max_tokens", "maxTokens"],
  ["top_p", "topP"],
  ["frequency_penalty", "frequencyPenalty"],
  ["presence_penalty", "presencePenalty"],
  ["stop", "stop"],
  ["response_format", "responseFormat"],
  ["tool_choice", "toolChoice"]
]

const modelParamsOf = (
  params: Record<string, unknown>,
  tools: ReadonlyArray<unknown> | undefined
): Prompt.ModelParams => {
  const out: Record<string, unknown> = {}
  const extra: Record<string, unknown> = {}
  const vendor: Record<string, unknown> = {}
  const named = new Map(namedParams)
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue
    if (vendorParams.has(key)) {
      Records.set(vendor, key, value)
      continue
    }
    const neutral = named.get(key)
    if (neutral === undefined) {
      Records.set(extra, key, value)
      continue
    }
    const valid = neutral === "stop"
      ? Array.isArray(value) && value.every((item) => typeof item === "string")
      : neutral === "responseFormat" || neutral === "toolChoice"
      ? value !== null
      : typeof value === "number"
    // A value of another type than the neutral field's stays, unchanged, in `extra`.
    if (valid) out[neutral] = value
    else if (value !== null) Records.set(extra, key, value)
  }
  if (tools !== undefined) out["tools"] = tools
  if (Object.keys(extra).length > 0) out["extra"] = extra
  if (Object.keys(vendor).length > 0) out["vendor"] = vendor
  return out as Prompt.ModelParams
}

const toolsOf = (tools: string | undefined, path: string): Either.Either<ReadonlyArray<unknown> | undefined, Problem> => {
  if (tools === undefined || tools.trim() === "") return Either.right(undefined)
  try {
    const parsed: unknown = JSON.parse(tools)
    return Array.isArray(parsed)
      ? Either.right(parsed)
      : Either.left({ path, description: "tools must be a JSON-encoded array of tool definitions" })
  } catch {
    return Either.left({ path, description: "tools is not valid JSON" })
  }
}

const templateFormatOf = (format: string | null | undefined): Prompt.TemplateFormat =>
  format === "nunjucks" ? "nunjucks" : format === "none" ? "none" : "mustache"

/**
 * A Braintrust prompt as the neutral `Prompt`. `tag` is the environment it
 * was resolved through, if any.
 *
 * @since 0.1.0
 */
export const fromBraintrust = (
  prompt: BraintrustSchema.Prompt,
  options: { readonly tag?: string | undefined } = {}
): Either.Either<Prompt.Prompt, { readonly path: string; readonly description: string }> => {
  const data = prompt.prompt_data ?? undefined
  const block = data?.prompt ?? undefined
  const messages: Array<Prompt.Message> = []
  let tools: ReadonlyArray<unknown> | undefined
  if (block !== undefined && block.type === "completion") {
    messages.push({ role: "user", content: block.content })
  } else if (block !== undefined) {
    for (let i = 0; i < block.messages.length; i++) {
      const message = block.messages[i]!
      const content = contentOf(message.content, `prompt_data.prompt.messages[${i}].content`)
      if (Either.isLeft(content)) return Either.left(content.left)
      const toolCalls = toolCallsOf(message.tool_calls, `prompt_data.prompt.messages[${i}].tool_calls`)
      if (Either.isLeft(toolCalls)) return Either.left(toolCalls.left)
      messages.push({
        role: roleOf(message.role),
        content: content.right,
        ...(typeof message.name === "string" ? { name: message.name } : {}),
        ...(toolCalls.right !== undefined ? { toolCalls: toolCalls.right } : {}),
        ...(typeof message.tool_call_id === "string" ? { toolCallId: message.tool_call_id } : {})
      })
    }
    const parsedTools = toolsOf(block.tools, "prompt_data.prompt.tools")
    if (Either.isLeft(parsedTools)) return Either.left(parsedTools.left)
    tools = parsedTools.right
  }
  const options_ = data?.options ?? undefined
  const model = typeof options_?.model === "string" && options_.model !== ""
    ? { name: options_.model, params: modelParamsOf(options_.params ?? {}, tools) }
    : undefined
  return Either.right({
    slug: prompt.slug,
    name: prompt.name,
    ...(typeof prompt.description === "string" ? { description: prompt.description } : {}),
    version: prompt._xact_id,
    ...(options.tag !== undefined ? { tag: options.tag } : {}),
    messages,
    ...(model !== undefined ? { model } : {}),
    templateFormat: templateFormatOf(data?.template_format),
    source: { provider, id: prompt.id, raw: prompt }
  })
}

const messageToBraintrust = (message: Prompt.Message): BraintrustSchema.ChatMessage => ({
  role: message.role,
  content: typeof message.content === "string"
    ? message.content
    : message.content.map((part): BraintrustSchema.ChatContentPart => {
      switch (part.type) {
        case "text":
          return { type: "text", text: part.text }
        case "image_url":
          return {
            type: "image_url",
            image_url: { url: part.url, ...(part.detail !== undefined ? { detail: part.detail } : {}) }
          }
        case "file":
          return {
            type: "file",
            file: {
              ...(part.data !== undefined ? { file_data: part.data } : {}),
              ...(part.fileId !== undefined ? { file_id: part.fileId } : {}),
              ...(part.filename !== undefined ? { filename: part.filename } : {})
            }
          }
      }
    }),
  ...(message.name !== undefined ? { name: message.name } : {}),
  ...(message.toolCalls !== undefined
    ? {
      tool_calls: message.toolCalls.map((call) => ({
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: call.arguments }
      }))
    }
    : {}),
  ...(message.toolCallId !== undefined ? { tool_call_id: message.toolCallId } : {})
})

const paramsToBraintrust = (params: Prompt.ModelParams): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...params.extra, ...params.vendor }
  if (params.temperature !== undefined) out["temperature"] = params.temperature
  if (params.maxTokens !== undefined) out["max_tokens"] = params.maxTokens
  if (params.topP !== undefined) out["top_p"] = params.topP
  if (params.frequencyPenalty !== undefined) out["frequency_penalty"] = params.frequencyPenalty
  if (params.presencePenalty !== undefined) out["presence_penalty"] = params.presencePenalty
  if (params.stop !== undefined) out["stop"] = params.stop
  if (params.responseFormat !== undefined) out["response_format"] = params.responseFormat
  if (params.toolChoice !== undefined) out["tool_choice"] = params.toolChoice
  return out
}

/**
 * A neutral draft as Braintrust `prompt_data`: always a chat prompt. The
 * model spec's `provider` has no place in `prompt_data` and is not stored.
 * A `jinja` draft is labelled `nunjucks`: check `jinjaDifferences` first
 * (`push` does), as the two render differently.
 *
 * @since 0.1.0
 */
export const toBraintrust = (draft: Prompt.PromptDraft): BraintrustSchema.PromptData => {
  const tools = draft.model?.params.tools
  return {
    prompt: {
      type: "chat",
      messages: draft.messages.map(messageToBraintrust),
      ...(tools !== undefined ? { tools: JSON.stringify(tools) } : {})
    },
    ...(draft.model !== undefined
      ? { options: { model: draft.model.name, params: paramsToBraintrust(draft.model.params) } }
      : {}),
    template_format: draft.templateFormat === "jinja" ? "nunjucks" : draft.templateFormat
  }
}

/**
 * Why a `jinja` draft (Basalt's format) cannot be stored as Braintrust's
 * `nunjucks`: the constructs that would render differently there. Empty for
 * any other format, and for a jinja draft that renders the same.
 *
 * @since 0.1.0
 */
export const jinjaDifferences = (draft: Prompt.PromptDraft): ReadonlyArray<string> =>
  draft.templateFormat === "jinja" ? Prompt.formatDifferences(draft, "nunjucks") : []

const conversionError = (draft: Prompt.PromptDraft, differences: ReadonlyArray<string>): TemplateError =>
  new TemplateError({
    provider,
    operation: "PromptRegistry.push",
    format: "jinja",
    missing: [],
    description: `prompt "${draft.slug}" is a jinja template (Basalt's format), which Braintrust cannot store: ` +
      `its nunjucks renders it differently (${differences.join("; ")}). Rewrite it as nunjucks or mustache, ` +
      `or convert it knowingly (promptops migrate --convert-templates)`
  })

// -----------------------------------------------------------------------------
// Services
// -----------------------------------------------------------------------------

const decodeFailure = (operation: string, problem: Problem): DecodeError =>
  new DecodeError({ provider, operation, path: problem.path, description: problem.description })

/**
 * Builds both services over the `BraintrustClient` in context.
 *
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<
  { readonly prompts: Prompts.Prompts.Service; readonly registry: PromptRegistry.PromptRegistry.Service },
  never,
  BraintrustClient
> =>
  Effect.map(BraintrustClient, (client) => {
    // Reads look the project up and never create it; only a push get-or-creates it.
    const projectId = Effect.map(client.findProject(options.project), (project) => project.id)
    const writeProjectId = Effect.map(client.resolveProject(options.project), (project) => project.id)

    const toPrompt = (operation: string, prompt: BraintrustSchema.Prompt, tag: string | undefined) =>
      Either.match(fromBraintrust(prompt, { tag }), {
        onLeft: (problem) => Effect.fail(decodeFailure(operation, problem)),
        onRight: Effect.succeed
      })

    const findBySlug = (operation: string, slug: string) =>
      Effect.flatMap(projectId, (project_id) =>
        Effect.flatMap(client.prompts.list({ project_id, slug, limit: 1 }), (found) =>
          found[0] === undefined
            ? Effect.fail(
              new NotFound({
                provider,
                operation,
                description: `prompt "${slug}" does not exist in the project`,
                resource: `prompt "${slug}"`
              })
            )
            : Effect.succeed(found[0])))

    const get = (slug: string, request: Prompts.GetOptions): Effect.Effect<Prompt.Prompt, PromptOpsError> =>
      Effect.gen(function*() {
        const project_id = yield* projectId
        // `version` wins over `tag`, as the neutral contract says; the API takes only one.
        const pin = request.version !== undefined
          ? { version: request.version }
          : request.tag !== undefined
          ? { environment: request.tag }
          : {}
        const what = `prompt "${slug}"${
          request.version !== undefined
            ? ` version ${request.version}`
            : request.tag !== undefined
            ? ` in environment "${request.tag}"`
            : ""
        }`
        const found = yield* client.prompts.list({ project_id, slug, limit: 1, ...pin }).pipe(
          // Braintrust answers an environment it does not know with a 400 naming it (one that merely holds
          // no version of the prompt gives no objects); either way the neutral answer is NotFound.
          Effect.catchTag("BadRequest", (error): Effect.Effect<never, PromptOpsError> =>
            "environment" in pin && error.status === 400 && /environment/i.test(error.description)
              ? Effect.fail(
                new NotFound({
                  provider,
                  operation: "Prompts.get",
                  description: error.description,
                  resource: what,
                  status: error.status,
                  requestId: error.requestId
                })
              )
              : Effect.fail(error))
        )
        const prompt = found[0]
        if (prompt === undefined) {
          return yield* new NotFound({
            provider,
            operation: "Prompts.get",
            description: `${what} does not exist`,
            resource: what
          })
        }
        return yield* toPrompt("Prompts.get", prompt, request.version === undefined ? request.tag : undefined)
      })

    const list = (request: Prompts.ListOptions): Stream.Stream<Prompt.PromptSummary, PromptOpsError> =>
      Stream.unwrap(
        Effect.map(
          Effect.all([
            request.scope !== undefined
              ? Effect.succeed<BraintrustSchema.ListPromptsQuery>({ project_name: request.scope })
              : Effect.map(projectId, (project_id): BraintrustSchema.ListPromptsQuery => ({ project_id })),
            // Environments belong to the organisation: one list names every one a prompt may be resolved through.
            // A deployment without them (404) or a key that may not see them (403) has none to offer.
            Effect.map(client.environments.list(), (all) => liveSlugs(all)).pipe(
              Effect.catchTags({ NotFound: () => Effect.succeed([]), Forbidden: () => Effect.succeed([]) })
            )
          ]),
          ([filter, environments]) =>
            Stream.map(client.prompts.stream(filter), (prompt): Prompt.PromptSummary => {
              // The listing holds the whole prompt: handed on, so nobody asks for it again.
              const full = fromBraintrust(prompt)
              return {
                slug: prompt.slug,
                name: prompt.name,
                ...(typeof prompt.description === "string" ? { description: prompt.description } : {}),
                version: prompt._xact_id,
                ...(environments.length > 0 ? { tags: environments } : {}),
                ...(Either.isRight(full) ? { prompt: full.right } : {}),
                source: { provider, id: prompt.id, raw: prompt }
              }
            })
        )
      )

    const liveSlugs = (environments: ReadonlyArray<BraintrustSchema.Environment>): ReadonlyArray<string> =>
      environments.filter((environment) => environment.deleted_at === undefined || environment.deleted_at === null)
        .map((environment) => environment.slug)

    const isLive = (slug: string) => (environment: BraintrustSchema.Environment): boolean =>
      environment.slug === slug && (environment.deleted_at === undefined || environment.deleted_at === null)

    // Environments are few per organisation and the list is not paged, so one unfiltered list finds a slug
    // (the list's `name` filter matches names, and a UI-made environment's name often differs from its slug).
    const ensureEnvironments = (slugs: ReadonlyArray<string>): Effect.Effect<void, PromptOpsError> =>
      Effect.gen(function*() {
        const existing = yield* client.environments.list()
        for (const slug of slugs) {
          if (existing.some(isLive(slug))) continue
          yield* client.environments.create({
            name: slug,
            slug,
            ...(client.orgName !== undefined ? { org_name: client.orgName } : {})
          }).pipe(
            // Creating is not get-or-create: a concurrent push (or a retried create whose answer was lost)
            // gets a 400 for a slug that now exists, which is all push needs.
            Effect.catchTag("BadRequest", (error) =>
              Effect.flatMap(
                client.environments.list(),
                (all): Effect.Effect<void, PromptOpsError> => all.some(isLive(slug)) ? Effect.void : Effect.fail(error)
              ))
          )
        }
      })

    const push = (draft: Prompt.PromptDraft): Effect.Effect<Prompt.Prompt, PromptOpsError> =>
      Effect.gen(function*() {
        const differences = jinjaDifferences(draft)
        if (differences.length > 0) return yield* conversionError(draft, differences)
        const project_id = yield* writeProjectId
        const environments = [...new Set([...(draft.tag !== undefined ? [draft.tag] : []), ...(draft.tags ?? [])])]
        if (environments.length > 0) yield* ensureEnvironments(environments)
        const { prompt } = yield* client.prompts.replace({
          project_id,
          name: draft.name ?? draft.slug,
          slug: draft.slug,
          ...(draft.description !== undefined ? { description: draft.description } : {}),
          prompt_data: toBraintrust(draft),
          ...(environments.length > 0 ? { environment_slugs: environments } : {})
        })
        return yield* toPrompt("PromptRegistry.push", prompt, draft.tag)
      })

    const remove = (slug: string): Effect.Effect<void, PromptOpsError> =>
      Effect.flatMap(findBySlug("PromptRegistry.delete", slug), (prompt) => Effect.asVoid(client.prompts.delete(prompt.id)))

    return {
      prompts: Prompts.make({ provider, get, list }),
      registry: PromptRegistry.make({ provider, push, delete: remove })
    }
  })

/**
 * `Prompts` and `PromptRegistry` from the `BraintrustClient` in context.
 *
 * @since 0.1.0
 */
export const layer = (
  options: Options = {}
): Layer.Layer<Prompts.Prompts | PromptRegistry.PromptRegistry, never, BraintrustClient> =>
  Layer.effectContext(
    Effect.map(make(options), (services) =>
      Context.make(Prompts.Prompts, services.prompts).pipe(
        Context.add(PromptRegistry.PromptRegistry, services.registry)
      ))
  )
