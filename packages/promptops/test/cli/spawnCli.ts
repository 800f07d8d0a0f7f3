/**
 * The built `promptops` executable spawned as a user would run it, for the
 * end-to-end tests: a clean environment (no inherited settings), the
 * workspace's node_modules on NODE_PATH so eval files import promptops and
 * effect as an app would, and at most two children at once.
 */
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"

/** `dist/bin.js` of this package: the tests need it built (`npx turbo run build --filter=promptops...`). */
export const bin: string = fileURLToPath(new URL("../../dist/bin.js", import.meta.url))
const nodeModules = fileURLToPath(new URL("../../../../node_modules", import.meta.url))
if (!NodeFs.existsSync(bin)) {
  throw new Error(`${bin} is missing: build the CLI first (npx turbo run build --filter=promptops...)`)
}

/** What a run printed, its exit code, and how long it took. */
export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** From the spawn to the exit (not counting the wait for a spawn slot). */
  readonly ms: number
  /** From the first line of `announce` on standard error to the exit; `ms` without one. */
  readonly workMs: number
}

export interface SpawnOptions {
  /** The environment, on top of PATH, HOME (`cwd`), NODE_PATH and PROMPTOPS_LOCAL_DIR (`cwd/.promptops`). */
  readonly env?: Record<string, string> | undefined
  /** Run as another user (and group). */
  readonly uid?: number | undefined
  /** A text on standard error that marks the end of start-up (e.g. `braintrust: `), for `workMs`. */
  readonly announce?: string | undefined
}

// A spawn is mostly CPU (a Node start and an Effect import): at most two at once on this 2-core machine.
let running = 0
const waiting: Array<() => void> = []
const limited = async <A>(f: () => Promise<A>): Promise<A> => {
  if (running >= 2) await new Promise<void>((resolve) => waiting.push(resolve))
  running++
  try {
    return await f()
  } finally {
    running--
    waiting.shift()?.()
  }
}

/** Every run of this test file, so a test can check that none printed a secret. */
export const outputs: Array<Run> = []

/** `promptops <args>` in `cwd`. */
export const runCli = (cwd: string, args: ReadonlyArray<string>, options: SpawnOptions = {}): Promise<Run> =>
  limited(() =>
    new Promise<Run>((resolve, reject) => {
      const started = Date.now()
      let announced: number | undefined
      const child = spawn(process.execPath, [bin, ...args], {
        cwd,
        env: {
          PATH: process.env["PATH"] ?? "",
          HOME: cwd,
          NODE_PATH: nodeModules,
          PROMPTOPS_LOCAL_DIR: NodePath.join(cwd, ".promptops"),
          ...options.env
        },
        ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {})
      })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (chunk) => (stdout += String(chunk)))
      child.stderr.on("data", (chunk) => {
        stderr += String(chunk)
        if (announced === undefined && options.announce !== undefined && stderr.includes(options.announce)) {
          announced = Date.now()
        }
      })
      child.on("error", reject)
      child.on("close", (code) => {
        const ended = Date.now()
        const run = { code, stdout, stderr, ms: ended - started, workMs: ended - (announced ?? started) }
        outputs.push(run)
        resolve(run)
      })
    })
  )

/** `runCli` as an Effect. */
export const cli = (cwd: string, args: ReadonlyArray<string>, options: SpawnOptions = {}): Effect.Effect<Run> =>
  Effect.promise(() => runCli(cwd, args, options))

/** A maker of fresh working directories `w1`, `w2`, … under `root`. */
export const freshDirs = (root: string, mode = 0o755): () => string => {
  let dirs = 0
  return () => {
    const dir = NodePath.join(root, `w${++dirs}`)
    NodeFs.mkdirSync(dir, { recursive: true, mode })
    return dir
  }
}
