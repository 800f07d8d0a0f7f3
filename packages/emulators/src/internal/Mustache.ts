/**
 * A small mustache renderer with the Braintrust SDK's escaping: `{{x}}` inserts strings verbatim and any other
 * value as JSON; `{{{x}}}` / `{{& x}}` insert `String(x)`; `null`/`undefined` render empty. Supports dotted paths,
 * `{{.}}`, sections `{{#x}}…{{/x}}` (lists, objects, truthy values), inverted sections `{{^x}}…{{/x}}` and
 * comments `{{! … }}`. Partials and delimiter changes are not supported (they raise a TemplateRenderError).
 * With `strict`, every variable must resolve.
 */
import { isPlainObject } from "./Json.js"

export class TemplateRenderError extends Error {
  constructor(message: string, readonly missing: ReadonlyArray<string> = []) {
    super(message)
    this.name = "TemplateRenderError"
  }
}

type Node =
  | { readonly _tag: "text"; readonly text: string }
  | { readonly _tag: "var"; readonly name: string; readonly raw: boolean }
  | { readonly _tag: "section"; readonly name: string; readonly inverted: boolean; readonly children: Array<Node> }

const parse = (template: string): Array<Node> => {
  const root: Array<Node> = []
  const stack: Array<{ name: string; children: Array<Node> }> = [{ name: "", children: root }]
  let index = 0
  const push = (node: Node) => stack[stack.length - 1]!.children.push(node)
  while (index < template.length) {
    const open = template.indexOf("{{", index)
    if (open === -1) {
      push({ _tag: "text", text: template.slice(index) })
      break
    }
    if (open > index) push({ _tag: "text", text: template.slice(index, open) })
    const triple = template.startsWith("{{{", open)
    const close = template.indexOf(triple ? "}}}" : "}}", open + (triple ? 3 : 2))
    if (close === -1) throw new TemplateRenderError(`Unclosed tag at position ${open}`)
    const inner = template.slice(open + (triple ? 3 : 2), close).trim()
    index = close + (triple ? 3 : 2)
    if (triple) {
      push({ _tag: "var", name: inner, raw: true })
      continue
    }
    const sigil = inner[0]
    const name = inner.slice(1).trim()
    switch (sigil) {
      case "!":
        break
      case "&":
        push({ _tag: "var", name, raw: true })
        break
      case "#":
      case "^": {
        const section: Node = { _tag: "section", name, inverted: sigil === "^", children: [] }
        push(section)
        stack.push({ name, children: section.children })
        break
      }
      case "/": {
        const top = stack.pop()
        if (!top || top.name !== name || stack.length === 0) {
          throw new TemplateRenderError(`Unexpected closing tag {{/${name}}}`)
        }
        break
      }
      case ">":
      case "=":
        throw new TemplateRenderError(`Unsupported mustache tag {{${inner}}}`)
      default:
        push({ _tag: "var", name: inner, raw: false })
    }
  }
  if (stack.length !== 1) throw new TemplateRenderError(`Unclosed section {{#${stack[stack.length - 1]!.name}}}`)
  return root
}

const lookup = (stack: ReadonlyArray<unknown>, name: string): { found: boolean; value: unknown } => {
  if (name === ".") return { found: true, value: stack[stack.length - 1] }
  const [head, ...rest] = name.split(".")
  for (let i = stack.length - 1; i >= 0; i--) {
    const frame = stack[i]
    const has = (isPlainObject(frame) && head! in frame) ||
      (Array.isArray(frame) && /^\d+$/.test(head!) && Number(head) < frame.length)
    if (!has) continue
    let value: unknown = (frame as Record<string, unknown>)[head!]
    for (const key of rest) {
      if (Array.isArray(value) && /^\d+$/.test(key)) value = value[Number(key)]
      else if (isPlainObject(value) && key in value) value = value[key]
      else return { found: false, value: undefined }
    }
    return { found: true, value }
  }
  return { found: false, value: undefined }
}

const isFalsy = (value: unknown): boolean =>
  value === undefined || value === null || value === false || value === "" || value === 0 ||
  (Array.isArray(value) && value.length === 0)

export interface RenderOptions {
  readonly strict?: boolean
}

export const renderMustache = (template: string, view: unknown, options: RenderOptions = {}): string => {
  const nodes = parse(template)
  const missing: Array<string> = []
  const render = (list: ReadonlyArray<Node>, stack: ReadonlyArray<unknown>): string => {
    let out = ""
    for (const node of list) {
      switch (node._tag) {
        case "text":
          out += node.text
          break
        case "var": {
          const { found, value } = lookup(stack, node.name)
          if (!found) missing.push(node.name)
          if (value === undefined || value === null) break
          out += node.raw || typeof value === "string" ? String(value) : JSON.stringify(value)
          break
        }
        case "section": {
          const { found, value } = lookup(stack, node.name)
          if (!found && !node.inverted) missing.push(node.name)
          if (node.inverted) {
            if (isFalsy(value)) out += render(node.children, stack)
          } else if (Array.isArray(value)) {
            for (const item of value) out += render(node.children, [...stack, item])
          } else if (!isFalsy(value)) {
            out += render(node.children, [...stack, value])
          }
          break
        }
      }
    }
    return out
  }
  const result = render(nodes, [view])
  if (options.strict && missing.length > 0) {
    const unique = [...new Set(missing)]
    throw new TemplateRenderError(`Variable '${unique[0]}' does not exist.`, unique)
  }
  return result
}
