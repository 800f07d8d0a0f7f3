/**
 * Side by side: promptops' `Template` and Braintrust's SDK renderers
 * (mustache with `Prompt.build`'s escape, nunjucks through the SDK's plugin
 * registry with `@braintrust/templates-nunjucks-js`), over generated
 * templates and variables, and over the cases the vendor's own test files
 * check (rewritten here, not copied).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Template from "@promptops/core/Template"
import { FastCheck as fc } from "effect"
import * as Sdk from "./sdk.js"

const view = (variables: Record<string, unknown>) => ({ input: variables, ...variables })

/** Ours, in the SDK's terms: the text, or a failure. */
const ours = (template: string, variables: Record<string, unknown>, format: "mustache" | "nunjucks", strict: boolean) =>
  Template.renderOutcome(template, view(variables), { format, strict })

/** Same text when the SDK renders; a failure (missing variables in strict mode) when it throws. */
const agree = (
  template: string,
  variables: Record<string, unknown>,
  format: "mustache" | "nunjucks",
  strict: boolean
): boolean => {
  const expected = Sdk.renderTemplate(template, variables, format, strict)
  const actual = ours(template, variables, format, strict)
  if (!expected.ok) {
    if (actual._tag === "Rendered") return false
    // The SDK's strict failures are missing variables here too, never "invalid".
    if (/does not exist|undefined value/.test(expected.error)) return actual._tag === "Missing"
    return true
  }
  return actual._tag === "Rendered" && actual.text === expected.value
}

const check = (template: string, variables: Record<string, unknown>, format: "mustache" | "nunjucks", strict: boolean) => {
  const expected = Sdk.renderTemplate(template, variables, format, strict)
  const actual = ours(template, variables, format, strict)
  assert.isTrue(
    agree(template, variables, format, strict),
    `${format}${strict ? " strict" : ""} ${JSON.stringify(template)} ${JSON.stringify(variables)}: SDK ${
      JSON.stringify(expected)
    }, ours ${JSON.stringify(actual)}`
  )
}

// -----------------------------------------------------------------------------
// Generators
// -----------------------------------------------------------------------------

