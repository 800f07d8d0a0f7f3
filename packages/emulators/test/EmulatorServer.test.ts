import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import {
  type EmulatorServer,
  EmulatorHttpError,
  json,
  type RouteResponse,
  sse,
  startEmulatorServer,
  type VendorHooks
} from "../src/EmulatorServer.js"
import { Faults } from "../src/Faults.js"
import { type OpenApiDocument, OpenApiValidator } from "../src/OpenApiValidator.js"

const doc: OpenApiDocument = {
  openapi: "3.1.0",
  paths: {
    "/things/{id}": {
      get: {
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
        responses: {
          "200": {
            content: {
              "application/json": {
                schema: { type: "object", properties: { id: { type: "string" }, size: { type: ["integer", "null"] } }, required: ["id"] }
              }
            }
          }
        }
      }
    },
    "/stream": { post: { responses: { "200": { content: { "text/event-stream": {} } } } } },
    "/unrouted": { get: { responses: { "200": {} } } }
  }
}

const plain = (status: number, body: unknown): RouteResponse => json(body, { status })

const hooks: VendorHooks = {
  authenticate: (request) => (request.headers["x-key"] === "k" ? { key: "k", readOnly: false } : plain(401, { error: "unauthorized" })),
  badRequest: (_request, issues) => plain(400, { issues: issues.map((i) => i.message) }),
  unknownRoute: () => plain(404, { error: "no route" }),
  notImplemented: () => plain(501, { error: "not implemented" }),
  internalError: () => plain(500, { error: "crash" }),
  contractViolation: (_request, issues) => plain(500, { error: "EmulatorContractViolation", issues: issues.map((i) => i.message) }),
  faultStatus: (_request, action) => plain(action.status, { fault: true }),
  payloadTooLarge: () => plain(413, { error: "too large" })
}

let server: EmulatorServer
const headers = { "x-key": "k" }

beforeAll(async () => {
  server = await startEmulatorServer({
    validator: OpenApiValidator.fromDocument(doc),
    faults: new Faults(),
    hooks,
    routes: [
      {
        method: "GET",
        path: "/things/{id}",
        write: false,
        handle: ({ params }) => {
          switch (params["id"]) {
            case "good":
              return json({ id: "good", size: null })
            case "bad":
              return json({ id: 7, size: "big" })
            case "gone":
              throw new EmulatorHttpError(plain(404, { error: "gone" }))
            default:
              throw new Error("boom")
          }
        }
      },
      {
        method: "POST",
        path: "/stream",
        write: true,
        handle: () => sse([{ event: "a", data: "line1\nline2" }, { event: "done", data: "" }])
      }
    ]
  })
})

afterAll(async () => {
  await server.close()
})

describe("EmulatorServer (vendor-neutral plumbing)", () => {
  it("serves valid responses and refuses to send ones that break the contract", async () => {
    const good = await fetch(`${server.url}/things/good`, { headers })
    assert.strictEqual(good.status, 200)
    assert.deepStrictEqual(await good.json(), { id: "good", size: null })
    assert.strictEqual(server.violations.length, 0)

    const bad = await fetch(`${server.url}/things/bad`, { headers })
    assert.strictEqual(bad.status, 500)
    const body = (await bad.json()) as { error: string; issues: Array<string> }
    assert.strictEqual(body.error, "EmulatorContractViolation")
    assert.isTrue(body.issues.some((m) => m.startsWith("response/id must be string")))
    assert.strictEqual(server.violations.length, 1)
    assert.strictEqual(server.violations[0]!.kind, "response")
    assert.strictEqual(server.violations[0]!.operation, "GET /things/{id}")
  })

  it("passes handler errors through and records crashes", async () => {
    const gone = await fetch(`${server.url}/things/gone`, { headers })
    assert.strictEqual(gone.status, 404)
    const crash = await fetch(`${server.url}/things/crash`, { headers })
    assert.strictEqual(crash.status, 500)
    assert.deepStrictEqual(await crash.json(), { error: "crash" })
    const last = server.violations[server.violations.length - 1]!
    assert.strictEqual(last.kind, "exception")
    assert.include(last.message, "boom")
    server.violations.length = 0
  })

  it("routes unknown paths, unauthenticated and unimplemented operations to the hooks", async () => {
    assert.strictEqual((await fetch(`${server.url}/nothing`, { headers })).status, 404)
    assert.strictEqual((await fetch(`${server.url}/things/good`)).status, 401)
    assert.strictEqual((await fetch(`${server.url}/unrouted`, { headers })).status, 501)
  })

  it("writes Server-Sent Events, splitting multi-line data", async () => {
    const res = await fetch(`${server.url}/stream`, { method: "POST", headers })
    assert.include(res.headers.get("content-type") ?? "", "text/event-stream")
    assert.strictEqual(await res.text(), "event: a\ndata: line1\ndata: line2\n\nevent: done\ndata: \n\n")
    assert.strictEqual(server.violations.length, 0)
  })
})
