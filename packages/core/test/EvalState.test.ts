import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, FastCheck as fc, Fiber, Layer, Option, Stream, TestClock } from "effect"
import * as Eval from "../src/Eval.js"
import type { ExperimentState } from "../src/Experiment.js"
import * as Experiments from "../src/Experiments.js"
import * as Memory from "../src/Memory.js"
import * as Summary from "../src/Summary.js"
import * as Trace from "../src/Trace.js"

const memory = Memory.layer({ deterministicIds: true })

const stored = (id: string) => Effect.map(Memory.MemoryState, (state) => state.experiments.get(id)?.experiment.state)

const one = Eval.scorer("one", () => 1)

const cases = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `c${i}`, input: i }))

const sleepy = (i: number) => Effect.as(Effect.sleep("1 second"), i)

describe("Eval.run records the experiment's state", () => {
  it.effect("running from creation, then complete with its counts", () =>
    Effect.gen(function*() {
      let atStart: ExperimentState | undefined
      let started: ExperimentState | undefined
      const run = yield* Eval.run({
        name: "states",
        data: cases(3),
        task: (i: number) => (i === 1 ? Effect.fail("boom") : Effect.succeed(i)),
        scorers: [one, Eval.scorer("nan", () => Number.NaN)],
        onProgress: (event) =>
          event._tag === "Started"
            ? Effect.map(stored(event.experiment.id), (state) => {
              atStart = state
              started = event.experiment.state
            })
            : Effect.void
      })
      assert.deepStrictEqual(atStart, { status: "running", total: 3, completed: 0, errors: 0, scorerErrors: 0 })
      assert.deepStrictEqual(started, atStart)
      const expected: ExperimentState = { status: "complete", total: 3, completed: 3, errors: 1, scorerErrors: 2 }
      assert.deepStrictEqual(run.state, expected)
      assert.deepStrictEqual(yield* stored(run.experiment.id), expected)
      assert.deepStrictEqual(run.summary.state, expected)
      assert.deepStrictEqual(run.experiment.state, expected)
      assert.strictEqual(run.summary.scorerErrors, 2)
      assert.strictEqual(run.summary.errors, 1)
    }).pipe(Effect.provide(memory)))

  it.effect("a gate's verdict is recorded, and a failed gate is never the default baseline", () =>
    Effect.gen(function*() {
      const good = yield* Eval.run({ name: "gated", data: cases(2), task: Effect.succeed, scorers: [one], gate: () => true })
      assert.strictEqual(good.state.gate, "passed")
      const bad = yield* Eval.run({
        name: "gated",
        data: cases(2),
        task: Effect.succeed,
        scorers: [Eval.scorer("one", () => 0)],
        baseline: good.experiment.id,
        gate: (summary) => summary.scores["one"]!.regressions === 0
      })
      assert.strictEqual(bad.state.gate, "failed")
      assert.strictEqual((yield* stored(bad.experiment.id))?.gate, "failed")
      const baseline = yield* Experiments.latestBaseline("gated")
      assert.strictEqual(Option.getOrUndefined(baseline)?.id, good.experiment.id)
      // Without a gate, no verdict.
      const plain = yield* Eval.run({ name: "plain", data: cases(1), task: Effect.succeed, scorers: [one] })
      assert.isUndefined(plain.state.gate)
    }).pipe(Effect.provide(memory)))

  it.effect("an interrupted run is partial, with the counts of what was logged", () =>
    Effect.gen(function*() {
      const fiber = yield* Eval.run({ name: "cut", data: cases(10), task: sleepy, scorers: [one], concurrency: 2 }).pipe(
        Effect.fork
      )
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("500 millis")
      yield* Fiber.interrupt(fiber)
      const state = yield* Memory.MemoryState
      assert.strictEqual(state.experiments.get("exp-1")!.results.size, 2)
      assert.deepStrictEqual(yield* stored("exp-1"), {
        status: "partial",
        total: 10,
        completed: 2,
        errors: 0,
        scorerErrors: 0,
        reason: "interrupted"
      })
      assert.isTrue(Option.isNone(yield* Experiments.latestBaseline("cut")))
    }).pipe(Effect.provide(memory)))

  it.effect("a run past its overall timeout is partial, with the reason", () =>
    Effect.gen(function*() {
      const fiber = yield* Eval.run({
        name: "slow",
        data: cases(10),
        task: sleepy,
        scorers: [one],
        concurrency: 2,
        overallTimeout: "2500 millis"
      }).pipe(Effect.exit, Effect.fork)
      for (let i = 0; i < 3; i++) yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(yield* stored("exp-1"), {
        status: "partial",
        total: 10,
        completed: 4,
        errors: 0,
        scorerErrors: 0,
        reason: "overall timeout (2s 500ms)"
      })
    }).pipe(Effect.provide(memory)))

  it.effect("a data source that fails after the experiment exists makes it failed", () =>
    Effect.gen(function*() {
      const exit = yield* Eval.run({
        name: "broken",
        data: Stream.concat(Stream.make({ id: "ok", input: 1 }), Stream.fail(new Error("dataset page 2 failed"))),
        task: Effect.succeed,
        scorers: [one],
        concurrency: 1
      }).pipe(Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(yield* stored("exp-1"), {
        status: "failed",
        completed: 1,
        errors: 0,
        scorerErrors: 0,
        reason: "dataset page 2 failed"
      })
      assert.isTrue(Option.isNone(yield* Experiments.latestBaseline("broken")))
    }).pipe(Effect.provide(memory)))
})

class Greeter extends Context.Tag("test/Greeter")<Greeter, { readonly greet: (name: string) => string }>() {}
class Prefix extends Context.Tag("test/Prefix")<Prefix, string>() {}

describe("Eval.run with a layer", () => {
  it.effect("builds it once per run, gives it to the task, the scorers and the data, and releases it after", () =>
    Effect.gen(function*() {
      let builds = 0
      let releases = 0
      const greeter = Layer.scoped(
        Greeter,
        Effect.acquireRelease(
          Effect.sync(() => {
            builds++
            return { greet: (name: string) => `Hello ${name}` }
          }),
          () =>
            Effect.sync(() => {
              releases++
            })
        )
      )
      const run = yield* Eval.run({
        name: "layered",
        data: Effect.map(Greeter, (g) => [{ input: "Ada", expected: g.greet("Ada") }, { input: "Bob" }, { input: "Cy" }]),
        layer: greeter,
        task: (name: string) => Effect.map(Greeter, (g) => g.greet(name)),
        scorers: [
          Eval.scorer("plain", ({ output }) => (output.startsWith("Hello") ? 1 : 0)),
          Eval.scorer("effectful", ({ input, output }) => Effect.map(Greeter, (g) => (g.greet(input) === output ? 1 : 0)))
        ],
        concurrency: 3
      })
      assert.strictEqual(builds, 1)
      assert.strictEqual(releases, 1)
      assert.deepStrictEqual(run.results!.map((r) => r.output), ["Hello Ada", "Hello Bob", "Hello Cy"])
      assert.deepStrictEqual(run.results!.map((r) => r.scores), Array.from({ length: 3 }, () => ({ plain: 1, effectful: 1 })))
      assert.strictEqual(run.state.status, "complete")
    }).pipe(Effect.provide(memory)))

  it.effect("a layer that cannot be built fails the run before any experiment exists", () =>
    Effect.gen(function*() {
      const exit = yield* Eval.run({
        name: "no-layer",
        data: cases(2),
        layer: Layer.fail("no credentials" as const) as Layer.Layer<Greeter, "no credentials">,
        task: (i: number) => Effect.map(Greeter, (g) => g.greet(String(i))),
        scorers: [one]
      }).pipe(Effect.exit)
      assert.deepStrictEqual(exit, Exit.fail("no credentials" as const))
      const state = yield* Memory.MemoryState
      assert.strictEqual(state.experiments.size, 0)
    }).pipe(Effect.provide(memory)))

  it("types: the layer's services leave the run's requirements; its own needs join them", () => {
    const needsPrefix = Layer.effect(Greeter, Effect.map(Prefix, (p) => ({ greet: (name: string) => `${p} ${name}` })))
    const run = Eval.run({
      name: "typed",
      data: cases(1),
      layer: needsPrefix,
      task: (i: number) => Effect.map(Greeter, (g) => g.greet(String(i))),
      scorers: [Eval.scorer("uses-greeter", () => Effect.as(Greeter, 1))]
    })
    type Requirements<T> = T extends Effect.Effect<any, any, infer R> ? R : never
    const exact: [Requirements<typeof run>] extends [Experiments.Experiments | Prefix] ? true : false = true
    const prefix: Prefix extends Requirements<typeof run> ? true : false = true
    const greeter: Greeter extends Requirements<typeof run> ? true : false = false
    assert.deepStrictEqual([exact, prefix, greeter], [true, true, false])
  })
})

describe("scorer errors (property)", () => {
  it.effect("a value outside 0..1 or not finite is always a scorer error, never a score; any other is the score", () =>
    Effect.gen(function*() {
      const values = fc.sample(
        fc.oneof(
          fc.double({ noNaN: false }),
          fc.double({ min: 0, max: 1 }),
          fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 0, 1, 2, -0.5, 1 + Number.EPSILON, -Number.MIN_VALUE)
        ),
        { numRuns: 300, seed: 42 }
      )
      const run = yield* Eval.run({
        name: "property",
        data: values.map((value, i) => ({ id: `c${i}`, input: value })),
        task: Effect.succeed,
        scorers: [
          Eval.scorer("value", ({ output }) => output),
          Eval.scorer("named", ({ output }) => ({ name: "named", score: output }))
        ]
      })
      let invalid = 0
      for (const result of run.results!) {
        const value = result.input as number
        const valid = Number.isFinite(value) && value >= 0 && value <= 1
        if (valid) {
          assert.deepStrictEqual(result.scores, { value, named: value }, `value ${value}`)
          assert.isUndefined(result.scorerErrors)
        } else {
          invalid++
          assert.deepStrictEqual(result.scores, {}, `value ${value}`)
          assert.deepStrictEqual(Object.keys(result.scorerErrors ?? {}).sort(), ["named", "value"])
        }
      }
      assert.isAbove(invalid, 0)
      assert.strictEqual(run.summary.scorerErrors, invalid * 2)
      assert.strictEqual(run.state.scorerErrors, invalid * 2)
    }).pipe(Effect.provide(memory)))
})

