/**
 * Template rendering with each vendor's semantics.
 *
 * - `mustache` renders the way Braintrust does: the `mustache` package with no
 *   HTML escaping; a `{{x}}` string is inserted verbatim and any other value is
 *   `JSON.stringify`-ed (`null` and missing values render empty). `{{{x}}}` and
 *   `{{&x}}` skip that step and insert the value as mustache itself does, as
 *   Braintrust does too (an object there renders as `[object Object]`).
 *   Sections, inverted sections, dotted and numeric paths (`{{a.b.0}}`) work as
 *   in mustache; partials render empty (no partials are ever supplied).
 * - `jinja` renders the way Basalt's JS SDK does: `@huggingface/jinja` 0.5.5,
 *   `new Template(text).render(vars)`, so blocks trim like `trim_blocks` +
 *   `lstrip_blocks`, a missing variable (or an attribute of one) renders empty,
 *   `true` renders `true`, objects render JSON-like, and `{% raw %}` is not
 *   supported.
 * - `nunjucks` renders the way Braintrust does: the `nunjucks` package (3.2.4)
 *   configured as Braintrust's `@braintrust/templates-nunjucks-js` plugin
 *   configures it, so output is HTML-escaped (`<b>` renders `&lt;b&gt;`, `'`
 *   renders `&#39;`), block tags keep their newlines, objects render as
 *   `[object Object]` and arrays as `a,b`, `{% raw %}` works, a missing
 *   variable renders empty and a `for` over one renders nothing. One
 *   difference: nunjucks is no sandbox, so a template that reads
 *   `.constructor`, `.__proto__` or `.prototype` (the way to run JavaScript
 *   from a template) is refused as invalid.
 * - `none` returns the text unchanged.
 *
 * Nothing ever throws: a template that does not parse, or a value the engine
 * cannot render (a `BigInt`, a circular object), is a `TemplateError`. For
 * jinja that holds for the variables the template names; the others are never
 * handed to the engine (Basalt's SDK fails on any of them). A jinja variable
 * named like an engine global (`true`, `range`, `namespace`, …) is an error, as
 * in Basalt's SDK.
 *
 * In strict mode every variable the template needs must be supplied, and one
 * `TemplateError` lists all the missing ones:
 * - mustache checks every `{{path}}` / `{{{path}}}` the render reaches, against
 *   the whole context stack (so names inside a section may come from the
 *   section's item); a section or inverted section name is a condition and may
 *   be missing, as in Braintrust's lint. A value present but `null` counts as
 *   supplied. Numeric segments are checked as written (`items.3` needs a fourth
 *   item), where Braintrust only checks `items.0`.
 * - jinja checks the template statically, over the engine's parsed AST: every
 *   free variable path (loop variables, `set` targets, macro arguments and the
 *   engine's globals are bound, not free). A path used only as a presence test
 *   (`{% if x %}`, `x is defined`, `x | default(...)`) is optional, and so is
 *   anything under such a guard (`{% if user is defined %}{{ user.name }}`).
 * - nunjucks fails exactly when Braintrust's strict nunjucks does (an output
 *   `{{ path }}` whose value is `undefined` or `null`), and lists every path
 *   output directly that is not supplied (or is `null`).
 *
 * Parsed templates are cached per source string in bounded LRU caches, so a
 * prompt rendered on every request is parsed once. Rendering always runs the
 * engine (for jinja, `template.render` on the cached parse); a jinja render
 * is handed only the variables the template names, since the engine converts
 * every variable it is given before it renders (see `usedVariables`).
 *
 * Each engine package loads on the first render (or variable analysis) of its
 * format, not when this module is imported: together they cost ~40 ms of
 * import time that an app rendering one format, or none, should not pay.
 *
 * @since 0.1.0
 */
import type { Template as JinjaTemplate } from "@huggingface/jinja"
import { Effect, Either, Schema } from "effect"
import type Mustache from "mustache"
import * as Nunjucks from "./internal/nunjucks.js"
import { requireOnUse } from "./internal/requireOnUse.js"
import { TemplateError } from "./PromptOpsError.js"

/**
 * How the message contents are templated: `mustache` and `nunjucks` as
 * Braintrust renders them, `jinja` as Basalt's SDK renders it; `none` leaves
 * the text untouched. `nunjucks` and `jinja` are different formats: the same
 * text renders differently in each (HTML escaping, whitespace, values).
 * Declared here, with the renderer, and re-exported by `Prompt`.
 *
 * @since 0.1.0
 */
