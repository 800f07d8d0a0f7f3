/**
 * Braintrust's template formats, rendered with the engines and settings Braintrust's own SDK uses (`braintrust`
 * 3.35, `js/src/template/plugins/mustache.ts`, and `@braintrust/templates-nunjucks-js` 1.0):
 *
 * - `mustache`: the `mustache` package (4.2.0) with Braintrust's escape (strings verbatim, any other value
 *   `JSON.stringify`-ed, no HTML escaping). Strict mode first runs Braintrust's lint: every top-level `{{x}}` /
 *   `{{{x}}}` / `{{& x}}` path (numeric segments read as `.0`) must resolve, else `Variable 'x' does not exist.`
 * - `nunjucks`: the `nunjucks` package (3.2.4), `autoescape: true`, `throwOnUndefined` only in strict mode. Since
 *   nunjucks is no sandbox, a template reading `.constructor`, `.__proto__` or `.prototype` is refused, so a
 *   request cannot run code in the emulator's process.
 * - `none`: the text unchanged.
 *
 * Every failure (a template that does not parse, a missing variable in strict mode) is a `TemplateRenderError`.
 */
import Mustache from "mustache"
import nunjucks from "nunjucks"

export class TemplateRenderError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "TemplateRenderError"
  }
}

// A writer of our own: the package's default writer (and its unbounded template cache) is left to other users.
const writer = new Mustache.Writer()

const jsonEscape = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value))

/** `getObjValueByPath` of the SDK: `null` (which counts as present) once the path leaves objects. */
const valueByPath = (root: unknown, path: ReadonlyArray<string>): unknown => {
  let current: unknown = root
  for (const key of path) {
    if (!(current instanceof Object)) return null
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

/** Braintrust's `lintTemplate`: the top-level variables only; a template that does not parse lints clean. */
const lintMustache = (template: string, variables: unknown): void => {
  let spans: ReadonlyArray<ReadonlyArray<unknown>>
  try {
    spans = writer.parse(template) as ReadonlyArray<ReadonlyArray<unknown>>
  } catch {
    return
  }
  for (const span of spans) {
    if (span[0] !== "name" && span[0] !== "&") continue
    const name = String(span[1])
    if (valueByPath(variables, name.replaceAll(/\.\d+/g, ".0").split(".")) === undefined) {
      throw new TemplateRenderError(`Variable '${name}' does not exist.`)
    }
  }
}

const renderMustache = (template: string, variables: unknown, strict: boolean): string => {
  try {
    if (strict) lintMustache(template, variables)
    return writer.render(template, variables, undefined, { escape: jsonEscape })
  } catch (e) {
    if (e instanceof TemplateRenderError) throw e
    throw new TemplateRenderError(e instanceof Error ? e.message : String(e))
  } finally {
    writer.clearCache()
  }
}

const lenient = new nunjucks.Environment(null, { autoescape: true, throwOnUndefined: false })
const strictEnvironment = new nunjucks.Environment(null, { autoescape: true, throwOnUndefined: true })

const FORBIDDEN: ReadonlySet<string> = new Set(["constructor", "__proto__", "prototype"])

interface NunjucksNode {
  readonly typename: string
  readonly fields: ReadonlyArray<string>
  readonly value?: unknown
  readonly [field: string]: unknown
}

/** The first forbidden property the template reads (`x.constructor`, `x["__proto__"]`), if any. */
const forbiddenLookup = (template: string): string | undefined => {
  let root: unknown
  try {
    root = (nunjucks as unknown as { parser: { parse: (source: string) => unknown } }).parser.parse(template)
  } catch {
    return undefined // the render reports the parse error
  }
  const pending: Array<unknown> = [root]
  while (pending.length > 0) {
    const node = pending.pop()
    if (Array.isArray(node)) {
      pending.push(...node)
      continue
    }
    if (typeof node !== "object" || node === null || typeof (node as NunjucksNode).typename !== "string") continue
    const current = node as NunjucksNode
    if (current.typename === "LookupVal") {
      const key = current["val"] as NunjucksNode | undefined
      if (key?.typename === "Literal" && FORBIDDEN.has(String(key.value))) return String(key.value)
    }
    for (const field of current.fields) pending.push(current[field])
    if (Array.isArray(current["children"])) pending.push(current["children"])
  }
  return undefined
}

const renderNunjucks = (template: string, variables: unknown, strict: boolean): string => {
  const forbidden = forbiddenLookup(template)
  if (forbidden !== undefined) {
    throw new TemplateRenderError(`The emulator refuses a nunjucks template that reads '${forbidden}'`)
  }
  try {
    return (strict ? strictEnvironment : lenient).renderString(template, variables as object)
  } catch (e) {
    throw new TemplateRenderError(e instanceof Error ? e.message : String(e))
  }
}

/** Renders `template` as Braintrust renders the given `template_format` (default `mustache`). */
export const renderTemplate = (template: string, variables: unknown, format: unknown, strict: boolean): string => {
  switch (format) {
    case "none":
      return template
    case "nunjucks":
      return renderNunjucks(template, variables, strict)
    default:
      return renderMustache(template, variables, strict)
  }
}
