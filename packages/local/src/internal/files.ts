/**
 * The few file-system operations the package needs, over `node:fs/promises`,
 * with typed errors (a missing file is a value, not an error).
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import { hostname } from "node:os"
import * as Path from "node:path"
import { ProviderUnavailable } from "@promptops/core/PromptOpsError"
import { Effect, Option } from "effect"
import { errnoCode, PROVIDER, unavailable } from "./errors.js"

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

/**
 * How long `withLock` waits for another holder, and when a held lock counts
 * as abandoned.
 */
export interface LockOptions {
  /** Give up waiting after this long (default 30 s). */
  readonly timeoutMs?: number | undefined
  /** A lock this old is abandoned whoever holds it (default 60 s; a holder keeps it for one read and one write). */
  readonly staleMs?: number | undefined
}

interface LockToken {
  readonly pid: number
  readonly host: string
  readonly token: string
  readonly at: number
}

const parseToken = (text: string): LockToken | undefined => {
  try {
    const value = JSON.parse(text) as Partial<LockToken>
    return typeof value.pid === "number" && typeof value.host === "string" && typeof value.token === "string"
      ? value as LockToken
      : undefined
  } catch {
    return undefined
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (cause) {
    // EPERM: it exists, owned by someone else.
    return errnoCode(cause) === "EPERM"
  }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Takes the lock at `path` (creating it with `O_EXCL`), or `undefined` when
 * another holder has it and the wait ran out. A lock whose holder died on this
 * host (its pid is gone), or that is older than `staleMs`, is taken over: it
 * is renamed aside first, so of several processes breaking it at once only one
 * wins, and a live lock renamed aside by mistake is linked back.
 */
const acquireLock = async (
  path: string,
  mine: LockToken,
  timeoutMs: number,
  staleMs: number
): Promise<{ readonly holder: LockToken | undefined } | "acquired"> => {
  const started = Date.now()
  let holder: LockToken | undefined
  let wait = 2
  while (true) {
    try {
      const handle = await fs.open(path, "wx")
      try {
        await handle.writeFile(JSON.stringify(mine), "utf8")
      } finally {
        await handle.close()
      }
      return "acquired"
    } catch (cause) {
      if (errnoCode(cause) !== "EEXIST") throw cause
    }
    const [text, stat] = await Promise.all([
      fs.readFile(path, "utf8").catch((cause) => isMissing(cause) ? undefined : Promise.reject(cause)),
      fs.stat(path).catch((cause) => isMissing(cause) ? undefined : Promise.reject(cause))
    ])
    if (text === undefined || stat === undefined) continue // released meanwhile: try again at once
    holder = parseToken(text)
    const age = Date.now() - stat.mtimeMs
    // A lock file still being written has no token yet: only its age can make it stale.
    const dead = holder !== undefined && holder.host === hostname() && !isAlive(holder.pid)
    if (dead || age > staleMs) {
      const aside = `${path}.${randomBytes(6).toString("hex")}.stale`
      const moved = await fs.rename(path, aside).then(() => true, (cause) => isMissing(cause) ? false : Promise.reject(cause))
      if (moved) {
        const movedText = await fs.readFile(aside, "utf8").catch(() => undefined)
        if (movedText !== text) {
          // Someone else took the lock between our read and the rename: give it back unless it was taken again.
          await fs.link(aside, path).catch(() => undefined)
        }
        await fs.rm(aside, { force: true }).catch(() => undefined)
      }
      continue
    }
    if (Date.now() - started >= timeoutMs) return { holder }
    await pause(wait + Math.random() * wait)
    wait = Math.min(wait * 2, 50)
  }
}

/**
 * Runs `effect` holding the cross-process lock file `path` (released after,
 * on failure and interruption too). Fails with `ProviderUnavailable` naming
 * the lock and its holder when another process keeps it past `timeoutMs`.
 *
 * Why a hand-made lock and not a library: the lock guards one read and one
 * atomic write of a small file, so a plain `O_EXCL` create is all it takes;
 * what a library (e.g. proper-lockfile) adds is mtime refreshing for long
 * holds, which this does not need, and a dependency tree. Abandoned locks are
 * found by pid on the same host (a crashed holder never blocks anyone) and by
 * age elsewhere.
 */
export const withLock = <A, E, R>(
  path: string,
  operation: string,
  effect: Effect.Effect<A, E, R>,
  options: LockOptions = {}
): Effect.Effect<A, E | ProviderUnavailable, R> => {
  const timeoutMs = options.timeoutMs ?? 30_000
  const staleMs = options.staleMs ?? 60_000
  const mine: LockToken = { pid: process.pid, host: hostname(), token: randomBytes(12).toString("hex"), at: Date.now() }
  const acquire = Effect.tryPromise({
    try: async () => {
      await fs.mkdir(Path.dirname(path), { recursive: true })
      return acquireLock(path, mine, timeoutMs, staleMs)
    },
    catch: (cause) => unavailable(operation, `cannot lock ${path}`, cause)
  }).pipe(
    Effect.flatMap((result) =>
      result === "acquired"
        ? Effect.void
        : Effect.fail(
          new ProviderUnavailable({
            provider: PROVIDER,
            operation,
            description: `cannot lock ${path}: another process${
              result.holder === undefined ? "" : ` (pid ${result.holder.pid} on ${result.holder.host})`
            } has held it for over ${Math.round(timeoutMs / 1000)} s; nothing was written. Try again, or delete the lock file if no promptops process is running`
          })
        )
    )
  )
  // Only our own lock is removed: one broken as stale and taken by another process stays theirs.
  const release = Effect.promise(async () => {
    const text = await fs.readFile(path, "utf8").catch(() => undefined)
    if (text !== undefined && parseToken(text)?.token === mine.token) await fs.rm(path, { force: true }).catch(() => undefined)
  })
  return Effect.acquireUseRelease(acquire, () => effect, () => release)
}
