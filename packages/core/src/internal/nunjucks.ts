/**
 * Braintrust's `nunjucks` template format, rendered as Braintrust renders it:
 * the `nunjucks` package configured exactly as Braintrust's own plugin
 * (`@braintrust/templates-nunjucks-js` 1.0.0) configures it — one environment
 * with `autoescape: true, throwOnUndefined: false`, and a strict one with
 * `throwOnUndefined: true` — and no loaders. That plugin is not a dependency
 * here because it needs the whole `braintrust` SDK as a peer; the parity tests
 * in `bench/` run it side by side with this module.
 *
 * @internal
 */
import type nunjucks from "nunjucks"
import { requireOnUse } from "./requireOnUse.js"

/** The parts of `nunjucks` its type declarations leave out: the parser and its AST. */
interface NunjucksNode {
  readonly typename: string
  readonly fields: ReadonlyArray<string>
  readonly lineno: number
  readonly colno: number
  readonly value?: unknown
  readonly [field: string]: unknown
}
interface NunjucksInternals {
  readonly parser: { readonly parse: (source: string) => NunjucksNode }
}

/** The package and its two environments, loaded on first use: `nunjucks` costs ~30 ms at import. */
interface Engine {
  readonly nunjucks: typeof nunjucks
  readonly internals: NunjucksInternals
  readonly lenient: nunjucks.Environment
  readonly strictEnv: nunjucks.Environment
}
const load = requireOnUse<typeof nunjucks>("nunjucks")
let engineOnce: Engine | undefined = undefined
const engine = (): Engine => {
  if (engineOnce === undefined) {
    const loaded = load()
    engineOnce = {
      nunjucks: loaded,
      internals: loaded as unknown as NunjucksInternals,
      // Braintrust's plugin: `new Environment(null, { autoescape, throwOnUndefined })`.
      lenient: new loaded.Environment(null, { autoescape: true, throwOnUndefined: false }),
      strictEnv: new loaded.Environment(null, { autoescape: true, throwOnUndefined: true })
    }
  }
  return engineOnce
}

/** Compiled templates, per source; nunjucks compiles on the first render and reuses the code after. */
const MAX_ENTRIES = 512
const MAX_SOURCE = 500_000
interface Entry {
  readonly lenient: nunjucks.Template
  readonly strict: nunjucks.Template
  /** Why the template is refused, when it is. */
  readonly refused: string | undefined
}
const cache = new Map<string, Entry>()

/**
 * Properties that reach JavaScript's `Function` constructor: nunjucks is no
 * sandbox, so `{{ range.constructor("return process")() }}` would run code in
 * this process. A template that names one is refused (Braintrust's SDK runs it).
 */
const FORBIDDEN: ReadonlySet<string> = new Set([
  "constructor",
  "__proto__",
  "prototype",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__"
])

const refusal = (source: string): string | undefined => {
  let root: NunjucksNode
  try {
    root = engine().internals.parser.parse(source)
  } catch {
    return undefined // the render reports the parse error
  }
  let found: string | undefined
  const walk = (node: unknown): void => {
    if (found !== undefined) return
    if (Array.isArray(node)) {
      for (const item of node) walk(item)
      return
    }
    if (typeof node !== "object" || node === null || typeof (node as NunjucksNode).typename !== "string") return
    const current = node as NunjucksNode
    if (current.typename === "LookupVal") {
      const key = current["val"] as NunjucksNode
      if (key.typename === "Literal" && FORBIDDEN.has(String(key.value))) found = String(key.value)
    }
    for (const field of current.fields) walk(current[field])
    if (!current.fields.includes("children") && Array.isArray(current["children"])) walk(current["children"])
  }
  walk(root)
  return found === undefined
    ? undefined
    : `it reads "${found}", which would let a template run JavaScript (nunjucks is no sandbox); promptops refuses it`
}

const compiled = (source: string): Entry => {
  let entry = cache.get(source)
  if (entry === undefined) {
    const { lenient, nunjucks, strictEnv } = engine()
    entry = {
      lenient: new nunjucks.Template(source, lenient),
      strict: new nunjucks.Template(source, strictEnv),
      refused: refusal(source)
    }
    if (source.length <= MAX_SOURCE) {
      cache.set(source, entry)
      if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string)
    }
  }
  return entry
}

/** What a render gave: text, or the engine's error. */
export type Result =
  | { readonly _tag: "Rendered"; readonly text: string }
  | { readonly _tag: "Undefined"; readonly line: number | undefined; readonly column: number | undefined }
  | { readonly _tag: "Failed"; readonly message: string }

const UNDEFINED_OUTPUT = /\[Line (\d+), Column (\d+)\][\s\S]*attempted to output null or undefined value/

/**
 * Renders as Braintrust's plugin does (`strict` → its strict environment, in
 * which outputting `null` or `undefined` fails). Never throws.
 *
 * @internal
 */
