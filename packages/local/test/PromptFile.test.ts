import * as fs from "node:fs"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import type { Prompt, PromptDraft } from "@promptops/core/Prompt"
import { Effect, Either, FastCheck as fc, Option } from "effect"
import { syntaxErrorOffset } from "../src/internal/json.js"
import * as PromptFile from "../src/PromptFile.js"

const root = fs.mkdtempSync(Path.join(tmpdir(), "promptops-local-promptfile-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
let dirs = 0
const freshDir = () => Path.join(root, `d${++dirs}`)

const sample: PromptFile.PromptFile = {
  slug: "support-answer",
  name: "Support answer",
  tags: { staging: "2", production: "1" },
  versions: [
    {
      version: "1",
      createdAt: "2026-11-22T10:00:00.000Z",
      templateFormat: "mustache",
      model: { provider: "openai", name: "gpt-4o-mini", params: { temperature: 0 } },
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Q: {{question}}" }]
    },
    {
      version: "2",
      templateFormat: "mustache",
      messages: [{ role: "user", content: [{ type: "text", text: "Q: {{question}}" }, { type: "image_url", url: "{{img}}" }] }],
      variables: [{ name: "question", type: "string" }]
    }
  ]
}

const expectedText = `{
  "slug": "support-answer",
  "name": "Support answer",
  "tags": {
    "production": "1",
    "staging": "2"
  },
  "versions": [
    {
      "version": "1",
      "createdAt": "2026-11-22T10:00:00.000Z",
      "templateFormat": "mustache",
      "model": {
        "provider": "openai",
        "name": "gpt-4o-mini",
        "params": {
          "temperature": 0
        }
      },
      "messages": [
        {
          "role": "system",
          "content": "Be brief."
        },
        {
          "role": "user",
          "content": "Q: {{question}}"
        }
      ]
    },
    {
      "version": "2",
      "templateFormat": "mustache",
      "messages": [
        {
          "role": "user",
          "content": [
            {
              "type": "text",
              "text": "Q: {{question}}"
            },
            {
              "type": "image_url",
              "url": "{{img}}"
            }
          ]
        }
      ],
      "variables": [
        {
          "name": "question",
          "type": "string"
        }
      ]
    }
  ]
}
`

const parseError = (text: string, path = "prompts/p.json") => {
  const result = PromptFile.parse(text, path)
  if (Either.isRight(result)) return assert.fail("expected a DecodeError")
  assert.strictEqual(result.left._tag, "DecodeError")
  return result.left
}

describe("PromptFile format", () => {
  it("formats with 2-space indent, fixed key order, sorted tags and a trailing newline", () => {
    assert.strictEqual(PromptFile.format(sample), expectedText)
  })

  it("the same file in another key order formats to the same bytes", () => {
    const shuffled = JSON.parse(JSON.stringify(sample), (_key, value) =>
      typeof value === "object" && value !== null && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).reverse())
        : value)
    const parsed = Either.getOrThrow(PromptFile.parse(JSON.stringify(shuffled), "x.json"))
    assert.strictEqual(PromptFile.format(parsed), expectedText)
  })

  it("parse(format(file)) is the file", () => {
    assert.deepStrictEqual(Either.getOrThrow(PromptFile.parse(PromptFile.format(sample), "p.json")), sample)
  })

  it("tool calls, tool call ids, file parts, vendor parameters and nunjucks survive format and parse", () => {
    const file: PromptFile.PromptFile = {
      slug: "tools",
      tags: {},
      versions: [{
        version: "1",
        templateFormat: "nunjucks",
        model: { name: "m", params: { vendor: { use_cache: false } } },
        messages: [
          { role: "assistant", content: "", toolCalls: [{ id: "call_{{ n }}", name: "f", arguments: "{}" }] },
          { role: "tool", content: "ok", toolCallId: "call_{{ n }}" },
          { role: "user", content: [{ type: "file", data: "data:x", fileId: "f1", filename: "a.pdf" }] }
        ]
      }]
    }
    const text = PromptFile.format(file)
    assert.include(text, `"toolCallId": "call_{{ n }}"`)
    assert.include(text, `"fileId": "f1"`)
    assert.deepStrictEqual(Either.getOrThrow(PromptFile.parse(text, "tools.json")), file)
  })

  it("a tag or model parameter named __proto__ survives parse and format", () => {
    const text = `{"slug":"a","tags":{"__proto__":"1"},"versions":[{"version":"1","templateFormat":"none",` +
      `"model":{"name":"m","params":{"extra":{"__proto__":{"x":1}}}},"messages":[]}]}`
    const file = Either.getOrThrow(PromptFile.parse(text, "a.json"))
    assert.deepStrictEqual(Object.entries(file.tags), [["__proto__", "1"]])
    assert.strictEqual(JSON.stringify(file.versions[0]!.model!.params.extra), '{"__proto__":{"x":1}}')
    const again = Either.getOrThrow(PromptFile.parse(PromptFile.format(file), "a.json"))
    assert.strictEqual(PromptFile.format(again), PromptFile.format(file))
    assert.include(PromptFile.format(file), '"__proto__": "1"')
  })

  it("tags may be left out of a hand-written file", () => {
    const file = Either.getOrThrow(PromptFile.parse(
      JSON.stringify({ slug: "a", versions: [{ version: "1", templateFormat: "none", messages: [] }] }),
      "a.json"
    ))
    assert.deepStrictEqual(file.tags, {})
  })
})

