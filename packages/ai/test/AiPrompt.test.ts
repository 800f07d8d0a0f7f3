import * as Prompt from "@effect/ai/Prompt"
import * as Response from "@effect/ai/Response"
import { assert, describe, it } from "@effect/vitest"
import type { ContentPart, RenderedMessage } from "@promptops/core/Prompt"
import { Effect, FastCheck as fc } from "effect"
import * as AiPrompt from "../src/AiPrompt.js"

const PNG = Uint8Array.from([137, 80, 78, 71, 1, 2, 3])
const pngUrl = `data:image/png;base64,${Buffer.from(PNG).toString("base64")}`

describe("AiPrompt.toAiPrompt", () => {
  it.effect("maps every message kind", () =>
    Effect.gen(function*() {
      const prompt = yield* AiPrompt.toAiPrompt([
        { role: "system", content: "Be brief." },
        { role: "developer", content: [{ type: "text", text: "Cite " }, { type: "text", text: "sources." }] },
        {
          role: "user",
          name: "ada",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", url: "https://example.com/cat.jpg", detail: "low" },
            { type: "image_url", url: pngUrl },
            { type: "file", data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" },
            { type: "file", fileId: "file-abc" }
          ]
        },
        {
          role: "assistant",
          content: "Let me look.",
          toolCalls: [{ id: "call_1", name: "lookup", arguments: "{\"q\":\"cat\"}" }]
        },
        { role: "tool", toolCallId: "call_1", content: "{\"found\":true}" },
        { role: "tool", toolCallId: "call_1", content: "plain text" }
      ])
      assert.isTrue(Prompt.isPrompt(prompt))
      const [system, developer, user, assistant, tool, tool2] = prompt.content
      assert.deepStrictEqual([system!.role, system!.content], ["system", "Be brief."])
      assert.deepStrictEqual([developer!.role, developer!.content], ["system", "Cite sources."])
      assert.strictEqual(user!.role, "user")
      if (user!.role !== "user") return
      const [text, link, inline, pdf, fileId] = user!.content
      assert.deepStrictEqual(text, Prompt.textPart({ text: "What is this?" }))
      assert.strictEqual(link!.type, "file")
      if (link!.type === "file" && inline!.type === "file" && pdf!.type === "file" && fileId!.type === "file") {
        assert.strictEqual(link.mediaType, "image/*")
        assert.instanceOf(link.data, URL)
        assert.strictEqual(String(link.data), "https://example.com/cat.jpg")
        assert.deepStrictEqual(link.options, { openai: { imageDetail: "low" } })
        assert.strictEqual(inline.mediaType, "image/png")
        assert.deepStrictEqual(inline.data, PNG)
        assert.strictEqual(pdf.mediaType, "application/pdf")
        assert.strictEqual(pdf.fileName, "a.pdf")
        assert.deepStrictEqual([...(pdf.data as Uint8Array)], [...Buffer.from("JVBERi0=", "base64")])
        assert.strictEqual(fileId.data, "file-abc")
        assert.strictEqual(fileId.mediaType, "application/pdf")
      }
      assert.strictEqual(assistant!.role, "assistant")
      if (assistant!.role === "assistant") {
        assert.deepStrictEqual(assistant!.content.map((p) => p.type), ["text", "tool-call"])
        const call = assistant!.content[1]!
        if (call.type === "tool-call") assert.deepStrictEqual([call.id, call.name, call.params], ["call_1", "lookup", { q: "cat" }])
      }
      assert.strictEqual(tool!.role, "tool")
      if (tool!.role === "tool" && tool2!.role === "tool") {
        const result = tool!.content[0]!
        assert.deepStrictEqual([result.id, result.name, result.result, result.isFailure], ["call_1", "lookup", { found: true }, false])
        assert.strictEqual(tool2!.content[0]!.result, "plain text")
      }
    }))

  it.effect("accepts a RenderedPrompt", () =>
    Effect.gen(function*() {
      const prompt = yield* AiPrompt.toAiPrompt({
        slug: "s",
        version: "1",
        variables: {},
        messages: [{ role: "user", content: "hi" }]
      })
      assert.strictEqual(prompt.content.length, 1)
    }))

  const failsAt = (messages: ReadonlyArray<RenderedMessage>, path: string, text: string) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(AiPrompt.toAiPrompt(messages))
      assert.strictEqual(error._tag, "InvalidInput")
      assert.strictEqual(error.path, path)
      assert.include(error.message, text)
    })

  it.effect("invalid tool call arguments name messages[i].toolCalls[j].arguments", () =>
    failsAt([
      { role: "user", content: "hi" },
      {
        role: "assistant",
        content: "",
        toolCalls: [{ id: "a", name: "f", arguments: "{}" }, { id: "b", name: "g", arguments: "{oops" }]
      }
    ], "messages[1].toolCalls[1].arguments", "not JSON"))

  it.effect("a tool message answering no earlier call is InvalidInput", () =>
    failsAt([{ role: "tool", toolCallId: "nope", content: "x" }], "messages[0].toolCallId", "\"nope\""))

  it.effect("a tool message without toolCallId is InvalidInput", () =>
    failsAt([{ role: "tool", content: "x" }], "messages[0].toolCallId", "tool message"))

  it.effect("an image in a system message is InvalidInput", () =>
    failsAt(
      [{ role: "system", content: [{ type: "image_url", url: "https://x.test/a.png" }] }],
      "messages[0].content[0]",
      "only allowed in a user message"
    ))

  it.effect("a malformed data: URL or image URL is InvalidInput", () =>
    Effect.gen(function*() {
      yield* failsAt(
        [{ role: "user", content: [{ type: "file", data: "not-a-data-url" }] }],
        "messages[0].content[0].data",
        "data: URL"
      )
      yield* failsAt(
        [{ role: "user", content: [{ type: "image_url", url: "not a url" }] }],
        "messages[0].content[0].url",
        "not a URL"
      )
      yield* failsAt([{ role: "user", content: [{ type: "file" }] }], "messages[0].content[0]", "fileId")
    }))
})