export const render = (source: string, variables: Record<string, unknown>, strict: boolean): Result => {
  try {
    const entry = compiled(source)
    if (entry.refused !== undefined) return { _tag: "Failed", message: entry.refused }
    return { _tag: "Rendered", text: (strict ? entry.strict : entry.lenient).render(variables) }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const undefinedOutput = strict ? UNDEFINED_OUTPUT.exec(message) : null
    if (undefinedOutput !== null) {
      return { _tag: "Undefined", line: Number(undefinedOutput[1]), column: Number(undefinedOutput[2]) }
    }
    return { _tag: "Failed", message: message.replace(/^\(unknown path\)\s*/, "").replace(/\s+/g, " ").trim() }
  }
}

/** A path an output reads, and whether the output is nothing but that path. */
interface OutputPath {
  readonly key: string
  readonly segments: ReadonlyArray<string>
}

/**
 * The variable paths a template reads (free names: not loop variables, `set`
 * targets or macro arguments), in order of first use, and the paths that are
 * output directly (`{{ a.b }}`, the only reads that fail in strict mode).
 * Throws when the template does not parse.
 *
 * @internal
 */
export const analyze = (
  source: string
): { readonly used: ReadonlyArray<string>; readonly outputs: ReadonlyArray<OutputPath> } => {
  const root = engine().internals.parser.parse(source)
  const used = new Set<string>()
  const outputs = new Map<string, OutputPath>()

  const pathOf = (node: NunjucksNode): Array<string> | undefined => {
    if (node.typename === "Symbol") return [String(node.value)]
    if (node.typename !== "LookupVal") return undefined
    const base = pathOf(node["target"] as NunjucksNode)
    const key = node["val"] as NunjucksNode
    if (base === undefined || key.typename !== "Literal") return undefined
    return [...base, String(key.value)]
  }

  const isNode = (value: unknown): value is NunjucksNode =>
    typeof value === "object" && value !== null && typeof (value as NunjucksNode).typename === "string"

  const bind = (target: unknown, scope: Set<string>): void => {
    if (!isNode(target)) return
    if (target.typename === "Symbol") scope.add(String(target.value))
    else if (Array.isArray(target["children"])) for (const child of target["children"]) bind(child, scope)
  }

  // Names nunjucks declares in every render.
  const globals: ReadonlySet<string> = new Set(["range", "cycler", "joiner", "loop"])
  const free = (name: string, scope: ReadonlySet<string>): boolean => !scope.has(name) && !globals.has(name)

  const walk = (node: unknown, scope: ReadonlySet<string>): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item, scope)
      return
    }
    if (!isNode(node)) return
    const path = pathOf(node)
    if (path !== undefined) {
      if (free(path[0]!, scope)) used.add(path.join("."))
      return
    }
    switch (node.typename) {
      case "For":
      case "AsyncEach":
      case "AsyncAll": {
        walk(node["arr"], scope)
        const inner = new Set(scope)
        bind(node["name"], inner)
        inner.add("loop")
        walk(node["body"], inner)
        walk(node["else_"], scope)
        return
      }
      case "Set": {
        walk(node["value"], scope)
        walk(node["body"], scope)
        // `set` writes into the enclosing frame: later reads of the name are not variables.
        for (const target of (node["targets"] as ReadonlyArray<unknown>) ?? []) bind(target, scope as Set<string>)
        return
      }
      case "Macro": {
        bind(node["name"], scope as Set<string>)
        const inner = new Set(scope)
        inner.add("caller")
        const args = node["args"] as NunjucksNode | undefined
        for (const arg of (args?.["children"] as ReadonlyArray<NunjucksNode> | undefined) ?? []) {
          if (arg.typename === "KeywordArgs") {
            for (const pair of (arg["children"] as ReadonlyArray<NunjucksNode>) ?? []) {
              walk(pair["value"], scope)
              bind(pair["key"], inner)
            }
          } else bind(arg, inner)
        }
        walk(node["body"], inner)
        return
      }
      case "Filter":
      case "FunCall":
        // A filter's or function's name is no variable; its arguments are.
        if (node.typename === "FunCall") {
          const name = node["name"] as NunjucksNode
          if (name.typename === "LookupVal") walk(name["target"], scope)
          else if (name.typename !== "Symbol") walk(name, scope)
          else if (free(String(name.value), scope)) used.add(String(name.value))
        }
        walk(node["args"], scope)
        return
      case "Output":
        for (const child of (node["children"] as ReadonlyArray<NunjucksNode>) ?? []) {
          const output = isNode(child) ? pathOf(child) : undefined
          if (output !== undefined && free(output[0]!, scope)) {
            const key = output.join(".")
            if (!outputs.has(key)) outputs.set(key, { key, segments: output })
          }
          walk(child, scope)
        }
        return
      default:
        for (const field of node.fields) walk(node[field], scope)
        if (!node.fields.includes("children") && Array.isArray(node["children"])) walk(node["children"], scope)
    }
  }
  walk(root, new Set())
  return { used: Array.from(used), outputs: Array.from(outputs.values()) }
}
