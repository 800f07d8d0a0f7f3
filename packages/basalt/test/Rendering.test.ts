/**
 * Basalt prompts render like Basalt's JS SDK renders them: `@huggingface/jinja`
 * 0.5.5, `new Template(text).render(variables)` on the text and the system
 * text (vendors/basalt.md §4). Core's `Prompt.render` does the rendering; these
 * tests pin the Basalt-visible behaviour on prompts decoded from Basalt
 * answers, and check core against the engine itself.
 */
import { Template as Jinja } from "@huggingface/jinja"
import { assert, describe, it } from "@effect/vitest"
import * as Prompt from "@promptops/core/Prompt"
import { Effect, FastCheck, Schema } from "effect"
import { toPrompt } from "../src/BasaltPrompts.js"
import { GetPromptResponse } from "../src/BasaltSchema.js"
import { promptResponse } from "./fakeBasalt.js"

/** A prompt as the adapter decodes it from a Basalt answer. */
const decoded = (overrides: Record<string, unknown>) =>
  toPrompt("p", Schema.decodeUnknownSync(GetPromptResponse)(promptResponse(overrides)))

const basaltPrompt = (text: string, systemText: string | null = null) => decoded({ text, systemText })

/** The rendered user text; `""` when it rendered empty and was left out (as Basalt's SDK leaves it out). */
const renderText = (text: string, variables?: Record<string, unknown>) =>
  Effect.map(
    Prompt.render(basaltPrompt(text), variables),
    (rendered) => (rendered.messages.find((message) => message.role === "user")?.content ?? "") as string
  )

/**
 * What Basalt's JS SDK produces for the same template and variables:
 * `renderTemplate` (`new Template(text).render(vars)`), then `buildChatMessages`, which trims.
 */
const sdk = (text: string, variables: Record<string, unknown> = {}): string => new Jinja(text).render(variables).trim()