describe("AiPrompt.fromAiPrompt / outputOf", () => {
  it("gives JSON-plain messages: no type ids, no empty options", () => {
    const prompt = Prompt.make([
      { role: "system", content: "s" },
      { role: "user", content: [{ type: "text", text: "q" }, { type: "file", mediaType: "image/png", data: PNG }] },
      {
        role: "assistant",
        content: [{ type: "text", text: "a" }, { type: "tool-call", id: "c", name: "f", params: { x: 1 } }]
      },
      {
        role: "tool",
        content: [{ type: "tool-result", id: "c", name: "f", result: { ok: 1 }, isFailure: false, providerExecuted: false }]
      }
    ])
    const neutral = AiPrompt.fromAiPrompt(prompt)
    assert.deepStrictEqual(neutral, [
      { role: "system", content: "s" },
      { role: "user", content: [{ type: "text", text: "q" }, { type: "image_url", url: pngUrl }] },
      { role: "assistant", content: "a", toolCalls: [{ id: "c", name: "f", arguments: "{\"x\":1}" }] },
      { role: "tool", content: "{\"ok\":1}", toolCallId: "c" }
    ])
    assert.deepStrictEqual(JSON.parse(JSON.stringify(neutral)), neutral)
  })

  it("outputOf: text, tool calls and tool results; finish and metadata left out", () => {
    const parts: Array<Response.AnyPart> = [
      Response.makePart("text", { text: "Checking." }),
      Response.makePart("tool-call", { id: "c1", name: "lookup", params: { q: 1 }, providerExecuted: false }),
      Response.makePart("tool-result", {
        id: "c1",
        name: "lookup",
        result: "ok",
        encodedResult: "ok",
        isFailure: false,
        providerExecuted: false
      }),
      Response.makePart("finish", {
        reason: "stop",
        usage: new Response.Usage({ inputTokens: 1, outputTokens: 2, totalTokens: 3 })
      })
    ]
    assert.deepStrictEqual(AiPrompt.outputOf(parts), [
      { role: "assistant", content: "Checking.", toolCalls: [{ id: "c1", name: "lookup", arguments: "{\"q\":1}" }] },
      { role: "tool", content: "ok", toolCallId: "c1" }
    ])
  })
})

