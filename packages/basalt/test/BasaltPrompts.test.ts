import { assert, describe, it } from "@effect/vitest"
import * as Prompt from "@promptops/core/Prompt"
import { Prompts } from "@promptops/core/Prompts"
import { Chunk, Effect, Layer, Stream } from "effect"
import * as BasaltPrompts from "../src/BasaltPrompts.js"
import * as BasaltPromptsExtra from "../src/BasaltPromptsExtra.js"
import { type Captured, clientLayer, promptResponse } from "./fakeBasalt.js"

const json = (status: number, body: unknown) => ({ status, json: body })

const promptsWith = (
  handler: (request: Captured, index: number) => { status: number; json?: unknown },
  options: BasaltPrompts.Options = {}
) => {
  const { captured, layer } = clientLayer(handler)
  return {
    captured,
    layer: Layer.merge(BasaltPrompts.layer(options), BasaltPromptsExtra.layer).pipe(Layer.provide(layer))
  }
}

const fallbackWarning = "No prompt found at the specified version. Falling back to the production version."

describe("BasaltPrompts", () => {
  it.effect("maps a Basalt prompt: system + user Jinja messages, model params, source", () =>
    Effect.gen(function*() {
      const { layer } = promptsWith(() =>
        json(200, promptResponse({
          model: {
            provider: "open-ai",
            client: "open-ai",
            model: "gpt-4o",
            version: "latest",
            parameters: {
              temperature: 0.2,
              topP: 0.9,
              topK: 40,
              frequencyPenalty: 0.1,
              presencePenalty: 0.3,
              maxLength: 512,
              responseFormat: "json_object",
              jsonObject: { type: "object" },
              reasoningEffort: "low",
              tools: { tools: [{ type: "function", function: { name: "lookup" } }], toolChoice: { type: "auto" } }
            }
          }
        }))
      )
      const prompt = yield* Effect.flatMap(Prompts, (prompts) => prompts.get("greeting")).pipe(Effect.provide(layer))
      assert.deepStrictEqual(prompt.messages, [
        { role: "system", content: "You are {{ persona }}." },
        { role: "user", content: "Hello {{ name }}" }
      ])
      assert.strictEqual(prompt.templateFormat, "jinja")
      assert.strictEqual(prompt.version, "1.0.0")
      assert.strictEqual(prompt.tag, "production")
      assert.strictEqual(prompt.warning, undefined)
      assert.deepStrictEqual(prompt.model, {
        provider: "open-ai",
        name: "gpt-4o",
        params: {
          temperature: 0.2,
          maxTokens: 512,
          topP: 0.9,
          frequencyPenalty: 0.1,
          presencePenalty: 0.3,
          responseFormat: "json_object",
          tools: [{ type: "function", function: { name: "lookup" } }],
          toolChoice: { type: "auto" },
          extra: { client: "open-ai", modelVersion: "latest", topK: 40, jsonObject: { type: "object" }, reasoningEffort: "low" }
        }
      })
      assert.deepStrictEqual(prompt.source.provider, "basalt")
      assert.deepStrictEqual(prompt.source.id, "greeting@1.0.0")
      assert.strictEqual((prompt.source.raw as { text: string }).text, "Hello {{ name }}")
    }))

  it.effect("no system message when systemText is empty or missing", () =>
    Effect.gen(function*() {
      const { layer } = promptsWith((request) =>
        json(200, promptResponse(request.url.pathname === "/prompts/a" ? { systemText: "" } : { systemText: null }))
      )
      const [a, b] = yield* Effect.flatMap(Prompts, (prompts) => Effect.all([prompts.get("a"), prompts.get("b")])).pipe(
        Effect.provide(layer)
      )
      assert.deepStrictEqual(a.messages.map((message) => message.role), ["user"])
      assert.deepStrictEqual(b.messages.map((message) => message.role), ["user"])
    }))

  it.effect("version wins over tag (only the version is sent); neither asks for production", () =>
    Effect.gen(function*() {
      const { captured, layer } = promptsWith(() => json(200, promptResponse()))
      yield* Effect.flatMap(Prompts, (prompts) =>
        Effect.all([
          prompts.get("greeting", { version: "1.0.0", tag: "staging" }),
          prompts.get("greeting", { tag: "production" }),
          prompts.get("greeting")
        ])).pipe(Effect.provide(layer))
      assert.deepStrictEqual(captured.map((request) => request.url.search), ["?version=1.0.0", "?tag=production", ""])
    }))

  it.effect("a version that fell back to production is a VersionMismatch by default", () =>
    Effect.gen(function*() {
      const { layer } = promptsWith(() => json(200, promptResponse({ version: "2.0.0" }, fallbackWarning)))
      const error = yield* Effect.flip(
        Effect.flatMap(Prompts, (prompts) => prompts.get("greeting", { version: "1.5.0" })).pipe(Effect.provide(layer))
      )
      assert.strictEqual(error._tag, "VersionMismatch")
      if (error._tag !== "VersionMismatch") return
      assert.strictEqual(error.slug, "greeting")
      assert.strictEqual(error.requested, "version 1.5.0")
      assert.strictEqual(error.received, "version 2.0.0 (tag production)")
      assert.strictEqual(error.warning, fallbackWarning)
      assert.strictEqual(error.provider, "basalt")
    }))

  it.effect("a tag that fell back is a VersionMismatch, also when the answer has no tag but a warning", () =>
    Effect.gen(function*() {
      const { layer } = promptsWith((request) =>
        request.url.pathname === "/prompts/tagged"
          ? json(200, promptResponse({ tag: "production" }, "No prompt found for the tag. Falling back to production."))
          : json(200, promptResponse({ tag: null }, "Falling back to the production version."))
      )
      const [tagged, untagged] = yield* Effect.flatMap(Prompts, (prompts) =>
        Effect.all([
          Effect.flip(prompts.get("tagged", { tag: "staging" })),
          Effect.flip(prompts.get("untagged", { tag: "staging" }))
        ])).pipe(Effect.provide(layer))
      assert.strictEqual(tagged._tag, "VersionMismatch")
      assert.strictEqual(untagged._tag, "VersionMismatch")
      if (tagged._tag === "VersionMismatch") assert.strictEqual(tagged.requested, "tag staging")
    }))

  it.effect("onFallback: accept returns the production prompt with the warning set", () =>
    Effect.gen(function*() {
      const { layer } = promptsWith(
        (request) =>
          request.url.search === "?version=1.5.0"
            ? json(200, promptResponse({ version: "2.0.0" }, fallbackWarning))
            : json(200, promptResponse({ version: "2.0.0", tag: "production" })),
        { onFallback: "accept" }
      )
      const [pinned, quietTag] = yield* Effect.flatMap(Prompts, (prompts) =>
        Effect.all([prompts.get("greeting", { version: "1.5.0" }), prompts.get("greeting", { tag: "staging" })])).pipe(
          Effect.provide(layer)
        )
      assert.strictEqual(pinned.version, "2.0.0")
      assert.strictEqual(pinned.warning, fallbackWarning)
      // No warning from Basalt, but the tag differs: the caller is still told.
      assert.strictEqual(quietTag.warning, "Basalt answered version 2.0.0 (tag production) instead of the tag staging asked for")
    }))

  it.effect("a tag that resolved is kept on the prompt even when Basalt omits it", () =>
    Effect.gen(function*() {
      const { layer } = promptsWith(() => json(200, promptResponse({ tag: null })))
      const prompt = yield* Effect.flatMap(Prompts, (prompts) => prompts.get("greeting", { tag: "staging" })).pipe(
        Effect.provide(layer)
      )
      assert.strictEqual(prompt.tag, "staging")
      assert.strictEqual(prompt.warning, undefined)
    }))

  it.effect("a 404 keeps Basalt's text", () =>
    Effect.gen(function*() {
      const { layer } = promptsWith(() => json(404, { error: "No production version found. Please check on the app." }))
      const error = yield* Effect.flip(Effect.flatMap(Prompts, (prompts) => prompts.get("x")).pipe(Effect.provide(layer)))
      assert.strictEqual(error._tag, "NotFound")
      assert.strictEqual(error.description, "No production version found. Please check on the app.")
    }))

  it.effect("list is a stream of summaries, scoped to a feature; slug-less prompts are skipped", () =>
    Effect.gen(function*() {
      const { captured, layer } = promptsWith(() =>
        json(200, {
          prompts: [
            {
              slug: "greeting",
              name: "Greeting",
              status: "live",
              description: "Says hi",
              availableVersions: ["1.0.0", "1.0.1"],
              availableTags: ["production", "latest"]
            },
            { slug: null, name: "Draft", status: "draft", availableVersions: [], availableTags: [] }
          ]
        })
      )
      const listed = yield* Effect.flatMap(Prompts, (prompts) => Stream.runCollect(prompts.list({ scope: "faq" }))).pipe(
        Effect.provide(layer),
        Effect.map(Chunk.toReadonlyArray)
      )
      assert.strictEqual(captured[0]!.url.search, "?featureSlug=faq")
      assert.strictEqual(listed.length, 1)
      assert.strictEqual(listed[0]!.slug, "greeting")
      assert.strictEqual(listed[0]!.name, "Greeting")
      assert.strictEqual(listed[0]!.description, "Says hi")
      assert.deepStrictEqual(listed[0]!.tags, ["production"]) // `latest` is implicit, never a deployment tag
    }))

  it.effect("the fetched prompt renders with Basalt's Jinja semantics", () =>
    Effect.gen(function*() {
      const { layer } = promptsWith(() =>
        json(200, promptResponse({ text: "Hi {{ name | upper }}{% if vip %} (VIP){% endif %}", systemText: "Be {{ tone }}." }))
      )
      const prompt = yield* Effect.flatMap(Prompts, (prompts) => prompts.get("greeting")).pipe(Effect.provide(layer))
      const rendered = yield* Prompt.render(prompt, { name: "ada", vip: true, tone: "kind" })
      assert.deepStrictEqual(rendered.messages, [
        { role: "system", content: "Be kind." },
        { role: "user", content: "Hi ADA (VIP)" }
      ])
      assert.strictEqual(rendered.model?.name, "gpt-4o")
    }))
})

