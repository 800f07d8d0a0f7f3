/**
 * The few file-system operations the package needs, over `node:fs/promises`,
 * with typed errors (a missing file is a value, not an error).
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import * as Path from "node:path"
import type { ProviderUnavailable } from "@promptops/core/PromptOpsError"
import { Effect, Option } from "effect"
import { errnoCode, unavailable } from "./errors.js"

const isMissing = (cause: unknown): boolean => {
  const code = errnoCode(cause)
  return code === "ENOENT" || code === "ENOTDIR"
}

/** The file's text, or `None` when it does not exist. */
export const readText = (path: string, operation: string): Effect.Effect<Option.Option<string>, ProviderUnavailable> =>
  Effect.tryPromise({
    try: () => fs.readFile(path, "utf8").then(Option.some, (cause) => isMissing(cause) ? Option.none() : Promise.reject(cause)),
    catch: (cause) => unavailable(operation, `cannot read ${path}`, cause)
  })

/** The names in a directory, sorted; empty when it does not exist. */
export const readDirNames = (dir: string, operation: string): Effect.Effect<ReadonlyArray<string>, ProviderUnavailable> =>
  Effect.tryPromise({
    try: () =>
      fs.readdir(dir).then(
        (names) => names.sort(),
        (cause) => isMissing(cause) ? [] : Promise.reject(cause)
      ),
    catch: (cause) => unavailable(operation, `cannot list ${dir}`, cause)
  })

/** Whether a regular file exists at `path`. */
export const isFile = (path: string, operation: string): Effect.Effect<boolean, ProviderUnavailable> =>
  Effect.tryPromise({
    try: () => fs.stat(path).then((stat) => stat.isFile(), (cause) => isMissing(cause) ? false : Promise.reject(cause)),
    catch: (cause) => unavailable(operation, `cannot stat ${path}`, cause)
  })

/** Creates `dir` and its parents. */
export const makeDirectory = (dir: string, operation: string): Effect.Effect<void, ProviderUnavailable> =>
  Effect.tryPromise({
    try: () => fs.mkdir(dir, { recursive: true }),
    catch: (cause) => unavailable(operation, `cannot create directory ${dir}`, cause)
  })

/**
 * Replaces the file at `path` atomically: the text goes to a temporary file in
 * the same directory, is flushed to disk, and is renamed over `path`, so a
 * reader (or a crash) sees the old file or the new one, never half of one.
 */
export const writeAtomic = (path: string, text: string, operation: string): Effect.Effect<void, ProviderUnavailable> =>
  Effect.tryPromise({
    try: async () => {
      const dir = Path.dirname(path)
      await fs.mkdir(dir, { recursive: true })
      const temporary = Path.join(dir, `.${Path.basename(path)}.${randomBytes(6).toString("hex")}.tmp`)
      try {
        const handle = await fs.open(temporary, "w")
        try {
          await handle.writeFile(text, "utf8")
          await handle.sync()
        } finally {
          await handle.close()
        }
        await fs.rename(temporary, path)
      } catch (cause) {
        await fs.rm(temporary, { force: true }).catch(() => undefined)
        throw cause
      }
    },
    catch: (cause) => unavailable(operation, `cannot write ${path}`, cause)
  })

/** Deletes the file; `false` when there was none. */
export const remove = (path: string, operation: string): Effect.Effect<boolean, ProviderUnavailable> =>
  Effect.tryPromise({
    try: () => fs.unlink(path).then(() => true, (cause) => isMissing(cause) ? false : Promise.reject(cause)),
    catch: (cause) => unavailable(operation, `cannot delete ${path}`, cause)
  })
