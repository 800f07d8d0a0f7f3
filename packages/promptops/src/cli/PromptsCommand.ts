/**
 * `promptops prompts pull|push|diff`: a directory of prompt files (the
 * `PromptFile` format of `@promptops/local`, one JSON file per prompt) kept
 * in step with a backend.
 *
 * - `pull` writes the latest version of every prompt of the backend into the
 *   directory, with its tags (Basalt's deployment tags, Braintrust's
 *   environments) and the versions they point at (a version with the same
 *   content as the file's is not added again; versions and tags already in a
 *   file are kept). See `RemotePrompts` for the requests it makes.
 * - `push` stores the latest version of every file as a new version of the
 *   backend's prompt, with the file's tags that point at it (Braintrust:
 *   environments), unless its content is already the backend's latest and
 *   those tags already point there. A tag on an older version is not moved
 *   (a line starting with `!` says so). It needs a prompt registry: Basalt
 *   has none.
 * - `diff` prints what `push` would change, prompt by prompt, and exits with
 *   1 when anything differs (like `git diff --exit-code`).
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type { Prompt } from "@promptops/core/Prompt"
import type { PromptDraft } from "@promptops/core/Prompt"
import * as PromptDiff from "@promptops/core/PromptDiff"
import { Prompts } from "@promptops/core/Prompts"
import * as PromptFile from "@promptops/local/PromptFile"
import { Chunk, Console, Effect, Either, Option, Stream } from "effect"
import * as NodePath from "node:path"
import * as PromptOps from "../PromptOps.js"
import { CliFailure, ExitCode, usage } from "./CliError.js"
import * as CliOptions from "./CliOptions.js"
import * as RemotePrompts from "./RemotePrompts.js"

const dir = Options.directory("dir").pipe(
  Options.withDescription("The prompts directory (one <slug>.json file per prompt)."),
  Options.withDefault("prompts")
)

/**
 * Every prompt of the backend, at its latest version: from the listing when
 * it holds the whole prompt (Braintrust's), else one `get` each.
 */
const remotePrompts: Effect.Effect<ReadonlyArray<Prompt>, unknown, Prompts> = Effect.gen(function*() {
  const prompts = yield* Prompts
  const summaries = Chunk.toReadonlyArray(yield* Stream.runCollect(prompts.list()))
  return yield* Effect.forEach(
    summaries,
    (summary) => summary.prompt !== undefined ? Effect.succeed(summary.prompt) : prompts.get(summary.slug),
    { concurrency: 4 }
  )
})

const latestOf = (file: PromptFile.PromptFile): Prompt =>
  // A parsed file has at least one version, so its latest always resolves.
  Either.getOrThrow(PromptFile.toPrompt(file))

const draftOf = (file: PromptFile.PromptFile): PromptDraft => {
  const latest = PromptFile.latest(file)
  const tags = RemotePrompts.tagsOf(file, latest.version)
  return {
    slug: file.slug,
    ...(tags.length > 0 ? { tags } : {}),
    ...(file.name !== undefined ? { name: file.name } : {}),
    ...(file.description !== undefined ? { description: file.description } : {}),
    messages: latest.messages,
    ...(latest.model !== undefined ? { model: latest.model } : {}),
    templateFormat: latest.templateFormat,
    ...(latest.variables !== undefined ? { variables: latest.variables } : {})
  }
}

/** The backend's version of a prompt file's content, or `None`. */
const remoteOf = (slug: string): Effect.Effect<Option.Option<Prompt>, unknown, Prompts> =>
  Effect.flatMap(Prompts, (prompts) => prompts.get(slug)).pipe(
    Effect.map(Option.some),
    Effect.catchTag("NotFound", () => Effect.succeed(Option.none<Prompt>()))
  )

const readFiles = (path: string): Effect.Effect<ReadonlyArray<PromptFile.PromptFile>, unknown> =>
  Effect.filterOrFail(
    PromptFile.readDir(path),
    (files) => files.length > 0,
    () => usage(`no prompt files (*.json) in ${path}: run promptops prompts pull first, or name the directory with --dir`)
  )

/**
 * The file after pulling `remote` into `existing` (see
 * `PromptFile.mergePulled`): unchanged when the backend holds nothing the
 * file lacks; else with the pulled versions and tags added.
 *
 * @since 0.1.0
 */
export const merge = (
  existing: Option.Option<PromptFile.PromptFile>,
  remote: RemotePrompts.RemotePrompt
): { readonly file: PromptFile.PromptFile; readonly changed: boolean } =>
  PromptFile.mergePulled(Option.getOrUndefined(existing), RemotePrompts.toFile(remote))

const tagsLine = (file: PromptFile.PromptFile): string => {
  const tags = Object.keys(file.tags).sort()
  return tags.length === 0 ? "" : `  tags ${tags.map((tag) => `${tag} → ${file.tags[tag]}`).join(", ")}`
}

