/**
 * Loads eval files (TypeScript or JavaScript, through jiti) and collects the
 * evaluators they export: the default export, named exports, and arrays of
 * evaluators. A directory stands for every `*.eval.{ts,mts,js,mjs}` file
 * under it.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { createJiti } from "jiti"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { pathToFileURL } from "node:url"
import { type Evaluator, isEvaluator } from "../Evaluator.js"
import { type CliFailure, usage } from "./CliError.js"

/**
 * An evaluator and the file that exported it.
 *
 * @since 0.1.0
 */
export interface Loaded {
  readonly file: string
  /** The export it came from (`default`, a name, or `name[i]` for an array). */
  readonly exportName: string
  readonly evaluator: Evaluator
}

const evalFilePattern = /\.eval\.(ts|mts|cts|js|mjs|cjs)$/

const walk = (dir: string, into: Array<string>): void => {
  for (const entry of NodeFs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue
    const path = NodePath.join(dir, entry.name)
    if (entry.isDirectory()) walk(path, into)
    else if (evalFilePattern.test(entry.name)) into.push(path)
  }
}

/**
 * The files named on the command line, with directories expanded. Fails when
 * a path does not exist or a directory holds no eval file.
 *
 * @since 0.1.0
 */
export const expand = (paths: ReadonlyArray<string>, cwd: string = process.cwd()): Effect.Effect<ReadonlyArray<string>, CliFailure> =>
  Effect.suspend(() => {
    const files: Array<string> = []
    for (const given of paths) {
      const path = NodePath.resolve(cwd, given)
      let stat: NodeFs.Stats
      try {
        stat = NodeFs.statSync(path)
      } catch {
        return Effect.fail(
          given.startsWith("-")
            ? usage(`unknown option ${given} (see promptops eval --help)`)
            : usage(`eval file not found: ${given} (looked at ${path})`)
        )
      }
      if (stat.isDirectory()) {
        const found: Array<string> = []
        walk(path, found)
        if (found.length === 0) {
          return Effect.fail(usage(`no eval files (*.eval.ts, *.eval.js, …) under the directory ${given}`))
        }
        files.push(...found)
      } else {
        files.push(path)
      }
    }
    return Effect.succeed([...new Set(files)])
  })

const errorText = (error: unknown): string => {
  if (error instanceof Error) {
    // The first frames of the stack say where in the user's file it failed.
    const frames = (error.stack ?? "").split("\n").slice(1, 4).join("\n")
    return frames.length === 0 ? error.message : `${error.message}\n${frames}`
  }
  return String(error)
}

/** jiti's base for resolving: this module in the ESM build; the working directory where `import.meta` is empty (CJS). */
const jitiBase = (): string =>
  typeof import.meta.url === "string" ? import.meta.url : pathToFileURL(NodePath.join(process.cwd(), "index.js")).href

/**
 * Imports each file and collects its evaluators, in file order; within a
 * file, the default export first, then named exports by name (the order of a
 * module namespace). A file that fails to load, or exports no evaluator, fails the whole
 * load with a message naming it.
 *
 * @since 0.1.0
 */
export const load = (paths: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<Loaded>, CliFailure> =>
  Effect.gen(function*() {
    const files = yield* expand(paths)
    const jiti = createJiti(jitiBase(), { interopDefault: false, moduleCache: false })
    const loaded: Array<Loaded> = []
    for (const file of files) {
      const shown = NodePath.relative(process.cwd(), file) || file
      const module = yield* Effect.tryPromise({
        try: () => jiti.import<Record<string, unknown>>(file),
        catch: (error) => usage(`could not load ${shown}: ${errorText(error)}`)
      })
      const seen = new Set<unknown>()
      const found: Array<Loaded> = []
      const add = (exportName: string, value: unknown) => {
        if (!isEvaluator(value) || seen.has(value)) return
        seen.add(value)
        found.push({ file, exportName, evaluator: value })
      }
      const names = Object.keys(module).sort((a, b) => (a === "default" ? -1 : b === "default" ? 1 : 0))
      for (const name of names) {
        const value = module[name]
        if (Array.isArray(value)) value.forEach((item, index) => add(`${name}[${index}]`, item))
        else add(name, value)
      }
      if (found.length === 0) {
        return yield* Effect.fail(
          usage(`${shown} exports no evaluator: export one made with Evaluator.make({ name, data, task, scorers })`)
        )
      }
      loaded.push(...found)
    }
    return loaded
  })