describe("PromptFile parse errors name the file and the JSON path", () => {
  it("invalid JSON: file, line and column", () => {
    const error = parseError("{\n  \"slug\": \"a\",\n  \"versions\": [,]\n}")
    assert.match(error.path, /^prompts\/p\.json:3:\d+$/)
    assert.include(error.description, "prompts/p.json")
  })

  it("the syntax error locator agrees with JSON.parse", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, cut) => {
        const text = JSON.stringify(value, null, cut % 3)
        assert.isUndefined(syntaxErrorOffset(text))
        const broken = text.slice(0, cut % (text.length + 1)) + "}"
        let valid = true
        try {
          JSON.parse(broken)
        } catch {
          valid = false
        }
        assert.strictEqual(syntaxErrorOffset(broken) === undefined, valid)
      }),
      { numRuns: 500 }
    )
    assert.strictEqual(syntaxErrorOffset("[1,]"), 3)
    assert.strictEqual(syntaxErrorOffset("{\"a\" 1}"), 5)
    assert.strictEqual(syntaxErrorOffset("{\"a\":1"), 6)
  })

  it("a bad role: the path down to the field", () => {
    const text = PromptFile.format(sample).replace("\"role\": \"system\"", "\"role\": \"bot\"")
    const error = parseError(text)
    assert.strictEqual(error.path, "prompts/p.json:versions[0].messages[0].role")
    assert.include(error.description, "bot")
  })

  it("an unknown key is an error, not silently dropped", () => {
    const text = PromptFile.format(sample).replace("\"temperature\": 0", "\"temprature\": 0")
    const error = parseError(text)
    assert.strictEqual(error.path, "prompts/p.json:versions[0].model.params.temprature")
  })

  it("a missing field, no versions, a repeated version, a tag on a missing version", () => {
    assert.strictEqual(parseError(JSON.stringify({ versions: [] })).path, "prompts/p.json:slug")
    assert.strictEqual(parseError(JSON.stringify({ slug: "a", versions: [] })).path, "prompts/p.json:versions")
    const twice = { ...sample, versions: [sample.versions[0]!, sample.versions[0]!] }
    assert.strictEqual(parseError(JSON.stringify(twice)).path, "prompts/p.json:versions[1].version")
    const dangling = { ...sample, tags: { "the prod": "9" } }
    const error = parseError(JSON.stringify(dangling))
    assert.strictEqual(error.path, "prompts/p.json:tags[\"the prod\"]")
    assert.include(error.description, "\"9\"")
  })
})

// JSON values that survive a JSON round trip unchanged (no -0, no undefined).
const json: fc.Arbitrary<unknown> = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)))
const text = fc.string({ unit: "grapheme", maxLength: 40 })
const optional = <A>(arb: fc.Arbitrary<A>) => fc.option(arb, { nil: undefined })
const message = fc.record({
  role: fc.constantFrom("system", "user", "assistant", "tool", "developer"),
  content: fc.oneof(
    text,
    fc.array(
      fc.oneof(
        fc.record({ type: fc.constant("text"), text }),
        fc.record(
          { type: fc.constant("image_url"), url: text, detail: fc.constantFrom("auto", "low", "high") },
          { requiredKeys: ["type", "url"] }
        )
      ),
      { maxLength: 3 }
    )
  ),
  name: text
}, { requiredKeys: ["role", "content"] })
const model = fc.record({
  provider: text,
  name: text,
  params: fc.record({
    temperature: fc.double({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }).filter((n) => !Object.is(n, -0)),
    maxTokens: fc.nat(),
    stop: fc.array(text, { maxLength: 3 }),
    responseFormat: json,
    tools: fc.array(json, { maxLength: 2 }),
    extra: fc.dictionary(text, json, { maxKeys: 3 })
  }, { requiredKeys: [] })
}, { requiredKeys: ["name", "params"] })
const version = (id: string) =>
  fc.record({
    version: fc.constant(id),
    createdAt: optional(fc.date({ noInvalidDate: true }).map((date) => date.toISOString())),
    templateFormat: fc.constantFrom("mustache", "jinja", "none"),
    model: optional(model),
    messages: fc.array(message, { maxLength: 4 }),
    variables: optional(fc.array(fc.record({ name: text, type: text }, { requiredKeys: ["name"] }), { maxLength: 3 }))
  }).map((entry) => JSON.parse(JSON.stringify(entry)) as PromptFile.PromptVersion)
