import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc } from "effect"
import { Template as JinjaTemplate } from "@huggingface/jinja"
import Mustache from "mustache"
import type { TemplateError } from "../src/PromptOpsError.js"
import * as Template from "../src/Template.js"

const mustache = (template: string, variables: Record<string, unknown>, strict = false) =>
  Template.render(template, variables, { format: "mustache", strict })
const jinja = (template: string, variables: Record<string, unknown>, strict = false) =>
  Template.render(template, variables, { format: "jinja", strict })

const fails = (effect: Effect.Effect<string, TemplateError>): Effect.Effect<TemplateError, string> => Effect.flip(effect)

describe("Template", () => {
  describe("mustache (Braintrust semantics)", () => {
    it.effect("inserts strings raw, with no HTML escaping", () =>
      Effect.gen(function*() {
        assert.strictEqual(yield* mustache("say {{x}}", { x: `<b>&"'` }), `say <b>&"'`)
        assert.strictEqual(yield* mustache("{{{x}}}|{{&x}}", { x: "<i>" }), "<i>|<i>")
      }))

    it.effect("JSON-stringifies every value that is not a string; null renders empty", () =>
      Effect.gen(function*() {
        const out = yield* mustache("{{n}} {{f}} {{b}} {{o}} {{a}} [{{z}}]", {
          n: 42,
          f: 1.5,
          b: true,
          o: { a: 1, s: "<x>" },
          a: [1, "two", null],
          z: null
        })
        assert.strictEqual(out, `42 1.5 true {"a":1,"s":"<x>"} [1,"two",null] []`)
      }))

    it.effect("triple braces insert the value as mustache does, without the JSON step (as Braintrust)", () =>
      Effect.gen(function*() {
        assert.strictEqual(yield* mustache("{{{o}}} {{{n}}}", { o: { a: 1 }, n: 7 }), "[object Object] 7")
      }))

    it.effect("sections iterate lists, enter objects, and skip falsy values", () =>
      Effect.gen(function*() {
        const template = "{{#items}}- {{name}} ({{qty}})\n{{/items}}{{#user}}by {{first}}{{/user}}{{#off}}hidden{{/off}}"
        const out = yield* mustache(template, {
          items: [{ name: "apple", qty: 2 }, { name: "pear", qty: 1 }],
          user: { first: "Ann" },
          off: false
        })
        assert.strictEqual(out, "- apple (2)\n- pear (1)\nby Ann")
      }))

    it.effect("inverted sections render when the value is missing, false or empty", () =>
      Effect.gen(function*() {
        const template = "{{^a}}A{{/a}}{{^b}}B{{/b}}{{^c}}C{{/c}}{{^d}}D{{/d}}"
        assert.strictEqual(yield* mustache(template, { b: false, c: [], d: "yes" }), "ABC")
      }))

    it.effect("resolves dotted paths and numeric segments", () =>
      Effect.gen(function*() {
        const out = yield* mustache("{{a.b.c}} {{items.1.name}} {{items.0}} {{s.length}}", {
          a: { b: { c: "deep" } },
          items: [{ name: "first" }, { name: "second" }],
          s: "four"
        })
        assert.strictEqual(out, `deep second {"name":"first"} 4`)
      }))

    it.effect("renders a missing variable empty when not strict", () =>
      Effect.gen(function*() {
        assert.strictEqual(yield* mustache("[{{x}}][{{a.b}}][{{{y}}}]", { a: {} }), "[][][]")
      }))

    it.effect("strict mode fails once, listing every missing path", () =>
      Effect.gen(function*() {
        const template = "{{a}} {{b.c}} {{present}} {{#s}}{{d}}{{/s}}{{^t}}{{e}}{{/t}}{{{f}}} {{a}} {{n}}"
        const error = yield* fails(mustache(template, { b: {}, present: 1, s: true, n: null }, true))
        assert.strictEqual(error._tag, "TemplateError")
        assert.deepStrictEqual(error.missing, ["a", "b.c", "d", "e", "f"])
        assert.strictEqual(error.provider, "promptops")
        assert.strictEqual(error.operation, "Template.render")
        assert.strictEqual(error.format, "mustache")
        assert.include(error.message, "missing: a, b.c, d, e, f")
      }))

    it.effect("strict mode resolves names inside a section against the item, then outer contexts", () =>
      Effect.gen(function*() {
        const out = yield* mustache(
          "{{#items}}{{name}}@{{shop}};{{/items}}",
          { items: [{ name: "x" }, { name: "y" }], shop: "s" },
          true
        )
        assert.strictEqual(out, "x@s;y@s;")
        const error = yield* fails(mustache("{{#items}}{{name}}{{/items}}", { items: [{ name: "x" }, {}] }, true))
        assert.deepStrictEqual(error.missing, ["name"])
      }))

    it.effect("strict mode checks numeric segments as written", () =>
      Effect.gen(function*() {
        const error = yield* fails(mustache("{{items.0}} {{items.3}}", { items: ["a", "b"] }, true))
        assert.deepStrictEqual(error.missing, ["items.3"])
      }))

    it.effect("a template that does not parse is a TemplateError, not a throw", () =>
      Effect.gen(function*() {
        const unclosed = yield* fails(mustache("Hello {{#user}}{{name}}", { user: {} }))
        assert.strictEqual(unclosed.format, "mustache")
        assert.deepStrictEqual(unclosed.missing, [])
        assert.include(unclosed.description, "Unclosed section \"user\"")
        const tag = yield* fails(mustache("Hello {{name", {}))
        assert.include(tag.description, "Unclosed tag")
      }))

    it.effect("a value JSON cannot serialise is a TemplateError naming the variable", () =>
      Effect.gen(function*() {
        const error = yield* fails(mustache("{{big}}", { big: 10n }))
        assert.include(error.description, `variable "big"`)
        assert.include(error.description, "BigInt")
        const circular: Record<string, unknown> = {}
        circular.self = circular
        const loop = yield* fails(mustache("{{c}}", { c: circular }))
        assert.include(loop.description, `variable "c"`)
      }))

    it("leaves the mustache package's global escape, tags and cache alone", () => {
      Template.renderEither("{{x}}", { x: "<b>" }, { format: "mustache" })
      assert.strictEqual(Mustache.render("{{x}}", { x: "<b>" }), "&lt;b&gt;")
      const tags = Mustache.tags
      Mustache.tags = ["<%", "%>"]
      try {
        const ours = Template.renderEither("{{x}} <%x%>", { x: "<b>" }, { format: "mustache" })
        assert.deepStrictEqual(ours, Template.renderEither("<b> <%x%>", {}, { format: "none" }))
      } finally {
        Mustache.tags = tags
      }
    })

    it("lists the variables a template uses", () => {
      assert.deepStrictEqual(
        Template.variables("{{a}} {{b.c}} {{#items}}{{name}}{{.}}{{/items}}{{^none}}{{{raw}}}{{/none}}{{! note}}{{a}}", "mustache"),
        ["a", "b.c", "items", "name", "none", "raw"]
      )
      assert.deepStrictEqual(Template.variables("{{#broken}}", "mustache"), [])
    })
  })

  describe("jinja (Basalt semantics, @huggingface/jinja)", () => {
    it.effect("inserts strings raw, with no HTML escaping", () =>
      Effect.gen(function*() {
        assert.strictEqual(yield* jinja("say {{ x }}", { x: `<b>&"'` }), `say <b>&"'`)
      }))

    it.effect("renders non-strings the way the engine does", () =>
      Effect.gen(function*() {
        const out = yield* jinja("{{ t }}|{{ n }}|{{ f }}|{{ o }}|[{{ z }}]", {
          t: true,
          n: 3,
          f: 1.5,
          o: { a: 1, b: [1, 2] },
          z: null
        })
        assert.strictEqual(out, `true|3|1.5|{"a": 1, "b": [1, 2]}|[]`)
      }))

    it.effect("loops, conditionals and filters", () =>
      Effect.gen(function*() {
        const template =
          "{% for item in items %}{{ loop.index }}. {{ item.name | upper }}{% if not loop.last %}, {% endif %}{% endfor %}" +
          "{% if vip %} (vip){% else %} (regular){% endif %} {{ missing | default('n/a') }}"
        const out = yield* jinja(template, { items: [{ name: "tea" }, { name: "milk" }], vip: false })
        assert.strictEqual(out, "1. TEA, 2. MILK (regular) n/a")
      }))

    it.effect("whitespace control: blocks trim like trim_blocks + lstrip_blocks; `-` strips too", () =>
      Effect.gen(function*() {
        assert.strictEqual(yield* jinja("  {% if x %}A{% endif %}\nB", { x: true }), "AB")
        assert.strictEqual(yield* jinja("{% for i in xs %}\n{{ i }}\n{% endfor %}", { xs: [1, 2] }), "1\n2\n")
        assert.strictEqual(yield* jinja("a   {{- x -}}   b", { x: "X" }), "aXb")
        assert.strictEqual(yield* jinja("{{ x }}\n", { x: "one trailing newline is dropped" }), "one trailing newline is dropped")
      }))

    it.effect("a missing variable, or an attribute of one, renders empty when not strict", () =>
      Effect.gen(function*() {
        assert.strictEqual(yield* jinja("[{{ x }}][{{ u.name }}][{{ items[2] }}]", { items: [] }), "[][][]")
      }))

    it.effect("strict mode fails once, listing every missing free variable", () =>
      Effect.gen(function*() {
        const template = [
          "{{ a }}",
          "{% for item in items %}{{ item.name }}{{ loop.index }}{% endfor %}",
          "{% set z = 1 %}{{ z }}",
          "{{ b.c | upper }}",
          "{{ d | default('x') }}",
          "{% if e %}{{ e.f }}{% endif %}",
          "{% if g is defined %}{{ g.h }}{% endif %}",
          "{% for k, v in m.items() %}{{ k }}{% endfor %}",
          "{{ a }}{{ range(2) | length }}"
        ].join("")
        const error = yield* fails(jinja(template, { b: {} }, true))
        assert.deepStrictEqual(error.missing, ["a", "items", "b.c", "m"])
        assert.strictEqual(error.format, "jinja")
        assert.strictEqual(error.operation, "Template.render")
      }))

    it.effect("strict mode renders when everything is supplied", () =>
      Effect.gen(function*() {
        const out = yield* jinja(
          "{{ user.name }}: {% for t in tags %}#{{ t }}{% endfor %}{{ extra | default('') }}",
          { user: { name: "Ann" }, tags: ["a", "b"] },
          true
        )
        assert.strictEqual(out, "Ann: #a#b")
      }))

    it.effect("a syntax error is a TemplateError, not a throw", () =>
      Effect.gen(function*() {
        const error = yield* fails(jinja("Hello {{ name", { name: "x" }))
        assert.strictEqual(error.format, "jinja")
        assert.include(error.description, "Unexpected end of input")
        assert.include(error.description, `"Hello {{ name"`)
        const raw = yield* fails(jinja("{% raw %}{{ x }}{% endraw %}", {}))
        assert.include(raw.description, "raw")
      }))

    it.effect("values the engine rejects are TemplateErrors, not throws", () =>
      Effect.gen(function*() {
        const big = yield* fails(jinja("{{ x }}", { x: 10n }))
        assert.include(big.description, "Cannot convert to runtime value")
        // Only variables the template names reach the engine (Basalt's SDK would fail here).
        assert.strictEqual(yield* jinja("{% if true %}{{ x }}{% endif %}", { x: "ok", unused: 10n }), "ok")
        const global = yield* fails(jinja("{{ range }}", { range: 1 }))
        assert.include(global.description, "Variable already declared: range")
        const failing = yield* fails(jinja("{{ raise_exception('stop here') }}", {}))
        assert.include(failing.description, "stop here")
        // The engine (and so Basalt) fails on a filter over a missing variable, `default` aside.
        const filtered = yield* fails(jinja("{{ x | upper }}", {}))
        assert.include(filtered.description, "Cannot apply filter")
      }))

    it("renders the common constructs exactly as the engine does, on cases that trip interpreters", () => {
      const cases: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
        ["{% for x in a %}{% for y in b %}{{ x }}/{{ y }};{% endfor %}{% endfor %}", { a: [1, 2], b: ["p", "q"] }],
        ["{% for x in a %}{{ x }}{% endfor %}{{ x }}", { a: [1, 2], x: "outer" }],
        ["{% for loop in a %}{{ loop.k }}{{ loop.index }}{% endfor %}", { a: [{ k: "v" }] }],
        [
          "{% for i in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}" +
          "{{ loop.last }}{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }};{% endfor %}",
          { xs: [1, 2, 3] }
        ],
        ["{% for k in o %}{{ k }},{% else %}empty{% endfor %}|{% for k in e %}{% else %}empty{% endfor %}", { o: { b: 1, a: 2 }, e: [] }],
        ["{{ a is defined }}{{ a is undefined }}{{ b is defined }}{{ a.k is not defined }}", { a: null }],
        ...[{}, [], "", 0, " ", [0], { k: 0 }, null, false, 0.5].map((a) =>
          ["{% if a %}T{% else %}F{% endif %}{{ not a }}{{ a and 'x' }}{{ a or 'y' }}", { a }] as const
        ),
        ["{{ a.items }}|{{ a.get }}|{{ a.other }}|{{ a.length }}|{{ b.length }}|{{ b[5] }}", { a: {}, b: [1, 2] }],
        ["  {% if a %}\n  yes\n  {% endif %}\n{# note #}\n{{- b -}}  !", { a: true, b: "B" }],
        ["{% if a.k %}{{ a.k.m }}{% elif b %}b{% else %}c{% endif %}", { a: { k: { m: "deep" } } }],
        ["{{ n }} {{ f }} {{ t }} {{ big }} {{ neg }}", { n: 3, f: 2.5, t: true, big: 1e21, neg: -0 }]
      ]
      for (const [template, variables] of cases) {
        const ours = Template.renderEither(template, variables, { format: "jinja" })
        assert.deepStrictEqual(ours, Either.right(new JinjaTemplate(template).render(variables)), template)
      }
    })

    it("lists the free variable paths a template uses", () => {
      assert.deepStrictEqual(
        Template.variables(
          "{{ a.b }}{% for x in xs if x.ok %}{{ x }}{{ c }}{% endfor %}{% set y = 2 %}{{ y }}{{ d | default(e) }}" +
            "{% macro m(p, q=r) %}{{ p }}{{ s }}{% endmacro %}{{ m(1) }}{{ t['u'][0] }}",
          "jinja"
        ),
        ["a.b", "xs", "c", "d", "e", "r", "s", "t.u.0"]
      )
      assert.deepStrictEqual(Template.variables("{{ broken", "jinja"), [])
    })
  })

  describe("none", () => {
    it.effect("returns the text unchanged", () =>
      Effect.gen(function*() {
        const text = "{{x}} {% if y %}{{ z }}"
        assert.strictEqual(yield* Template.render(text, { x: 1 }, { format: "none", strict: true }), text)
        assert.deepStrictEqual(Template.variables(text, "none"), [])
      }))
  })

  describe("properties", () => {
    const anyString = fc.string({ unit: "binary", maxLength: 60 })

    it.prop("(a) mustache renders any string value verbatim", [anyString], ([value]) => {
      const out = Template.renderEither("{{x}}", { x: value }, { format: "mustache" })
      assert.deepStrictEqual(out._tag === "Right" ? out.right : out, value)
    })

    it.prop(
      "(b) mustache renders any JSON value but a string or null as JSON.stringify",
      [fc.jsonValue().filter((v) => typeof v !== "string" && v !== null)],
      ([value]) => {
        const out = Template.renderEither("{{x}}", { x: value }, { format: "mustache" })
        assert.deepStrictEqual(out._tag === "Right" ? out.right : out, JSON.stringify(value))
      }
    )

    it.prop(
      "(c) none is the identity",
      [anyString, fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 })],
      ([text, variables]) => {
        const out = Template.renderEither(text, variables, { format: "none", strict: true })
        assert.deepStrictEqual(out._tag === "Right" ? out.right : out, text)
      }
    )

    it.prop("(d) jinja renders any string value verbatim", [anyString], ([value]) => {
      const out = Template.renderEither("{{ x }}", { x: value }, { format: "jinja" })
      assert.deepStrictEqual(out._tag === "Right" ? out.right : out, value)
    })

    // Jinja templates of text and `{{ path }}`s render without the engine; they must render exactly as it does.
    const { value: valueArb } = fc.letrec((tie) => ({
      value: fc.oneof(
        { maxDepth: 3, depthSize: "small" },
        { arbitrary: fc.string({ maxLength: 4 }), weight: 3 },
        { arbitrary: fc.integer({ min: -2, max: 2 }), weight: 2 },
        { arbitrary: fc.double(), weight: 1 },
        { arbitrary: fc.boolean(), weight: 2 },
        { arbitrary: fc.constantFrom(null, undefined, [], {}), weight: 2 },
        { arbitrary: fc.array(tie("value"), { maxLength: 3 }), weight: 3 },
        { arbitrary: fc.dictionary(fc.constantFrom("k", "m", "items", "true"), tie("value"), { maxKeys: 3 }), weight: 3 }
      )
    }))
    const accessorArb = fc.constantFrom(".k", ".m", "['k']", "[0]", "[1]", ".items", ".upper", ".length")
    const outputArb = fc.tuple(
      fc.constantFrom("a", "b", "c"),
      fc.array(accessorArb, { maxLength: 2 }),
      fc.constantFrom(["{{ ", " }}"], ["{{- ", " -}}"], ["{{", "}}"])
    ).map(([root, accessors, [open, close]]) => `${open}${root}${accessors.join("")}${close}`)
    const partArb = fc.oneof(
      fc.stringMatching(/^[a-z \n]{0,5}$/),
      outputArb,
      fc.constant("{# note #}"),
      // Blocks, tests, filters, `set` and macros: the engine gets only the variables the template names.
      fc.constantFrom(
        "{% for q in a %}[{{ q }}]{% endfor %}",
        "{% if b %}B{% else %}{{ c }}{% endif %}",
        "{% if not a %}N{% elif a.k and b %}K{% elif c is not defined %}C{% endif %}",
        "  {% for q in a %}\n{{ loop.index }}/{{ loop.length }} {{ q.k }}{% if loop.last %}.{% endif %}\n{% else %}none{% endfor %}\n",
        "{% for x in a %}{% for y in b %}{{ x }}{{ y }}{{ loop.index0 }}{{ loop.previtem }}{% endfor %}{% endfor %}",
        "{{ a or b }}|{{ not c }}|{{ a.k is defined }}|{{ b and 'yes' }}|{{ loop }}",
        "{% for key in a %}{{ key }},{% endfor %}",
        "{% for q in a %}{% else %}E{% endfor %}{{ a.items }}{{ a.get }}",
        "{% for x in a %}{% for y in b %}{{ x }}/{{ y }}{% endfor %}{% endfor %}",
        "{{ a.k is defined }}{{ a.k is undefined }}{{ a.m is not defined }}",
        "{% if a %}T{% else %}F{% endif %}{% if a.k %}t{% endif %}",
        "{% for q in b %}{{ loop.previtem is defined }}{{ loop.nextitem is defined }}{{ loop.revindex }}{% endfor %}",
        "{% set c = 'set' %}",
        "{% if a %}{% set b = 1 %}{% endif %}{{ b }}",
        "{{ a | default('d') }}",
        "{% macro m(x) %}{{ x }}{{ c }}{% endmacro %}{{ m(a) }}"
      )
    )

    it.prop(
      "jinja renders exactly as the engine does with every variable (only named variables are passed)",
      [
        fc.array(partArb, { maxLength: 4 }).map((parts) => parts.join("")),
        fc.dictionary(
          fc.oneof({ arbitrary: fc.constantFrom("a", "b", "c"), weight: 12 }, { arbitrary: fc.constant("range"), weight: 1 }),
          valueArb,
          { maxKeys: 3 }
        ),
        // Now and then a value the engine refuses, which the template does not use.
        fc.oneof(
          { arbitrary: fc.constant(undefined), weight: 10 },
          { arbitrary: fc.constantFrom<bigint | symbol>(10n, Symbol("s")), weight: 1 }
        )
      ],
      ([template, variables, poison]) => {
        let engine: string | undefined
        try {
          engine = new JinjaTemplate(template).render(variables)
        } catch {
          engine = undefined
        }
        // A value the template never names is never converted, so it cannot fail the render.
        const withUnused: Record<string, unknown> = poison === undefined ? variables : { ...variables, z: poison }
        const ours = Template.renderEither(template, withUnused, { format: "jinja" })
        assert.deepStrictEqual(ours._tag === "Right" ? ours.right : undefined, engine)
      },
      { fastCheck: { numRuns: 300 } }
    )

    // Paths `vXXX` or `vXXX.kYYY` (no keywords, no engine globals), each supplied, absent,
    // or (for dotted paths) with its root supplied but not the key.
    const pathArb = fc.tuple(
      fc.stringMatching(/^v[a-z0-9_]{0,5}$/),
      fc.option(fc.stringMatching(/^k[a-z0-9_]{0,5}$/), { nil: undefined }),
      fc.constantFrom("supplied", "absent", "partial")
    )
    const caseArb = fc.record({
      paths: fc.uniqueArray(pathArb, { selector: ([root]) => root, minLength: 1, maxLength: 6 }),
      order: fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
      filler: fc.array(fc.stringMatching(/^[a-zA-Z .,:;!?\n]{0,6}$/), { minLength: 13, maxLength: 13 })
    })

    for (const format of ["mustache", "jinja"] as const) {
      it.prop(`(e) ${format} strict mode reports exactly the unsupplied variables`, [caseArb], ([c]) => {
        const used = c.order.map((i) => c.paths[i % c.paths.length]!)
        const key = ([root, child]: (typeof c.paths)[number]) => child === undefined ? root : `${root}.${child}`
        const template = used.map((path, i) => `${c.filler[i]}${format === "jinja" ? `{{ ${key(path)} }}` : `{{${key(path)}}}`}`)
          .join("") + c.filler[12]
        const variables: Record<string, unknown> = {}
        for (const [root, child, state] of c.paths) {
          if (state === "supplied") variables[root] = child === undefined ? `<${root}>` : { [child]: `<${child}>` }
          else if (state === "partial" && child !== undefined) variables[root] = {}
        }
        const expected = Array.from(
          new Set(used.filter(([, , state]) => state !== "supplied").map(key))
        )
        const out = Template.renderEither(template, variables, { format, strict: true })
        if (expected.length === 0) {
          assert.strictEqual(out._tag, "Right")
        } else {
          assert.strictEqual(out._tag, "Left")
          if (out._tag === "Left") assert.deepStrictEqual([...out.left.missing].sort(), [...expected].sort())
        }
      })
    }
  })
})

