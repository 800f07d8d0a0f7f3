/**
 * `Prompts` and `PromptRegistry` over a directory of prompt files (see
 * `PromptFile`): the files are the source of truth, read on every call, so a
 * hand edit or a `git pull` is seen at once (wrap with core's `PromptCache`
 * to cache).
 *
 * Pushes and deletes are serialised per prompt across processes (a lock file
 * beside the prompt's, see `PromptFile.withLock`) and, in one process, per
 * directory (one semaphore per resolved path, shared by every layer on it),
 * so concurrent pushes never lose a version: each is numbered after the
 * others, or fails with an error naming the lock. Writes are atomic
 * (temporary file + rename). Reads take no lock and never create the
 * directory.
 *
 * @since 0.1.0
 */
import * as Path from "node:path"
import { PromptDraft } from "@promptops/core/Prompt"
import type { Prompt, PromptSummary } from "@promptops/core/Prompt"
import { invalidInput, type PromptOpsError, Unsupported } from "@promptops/core/PromptOpsError"
import * as PromptRegistry from "@promptops/core/PromptRegistry"
import * as Prompts from "@promptops/core/Prompts"
import { Clock, Context, Effect, Either, Layer, Option, ParseResult, Schema, Stream } from "effect"
import { notFound, PROVIDER } from "./internal/errors.js"
import * as Files from "./internal/files.js"
import * as PromptFile from "./PromptFile.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /** The prompts directory (created on the first push). */
  readonly dir: string
  /** `"read"`: push and delete fail with `Unsupported` (a read-only layer writes nothing). Default `"write"`. */
  readonly access?: "read" | "write" | undefined
  /** How long a push waits for another process's lock on the same prompt (default 30 s). */
  readonly lockTimeout?: number | undefined
}

/**
 * What `make` builds.
 *
 * @since 0.1.0
 */
export interface Services {
  readonly prompts: Prompts.Prompts.Service
  readonly registry: PromptRegistry.PromptRegistry.Service
}

const locks = new Map<string, Effect.Semaphore>()

/** One write lock per directory in this process, whichever layer asks. */
const lockFor = (dir: string): Effect.Semaphore => {
  let lock = locks.get(dir)
  if (lock === undefined) {
    lock = Effect.unsafeMakeSemaphore(1)
    locks.set(dir, lock)
  }
  return lock
}

const validateDraft = Schema.validateEither(PromptDraft, { onExcessProperty: "ignore" })

/** The draft as a file would store it, or an `InvalidInput` naming the bad field. */
const checkDraft = (draft: PromptDraft): Either.Either<PromptDraft, PromptOpsError> => {
  if (draft.tag !== undefined && draft.tag.trim() === "") {
    return Either.left(
      invalidInput({
        provider: PROVIDER,
        operation: "PromptRegistry.push",
        path: "draft.tag",
        description: "draft.tag must be a non-empty string when present"
      })
    )
  }
  const blank = (draft.tags ?? []).findIndex((tag) => typeof tag !== "string" || tag.trim() === "")
  if (blank >= 0) {
    return Either.left(
      invalidInput({
        provider: PROVIDER,
        operation: "PromptRegistry.push",
        path: `draft.tags[${blank}]`,
        description: `draft.tags[${blank}] must be a non-empty string`
      })
    )
  }
  return Either.mapLeft(validateDraft(draft), (error) => {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
    return invalidInput({
      provider: PROVIDER,
      operation: "PromptRegistry.push",
      path: issue === undefined ? "draft" : `draft.${PromptFile.formatPath(issue.path)}`,
      description: issue?.message ?? error.message
    })
  })
}

/** The file text, checked to read back as the same file (no BigInt or cycle hides in `model.params`). */
const formatChecked = (file: PromptFile.PromptFile, path: string): Either.Either<string, PromptOpsError> => {
  const invalid = (description: string) =>
    invalidInput({ provider: PROVIDER, operation: "PromptRegistry.push", path: "draft", description })
  let text: string
  try {
    text = PromptFile.format(file)
  } catch (cause) {
    return Either.left(invalid(`is not serialisable as JSON (${cause instanceof Error ? cause.message : String(cause)})`))
  }
  return Either.mapBoth(PromptFile.parse(text, path), {
    onLeft: (error) => invalid(`would not read back: ${error.description}`),
    onRight: () => text
  })
}