const name = fc.constantFrom("a", "b", "user", "items", "html")
/** Text with the characters HTML escaping and JSON care about, and line breaks. */
const chars = fc.constantFrom("a", "Z", " ", "<", ">", "&", "\"", "'", "\n", "é", "1", ",", "/")
const str = (max: number) => fc.array(chars, { maxLength: max }).map((cs) => cs.join(""))
const value: fc.Arbitrary<unknown> = fc.oneof(
  str(8),
  fc.integer({ min: -20, max: 20 }),
  fc.double({ min: -10, max: 10, noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(str(3), { maxLength: 3 }),
  fc.record({ name: str(4) }),
  fc.record({ name: str(4), profile: fc.record({ name: str(3) }) }, { requiredKeys: [] }),
  fc.array(fc.record({ name: str(3) }), { maxLength: 2 })
)
const variables = fc.dictionary(name, value, { maxKeys: 5 })
const text = str(6).filter((s) => !/[{}%#]/.test(s))

const nunjucksPiece = fc.oneof(
  { weight: 3, arbitrary: text },
  { weight: 3, arbitrary: name.map((n) => `{{ ${n} }}`) },
  name.map((n) => `{{ ${n}.name }}`),
  name.map((n) => `{{ ${n}.profile.name }}`),
  name.map((n) => `{{ ${n}[0] }}`),
  name.map((n) => `{{ input.${n} }}`),
  fc.constant("{{ input }}"),
  name.map((n) => `{{ ${n} | safe }}`),
  name.map((n) => `{{ ${n} | default('d<') }}`),
  name.map((n) => `{{ ${n} | join(',') }}`),
  name.map((n) => `{{ ${n} | length }}`),
  name.map((n) => `{{ ${n} ~ '!' }}`),
  fc.constant("{{ 'lit<&>' }}"),
  fc.tuple(name, text).map(([n, t]) => `{% if ${n} %}${t}{{ ${n} }}{% else %}-{% endif %}`),
  fc.tuple(name, text).map(([n, t]) => `{% if ${n} is defined %}\n${t}\n{% endif %}`),
  fc.tuple(name, text).map(([n, t]) => `{% for x in ${n} %}${t}{{ x }},{% endfor %}`),
  name.map((n) => `{% for x in ${n} %}{{ x.name }}{% else %}none{% endfor %}`),
  name.map((n) => `  {% for x in ${n} %}\n  {{ loop.index }}\n{% endfor %}\n`),
  name.map((n) => `{% raw %}{{ ${n} }}{% endraw %}`),
  name.map((n) => `{% set s = ${n} %}{{ s }}`),
  fc.constant("{# note #}\n"),
  fc.constant("{%- if a -%} f {%- endif %}"),
  fc.constant("{{ a"),
  fc.constant("{% endif %}")
)
const nunjucksTemplate = fc.array(nunjucksPiece, { maxLength: 6 }).map((pieces) => pieces.join(""))

const mustacheName = fc.constantFrom("a", "b", "user", "items", "html", "a.name", "items.0", "input", "input.a")
const mustachePlain = fc.oneof(
  { weight: 3, arbitrary: text },
  { weight: 3, arbitrary: mustacheName.map((n) => `{{${n}}}`) },
  mustacheName.map((n) => `{{ ${n} }}`),
  mustacheName.map((n) => `{{{${n}}}}`),
  mustacheName.map((n) => `{{&${n}}}`),
  fc.constant("{{! a comment }}")
)
const mustachePiece = fc.oneof(
  { weight: 4, arbitrary: mustachePlain },
  fc.tuple(name, text).map(([n, t]) => `{{#${n}}}${t}{{.}}{{/${n}}}`),
  fc.tuple(name, text).map(([n, t]) => `{{^${n}}}${t}{{/${n}}}`),
  name.map((n) => `{{#${n}}}{{name}};{{/${n}}}`),
  fc.constant("{{#a}}"),
  fc.constant("{{a")
)
const mustacheTemplate = fc.array(mustachePiece, { maxLength: 6 }).map((pieces) => pieces.join(""))
/**
 * Strict mustache without sections: inside a section promptops checks every
 * name the render reaches, where Braintrust's lint checks none (a documented
 * difference, tested below).
 */
const mustacheFlatTemplate = fc.array(mustachePlain, { maxLength: 6 }).map((pieces) => pieces.join(""))

// -----------------------------------------------------------------------------
// Properties
// -----------------------------------------------------------------------------

/** Whether some proper prefix of a dotted path is not an object or array (Braintrust's lint stops there). */
const parentIsNotAnObject = (root: unknown, path: string): boolean => {
  const segments = path.split(".")
  let current: unknown = root
  for (const segment of segments.slice(0, -1)) {
    current = (current as Record<string, unknown>)[segment]
    if (typeof current !== "object" || current === null) return true
  }
  return false
}

describe("nunjucks: promptops renders what Braintrust's SDK renders", () => {
  it.prop("lenient", [nunjucksTemplate, variables], ([template, vars]) => agree(template, vars, "nunjucks", false), {
    timeout: 180_000, fastCheck: { numRuns: 2000 }
  })

  it.prop("strict", [nunjucksTemplate, variables], ([template, vars]) => agree(template, vars, "nunjucks", true), {
    timeout: 180_000, fastCheck: { numRuns: 2000 }
  })

  it.prop(
    "strict lists only paths that are missing or null",
    [nunjucksTemplate, variables],
    ([template, vars]) => {
      const outcome = ours(template, vars, "nunjucks", true)
      if (outcome._tag !== "Missing") return true
      return outcome.missing.every((path) => {
        if (path.startsWith("the output at")) return true
        let current: unknown = view(vars)
        for (const segment of path.split(".")) {
          if (current === null || current === undefined) return true
          current = (current as Record<string, unknown>)[segment]
        }
        return current === null || current === undefined
      })
    },
    { timeout: 180_000, fastCheck: { numRuns: 1000 } }
  )
})

describe("mustache: promptops renders what Braintrust's SDK renders", () => {
  it.prop("lenient", [mustacheTemplate, variables], ([template, vars]) => agree(template, vars, "mustache", false), {
    timeout: 180_000, fastCheck: { numRuns: 2000 }
  })

  it.prop(
    "strict, outside sections (bar the documented parent rule)",
    [mustacheFlatTemplate, variables],
    ([template, vars]) => {
      if (agree(template, vars, "mustache", true)) return true
      // Documented difference: Braintrust's lint lets `{{a.b}}` through when `a` is missing or
      // not an object; promptops reports it. Any other disagreement fails.
      const sdk = Sdk.renderTemplate(template, vars, "mustache", true)
      const actual = ours(template, vars, "mustache", true)
      return sdk.ok && actual._tag === "Missing" && actual.missing.every((path) => parentIsNotAnObject(view(vars), path))
    },
    { timeout: 180_000, fastCheck: { numRuns: 2000 } }
  )
})

// -----------------------------------------------------------------------------
// The cases of the vendor's test files
// -----------------------------------------------------------------------------

describe("cases from Braintrust's own tests (templates-nunjucks and template/renderer)", () => {
  it("nunjucks: variables, filters, control structures, loops, paths, operators", () => {
    const cases: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
      ["Hello {{ name | upper }} {% if age > 18 %}Adult{% else %}Minor{% endif %}", { name: "alice", age: 30 }],
      ["{% for item in items %}{{ item }},{% endfor %}", { items: ["a", "b"] }],
      ["{{ user.profile.name }}", { user: { profile: { name: "Alice" } } }],
      ["{{ first }} {{ last }} is {{ age }} years old", { first: "Bob", last: "Smith", age: 25 }],
      ["{{ greeting ~ ' ' ~ name }}", { greeting: "Hello", name: "World" }],
      ["Total: {{ price * quantity }}", { price: 10, quantity: 3 }],
      ["{{ message | upper | trim }}", { message: "  hello world  " }],
      ["First: {{ items[0] }}, Last: {{ items[2] }}", { items: ["apple", "banana", "cherry"] }],
      ["{{ users[0].name }} from {{ users[0].city }}", { users: [{ name: "Ann", city: "Oslo" }] }],
      ["{{ user.addresses[2].city }}", { user: { addresses: [{}, {}, { city: "Rome" }] } }]
    ]
    for (const [template, vars] of cases) {
      check(template, vars, "nunjucks", false)
      check(template, vars, "nunjucks", true)
    }
  })

  it("nunjucks strict: a missing top-level variable fails, a for over one does not, a missing index fails", () => {
    check("Hello {{ name }}", { user: "x" }, "nunjucks", true)
    check("{% for item in items %}{{ item }}{% endfor %}", {}, "nunjucks", true)
    check("{% for item in items %}{{ item }}{% endfor %}", { items: [] }, "nunjucks", true)
    check("{{ user.addresses[2].city }}", { user: { addresses: [{}] } }, "nunjucks", true)
    const outcome = ours("Hello {{ name }}", { user: "x" }, "nunjucks", true)
    assert.deepStrictEqual(outcome, { _tag: "Missing", missing: ["name"] })
  })

  it("mustache: basic, non-string values as JSON, objects as JSON (not [object Object]), none untouched", () => {
    check("Hello {{name}}!", { name: "World" }, "mustache", false)
    check("Value: {{value}}", { value: 42 }, "mustache", false)
    check("Data: {{data}}", { data: { a: 1, b: [1, 2] } }, "mustache", false)
    check("{{#items}}{{name}} {{/items}}", { items: [{ name: "a" }, { name: "b" }] }, "mustache", false)
    assert.deepStrictEqual(Template.renderOutcome("Hello {{name}}!", { name: "x" }, { format: "none" }), {
      _tag: "Rendered",
      text: "Hello {{name}}!"
    })
  })

  it("the issue's examples: HTML escaping, block newlines, objects and arrays, raw, for over undefined", () => {
    const html = `<b>Tom & "Jerry"</b>`
    check("Say {{ html }}", { html }, "nunjucks", false)
    assert.deepStrictEqual(ours("Say {{ html }}", { html }, "nunjucks", false), {
      _tag: "Rendered",
      text: "Say &lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;"
    })
    assert.deepStrictEqual(ours("{{ q }}", { q: "It's 5 > 3" }, "nunjucks", false), {
      _tag: "Rendered",
      text: "It&#39;s 5 &gt; 3"
    })
    for (
      const [template, vars] of [
        ["{% if a %}\nA\n{% endif %}\nB", { a: true }],
        ["{{ o }} {{ l }}", { o: { x: 1 }, l: ["a", "b"] }],
        ["{% raw %}{{ x }}{% endraw %}", {}],
        ["[{% for x in nothing %}{{ x }}{% endfor %}]", {}]
      ] as const
    ) {
      check(template, vars, "nunjucks", false)
    }
    assert.deepStrictEqual(ours("{{ o }} {{ l }}", { o: { x: 1 }, l: ["a", "b"] }, "nunjucks", false), {
      _tag: "Rendered",
      text: "[object Object] a,b"
    })
  })
})

describe("documented differences (packages/core/README.md)", () => {
  it("strict mustache checks names inside a section the render reaches; Braintrust's lint checks none there", () => {
    const template = "{{#items}}{{name}}{{/items}}"
    const variables = { items: [{ title: "x" }] }
    assert.isTrue(Sdk.renderTemplate(template, variables, "mustache", true).ok)
    assert.deepStrictEqual(ours(template, variables, "mustache", true), { _tag: "Missing", missing: ["name"] })
  })

  it("strict mustache reports a.b when a is missing; Braintrust's lint lets it render empty", () => {
    assert.deepStrictEqual(Sdk.renderTemplate("[{{a.name}}]", {}, "mustache", true), { ok: true, value: "[]" })
    assert.deepStrictEqual(ours("[{{a.name}}]", {}, "mustache", true), { _tag: "Missing", missing: ["a.name"] })
  })

  it("a nunjucks template reaching the Function constructor runs in the SDK; promptops refuses it", () => {
    const template = `{{ range.constructor("return 6 * 7")() }}`
    assert.deepStrictEqual(Sdk.renderTemplate(template, {}, "nunjucks", false), { ok: true, value: "42" })
    assert.strictEqual(ours(template, {}, "nunjucks", false)._tag, "Invalid")
  })

  it("strict lists every missing variable, where the SDK stops at the first", () => {
    const sdk = Sdk.renderTemplate("{{ a }} {{ b }}", {}, "nunjucks", true)
    assert.isFalse(sdk.ok)
    assert.deepStrictEqual(ours("{{ a }} {{ b }}", {}, "nunjucks", true), { _tag: "Missing", missing: ["a", "b"] })
    const mustache = Sdk.renderTemplate("{{a}} {{b}}", {}, "mustache", true)
    assert.isTrue(!mustache.ok && mustache.error === "Variable 'a' does not exist.")
    assert.deepStrictEqual(ours("{{a}} {{b}}", {}, "mustache", true), { _tag: "Missing", missing: ["a", "b"] })
  })
})
