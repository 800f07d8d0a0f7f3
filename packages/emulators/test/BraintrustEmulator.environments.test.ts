import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as BraintrustEmulator from "../src/BraintrustEmulator.js"
import { type Client, client } from "./helpers.js"

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

const environment = async (slug: string, name = slug): Promise<any> => {
  const response = await api.post("/environment", { name, slug })
  assert.strictEqual(response.status, 200, response.text)
  return response.body
}

const chat = (text: string) => ({ prompt: { type: "chat", messages: [{ role: "user", content: text }] } })

const textOf = (prompt: any): string => prompt.prompt_data.prompt.messages[0].content

describe("/environment", () => {
  it("creates, lists, gets, patches and deletes; slugs are unique among live environments", async () => {
    const created = await api.post("/environment", { name: "Production", slug: "crud-prod", description: "live" })
    assert.strictEqual(created.status, 200)
    assert.strictEqual(created.body.org_id, handle.store.org.id)
    assert.strictEqual(created.body.slug, "crud-prod")
    assert.strictEqual(created.body.description, "live")
    assert.isNull(created.body.deleted_at)
    assert.isString(created.body.created)
    const staging = await environment("crud-staging", "Staging")

    // Not get-or-create: the file documents none, so a live slug clash is a 400.
    const clash = await api.post("/environment", { name: "Other", slug: "crud-prod" })
    assert.strictEqual(clash.status, 400)
    assert.strictEqual(clash.body.Code, "BadRequestError")
    assert.include(clash.body.Message, "crud-prod")
    // name and slug are required by CreateEnvironment.
    const noSlug = await api.post("/environment", { name: "x" })
    assert.strictEqual(noSlug.status, 400)
    assert.include(noSlug.body.Message, "slug")
    const otherOrg = await api.post("/environment", { name: "x", slug: "x", org_name: "someone-else" })
    assert.strictEqual(otherOrg.status, 400)

    // Newest first; ids and name filters; another organisation sees nothing.
    const all = await api.get("/environment")
    const ids: Array<string> = all.body.objects.map((e: any) => e.id)
    assert.isBelow(ids.indexOf(staging.id), ids.indexOf(created.body.id))
    const byName = await api.get("/environment", { query: { name: "Production" } })
    assert.deepStrictEqual(byName.body.objects.map((e: any) => e.id), [created.body.id])
    const byIds = await api.get("/environment", { query: { ids: [created.body.id, staging.id] } })
    assert.deepStrictEqual(byIds.body.objects.map((e: any) => e.id), [staging.id, created.body.id])
    const byOneId = await api.get("/environment", { query: { ids: staging.id } })
    assert.deepStrictEqual(byOneId.body.objects.map((e: any) => e.id), [staging.id])
    assert.deepStrictEqual((await api.get("/environment", { query: { org_name: "someone-else" } })).body.objects, [])
    const badId = await api.get("/environment", { query: { ids: "not-a-uuid" } })
    assert.strictEqual(badId.status, 400)

    assert.strictEqual((await api.get(`/environment/${created.body.id}`)).body.name, "Production")

    // PATCH deep-merges and ignores null; a slug clash is a 400.
    const patched = await api.patch(`/environment/${created.body.id}`, { name: "Prod", description: null })
    assert.strictEqual(patched.status, 200)
    assert.strictEqual(patched.body.name, "Prod")
    assert.strictEqual(patched.body.description, "live")
    assert.strictEqual(patched.body.slug, "crud-prod")
    const slugClash = await api.patch(`/environment/${created.body.id}`, { slug: "crud-staging" })
    assert.strictEqual(slugClash.status, 400)
    const sameSlug = await api.patch(`/environment/${created.body.id}`, { slug: "crud-prod" })
    assert.strictEqual(sameSlug.status, 200)

    // Read-only keys read but do not write.
    assert.strictEqual((await api.get("/environment", { key: "reader-key" })).status, 200)
    assert.strictEqual((await api.post("/environment", { name: "ro", slug: "ro" }, { key: "reader-key" })).status, 403)

    const deleted = await api.del(`/environment/${created.body.id}`)
    assert.strictEqual(deleted.status, 200)
    assert.isString(deleted.body.deleted_at)
    assert.strictEqual((await api.get(`/environment/${created.body.id}`)).status, 404)
    assert.strictEqual((await api.patch(`/environment/${created.body.id}`, { name: "x" })).status, 404)
    assert.strictEqual((await api.del(`/environment/${created.body.id}`)).status, 404)
    assert.isFalse((await api.get("/environment")).body.objects.some((e: any) => e.id === created.body.id))
    // A deleted environment's slug is free again.
    const reused = await api.post("/environment", { name: "Production again", slug: "crud-prod" })
    assert.strictEqual(reused.status, 200)
    assert.notStrictEqual(reused.body.id, created.body.id)
    noViolations()
  })
})

