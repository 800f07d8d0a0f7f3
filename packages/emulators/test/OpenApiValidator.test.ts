import { assert, describe, it } from "@effect/vitest"
import { fileURLToPath } from "node:url"
import { normalizeOpenApi30Schema, type OpenApiDocument, OpenApiValidator } from "../src/OpenApiValidator.js"

const braintrustSpec = fileURLToPath(new URL("../specs/braintrust-openapi.json", import.meta.url))
const basaltSpec = fileURLToPath(new URL("../specs/basalt-openapi.json", import.meta.url))

const doc30: OpenApiDocument = {
  openapi: "3.0.3",
  paths: {
    "/items/{item_id}": {
      get: {
        parameters: [
          { name: "item_id", in: "path", required: true, schema: { type: "string", format: "uuid" } },
          { name: "limit", in: "query", schema: { $ref: "#/components/schemas/Limit" } },
          { name: "flag", in: "query", schema: { type: "boolean", nullable: true } }
        ],
        responses: {
          "200": { content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } } },
          "400": { content: { "text/plain": { schema: { type: "string" } } } }
        }
      },
      put: {
        requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } } },
        responses: { "200": { content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } } } }
      }
    },
    "/items/special": { get: { responses: { "204": { description: "nothing" } } } }
  },
  components: {
    schemas: {
      Limit: { type: "integer", nullable: true, minimum: 0 },
      Item: {
        type: "object",
        properties: {
          name: { type: "string" },
          note: { type: "string", nullable: true },
          kind: { type: "string", nullable: true, enum: ["a", "b"] },
          ref: { $ref: "#/components/schemas/Inner", nullable: true },
          anything: { nullable: true },
          properties: { type: "object", properties: { nullable: { type: "string" } } }
        },
        required: ["name"],
        additionalProperties: false
      },
      Inner: { type: "object", properties: { x: { type: "number" } }, required: ["x"] }
    }
  }
}

describe("normalizeOpenApi30Schema", () => {
  it("turns nullable into JSON Schema and leaves properties named like keywords alone", () => {
    assert.deepStrictEqual(normalizeOpenApi30Schema({ type: "string", nullable: true }), { type: ["string", "null"] })
    assert.deepStrictEqual(normalizeOpenApi30Schema({ type: "string", nullable: true, enum: ["a"] }), {
      type: ["string", "null"],
      enum: ["a", null]
    })
    assert.deepStrictEqual(normalizeOpenApi30Schema({ nullable: true }), {})
    assert.deepStrictEqual(normalizeOpenApi30Schema({ $ref: "#/x", nullable: true, description: "d" }), {
      description: "d",
      anyOf: [{ type: "null" }, { $ref: "#/x" }]
    })
    assert.deepStrictEqual(
      normalizeOpenApi30Schema({ type: "object", properties: { nullable: { type: "string" } } }),
      { type: "object", properties: { nullable: { type: "string" } } }
    )
    assert.deepStrictEqual(normalizeOpenApi30Schema({ type: "number", minimum: 0, exclusiveMinimum: true }), {
      type: "number",
      exclusiveMinimum: 0
    })
  })
})