describe("BasaltPromptsExtra", () => {
  it.effect("describe: variables, versions, tags and Basalt's warning", () =>
    Effect.gen(function*() {
      const { captured, layer } = promptsWith(() =>
        json(200, {
          warning: "Both version and tag were provided. Ignoring the tag.",
          prompt: {
            slug: "greeting",
            name: "Greeting",
            status: "live",
            description: null,
            availableVersions: ["1.0.0"],
            availableTags: ["production"],
            variables: [{ label: "name", type: "string", description: "Who to greet" }, { label: "tone", type: "string" }]
          }
        })
      )
      const description = yield* Effect.flatMap(
        BasaltPromptsExtra.BasaltPromptsExtra,
        (extra) => extra.describe("greeting", { version: "1.0.0", tag: "production" })
      ).pipe(Effect.provide(layer))
      assert.strictEqual(captured[0]!.url.pathname, "/prompts/greeting/describe")
      assert.deepStrictEqual(description.variables, [
        { name: "name", type: "string", description: "Who to greet" },
        { name: "tone", type: "string" }
      ])
      assert.deepStrictEqual(description.versions, ["1.0.0"])
      assert.strictEqual(description.description, undefined)
      assert.strictEqual(description.warning, "Both version and tag were provided. Ignoring the tag.")
    }))

  it.effect("publish moves a tag (201)", () =>
    Effect.gen(function*() {
      const { captured, layer } = promptsWith(() =>
        json(201, { deploymentTag: { id: "123e4567-e89b-12d3-a456-426614174000", label: "production" } })
      )
      const tag = yield* Effect.flatMap(
        BasaltPromptsExtra.BasaltPromptsExtra,
        (extra) => extra.publish("greeting", { newTag: "production", version: "1.0.1" })
      ).pipe(Effect.provide(layer))
      assert.deepStrictEqual(tag, { id: "123e4567-e89b-12d3-a456-426614174000", label: "production" })
      assert.strictEqual(captured[0]!.method, "POST")
      assert.strictEqual(captured[0]!.url.pathname, "/prompts/greeting/publish")
      assert.deepStrictEqual(captured[0]!.json, { newTag: "production", version: "1.0.1" })
    }))

  it.effect("publish with an empty tag is InvalidInput, before any request", () =>
    Effect.gen(function*() {
      const { captured, layer } = promptsWith(() => json(201, {}))
      const error = yield* Effect.flip(
        Effect.flatMap(BasaltPromptsExtra.BasaltPromptsExtra, (extra) => extra.publish("greeting", { newTag: "" })).pipe(
          Effect.provide(layer)
        )
      )
      assert.strictEqual(error._tag, "InvalidInput")
      assert.strictEqual(captured.length, 0)
    }))
})
