/**
 * Prompts as code: the file format of the local backend's prompts directory,
 * one human-diffable JSON file per prompt holding every version and the tags
 * (environments) that point at them.
 *
 * ```json
 * {
 *   "slug": "support-answer",
 *   "name": "Support answer",
 *   "tags": {
 *     "production": "1"
 *   },
 *   "versions": [
 *     {
 *       "version": "1",
 *       "createdAt": "2026-11-22T10:00:00.000Z",
 *       "templateFormat": "mustache",
 *       "model": { "name": "gpt-4o-mini", "params": { "temperature": 0 } },
 *       "messages": [{ "role": "user", "content": "Answer: {{question}}" }]
 *     }
 *   ]
 * }
 * ```
 *
 * `format` always writes the same bytes for the same file (2-space indent, keys
 * in a fixed order, tags sorted, a trailing newline), so `git diff` shows only
 * what changed. Versions are kept oldest first; the last one is the latest.
 * The promptops CLI uses this module for `prompts pull | push | diff`.
 *
 * @since 0.1.0
 */
import * as Path from "node:path"
import type { Prompt as PromptType, PromptDraft } from "@promptops/core/Prompt"
import { Message, ModelSpec, TemplateFormat, Variable } from "@promptops/core/Prompt"
import * as PromptDiff from "@promptops/core/PromptDiff"
import type { DecodeError, NotFound, PromptOpsError, ProviderUnavailable } from "@promptops/core/PromptOpsError"
import * as Records from "@promptops/core/Records"
import { Effect, Either, Option, ParseResult, Schema } from "effect"
import { decodeError, notFound, PROVIDER } from "./internal/errors.js"
import * as Files from "./internal/files.js"
import { syntaxErrorLocation } from "./internal/json.js"

/**
 * One version of a prompt: its content, frozen.
 *
 * @since 0.1.0
 */
export const PromptVersion = Schema.Struct({
  /** `"1"`, `"2"`, … for versions pushed locally; any non-empty string from a pull. */
  version: Schema.NonEmptyString,
  /** ISO 8601 time of the push. */
  createdAt: Schema.optional(Schema.String),
  templateFormat: TemplateFormat,
  model: Schema.optional(ModelSpec),
  messages: Schema.Array(Message),
  variables: Schema.optional(Schema.Array(Variable))
})
/** @since 0.1.0 */
export type PromptVersion = typeof PromptVersion.Type

/**
 * The content of one prompt file.
 *
 * @since 0.1.0
 */
export const PromptFile = Schema.Struct({
  slug: Schema.NonEmptyString,
  name: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  /** tag (environment) → version. Optional in a hand-written file; always written. */
  tags: Schema.optionalWith(Records.of(Schema.String), { default: () => ({}) }),
  /** Oldest first; the last one is the latest. */
  versions: Schema.Array(PromptVersion)
})
/** @since 0.1.0 */
export type PromptFile = typeof PromptFile.Type

/**
 * The extension of prompt files. Other files in the directory are ignored.
 *
 * @since 0.1.0
 */
export const extension = ".json"

// -----------------------------------------------------------------------------
// File names
// -----------------------------------------------------------------------------

const SAFE = /^[A-Za-z0-9_.-]$/

/**
 * The file name of a slug: the slug itself when it is made of letters, digits,
 * `_`, `.` and `-` (and does not start with `.`); other characters are
 * percent-encoded (`a/b` → `a%2Fb.json`), so any slug maps to one file.
 *
 * @since 0.1.0
 */
export const fileName = (slug: string): string => {
  let name = ""
  for (const char of slug) {
    if (SAFE.test(char) && !(name === "" && char === ".")) {
      name += char
    } else {
      for (const byte of Buffer.from(char, "utf8")) name += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
    }
  }
  return `${name}${extension}`
}

/**
 * Where the file of `slug` lives in `dir`.
 *
 * @since 0.1.0
 */
export const pathFor = (dir: string, slug: string): string => Path.join(dir, fileName(slug))

