import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as BraintrustEmulator from "../src/BraintrustEmulator.js"
import { type Client, client, parseSse } from "./helpers.js"

let handle: BraintrustEmulator.BraintrustEmulatorHandle
let api: Client

beforeAll(async () => {
  handle = await BraintrustEmulator.start({
    apiKeys: ["test-key", { key: "reader-key", readOnly: true }]
  })
  api = client(handle)
})

afterAll(async () => {
  await handle.close()
})

const noViolations = () => assert.deepStrictEqual(handle.violations, [])

const project = async (name: string): Promise<string> => (await api.post("/v1/project", { name })).body.id

const chatPrompt = (text: string, extra: Record<string, unknown> = {}) => ({
  prompt: { type: "chat", messages: [{ role: "system", content: "be brief" }, { role: "user", content: text }] },
  options: { model: "gpt-4o-mini", params: { temperature: 0.5, max_tokens: 10 } },
  ...extra
})

describe("projects", () => {
  it("get-or-create by name flags the existing project", async () => {
    const first = await api.post("/v1/project", { name: "alpha", description: "first" })
    assert.strictEqual(first.status, 200)
    assert.isNull(first.headers.get("x-bt-found-existing"))
    const again = await api.post("/v1/project", { name: "alpha", description: "ignored" })
    assert.strictEqual(again.status, 200)
    assert.strictEqual(again.headers.get("x-bt-found-existing"), "true")
    assert.strictEqual(again.body.id, first.body.id)
    assert.strictEqual(again.body.org_id, handle.store.org.id)

    const byName = await api.get("/v1/project", { query: { project_name: "alpha" } })
    assert.deepStrictEqual(byName.body.objects.map((p: any) => p.id), [first.body.id])
    const byId = await api.get(`/v1/project/${first.body.id}`)
    assert.strictEqual(byId.body.name, "alpha")

    const patched = await api.patch(`/v1/project/${first.body.id}`, { settings: { comparison_key: "input" } })
    assert.strictEqual(patched.body.settings.comparison_key, "input")
    const patched2 = await api.patch(`/v1/project/${first.body.id}`, { settings: { baseline_experiment_id: null } })
    assert.strictEqual(patched2.body.settings.comparison_key, "input")

    const deleted = await api.del(`/v1/project/${first.body.id}`)
    assert.strictEqual(deleted.status, 200)
    assert.isString(deleted.body.deleted_at)
    assert.strictEqual((await api.get(`/v1/project/${first.body.id}`)).status, 404)
    noViolations()
  })

  it("pages newest first in both directions and visits every object exactly once", async () => {
    const tag = `page-${Date.now()}`
    const created: Array<string> = []
    for (let i = 0; i < 7; i++) created.push(await project(`${tag}-${i}`))
    const mine = new Set(created)
    const newestFirst = [...created].reverse()

    const forward: Array<string> = []
    let cursor: string | undefined
    for (;;) {
      const page = await api.get("/v1/project", { query: { limit: 3, ...(cursor ? { starting_after: cursor } : {}) } })
      const ids: Array<string> = page.body.objects.map((p: any) => p.id)
      forward.push(...ids)
      if (ids.length < 3) break
      cursor = ids[ids.length - 1]
    }
    assert.deepStrictEqual(forward.filter((id) => mine.has(id)), newestFirst)
    assert.strictEqual(new Set(forward).size, forward.length)

    const backward: Array<string> = []
    let before = forward[forward.length - 1]!
    for (;;) {
      const page = await api.get("/v1/project", { query: { limit: 2, ending_before: before } })
      const ids: Array<string> = page.body.objects.map((p: any) => p.id)
      backward.unshift(...ids)
      if (ids.length < 2) break
      before = ids[0]!
    }
    assert.deepStrictEqual([...backward, forward[forward.length - 1]], forward)

    const both = await api.get("/v1/project", { query: { starting_after: created[0]!, ending_before: created[1]! } })
    assert.strictEqual(both.status, 400)
    assert.strictEqual(both.body.Code, "BadRequestError")
    assert.include(both.body.Message, "only pass one of starting_after and ending_before")

    const otherOrg = await api.get("/v1/project", { query: { org_name: "someone-else" } })
    assert.deepStrictEqual(otherOrg.body.objects, [])
    const ownOrg = await api.get("/v1/project", { query: { org_name: "emulator-org", limit: 1 } })
    assert.deepStrictEqual(ownOrg.body.objects.map((p: any) => p.id), [created[6]!])

    const two = await api.get("/v1/project", { query: { ids: [created[2]!, created[4]!] } })
    assert.deepStrictEqual(two.body.objects.map((p: any) => p.id).sort(), [created[2]!, created[4]!].sort())
    noViolations()
  })
})

