/**
 * Side by side: the Braintrust emulator's template rendering (what `invoke` and `eval` render inline prompts with)
 * and Braintrust's SDK renderers, over generated templates (standalone tag lines, comments, delimiter changes,
 * sections, HTML-sensitive text) and variables. The emulator must render exactly what the SDK renders, and fail
 * exactly when the SDK throws, strict mode included.
 */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { renderTemplate } from "../../../packages/emulators/src/internal/Templates.js"
import * as Sdk from "./sdk.js"

type Format = "mustache" | "nunjucks"

const emulator = (template: string, variables: Record<string, unknown>, format: Format, strict: boolean) => {
  try {
    return { ok: true as const, value: renderTemplate(template, { input: variables, ...variables }, format, strict) }
  } catch (error) {
    return { ok: false as const, error: error instanceof Error ? error.message : String(error) }
  }
}

const same = (template: string, variables: Record<string, unknown>, format: Format, strict: boolean): boolean => {
  const sdk = Sdk.renderTemplate(template, variables, format, strict)
  const ours = emulator(template, variables, format, strict)
  if (sdk.ok !== ours.ok || (sdk.ok && ours.ok && sdk.value !== ours.value)) {
    assert.fail(
      `${format}${strict ? " strict" : ""} ${JSON.stringify(template)} ${JSON.stringify(variables)}: SDK ${
        JSON.stringify(sdk)
      }, emulator ${JSON.stringify(ours)}`
    )
  }
  return true
}

const name = fc.constantFrom("a", "b", "items", "html", "user")
const chars = fc.constantFrom("a", " ", "<", ">", "&", "\"", "'", "\n", "\r\n", "\t", "é", "-")
const text = fc.array(chars, { maxLength: 6 }).map((cs) => cs.join(""))
const value: fc.Arbitrary<unknown> = fc.oneof(
  text,
  fc.integer({ min: -5, max: 5 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(text, { maxLength: 3 }),
  fc.record({ name: text }, { requiredKeys: [] }),
  fc.array(fc.record({ name: text }), { maxLength: 2 })
)
const variables = fc.dictionary(name, value, { maxKeys: 5 })

const path = fc.constantFrom("a", "b", "items", "html", "user", "user.name", "items.0", "items.1.name", "input.a", ".")
const mustachePiece = fc.oneof(
  { weight: 4, arbitrary: text },
  { weight: 3, arbitrary: path.map((p) => `{{${p}}}`) },
  path.map((p) => `{{ ${p} }}`),
  path.map((p) => `{{{${p}}}}`),
  path.map((p) => `{{& ${p}}}`),
  fc.constantFrom("{{! note }}", "\n{{! standalone }}\n", "  {{! indented }}  \n"),
  fc.tuple(name, text).map(([n, t]) => `{{#${n}}}\n- {{.}}${t}\n{{/${n}}}\n`),
  fc.tuple(name, text).map(([n, t]) => `{{#${n}}}${t}{{name}}{{/${n}}}`),
  fc.tuple(name, text).map(([n, t]) => `  {{^${n}}}\n${t}\n  {{/${n}}}\n`),
  fc.tuple(name, text).map(([n, t]) => `{{=<% %>=}}\n<%${n}%>${t}<%={{ }}=%>`),
  fc.constantFrom("{{#a}}", "{{/b}}", "{{a", "{{> partial}}", "{{=<% %>=}}")
)
const mustacheTemplate = fc.array(mustachePiece, { maxLength: 6 }).map((pieces) => pieces.join(""))

const nunjucksPiece = fc.oneof(
  { weight: 4, arbitrary: text.filter((t) => !/[{}%#]/.test(t)) },
  { weight: 3, arbitrary: name.map((n) => `{{ ${n} }}`) },
  name.map((n) => `{{ ${n}.name }}`),
  name.map((n) => `{{ ${n} | safe }}`),
  name.map((n) => `{{ ${n} | join(',') }}`),
  fc.tuple(name, text).map(([n, t]) => `{% if ${n} %}\n${t}{{ ${n} }}\n{% endif %}\n`),
  fc.tuple(name, text).map(([n, t]) => `{% for x in ${n} %}\n${t}{{ x }}\n{% endfor %}`),
  name.map((n) => `{% raw %}{{ ${n} }}{% endraw %}`),
  fc.constantFrom("{# note #}\n", "{{ a", "{% endif %}")
)
const nunjucksTemplate = fc.array(nunjucksPiece, { maxLength: 6 }).map((pieces) => pieces.join(""))

describe("the Braintrust emulator renders what Braintrust's SDK renders", () => {
  it("the issue's cases", () => {
    for (const strict of [false, true]) {
      same("{{#items}}\n- {{.}}\n{{/items}}\n", { items: ["a", "b"] }, "mustache", strict)
      same("A {{! x }}B\n{{! y }}\nC", {}, "mustache", strict)
      same("{{=<% %>=}}\nHi <%name%>", { name: "Ada" }, "mustache", strict)
      same("Say {{ html }}", { html: "<b>Tom & \"Jerry\"</b>" }, "nunjucks", strict)
    }
  })

  for (const format of ["mustache", "nunjucks"] as const) {
    for (const strict of [false, true]) {
      it.prop(
        `${format}${strict ? ", strict" : ""}`,
        [format === "mustache" ? mustacheTemplate : nunjucksTemplate, variables],
        ([template, vars]) => same(template, vars, format, strict),
        { timeout: 180_000, fastCheck: { numRuns: 1500 } }
      )
    }
  }
})
