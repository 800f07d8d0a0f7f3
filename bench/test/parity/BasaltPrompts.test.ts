/**
 * Side by side: a Basalt prompt as Basalt's JS SDK (`@basalt-ai/sdk` 0.3)
 * hands it to an app, and as `@promptops/basalt` does.
 *
 * The SDK is not published on npm, so it cannot run here; its prompt path is
 * small and is rebuilt below from its sources (`basalt-ai/basalt-js`
 * `src/lib/sdk/prompt-sdk.ts` `_insertVariables`, `src/lib/utils/template.ts`
 * `renderTemplate`, `src/lib/resources/prompt/prompt.utils.ts`
 * `buildChatMessages`) on the same engine it uses (`@huggingface/jinja`
 * 0.5.5): `prompt.get` renders the text and the system text (a missing one
 * as `""`) with the variables (`{}` when none are given); the chat messages
 * are then the trimmed system text and the trimmed text, each left out when
 * empty.
 *
 * Ours: Basalt's `GET /prompts/{slug}` answer decoded by the adapter's
 * schema, `BasaltPrompts.toPrompt`, then core's `Prompt.render`.
 *
 * The cases of the SDK's own tests that apply (template.test.ts,
 * prompt-utils.test.ts `buildChatMessages`, prompt-sdk.test.ts) are
 * rewritten here, then generated templates and variables are compared.
 * Cases that do not apply: `resolveProviderModel` (an SDK helper that picks
 * a default model name; promptops keeps the prompt's model as Basalt sends
 * it) and the SDK's cache and endpoint tests (not rendering).
 */
import { Template as Jinja } from "@huggingface/jinja"
import { assert, describe, it } from "@effect/vitest"
import { toPrompt } from "@promptops/basalt/BasaltPrompts"
import { GetPromptResponse } from "@promptops/basalt/BasaltSchema"
import * as Prompt from "@promptops/core/Prompt"
import { Effect, Either, FastCheck as fc, Schema } from "effect"

interface Message {
  readonly role: string
  readonly content: unknown
}

/** A Basalt prompt as `GET /prompts/{slug}` answers it. */
const answer = (text: string, systemText: string | undefined) => ({
  prompt: {
    slug: "parity",
    version: "1.0.0",
    tag: "production",
    text,
    ...(systemText !== undefined ? { systemText } : {}),
    model: {
      provider: "open-ai",
      model: "gpt-4o",
      version: "latest",
      parameters: { temperature: 0.7, topP: 1, maxLength: 4096, responseFormat: "text" }
    }
  }
})

/** Basalt's SDK, as described above: the rendered texts, and the chat messages built from them. */
const sdk = (
  text: string,
  systemText: string | undefined,
  variables: Record<string, unknown> | undefined
): { readonly text: string; readonly systemText: string; readonly messages: ReadonlyArray<Message> } => {
  const vars = variables ?? {}
  const rendered = { text: new Jinja(text).render(vars), systemText: new Jinja(systemText ?? "").render(vars) }
  const messages: Array<Message> = []
  const system = rendered.systemText.trim()
  if (system.length > 0) messages.push({ role: "system", content: system })
  const user = rendered.text.trim()
  if (user.length > 0) messages.push({ role: "user", content: user })
  return { ...rendered, messages }
}

/** promptops: decode, convert, render; the messages (role and content). */
const ours = (
  text: string,
  systemText: string | undefined,
  variables: Record<string, unknown> | undefined
): Either.Either<ReadonlyArray<Message>, string> => {
  const prompt = toPrompt("parity", Schema.decodeUnknownSync(GetPromptResponse)(answer(text, systemText)))
  return Effect.runSync(
    Prompt.render(prompt, variables).pipe(
      Effect.map((rendered) => rendered.messages.map((message) => ({ role: message.role, content: message.content }))),
      Effect.mapError((error) => error.message),
      Effect.either
    )
  )
}

/** The SDK's messages, or the message of what it throws (`prompt.get` lets a render error escape). */
const sdkMessages = (
  text: string,
  systemText: string | undefined,
  variables: Record<string, unknown> | undefined
): Either.Either<ReadonlyArray<Message>, string> => {
  try {
    return Either.right(sdk(text, systemText, variables).messages)
  } catch (error) {
    return Either.left(error instanceof Error ? error.message : String(error))
  }
}

/** The same messages; or both fail (the SDK throws, promptops fails with a `TemplateError`). */
const same = (text: string, systemText: string | undefined, variables?: Record<string, unknown>) => {
  const expected = sdkMessages(text, systemText, variables)
  const actual = ours(text, systemText, variables)
  const where = `${JSON.stringify({ text, systemText, variables })}: SDK ${JSON.stringify(expected)}, ours ${
    JSON.stringify(actual)
  }`
  assert.strictEqual(Either.isRight(actual), Either.isRight(expected), where)
  if (Either.isRight(expected)) assert.deepStrictEqual(Either.getOrThrow(actual), expected.right, where)
}