describe("usage annotated on spans inside a case", () => {
  it.effect("is added to the case's result and summed in the summary on every backend", () =>
    Effect.gen(function*() {
      const llm = (text: string) =>
        Effect.as(Trace.annotate({ usage: { promptTokens: text.length, completionTokens: 2 } }), text).pipe(
          Effect.withSpan("llm call")
        )
      const run = yield* Eval.run({
        name: "usage",
        data: [{ id: "a", input: "abc" }, { id: "b", input: "abcdefg" }],
        task: (input: string, { annotate }) =>
          Effect.gen(function*() {
            yield* llm(input)
            yield* llm(input).pipe(Effect.withSpan("nested"))
            yield* annotate({ usage: { cost: 0.5 } })
            return input
          }),
        scorers: [
          // A judge's usage is not the task's.
          Eval.scorer("judge", () => Effect.as(Trace.annotate({ usage: { promptTokens: 1000 } }), 1))
        ]
      })
      assert.deepStrictEqual(run.results!.map((r) => r.usage), [
        { promptTokens: 6, completionTokens: 4, totalTokens: 10, cost: 0.5 },
        { promptTokens: 14, completionTokens: 4, totalTokens: 18, cost: 0.5 }
      ])
      const stored = yield* Effect.flatMap(Experiments.Experiments, (experiments) =>
        experiments.summarize(run.experiment.id))
      assert.strictEqual(stored.metrics["promptTokens"]!.mean, 10)
      assert.strictEqual(stored.metrics["totalTokens"]!.mean, 14)
      assert.strictEqual(stored.metrics["cost"]!.mean, 0.5)
      const table = Summary.toTable(stored)
      assert.match(table, /^totalTokens\s+14\.0\s*$/m)
      assert.match(table, /^cost\s+\$0\.5000\s*$/m)
      // Outside an eval, annotating usage still works and goes nowhere else.
      yield* Trace.annotate({ usage: { promptTokens: 1 } }).pipe(Effect.withSpan("app"))
    }).pipe(Effect.provide(memory)))
})

