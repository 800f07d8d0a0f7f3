/**
 * `insert` reads the vendor's answer with the `CrossObjectInsertResponse`
 * schema: whatever the vendor answers, the result is exactly what that schema
 * gives (same key order, excess keys stripped) or a `DecodeError` with its
 * path and description. Pinned here because the span exporter's hot path
 * goes through it (a hand-written fast path was measured in issue 12 and not
 * kept: it saved ~1 µs of ~45 per span).
 */
import { assert, describe, it } from "@effect/vitest"
import * as ProviderHttp from "@promptops/core/ProviderHttp"
import { Effect, Either, ParseResult, Schema } from "effect"
import * as BraintrustClient from "../src/BraintrustClient.js"
import { CrossObjectInsertResponse } from "../src/BraintrustSchema.js"
import { clientLayer, json, PROJECT_ID, uuid } from "./fakeVendor.js"

const Client = BraintrustClient.BraintrustClient

const bodies: ReadonlyArray<readonly [string, unknown]> = [
  ["the usual answer", { project_logs: { [PROJECT_ID]: { row_ids: ["a", "b"] } } }],
  ["several objects, sections out of schema order", {
    project_logs: { [PROJECT_ID]: { row_ids: ["a"] } },
    experiment: { [uuid(1)]: { row_ids: [] }, [uuid(2)]: { row_ids: ["x", "y"] } }
  }],
  ["null and absent sections", { experiment: null, project_logs: { [PROJECT_ID]: { row_ids: ["a"] } } }],
  ["an excess top-level key", { project_logs: { [PROJECT_ID]: { row_ids: ["a"] } }, extra: 1 }],
  ["an excess key beside row_ids", { project_logs: { [PROJECT_ID]: { row_ids: ["a"], xact_id: "1" } } }],
  ["an empty object", {}],
  ["a row id that is not a string", { project_logs: { [PROJECT_ID]: { row_ids: ["a", 2] } } }],
  ["no row_ids", { project_logs: { [PROJECT_ID]: {} } }],
  ["a section that is an array", { project_logs: [] }],
  ["an array", []]
]

describe("BraintrustClient.insert response", () => {
  for (const [label, body] of bodies) {
    it.effect(`${label}: the same result as the schema`, () => {
      const { layer } = clientLayer(() => json(body))
      return Effect.gen(function*() {
        const client = yield* Client
        const result = yield* Effect.either(client.insert({ project_logs: { [PROJECT_ID]: { events: [{ input: 1 }] } } }))
        const expected = Schema.decodeUnknownEither(CrossObjectInsertResponse)(body)
        if (Either.isRight(expected)) {
          assert.isTrue(Either.isRight(result), `${label}: ${JSON.stringify(result)}`)
          if (Either.isRight(result)) assert.strictEqual(JSON.stringify(result.right), JSON.stringify(expected.right))
        } else {
          const issue = ParseResult.ArrayFormatter.formatErrorSync(expected.left)[0]!
          assert.isTrue(Either.isLeft(result))
          if (Either.isLeft(result)) {
            const error = result.left
            assert.strictEqual(error._tag, "DecodeError")
            if (error._tag === "DecodeError") {
              assert.strictEqual(error.path, ProviderHttp.formatPath(issue.path))
              assert.strictEqual(error.description, `unexpected response: ${issue.message}`)
            }
          }
        }
      }).pipe(Effect.provide(layer))
    })
  }
})
