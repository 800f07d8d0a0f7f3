import { assert, describe, it } from "@effect/vitest"
import { EmulatorHttpError, json, type Route, type RouteContext, type RouteResponse } from "../src/EmulatorServer.js"
import type { JsonObject } from "../src/internal/Json.js"
import { resourceRoutes, type ResourceSpec } from "../src/internal/Resources.js"

interface Thing {
  id: string
  data: JsonObject
  deleted: boolean
}

const context = (id: string, body: unknown = {}): RouteContext =>
  ({ method: "GET", path: `/things/${id}`, params: { thing_id: id }, query: {}, body }) as unknown as RouteContext

/** Runs a route, turning a thrown EmulatorHttpError into its response as the server does. */
const call = async (route: Route | undefined, ctx: RouteContext): Promise<RouteResponse> => {
  assert.isDefined(route)
  try {
    return await route!.handle(ctx)
  } catch (error) {
    if (error instanceof EmulatorHttpError) return error.response
    throw error
  }
}

const setup = (overrides: Partial<ResourceSpec<Thing>> = {}) => {
  const things = new Map<string, Thing>([["a", { id: "a", data: { id: "a", name: "A", meta: { x: 1 }, owner: "o" }, deleted: false }]])
  const removed: Array<string> = []
  const routes = resourceRoutes<Thing>({
    path: "/things/{thing_id}",
    idParam: "thing_id",
    require: (ctx, id) => {
      const thing = things.get(id)
      if (thing === undefined || thing.deleted) throw new EmulatorHttpError(json({ error: `no ${id}` }, { status: 404 }))
      return thing
    },
    view: (thing) => thing.data,
    patch: {
      ignore: ["owner"],
      check: (_, thing, patch) => {
        if (patch["name"] === "taken") throw new EmulatorHttpError(json({ error: "clash" }, { status: 400 }))
        assert.strictEqual(thing.id, "a")
      },
      editable: (thing) => thing.data,
      write: (thing, merged) => {
        thing.data = merged
        return { wrapped: thing.data }
      }
    },
    remove: (_, thing) => {
      thing.deleted = true
      removed.push(thing.id)
    },
    ...overrides
  })
  const route = (method: string) => routes.find((r) => r.method === method)
  return { things, removed, routes, route }
}

describe("resourceRoutes (the shared GET / PATCH / DELETE handlers)", () => {
  it("GET serves the view; a miss answers the 404 `require` throws", async () => {
    const { route } = setup()
    assert.deepStrictEqual(await call(route("GET"), context("a")), json({ id: "a", name: "A", meta: { x: 1 }, owner: "o" }))
    assert.deepStrictEqual(await call(route("GET"), context("zz")), json({ error: "no zz" }, { status: 404 }))
  })

  it("PATCH deep-merges (null ignored), drops ignored keys, checks before writing and answers what `write` returns", async () => {
    const { route, things } = setup()
    const patched = await call(route("PATCH"), context("a", { meta: { y: 2, x: null }, owner: "other", extra: true }))
    assert.deepStrictEqual(patched, json({ wrapped: { id: "a", name: "A", meta: { x: 1, y: 2 }, owner: "o", extra: true } }))
    const clash = await call(route("PATCH"), context("a", { name: "taken", meta: { z: 3 } }))
    assert.deepStrictEqual(clash, json({ error: "clash" }, { status: 400 }))
    assert.notProperty(things.get("a")!.data["meta"], "z")
    assert.strictEqual((await call(route("PATCH"), context("zz", { name: "B" }))).status, 404)
  })

  it("PATCH with `fields` merges only those keys, in that order", async () => {
    const { route } = setup({
      patch: {
        fields: ["b", "a"],
        editable: () => ({}),
        write: (_, merged) => merged
      }
    })
    const patched = await call(route("PATCH"), context("a", { a: 1, c: 3, b: 2 }))
    assert.deepStrictEqual(Object.keys((patched as { body: JsonObject }).body), ["b", "a"])
  })

  it("DELETE runs `remove` and answers the view; a deleted record is then a 404", async () => {
    const { removed, route } = setup()
    assert.deepStrictEqual(await call(route("DELETE"), context("a")), json({ id: "a", name: "A", meta: { x: 1 }, owner: "o" }))
    assert.deepStrictEqual(removed, ["a"])
    assert.strictEqual((await call(route("GET"), context("a"))).status, 404)
    assert.strictEqual((await call(route("DELETE"), context("a"))).status, 404)
  })

  it("serves only the routes asked for", () => {
    const { routes } = setup({ get: false })
    assert.deepStrictEqual(routes.map((r) => `${r.method} ${r.path}`), ["PATCH /things/{thing_id}", "DELETE /things/{thing_id}"])
    const readOnly = resourceRoutes<Thing>({ path: "/t/{id}", idParam: "id", require: () => ({ id: "", data: {}, deleted: false }), view: (t) => t.data })
    assert.deepStrictEqual(readOnly.map((r) => [r.method, r.write]), [["GET", false]])
  })
})