describe("Experiments.resolve", () => {
  it.effect("an exact id, a name's newest run, a unique prefix; an ambiguous prefix lists the candidates", () =>
    Effect.gen(function*() {
      const experiments = yield* Experiments.Experiments
      for (const name of ["alpha", "beta", "alpha"]) yield* experiments.create({ name })
      yield* experiments.setState("exp-3", { status: "partial", completed: 1, errors: 0, scorerErrors: 0 })
      assert.strictEqual((yield* Experiments.resolve("exp-2")).id, "exp-2")
      assert.strictEqual((yield* Experiments.resolve("alpha")).id, "exp-3", "the newest run, whatever its state")
      assert.strictEqual((yield* Experiments.resolve("alpha", { baseline: true })).id, "exp-1")
      const ambiguous = yield* Effect.flip(Experiments.resolve("exp-"))
      assert.strictEqual(ambiguous._tag, "InvalidInput")
      assert.include(ambiguous.message, "exp-1 (alpha), exp-2 (beta), exp-3 (alpha)".split(", ").reverse().join(", "))
      const short = yield* Effect.flip(Experiments.resolve("exp"))
      assert.strictEqual(short._tag, "NotFound")
      assert.include(short.message, "at least 4 characters")
      yield* experiments.create({ name: "gamma" })
      yield* experiments.setState("exp-4", { status: "failed", completed: 0, errors: 0, scorerErrors: 0 })
      const none = yield* Effect.flip(Experiments.resolve("gamma", { baseline: true }))
      assert.strictEqual(none._tag, "NotFound")
      assert.include(none.message, "gamma")
    }).pipe(Effect.provide(memory)))
})
