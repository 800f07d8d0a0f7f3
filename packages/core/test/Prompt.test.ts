import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Prompt from "../src/Prompt.js"

const responseFormat = {
  type: "json_schema",
  json_schema: { name: "answer", schema: { type: "object", description: "{{schema_note}}" } }
}

const chat = (templateFormat: Prompt.TemplateFormat, messages: Prompt.Prompt["messages"]): Prompt.Prompt => ({
  slug: "describe-image",
  version: "1000192656880881099",
  messages,
  model: { provider: "openai", name: "gpt-4o-mini", params: { temperature: 0.2, responseFormat } },
  templateFormat,
  source: { provider: "memory" }
})

const mustachePrompt = chat("mustache", [
  { role: "system", content: "You are {{persona}}. Answer in {{lang}}." },
  {
    role: "user",
    name: "ann",
    content: [
      { type: "text", text: "Describe {{input.subject}} for {{audience}} (attempt {{attempt}})" },
      { type: "image_url", url: "https://img.example/{{image.id}}.png?s={{image.size}}", detail: "high" }
    ]
  }
])

describe("Prompt.render", () => {
  it.effect("renders a two-message chat prompt with an image part and the response format's schema", () =>
    Effect.gen(function*() {
      const variables = {
        persona: "<terse> & exact",
        lang: "English",
        subject: "a cat",
        audience: "kids",
        attempt: 2,
        image: { id: "c4t", size: 512 }
      }
      const rendered = yield* Prompt.render(mustachePrompt, variables)
      assert.deepStrictEqual(rendered.messages, [
        { role: "system", content: "You are <terse> & exact. Answer in English." },
        {
          role: "user",
          name: "ann",
          content: [
            { type: "text", text: "Describe a cat for kids (attempt 2)" },
            { type: "image_url", url: "https://img.example/c4t.png?s=512", detail: "high" }
          ]
        }
      ])
      assert.strictEqual(rendered.slug, "describe-image")
      assert.strictEqual(rendered.version, "1000192656880881099")
      // The json_schema response format's schema is rendered too, as Braintrust's Prompt.build does.
      assert.deepStrictEqual(rendered.model, {
        provider: "openai",
        name: "gpt-4o-mini",
        params: {
          temperature: 0.2,
          responseFormat: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object", description: "" } } }
        }
      })
      assert.strictEqual(
        (mustachePrompt.model?.params.responseFormat as typeof responseFormat).json_schema.schema.description,
        "{{schema_note}}"
      )
      assert.deepStrictEqual(rendered.variables, variables)
      // The prompt itself is not modified.
      assert.strictEqual((mustachePrompt.messages[0]!.content as string), "You are {{persona}}. Answer in {{lang}}.")
    }))

  it.effect("mustache sees {input: args, ...args} for a record, {input: args} otherwise (Braintrust)", () =>
    Effect.gen(function*() {
      const prompt = chat("mustache", [{ role: "user", content: "[{{input}}] [{{input.q}}] [{{q}}]" }])
      const fromRecord = yield* Prompt.render(prompt, { q: "why?" })
      assert.strictEqual(fromRecord.messages[0]!.content, `[{"q":"why?"}] [why?] [why?]`)
      const fromString = yield* Prompt.render(prompt, "just text")
      assert.strictEqual(fromString.messages[0]!.content, "[just text] [] []")
      assert.deepStrictEqual(fromString.variables, { input: "just text" })
      const fromArray = yield* Prompt.render(prompt, [1, 2])
      assert.strictEqual(fromArray.messages[0]!.content, "[[1,2]] [] []")
      // An own `input` field wins over the whole argument.
      const shadowed = yield* Prompt.render(prompt, { input: "mine" })
      assert.strictEqual(shadowed.messages[0]!.content, "[mine] [] []")
    }))

  it.effect("strict mode reports the missing variables of all messages in one error", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Prompt.render(mustachePrompt, { persona: "p", subject: "s", image: {} }, { strict: true })
      )
      assert.strictEqual(error._tag, "TemplateError")
      assert.deepStrictEqual(error.missing, ["lang", "audience", "attempt", "image.id", "image.size", "schema_note"])
      assert.strictEqual(error.operation, "Prompt.render")
      assert.strictEqual(error.format, "mustache")
      assert.include(error.description, "messages[0].content")
      assert.include(error.description, "messages[1].content[0].text")
      assert.include(error.description, "messages[1].content[1].url")
      assert.include(error.description, "model.params.responseFormat.json_schema.schema")
    }))

  it.effect("without strict mode a missing variable renders empty", () =>
    Effect.gen(function*() {
      const rendered = yield* Prompt.render(mustachePrompt, { persona: "p" })
      assert.strictEqual(rendered.messages[0]!.content, "You are p. Answer in .")
    }))

  it.effect("a template that does not parse fails with a TemplateError naming the message", () =>
    Effect.gen(function*() {
      const prompt = chat("jinja", [
        { role: "system", content: "fine {{ a }}" },
        { role: "user", content: [{ type: "text", text: "broken {{ b" }] }
      ])
      const error = yield* Effect.flip(Prompt.render(prompt, { a: 1, b: 2 }))
      assert.strictEqual(error.format, "jinja")
      assert.include(error.description, "messages[1].content[0].text")
      assert.include(error.description, "Unexpected end of input")
    }))

  it.effect("jinja prompts render with the variables as given (Basalt)", () =>
    Effect.gen(function*() {
      const prompt = chat("jinja", [
        { role: "system", content: "{% if formal %}Dear{% else %}Hi{% endif %} {{ name | title }}" },
        { role: "user", content: "{% for q in questions %}- {{ q }}\n{% endfor %}" }
      ])
      const rendered = yield* Prompt.render(prompt, { formal: true, name: "ann", questions: ["a?", "b?"] })
      const informal = yield* Prompt.render(prompt, { name: "bob", questions: [] })
      // As Basalt's SDK builds chat messages: texts trimmed, an empty one left out.
      assert.deepStrictEqual(informal.messages.map((m) => m.content), ["Hi Bob"])
      assert.deepStrictEqual(rendered.messages.map((m) => m.content), ["Dear Ann", "- a?\n- b?"])
      const strict = yield* Effect.flip(Prompt.render(prompt, {}, { strict: true }))
      assert.deepStrictEqual(strict.missing, ["name", "questions"])
      const notARecord = yield* Effect.flip(Prompt.render(prompt, "text"))
      assert.include(notARecord.description, "takes a record of variables, got string")
      // As in Basalt's SDK, a filter on a missing variable is an engine error, not an empty string.
      const missingName = yield* Effect.flip(Prompt.render(prompt, undefined))
      assert.include(missingName.description, `Cannot apply filter "title" to type: UndefinedValue`)
    }))

  it.effect("format none leaves every message as it is", () =>
    Effect.gen(function*() {
      const prompt = { ...mustachePrompt, templateFormat: "none" as const }
      const rendered = yield* Prompt.render(prompt, 42, { strict: true })
      assert.deepStrictEqual(rendered.messages, mustachePrompt.messages)
      assert.deepStrictEqual(rendered.variables, { input: 42 })
    }))

  it.effect("tool calls, tool call ids and file parts are rendered (Braintrust renders them)", () =>
    Effect.gen(function*() {
      const prompt = chat("mustache", [
        {
          role: "assistant",
          content: "",
          toolCalls: [{ id: "call_{{n}}", name: "{{fn}}", arguments: "{\"city\":\"{{city}}\"}" }]
        },
        { role: "tool", content: "{{result}}", toolCallId: "call_{{n}}" },
        {
          role: "user",
          content: [{ type: "file", data: "data:application/pdf;base64,{{pdf}}", filename: "{{name}}.pdf" }]
        }
      ])
      const rendered = yield* Prompt.render(prompt, {
        n: 7,
        fn: "weather",
        city: "Paris",
        result: "sunny",
        pdf: "QUJD",
        name: "report"
      })
      assert.deepStrictEqual(rendered.messages, [
        { role: "assistant", content: "", toolCalls: [{ id: "call_7", name: "weather", arguments: `{"city":"Paris"}` }] },
        { role: "tool", content: "sunny", toolCallId: "call_7" },
        { role: "user", content: [{ type: "file", data: "data:application/pdf;base64,QUJD", filename: "report.pdf" }] }
      ])
      const error = yield* Effect.flip(Prompt.render(prompt, { fn: "f", result: "r" }, { strict: true }))
      assert.deepStrictEqual(error.missing, ["n", "city", "pdf", "name", "schema_note"])
      assert.include(error.description, "messages[0].toolCalls[0].id")
      assert.include(error.description, "messages[1].toolCallId")
      assert.include(error.description, "messages[2].content[0].filename")
    }))

  it.effect("tools are rendered for Braintrust's formats, not for jinja (Basalt's SDK renders none)", () =>
    Effect.gen(function*() {
      const tools = [{ type: "function", function: { name: "{{variable}}", parameters: { type: "object" } } }]
      const withTools = (format: Prompt.TemplateFormat): Prompt.Prompt => ({
        ...chat(format, [{ role: "user", content: "hi" }]),
        model: { name: "gpt-4o", params: { tools } }
      })
      const mustache = yield* Prompt.render(withTools("mustache"), { variable: "test" })
      assert.deepStrictEqual(mustache.model?.params.tools, [
        { type: "function", function: { name: "test", parameters: { type: "object" } } }
      ])
      const nunjucks = yield* Prompt.render(withTools("nunjucks"), { variable: "a<b" })
      assert.strictEqual((nunjucks.model?.params.tools?.[0] as typeof tools[0]).function.name, "a&lt;b")
      const jinja = yield* Prompt.render(withTools("jinja"), { variable: "test" })
      assert.deepStrictEqual(jinja.model?.params.tools, tools)
      // Strict mode lists a variable missing from the tools with the others.
      const error = yield* Effect.flip(Prompt.render(withTools("mustache"), {}, { strict: true }))
      assert.deepStrictEqual(error.missing, ["variable"])
      assert.include(error.description, "model.params.tools[0].function.name")
      // A value with a quote stays inside its string (Braintrust's SDK would break the JSON).
      const quoted = yield* Prompt.render(withTools("mustache"), { variable: `say "hi"` })
      assert.strictEqual((quoted.model?.params.tools?.[0] as typeof tools[0]).function.name, `say "hi"`)
    }))

  it.effect("a schema given as a string is rendered then read as JSON; other response formats stay", () =>
    Effect.gen(function*() {
      const withFormat = (responseFormat: unknown): Prompt.Prompt => ({
        ...chat("mustache", [{ role: "user", content: "hi" }]),
        model: { name: "gpt-4o", params: { responseFormat } }
      })
      const fromString = yield* Prompt.render(
        withFormat({ type: "json_schema", json_schema: { name: "a", schema: `{"type":"{{t}}"}` } }),
        { t: "object" }
      )
      assert.deepStrictEqual(fromString.model?.params.responseFormat, {
        type: "json_schema",
        json_schema: { name: "a", schema: { type: "object" } }
      })
      const empty = yield* Prompt.render(withFormat({ type: "json_schema", json_schema: { name: "a", schema: "{{t}}" } }), {})
      assert.deepStrictEqual(empty.model?.params.responseFormat, { type: "json_schema", json_schema: { name: "a", schema: null } })
      const other = { type: "json_object", note: "{{t}}" }
      const untouched = yield* Prompt.render(withFormat(other), { t: "x" })
      assert.deepStrictEqual(untouched.model?.params.responseFormat, other)
    }))

  it.effect("parameters only the vendor reads are left out of the rendered model", () =>
    Effect.gen(function*() {
      const prompt: Prompt.Prompt = {
        ...chat("mustache", [{ role: "user", content: "hi" }]),
        model: { name: "gpt-4o", params: { temperature: 0, extra: { seed: 1 }, vendor: { use_cache: true } } }
      }
      for (const format of ["mustache", "nunjucks", "jinja", "none"] as const) {
        const rendered = yield* Prompt.render({ ...prompt, templateFormat: format }, {})
        assert.deepStrictEqual(rendered.model, { name: "gpt-4o", params: { temperature: 0, extra: { seed: 1 } } })
      }
    }))
})