export const TemplateFormat: Schema.Literal<["mustache", "jinja", "nunjucks", "none"]> = Schema.Literal(
  "mustache",
  "jinja",
  "nunjucks",
  "none"
)
/** @since 0.1.0 */
export type TemplateFormat = typeof TemplateFormat.Type

/**
 * @since 0.1.0
 */
export interface RenderOptions {
  readonly format: TemplateFormat
  /** Fail with every missing variable instead of rendering them empty. Default `false`. */
  readonly strict?: boolean | undefined
}

/**
 * What rendering one template produced, without failing: the text, the
 * variables strict mode found missing, or why the template could not render.
 * `Prompt.render` uses it to report the missing variables of all its messages
 * in one error.
 *
 * @since 0.1.0
 */
export type Outcome =
  | { readonly _tag: "Rendered"; readonly text: string }
  | { readonly _tag: "Missing"; readonly missing: ReadonlyArray<string> }
  | { readonly _tag: "Invalid"; readonly description: string }

/**
 * Renders a template, never throwing. See the module documentation for the
 * semantics of each format.
 *
 * @since 0.1.0
 */
export const renderOutcome = (
  template: string,
  variables: Record<string, unknown>,
  options: RenderOptions
): Outcome => {
  switch (options.format) {
    case "none":
      return { _tag: "Rendered", text: template }
    case "mustache":
      return renderMustache(template, variables, options.strict === true)
    case "jinja":
      return renderJinja(template, variables, options.strict === true)
    case "nunjucks":
      return renderNunjucks(template, variables, options.strict === true)
  }
}

/**
 * The synchronous core of `render`.
 *
 * @since 0.1.0
 */
export const renderEither = (
  template: string,
  variables: Record<string, unknown>,
  options: RenderOptions
): Either.Either<string, TemplateError> => {
  const outcome = renderOutcome(template, variables, options)
  switch (outcome._tag) {
    case "Rendered":
      return Either.right(outcome.text)
    case "Missing":
      return Either.left(missingError(options.format, outcome.missing, "Template.render", "the template"))
    case "Invalid":
      return Either.left(invalidError(options.format, outcome.description, "Template.render"))
  }
}

/**
 * Renders `template` with `variables` in the given format. Fails with a
 * `TemplateError` when the template does not parse or render, and in strict
 * mode when variables are missing (all of them listed in `missing`).
 *
 * @since 0.1.0
 */
export const render = (
  template: string,
  variables: Record<string, unknown>,
  options: RenderOptions
): Effect.Effect<string, TemplateError> => Effect.suspend(() => renderEither(template, variables, options))

/**
 * The variable paths a template uses, in order of first use, e.g.
 * `["name", "user.email", "items"]`: for docs, `describe`, and checking inputs
 * before rendering.
 *
 * - mustache: every `{{path}}`, `{{{path}}}`, `{{#path}}` and `{{^path}}`
 *   (`{{.}}` excluded). A name inside a section may be relative to the
 *   section's item; it is listed as written.
 * - jinja: every free variable path (not loop variables, `set` targets, macro
 *   arguments or engine globals); a method call's receiver (`d` in `d.items()`).
 * - nunjucks: every free variable path (not loop variables, `set` targets,
 *   macro arguments or nunjucks' globals); a function's name when it is free.
 * - none: nothing.
 *
 * A template that does not parse lists nothing; `render` reports why.
 *
 * @since 0.1.0
 */
export const variables = (template: string, format: TemplateFormat): ReadonlyArray<string> => {
  switch (format) {
    case "none":
      return []
    case "mustache": {
      try {
        return mustacheVariables(template)
      } catch {
        return []
      }
    }
    case "jinja": {
      const entry = jinjaEntry(template)
      return entry._tag === "Parsed" ? analysisOf(entry).used.map((path) => path.key) : []
    }
    case "nunjucks": {
      try {
        return Nunjucks.analyze(template).used
      } catch {
        return []
      }
    }
  }
}