describe("Basalt prompts: the cases of the SDK's own tests", () => {
  it("a variable", () => {
    assert.strictEqual(sdk("Hello {{ name }}", undefined, { name: "World" }).text, "Hello World")
    same("Hello {{ name }}", undefined, { name: "World" })
  })

  it("several variables", () => {
    const variables = { greeting: "Hi", name: "Basalt" }
    assert.strictEqual(sdk("{{ greeting }} {{ name }}", undefined, variables).text, "Hi Basalt")
    same("{{ greeting }} {{ name }}", undefined, { greeting: "Hi", name: "Basalt" })
  })

  it("a missing variable renders empty (no error, not even in the chat text, which is then trimmed)", () => {
    assert.strictEqual(sdk("Hello {{ name }}", undefined, {}).text, "Hello ")
    same("Hello {{ name }}", undefined, {})
    same("Hello {{ name }}", undefined, undefined)
    assert.deepStrictEqual(ours("Hello {{ name }}", undefined, {}), Either.right([{ role: "user", content: "Hello" }]))
  })

  it("jinja logic", () => {
    const template = "{% if show %}Shown{% else %}Hidden{% endif %}"
    assert.strictEqual(sdk(template, undefined, { show: true }).text, "Shown")
    assert.strictEqual(sdk(template, undefined, { show: false }).text, "Hidden")
    same(template, undefined, { show: true })
    same(template, undefined, { show: false })
  })

  it("system then user, both kept when not empty", () => {
    same("Hello", "Be helpful")
    assert.deepStrictEqual(
      ours("Hello", "Be helpful", undefined),
      Either.right([{ role: "system", content: "Be helpful" }, { role: "user", content: "Hello" }])
    )
  })

  it("a whitespace-only system text is left out", () => {
    same("Hi", "   ")
    assert.deepStrictEqual(ours("Hi", "   ", undefined), Either.right([{ role: "user", content: "Hi" }]))
  })

  it("a whitespace-only user text is left out", () => {
    same("   ", "You are a bot")
    assert.deepStrictEqual(
      ours("   ", "You are a bot", undefined),
      Either.right([{ role: "system", content: "You are a bot" }])
    )
  })

  it("no system text (Basalt sends none) gives the user message alone", () => {
    same("Hello there", undefined)
  })

  it("a system block that renders empty is left out; texts are trimmed after rendering", () => {
    same("  {{ q }}  \n", "{% if persona %}You are {{ persona }}.{% endif %}", { q: "Why?" })
    assert.deepStrictEqual(
      ours("  {{ q }}  \n", "{% if persona %}You are {{ persona }}.{% endif %}", { q: "Why?" }),
      Either.right([{ role: "user", content: "Why?" }])
    )
  })

  it("the fetched prompt keeps the raw template; variables fill it at render time", () => {
    const decoded = Schema.decodeUnknownSync(GetPromptResponse)(answer("Some {{raw}} prompt", undefined))
    const prompt = toPrompt("parity", decoded)
    assert.deepStrictEqual(prompt.messages, [{ role: "user", content: "Some {{raw}} prompt" }])
    same("Hello {{name}}", "System text", { name: "Pikachu" })
    assert.deepStrictEqual(
      ours("Hello {{name}}", "System text", { name: "Pikachu" }),
      Either.right([{ role: "system", content: "System text" }, { role: "user", content: "Hello Pikachu" }])
    )
  })
})

// -----------------------------------------------------------------------------
// Generated templates
// -----------------------------------------------------------------------------

const names = ["name", "items", "show", "user", "n"] as const
const name = fc.constantFrom(...names)
const space = fc.constantFrom("", " ", "  ", "\n", " \n ", "\t")
const words = fc.constantFrom("Hello", "you", "are", "a", "bot", ".", ",", "<b>", "&", "'q'", "é")

/** Template pieces: text, variables, filters, conditionals and loops, with whitespace around tags. */
const piece: fc.Arbitrary<string> = fc.oneof(
  words,
  space,
  name.map((n) => `{{ ${n} }}`),
  name.map((n) => `{{${n}}}`),
  name.map((n) => `{{ ${n} | default('none') }}`),
  fc.constantFrom("{{ user.name }}", "{{ items | length }}", "{{ items | join(', ') }}", "{{ name | upper }}"),
  fc.tuple(name, space, words, space).map(([n, a, w, b]) => `{% if ${n} %}${a}${w}${b}{% endif %}`),
  fc.tuple(name, words, words).map(([n, a, b]) => `{% if ${n} %}${a}{% else %}${b}{% endif %}`),
  fc.tuple(space, space).map(([a, b]) => `{% for item in items %}${a}{{ item }}${b}{% endfor %}`),
  fc.constantFrom("{# a comment #}", "{%- if show -%} x {%- endif -%}")
)
const template = fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join(""))

const scalar = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom("", "  ", "<b>&'\""),
  fc.integer({ min: -5, max: 5 }),
  fc.boolean(),
  fc.constant(null)
)
const variables = fc.record(
  {
    name: scalar,
    items: fc.array(scalar, { maxLength: 3 }),
    show: scalar,
    user: fc.record({ name: scalar }),
    n: scalar
  },
  { requiredKeys: [] }
)

describe("Basalt prompts: generated templates and variables", () => {
  it("render to the same chat messages as Basalt's SDK", () => {
    fc.assert(
      fc.property(
        template,
        fc.option(template, { nil: undefined }),
        fc.option(variables, { nil: undefined }),
        (text, system, vars) => same(text, system, vars as Record<string, unknown> | undefined)
      ),
      { numRuns: 2000 }
    )
  })
})