// -----------------------------------------------------------------------------
// Parse and format
// -----------------------------------------------------------------------------

const decodeFile = Schema.decodeUnknownEither(PromptFile, { onExcessProperty: "error", errors: "first" })

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/**
 * A path as `versions[1].messages[0].role` (or `tags["a b"]`).
 *
 * @since 0.1.0
 */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`
    else if (typeof key === "string" && IDENTIFIER.test(key)) out += out === "" ? key : `.${key}`
    else out += `[${JSON.stringify(String(key))}]`
  }
  return out
}

const at = (path: string, jsonPath: string): string => jsonPath === "" ? path : `${path}:${jsonPath}`

/** Rules the schema cannot say: at least one version, unique versions, tags on existing versions. */
const check = (file: PromptFile, path: string): Either.Either<PromptFile, DecodeError> => {
  if (file.versions.length === 0) {
    return Either.left(decodeError("PromptFile.parse", at(path, "versions"), `${path}: a prompt file needs at least one version`))
  }
  const seen = new Set<string>()
  for (const [index, version] of file.versions.entries()) {
    if (seen.has(version.version)) {
      return Either.left(
        decodeError(
          "PromptFile.parse",
          at(path, `versions[${index}].version`),
          `${path}: version "${version.version}" appears twice`
        )
      )
    }
    seen.add(version.version)
  }
  for (const [tag, version] of Object.entries(file.tags)) {
    if (tag.trim() === "") {
      return Either.left(decodeError("PromptFile.parse", at(path, "tags"), `${path}: a tag name must not be empty`))
    }
    if (!seen.has(version)) {
      return Either.left(
        decodeError(
          "PromptFile.parse",
          at(path, formatPath(["tags", tag])),
          `${path}: tag "${tag}" points at version "${version}", which the file does not have`
        )
      )
    }
  }
  return Either.right(file)
}

/**
 * Parses the text of a prompt file. `path` is only used in errors: a
 * `DecodeError` whose `path` is `<path>:<JSON path>` (e.g.
 * `prompts/greeting.json:versions[1].messages[0].role`) or `<path>:<line>:<column>`
 * for a JSON syntax error, and whose description says what is wrong.
 * Unknown keys are errors (a misspelt `temprature` is never silently dropped;
 * vendor extras go in `model.params.extra`).
 *
 * @since 0.1.0
 */
export const parse = (text: string, path: string): Either.Either<PromptFile, DecodeError> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    const location = syntaxErrorLocation(text)
    return Either.left(
      decodeError(
        "PromptFile.parse",
        location === undefined ? path : `${path}:${location}`,
        `${path}: not valid JSON (${(cause as Error).message})`
      )
    )
  }
  return decodeFile(json).pipe(
    Either.mapLeft((error) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
      const jsonPath = issue === undefined ? "" : formatPath(issue.path)
      const message = issue === undefined ? error.message : issue.message
      return decodeError("PromptFile.parse", at(path, jsonPath), `${path}: ${jsonPath === "" ? "" : `${jsonPath}: `}${message}`)
    }),
    Either.flatMap((file) => check(file, path))
  )
}

const defined = <A extends object>(entries: A): A => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(entries)) if (value !== undefined) out[key] = value
  return out as A
}

const canonicalModel = (model: PromptVersion["model"]) =>
  model === undefined ? undefined : defined({
    provider: model.provider,
    name: model.name,
    params: defined({
      temperature: model.params.temperature,
      maxTokens: model.params.maxTokens,
      topP: model.params.topP,
      frequencyPenalty: model.params.frequencyPenalty,
      presencePenalty: model.params.presencePenalty,
      stop: model.params.stop,
      responseFormat: model.params.responseFormat,
      tools: model.params.tools,
      toolChoice: model.params.toolChoice,
      extra: model.params.extra,
      vendor: model.params.vendor
    })
  })

const canonicalMessage = (message: Message) =>
  defined({
    role: message.role,
    name: message.name,
    content: typeof message.content === "string"
      ? message.content
      : message.content.map((part) =>
        part.type === "text"
          ? { type: part.type, text: part.text }
          : part.type === "image_url"
          ? defined({ type: part.type, url: part.url, detail: part.detail })
          : defined({ type: part.type, data: part.data, fileId: part.fileId, filename: part.filename })
      ),
    toolCalls: message.toolCalls?.map((call) => ({ id: call.id, name: call.name, arguments: call.arguments })),
    toolCallId: message.toolCallId
  })

/**
 * A version in the key order files use. Values the schema leaves open
 * (`responseFormat`, `tools`, `extra`) keep their own key order: a JSON
 * schema's property order can matter to the model.
 */
const canonicalVersion = (version: PromptVersion) =>
  defined({
    version: version.version,
    createdAt: version.createdAt,
    templateFormat: version.templateFormat,
    model: canonicalModel(version.model),
    messages: version.messages.map(canonicalMessage),
    variables: version.variables?.map((variable) =>
      defined({ name: variable.name, type: variable.type, description: variable.description })
    )
  })

/**
 * The text of a prompt file: pretty JSON with 2-space indentation, keys in a
 * fixed order, tags sorted by name, versions in file order, and a trailing
 * newline. `parse(format(file), path)` gives `file` back.
 *
 * @since 0.1.0
 */
export const format = (file: PromptFile): string => {
  const tags: Record<string, string> = {}
  for (const tag of Object.keys(file.tags).sort()) Records.set(tags, tag, file.tags[tag]!)
  const canonical = defined({
    slug: file.slug,
    name: file.name,
    description: file.description,
    tags,
    versions: file.versions.map(canonicalVersion)
  })
  return `${JSON.stringify(canonical, null, 2)}\n`
}

// -----------------------------------------------------------------------------
// Versions
// -----------------------------------------------------------------------------

/**
 * The latest version: the last one in the file.
 *
 * @since 0.1.0
 */
export const latest = (file: PromptFile): PromptVersion => file.versions[file.versions.length - 1]!

const DIGITS = /^\d+$/

/**
 * The version the next push gets: one more than the largest numeric version
 * (big integers included: a version pulled from Braintrust is a 64-bit
 * transaction id), `"1"` for a new prompt.
 *
 * @since 0.1.0
 */
export const nextVersion = (file: PromptFile | undefined): string => {
  let max = 0n
  for (const { version } of file?.versions ?? []) {
    if (DIGITS.test(version)) {
      const value = BigInt(version)
      if (value > max) max = value
    }
  }
  return String(max + 1n)
}

type Content = Pick<PromptVersion, "templateFormat" | "model" | "messages" | "variables">

/**
 * Whether two versions (or a version and a draft) are the same prompt, by
 * the one rule of `@promptops/core/PromptDiff` (`equivalent`): messages,
 * model and template format; the model provider and the declared variables
 * only when both sides have them. Version, time, name and description do
 * not count.
 *
 * @since 0.1.0
 */
export const sameContent = (a: Content, b: Content): boolean => PromptDiff.equivalent(contentOf(a), contentOf(b))

// A draft passed as `Content` also carries a name and description: they are the file's, not the version's.
const contentOf = (content: Content): Content => ({
  templateFormat: content.templateFormat,
  model: content.model,
  messages: content.messages,
  variables: content.variables
})

/**
 * What `addVersion` did.
 *
 * @since 0.1.0
 */
export interface AddVersionResult {
  readonly file: PromptFile
  /** The version the draft is stored as. */
  readonly version: string
  /** A new version was added (`false`: the draft equals the latest version). */
  readonly created: boolean
  /** The file differs from the one passed in (a new version, a moved tag, a new name). */
  readonly changed: boolean
}

/**
 * Adds a draft to a prompt file (or starts one). A draft whose content equals
 * the latest version adds nothing and resolves to that version, so re-pushing
 * is idempotent. A draft's `tag` and `tags` move those tags to its version. A draft's
 * `name` and `description` replace the file's when given.
 *
 * @since 0.1.0
 */
export const addVersion = (
  file: PromptFile | undefined,
  draft: PromptDraft,
  options: { readonly createdAt?: string | undefined } = {}
): AddVersionResult => {
  const current = file === undefined || file.versions.length === 0 ? undefined : latest(file)
  const draftTags = [...new Set([...(draft.tag !== undefined ? [draft.tag] : []), ...(draft.tags ?? [])])]
  // Nothing new: hand the same file back, so callers can skip the write.
  if (
    file !== undefined && current !== undefined && sameContent(current, draft) &&
    draftTags.every((tag) => Object.hasOwn(file.tags, tag) && file.tags[tag] === current.version) &&
    (draft.name === undefined || draft.name === file.name) &&
    (draft.description === undefined || draft.description === file.description)
  ) {
    return { file, version: current.version, created: false, changed: false }
  }
  const created = current === undefined || !sameContent(current, draft)
  const version = created ? nextVersion(file) : current!.version
  const versions = created
    ? [
      ...(file?.versions ?? []),
      defined({
        version,
        createdAt: options.createdAt,
        templateFormat: draft.templateFormat,
        model: draft.model,
        messages: draft.messages,
        variables: draft.variables
      }) as PromptVersion
    ]
    : file!.versions
  const tags: Record<string, string> = { ...file?.tags }
  for (const tag of draftTags) Records.set(tags, tag, version)
  const name = draft.name ?? file?.name
  const description = draft.description ?? file?.description
  const next: PromptFile = defined({ slug: draft.slug, name, description, tags, versions }) as PromptFile
  const changed = file === undefined || created ||
    draftTags.some((tag) => !Object.hasOwn(file.tags, tag) || file.tags[tag] !== version) ||
    file.name !== name || file.description !== description
  return { file: next, version, created, changed }
}

// -----------------------------------------------------------------------------
// To and from the neutral model
// -----------------------------------------------------------------------------

/**
 * The neutral prompt for a version of the file: `version` wins over `tag`;
 * neither means the latest. A prompt resolved through a tag carries it.
 *
 * @since 0.1.0
 */
export const toPrompt = (
  file: PromptFile,
  options: { readonly version?: string | undefined; readonly tag?: string | undefined } = {}
): Either.Either<PromptType, NotFound> => {
  let picked: PromptVersion | undefined
  let tag: string | undefined
  if (options.version !== undefined) {
    picked = file.versions.find((entry) => entry.version === options.version)
    if (picked === undefined) {
      return Either.left(notFound("Prompts.get", `prompt "${file.slug}" version ${options.version}`))
    }
  } else if (options.tag !== undefined) {
    const version = Object.hasOwn(file.tags, options.tag) ? file.tags[options.tag] : undefined
    picked = version === undefined ? undefined : file.versions.find((entry) => entry.version === version)
    if (picked === undefined) return Either.left(notFound("Prompts.get", `prompt "${file.slug}" tag "${options.tag}"`))
    tag = options.tag
  } else {
    picked = file.versions.length === 0 ? undefined : latest(file)
    if (picked === undefined) return Either.left(notFound("Prompts.get", `prompt "${file.slug}"`))
  }
  return Either.right(
    defined({
      slug: file.slug,
      name: file.name,
      description: file.description,
      version: picked.version,
      tag,
      messages: picked.messages,
      model: picked.model,
      templateFormat: picked.templateFormat,
      variables: picked.variables,
      source: { provider: PROVIDER, id: `${file.slug}@${picked.version}` }
    }) as PromptType
  )
}

/**
 * Prompt files from neutral prompts (what `prompts pull` fetched from a
 * backend): one file per slug, versions in the order given (a repeated version
 * replaces the earlier one in place), tags from each prompt's `tag`, name and
 * description from the last prompt of the slug. Files come in first-seen
 * slug order.
 *
 * @since 0.1.0
 */
export const fromPrompts = (prompts: ReadonlyArray<PromptType>): ReadonlyArray<PromptFile> => {
  const bySlug = new Map<
    string,
    { name?: string | undefined; description?: string | undefined; tags: Record<string, string>; versions: Array<PromptVersion> }
  >()
  for (const prompt of prompts) {
    let entry = bySlug.get(prompt.slug)
    if (entry === undefined) {
      entry = { tags: {}, versions: [] }
      bySlug.set(prompt.slug, entry)
    }
    const version = defined({
      version: prompt.version,
      templateFormat: prompt.templateFormat,
      model: prompt.model,
      messages: prompt.messages,
      variables: prompt.variables
    }) as PromptVersion
    const index = entry.versions.findIndex((existing) => existing.version === prompt.version)
    if (index >= 0) entry.versions[index] = version
    else entry.versions.push(version)
    if (prompt.tag !== undefined) Records.set(entry.tags, prompt.tag, prompt.version)
    if (prompt.name !== undefined) entry.name = prompt.name
    if (prompt.description !== undefined) entry.description = prompt.description
  }
  return [...bySlug.entries()].map(([slug, entry]) =>
    defined({ slug, name: entry.name, description: entry.description, tags: entry.tags, versions: entry.versions }) as PromptFile
  )
}

/**
 * What `mergePulled` did.
 *
 * @since 0.1.0
 */
export interface MergeResult {
  readonly file: PromptFile
  /** The file differs from the one passed in. */
  readonly changed: boolean
}

/**
 * A file pulled from a backend (its last version the backend's latest, its
 * tags the backend's) merged into the file already there, keeping that
 * file's versions and tags:
 *
 * - a pulled version with the id of a file version replaces it;
 * - the pulled latest with the content of the file's latest is that version
 *   (a version pushed from this file and pulled back is not added again), and
 *   a pulled older version (one a tag points at) with the content of any file
 *   version is that version;
 * - other pulled versions are added: after the file's versions when the
 *   pulled latest is new, else before the file's latest, which stays latest;
 * - the pulled tags point at the versions they resolved to, and replace the
 *   file's tags of the same name; the file's other tags stay;
 * - a pulled name or description replaces the file's.
 *
 * @since 0.1.0
 */
export const mergePulled = (existing: PromptFile | undefined, pulled: PromptFile): MergeResult => {
  if (existing === undefined) return { file: pulled, changed: true }
  const versions = [...existing.versions]
  const pulledLatest = latest(pulled)
  const fileLatest = latest(existing)
  const idOf = new Map<string, string>()
  const added: Array<PromptVersion> = []
  for (const version of pulled.versions) {
    const same = versions.findIndex((entry) => entry.version === version.version)
    if (same >= 0) {
      // The backend's own version id: its content is the backend's.
      if (!sameContent(versions[same]!, version)) versions[same] = version
      idOf.set(version.version, version.version)
      continue
    }
    const isLatest = version === pulledLatest
    const equal = isLatest
      ? (sameContent(fileLatest, version) ? fileLatest : undefined)
      : [...versions].reverse().find((entry) => sameContent(entry, version))
    if (equal !== undefined) {
      idOf.set(version.version, equal.version)
      continue
    }
    idOf.set(version.version, version.version)
    added.push(version)
  }
  const latestIsNew = added.includes(pulledLatest)
  const merged = latestIsNew || added.length === 0
    ? [...versions, ...added]
    : [...versions.slice(0, -1), ...added, versions[versions.length - 1]!]
  const tags: Record<string, string> = { ...existing.tags }
  for (const [tag, version] of Object.entries(pulled.tags)) Records.set(tags, tag, idOf.get(version) ?? version)
  const file: PromptFile = defined({
    slug: existing.slug,
    name: pulled.name ?? existing.name,
    description: pulled.description ?? existing.description,
    tags,
    versions: merged
  }) as PromptFile
  return { file, changed: format(file) !== format(existing) }
}

// -----------------------------------------------------------------------------
// Directories
// -----------------------------------------------------------------------------

const parseAt = (text: string, path: string, expectedSlug: string | undefined): Either.Either<PromptFile, DecodeError> =>
  Either.flatMap(parse(text, path), (file) => {
    const expected = fileName(file.slug)
    if (Path.basename(path) !== expected || (expectedSlug !== undefined && file.slug !== expectedSlug)) {
      return Either.left(
        decodeError(
          "PromptFile.read",
          at(path, "slug"),
          `${path}: holds slug "${file.slug}", which belongs in ${expected}; rename the file or fix the slug`
        )
      )
    }
    return Either.right(file)
  })

/**
 * The file of `slug` in `dir`, or `None` when there is none.
 *
 * @since 0.1.0
 */
export const read = (dir: string, slug: string): Effect.Effect<Option.Option<PromptFile>, PromptOpsError> => {
  const path = pathFor(dir, slug)
  return Effect.flatMap(Files.readText(path, "PromptFile.read"), (text) =>
    Option.match(text, {
      onNone: () => Effect.succeedNone,
      onSome: (text) => Effect.map(parseAt(text, path, slug), Option.some)
    }))
}

/**
 * Every prompt file in `dir` (`*.json`, sorted by file name); empty when the
 * directory does not exist. A file that does not parse, or whose name does
 * not match its slug, fails the whole read with a `DecodeError` naming it.
 *
 * @since 0.1.0
 */
export const readDir = (dir: string): Effect.Effect<ReadonlyArray<PromptFile>, PromptOpsError> =>
  Effect.flatMap(Files.readDirNames(dir, "PromptFile.readDir"), (names) =>
    Effect.forEach(
      names.filter((name) => name.endsWith(extension) && !name.startsWith(".")),
      (name) => {
        const path = Path.join(dir, name)
        return Effect.flatMap(Files.readText(path, "PromptFile.readDir"), (text) =>
          Option.match(text, {
            // Deleted between the listing and the read.
            onNone: () => Effect.succeed([]),
            onSome: (text) => Effect.map(parseAt(text, path, undefined), (file) => [file])
          }))
      },
      { concurrency: 16 }
    ).pipe(Effect.map((files) => files.flat())))

/**
 * Writes the file of `file.slug` in `dir` atomically (a temporary file renamed
 * over the old one), creating `dir` if needed, and returns its path.
 *
 * @since 0.1.0
 */
export const write = (dir: string, file: PromptFile): Effect.Effect<string, PromptOpsError> => {
  const path = pathFor(dir, file.slug)
  return Effect.as(Files.writeAtomic(path, format(file), "PromptFile.write"), path)
}

/**
 * The lock file that guards the file of `slug` in `dir`: `.<file name>.lock`
 * beside it (a dot file, so `readDir` never takes it for a prompt).
 *
 * @since 0.1.0
 */
export const lockPathFor = (dir: string, slug: string): string => Path.join(dir, `.${fileName(slug)}.lock`)

/**
 * Runs `effect` (a read-modify-write of the file of `slug`) holding a
 * cross-process lock on it, so concurrent writers — other processes too —
 * each see the others' versions and none is lost. Creates `dir`. Fails with
 * `ProviderUnavailable` naming the lock and its holder, writing nothing,
 * when another process holds it past `timeoutMs` (default 30 s); a lock left
 * by a process that died is taken over.
 *
 * @since 0.1.0
 */
export const withLock = <A, E, R>(
  dir: string,
  slug: string,
  effect: Effect.Effect<A, E, R>,
  options: { readonly timeoutMs?: number | undefined; readonly staleMs?: number | undefined } = {}
): Effect.Effect<A, E | ProviderUnavailable, R> =>
  Files.withLock(lockPathFor(dir, slug), "PromptFile.withLock", effect, options)

/**
 * Deletes the file of `slug`; `false` when there was none.
 *
 * @since 0.1.0
 */
export const remove = (dir: string, slug: string): Effect.Effect<boolean, PromptOpsError> =>
  Files.remove(pathFor(dir, slug), "PromptFile.remove")
