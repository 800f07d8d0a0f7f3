#!/usr/bin/env node
/**
 * Regenerates `specs/openai-openapi.json`: the subset of OpenAI's official OpenAPI file
 * (https://github.com/openai/openai-openapi, `openapi.json`, MIT) that the OpenAI emulator serves.
 *
 * Keeps the operations of `/responses` and `/embeddings` and every component they reference, transitively
 * (schemas, responses, parameters, ...). The only change to the kept text: the paths get the `/v1` prefix of the
 * file's server URL (`https://api.openai.com/v1`), because the emulator matches the request's full path, and
 * `servers` becomes the bare host to match, and every `oneOf` becomes `anyOf`. The file's `oneOf` branches overlap
 * (a documented user message `{role, content: [{type: "input_text", text}]}` is both an `EasyInputMessage` and an
 * `InputMessage`), so strict JSON Schema `oneOf` would reject the examples of OpenAI's own docs; the service
 * accepts a value that matches any branch. Everything else is copied unchanged.
 *
 * Usage: node scripts/openai-openapi-subset.mjs <path to upstream openapi.json> [commit]
 *   e.g. git clone https://github.com/openai/openai-openapi && cp openai-openapi/openapi.json /tmp/openai.json
 *        node scripts/openai-openapi-subset.mjs /tmp/openai.json "$(git -C openai-openapi rev-parse HEAD)"
 */
import { readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const KEPT_PATHS = ["/responses", "/embeddings"]
const PREFIX = "/v1"

const [, , input, commit] = process.argv
if (!input) {
  console.error("usage: node scripts/openai-openapi-subset.mjs <openapi.json> [commit]")
  process.exit(2)
}
const document = JSON.parse(readFileSync(input, "utf8"))

const kept = new Map() // "section/name" -> true
const queue = []
const collect = (value) => {
  if (Array.isArray(value)) {
    for (const item of value) collect(item)
  } else if (value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      if (key === "$ref" && typeof inner === "string") {
        const m = /^#\/components\/([^/]+)\/(.+)$/.exec(inner)
        if (!m) throw new Error(`unsupported $ref ${inner}`)
        const id = `${m[1]}/${m[2].replace(/~1/g, "/").replace(/~0/g, "~")}`
        if (!kept.has(id)) {
          kept.set(id, true)
          queue.push(id)
        }
      } else collect(inner)
    }
  }
}

/** `oneOf` → `anyOf`, everywhere (see the header). */
const relax = (value) => {
  if (Array.isArray(value)) return value.map(relax)
  if (value === null || typeof value !== "object") return value
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key === "oneOf" ? "anyOf" : key, relax(inner)]))
}

const paths = {}
for (const path of KEPT_PATHS) {
  const item = document.paths[path]
  if (!item) throw new Error(`upstream file has no path ${path}`)
  paths[PREFIX + path] = relax(item)
  collect(item)
}
// Security schemes are named by the top-level `security`, not by `$ref`.
for (const requirement of document.security ?? []) {
  for (const name of Object.keys(requirement)) kept.set(`securitySchemes/${name}`, true)
}
while (queue.length > 0) {
  const [section, ...rest] = queue.shift().split("/")
  const value = document.components?.[section]?.[rest.join("/")]
  if (value === undefined) throw new Error(`dangling $ref #/components/${section}/${rest.join("/")}`)
  collect(value)
}

const components = {}
for (const id of [...kept.keys()].sort()) {
  const [section, ...rest] = id.split("/")
  const name = rest.join("/")
  components[section] ??= {}
  components[section][name] = relax(document.components[section][name])
}

const subset = {
  openapi: document.openapi,
  info: {
    ...document.info,
    "x-promptops-subset": {
      source: "https://github.com/openai/openai-openapi/blob/master/openapi.json",
      ...(commit ? { commit } : {}),
      paths: KEPT_PATHS,
      note: "paths prefixed with /v1 (the server URL's path); oneOf turned into anyOf; everything else copied unchanged"
    }
  },
  servers: [{ url: "https://api.openai.com" }],
  security: document.security,
  paths,
  components
}

const out = fileURLToPath(new URL("../specs/openai-openapi.json", import.meta.url))
writeFileSync(out, JSON.stringify(subset, null, 2) + "\n")
const count = Object.values(components).reduce((n, section) => n + Object.keys(section).length, 0)
console.log(`wrote ${out}: ${Object.keys(paths).length} paths, ${count} components`)
