/**
 * Issue 11 point 7: a list query parameter the OpenAPI file declares
 * `format: uuid` never leaves the client with another value. Each bad value
 * fails with the `InvalidInput` path ids already get, naming the parameter,
 * and no request is made.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as BraintrustClient from "../src/BraintrustClient.js"
import { clientLayer, json, uuid } from "./fakeVendor.js"

const Client = BraintrustClient.BraintrustClient

describe("BraintrustClient uuid query parameters", () => {
  it.effect("a non-uuid cursor, id filter or project id fails naming the parameter; nothing is sent", () => {
    const { captured, layer } = clientLayer(() => json({ objects: [] }))
    return Effect.gen(function*() {
      const client = yield* Client
      const cases: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
        ["query.starting_after", client.experiments.list({ starting_after: "cursor-1" })],
        ["query.ending_before", client.datasets.list({ ending_before: "not a uuid" })],
        ["query.ids", client.projects.list({ ids: "p1" })],
        ["query.ids[1]", client.prompts.list({ ids: [uuid(1), "nope"] })],
        ["query.project_id", client.functions.list({ project_id: "proj" })],
        ["query.project_id", client.experiments.list({ project_id: "" })],
        ["query.ids[0]", client.environments.list({ ids: ["env"] })],
        ["query.comparison_experiment_id", client.experiments.summarize(uuid(1), { comparison_experiment_id: "base" })],
        ["query.starting_after", Stream.runDrain(client.prompts.stream({ starting_after: "x" }))]
      ]
      for (const [path, call] of cases) {
        const error = yield* Effect.flip(call)
        assert.strictEqual((error as { _tag: string })._tag, "InvalidInput", path)
        const invalid = error as { path: string; description: string; operation: string }
        assert.strictEqual(invalid.path, path)
        assert.include(invalid.description, `${path} must be a Braintrust object id (a UUID)`)
      }
      assert.strictEqual(captured.length, 0)
    }).pipe(Effect.provide(layer))
  })

  it.effect("uuid values go out unchanged, ids as repeated parameters", () => {
    const { captured, layer } = clientLayer(() => json({ objects: [] }))
    return Effect.gen(function*() {
      const client = yield* Client
      yield* client.experiments.list({ project_id: uuid(7), starting_after: uuid(8), ids: [uuid(1), uuid(2)] })
      const url = captured[0]!.url
      assert.strictEqual(url.searchParams.get("project_id"), uuid(7))
      assert.strictEqual(url.searchParams.get("starting_after"), uuid(8))
      assert.deepStrictEqual(url.searchParams.getAll("ids"), [uuid(1), uuid(2)])
    }).pipe(Effect.provide(layer))
  })
})
