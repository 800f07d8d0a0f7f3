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
  it.effect("renders a two-message chat prompt with an image part; the model passes through", () =>
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
      // The model spec, template strings in responseFormat included, is passed through untouched.
      assert.strictEqual(rendered.model, mustachePrompt.model)
      assert.strictEqual(
        (rendered.model?.params.responseFormat as typeof responseFormat).json_schema.schema.description,
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
      assert.deepStrictEqual(error.missing, ["lang", "audience", "attempt", "image.id", "image.size"])
      assert.strictEqual(error.operation, "Prompt.render")
      assert.strictEqual(error.format, "mustache")
      assert.include(error.description, "messages[0].content")
      assert.include(error.description, "messages[1].content[0].text")
      assert.include(error.description, "messages[1].content[1].url")
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
      assert.deepStrictEqual(informal.messages.map((m) => m.content), ["Hi Bob", ""])
      assert.deepStrictEqual(rendered.messages.map((m) => m.content), ["Dear Ann", "- a?\n- b?\n"])
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
})