const promptFile: fc.Arbitrary<PromptFile.PromptFile> = fc.uniqueArray(fc.oneof(fc.nat().map(String), text.filter((s) => s !== "")), {
  minLength: 1,
  maxLength: 4
}).chain((ids) =>
  fc.record({
    slug: text.filter((s) => s !== ""),
    name: optional(text),
    description: optional(text),
    tags: fc.dictionary(text.filter((s) => s.trim() !== ""), fc.constantFrom(...ids), { maxKeys: 3 }),
    versions: fc.tuple(...ids.map(version))
  }).map((file) => JSON.parse(JSON.stringify(file)) as PromptFile.PromptFile)
)

describe("PromptFile properties", () => {
  it("format → parse is the identity, and formatting is stable", () => {
    fc.assert(
      fc.property(promptFile, (file) => {
        const formatted = PromptFile.format(file)
        const parsed = PromptFile.parse(formatted, "p.json")
        assert.isTrue(Either.isRight(parsed), Either.isLeft(parsed) ? parsed.left.message : "")
        const back = Either.getOrThrow(parsed)
        assert.deepStrictEqual(back, file)
        assert.strictEqual(PromptFile.format(back), formatted)
        assert.isTrue(formatted.endsWith("}\n"))
      }),
      { numRuns: 300 }
    )
  })

  it("every slug maps to a distinct file name without separators", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 1 }), fc.string({ unit: "binary", minLength: 1 }), (a, b) => {
        const name = PromptFile.fileName(a)
        assert.notMatch(name, /[/\\\0]/)
        assert.isFalse(name.startsWith("."))
        if (a !== b) assert.notStrictEqual(name, PromptFile.fileName(b))
      })
    )
    assert.strictEqual(PromptFile.fileName("support-answer_v2.x"), "support-answer_v2.x.json")
    assert.strictEqual(PromptFile.fileName("a/b c"), "a%2Fb%20c.json")
    assert.strictEqual(PromptFile.fileName(".hidden"), "%2Ehidden.json")
  })
})

const draft = (content: string, tag?: string): PromptDraft => ({
  slug: "greet",
  templateFormat: "mustache",
  messages: [{ role: "user", content }],
  ...(tag !== undefined ? { tag } : {})
})

