/**
 * Every prompt of a backend with its tags, read with as few requests as the
 * backend allows: what `prompts pull | diff` and `migrate` read.
 *
 * - The latest version (the backend's default: Braintrust's latest, Basalt's
 *   production) comes from the listing when the listing holds it in full
 *   (Braintrust's does), else from one `get` per prompt.
 * - The listing's `name` and `description` are kept (Basalt's prompt object
 *   has neither; only `GET /prompts` returns them).
 * - Each tag the listing names (Basalt's deployment tags, Braintrust's
 *   environments, the local file's tags) is resolved with one `get` each; a
 *   tag that holds no version of the prompt is left out.
 *
 * @since 0.1.0
 */
import type { Prompt, PromptSummary } from "@promptops/core/Prompt"
import * as PromptDiff from "@promptops/core/PromptDiff"
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import { Prompts } from "@promptops/core/Prompts"
import * as PromptFile from "@promptops/local/PromptFile"
import { Chunk, Effect, Option, Stream } from "effect"

/**
 * A prompt of the backend: its latest version and, for each tag that
 * resolves, the version the tag points at (with `tag` set).
 *
 * @since 0.1.0
 */
export interface RemotePrompt {
  readonly latest: Prompt
  readonly tagged: ReadonlyArray<Prompt & { readonly tag: string }>
}

/** The listing's name and description where the prompt has none. */
const described = (summary: PromptSummary, prompt: Prompt): Prompt => ({
  ...prompt,
  ...(prompt.name === undefined && summary.name !== undefined ? { name: summary.name } : {}),
  ...(prompt.description === undefined && summary.description !== undefined
    ? { description: summary.description }
    : {})
})

const byTag = (
  prompts: Prompts.Service,
  summary: PromptSummary,
  tag: string
): Effect.Effect<Option.Option<Prompt & { readonly tag: string }>, PromptOpsError> =>
  prompts.get(summary.slug, { tag }).pipe(
    Effect.map((prompt) => Option.some({ ...described(summary, prompt), tag })),
    // No version of this prompt in that tag (a Braintrust environment is organisation-wide), or Basalt
    // answering with another version than the tag's (a fallback): the tag does not point at this prompt.
    Effect.catchTags({
      NotFound: () => Effect.succeedNone,
      VersionMismatch: () => Effect.succeedNone
    })
  )

/**
 * Reads one listed prompt: the latest version from the listing when it holds
 * it, then each tag.
 *
 * @since 0.1.0
 */
export const read = (summary: PromptSummary): Effect.Effect<RemotePrompt, PromptOpsError, Prompts> =>
  Effect.gen(function*() {
    const prompts = yield* Prompts
    const latest = described(summary, summary.prompt ?? (yield* prompts.get(summary.slug)))
    const tags = (summary.tags ?? []).filter((tag) => tag !== latest.tag)
    const tagged = yield* Effect.forEach(tags, (tag) => byTag(prompts, summary, tag), { concurrency: 4 })
    return {
      latest,
      tagged: [
        ...(latest.tag !== undefined ? [{ ...latest, tag: latest.tag }] : []),
        ...tagged.flatMap(Option.toArray)
      ]
    }
  })

/**
 * Every prompt of the backend, in listing order.
 *
 * @since 0.1.0
 */
export const readAll: Effect.Effect<ReadonlyArray<RemotePrompt>, PromptOpsError, Prompts> = Effect.gen(function*() {
  const prompts = yield* Prompts
  const summaries = Chunk.toReadonlyArray(yield* Stream.runCollect(prompts.list()))
  return yield* Effect.forEach(summaries, read, { concurrency: 4 })
})

const DIGITS = /^\d+$/

/**
 * The prompt file of a remote prompt: the versions the tags point at, oldest
 * first when every version is a number (Braintrust's transaction ids) and
 * else in tag order, then the latest version last; `tags` maps each tag to
 * its version.
 *
 * @since 0.1.0
 */
export const toFile = (remote: RemotePrompt): PromptFile.PromptFile => {
  const older = remote.tagged.filter((prompt) => prompt.version !== remote.latest.version)
  const numeric = older.every((prompt) => DIGITS.test(prompt.version)) && DIGITS.test(remote.latest.version)
  const ordered = numeric
    ? [...older].sort((a, b) => (BigInt(a.version) < BigInt(b.version) ? -1 : BigInt(a.version) > BigInt(b.version) ? 1 : 0))
    : older
  const atLatest = remote.tagged.filter((prompt) => prompt.version === remote.latest.version)
  // The latest comes last with the name and description; versions repeated by several tags are kept once.
  const { tag: _tag, ...latest } = remote.latest
  return PromptFile.fromPrompts([...ordered, ...atLatest, latest])[0]!
}

/**
 * The tags of a prompt file that point at `version`, sorted.
 *
 * @since 0.1.0
 */
export const tagsOf = (file: PromptFile.PromptFile, version: string): ReadonlyArray<string> =>
  Object.keys(file.tags).filter((tag) => file.tags[tag] === version).sort()

/**
 * The tags among `tags` that do not resolve, on the backend, to its version
 * `version` of the prompt: the tags a push or a migration still has to move.
 *
 * @since 0.1.0
 */
export const tagsToMove = (
  slug: string,
  tags: ReadonlyArray<string>,
  version: string
): Effect.Effect<ReadonlyArray<string>, PromptOpsError, Prompts> =>
  Effect.flatMap(Prompts, (prompts) =>
    Effect.filter(tags, (tag) =>
      prompts.get(slug, { tag }).pipe(
        Effect.map((prompt) => prompt.version !== version),
        Effect.catchTags({ NotFound: () => Effect.succeed(true), VersionMismatch: () => Effect.succeed(true) })
      ), { concurrency: 4 }))

/**
 * The lines saying which tags of a file a push or a migration leaves where
 * they are on the target: those pointing at an older version than the
 * latest (the only version a push writes), unless the target's tag already
 * resolves to that version's content.
 *
 * @since 0.1.0
 */
export const olderTagLines = (
  file: PromptFile.PromptFile,
  target: string
): Effect.Effect<ReadonlyArray<string>, PromptOpsError, Prompts> =>
  Effect.gen(function*() {
    const prompts = yield* Prompts
    const latestVersion = PromptFile.latest(file).version
    const lines: Array<string> = []
    for (const tag of Object.keys(file.tags).sort()) {
      const version = file.versions.find((entry) => entry.version === file.tags[tag])
      if (version === undefined || version.version === latestVersion) continue
      const there = yield* prompts.get(file.slug, { tag }).pipe(
        Effect.map((prompt) => PromptDiff.equivalent(prompt, version)),
        Effect.catchTags({ NotFound: () => Effect.succeed(false), VersionMismatch: () => Effect.succeed(false) })
      )
      if (there) continue
      lines.push(
        `  ! ${file.slug}  tag ${tag} (version ${version.version}) not moved on ${target}: ` +
          `a push writes only the latest version (${latestVersion}), with the tags that point at it`
      )
    }
    return lines
  })