describe("prompts", () => {
  it("creates, versions, replaces and deep-merges", async () => {
    const projectId = await project("prompts")
    const created = await api.post("/v1/prompt", {
      project_id: projectId,
      name: "Greeter",
      slug: "greeter",
      description: "says hi",
      tags: ["a"],
      prompt_data: chatPrompt("Hello {{name}}")
    })
    assert.strictEqual(created.status, 200)
    assert.strictEqual(created.body.log_id, "p")
    assert.isUndefined(created.body.function_data)
    const v1 = created.body._xact_id as string
    assert.match(v1, /^\d+$/)

    const existing = await api.post("/v1/prompt", { project_id: projectId, name: "Other", slug: "greeter" })
    assert.strictEqual(existing.headers.get("x-bt-found-existing"), "true")
    assert.strictEqual(existing.body.name, "Greeter")
    assert.strictEqual(existing.body._xact_id, v1)

    // PATCH: objects merge recursively, null cannot clear
    const patched = await api.patch(`/v1/prompt/${created.body.id}`, {
      name: null,
      prompt_data: { options: { params: { temperature: 0.9 } } }
    })
    assert.strictEqual(patched.status, 200)
    assert.strictEqual(patched.body.name, "Greeter")
    assert.strictEqual(patched.body.description, "says hi")
    assert.deepStrictEqual(patched.body.prompt_data.options.params, { temperature: 0.9, max_tokens: 10 })
    assert.strictEqual(patched.body.prompt_data.prompt.messages[1].content, "Hello {{name}}")
    const v2 = patched.body._xact_id as string
    assert.isTrue(BigInt(v2) > BigInt(v1))

    // PUT: replaces the whole object under the same slug
    const replaced = await api.put("/v1/prompt", {
      project_id: projectId,
      name: "Greeter 2",
      slug: "greeter",
      prompt_data: chatPrompt("Hi {{name}}")
    })
    assert.strictEqual(replaced.headers.get("x-bt-found-existing"), "true")
    assert.strictEqual(replaced.body.id, created.body.id)
    assert.isUndefined(replaced.body.description)
    assert.isUndefined(replaced.body.tags)
    const v3 = replaced.body._xact_id as string
    assert.isTrue(BigInt(v3) > BigInt(v2))

    // versions: by transaction id and by pretty id
    const atV1 = await api.get(`/v1/prompt/${created.body.id}`, { query: { version: v1 } })
    assert.strictEqual(atV1.body.name, "Greeter")
    assert.strictEqual(atV1.body.prompt_data.options.params.temperature, 0.5)
    const pretty = BraintrustEmulator.prettifyXactId(v2)
    assert.match(pretty, /^[0-9a-f]{16}$/)
    const atV2 = await api.get(`/v1/prompt/${created.body.id}`, { query: { version: pretty } })
    assert.strictEqual(atV2.body._xact_id, v2)
    const latest = await api.get(`/v1/prompt/${created.body.id}`)
    assert.strictEqual(latest.body._xact_id, v3)

    // list by project + slug, also at a version
    const bySlug = await api.get("/v1/prompt", { query: { project_name: "prompts", slug: "greeter" } })
    assert.strictEqual(bySlug.body.objects.length, 1)
    assert.strictEqual(bySlug.body.objects[0]._xact_id, v3)
    const bySlugAtV1 = await api.get("/v1/prompt", { query: { project_id: projectId, slug: "greeter", version: v1 } })
    assert.strictEqual(bySlugAtV1.body.objects[0]._xact_id, v1)

    const env = await api.get("/v1/prompt", { query: { slug: "greeter", environment: "production", version: v1 } })
    assert.strictEqual(env.status, 400)
    const badVersion = await api.get(`/v1/prompt/${created.body.id}`, { query: { version: "latest" } })
    assert.strictEqual(badVersion.status, 400)

    const deleted = await api.del(`/v1/prompt/${created.body.id}`)
    assert.strictEqual(deleted.body.id, created.body.id)
    assert.strictEqual((await api.get(`/v1/prompt/${created.body.id}`)).status, 404)
    noViolations()
  })
})

