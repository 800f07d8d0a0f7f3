#!/usr/bin/env node
/**
 * Regenerates `specs/anthropic-messages.json`: an OpenAPI 3.1 description of `POST /v1/messages` built from the
 * Effect schemas `@effect/ai-anthropic` generated from Anthropic's OpenAPI file (`dist/esm/Generated.js`).
 * Anthropic publishes no OpenAPI file we can fetch offline; these schemas are the closest machine-readable form
 * of its documented contract, and they are exactly what `@effect/ai-anthropic` encodes and decodes.
 *
 * Request body: `BetaCreateMessageParams` (what `@effect/ai-anthropic` sends, to `/v1/messages?beta=true`);
 * `CreateMessageParams` is kept as a component and checked by the emulator for requests without `?beta=true`.
 * Responses: 200 `BetaMessage`, 4XX/5XX `BetaErrorResponse`; stream events: `MessageStreamEvent` (from
 * `AnthropicClient.js`, the schema `@effect/ai-anthropic` decodes each SSE `data` with).
 *
 * Usage (from the repository root, where `@effect/ai-anthropic` is installed):
 *   node packages/emulators/scripts/anthropic-messages-spec.mjs
 */
import { readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

const Generated = await import("@effect/ai-anthropic/Generated")
const Client = await import("@effect/ai-anthropic/AnthropicClient")
const { JSONSchema } = await import("effect")
const require = createRequire(import.meta.url)
const version = JSON.parse(readFileSync(require.resolve("@effect/ai-anthropic/package.json"), "utf8")).version

const names = ["BetaCreateMessageParams", "CreateMessageParams", "BetaMessage", "Message", "BetaErrorResponse", "ErrorResponse"]
const definitions = {}
const schemas = {}
for (const name of names) {
  const schema = JSONSchema.fromAST(Generated[name].ast, {
    definitions,
    definitionPath: "#/components/schemas/",
    target: "openApi3.1"
  })
  // Top-level classes come back inline; keep them as named components so the emulator can refer to them.
  schemas[name] = schema
}
// The Server-Sent Events of `stream: true`, as `@effect/ai-anthropic` decodes them (`AnthropicClient.MessageStreamEvent`).
schemas["MessageStreamEvent"] = JSONSchema.fromAST(Client.MessageStreamEvent.ast, {
  definitions,
  definitionPath: "#/components/schemas/",
  target: "openApi3.1"
})
// Effect marks `Schema.Unknown` / `Schema.Object` with `$id: "/schemas/unknown"` and the like; repeated ids break
// a JSON Schema validator (one id, one schema), and they carry no constraint, so they are dropped.
const dropIds = (value) => {
  if (Array.isArray(value)) return value.map(dropIds)
  if (value === null || typeof value !== "object") return value
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== "$id").map(([key, inner]) => [key, dropIds(inner)]))
}
// A tool's `input_schema` is a JSON Schema: Anthropic's own file leaves it open (`additionalProperties: true`),
// but Effect's struct for it comes out closed, which would refuse `additionalProperties`, `description`, `$defs`
// and every other JSON Schema keyword a client sends. Re-open it.
const openInputSchemas = (value) => {
  if (Array.isArray(value)) return value.map(openInputSchemas)
  if (value === null || typeof value !== "object") return value
  const out = Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, openInputSchemas(inner)]))
  const props = out.properties
  if (props && typeof props === "object" && props.input_schema && typeof props.input_schema === "object") {
    props.input_schema = { ...props.input_schema, additionalProperties: true }
  }
  return out
}
// `AnthropicClient`'s classes are named `@effect/ai-anthropic/PingEvent`: drop the prefix (no name clashes with
// `Generated`'s) so the components and their `$ref`s read plainly.
const PREFIX = "@effect/ai-anthropic/"
const plain = (name) => (name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name)
const renameRefs = (value) => {
  if (Array.isArray(value)) return value.map(renameRefs)
  if (value === null || typeof value !== "object") return value
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [
    key,
    key === "$ref" && typeof inner === "string" ? inner.replace("@effect~1ai-anthropic~1", "") : renameRefs(inner)
  ]))
}
const merged = {}
for (const [name, schema] of Object.entries({ ...definitions, ...schemas })) {
  if (plain(name) in merged) throw new Error(`component name clash: ${plain(name)}`)
  merged[plain(name)] = schema
}
const components = renameRefs(openInputSchemas(dropIds(merged)))
const ref = (name) => ({ $ref: `#/components/schemas/${name}` })
const json = (name) => ({ content: { "application/json": { schema: ref(name) } } })

const document = {
  openapi: "3.1.0",
  info: {
    title: "Anthropic Messages API (derived)",
    version,
    description: `POST /v1/messages, derived from the Effect schemas of @effect/ai-anthropic ${version} (Generated.js), ` +
      "which that package generates from Anthropic's OpenAPI file. Not an Anthropic publication.",
    license: { name: "MIT", identifier: "MIT" }
  },
  servers: [{ url: "https://api.anthropic.com" }],
  paths: {
    "/v1/messages": {
      post: {
        operationId: "messagesPost",
        parameters: [{ name: "beta", in: "query", required: false, schema: { type: "string", enum: ["true"] } }],
        requestBody: { required: true, ...json("BetaCreateMessageParams") },
        responses: { "200": json("BetaMessage"), "4XX": json("BetaErrorResponse"), "5XX": json("BetaErrorResponse") }
      }
    }
  },
  components: { schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))) }
}

const out = fileURLToPath(new URL("../specs/anthropic-messages.json", import.meta.url))
writeFileSync(out, JSON.stringify(document, null, 2) + "\n")
console.log(`wrote ${out}: ${Object.keys(components).length} schemas from @effect/ai-anthropic ${version}`)