/**
 * What would render differently if `template`, written for `from`, were
 * rendered as `to`: one line per construct (empty when it renders the same
 * for every input). Used when a prompt moves between vendors whose formats
 * differ (Basalt's `jinja` to Braintrust's `nunjucks`): the template is only
 * converted when this is empty.
 *
 * The check is conservative: any output (`{{ … }}`) differs between jinja and
 * nunjucks (nunjucks HTML-escapes it and renders objects as `[object Object]`
 * and arrays as `a,b`), a block or comment tag differs when it touches a line
 * break or starts a line after indentation (jinja trims those, nunjucks keeps
 * them), a block other than `if`/`for` may not exist in the other engine, and
 * jinja drops a trailing newline that nunjucks keeps. Between mustache and the
 * others, and to `none`, any template syntax differs.
 *
 * @since 0.1.0
 */
export const conversionDifferences = (
  template: string,
  from: TemplateFormat,
  to: TemplateFormat
): ReadonlyArray<string> => {
  if (from === to) return []
  const differences: Array<string> = []
  const jinjaLike = (format: TemplateFormat) => format === "jinja" || format === "nunjucks"
  const syntax = (format: TemplateFormat): RegExp | undefined =>
    format === "mustache" ? /\{\{/ : jinjaLike(format) ? /\{[{%#]/ : undefined
  if (!(jinjaLike(from) && jinjaLike(to))) {
    for (const format of [from, to]) {
      const pattern = syntax(format)
      if (pattern !== undefined && pattern.test(template)) {
        differences.push(`the template uses ${format} syntax ("{{", "{%" or "{#"), which ${format === from ? to : from} reads differently`)
        break
      }
    }
    return differences
  }
  const tag = /\{([{%#])(-?)([\s\S]*?)(-?)([}%#])\}/g
  for (const match of template.matchAll(tag)) {
    const text = excerpt(match[0])
    const kind = match[1]
    if (kind === "{") {
      differences.push(`${text}: nunjucks HTML-escapes output (& < > " ') and renders objects as [object Object] and arrays as a,b; jinja does neither`)
      continue
    }
    const start = match.index
    const end = start + match[0].length
    const lineStart = template.lastIndexOf("\n", start - 1) + 1
    const indented = start > lineStart && /^[ \t]+$/.test(template.slice(lineStart, start)) && match[2] === ""
    const newlineAfter = (template[end] === "\n" || template.startsWith("\r\n", end)) && match[4] === ""
    if (indented || newlineAfter) {
      differences.push(`${text}: jinja removes the ${newlineAfter ? "line break after" : "indentation before"} a block or comment tag; nunjucks keeps it`)
    }
    const keyword = kind === "%" ? /^\s*(\w+)/.exec(match[3])?.[1] : undefined
    if (keyword !== undefined && !["if", "elif", "else", "endif", "for", "endfor"].includes(keyword)) {
      differences.push(`${text}: "${keyword}" blocks are not known to render the same in jinja and nunjucks`)
    }
  }
  if (/\n$/.test(template) && (from === "jinja" || to === "jinja")) {
    differences.push("a trailing line break: jinja drops it, nunjucks keeps it")
  }
  return differences
}

/**
 * The error for variables missing in strict mode. `where` names the templates
 * they were missing from, for the description.
 *
 * @since 0.1.0
 */
export const missingError = (
  format: TemplateFormat,
  missing: ReadonlyArray<string>,
  operation: string,
  where: string
): TemplateError =>
  new TemplateError({
    provider: "promptops",
    operation,
    format,
    missing,
    description: `strict mode: ${missing.length} variable${missing.length === 1 ? "" : "s"} used in ${where} ${
      missing.length === 1 ? "is" : "are"
    } not supplied`
  })

/**
 * The error for a template that could not be parsed or rendered.
 *
 * @since 0.1.0
 */
export const invalidError = (format: TemplateFormat, description: string, operation: string): TemplateError =>
  new TemplateError({ provider: "promptops", operation, format, missing: [], description })

// ---------------------------------------------------------------------------
// Bounded caches
// ---------------------------------------------------------------------------

/** Most templates a cache keeps, and the most source characters it holds in all. */
const CACHE_ENTRIES = 512
const CACHE_CHARS = 4_000_000

/** A least-recently-used map bounded by entries and by the total length of its keys. */
class Lru<V> {
  private readonly map = new Map<string, V>()
  private chars = 0
  get(key: string): V | undefined {
    const value = this.map.get(key)
    if (value !== undefined) {
      // Re-insert so iteration order is least recently used first.
      this.map.delete(key)
      this.map.set(key, value)
    }
    return value
  }
  set(key: string, value: V): void {
    if (key.length > CACHE_CHARS / 8) return // a giant template is not worth evicting everything for
    if (this.map.delete(key)) this.chars -= key.length
    this.map.set(key, value)
    this.chars += key.length
    while (this.map.size > CACHE_ENTRIES || this.chars > CACHE_CHARS) {
      const oldest = this.map.keys().next().value as string
      this.map.delete(oldest)
      this.chars -= oldest.length
    }
  }
  clear(): void {
    this.map.clear()
    this.chars = 0
  }
}

const excerpt = (template: string): string => {
  const flat = template.replace(/\s+/g, " ")
  return JSON.stringify(flat.length > 60 ? `${flat.slice(0, 60)}…` : flat)
}

const errorText = (error: unknown): string => error instanceof Error ? error.message : String(error)

// ---------------------------------------------------------------------------
// Mustache
// ---------------------------------------------------------------------------

/** Always these delimiters, whatever another user of the package set `Mustache.tags` to. */
const MUSTACHE_TAGS: ["{{", "}}"] = ["{{", "}}"]
const MUSTACHE_CONFIG: Mustache.RenderOptions = { tags: MUSTACHE_TAGS }

/** Collects missing names during a strict render. Rendering is synchronous, so one slot is enough. */
let missingSink: Array<string> | undefined = undefined

/** Thrown out of a render when a value cannot be serialised; carries the variable's name. */
class UnrenderableValue {
  constructor(readonly name: string, readonly cause: unknown) {}
}

// Loaded on first use: `mustache` costs every app that never renders mustache at import.
const mustache = requireOnUse<typeof Mustache>("mustache")

/**
 * Our own Writer, so nothing global in the `mustache` package changes (its
 * `escape`, `tags` and unbounded default cache stay as other users left them).
 * It applies Braintrust's escape and records names that resolve to nothing.
 */
const makeMustacheWriter = (): Mustache.Writer => {
  class PromptWriter extends mustache().Writer {
    /** Set by mustache's constructor; missing from its type declarations. */
    declare templateCache: Mustache.TemplateCache
    override escapedValue(token: Array<string>, context: Mustache.Context): string {
      const name = token[1]!
      const value: unknown = context.lookup(name)
      if (value === undefined) {
        missingSink?.push(name)
        return ""
      }
      if (value === null) return ""
      if (typeof value === "string") return value
      try {
        // `undefined` for functions and symbols, which mustache renders as nothing.
        return JSON.stringify(value) ?? ""
      } catch (cause) {
        throw new UnrenderableValue(name, cause)
      }
    }
    override unescapedValue(token: Array<string>, context: Mustache.Context): string {
      const name = token[1]!
      const value: unknown = context.lookup(name)
      if (value === undefined) {
        missingSink?.push(name)
        return ""
      }
      return value === null ? "" : String(value)
    }
  }

  const writer = new PromptWriter()
  {
    const cache = new Lru<unknown>()
    // mustache's TemplateCache type says `string`; it stores token arrays.
    writer.templateCache = {
      get: (key: string) => cache.get(key) as string | undefined,
      set: (key: string, tokens: string) => cache.set(key, tokens),
      clear: () => cache.clear()
    }
  }
  return writer
}

/** The one writer, built on the first mustache render. */
let mustacheWriterOnce: Mustache.Writer | undefined = undefined
const mustacheWriter = (): Mustache.Writer => (mustacheWriterOnce ??= makeMustacheWriter())

const renderMustache = (template: string, view: Record<string, unknown>, strict: boolean): Outcome => {
  const sink: Array<string> | undefined = strict ? [] : undefined
  const outer = missingSink // a lambda in the variables could render a template itself
  missingSink = sink
  try {
    const text = mustacheWriter().render(template, view, undefined, MUSTACHE_CONFIG)
    if (sink !== undefined && sink.length > 0) return { _tag: "Missing", missing: dedupe(sink) }
    return { _tag: "Rendered", text }
  } catch (error) {
    if (error instanceof UnrenderableValue) {
      return {
        _tag: "Invalid",
        description: `mustache cannot render variable "${error.name}" as JSON: ${errorText(error.cause)}`
      }
    }
    return { _tag: "Invalid", description: `mustache template ${excerpt(template)} is invalid: ${errorText(error)}` }
  } finally {
    missingSink = outer
  }
}

const dedupe = (names: ReadonlyArray<string>): ReadonlyArray<string> => Array.from(new Set(names))

type MustacheSpan = ReadonlyArray<unknown>

const mustacheVariables = (template: string): ReadonlyArray<string> => {
  const names = new Set<string>()
  const walk = (spans: ReadonlyArray<MustacheSpan>): void => {
    for (const span of spans) {
      const kind = span[0]
      if (kind === "name" || kind === "&" || kind === "#" || kind === "^") {
        const name = span[1] as string
        if (name !== ".") names.add(name)
      }
      if ((kind === "#" || kind === "^") && Array.isArray(span[4])) walk(span[4] as ReadonlyArray<MustacheSpan>)
    }
  }
  walk(mustacheWriter().parse(template, MUSTACHE_TAGS) as ReadonlyArray<MustacheSpan>)
  return Array.from(names)
}

// ---------------------------------------------------------------------------
// Nunjucks
// ---------------------------------------------------------------------------

/** Whether a path resolves to something other than `undefined` or `null` (what nunjucks' strict output wants). */
const isDefinedPath = (variables: Record<string, unknown>, segments: ReadonlyArray<string>): boolean => {
  let current: unknown = variables
  for (const segment of segments) {
    if (current === null || current === undefined) return false
    if (typeof current !== "object" && typeof current !== "function" && typeof current !== "string") return false
    current = (current as Record<string, unknown>)[segment]
  }
  return current !== undefined && current !== null
}

const renderNunjucks = (template: string, variables: Record<string, unknown>, strict: boolean): Outcome => {
  const result = Nunjucks.render(template, variables, strict)
  switch (result._tag) {
    case "Rendered":
      return result
    case "Failed":
      return { _tag: "Invalid", description: `nunjucks template ${excerpt(template)} is invalid: ${result.message}` }
    case "Undefined": {
      // The engine stops at the first undefined output; the analysis names all of them.
      let missing: ReadonlyArray<string> = []
      try {
        missing = Nunjucks.analyze(template).outputs.filter((path) => !isDefinedPath(variables, path.segments)).map((
          path
        ) => path.key)
      } catch {
        // It rendered, so it parses.
      }
      return {
        _tag: "Missing",
        missing: missing.length > 0 ? missing : [`the output at line ${result.line}, column ${result.column}`]
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Jinja
// ---------------------------------------------------------------------------

/** A path a jinja template reads, as segments and as the dotted key reported to users. */
interface JinjaPath {
  readonly key: string
  readonly segments: ReadonlyArray<string>
}

interface JinjaAnalysis {
  /** Every free path, in order of first use. */
  readonly used: ReadonlyArray<JinjaPath>
  /** The free paths strict mode requires: not optional, not guarded. */
  readonly required: ReadonlyArray<JinjaPath>
}

type JinjaEntry =
  | {
    readonly _tag: "Parsed"
    readonly template: JinjaTemplate
    /** Every name the template could look up; the engine only ever reads variables by these. */
    readonly names: ReadonlySet<string>
    analysis: JinjaAnalysis | undefined
  }
  | { readonly _tag: "Invalid"; readonly description: string }

const jinjaCache = new Lru<JinjaEntry>()

// Loaded on first use: `@huggingface/jinja` costs every app that never renders jinja at import.
const jinja = requireOnUse<typeof import("@huggingface/jinja")>("@huggingface/jinja")

const jinjaEntry = (source: string): JinjaEntry => {
  let entry = jinjaCache.get(source)
  if (entry === undefined) {
    try {
      const template = new (jinja().Template)(source)
      const program = template.parsed as unknown as JinjaNode
      entry = {
        _tag: "Parsed",
        template,
        names: identifiersOf(program),
        analysis: undefined
      }
    } catch (error) {
      entry = { _tag: "Invalid", description: `jinja template ${excerpt(source)} does not parse: ${errorText(error)}` }
    }
    jinjaCache.set(source, entry)
  }
  return entry
}

const analysisOf = (entry: Extract<JinjaEntry, { _tag: "Parsed" }>): JinjaAnalysis => {
  if (entry.analysis === undefined) entry.analysis = analyzeJinja(entry.template.parsed as unknown as JinjaNode)
  return entry.analysis
}

const renderJinja = (source: string, variables: Record<string, unknown>, strict: boolean): Outcome => {
  const entry = jinjaEntry(source)
  if (entry._tag === "Invalid") return entry
  if (strict) {
    const missing = analysisOf(entry).required.filter((path) => !isSupplied(variables, path.segments))
    if (missing.length > 0) return { _tag: "Missing", missing: missing.map((path) => path.key) }
  }
  for (const name of JINJA_GLOBALS) {
    if (isEntry(variables, name)) {
      return {
        _tag: "Invalid",
        description: `jinja variable "${name}" is not allowed: the engine declares it (Variable already declared: ${name})`
      }
    }
  }
  try {
    return { _tag: "Rendered", text: entry.template.render(usedVariables(variables, entry.names)) }
  } catch (error) {
    return { _tag: "Invalid", description: `jinja template ${excerpt(source)} cannot render: ${errorText(error)}` }
  }
}

// The engine converts every variable it is given into runtime values, each with
// a map of built-in methods, before it renders anything: milliseconds when a
// large document rides along unused. It only ever reads variables through the
// template's identifiers, so it is given only the variables the template names:
// the output is the same. As a result a value the engine cannot convert (a
// BigInt, a cycle) is an error only when the template uses it; Basalt's SDK
// fails on any variable. Rendering itself is always the engine's.

/** Every identifier in the AST (and token values typed as identifiers): a superset of the names read. */
const identifiersOf = (program: JinjaNode): ReadonlySet<string> => {
  const names = new Set<string>()
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item)
    } else if (value instanceof Map) {
      for (const [key, item] of value) {
        walk(key)
        walk(item)
      }
    } else if (typeof value === "object" && value !== null) {
      const node = value as JinjaNode
      if (node.type === "Identifier" && typeof node.value === "string") names.add(node.value)
      for (const key in node) {
        const field = node[key]
        if (typeof field === "object" && field !== null) walk(field)
      }
    }
  }
  walk(program)
  return names
}

/** The variables the template can read; the engine converts nothing else. */
const usedVariables = (variables: Record<string, unknown>, names: ReadonlySet<string>): Record<string, unknown> => {
  const used: Record<string, unknown> = Object.create(null) // so a `__proto__` variable stays a variable
  for (const name of names) {
    if (isEntry(variables, name)) used[name] = variables[name]
  }
  return used
}

const isEntry = (object: object, key: string): boolean => Object.prototype.propertyIsEnumerable.call(object, key)

const isSupplied = (variables: Record<string, unknown>, segments: ReadonlyArray<string>): boolean => {
  let current: unknown = variables
  for (const segment of segments) {
    if (current === null || current === undefined) return false
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(segment)) return true
      current = current[Number(segment)]
    } else if (typeof current === "object") {
      if (!Object.hasOwn(current, segment)) return false
      current = (current as Record<string, unknown>)[segment]
    } else {
      return true
    }
  }
  return current !== undefined
}

/** The engine's AST, read structurally: its node classes are not exported. */
interface JinjaNode {
  readonly type: string
  readonly [field: string]: any
}

/** Names the engine declares in every render (`setupGlobals` and `Environment`). */
const JINJA_GLOBALS: ReadonlySet<string> = new Set([
  "true",
  "false",
  "none",
  "True",
  "False",
  "None",
  "raise_exception",
  "range",
  "strftime_now",
  "namespace"
])

class Scope {
  private readonly names = new Set<string>()
  constructor(private readonly parent: Scope | undefined) {}
  bind(name: string): void {
    this.names.add(name)
  }
  has(name: string): boolean {
    return this.names.has(name) || (this.parent !== undefined && this.parent.has(name))
  }
}

/** What a condition proves present when it holds, and when it does not. */
interface Guards {
  readonly whenTrue: ReadonlyArray<string>
  readonly whenFalse: ReadonlyArray<string>
}
const NO_GUARDS: Guards = { whenTrue: [], whenFalse: [] }

/** The static path of `a`, `a.b`, `a["b"]`, `a[0]`; `undefined` for anything computed. */
const staticPath = (node: JinjaNode): Array<string> | undefined => {
  if (node.type === "Identifier") return [node.value as string]
  if (node.type !== "MemberExpression") return undefined
  const base = staticPath(node.object as JinjaNode)
  if (base === undefined) return undefined
  const property = node.property as JinjaNode
  if (!node.computed && property.type === "Identifier") return [...base, property.value as string]
  if (node.computed && (property.type === "StringLiteral" || property.type === "IntegerLiteral")) {
    return [...base, String(property.value)]
  }
  return undefined
}

const analyzeJinja = (program: JinjaNode): JinjaAnalysis => {
  const used = new Map<string, JinjaPath>()
  const required = new Map<string, JinjaPath>()

  const reference = (
    segments: ReadonlyArray<string>,
    scope: Scope,
    optional: boolean,
    guards: ReadonlyArray<string>
  ): string | undefined => {
    const root = segments[0]!
    if (scope.has(root) || JINJA_GLOBALS.has(root)) return undefined
    const key = segments.join(".")
    if (!used.has(key)) used.set(key, { key, segments })
    const guarded = guards.some((guard) => key === guard || key.startsWith(`${guard}.`))
    if (!optional && !guarded && !required.has(key)) required.set(key, { key, segments })
    return key
  }

  const expression = (node: JinjaNode | undefined, scope: Scope, optional: boolean, guards: ReadonlyArray<string>) => {
    if (node === undefined || node === null) return
    switch (node.type) {
      case "Identifier":
      case "MemberExpression": {
        const path = staticPath(node)
        if (path !== undefined) {
          reference(path, scope, optional, guards)
        } else {
          expression(node.object, scope, optional, guards)
          if (node.computed) expression(node.property, scope, false, guards)
        }
        return
      }
      case "CallExpression": {
        const callee = node.callee as JinjaNode
        // `x.items()`: the method is no variable, its receiver is.
        if (callee.type === "MemberExpression") expression(callee.object, scope, false, guards)
        else expression(callee, scope, false, guards)
        for (const arg of node.args as Array<JinjaNode>) expression(arg, scope, false, guards)
        return
      }
      case "FilterExpression": {
        const filter = node.filter as JinjaNode
        const name = filter.type === "CallExpression" ? (filter.callee as JinjaNode).value : filter.value
        expression(node.operand, scope, optional || name === "default" || name === "d", guards)
        if (filter.type === "CallExpression") {
          for (const arg of filter.args as Array<JinjaNode>) expression(arg, scope, false, guards)
        }
        return
      }
      case "TestExpression": {
        const test = (node.test as JinjaNode).value
        expression(node.operand, scope, optional || test === "defined" || test === "undefined", guards)
        return
      }
      case "Ternary": {
        const proven = condition(node.condition, scope, guards)
        expression(node.trueExpr, scope, optional, [...guards, ...proven.whenTrue])
        expression(node.falseExpr, scope, optional, [...guards, ...proven.whenFalse])
        return
      }
      case "SelectExpression":
        expression(node.lhs, scope, optional, guards)
        expression(node.test, scope, false, guards)
        return
      case "BinaryExpression":
        expression(node.left, scope, false, guards)
        expression(node.right, scope, false, guards)
        return
      case "UnaryExpression":
        expression(node.argument, scope, false, guards)
        return
      case "SliceExpression":
        expression(node.start, scope, false, guards)
        expression(node.stop, scope, false, guards)
        expression(node.step, scope, false, guards)
        return
      case "KeywordArgumentExpression":
        expression(node.value, scope, false, guards)
        return
      case "SpreadExpression":
        expression(node.argument, scope, false, guards)
        return
      case "ArrayLiteral":
      case "TupleLiteral":
        for (const item of node.value as Array<JinjaNode>) expression(item, scope, false, guards)
        return
      case "ObjectLiteral":
        for (const [key, value] of node.value as Map<JinjaNode, JinjaNode>) {
          expression(key, scope, false, guards)
          expression(value, scope, false, guards)
        }
        return
      default:
        return // literals, and node kinds a later engine may add
    }
  }

  /** Visits an `if` / ternary test: a bare path or a `defined` test there is a presence check. */
  const condition = (node: JinjaNode, scope: Scope, guards: ReadonlyArray<string>): Guards => {
    const path = staticPath(node)
    if (path !== undefined) {
      const key = reference(path, scope, true, guards)
      return key === undefined ? NO_GUARDS : { whenTrue: [key], whenFalse: [] }
    }
    if (node.type === "TestExpression") {
      const test = (node.test as JinjaNode).value
      const operand = staticPath(node.operand as JinjaNode)
      if ((test === "defined" || test === "undefined") && operand !== undefined) {
        const key = reference(operand, scope, true, guards)
        if (key === undefined) return NO_GUARDS
        const provesPresent = (test === "defined") !== (node.negate === true)
        return provesPresent ? { whenTrue: [key], whenFalse: [] } : { whenTrue: [], whenFalse: [key] }
      }
    }
    if (node.type === "UnaryExpression" && node.operator?.value === "not") {
      const inner = condition(node.argument, scope, guards)
      return { whenTrue: inner.whenFalse, whenFalse: inner.whenTrue }
    }
    if (node.type === "BinaryExpression" && node.operator?.value === "and") {
      const left = condition(node.left, scope, guards)
      const right = condition(node.right, scope, [...guards, ...left.whenTrue])
      return { whenTrue: [...left.whenTrue, ...right.whenTrue], whenFalse: [] }
    }
    if (node.type === "BinaryExpression" && node.operator?.value === "or") {
      const left = condition(node.left, scope, guards)
      const right = condition(node.right, scope, [...guards, ...left.whenFalse])
      return { whenTrue: [], whenFalse: [...left.whenFalse, ...right.whenFalse] }
    }
    expression(node, scope, false, guards)
    return NO_GUARDS
  }

  const bindTarget = (target: JinjaNode, scope: Scope): void => {
    if (target.type === "Identifier") scope.bind(target.value as string)
    else if (target.type === "TupleLiteral") {
      for (const item of target.value as Array<JinjaNode>) bindTarget(item, scope)
    }
  }

  const block = (statements: ReadonlyArray<JinjaNode> | undefined, scope: Scope, guards: ReadonlyArray<string>) => {
    if (statements === undefined) return
    for (const statement of statements) {
      switch (statement.type) {
        case "If": {
          const proven = condition(statement.test, scope, guards)
          // `if` opens no scope in Jinja: a `set` in a branch stays visible after it.
          block(statement.body, scope, [...guards, ...proven.whenTrue])
          block(statement.alternate, scope, [...guards, ...proven.whenFalse])
          break
        }
        case "For": {
          const inner = new Scope(scope)
          bindTarget(statement.loopvar, inner)
          inner.bind("loop")
          const iterable = statement.iterable as JinjaNode
          if (iterable.type === "SelectExpression") {
            expression(iterable.lhs, scope, false, guards)
            expression(iterable.test, inner, false, guards)
          } else {
            expression(iterable, scope, false, guards)
          }
          block(statement.body, inner, guards)
          block(statement.defaultBlock, new Scope(scope), guards)
          break
        }
        case "Set": {
          if (statement.value !== null && statement.value !== undefined) {
            expression(statement.value, scope, false, guards)
          } else {
            block(statement.body, scope, guards)
          }
          const assignee = statement.assignee as JinjaNode
          // `{% set ns.x = … %}` writes into `ns`, which must exist.
          if (assignee.type === "MemberExpression") expression(assignee.object, scope, false, guards)
          else bindTarget(assignee, scope)
          break
        }
        case "Macro": {
          scope.bind((statement.name as JinjaNode).value as string)
          const inner = new Scope(scope)
          inner.bind("caller")
          for (const arg of statement.args as Array<JinjaNode>) {
            if (arg.type === "KeywordArgumentExpression") {
              expression(arg.value, inner, false, guards)
              inner.bind((arg.key as JinjaNode).value as string)
            } else {
              bindTarget(arg, inner)
            }
          }
          block(statement.body, inner, guards)
          break
        }
        case "CallStatement": {
          expression(statement.call, scope, false, guards)
          const inner = new Scope(scope)
          for (const arg of (statement.callerArgs ?? []) as Array<JinjaNode>) bindTarget(arg, inner)
          block(statement.body, inner, guards)
          break
        }
        case "FilterStatement": {
          block(statement.body, scope, guards)
          const filter = statement.filter as JinjaNode
          if (filter.type === "CallExpression") {
            for (const arg of filter.args as Array<JinjaNode>) expression(arg, scope, false, guards)
          }
          break
        }
        case "Comment":
        case "Break":
        case "Continue":
          break
        default:
          expression(statement, scope, false, guards)
      }
    }
  }

  block(program.body as Array<JinjaNode>, new Scope(undefined), [])
  return { used: Array.from(used.values()), required: Array.from(required.values()) }
}