describe("environment_slugs and environment=", () => {
  it("points environments at the versions prompts write, and resolves them on reads", async () => {
    const projectId = await project("env-prompts")
    const prod = await environment("prompts-prod")
    await environment("prompts-staging")
    await environment("prompts-empty")
    const put = (text: string, environments?: ReadonlyArray<string>) =>
      api.put("/v1/prompt", {
        project_id: projectId,
        name: "Greeter",
        slug: "greeter",
        prompt_data: chat(text),
        ...(environments !== undefined ? { environment_slugs: environments } : {})
      })
    const v1 = await put("v1", ["prompts-prod"])
    assert.strictEqual(v1.status, 200)
    const v2 = await put("v2")
    const v3 = await put("v3", ["prompts-staging"])
    const id = v1.body.id as string
    assert.strictEqual(handle.store.environmentVersion(prod.id, id), BigInt(v1.body._xact_id))

    const bySlug = (query: Record<string, string | number>) =>
      api.get("/v1/prompt", { query: { project_id: projectId, slug: "greeter", ...query } })
    const inProd = await bySlug({ environment: "prompts-prod" })
    assert.strictEqual(inProd.status, 200)
    assert.deepStrictEqual(inProd.body.objects.map((p: any) => p._xact_id), [v1.body._xact_id])
    assert.strictEqual(textOf(inProd.body.objects[0]), "v1")
    const inStaging = await bySlug({ environment: "prompts-staging" })
    assert.deepStrictEqual(inStaging.body.objects.map((p: any) => p._xact_id), [v3.body._xact_id])
    // Without an environment the latest wins; v2 is in no environment.
    assert.strictEqual((await bySlug({})).body.objects[0]._xact_id, v3.body._xact_id)
    assert.notStrictEqual(v2.body._xact_id, v1.body._xact_id)

    const byId = await api.get(`/v1/prompt/${id}`, { query: { environment: "prompts-prod" } })
    assert.strictEqual(byId.status, 200)
    assert.strictEqual(byId.body._xact_id, v1.body._xact_id)

    // An environment that holds no version of the prompt: no objects, or 404 by id.
    assert.deepStrictEqual((await bySlug({ environment: "prompts-empty" })).body.objects, [])
    const noneById = await api.get(`/v1/prompt/${id}`, { query: { environment: "prompts-empty" } })
    assert.strictEqual(noneById.status, 404)
    assert.include(noneById.body.Message, "prompts-empty")

    // An environment that does not exist is a 400 naming it.
    const unknown = await bySlug({ environment: "no-such-env" })
    assert.strictEqual(unknown.status, 400)
    assert.include(unknown.body.Message, "no-such-env")
    assert.strictEqual((await api.get(`/v1/prompt/${id}`, { query: { environment: "no-such-env" } })).status, 400)

    // version and environment together: 400, on the list and by id.
    assert.strictEqual((await bySlug({ environment: "prompts-prod", version: v1.body._xact_id })).status, 400)
    const both = await api.get(`/v1/prompt/${id}`, { query: { environment: "prompts-prod", version: v1.body._xact_id } })
    assert.strictEqual(both.status, 400)
    assert.include(both.body.Message, "version and environment")

    // A PATCH writes a version but moves no environment.
    const patched = await api.patch(`/v1/prompt/${id}`, { description: "patched" })
    assert.strictEqual((await bySlug({ environment: "prompts-prod" })).body.objects[0]._xact_id, v1.body._xact_id)
    assert.notStrictEqual(patched.body._xact_id, v1.body._xact_id)
    noViolations()
  })

  it("needs the filters to match a single prompt (limit=1 narrows)", async () => {
    const projectId = await project("env-many")
    await environment("many-prod")
    for (const slug of ["a", "b"]) {
      const written = await api.put("/v1/prompt", {
        project_id: projectId,
        name: slug,
        slug,
        prompt_data: chat(slug),
        environment_slugs: ["many-prod"]
      })
      assert.strictEqual(written.status, 200)
    }
    const many = await api.get("/v1/prompt", { query: { project_id: projectId, environment: "many-prod" } })
    assert.strictEqual(many.status, 400)
    assert.include(many.body.Message, "single prompt")
    // limit=1 takes the newest match: b.
    const one = await api.get("/v1/prompt", { query: { project_id: projectId, environment: "many-prod", limit: 1 } })
    assert.strictEqual(one.status, 200)
    assert.deepStrictEqual(one.body.objects.map((p: any) => p.slug), ["b"])
    const bySlug = await api.get("/v1/prompt", { query: { project_id: projectId, slug: "a", environment: "many-prod" } })
    assert.deepStrictEqual(bySlug.body.objects.map((p: any) => p.slug), ["a"])
    // Nothing matches: no objects, not a 400.
    const none = await api.get("/v1/prompt", { query: { project_id: projectId, slug: "zzz", environment: "many-prod" } })
    assert.deepStrictEqual(none.body.objects, [])
    noViolations()
  })

  it("checks every slug before writing; POST get-or-create moves nothing; deleting an environment drops its versions", async () => {
    const projectId = await project("env-checks")
    const prod = await environment("checks-prod")
    const body = { project_id: projectId, name: "P", slug: "p", prompt_data: chat("v1") }

    // An unknown slug fails the whole request: no prompt is created, no environment moves.
    const unknown = await api.put("/v1/prompt", { ...body, environment_slugs: ["checks-prod", "checks-missing"] })
    assert.strictEqual(unknown.status, 400)
    assert.include(unknown.body.Message, "checks-missing")
    assert.deepStrictEqual((await api.get("/v1/prompt", { query: { project_id: projectId } })).body.objects, [])
    assert.isUndefined(handle.store.environmentVersions.get(prod.id))
    const notArray = await api.put("/v1/prompt", { ...body, environment_slugs: "checks-prod" })
    assert.strictEqual(notArray.status, 400)
    assert.include(notArray.body.Message, "environment_slugs")

    // A POST that creates assigns; a POST that finds the prompt returns it unmodified and moves nothing.
    const created = await api.post("/v1/prompt", { ...body, environment_slugs: ["checks-prod"] })
    assert.strictEqual(created.status, 200)
    assert.isNull(created.headers.get("x-bt-found-existing"))
    const v2 = await api.put("/v1/prompt", { ...body, prompt_data: chat("v2") })
    const again = await api.post("/v1/prompt", { ...body, prompt_data: chat("ignored"), environment_slugs: ["checks-prod"] })
    assert.strictEqual(again.headers.get("x-bt-found-existing"), "true")
    assert.strictEqual(again.body._xact_id, v2.body._xact_id)
    const resolved = await api.get("/v1/prompt", { query: { project_id: projectId, slug: "p", environment: "checks-prod" } })
    assert.strictEqual(resolved.body.objects[0]._xact_id, created.body._xact_id)
    // Unknown slugs fail even when POST would find the prompt.
    const againUnknown = await api.post("/v1/prompt", { ...body, environment_slugs: ["checks-missing"] })
    assert.strictEqual(againUnknown.status, 400)

    // Deleting the environment drops what it pointed at; a new one with the same slug starts empty.
    await api.del(`/environment/${prod.id}`)
    assert.strictEqual(
      (await api.get("/v1/prompt", { query: { project_id: projectId, slug: "p", environment: "checks-prod" } })).status,
      400
    )
    await environment("checks-prod")
    const fresh = await api.get("/v1/prompt", { query: { project_id: projectId, slug: "p", environment: "checks-prod" } })
    assert.deepStrictEqual(fresh.body.objects, [])
    noViolations()
  })

  it("works the same for functions", async () => {
    const projectId = await project("env-functions")
    await environment("fn-prod")
    const fn = (code: string, environments?: ReadonlyArray<string>) =>
      api.put("/v1/function", {
        project_id: projectId,
        name: "upper",
        slug: "upper",
        function_type: "task",
        function_data: {
          type: "code",
          data: { type: "inline", runtime_context: { runtime: "node", version: "20" }, code }
        },
        ...(environments !== undefined ? { environment_slugs: environments } : {})
      })
    const v1 = await fn("// @emulator:uppercase", ["fn-prod"])
    assert.strictEqual(v1.status, 200)
    const v2 = await fn("// @emulator:identity")
    const listed = await api.get("/v1/function", { query: { project_id: projectId, slug: "upper", environment: "fn-prod" } })
    assert.deepStrictEqual(listed.body.objects.map((f: any) => f._xact_id), [v1.body._xact_id])
    const byId = await api.get(`/v1/function/${v1.body.id}`, { query: { environment: "fn-prod" } })
    assert.strictEqual(byId.body._xact_id, v1.body._xact_id)
    assert.strictEqual((await api.get(`/v1/function/${v1.body.id}`)).body._xact_id, v2.body._xact_id)
    // A code function is not a prompt, in any environment.
    assert.strictEqual((await api.get(`/v1/prompt/${v1.body.id}`, { query: { environment: "fn-prod" } })).status, 404)
    const unknown = await fn("// @emulator:identity", ["fn-missing"])
    assert.strictEqual(unknown.status, 400)
    assert.include(unknown.body.Message, "fn-missing")
    const both = await api.get(`/v1/function/${v1.body.id}`, { query: { environment: "fn-prod", version: v1.body._xact_id } })
    assert.strictEqual(both.status, 400)
    noViolations()
  })
})