describe("PromptFile versions", () => {
  it("addVersion: new versions, idempotent re-push of the latest, tags move", () => {
    const one = PromptFile.addVersion(undefined, draft("v1", "production"), { createdAt: "t1" })
    assert.deepStrictEqual([one.version, one.created, one.changed], ["1", true, true])
    assert.deepStrictEqual(one.file.tags, { production: "1" })
    const two = PromptFile.addVersion(one.file, draft("v2"))
    assert.deepStrictEqual([two.version, two.created], ["2", true])
    const again = PromptFile.addVersion(two.file, draft("v2"))
    assert.deepStrictEqual([again.version, again.created, again.changed], ["2", false, false])
    assert.strictEqual(again.file, two.file)
    const moved = PromptFile.addVersion(two.file, draft("v2", "production"))
    assert.deepStrictEqual([moved.version, moved.created, moved.changed], ["2", false, true])
    assert.deepStrictEqual(moved.file.tags, { production: "2" })
    // Same content as an older version is a new version (a revert).
    const revert = PromptFile.addVersion(moved.file, draft("v1"))
    assert.deepStrictEqual([revert.version, revert.created], ["3", true])
    assert.strictEqual(PromptFile.latest(revert.file).version, "3")
  })

  it("content comparison ignores key order; nextVersion handles 64-bit versions", () => {
    const withModel = (params: Record<string, unknown>): PromptDraft => ({
      ...draft("x"),
      model: { name: "m", params: { responseFormat: params } }
    })
    const first = PromptFile.addVersion(undefined, withModel({ a: 1, b: 2 }))
    assert.isFalse(PromptFile.addVersion(first.file, withModel({ b: 2, a: 1 })).created)
    const pulled: PromptFile.PromptFile = {
      slug: "bt",
      tags: {},
      versions: [{ version: "1000192656880881099", templateFormat: "none", messages: [] }]
    }
    assert.strictEqual(PromptFile.nextVersion(pulled), "1000192656880881100")
    assert.strictEqual(PromptFile.nextVersion(undefined), "1")
  })

  it("toPrompt: latest, pinned version, tag; NotFound otherwise", () => {
    const latest = Either.getOrThrow(PromptFile.toPrompt(sample))
    assert.strictEqual(latest.version, "2")
    assert.strictEqual(latest.source.provider, "local")
    assert.isUndefined(latest.tag)
    const byTag = Either.getOrThrow(PromptFile.toPrompt(sample, { tag: "production" }))
    assert.deepStrictEqual([byTag.version, byTag.tag, byTag.name], ["1", "production", "Support answer"])
    const pinned = Either.getOrThrow(PromptFile.toPrompt(sample, { version: "1", tag: "staging" }))
    assert.strictEqual(pinned.version, "1")
    assert.strictEqual(Either.flip(PromptFile.toPrompt(sample, { version: "7" })).pipe(Either.getOrThrow)._tag, "NotFound")
    assert.strictEqual(Either.flip(PromptFile.toPrompt(sample, { tag: "toString" })).pipe(Either.getOrThrow)._tag, "NotFound")
  })

  it("fromPrompts groups by slug, keeps version order and tags, and round-trips through toPrompt", () => {
    const prompt = (slug: string, version: string, content: string, tag?: string): Prompt => ({
      slug,
      version,
      templateFormat: "jinja",
      messages: [{ role: "user", content }],
      source: { provider: "braintrust" },
      ...(tag !== undefined ? { tag } : {})
    })
    const files = PromptFile.fromPrompts([
      prompt("a", "10", "a10", "production"),
      prompt("b", "1", "b1"),
      prompt("a", "11", "a11", "staging"),
      { ...prompt("a", "10", "a10 fixed"), name: "A" }
    ])
    assert.deepStrictEqual(files.map((file) => file.slug), ["a", "b"])
    const a = files[0]!
    assert.deepStrictEqual(a.versions.map((v) => v.version), ["10", "11"])
    assert.strictEqual(a.versions[0]!.messages[0]!.content, "a10 fixed")
    assert.deepStrictEqual(a.tags, { production: "10", staging: "11" })
    assert.strictEqual(a.name, "A")
    const back = Either.getOrThrow(PromptFile.toPrompt(a, { tag: "staging" }))
    assert.deepStrictEqual([back.version, back.messages[0]!.content], ["11", "a11"])
  })
})

describe("PromptFile directories", () => {
  it.effect("write is atomic and leaves no temporary file; read and readDir read it back", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const path = yield* PromptFile.write(dir, sample)
      assert.strictEqual(path, Path.join(dir, "support-answer.json"))
      assert.strictEqual(fs.readFileSync(path, "utf8"), expectedText)
      yield* PromptFile.write(dir, { ...sample, slug: "a/b" })
      assert.deepStrictEqual(fs.readdirSync(dir).sort(), ["a%2Fb.json", "support-answer.json"])
      fs.writeFileSync(Path.join(dir, "README.md"), "not a prompt")
      const files = yield* PromptFile.readDir(dir)
      assert.deepStrictEqual(files.map((file) => file.slug), ["a/b", "support-answer"])
      assert.deepStrictEqual(yield* PromptFile.read(dir, "support-answer"), Option.some(sample))
      assert.deepStrictEqual(yield* PromptFile.read(dir, "missing"), Option.none())
      assert.isTrue(yield* PromptFile.remove(dir, "a/b"))
      assert.isFalse(yield* PromptFile.remove(dir, "a/b"))
      assert.deepStrictEqual(yield* PromptFile.readDir(Path.join(dir, "nope")), [])
    }))

  it.effect("a file whose name does not match its slug, or that does not parse, fails readDir naming it", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      fs.mkdirSync(dir, { recursive: true })
      fs.writeFileSync(Path.join(dir, "other.json"), PromptFile.format(sample))
      const mismatch = yield* Effect.flip(PromptFile.readDir(dir))
      assert.strictEqual(mismatch._tag, "DecodeError")
      assert.include(mismatch.message, "support-answer.json")
      fs.rmSync(Path.join(dir, "other.json"))
      fs.writeFileSync(Path.join(dir, "broken.json"), "{")
      const broken = yield* Effect.flip(PromptFile.readDir(dir))
      assert.strictEqual(broken._tag, "DecodeError")
      assert.include(broken.message, Path.join(dir, "broken.json"))
    }))
})
