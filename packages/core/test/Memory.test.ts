import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as Conformance from "../src/Conformance.js"
import * as Experiments from "../src/Experiments.js"
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
Conformance.traceReader("memory", layer)

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

  it.effect("latestNamed finds the previous run of an experiment, newest first", () =>
    Effect.gen(function*() {
      const { experiments } = Memory.makeServices(Memory.makeState(), { deterministicIds: true })
      const provide = Effect.provideService(Experiments.Experiments, experiments)
      assert.isTrue(Option.isNone(yield* Experiments.latestNamed("nightly").pipe(provide)))
      const first = yield* experiments.create({ name: "nightly" })
      yield* experiments.create({ name: "other" })
      const second = yield* experiments.create({ name: "nightly-1" })
      yield* experiments.create({ name: "nightly-x" })
      assert.isFalse(Experiments.isRunOf("nightly", "nightly-x"))
      assert.isFalse(Experiments.isRunOf("nightly", "nightly-"))
      assert.strictEqual(Option.getOrThrow(yield* Experiments.latestNamed("nightly").pipe(provide)).id, second.id)
      const before = yield* Experiments.latestNamed("nightly", { excluding: second.id }).pipe(provide)
      assert.strictEqual(Option.getOrThrow(before).id, first.id)
    }))

  it.effect("a cursor the memory reader never returned is InvalidInput", () =>
    Effect.gen(function*() {
      const { traceReader } = Memory.makeServices(Memory.makeState())
      const error = yield* Effect.flip(traceReader.read({ after: "not-a-cursor" }))
      assert.strictEqual(error._tag, "InvalidInput")
      assert.include(error.message, "after")
    }))
})