// -----------------------------------------------------------------------------
// Round trip: neutral → @effect/ai → neutral, for the kinds that map 1:1
// (not: developer, which comes back as system; message names; a user content
// of a single text part, which comes back as a string; a tool's output that is
// the JSON text of a string, which comes back unquoted).
// -----------------------------------------------------------------------------

const json: fc.Arbitrary<unknown> = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)))
const text = fc.string({ maxLength: 20 })
const bytes = fc.uint8Array({ maxLength: 16 })
const userPart: fc.Arbitrary<ContentPart> = fc.oneof(
  text.map((t) => ({ type: "text" as const, text: t })),
  fc.record({ url: fc.webUrl(), detail: fc.option(fc.constantFrom<"auto" | "low" | "high">("auto", "low", "high"), { nil: undefined }) }).map(({ detail, url }) =>
    detail === undefined
      ? { type: "image_url" as const, url: new URL(url).toString() }
      : { type: "image_url" as const, url: new URL(url).toString(), detail }
  ),
  bytes.map((b) => ({ type: "image_url" as const, url: `data:image/png;base64,${Buffer.from(b).toString("base64")}` })),
  fc.record({ b: bytes, name: fc.option(text, { nil: undefined }) }).map(({ b, name }) => {
    const data = `data:application/pdf;base64,${Buffer.from(b).toString("base64")}`
    return name === undefined ? { type: "file" as const, data } : { type: "file" as const, data, filename: name }
  }),
  fc.string({ minLength: 1, maxLength: 10 }).map((id) => ({ type: "file" as const, fileId: `file-${id}` }))
)

/** Messages in which every tool message answers an earlier call. */
const conversation: fc.Arbitrary<Array<RenderedMessage>> = fc.array(
  fc.oneof(
    text.map((t): Array<RenderedMessage> => [{ role: "system", content: t }]),
    text.map((t): Array<RenderedMessage> => [{ role: "user", content: t }]),
    fc.array(userPart, { minLength: 2, maxLength: 4 }).map((parts): Array<RenderedMessage> => [{ role: "user", content: parts }]),
    text.map((t): Array<RenderedMessage> => [{ role: "assistant", content: t }]),
    fc.record({
      t: text,
      calls: fc.uniqueArray(
        fc.record({ id: fc.string({ minLength: 1, maxLength: 8 }), name: fc.string({ minLength: 1, maxLength: 8 }), args: json }),
        { minLength: 1, maxLength: 3, selector: (c) => c.id }
      ),
      // JSON text of a string comes back unquoted (a string result is sent as is): not 1:1.
      results: fc.array(
        fc.oneof(json.filter((v) => typeof v !== "string").map((v) => JSON.stringify(v)), text.map((t) => `text: ${t}`)),
        { maxLength: 3 }
      )
    }).map(({ calls, results, t }): Array<RenderedMessage> => [
      { role: "assistant", content: t, toolCalls: calls.map((c) => ({ id: c.id, name: c.name, arguments: JSON.stringify(c.args) })) },
      ...results.map((content, i): RenderedMessage => ({ role: "tool", toolCallId: calls[i % calls.length]!.id, content }))
    ])
  ),
  { maxLength: 6 }
).map((groups) => groups.flat())

describe("AiPrompt round trip", () => {
  it.prop("neutral → @effect/ai → neutral is the identity for the kinds that map 1:1", [conversation], ([messages]) => {
    const prompt = Effect.runSync(AiPrompt.toAiPrompt(messages))
    assert.deepStrictEqual(AiPrompt.fromAiPrompt(prompt), messages)
  })
})