describe("OpenApiValidator (3.0 document)", () => {
  const validator = OpenApiValidator.fromDocument(doc30)
  const found = (method: string, path: string) => {
    const lookup = validator.lookup(method, path)
    if (lookup._tag !== "Found") throw new Error(`no operation for ${method} ${path}: ${lookup._tag}`)
    return lookup.match
  }

  it("prefers literal segments over parameters and reports other methods", () => {
    assert.strictEqual(found("GET", "/items/special").operation.path, "/items/special")
    assert.strictEqual(found("GET", "/items/123").operation.path, "/items/{item_id}")
    assert.deepStrictEqual(found("GET", "/items/a%2Fb").params, { item_id: "a/b" })
    const notAllowed = validator.lookup("DELETE", "/items/123")
    assert.strictEqual(notAllowed._tag, "MethodNotAllowed")
    assert.strictEqual(validator.lookup("GET", "/nope")._tag, "NotFound")
  })

  it("coerces query strings and names broken parameters", () => {
    const { operation } = found("GET", "/items/x")
    const ok = validator.validateRequest(operation, {
      params: { item_id: "8f5e1b2c-1d2e-4f3a-9b8c-7d6e5f4a3b2c" },
      searchParams: new URLSearchParams("limit=5&flag=true&other=z"),
      bodyText: ""
    })
    assert.isTrue(ok.ok)
    if (ok.ok) {
      assert.strictEqual(ok.query["limit"], 5)
      assert.strictEqual(ok.query["flag"], true)
      assert.strictEqual(ok.query["other"], "z")
    }
    const bad = validator.validateRequest(operation, {
      params: { item_id: "not-a-uuid" },
      searchParams: new URLSearchParams("limit=-1"),
      bodyText: ""
    })
    assert.isFalse(bad.ok)
    if (!bad.ok) {
      const messages = bad.issues.map((i) => i.message)
      assert.include(messages.join("\n"), "path/item_id must match format \"uuid\"")
      assert.include(messages.join("\n"), "query/limit must be >= 0")
      assert.deepStrictEqual(bad.issues.find((i) => i.location === "query")?.path, ["limit"])
    }
  })

  it("validates bodies, including nullable and $ref-with-nullable", () => {
    const { operation } = found("PUT", "/items/x")
    const request = (body: unknown) =>
      validator.validateRequest(operation, {
        params: { item_id: "x" },
        searchParams: new URLSearchParams(),
        bodyText: JSON.stringify(body)
      })
    assert.isTrue(request({ name: "n", note: null, kind: null, ref: null, anything: null }).ok)
    assert.isTrue(request({ name: "n", ref: { x: 1 }, properties: { nullable: "s" } }).ok)
    const missing = request({ note: "x" })
    assert.isFalse(missing.ok)
    if (!missing.ok) {
      assert.deepStrictEqual(missing.issues[0]!.path, ["name"])
      assert.strictEqual(missing.issues[0]!.message, "body must have required property 'name'")
    }
    const extra = request({ name: "n", bogus: 1 })
    assert.isFalse(extra.ok)
    if (!extra.ok) assert.include(extra.issues[0]!.message, "bogus")
    const badJson = validator.validateRequest(operation, {
      params: { item_id: "x" },
      searchParams: new URLSearchParams(),
      bodyText: "{nope"
    })
    assert.isFalse(badJson.ok)
    const empty = validator.validateRequest(operation, { params: { item_id: "x" }, searchParams: new URLSearchParams(), bodyText: "" })
    assert.isFalse(empty.ok)
  })

  it("validates responses per status and media type", () => {
    const { operation } = found("GET", "/items/x")
    assert.deepStrictEqual(validator.validateResponse(operation, { status: 200, contentType: "application/json", body: { name: "n" } }), [])
    assert.strictEqual(
      validator.validateResponse(operation, { status: 200, contentType: "application/json", body: { nope: 1 } }).length > 0,
      true
    )
    assert.deepStrictEqual(validator.validateResponse(operation, { status: 400, contentType: "text/plain", body: "bad" }), [])
    assert.isTrue(validator.validateResponse(operation, { status: 400, contentType: "application/json", body: {} }).length > 0)
    // undeclared: fine for errors, a violation for successes
    assert.deepStrictEqual(validator.validateResponse(operation, { status: 404, contentType: "application/json", body: {} }), [])
    assert.isTrue(validator.validateResponse(operation, { status: 201, contentType: "application/json", body: {} }).length > 0)
    const special = found("GET", "/items/special").operation
    assert.deepStrictEqual(validator.validateResponse(special, { status: 204, contentType: undefined, body: undefined }), [])
    assert.isTrue(validator.validateResponse(special, { status: 204, contentType: "application/json", body: {} }).length > 0)
  })

  it("registers extra operations that can reference the file's components", () => {
    const v = OpenApiValidator.fromDocument(doc30)
    v.registerOperation({
      method: "POST",
      path: "/items/{item_id}/feedback",
      parameters: [{ name: "item_id", in: "path", required: true, schema: { type: "string" } }],
      requestBody: { required: true, schema: { type: "object", properties: { item: { $ref: "#/components/schemas/Inner" } }, required: ["item"] } },
      responses: { "200": {} }
    })
    const lookup = v.lookup("POST", "/items/1/feedback")
    assert.strictEqual(lookup._tag, "Found")
    if (lookup._tag !== "Found") return
    const op = lookup.match.operation
    assert.isTrue(op.extra)
    const check = (body: unknown) => v.validateRequest(op, { params: { item_id: "1" }, searchParams: new URLSearchParams(), bodyText: JSON.stringify(body) })
    assert.isTrue(check({ item: { x: 1 } }).ok)
    assert.isFalse(check({ item: {} }).ok)
    // the extra is per validator instance
    assert.strictEqual(OpenApiValidator.fromDocument(doc30).lookup("POST", "/items/1/feedback")._tag, "NotFound")
  })
})

describe("OpenApiValidator (vendor files)", () => {
  it("loads Braintrust's 3.0.3 file and handles repeated ids", () => {
    const validator = OpenApiValidator.fromFile(braintrustSpec)
    const lookup = validator.lookup("GET", "/v1/function")
    assert.strictEqual(lookup._tag, "Found")
    if (lookup._tag !== "Found") return
    const ids = ["8f5e1b2c-1d2e-4f3a-9b8c-7d6e5f4a3b2c", "9f5e1b2c-1d2e-4f3a-9b8c-7d6e5f4a3b2c"]
    const many = validator.validateRequest(lookup.match.operation, {
      params: {},
      searchParams: new URLSearchParams(ids.map((id) => ["ids", id])),
      bodyText: ""
    })
    assert.isTrue(many.ok)
    if (many.ok) assert.deepStrictEqual(many.query["ids"], ids)
    const bad = validator.validateRequest(lookup.match.operation, {
      params: {},
      searchParams: new URLSearchParams("ids=nope&limit=ten"),
      bodyText: ""
    })
    assert.isFalse(bad.ok)
    if (!bad.ok) {
      assert.isTrue(bad.issues.some((i) => i.path[0] === "ids"))
      assert.isTrue(bad.issues.some((i) => i.message.startsWith("query/limit must be integer")))
    }
    assert.isTrue(validator.operations().length > 100)
    assert.strictEqual(validator.lookup("POST", "/v1/acl/batch_update")._tag, "Found")
  })

  it("loads Basalt's 3.1 file", () => {
    const validator = OpenApiValidator.fromFile(basaltSpec)
    assert.isTrue(validator.operations().length > 0)
    assert.strictEqual(validator.lookup("GET", "/prompts/my-slug")._tag, "Found")
  })
})
