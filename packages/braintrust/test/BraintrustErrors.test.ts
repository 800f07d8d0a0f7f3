/**
 * Braintrust's error format, read by the client (core's `ProviderHttp` knows
 * no vendor): the `x-bt-internal-trace-id` header, and the error envelope
 * `{Code, Message, InternalTraceId}` whose `Message` may hold JSON with zod
 * issues followed by a personal-data suffix.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as BraintrustClient from "../src/BraintrustClient.js"
import { readErrorJson } from "../src/internal/errors.js"
import { clientLayer, json, uuid } from "./fakeVendor.js"

const Client = BraintrustClient.BraintrustClient

// Braintrust's observed 400: `Message` holds JSON with zod issues, then a context suffix.
const braintrustZod400 = {
  Code: "BadRequestError",
  Message: `${
    JSON.stringify({
      error: "Invalid request",
      errors: [
        {
          code: "invalid_type",
          expected: "number",
          received: "string",
          path: ["rows", 0, "metrics", "start"],
          message: "Expected number, received string"
        },
        { code: "custom", path: ["rows", 1, "span attributes"], message: "Invalid span type" }
      ]
    })
  } [user_email=someone@example.com] [user_org=acme] [timestamp=1700000000]`,
  InternalTraceId: "abc123trace",
  Path: "/logs3",
  Service: "api"
}

describe("Braintrust error format", () => {
  it.effect("a 400 with embedded zod issues → BadRequest with issue paths, the trace id, no personal data", () => {
    const { captured, layer } = clientLayer(() => json(braintrustZod400, { status: 400 }))
    return Effect.gen(function*() {
      const client = yield* Client
      const error = yield* Effect.flip(client.insert({ project_logs: { [uuid(1)]: { events: [{ id: "r" }] } } }))
      assert.strictEqual(captured.length, 1)
      assert.strictEqual(error._tag, "BadRequest")
      if (error._tag !== "BadRequest") return
      assert.strictEqual(error.status, 400)
      assert.strictEqual(error.operation, "BraintrustClient.insert")
      assert.strictEqual(error.description, "Invalid request")
      assert.strictEqual(error.requestId, "abc123trace")
      assert.deepStrictEqual(error.issues.map((issue) => [issue.path, issue.message]), [
        ["rows[0].metrics.start", "Expected number, received string"],
        ["rows[1][\"span attributes\"]", "Invalid span type"]
      ])
      assert.notInclude(error.message, "someone@example.com")
      assert.include(error.message, "rows[0].metrics.start: Expected number, received string")
    }).pipe(Effect.provide(layer))
  })

  it.effect("x-bt-internal-trace-id is the request id, before x-request-id, on errors and undecodable bodies", () => {
    const answers = [
      json({ Code: "InternalServerError" }, {
        status: 500,
        headers: { "x-request-id": "req-1", "x-bt-internal-trace-id": "trace-500" }
      }),
      json({ objects: [{ id: 42 }] }, { headers: { "x-bt-internal-trace-id": "trace-9" } })
    ]
    const { layer } = clientLayer((_, index) => answers[index]!)
    return Effect.gen(function*() {
      const client = yield* Client
      const unavailable = yield* Effect.flip(client.functions.list())
      assert.strictEqual(unavailable._tag, "ProviderUnavailable")
      assert.strictEqual(unavailable.requestId, "trace-500")
      assert.strictEqual(unavailable.description, "InternalServerError")
      const undecodable = yield* Effect.flip(client.functions.list())
      assert.strictEqual(undecodable._tag, "DecodeError")
      assert.strictEqual(undecodable.requestId, "trace-9")
    }).pipe(Effect.provide(layer))
  })

  it("readErrorJson reads the envelope; other bodies are left to the common reading", () => {
    assert.deepStrictEqual(readErrorJson({ Code: "InternalServerError", InternalTraceId: "t1", Path: "/logs3" }), {
      description: "InternalServerError",
      requestId: "t1",
      issues: []
    })
    assert.strictEqual(
      readErrorJson({ Code: "BadRequestError", Message: "Missing project_id [user_email=x@y.z] [timestamp=1]" })
        ?.description,
      "Missing project_id"
    )
    assert.isUndefined(readErrorJson("plain"))
    assert.isUndefined(readErrorJson([{ message: "a list" }]))
  })
})