// Pull only reads the backend (a mistyped project or an empty local store is an error, never created);
// it writes the prompts directory, each file under its lock so a concurrent pull or push loses nothing.
const pull = Command.make("pull", { dir, provider: CliOptions.provider }, (args) =>
  CliOptions.withReadBackend(
    args.provider,
    Effect.gen(function*() {
      const backend = yield* PromptOps.Backend
      yield* CliOptions.announce(backend)
      const path = NodePath.resolve(args.dir)
      const prompts = yield* RemotePrompts.readAll
      let changed = 0
      for (const remote of prompts) {
        const prompt = remote.latest
        const outcome = yield* PromptFile.withLock(
          path,
          prompt.slug,
          Effect.gen(function*() {
            const existing = yield* PromptFile.read(path, prompt.slug)
            const merged = merge(existing, remote)
            if (!merged.changed) return Option.none()
            const written = yield* PromptFile.write(path, merged.file)
            return Option.some({ written, file: merged.file, mark: Option.isNone(existing) ? "+" : "~" })
          })
        )
        if (Option.isNone(outcome)) {
          yield* Console.log(`  = ${prompt.slug}  unchanged`)
          continue
        }
        changed++
        const { file, mark, written } = outcome.value
        yield* Console.log(
          `  ${mark} ${prompt.slug}  version ${prompt.version} → ${NodePath.relative(process.cwd(), written) || written}${
            tagsLine(file)
          }`
        )
      }
      yield* Console.log(`pulled ${prompts.length} prompts from ${backend.provider} into ${args.dir} (${changed} written)`)
    })
  )).pipe(Command.withDescription("Write the latest version of every prompt of the backend into the prompts directory."))

const push = Command.make("push", { dir, provider: CliOptions.provider }, (args) =>
  CliOptions.withBackend(
    args.provider,
    Effect.gen(function*() {
      const backend = yield* PromptOps.Backend
      const registry = yield* PromptOps.registry
      yield* CliOptions.announce(backend)
      const files = yield* readFiles(NodePath.resolve(args.dir))
      let pushed = 0
      for (const file of files) {
        const draft = draftOf(file)
        const remote = yield* remoteOf(file.slug)
        // The latest version's tags go with it; a tag already on the backend's latest needs no push.
        const toMove = Option.isSome(remote)
          ? yield* RemotePrompts.tagsToMove(file.slug, draft.tags ?? [], remote.value.version)
          : draft.tags ?? []
        if (Option.isSome(remote) && PromptDiff.equivalent(remote.value, draft) && toMove.length === 0) {
          yield* Console.log(`  = ${file.slug}  unchanged (version ${remote.value.version})`)
        } else {
          const stored = yield* registry.push(draft)
          pushed++
          const tags = draft.tags === undefined ? "" : ` (tags ${draft.tags.join(", ")})`
          yield* Console.log(`  ${Option.isNone(remote) ? "+" : "~"} ${file.slug}  pushed as version ${stored.version}${tags}`)
        }
        for (const line of yield* RemotePrompts.olderTagLines(file, backend.provider)) yield* Console.log(line)
      }
      yield* Console.log(`pushed ${pushed} of ${files.length} prompts to ${backend.provider}`)
    })
  )).pipe(
    Command.withDescription(
      "Store the latest version of every prompt file as a new version on the backend (unchanged ones are skipped)."
    )
  )

/**
 * The differences between a prompts directory and a backend, as lines, and
 * how many prompts differ.
 *
 * @since 0.1.0
 */
export const describeDiff = (options: {
  readonly files: ReadonlyArray<PromptFile.PromptFile>
  readonly remote: ReadonlyArray<Prompt>
  readonly dirLabel: string
  readonly provider: string
}): { readonly lines: ReadonlyArray<string>; readonly differing: number } => {
  const local = new Map(options.files.map((file) => [file.slug, file]))
  const remote = new Map(options.remote.map((prompt) => [prompt.slug, prompt]))
  const slugs = [...new Set([...local.keys(), ...remote.keys()])].sort()
  const lines: Array<string> = []
  let differing = 0
  for (const slug of slugs) {
    const file = local.get(slug)
    const prompt = remote.get(slug)
    if (file !== undefined && prompt === undefined) {
      differing++
      lines.push(`+ ${slug}  only in ${options.dirLabel} (version ${PromptFile.latest(file).version})`)
      continue
    }
    if (file === undefined && prompt !== undefined) {
      differing++
      lines.push(`- ${slug}  only on ${options.provider} (version ${prompt.version})`)
      continue
    }
    const changes = PromptDiff.diff(prompt!, latestOf(file!))
    if (changes.length === 0) continue
    differing++
    lines.push(
      `~ ${slug}  ${options.provider} version ${prompt!.version} → ${options.dirLabel} version ${PromptFile.latest(file!).version}`
    )
    for (const change of changes) lines.push(PromptDiff.formatChange(change))
  }
  return { lines, differing }
}

const diff = Command.make("diff", { dir, provider: CliOptions.provider }, (args) =>
  CliOptions.withReadBackend(
    args.provider,
    Effect.gen(function*() {
      const backend = yield* PromptOps.Backend
      yield* CliOptions.announce(backend)
      const files = yield* PromptFile.readDir(NodePath.resolve(args.dir))
      const remote = yield* remotePrompts
      const { differing, lines } = describeDiff({ files, remote, dirLabel: args.dir, provider: backend.provider })
      if (differing === 0) {
        yield* Console.log(`no differences between ${args.dir} and ${backend.provider}`)
        return
      }
      yield* Console.log(lines.join("\n"))
      return yield* Effect.fail(
        new CliFailure({
          message: `${differing} prompt${differing === 1 ? "" : "s"} differ between ${args.dir} and ${backend.provider}`,
          exitCode: ExitCode.failure
        })
      )
    })
  )).pipe(
    Command.withDescription(
      "Show what differs between the prompts directory and the backend (exit 1 when anything does)."
    )
  )

/**
 * @since 0.1.0
 */
export const command = Command.make("prompts", {}, () =>
  Effect.fail(usage("choose a subcommand: prompts pull | push | diff"))).pipe(
    Command.withDescription("Keep a directory of prompt files in step with a backend."),
    Command.withSubcommands([pull, push, diff])
  )
