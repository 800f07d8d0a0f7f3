/**
 * Basalt's prompt resolution (vendors/basalt.md §2.1): version → tag → the `production` tag, with its fallback
 * warnings and texts.
 */
import type { StoredPrompt, StoredPromptVersion } from "./Store.js"

/** Basalt's texts (vendors/basalt.md §2.1). @since 0.1.0 */
export const messages = {
  bothGiven: "Both version and tag were provided. Ignoring the tag.",
  versionFallback: "No prompt found at the specified version. Falling back to the production version.",
  tagFallback: "No prompt found with the specified tag. Falling back to the production version.",
  noPrompt: (slug: string) => `No prompt with slug "${slug}" exists.`,
  noProduction: "No production version found. Please check on the app.",
  nothingResolves:
    "No prompt found at the specified version or tag. The production version is also missing. Please check on the app.",
  noFeature: (slug: string) => `No feature with slug "${slug}" exists.`,
  promptNotFoundForLog:
    "No prompt found with the given slug or no production version found or no prompt found with the given version or tag (production version also missing)",
  droppedColumns: (columns: ReadonlyArray<string>) =>
    `The following columns do not exist in the dataset and were omitted: ${columns.join(", ")}`,
  datasetNotFound: "Dataset not found"
} as const

export type Resolution =
  | { readonly _tag: "Resolved"; readonly version: StoredPromptVersion; readonly tag: string | undefined; readonly warning: string | undefined }
  | { readonly _tag: "Missing"; readonly error: string }

export const versionOfTag = (prompt: StoredPrompt, tag: string): StoredPromptVersion | undefined => {
  const version = prompt.tags.get(tag) ?? (tag === "latest" ? prompt.versions[prompt.versions.length - 1]?.version : undefined)
  return version === undefined ? undefined : prompt.versions.find((v) => v.version === version)
}

export const availableTags = (prompt: StoredPrompt): Array<string> =>
  prompt.tags.has("latest") ? [...prompt.tags.keys()] : [...prompt.tags.keys(), "latest"]

/**
 * Basalt's resolution: version → tag → production, with the fallback warnings.
 *
 * @since 0.1.0
 */
export const resolvePrompt = (
  prompt: StoredPrompt,
  selector: { readonly version?: string | undefined; readonly tag?: string | undefined }
): Resolution => {
  const warnings: Array<string> = []
  let tag = selector.tag
  if (selector.version !== undefined && tag !== undefined) {
    warnings.push(messages.bothGiven)
    tag = undefined
  }
  const production = versionOfTag(prompt, "production")
  const fallback = (why: string): Resolution =>
    production === undefined
      ? { _tag: "Missing", error: messages.nothingResolves }
      : { _tag: "Resolved", version: production, tag: "production", warning: [...warnings, why].join(" ") }
  const done = (version: StoredPromptVersion, resolvedTag: string | undefined): Resolution => ({
    _tag: "Resolved",
    version,
    tag: resolvedTag,
    warning: warnings.length === 0 ? undefined : warnings.join(" ")
  })
  if (selector.version !== undefined) {
    const version = prompt.versions.find((v) => v.version === selector.version)
    return version === undefined ? fallback(messages.versionFallback) : done(version, undefined)
  }
  if (tag !== undefined) {
    const version = versionOfTag(prompt, tag)
    return version === undefined ? fallback(messages.tagFallback) : done(version, tag)
  }
  return production === undefined ? { _tag: "Missing", error: messages.noProduction } : done(production, "production")
}
