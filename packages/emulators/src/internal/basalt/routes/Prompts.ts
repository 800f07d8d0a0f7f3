/**
 * `/prompts`: list (by feature), get and describe (resolved by version / tag with Basalt's fallbacks), publish.
 */
import { json, type Route, type RouteContext } from "../../../EmulatorServer.js"
import type { BasaltDeps } from "../Context.js"
import { fail } from "../Errors.js"
import { availableTags, messages, type Resolution, resolvePrompt, versionOfTag } from "../Resolution.js"
import type { BasaltStore, StoredPrompt, StoredPromptVersion } from "../Store.js"

export const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)

const promptBody = (prompt: StoredPrompt, resolution: Extract<Resolution, { _tag: "Resolved" }>) => ({
  slug: prompt.slug,
  version: resolution.version.version,
  ...(resolution.tag !== undefined ? { tag: resolution.tag } : {}),
  text: resolution.version.text,
  systemText: resolution.version.systemText,
  model: resolution.version.model
})

const resolveOrFail = (
  context: RouteContext,
  prompt: StoredPrompt,
  selector: { version?: string | undefined; tag?: string | undefined }
): Extract<Resolution, { _tag: "Resolved" }> => {
  const resolution = resolvePrompt(prompt, selector)
  return resolution._tag === "Missing" ? fail(context, 404, resolution.error) : resolution
}

export const promptOf = (context: RouteContext, store: BasaltStore, slug: string): StoredPrompt =>
  store.prompts.get(slug) ?? fail(context, 404, messages.noPrompt(slug))

/** The prompt of `/prompts/{slug}…` resolved by the request's `version` / `tag`, and Basalt's fallback warning. */
const requestedPrompt = (context: RouteContext, store: BasaltStore) => {
  const prompt = promptOf(context, store, String(context.params["slug"]))
  const resolution = resolveOrFail(context, prompt, {
    version: str(context.query["version"]),
    tag: str(context.query["tag"])
  })
  const warning = resolution.warning !== undefined ? { warning: resolution.warning } : {}
  return { prompt, resolution, warning }
}

export const promptRoutes = (deps: BasaltDeps): ReadonlyArray<Route> => {
  const { store } = deps
  return [
    {
      method: "GET",
      path: "/prompts",
      write: false,
      handle: (context) => {
        const feature = str(context.query["featureSlug"])
        const prompts = [...store.prompts.values()]
          .filter((prompt) => feature === undefined || prompt.featureSlugs.has(feature))
          .map((prompt) => ({
            slug: prompt.slug,
            name: prompt.name,
            status: prompt.status,
            description: prompt.description,
            availableVersions: prompt.versions.map((v) => v.version),
            availableTags: availableTags(prompt)
          }))
        return json({ prompts })
      }
    },
    {
      method: "GET",
      path: "/prompts/{slug}",
      write: false,
      handle: (context) => {
        const { prompt, resolution, warning } = requestedPrompt(context, store)
        return json({ ...warning, prompt: promptBody(prompt, resolution) })
      }
    },
    {
      method: "GET",
      path: "/prompts/{slug}/describe",
      write: false,
      handle: (context) => {
        const { prompt, resolution, warning } = requestedPrompt(context, store)
        return json({
          ...warning,
          prompt: {
            slug: prompt.slug,
            name: prompt.name,
            status: prompt.status,
            description: prompt.description,
            availableVersions: prompt.versions.map((v) => v.version),
            availableTags: availableTags(prompt),
            variables: resolution.version.variables
          }
        })
      }
    },
    {
      method: "POST",
      path: "/prompts/{slug}/publish",
      write: true,
      handle: (context) => {
        const prompt = promptOf(context, store, String(context.params["slug"]))
        const body = context.body as { newTag: string; version?: string; tag?: string }
        if (body.newTag === "latest") fail(context, 400, "The latest tag always points to the newest version; it cannot be published")
        let version: StoredPromptVersion | undefined
        if (body.version !== undefined) {
          version = prompt.versions.find((v) => v.version === body.version)
          if (version === undefined) fail(context, 404, `No version "${body.version}" found for prompt "${prompt.slug}".`)
        } else if (body.tag !== undefined) {
          version = versionOfTag(prompt, body.tag)
          if (version === undefined) fail(context, 404, `No tag "${body.tag}" found for prompt "${prompt.slug}".`)
        } else {
          version = versionOfTag(prompt, "production")
          if (version === undefined) fail(context, 404, messages.noProduction)
        }
        prompt.tags.set(body.newTag, version!.version)
        let id = prompt.tagIds.get(body.newTag)
        if (id === undefined) {
          id = store.uuid()
          prompt.tagIds.set(body.newTag, id)
        }
        return json({ deploymentTag: { id, label: body.newTag } }, { status: 201 })
      }
    }
  ]
}