describe("functions", () => {
  let projectId: string
  beforeAll(async () => {
    projectId = await project("functions")
  })

  it("supports the full CRUD surface", async () => {
    const body = {
      project_id: projectId,
      name: "Summarise",
      slug: "summarise",
      function_type: "task",
      function_data: { type: "prompt" },
      prompt_data: chatPrompt("Summarise: {{text}}")
    }
    const created = await api.post("/v1/function", body)
    assert.strictEqual(created.status, 200)
    assert.deepStrictEqual(created.body.function_data, { type: "prompt" })
    const again = await api.post("/v1/function", { ...body, name: "ignored" })
    assert.strictEqual(again.headers.get("x-bt-found-existing"), "true")
    assert.strictEqual(again.body.name, "Summarise")

    const listed = await api.get("/v1/function", { query: { project_name: "functions", slug: "summarise" } })
    assert.deepStrictEqual(listed.body.objects.map((f: any) => f.id), [created.body.id])
    const byName = await api.get("/v1/function", { query: { function_name: "Summarise", project_id: projectId } })
    assert.strictEqual(byName.body.objects.length, 1)

    const got = await api.get(`/v1/function/${created.body.id}`)
    assert.strictEqual(got.body.slug, "summarise")

    const patched = await api.patch(`/v1/function/${created.body.id}`, { tags: ["x"], description: "new" })
    assert.deepStrictEqual(patched.body.tags, ["x"])
    assert.strictEqual(patched.body.description, "new")

    const replaced = await api.put("/v1/function", { ...body, name: "Summarise v2", tags: ["y"] })
    assert.strictEqual(replaced.body.id, created.body.id)
    assert.strictEqual(replaced.body.name, "Summarise v2")
    assert.isUndefined(replaced.body.description)

    const atFirst = await api.get(`/v1/function/${created.body.id}`, { query: { version: created.body._xact_id } })
    assert.strictEqual(atFirst.body.name, "Summarise")

    // a function is not a prompt unless its function_data says so
    const code = await api.post("/v1/function", {
      project_id: projectId,
      name: "exact",
      slug: "exact",
      function_type: "scorer",
      function_data: {
        type: "code",
        data: { type: "inline", runtime_context: { runtime: "node", version: "20" }, code: "// @emulator:exact_match" }
      }
    })
    const prompts = await api.get("/v1/prompt", { query: { project_id: projectId } })
    assert.deepStrictEqual(prompts.body.objects.map((p: any) => p.id), [created.body.id])
    assert.strictEqual((await api.get(`/v1/prompt/${code.body.id}`)).status, 404)

    const deleted = await api.del(`/v1/function/${code.body.id}`)
    assert.strictEqual(deleted.status, 200)
    assert.strictEqual((await api.get(`/v1/function/${code.body.id}`)).status, 404)
    noViolations()
  })

  it("invokes prompt, code and global functions, as JSON and as SSE", async () => {
    const prompt = await api.post("/v1/function", {
      project_id: projectId,
      name: "Hello",
      slug: "hello",
      function_data: { type: "prompt" },
      prompt_data: chatPrompt("Hello {{name}}, you are {{profile.age}}")
    })
    const out = await api.post(`/v1/function/${prompt.body.id}/invoke`, { input: { name: "Ada", profile: { age: 36 } } })
    assert.strictEqual(out.status, 200)
    assert.strictEqual(out.body, "Hello Ada, you are 36")

    const streamed = await api.post(`/v1/function/${prompt.body.id}/invoke`, { input: { name: "Bob", profile: { age: 7 } }, stream: true })
    assert.include(streamed.headers.get("content-type") ?? "", "text/event-stream")
    const events = parseSse(streamed.text)
    assert.strictEqual(events[events.length - 1]!.event, "done")
    const text = events.filter((e) => e.event === "text_delta").map((e) => JSON.parse(e.data) as string).join("")
    assert.strictEqual(text, "Hello Bob, you are 7")
    assert.isTrue(events.filter((e) => e.event === "text_delta").length > 1)

    const strict = await api.post(`/v1/function/${prompt.body.id}/invoke`, { input: { name: "Ada", profile: {} }, strict: true })
    assert.strictEqual(strict.status, 400)
    assert.include(strict.body.Message, "profile.age")

    const json = await api.post("/v1/function", {
      project_id: projectId,
      name: "Json",
      slug: "json",
      function_data: { type: "prompt" },
      prompt_data: chatPrompt("{\"answer\": {{n}}}", { options: { params: { response_format: { type: "json_object" } } } })
    })
    const jsonOut = await api.post(`/v1/function/${json.body.id}/invoke`, { input: { n: 42 }, stream: true })
    const jsonEvents = parseSse(jsonOut.text)
    assert.deepStrictEqual(JSON.parse(jsonEvents.filter((e) => e.event === "json_delta").map((e) => e.data).join("")), { answer: 42 })

    const scorer = await api.post("/v1/function", {
      project_id: projectId,
      name: "Exact",
      slug: "exact-scorer",
      function_type: "scorer",
      function_data: {
        type: "code",
        data: { type: "inline", runtime_context: { runtime: "node", version: "20" }, code: "export default () => 1 // @emulator:exact_match" }
      }
    })
    const hit = await api.post(`/v1/function/${scorer.body.id}/invoke`, { input: { output: "x", expected: "x" } })
    assert.deepStrictEqual(hit.body, { name: "Exact", score: 1 })
    const miss = await api.post(`/v1/function/${scorer.body.id}/invoke`, { input: { output: "x", expected: "y" } })
    assert.deepStrictEqual(miss.body, { name: "Exact", score: 0 })

    const global = await api.post("/v1/function", {
      project_id: projectId,
      name: "Lev",
      slug: "lev",
      function_type: "scorer",
      function_data: { type: "global", name: "Levenshtein" }
    })
    const lev = await api.post(`/v1/function/${global.body.id}/invoke`, { input: { output: "kitten", expected: "sitting" } })
    assert.closeTo(lev.body.score, 1 - 3 / 7, 1e-9)

    const arbitrary = await api.post("/v1/function", {
      project_id: projectId,
      name: "Mystery",
      slug: "mystery",
      function_data: {
        type: "code",
        data: { type: "inline", runtime_context: { runtime: "node", version: "20" }, code: "process.exit(1)" }
      }
    })
    const refused = await api.post(`/v1/function/${arbitrary.body.id}/invoke`, { input: 1 })
    assert.strictEqual(refused.status, 400)
    assert.include(refused.body.Message, "does not execute arbitrary code")

    // logging the invocation under a parent
    const logged = await api.post(`/v1/function/${prompt.body.id}/invoke`, {
      input: { name: "Cy", profile: { age: 1 } },
      parent: { object_type: "project_logs", object_id: projectId }
    })
    assert.strictEqual(logged.status, 200)
    const logs = await api.post(`/v1/project_logs/${projectId}/fetch`, {})
    assert.isTrue(logs.body.events.some((e: any) => e.output === "Hello Cy, you are 1"))
    noViolations()
  })

  it("accepts feedback on a function (legacy endpoint documented by the reference)", async () => {
    const fn = await api.post("/v1/function", {
      project_id: projectId,
      name: "fb",
      slug: "fb",
      function_data: { type: "prompt" },
      prompt_data: chatPrompt("x")
    })
    const ok = await api.post(`/v1/function/${fn.body.id}/feedback`, {
      feedback: [{ id: "row-1", scores: { helpful: 1 }, comment: "nice", source: "api" }]
    })
    assert.strictEqual(ok.status, 200)
    assert.strictEqual(ok.text, "")
    const stored = handle.store.functionFeedback.filter((f) => f.functionId === fn.body.id)
    assert.strictEqual(stored.length, 1)
    assert.deepStrictEqual(stored[0]!.item["scores"], { helpful: 1 })

    const bad = await api.post(`/v1/function/${fn.body.id}/feedback`, { feedback: [{ id: "row-1", scores: { helpful: 2 } }] })
    assert.strictEqual(bad.status, 400)
    assert.include(bad.body.Message, "feedback/0/scores/helpful")
    const missing = await api.post(`/v1/function/${crypto.randomUUID()}/feedback`, { feedback: [{ id: "x" }] })
    assert.strictEqual(missing.status, 404)
    noViolations()
  })
})

