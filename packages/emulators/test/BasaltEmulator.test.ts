import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import * as BasaltEmulator from "../src/BasaltEmulator.js"
import { type Client, client } from "./helpers.js"

let handle: BasaltEmulator.BasaltEmulatorHandle
let api: Client
let now = Date.UTC(2026, 0, 1)

const prompts: ReadonlyArray<BasaltEmulator.SeedPrompt> = [
  {
    slug: "greeting",
    name: "Greeting",
    description: "Says hello",
    featureSlugs: ["support-bot"],
    versions: [
      { version: "1.0.0", text: "Hello {{ name }}", systemText: "You are {{ persona }}." },
      { version: "1.1.0", text: "Hi {{ name }}!" },
      { version: "2.0.0", text: "Hey {{name}}" }
    ],
    tags: { production: "1.0.0", staging: "1.1.0" }
  },
  { slug: "draft-only", versions: [{ version: "0.1.0", text: "wip" }], status: "draft" },
  { slug: "a/b c", versions: [{ version: "1", text: "odd slug" }], tags: { production: "1" } }
]

beforeAll(async () => {
  handle = await BasaltEmulator.start({
    apiKeys: ["key-1"],
    features: ["support-bot", "other-feature"],
    prompts,
    datasets: [
      {
        slug: "faq",
        name: "FAQ",
        columns: [{ name: "question", required: true }, "context", { name: "image", type: "image" }],
        rows: [{ values: { question: "Why?", context: "c" }, idealOutput: "Because", metadata: { source: "seed" } }]
      }
    ],
    now: () => now,
    uuid: (() => {
      let n = 0
      return () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`
    })()
  })
  api = client(handle)
})

afterEach(() => {
  handle.faults.clear()
  // Every answer the emulator sent respected the OpenAPI file.
  assert.deepStrictEqual(handle.violations, [])
})

afterAll(async () => {
  await handle.close()
})

describe("BasaltEmulator: prompts", () => {
  it("GET /prompts lists prompts, filtered by feature", async () => {
    const all = await api.get("/prompts")
    assert.strictEqual(all.status, 200)
    assert.deepStrictEqual(all.body.prompts.map((p: { slug: string }) => p.slug), ["greeting", "draft-only", "a/b c"])
    const filtered = await api.get("/prompts", { query: { featureSlug: "support-bot" } })
    assert.deepStrictEqual(filtered.body.prompts, [{
      slug: "greeting",
      name: "Greeting",
      status: "live",
      description: "Says hello",
      availableVersions: ["1.0.0", "1.1.0", "2.0.0"],
      availableTags: ["production", "staging", "latest"]
    }])
  })

  it("resolves version, tag, and production by default", async () => {
    const production = await api.get("/prompts/greeting")
    assert.strictEqual(production.status, 200)
    assert.deepStrictEqual(production.body.prompt, {
      slug: "greeting",
      version: "1.0.0",
      tag: "production",
      text: "Hello {{ name }}",
      systemText: "You are {{ persona }}.",
      model: {
        provider: "open-ai",
        client: "open-ai",
        model: "gpt-4o",
        version: "latest",
        parameters: { maxLength: 4096, responseFormat: "text", temperature: 0.7, topP: 1 }
      }
    })
    assert.strictEqual(production.body.warning, undefined)
    const pinned = await api.get("/prompts/greeting", { query: { version: "2.0.0" } })
    assert.strictEqual(pinned.body.prompt.version, "2.0.0")
    const staging = await api.get("/prompts/greeting", { query: { tag: "staging" } })
    assert.deepStrictEqual([staging.body.prompt.version, staging.body.prompt.tag], ["1.1.0", "staging"])
    const latest = await api.get("/prompts/greeting", { query: { tag: "latest" } })
    assert.strictEqual(latest.body.prompt.version, "2.0.0")
  })

  it("version wins over tag, with Basalt's warning", async () => {
    const both = await api.get("/prompts/greeting", { query: { version: "2.0.0", tag: "staging" } })
    assert.strictEqual(both.body.prompt.version, "2.0.0")
    assert.strictEqual(both.body.warning, BasaltEmulator.messages.bothGiven)
  })

  it("an unknown version or tag falls back to production with a 200 and a warning", async () => {
    const version = await api.get("/prompts/greeting", { query: { version: "9.9.9" } })
    assert.strictEqual(version.status, 200)
    assert.deepStrictEqual([version.body.prompt.version, version.body.prompt.tag], ["1.0.0", "production"])
    assert.strictEqual(version.body.warning, BasaltEmulator.messages.versionFallback)
    const tag = await api.get("/prompts/greeting", { query: { tag: "nope" } })
    assert.strictEqual(tag.body.prompt.version, "1.0.0")
    assert.strictEqual(tag.body.warning, BasaltEmulator.messages.tagFallback)
  })

  it("404s carry Basalt's texts", async () => {
    const unknown = await api.get("/prompts/missing")
    assert.strictEqual(unknown.status, 404)
    assert.deepStrictEqual(unknown.body, { error: "No prompt with slug \"missing\" exists." })
    const noProduction = await api.get("/prompts/draft-only")
    assert.deepStrictEqual(noProduction.body, { error: BasaltEmulator.messages.noProduction })
    const nothing = await api.get("/prompts/draft-only", { query: { version: "9" } })
    assert.deepStrictEqual(nothing.body, { error: BasaltEmulator.messages.nothingResolves })
  })

  it("slugs are percent-decoded", async () => {
    const odd = await api.get(`/prompts/${encodeURIComponent("a/b c")}`)
    assert.strictEqual(odd.status, 200)
    assert.strictEqual(odd.body.prompt.text, "odd slug")
  })

  it("describe lists the declared variables", async () => {
    const described = await api.get("/prompts/greeting/describe", { query: { tag: "production" } })
    assert.strictEqual(described.status, 200)
    assert.deepStrictEqual(described.body.prompt.variables, [
      { label: "persona", type: "string" },
      { label: "name", type: "string" }
    ])
    assert.deepStrictEqual(described.body.prompt.availableTags, ["production", "staging", "latest"])
  })

  it("publish moves a tag (201) and keeps its id", async () => {
    const first = await api.post("/prompts/greeting/publish", { newTag: "canary", version: "2.0.0" })
    assert.strictEqual(first.status, 201)
    assert.strictEqual(first.body.deploymentTag.label, "canary")
    const moved = await api.post("/prompts/greeting/publish", { newTag: "canary", tag: "staging" })
    assert.strictEqual(moved.body.deploymentTag.id, first.body.deploymentTag.id)
    const canary = await api.get("/prompts/greeting", { query: { tag: "canary" } })
    assert.strictEqual(canary.body.prompt.version, "1.1.0")
    const missing = await api.post("/prompts/greeting/publish", { newTag: "x", version: "7" })
    assert.strictEqual(missing.status, 404)
    const invalid = await api.post("/prompts/greeting/publish", { newTag: "" })
    assert.strictEqual(invalid.status, 400)
    assert.match(invalid.body.error, /newTag/)
  })
})

describe("BasaltEmulator: datasets and files", () => {
  it("lists and reads datasets with columns as objects", async () => {
    const listed = await api.get("/datasets")
    assert.deepStrictEqual(listed.body.datasets[0], {
      slug: "faq",
      name: "FAQ",
      columns: [{ name: "question", type: "text" }, { name: "context", type: "text" }, { name: "image", type: "image" }]
    })
    const read = await api.get("/datasets/faq")
    assert.deepStrictEqual(read.body.dataset.rows[0], {
      values: { question: "Why?", context: "c" },
      idealOutput: "Because",
      metadata: { source: "seed" }
    })
    const missing = await api.get("/datasets/nope")
    assert.deepStrictEqual([missing.status, missing.body], [404, { error: "Dataset not found" }])
  })

  it("adds rows with 201; unknown columns are dropped with a warning; required ones are checked", async () => {
    const added = await api.post("/datasets/faq/items", {
      values: { question: "How?", extra: "x", other: "y" },
      name: "row-1",
      metadata: { k: 1 }
    })
    assert.strictEqual(added.status, 201)
    assert.deepStrictEqual(added.body.datasetRow, { name: "row-1", values: { question: "How?" }, idealOutput: null, metadata: { k: 1 } })
    assert.strictEqual(added.body.warning, "The following columns do not exist in the dataset and were omitted: extra, other")
    const missing = await api.post("/datasets/faq/items", { values: { context: "only" } })
    assert.deepStrictEqual([missing.status, missing.body], [400, { error: "Missing required columns: question" }])
    const notStrings = await api.post("/datasets/faq/items", { values: { question: 1 } })
    assert.strictEqual(notStrings.status, 400)
    assert.isTrue(handle.rejections.some((rejection) => rejection.path === "/datasets/faq/items"))
  })

  it("uploads: a presigned URL on the loopback upload server, then the file key goes in an image column", async () => {
    const presigned = await api.post("/files/generate-upload-url", { fileName: "cat.png", contentType: "image/png", sizeBytes: 3 })
    assert.strictEqual(presigned.status, 200)
    const { fileKey, maxSizeBytes, uploadUrl } = presigned.body as { uploadUrl: string; fileKey: string; maxSizeBytes: number }
    assert.isTrue(uploadUrl.startsWith(`${handle.uploadUrl}/uploads/`))
    assert.notStrictEqual(new URL(uploadUrl).port, new URL(handle.url).port)
    assert.strictEqual(maxSizeBytes, 10 * 1024 * 1024)

    const notYet = await api.post("/datasets/faq/items", { values: { question: "img?", image: fileKey } })
    assert.strictEqual(notYet.status, 400)

    const withAuth = await fetch(uploadUrl, {
      method: "PUT",
      headers: { "content-type": "image/png", authorization: "Bearer key-1" },
      body: new Uint8Array([1, 2, 3])
    })
    assert.strictEqual(withAuth.status, 400)
    const wrongType = await fetch(uploadUrl, { method: "PUT", headers: { "content-type": "image/jpeg" }, body: new Uint8Array([1]) })
    assert.strictEqual(wrongType.status, 403)
    const ok = await fetch(uploadUrl, { method: "PUT", headers: { "content-type": "image/png" }, body: new Uint8Array([1, 2, 3]) })
    assert.strictEqual(ok.status, 200)
    assert.deepStrictEqual([...handle.store.files.get(fileKey)!.bytes], [1, 2, 3])

    const row = await api.post("/datasets/faq/items", { values: { question: "img?", image: fileKey } })
    assert.strictEqual(row.status, 201)
    assert.strictEqual(row.body.datasetRow.values.image, fileKey)
  })

  it("upload URLs expire; oversized files are refused", async () => {
    const presigned = await api.post("/files/generate-upload-url", { fileName: "a.txt", contentType: "text/plain" })
    now += 11 * 60 * 1000
    const late = await fetch(presigned.body.uploadUrl, { method: "PUT", headers: { "content-type": "text/plain" }, body: "x" })
    assert.strictEqual(late.status, 403)
    const big = await api.post("/files/generate-upload-url", { fileName: "a", contentType: "text/plain", sizeBytes: 11 * 1024 * 1024 })
    assert.strictEqual(big.status, 400)
    assert.match(big.body.error, /File too large/)
  })

  it("an unknown dataset is a 404 unless autoCreateDatasets is on", async () => {
    const refused = await api.post("/datasets/new-one/items", { values: { q: "x" } })
    assert.strictEqual(refused.status, 404)
    const auto = await BasaltEmulator.start({ apiKeys: ["k"], autoCreateDatasets: true })
    try {
      const created = await client(auto).post("/datasets/new-one/items", { values: { q: "x" } })
      assert.strictEqual(created.status, 201)
      assert.deepStrictEqual(auto.store.datasets.get("new-one")!.columns, [{ name: "q", type: "text", required: false }])
      assert.deepStrictEqual(auto.violations, [])
    } finally {
      await auto.close()
    }
  })
})

describe("BasaltEmulator: experiments and monitoring", () => {
  const log = (id: string, parentId: string | null, type = "span") => ({ id, type, name: id, parentId })

  it("experiments belong to a known feature and come back at the top level", async () => {
    const created = await api.post("/monitor/experiments", { featureSlug: "support-bot", name: "run" })
    assert.strictEqual(created.status, 200)
    assert.deepStrictEqual(Object.keys(created.body).sort(), ["createdAt", "featureSlug", "id", "name"])
    assert.strictEqual(created.body.createdAt, new Date(now).toISOString())
    const unknown = await api.post("/monitor/experiments", { featureSlug: "nope", name: "run" })
    assert.deepStrictEqual([unknown.status, unknown.body], [404, { error: "No feature with slug \"nope\" exists." }])
  })

  it("accepts a trace whose logs link to each other by parentId", async () => {
    const sent = await api.post("/monitor/trace", {
      featureSlug: "support-bot",
      name: "t",
      metadata: { "promptops.traceId": "abc" },
      startTime: "2026-01-01T00:00:00.000Z",
      logs: [log("root", null), log("child", "root", "tool"), { ...log("gen", "root", "generation"), inputTokens: 3 }]
    })
    assert.strictEqual(sent.status, 200)
    assert.strictEqual(typeof sent.body.trace.id, "string")
    const stored = handle.store.tracesWithMetadata("promptops.traceId", "abc")
    assert.strictEqual(stored.length, 1)
    assert.strictEqual((stored[0]!.body["logs"] as Array<unknown>).length, 3)
  })

  it("refuses broken parentId links, duplicate ids and unknown features", async () => {
    const dangling = await api.post("/monitor/trace", { featureSlug: "support-bot", logs: [log("a", "ghost")] })
    assert.strictEqual(dangling.status, 400)
    assert.match(dangling.headers.get("x-emulator-error") ?? "", /parentId "ghost"/)
    assert.strictEqual(dangling.text, "")
    const duplicate = await api.post("/monitor/trace", { featureSlug: "support-bot", logs: [log("a", null), log("a", null)] })
    assert.strictEqual(duplicate.status, 400)
    const cycle = await api.post("/monitor/trace", { featureSlug: "support-bot", logs: [log("a", "b"), log("b", "a")] })
    assert.strictEqual(cycle.status, 400)
    assert.match(cycle.headers.get("x-emulator-error") ?? "", /cycle/)
    const noFeature = await api.post("/monitor/trace", { featureSlug: "nope" })
    assert.deepStrictEqual([noFeature.status, noFeature.body], [404, { error: "No feature with slug \"nope\" exists." }])
    const missingFeature = await api.post("/monitor/trace", { name: "no feature" })
    assert.strictEqual(missingFeature.status, 400)
  })

  it("a trace's experiment must exist and belong to the trace's feature", async () => {
    const experiment = await api.post("/monitor/experiments", { featureSlug: "support-bot", name: "e" })
    const ok = await api.post("/monitor/trace", { featureSlug: "support-bot", experiment: { id: experiment.body.id } })
    assert.strictEqual(ok.status, 200)
    assert.strictEqual(handle.store.traces.at(-1)!.experimentId, experiment.body.id)
    const otherFeature = await api.post("/monitor/trace", { featureSlug: "other-feature", experiment: { id: experiment.body.id } })
    assert.strictEqual(otherFeature.status, 400)
    const unknown = await api.post("/monitor/trace", { featureSlug: "support-bot", experiment: { id: "nope" } })
    assert.strictEqual(unknown.status, 404)
  })

  it("a generation log naming an unknown prompt gets a warning, not an error", async () => {
    const sent = await api.post("/monitor/trace", {
      featureSlug: "support-bot",
      logs: [{ ...log("g", null, "generation"), prompt: { slug: "missing" } }]
    })
    assert.strictEqual(sent.status, 200)
    assert.strictEqual(sent.body.warning, BasaltEmulator.messages.promptNotFoundForLog)
  })

  it("POST /monitor/log resolves the prompt and stores one trace", async () => {
    const sent = await api.post("/monitor/log", { slug: "greeting", output: "Hello Ada", version: "9.9.9" })
    assert.strictEqual(sent.status, 200)
    assert.strictEqual(typeof sent.body.log.id, "string")
    assert.strictEqual(sent.body.warning, BasaltEmulator.messages.versionFallback)
    const unknown = await api.post("/monitor/log", { slug: "missing", output: "x" })
    assert.strictEqual(unknown.status, 404)
    const invalid = await api.post("/monitor/log", { slug: "greeting" })
    assert.strictEqual(invalid.status, 400)
  })

  it("dropGenerationTraces answers but never stores traces with generation logs", async () => {
    const dropping = await BasaltEmulator.start({ apiKeys: ["k"], features: ["f"], dropGenerationTraces: true })
    try {
      const api2 = client(dropping)
      const sent = await api2.post("/monitor/trace", { featureSlug: "f", logs: [log("g", null, "generation")] })
      assert.strictEqual(sent.status, 200)
      assert.strictEqual(dropping.store.traces.length, 0)
      await api2.post("/monitor/trace", { featureSlug: "f", logs: [log("s", null)] })
      assert.strictEqual(dropping.store.traces.length, 1)
    } finally {
      await dropping.close()
    }
  })
})

describe("BasaltEmulator: auth, validation and faults", () => {
  it("needs a valid bearer key", async () => {
    const missing = await api.get("/datasets", { key: null })
    assert.deepStrictEqual([missing.status, missing.body], [401, { error: "Missing API key" }])
    const wrong = await api.get("/prompts", { key: "nope" })
    assert.strictEqual(wrong.status, 401)
  })

  it("unknown routes are 404", async () => {
    const unknown = await api.get("/v1/prompts")
    assert.strictEqual(unknown.status, 404)
  })

  it("injects 429 with Retry-After, HTML gateway pages, Basalt's 500 texts, and resets", async () => {
    handle.faults.rateLimit({ match: "POST /monitor/trace", retryAfter: 2 })
    const limited = await api.post("/monitor/trace", { featureSlug: "support-bot" })
    assert.deepStrictEqual([limited.status, limited.headers.get("retry-after"), limited.body], [429, "2", { error: "Too many requests" }])

    handle.faults.status(502, { match: "GET /prompts/*" })
    const gateway = await api.get("/prompts/greeting")
    assert.strictEqual(gateway.status, 502)
    assert.match(gateway.headers.get("content-type") ?? "", /text\/html/)
    assert.match(gateway.text, /<title>502 Bad Gateway<\/title>/)

    handle.faults.status(500, { match: "POST /monitor/trace" })
    const failed = await api.post("/monitor/trace", { featureSlug: "support-bot" })
    assert.deepStrictEqual(failed.body, { error: "Failed to create trace" })

    const before = handle.store.traces.length
    handle.faults.reset({ match: "POST /monitor/trace" })
    const reset = await api.post("/monitor/trace", { featureSlug: "support-bot" }).then(() => "answered", () => "reset")
    assert.strictEqual(reset, "reset")
    assert.strictEqual(handle.store.traces.length, before)
  })

  it("faults reach the upload server too", async () => {
    const presigned = await api.post("/files/generate-upload-url", { fileName: "f.txt", contentType: "text/plain" })
    handle.faults.status(503, { match: "PUT /uploads/*" })
    const failed = await fetch(presigned.body.uploadUrl, { method: "PUT", headers: { "content-type": "text/plain" }, body: "x" })
    assert.strictEqual(failed.status, 503)
    const ok = await fetch(presigned.body.uploadUrl, { method: "PUT", headers: { "content-type": "text/plain" }, body: "x" })
    assert.strictEqual(ok.status, 200)
  })
})
