import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Conformance from "../src/Conformance.js"
import * as Memory from "../src/Memory.js"
import * as Prompts from "../src/Prompts.js"
import * as Testing from "../src/Testing.js"

const layer = Memory.layer()

Conformance.promptRegistry("memory", layer)
Conformance.datasets("memory", layer)
Conformance.experiments("memory", layer)
Conformance.spanSink("memory", layer, (traceId) =>
  Effect.map(Memory.MemoryState, (state) => [...state.spans.values()].filter((record) => record.traceId === traceId)))
Conformance.feedback("memory", layer, () => "span-1")

describe("Memory", () => {
  it.effect("seeds prompts and datasets; deterministic experiment ids", () =>
    Effect.gen(function*() {
      const prompt = yield* Prompts.get("greeting", { tag: "production" })
      assert.strictEqual(prompt.version, "1")
      assert.strictEqual(prompt.tag, "production")
      const state = yield* Memory.MemoryState
      assert.strictEqual(state.datasets.get("greetings")?.records.size, 3)
    }).pipe(Effect.provide(Testing.memoryWithFixtures())))

  it.effect("a baseline that does not exist is NotFound at create time", () =>
    Effect.gen(function*() {
      const { experiments } = Memory.makeServices(Memory.makeState(), { deterministicIds: true })
      const first = yield* experiments.create({ name: "one" })
      assert.strictEqual(first.id, "exp-1")
      const error = yield* Effect.flip(experiments.create({ name: "two", baseline: "exp-9" }))
      assert.strictEqual(error._tag, "NotFound")
    }))
})