describe("Basalt prompt rendering (Jinja, as Basalt's JS SDK)", () => {
  it.effect("variables, with no HTML escaping", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* renderText("Hello {{ name }}!", { name: "<Ada & co>" }), "Hello <Ada & co>!")
      assert.strictEqual(yield* renderText("{{name}} / {{ user.email }}", { name: "a", user: { email: "a@x" } }), "a / a@x")
    }))

  it.effect("conditionals and loops", () =>
    Effect.gen(function*() {
      const text = "{% if vip %}Dear {{ name }}{% elif known %}Hi {{ name }}{% else %}Hello{% endif %}"
      assert.strictEqual(yield* renderText(text, { vip: true, name: "Ada" }), "Dear Ada")
      assert.strictEqual(yield* renderText(text, { known: true, name: "Bo" }), "Hi Bo")
      assert.strictEqual(yield* renderText(text, {}), "Hello")
      assert.strictEqual(
        yield* renderText("{% for item in items %}{{ loop.index }}. {{ item }}\n{% endfor %}", { items: ["a", "b"] }),
        "1. a\n2. b"
      )
    }))

  it.effect("filters", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* renderText("{{ name | upper }}", { name: "ada" }), "ADA")
      assert.strictEqual(yield* renderText("{{ missing | default('n/a') }}", {}), "n/a")
      assert.strictEqual(yield* renderText("{{ items | join(', ') }}", { items: ["a", "b"] }), "a, b")
      assert.strictEqual(yield* renderText("{{ items | length }}", { items: [1, 2, 3] }), "3")
    }))

  it.effect("whitespace: block tags trim like trim_blocks + lstrip_blocks; one trailing newline dropped", () =>
    Effect.gen(function*() {
      // vendors/basalt.md §4: the JS SDK renders this as "AB" (Jinja2 would give "  A\nB").
      assert.strictEqual(yield* renderText("  {% if x %}A{% endif %}\nB", { x: true }), "AB")
      assert.strictEqual(yield* renderText("x{% for i in [1, 2] %}\n{{ i }}\n{% endfor %}\n", {}), "x1\n2")
      assert.strictEqual(yield* renderText("x{{- ' a ' -}}  b", {}), "x a b")
      assert.strictEqual(yield* renderText("line\n", {}), sdk("line\n"))
    }))

  it.effect("missing variables (and attributes of missing ones) render empty, without error", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* renderText("Hi {{ name }}.", {}), "Hi .")
      assert.strictEqual(yield* renderText("Hi {{ user.name }}.", {}), "Hi .")
      // Rendered even with no variables at all, as the JS SDK does.
      assert.strictEqual(yield* renderText("Hi {{ name }}."), "Hi .")
    }))

  it.effect("strict mode lists every missing variable instead", () =>
    Effect.gen(function*() {
      const prompt = decoded({ text: "{{ a }} {{ b.c }}", systemText: "{{ d }}" })
      const error = yield* Effect.flip(Prompt.render(prompt, { a: 1 }, { strict: true }))
      assert.strictEqual(error._tag, "TemplateError")
      assert.deepStrictEqual([...error.missing].sort(), ["b.c", "d"])
      assert.strictEqual(error.format, "jinja")
    }))

  it.effect("non-string values: booleans as true/false, null empty, objects JSON-like", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* renderText("{{ t }}/{{ f }}/{{ n }}", { t: true, f: false, n: null }), "true/false/")
      assert.strictEqual(yield* renderText("{{ o }}", { o: { a: 1, b: [1, 2] } }), sdk("{{ o }}", { o: { a: 1, b: [1, 2] } }))
      assert.strictEqual(yield* renderText("{{ o }}", { o: { a: 1, b: [1, 2] } }), "{\"a\": 1, \"b\": [1, 2]}")
    }))

  it.effect("a template that does not parse is a TemplateError, never a throw (the JS SDK rejects)", () =>
    Effect.gen(function*() {
      const broken = yield* Effect.flip(renderText("Hello {{ name", { name: "x" }))
      assert.strictEqual(broken._tag, "TemplateError")
      // `{% raw %}` is not supported by the engine Basalt's SDK uses.
      const raw = yield* Effect.flip(renderText("{% raw %}{{ x }}{% endraw %}", {}))
      assert.strictEqual(raw._tag, "TemplateError")
    }))

  it.effect("as Basalt's buildChatMessages: texts trimmed, a system or user text that is (or renders) empty left out", () =>
    Effect.gen(function*() {
      const spaces = yield* Prompt.render(decoded({ text: "  Hi {{ name }}\n", systemText: "   " }), { name: "Ada" })
      assert.deepStrictEqual(spaces.messages, [{ role: "user", content: "Hi Ada" }])
      const emptySystem = yield* Prompt.render(decoded({ text: "Q", systemText: "{% if formal %}Be formal.{% endif %}" }), {})
      assert.deepStrictEqual(emptySystem.messages, [{ role: "user", content: "Q" }])
      const emptyUser = yield* Prompt.render(decoded({ text: "{{ q }}", systemText: " You are a bot " }), {})
      assert.deepStrictEqual(emptyUser.messages, [{ role: "system", content: "You are a bot" }])
    }))

  it.effect("the cases of Basalt's SDK tests (renderTemplate, buildChatMessages), rewritten", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* renderText("Hello {{ name }}", { name: "World" }), "Hello World")
      assert.strictEqual(yield* renderText("{{ greeting }} {{ name }}", { greeting: "Hi", name: "Basalt" }), "Hi Basalt")
      // The SDK's renderTemplate gives "Hello " here; buildChatMessages then trims it.
      assert.strictEqual(sdk("Hello {{ name }}", {}), "Hello")
      assert.strictEqual(yield* renderText("Hello {{ name }}", {}), "Hello")
      const logic = "{% if show %}Shown{% else %}Hidden{% endif %}"
      assert.strictEqual(yield* renderText(logic, { show: true }), "Shown")
      assert.strictEqual(yield* renderText(logic, { show: false }), "Hidden")
      const both = yield* Prompt.render(decoded({ text: "Hello", systemText: "Be helpful" }), {})
      assert.deepStrictEqual(both.messages, [{ role: "system", content: "Be helpful" }, { role: "user", content: "Hello" }])
      const noSystem = yield* Prompt.render(decoded({ text: "Hi", systemText: "   " }), {})
      assert.deepStrictEqual(noSystem.messages, [{ role: "user", content: "Hi" }])
      const noUser = yield* Prompt.render(decoded({ text: "   ", systemText: "You are a bot" }), {})
      assert.deepStrictEqual(noUser.messages, [{ role: "system", content: "You are a bot" }])
    }))

  it.effect("system text and text are both rendered", () =>
    Effect.gen(function*() {
      const prompt = decoded({ text: "Q: {{ q }}", systemText: "You are {{ persona }}." })
      const rendered = yield* Prompt.render(prompt, { q: "why?", persona: "terse" })
      assert.deepStrictEqual(rendered.messages.map((message) => message.content), ["You are terse.", "Q: why?"])
    }))

  describe("properties: core renders exactly what the engine renders", () => {
    const name = FastCheck.constantFrom("a", "b", "user", "items", "flag")
    const value: FastCheck.Arbitrary<unknown> = FastCheck.oneof(
      FastCheck.string({ maxLength: 8 }),
      FastCheck.integer({ min: -50, max: 50 }),
      FastCheck.boolean(),
      FastCheck.constant(null),
      FastCheck.array(FastCheck.string({ maxLength: 4 }), { maxLength: 3 }),
      FastCheck.record({ name: FastCheck.string({ maxLength: 4 }) })
    )
    const text = FastCheck.string({ maxLength: 6 }).filter((s) => !/[{}%#]/.test(s))
    const piece = FastCheck.oneof(
      text,
      name.map((n) => `{{ ${n} }}`),
      name.map((n) => `{{ ${n}.name }}`),
      FastCheck.tuple(name, text).map(([n, t]) => `{% if ${n} %}${t}{% else %}-{% endif %}`),
      FastCheck.tuple(name, text).map(([n, t]) => `{% for x in ${n} %}${t}{{ x }}{% endfor %}`),
      name.map((n) => `{{ ${n} | default('d') }}`),
      FastCheck.constant("\n  "),
      FastCheck.constant("{%- if flag -%} f {%- endif %}")
    )
    const template = FastCheck.array(piece, { maxLength: 6 }).map((pieces) => pieces.join(""))
    const variables = FastCheck.dictionary(name, value, { maxKeys: 5 })

    it.prop("same text as new Template(text).render(vars)", [template, variables], ([source, vars]) => {
      let expected: string | Error
      try {
        expected = sdk(source, vars)
      } catch (error) {
        expected = error as Error
      }
      const actual = Effect.runSync(Effect.either(renderText(source, vars)))
      if (expected instanceof Error) return actual._tag === "Left"
      return actual._tag === "Right" && actual.right === expected
    }, { fastCheck: { numRuns: 300 } })

    it.prop("text without Jinja syntax is returned as it is (bar one trailing newline)", [
      FastCheck.string({ maxLength: 40 }).filter((s) => !/[{}%#]/.test(s))
    ], ([source]) => {
      const actual = Effect.runSync(renderText(source, {}))
      return actual === sdk(source) && actual === source.trim()
    })
  })
})