describe("nunjucks (Braintrust's nunjucks: HTML autoescape, as its plugin configures nunjucks)", () => {
  const nunjucks = (template: string, variables: Record<string, unknown>, strict = false) =>
    Template.renderOutcome(template, variables, { format: "nunjucks", strict })

  it("escapes HTML, keeps block newlines, renders objects and arrays as JavaScript strings, supports raw", () => {
    assert.deepStrictEqual(nunjucks("Say {{ html }}", { html: `<b>Tom & "Jerry"</b>` }), {
      _tag: "Rendered",
      text: "Say &lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;"
    })
    assert.deepStrictEqual(nunjucks("{{ q }}", { q: "It's 5 > 3" }), { _tag: "Rendered", text: "It&#39;s 5 &gt; 3" })
    assert.deepStrictEqual(nunjucks("{% if a %}\nA\n{% endif %}\nB", { a: true }), { _tag: "Rendered", text: "\nA\n\nB" })
    assert.deepStrictEqual(nunjucks("{{ o }} {{ l }}", { o: { x: 1 }, l: ["a", "b"] }), {
      _tag: "Rendered",
      text: "[object Object] a,b"
    })
    assert.deepStrictEqual(nunjucks("{% raw %}{{ x }}{% endraw %}", {}), { _tag: "Rendered", text: "{{ x }}" })
    assert.deepStrictEqual(nunjucks("[{% for x in nothing %}{{ x }}{% endfor %}]", {}), { _tag: "Rendered", text: "[]" })
    assert.deepStrictEqual(nunjucks("{{ s | safe }}", { s: "<i>" }), { _tag: "Rendered", text: "<i>" })
  })

  it("strict fails on an undefined or null output and lists every one; a for over a missing list is fine", () => {
    assert.deepStrictEqual(nunjucks("{{ a }} {{ b.c }} {{ d }} {% for x in e %}{{ x }}{% endfor %}", { d: 1, b: { c: null } }, true), {
      _tag: "Missing",
      missing: ["a", "b.c"]
    })
    assert.deepStrictEqual(nunjucks("{% for x in e %}{{ x }}{% endfor %}", {}, true), { _tag: "Rendered", text: "" })
    assert.deepStrictEqual(nunjucks("{% set y = 1 %}{{ y }}", {}, true), { _tag: "Rendered", text: "1" })
    // Not a plain path: the position is named instead.
    const computed = nunjucks("{{ a[b] }}", { a: {}, b: "k" }, true)
    assert.strictEqual(computed._tag, "Missing")
    if (computed._tag === "Missing") assert.match(computed.missing[0]!, /^the output at line 1, column \d+$/)
  })

  it("a template that does not parse is Invalid; variables lists the free paths", () => {
    const broken = nunjucks("{{ a", {})
    assert.strictEqual(broken._tag, "Invalid")
    assert.deepStrictEqual(
      Template.variables("{% for x in items %}{{ x.name }}{{ loop.index }}{% endfor %}{{ user.name | upper }}{% set z = 1 %}{{ z }}", "nunjucks"),
      ["items", "user.name"]
    )
    assert.deepStrictEqual(Template.variables("{{ a", "nunjucks"), [])
  })
})

