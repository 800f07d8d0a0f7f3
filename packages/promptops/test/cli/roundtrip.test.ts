/**
 * A tool-calling prompt with tags round-trips pull → migrate → push, end to
 * end: the built `promptops` executable (run `npx tsup` in packages/promptops
 * first) spawned against two Braintrust emulators and a local backend.
 *
 * The prompt has an assistant message with `tool_calls`, a tool message with
 * its `tool_call_id`, tools, a JSON-schema response format and a tool choice;
 * its latest version is in the `production` and `canary` environments and an
 * older one in `staging`.
 *
 * 1. `prompts pull` writes a file with both versions and the three tags.
 * 2. `migrate braintrust → local --apply` copies the latest version with its
 *    two tags (and says the older `staging` stays behind).
 * 3. `prompts push` of the pulled file back is a no-op: no write, the file
 *    and the vendor unchanged.
 * 4. `prompts push` of the migrated local file to a second Braintrust puts
 *    the same prompt there, in the same environments; pulled back, it is the
 *    same file content.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import type { PromptDraft } from "@promptops/core/Prompt"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import { Prompts } from "@promptops/core/Prompts"
import * as Braintrust from "@promptops/braintrust/Braintrust"
import { BraintrustEmulator } from "@promptops/emulators"
import * as PromptFile from "@promptops/local/PromptFile"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Effect, Either, Layer, Redacted } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as SpawnCli from "./spawnCli.js"
import { outputs, type Run } from "./spawnCli.js"


const key = "bt-roundtrip-secret-key-0123456789"
const project = "roundtrip-e2e"
const source = await BraintrustEmulator.start({ apiKeys: [key] })
const target = await BraintrustEmulator.start({ apiKeys: [key] })
const cwd = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "promptops-roundtrip-"))

afterAll(async () => {
  await Promise.all([source.close(), target.close()])
  NodeFs.rmSync(cwd, { recursive: true, force: true })
})

/** `promptops <args>` against the emulator `apiUrl`. */
const cli = (args: ReadonlyArray<string>, apiUrl: string): Effect.Effect<Run> =>
  SpawnCli.cli(cwd, args, { env: { BRAINTRUST_API_KEY: key, BRAINTRUST_API_URL: apiUrl, BRAINTRUST_PROJECT: project } })

const layerOn = (apiUrl: string) =>
  Braintrust.layer({ apiKey: Redacted.make(key), apiUrl, project }).pipe(Layer.provide(FetchHttpClient.layer))

const older: PromptDraft = {
  slug: "support",
  name: "Support agent",
  description: "Answers order questions",
  templateFormat: "mustache",
  model: { name: "gpt-4o-mini", params: { temperature: 0.5 } },
  messages: [{ role: "user", content: "Where is order {{order}}?" }],
  tag: "staging"
}

const toolCalling: PromptDraft = {
  slug: "support",
  name: "Support agent",
  description: "Answers order questions",
  templateFormat: "mustache",
  model: {
    name: "gpt-4o-mini",
    params: {
      temperature: 0,
      maxTokens: 256,
      tools: [{
        type: "function",
        function: {
          name: "lookup_order",
          description: "Looks an order up",
          parameters: { type: "object", properties: { order: { type: "string" } }, required: ["order"] }
        }
      }],
      toolChoice: "auto",
      responseFormat: {
        type: "json_schema",
        json_schema: { name: "answer", schema: { type: "object", properties: { reply: { type: "string" } } } }
      }
    }
  },
  messages: [
    { role: "system", content: "You help customers of {{company}}." },
    { role: "user", content: "Where is order {{order}}?" },
    {
      role: "assistant",
      content: "",
      toolCalls: [{ id: "call_{{order}}", name: "lookup_order", arguments: "{\"order\":\"{{order}}\"}" }]
    },
    { role: "tool", content: "{\"status\":\"shipped\"}", toolCallId: "call_{{order}}" }
  ],
  tags: ["production", "canary"]
}

const seeded = await Effect.runPromise(
  Effect.gen(function*() {
    const registry = yield* PromptRegistry
    const first = yield* registry.push(older)
    const second = yield* registry.push(toolCalling)
    return { older: first.version, latest: second.version }
  }).pipe(Effect.provide(layerOn(source.url)))
)

/** What a Braintrust holds of the prompt: its latest version's stored object, and each environment's version. */
const held = (apiUrl: string) =>
  Effect.gen(function*() {
    const prompts = yield* Prompts
    const latest = yield* prompts.get("support")
    const raw = latest.source.raw as Record<string, unknown>
    const environments: Record<string, string> = {}
    for (const tag of ["canary", "production", "staging"]) {
      const found = yield* prompts.get("support", { tag }).pipe(Effect.option)
      if (found._tag === "Some") environments[tag] = found.value.version
    }
    return {
      version: latest.version,
      stored: { name: raw["name"], slug: raw["slug"], description: raw["description"], prompt_data: raw["prompt_data"] },
      environments
    }
  }).pipe(Effect.provide(layerOn(apiUrl)))

const readFile = (path: string): PromptFile.PromptFile =>
  Either.getOrThrow(PromptFile.parse(NodeFs.readFileSync(path, "utf8"), path))

/** A version without its vendor-assigned id and time: its content. */
const content = (version: PromptFile.PromptVersion) => {
  const { createdAt: _createdAt, version: _version, ...rest } = version
  return rest
}

const isWrite = (request: { readonly method: string; readonly path: string }): boolean =>
  request.method !== "GET" && !request.path.endsWith("/fetch")

const timeout = { timeout: 180_000 }