const summary = (file: PromptFile.PromptFile): PromptSummary => {
  const latest = PromptFile.latest(file)
  const tags = Object.keys(file.tags).sort()
  return {
    slug: file.slug,
    ...(file.name !== undefined ? { name: file.name } : {}),
    ...(file.description !== undefined ? { description: file.description } : {}),
    version: latest.version,
    ...(tags.length > 0 ? { tags } : {}),
    source: { provider: PROVIDER, id: `${file.slug}@${latest.version}` }
  }
}

/**
 * Both services over the directory.
 *
 * @since 0.1.0
 */
export const make = (options: Options): Effect.Effect<Services> =>
  Effect.sync(() => {
    const dir = Path.resolve(options.dir)
    const lock = lockFor(dir)

    const get = (slug: string, request: Prompts.GetOptions): Effect.Effect<Prompt, PromptOpsError> =>
      Effect.flatMap(PromptFile.read(dir, slug), (file) =>
        Option.match(file, {
          onNone: () => Effect.fail(notFound("Prompts.get", `prompt "${slug}"`)),
          onSome: (file) => PromptFile.toPrompt(file, request)
        }))

    const lockOptions = { timeoutMs: options.lockTimeout }
    const readOnly = (operation: string) =>
      Effect.fail(
        new Unsupported({
          provider: PROVIDER,
          operation,
          description: `the local prompts in ${dir} were opened for reading only`
        })
      )

    const pushLocked = (draft: PromptDraft): Effect.Effect<Prompt, PromptOpsError> =>
      Effect.gen(function*() {
        const existing = yield* PromptFile.read(dir, draft.slug)
        const now = yield* Clock.currentTimeMillis
        const result = PromptFile.addVersion(Option.getOrUndefined(existing), draft, {
          createdAt: new Date(now).toISOString()
        })
        if (result.changed) {
          const path = PromptFile.pathFor(dir, draft.slug)
          yield* formatChecked(result.file, path)
          yield* PromptFile.write(dir, result.file)
        }
        const prompt = yield* PromptFile.toPrompt(result.file, { version: result.version })
        return draft.tag === undefined ? prompt : { ...prompt, tag: draft.tag }
      })

    const push = (draft: PromptDraft): Effect.Effect<Prompt, PromptOpsError> =>
      options.access === "read" ? readOnly("PromptRegistry.push") : lock.withPermits(1)(
        Effect.gen(function*() {
          yield* checkDraft(draft)
          // The read, the new version's number and the write happen under the file's lock: another process pushing
          // the same prompt meanwhile would otherwise number its version the same and one of the two would be lost.
          return yield* PromptFile.withLock(dir, draft.slug, pushLocked(draft), lockOptions)
        })
      )

    const remove = (slug: string): Effect.Effect<void, PromptOpsError> =>
      options.access === "read" ? readOnly("PromptRegistry.delete") : lock.withPermits(1)(
        Effect.flatMap(Files.isFile(PromptFile.pathFor(dir, slug), "PromptRegistry.delete"), (exists) =>
          exists
            ? PromptFile.withLock(
              dir,
              slug,
              Effect.flatMap(PromptFile.remove(dir, slug), (removed) =>
                removed ? Effect.void : Effect.fail(notFound("PromptRegistry.delete", `prompt "${slug}"`))),
              lockOptions
            )
            : Effect.fail(notFound("PromptRegistry.delete", `prompt "${slug}"`)))
      )

    return {
      prompts: Prompts.make({
        provider: PROVIDER,
        get,
        list: () => Stream.flatMap(Stream.fromEffect(PromptFile.readDir(dir)), (files) => Stream.fromIterable(files.map(summary)))
      }),
      registry: PromptRegistry.make({ provider: PROVIDER, push, delete: remove })
    }
  })

/**
 * `Prompts` and `PromptRegistry` over the directory.
 *
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<Prompts.Prompts | PromptRegistry.PromptRegistry> =>
  Layer.effectContext(
    Effect.map(make(options), (services) =>
      Context.make(Prompts.Prompts, services.prompts).pipe(
        Context.add(PromptRegistry.PromptRegistry, services.registry)
      ))
  )
