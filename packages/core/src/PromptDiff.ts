/**
 * Whether two versions of a prompt are the same prompt, and what differs
 * between them, in the terms people review: messages added, removed or
 * changed, the model and its parameters, the template format, the declared
 * variables. The one rule behind `prompts pull` (and the local store's
 * "nothing new" check), `prompts push`, `prompts diff` and `migrate`.
 *
 * A prompt's content is what the backends version: its messages, model and
 * template format. Backends do not all keep every field (Braintrust stores no
 * model provider and no declared variables, and names a prompt after its slug
 * by default; Basalt declares variables on the prompt, not on a version), so
 * the optional fields (`name`, `description`, `model.provider`, `variables`)
 * are compared only when both sides have them: a prompt read back from a
 * backend that dropped one equals the one that was stored.
 *
 * @since 0.1.0
 */
import { canonical } from "./Json.js"
import type { Message, ModelSpec, PromptDraft } from "./Prompt.js"

/**
 * The fields of a prompt that are its content.
 *
 * @since 0.1.0
 */
export type Content = Pick<PromptDraft, "messages" | "model" | "templateFormat" | "name" | "description" | "variables">

/**
 * One difference, going from `before` to `after`.
 *
 * @since 0.1.0
 */
export interface Change {
  /** e.g. `messages[1].content`, `model.params.temperature`, `messages[2]`. */
  readonly path: string
  readonly kind: "added" | "removed" | "changed"
  readonly before?: unknown
  readonly after?: unknown
}

const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b)

const messageChanges = (before: ReadonlyArray<Message>, after: ReadonlyArray<Message>): Array<Change> => {
  const changes: Array<Change> = []
  const length = Math.max(before.length, after.length)
  for (let i = 0; i < length; i++) {
    const a = before[i]
    const b = after[i]
    const path = `messages[${i}]`
    if (a === undefined) changes.push({ path, kind: "added", after: b })
    else if (b === undefined) changes.push({ path, kind: "removed", before: a })
    else {
      if (a.role !== b.role) changes.push({ path: `${path}.role`, kind: "changed", before: a.role, after: b.role })
      if (!same(a.content, b.content)) {
        changes.push({ path: `${path}.content`, kind: "changed", before: a.content, after: b.content })
      }
      if (a.name !== b.name) changes.push({ path: `${path}.name`, kind: "changed", before: a.name, after: b.name })
      if (!same(a.toolCalls, b.toolCalls)) {
        changes.push({ path: `${path}.toolCalls`, kind: "changed", before: a.toolCalls, after: b.toolCalls })
      }
      if (a.toolCallId !== b.toolCallId) {
        changes.push({ path: `${path}.toolCallId`, kind: "changed", before: a.toolCallId, after: b.toolCallId })
      }
    }
  }
  return changes
}

/** Model parameters without the ones that are not set. */
const paramsOf = (model: ModelSpec | undefined): Record<string, unknown> => {
  const params: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(model?.params ?? {})) {
    if (value === undefined) continue
    if (key === "extra" && typeof value === "object" && value !== null) {
      for (const [extraKey, extraValue] of Object.entries(value)) {
        if (extraValue !== undefined) params[`extra.${extraKey}`] = extraValue
      }
    } else {
      params[key] = value
    }
  }
  return params
}

const modelChanges = (before: ModelSpec | undefined, after: ModelSpec | undefined): Array<Change> => {
  if (before === undefined && after === undefined) return []
  if (before === undefined) return [{ path: "model", kind: "added", after: after!.name }]
  if (after === undefined) return [{ path: "model", kind: "removed", before: before.name }]
  const changes: Array<Change> = []
  if (before.name !== after.name) changes.push({ path: "model.name", kind: "changed", before: before.name, after: after.name })
  if (before.provider !== undefined && after.provider !== undefined && before.provider !== after.provider) {
    changes.push({ path: "model.provider", kind: "changed", before: before.provider, after: after.provider })
  }
  const a = paramsOf(before)
  const b = paramsOf(after)
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const path = `model.params.${key}`
    if (!(key in a)) changes.push({ path, kind: "added", after: b[key] })
    else if (!(key in b)) changes.push({ path, kind: "removed", before: a[key] })
    else if (!same(a[key], b[key])) changes.push({ path, kind: "changed", before: a[key], after: b[key] })
  }
  return changes
}

/**
 * Every difference going from `before` to `after`; empty when they are the
 * same prompt.
 *
 * @since 0.1.0
 */
export const diff = (before: Content, after: Content): ReadonlyArray<Change> => {
  const changes: Array<Change> = []
  if (before.templateFormat !== after.templateFormat) {
    changes.push({ path: "templateFormat", kind: "changed", before: before.templateFormat, after: after.templateFormat })
  }
  for (const field of ["name", "description"] as const) {
    const a = before[field]
    const b = after[field]
    if (a !== undefined && b !== undefined && a !== b) changes.push({ path: field, kind: "changed", before: a, after: b })
  }
  changes.push(...messageChanges(before.messages, after.messages))
  changes.push(...modelChanges(before.model, after.model))
  if (before.variables !== undefined && after.variables !== undefined && !same(before.variables, after.variables)) {
    changes.push({ path: "variables", kind: "changed", before: before.variables, after: after.variables })
  }
  return changes
}

/**
 * Whether two prompts have the same content: `diff` finds nothing.
 *
 * @since 0.1.0
 */
export const equivalent = (a: Content, b: Content): boolean => diff(a, b).length === 0

const show = (value: unknown): string => (typeof value === "string" ? value : canonical(value))

const indent = (text: string, prefix: string): string =>
  text.split("\n").map((line) => `${prefix}${line}`).join("\n")

/**
 * A change as lines for people: `-`/`+` for text that was removed/added.
 *
 * @since 0.1.0
 */
export const formatChange = (change: Change, prefix = "    "): string => {
  switch (change.kind) {
    case "added":
      return change.path.startsWith("messages[")
        ? `${prefix}${change.path} added:\n${indent(show(change.after), `${prefix}  + `)}`
        : `${prefix}${change.path}: + ${show(change.after)}`
    case "removed":
      return change.path.startsWith("messages[")
        ? `${prefix}${change.path} removed:\n${indent(show(change.before), `${prefix}  - `)}`
        : `${prefix}${change.path}: - ${show(change.before)}`
    case "changed": {
      const before = show(change.before)
      const after = show(change.after)
      if (before.includes("\n") || after.includes("\n") || before.length + after.length > 60) {
        return `${prefix}${change.path}:\n${indent(before, `${prefix}  - `)}\n${indent(after, `${prefix}  + `)}`
      }
      return `${prefix}${change.path}: ${before} → ${after}`
    }
  }
}

/**
 * The draft that would store `content` again (for pushing a prompt read
 * elsewhere).
 *
 * @since 0.1.0
 */
export const toDraft = (prompt: PromptDraft & { readonly slug: string }): PromptDraft => ({
  slug: prompt.slug,
  ...(prompt.name !== undefined ? { name: prompt.name } : {}),
  ...(prompt.description !== undefined ? { description: prompt.description } : {}),
  messages: prompt.messages,
  ...(prompt.model !== undefined ? { model: prompt.model } : {}),
  templateFormat: prompt.templateFormat,
  ...(prompt.variables !== undefined ? { variables: prompt.variables } : {})
})