describe("a tool-calling prompt with tags", () => {
  it.live("round-trips pull → migrate → push unchanged", () =>
    Effect.gen(function*() {
      const before = yield* held(source.url)
      assert.strictEqual(before.version, seeded.latest)
      assert.deepStrictEqual(before.environments, {
        canary: seeded.latest,
        production: seeded.latest,
        staging: seeded.older
      })

      // 1. pull: both versions, the three tags, every tool-calling field.
      const pull = yield* cli(["prompts", "pull", "--provider", "braintrust", "--dir", "pulled"], source.url)
      assert.strictEqual(pull.code, 0, pull.stderr)
      const pulledPath = NodePath.join(cwd, "pulled", "support.json")
      const pulledText = NodeFs.readFileSync(pulledPath, "utf8")
      const pulled = readFile(pulledPath)
      assert.strictEqual(pulled.name, "Support agent")
      assert.strictEqual(pulled.description, "Answers order questions")
      assert.deepStrictEqual(pulled.tags, { canary: seeded.latest, production: seeded.latest, staging: seeded.older })
      assert.deepStrictEqual(pulled.versions.map((version) => version.version), [seeded.older, seeded.latest])
      assert.deepStrictEqual(content(pulled.versions[1]!), {
        templateFormat: toolCalling.templateFormat,
        model: toolCalling.model,
        messages: toolCalling.messages
      })
      assert.deepStrictEqual(content(pulled.versions[0]!), {
        templateFormat: older.templateFormat,
        model: older.model,
        messages: older.messages
      })

      // 2. migrate to local: the latest version with the tags on it; the older tag is named, not copied.
      const migrate = yield* cli(["migrate", "--from", "braintrust", "--to", "local", "--what", "prompts", "--apply"], source.url)
      assert.strictEqual(migrate.code, 0, migrate.stderr)
      assert.include(migrate.stdout, `+ support  created from version ${seeded.latest} → version 1 (tags canary, production)`)
      assert.include(
        migrate.stdout,
        `! support  tag staging (version ${seeded.older}) not migrated: only the latest version (${seeded.latest}) is copied`
      )
      const localPath = NodePath.join(cwd, ".promptops", "prompts", "support.json")
      const migrated = readFile(localPath)
      assert.strictEqual(migrated.name, "Support agent")
      assert.strictEqual(migrated.description, "Answers order questions")
      assert.deepStrictEqual(migrated.tags, { canary: "1", production: "1" })
      assert.deepStrictEqual(migrated.versions.map(content), [content(pulled.versions[1]!)])

      // 3. push the pulled file back: nothing to do, nothing written, nothing changed.
      const mark = source.requests.length
      const pushBack = yield* cli(["prompts", "push", "--provider", "braintrust", "--dir", "pulled"], source.url)
      assert.strictEqual(pushBack.code, 0, pushBack.stderr)
      assert.include(pushBack.stdout, `= support  unchanged (version ${seeded.latest})`)
      assert.notInclude(pushBack.stdout, "!")
      assert.deepStrictEqual(source.requests.slice(mark).filter(isWrite).map((r) => `${r.method} ${r.path}`), [])
      assert.strictEqual(NodeFs.readFileSync(pulledPath, "utf8"), pulledText)
      assert.deepStrictEqual(yield* held(source.url), before)
      // Pulling again changes nothing either.
      const again = yield* cli(["prompts", "pull", "--provider", "braintrust", "--dir", "pulled"], source.url)
      assert.strictEqual(again.code, 0, again.stderr)
      assert.include(again.stdout, "= support  unchanged")
      assert.strictEqual(NodeFs.readFileSync(pulledPath, "utf8"), pulledText)

      // 4. push the migrated file to another Braintrust: the same prompt, in the same environments.
      const push = yield* cli(["prompts", "push", "--provider", "braintrust", "--dir", ".promptops/prompts"], target.url)
      assert.strictEqual(push.code, 0, push.stderr)
      assert.match(push.stdout, /\+ support {2}pushed as version \d+ \(tags canary, production\)/)
      const after = yield* held(target.url)
      assert.deepStrictEqual(after.stored, before.stored)
      assert.deepStrictEqual(after.environments, { canary: after.version, production: after.version })
      const repull = yield* cli(["prompts", "pull", "--provider", "braintrust", "--dir", "repulled"], target.url)
      assert.strictEqual(repull.code, 0, repull.stderr)
      const repulled = readFile(NodePath.join(cwd, "repulled", "support.json"))
      assert.strictEqual(repulled.name, pulled.name)
      assert.strictEqual(repulled.description, pulled.description)
      assert.deepStrictEqual(repulled.tags, { canary: after.version, production: after.version })
      assert.deepStrictEqual(repulled.versions.map(content), [content(pulled.versions[1]!)])
      // And pushing that back is a no-op too.
      const markTarget = target.requests.length
      const pushAgain = yield* cli(["prompts", "push", "--provider", "braintrust", "--dir", "repulled"], target.url)
      assert.strictEqual(pushAgain.code, 0, pushAgain.stderr)
      assert.include(pushAgain.stdout, "= support  unchanged")
      assert.deepStrictEqual(target.requests.slice(markTarget).filter(isWrite).map((r) => `${r.method} ${r.path}`), [])
    }), timeout)
})

describe("after every command", () => {
  it("the emulators saw only valid requests, and no output held the API key", () => {
    for (const emulator of [source, target]) {
      assert.deepStrictEqual(emulator.violations, [])
      assert.deepStrictEqual(emulator.rejections, [])
    }
    for (const run of outputs) {
      assert.notInclude(run.stdout, key)
      assert.notInclude(run.stderr, key)
    }
  })
})