describe("contract and auth", () => {
  it("answers 400 naming the field that breaks the spec", async () => {
    const bad = await api.post("/v1/experiment", { project_id: "not-a-uuid", ensure_new: "yes" })
    assert.strictEqual(bad.status, 400)
    assert.strictEqual(bad.body.Code, "BadRequestError")
    const inner = JSON.parse((bad.body.Message as string).replace(/ \[user_email=.*$/, ""))
    assert.strictEqual(inner.error, "Invalid request")
    const paths = inner.errors.map((e: any) => e.path.join("."))
    assert.include(paths, "project_id")
    assert.include(paths, "ensure_new")
    assert.include(bad.body.Message, "[user_email=emulator@example.com]")

    const badQuery = await api.get("/v1/function", { query: { limit: "ten" } })
    assert.strictEqual(badQuery.status, 400)
    assert.include(badQuery.body.Message, "query/limit must be integer")

    const badPath = await api.get("/v1/function/not-a-uuid")
    assert.strictEqual(badPath.status, 400)
    assert.include(badPath.body.Message, "path/function_id")

    const badJson = await api.post("/v1/project", undefined, { rawBody: "{oops", headers: { "content-type": "application/json" } })
    assert.strictEqual(badJson.status, 400)
    assert.include(badJson.body.Message, "not valid JSON")

    assert.isTrue(handle.rejections.length >= 4)
    noViolations()
  })

  it("requires a valid key and refuses writes with a read-only one", async () => {
    const missing = await api.get("/v1/project", { key: null })
    assert.strictEqual(missing.status, 401)
    assert.strictEqual(missing.body.Code, "Unauthorized")
    const wrong = await api.get("/v1/project", { key: "sk-wrong" })
    assert.strictEqual(wrong.status, 401)
    assert.notInclude(wrong.text, "sk-wrong")

    const read = await api.get("/v1/project", { key: "reader-key" })
    assert.strictEqual(read.status, 200)
    const write = await api.post("/v1/project", { name: "nope" }, { key: "reader-key" })
    assert.strictEqual(write.status, 403)
    assert.strictEqual(write.body.Code, "ForbiddenError")
    assert.isUndefined(handle.store.projectByName("nope"))

    const hello = await api.get("/v1", { key: null })
    assert.strictEqual(hello.status, 200)
    assert.strictEqual(hello.text, "Hello, World!")
    noViolations()
  })

  it("answers unknown routes like the gateway (403) and unimplemented spec routes with 501", async () => {
    const unknown = await api.get("/v2/projects")
    assert.strictEqual(unknown.status, 403)
    assert.include(unknown.body.message, "Invalid key=value pair")
    assert.notInclude(unknown.text, handle.apiKey)
    const anonymous = await api.get("/v1/projects", { key: null })
    assert.strictEqual(anonymous.status, 403)
    assert.strictEqual(anonymous.body.message, "Missing Authentication Token")
    const wrongMethod = await api.del("/v1/project")
    assert.strictEqual(wrongMethod.status, 403)

    const role = await api.get("/v1/role")
    assert.strictEqual(role.status, 501)
    assert.strictEqual(role.body.Code, "NotImplemented")
    noViolations()
  })

  it("captures every request with its headers and body", async () => {
    const before = handle.requests.length
    await api.post("/v1/project", { name: "captured" })
    const captured = handle.requests[before]!
    assert.strictEqual(captured.method, "POST")
    assert.strictEqual(captured.path, "/v1/project")
    assert.strictEqual(captured.headers.authorization, "Bearer test-key")
    assert.deepStrictEqual(JSON.parse(captured.body), { name: "captured" })
    assert.strictEqual(captured.status, 200)
    // no response ever echoes a key
    for (const r of handle.requests) {
      assert.notInclude(r.responseBody ?? "", "test-key")
      assert.notInclude(r.responseBody ?? "", "reader-key")
    }
  })
})

describe("Effect form", () => {
  it.scoped("make is a scoped resource and layer provides the handle", () =>
    Effect.gen(function*() {
      const scoped = yield* BraintrustEmulator.make({ apiKeys: ["k"] })
      const hello = yield* Effect.promise(() => fetch(`${scoped.url}/v1`).then((r) => r.text()))
      assert.strictEqual(hello, "Hello, World!")

      const url = yield* Effect.scoped(Effect.map(BraintrustEmulator.make(), (h) => h.url))
      const afterClose = yield* Effect.promise(() => fetch(`${url}/v1`).then(() => "open", () => "closed"))
      assert.strictEqual(afterClose, "closed")

      const fromLayer = yield* Effect.provide(
        Effect.flatMap(BraintrustEmulator.BraintrustEmulator, (h) =>
          Effect.promise(() =>
            fetch(`${h.url}/v1/project`, {
              method: "POST",
              headers: { authorization: `Bearer ${h.apiKey}`, "content-type": "application/json" },
              body: JSON.stringify({ name: "from-layer" })
            }).then((r) => r.status)
          )),
        BraintrustEmulator.layer()
      )
      assert.strictEqual(fromLayer, 200)
    }))
})
