import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as Eval from "../src/Eval.js"
import * as Memory from "../src/Memory.js"

// Stored baselines match results by case id: these ids were computed by the
// runner before its case sources moved (issue 12) and must never change.
const PINNED: ReadonlyArray<readonly [string, unknown, string]> = [
  ["a string", "Ada", "a39afeed7d3319213be7a235840b3c6d"],
  ["the empty string", "", "12ae32cb1ec02d01eda3581b127c1fee"],
  ["a string with non-ASCII and a line separator", "héllo ✓ \u2028", "43b5b91c13813b3a3f4c0c3f6f319772"],
  ["an integer", 42, "73475cb40a568e8da8a045ced110137e"],
  ["a float", 0.1, "14be4b45f18e0d8c67b4f719b5144eee"],
  ["negative zero", -0, "5feceb66ffc86f38d952786c6d696c79"],
  ["NaN", Number.NaN, "8832c23fc14920027a721e7d09588179"],
  ["Infinity", Number.POSITIVE_INFINITY, "f7240e746ae2e77280b7be8fcc041734"],
  ["a boolean", true, "b5bea41b6c623f7c09f1bf24dcae58eb"],
  ["null", null, "74234e98afe7498fb5daf1f36ac2d78a"],
  ["undefined (as null)", undefined, "74234e98afe7498fb5daf1f36ac2d78a"],
  ["a BigInt", BigInt(10), "e3ffebd1b5f8c20c92126f8c84c515f7"],
  ["an array", [1, "two", null, undefined, { b: 2, a: 1 }], "ef862bbb16dce970708cc6edad5ba767"],
  ["a nested object", { name: "Ada", meta: { z: 1, a: [1, 2] }, skip: undefined }, "457fcb94807d8fafdff4fc908265bc62"],
  ["the same object, keys in another order", { meta: { a: [1, 2], z: 1 }, name: "Ada" }, "457fcb94807d8fafdff4fc908265bc62"],
  ["a Date", new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), "2ddc59d09c07e50b9ea59415408a7735"],
  ["an object with toJSON", { toJSON: () => ({ y: 1, x: 2 }) }, "8c056c3399fce447330a0e90971addc7"]
]

describe("case ids", () => {
  for (const [name, input, expected] of PINNED) {
    it(`are pinned for ${name}`, () => {
      assert.strictEqual(Eval.caseId(input), expected)
    })
  }

  it("are pinned for a circular object", () => {
    const circular: Record<string, unknown> = { a: 1 }
    circular.self = circular
    assert.strictEqual(Eval.caseId(circular), "16d896958f4b64904eb01ce461f24d89")
  })

  // The runner derives ids itself (it does not call `Eval.caseId`): pin what it stores, from an array and from a stream.
  const data = [
    { input: "Ada" },
    { input: { name: "Ada", meta: { z: 1, a: [1, 2] } } },
    { input: "Ada" },
    { id: "given", input: "Ada" },
    { input: { meta: { a: [1, 2], z: 1 }, name: "Ada" } },
    { input: "Ada" }
  ]
  const expected = [
    "a39afeed7d3319213be7a235840b3c6d",
    "457fcb94807d8fafdff4fc908265bc62",
    "a39afeed7d3319213be7a235840b3c6d-2",
    "given",
    "457fcb94807d8fafdff4fc908265bc62-2",
    "a39afeed7d3319213be7a235840b3c6d-3"
  ]
  for (const [kind, source] of [["an array", data], ["a stream", Stream.fromIterable(data)]] as const) {
    it.effect(`are pinned as Eval.run derives them from ${kind}, repeats numbered in data order`, () =>
      Effect.gen(function*() {
        const run = yield* Eval.run({
          name: "pinned ids",
          data: source,
          task: (input: unknown) => Effect.succeed(input),
          scorers: [Eval.scorer("one", () => 1)],
          concurrency: 3
        })
        assert.deepStrictEqual(run.results!.map((result) => result.caseId), expected)
      }).pipe(Effect.provide(Memory.layer())))
  }
})