describe("conversionDifferences", () => {
  it("text renders the same in every format; outputs, trimmed block tags and trailing newlines differ", () => {
    assert.deepStrictEqual(Template.conversionDifferences("Hello there", "jinja", "nunjucks"), [])
    assert.deepStrictEqual(Template.conversionDifferences("Hello {{x}}", "mustache", "mustache"), [])
    assert.deepStrictEqual(Template.conversionDifferences("{% if a %}A{% endif %}", "jinja", "nunjucks"), [])
    const differences = Template.conversionDifferences("{{ name }}\n  {% if a %}\nA{% endif %}\n", "jinja", "nunjucks")
    assert.deepStrictEqual(differences, [
      `"{{ name }}": nunjucks HTML-escapes output (& < > " ') and renders objects as [object Object] and arrays as a,b; jinja does neither`,
      `"{% if a %}": jinja removes the line break after a block or comment tag; nunjucks keeps it`,
      `"{% endif %}": jinja removes the line break after a block or comment tag; nunjucks keeps it`,
      "a trailing line break: jinja drops it, nunjucks keeps it"
    ])
    assert.include(Template.conversionDifferences("{% macro m() %}x{% endmacro %}", "nunjucks", "jinja")[0]!, `"macro" blocks`)
    assert.lengthOf(Template.conversionDifferences("Hi {{x}}", "mustache", "nunjucks"), 1)
    assert.deepStrictEqual(Template.conversionDifferences("Hi x", "mustache", "none"), [])
  })
})

describe("nunjucks is no sandbox: templates that reach the Function constructor are refused", () => {
  it("range.constructor, a string's constructor, __proto__ and a bracketed prototype are Invalid; nothing runs", () => {
    const marker = "__promptops_nunjucks_probe__"
    for (
      const template of [
        `{{ range.constructor("globalThis.${marker} = 1")() }}`,
        `{{ "".constructor.constructor("globalThis.${marker} = 1")() }}`,
        "{{ a.__proto__ }}",
        `{{ cycler["prototype"] }}`
      ]
    ) {
      const outcome = Template.renderOutcome(template, { a: {} }, { format: "nunjucks" })
      assert.strictEqual(outcome._tag, "Invalid", template)
      if (outcome._tag === "Invalid") assert.include(outcome.description, "nunjucks is no sandbox")
    }
    assert.isUndefined((globalThis as Record<string, unknown>)[marker])
  })
})
