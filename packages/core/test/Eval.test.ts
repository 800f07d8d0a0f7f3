import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Either, Exit, Fiber, Layer, Option, Ref, Stream, TestClock, Tracer } from "effect"
import * as Datasets from "../src/Datasets.js"
import * as Eval from "../src/Eval.js"
import type { EvalResult, Experiment } from "../src/Experiment.js"
import * as Experiments from "../src/Experiments.js"
import * as Attr from "../src/internal/attributes.js"
import * as Memory from "../src/Memory.js"
import { NotFound, PayloadTooLarge } from "../src/PromptOpsError.js"

// ---------------------------------------------------------------------------
// A tiny Experiments backend that records every `log` call.
// ---------------------------------------------------------------------------

interface TestBackend {
  readonly experiments: Map<string, Experiment>
  readonly results: Map<string, Array<EvalResult>>
  /** Size of every successful `log` call, in order. */
  readonly batches: Array<number>
  /** Size of every `log` call, refused or not, in order. */
  readonly attempts: Array<number>
  readonly layer: Layer.Layer<Experiments.Experiments>
}

const makeBackend = (options: {
  /** `log` answers `PayloadTooLarge` for batches larger than this. */
  readonly maxBatch?: number
} = {}): TestBackend => {
  const experiments = new Map<string, Experiment>()
  const results = new Map<string, Array<EvalResult>>()
  const batches: Array<number> = []
  const attempts: Array<number> = []
  const get = (id: string) =>
    Effect.suspend(() => {
      const experiment = experiments.get(id)
      return experiment === undefined
        ? Effect.fail(new NotFound({ provider: "test", operation: "Experiments.get", description: `no ${id}` }))
        : Effect.succeed(experiment)
    })
  const service = Experiments.make({
    provider: "test",
    create: (options) =>
      Effect.sync(() => {
        const id = `exp-${experiments.size + 1}`
        const experiment: Experiment = {
          id,
          name: options.name,
          ...(options.baseline !== undefined ? { baseline: options.baseline } : {}),
          source: { provider: "test" }
        }
        experiments.set(id, experiment)
        results.set(id, [])
        return experiment
      }),
    get,
    list: () => Stream.suspend(() => Stream.fromIterable([...experiments.values()])),
    log: (id, batch) =>
      Effect.suspend(() => {
        attempts.push(batch.length)
        if (options.maxBatch !== undefined && batch.length > options.maxBatch) {
          return Effect.fail(
            new PayloadTooLarge({ provider: "test", operation: "Experiments.log", description: "batch too large" })
          )
        }
        batches.push(batch.length)
        results.get(id)!.push(...batch)
        return Effect.void
      }),
    results: (id) => Stream.suspend(() => Stream.fromIterable(results.get(id) ?? [])),
    setState: (id, state) =>
      Effect.map(get(id), (experiment) => {
        experiments.set(id, { ...experiment, state })
      })
  })
  return { experiments, results, batches, attempts, layer: Layer.succeed(Experiments.Experiments, service) }
}

const exact = Eval.scorer("exact", ({ expected, output }) => (output === expected ? 1 : 0))

const upper = (input: string) => Effect.succeed(input.toUpperCase())

const keys = (results: ReadonlyArray<EvalResult>) => results.map((r) => `${r.caseId}#${r.trial}`)

// ---------------------------------------------------------------------------
// A collecting Tracer, to assert the span tree.
// ---------------------------------------------------------------------------

interface RecordedSpan extends Tracer.Span {
  readonly attributes: Map<string, unknown>
}

const collectingTracer = (spans: Array<RecordedSpan>): Tracer.Tracer => {
  let next = 0
  return Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const id = `span-${++next}`
      const span: RecordedSpan = {
        _tag: "Span",
        name,
        spanId: id,
        traceId: Option.isSome(parent) ? parent.value.traceId : `trace-${id}`,
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes: new Map(),
        links: [...links],
        sampled: true,
        kind,
        end(endTime, exit) {
          ;(this as { status: Tracer.SpanStatus }).status = { _tag: "Ended", startTime, endTime, exit }
        },
        attribute(key, value) {
          this.attributes.set(key, value)
        },
        event() {},
        addLinks() {}
      }
      spans.push(span)
      return span
    },
    context: (f) => f()
  })
}

const parentId = (span: Tracer.Span) => Option.getOrUndefined(Option.map(span.parent, (p) => p.spanId))

describe("Eval.run", () => {
  it.effect("runs every case × trial exactly once over an array, in data order", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const run = yield* Eval.run({
        name: "upper",
        data: [
          { id: "a", input: "a", expected: "A" },
          { id: "b", input: "b", expected: "B" },
          { id: "c", input: "c", expected: "x" }
        ],
        task: upper,
        scorers: [exact],
        trials: 2
      }).pipe(Effect.provide(backend.layer))

      assert.deepStrictEqual(keys(run.results!), ["a#0", "a#1", "b#0", "b#1", "c#0", "c#1"])
      assert.deepStrictEqual(run.results!.map((r) => r.output), ["A", "A", "B", "B", "C", "C"])
      assert.strictEqual(run.summary.results, 6)
      assert.closeTo(run.summary.scores["exact"]!.mean, 4 / 6, 1e-12)
      assert.strictEqual(run.experiment.name, "upper")
      // Logged too, each (case, trial) once.
      const logged = backend.results.get(run.experiment.id)!
      assert.deepStrictEqual(new Set(keys(logged)).size, 6)
      assert.strictEqual(logged.length, 6)
    }))

  it.effect("reads a Stream lazily, across chunks, honouring a case's own trials", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const cases = Array.from({ length: 7 }, (_, i) => ({
        id: `c${i}`,
        input: `x${i}`,
        ...(i === 3 ? { trials: 3 } : {})
      }))
      const run = yield* Eval.run({
        name: "stream",
        data: Stream.fromIterable(cases).pipe(Stream.rechunk(2)),
        task: upper,
        scorers: [Eval.scorer("one", () => 1)],
        concurrency: 3
      }).pipe(Effect.provide(backend.layer))

      const expected = cases.flatMap((c) => c.id === "c3" ? ["c3#0", "c3#1", "c3#2"] : [`${c.id}#0`])
      assert.deepStrictEqual(keys(run.results!), expected)
      assert.strictEqual(backend.results.get(run.experiment.id)!.length, 9)
    }))

  it.effect("accepts an Effect producing the cases, and a stream failure fails the run after logging", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const fromEffect = yield* Eval.run({
        name: "effect-data",
        data: Effect.succeed([{ input: "q" }]),
        task: upper,
        scorers: [Eval.scorer("one", () => 1)]
      }).pipe(Effect.provide(backend.layer))
      assert.deepStrictEqual(fromEffect.results!.map((r) => r.output), ["Q"])

      const failing = Stream.concat(
        Stream.fromIterable([{ id: "ok", input: "ok" }]),
        Stream.fail("dataset page 2 failed" as const)
      )
      const exit = yield* Eval.run({
        name: "broken-data",
        data: failing,
        task: upper,
        scorers: [Eval.scorer("one", () => 1)],
        concurrency: 1
      }).pipe(Effect.provide(backend.layer), Effect.exit)
      assert.deepStrictEqual(exit, Exit.fail("dataset page 2 failed" as const))
      // The case that completed before the failure was logged.
      assert.deepStrictEqual(keys(backend.results.get("exp-2")!), ["ok#0"])
    }))

  it.effect("a failing data effect creates no experiment", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const exit = yield* Eval.run({
        name: "no-data",
        data: Effect.fail("cannot load" as const),
        task: upper,
        scorers: [exact]
      }).pipe(Effect.provide(backend.layer), Effect.exit)
      assert.deepStrictEqual(exit, Exit.fail("cannot load" as const))
      assert.strictEqual(backend.experiments.size, 0)
    }))

  it.effect("never runs more than `concurrency` cases at once, and does run that many", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const inFlight = yield* Ref.make(0)
      const peak = yield* Ref.make(0)
      const task = (input: number) =>
        Effect.gen(function*() {
          const now = yield* Ref.updateAndGet(inFlight, (n) => n + 1)
          yield* Ref.update(peak, (p) => Math.max(p, now))
          for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
          yield* Ref.update(inFlight, (n) => n - 1)
          return input
        })
      const run = yield* Eval.run({
        name: "bounded",
        data: Array.from({ length: 30 }, (_, i) => ({ input: i })),
        task,
        scorers: [Eval.scorer("one", () => 1)],
        concurrency: 4
      }).pipe(Effect.provide(backend.layer))
      assert.strictEqual(yield* Ref.get(peak), 4)
      assert.strictEqual(run.results!.length, 30)
    }))

  it.effect("records every scorer shape: number, Score, Score[], null, promise, and score metadata", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const run = yield* Eval.run({
        name: "shapes",
        data: [{ id: "only", input: "hi", expected: "HI" }],
        task: upper,
        scorers: [
          Eval.scorer("number", () => 0.25),
          Eval.scorer("object", () => ({ name: "Factuality", score: 0.5, metadata: { rationale: "close" } })),
          Eval.scorer("array", () => [{ name: "a1", score: 0 }, { name: "a2", score: 1 }]),
          Eval.scorer("skip", () => null),
          Eval.scorer("promise", () => Promise.resolve(0.75)),
          Eval.scorer("effect", ({ expected, output }) => Effect.succeed(output === expected ? 1 : 0))
        ]
      }).pipe(Effect.provide(backend.layer))
      const result = run.results![0]!
      assert.deepStrictEqual(result.scores, {
        number: 0.25,
        Factuality: 0.5,
        a1: 0,
        a2: 1,
        skip: null,
        promise: 0.75,
        effect: 1
      })
      assert.deepStrictEqual(result.metadata, { scoreMetadata: { Factuality: { rationale: "close" } } })
      assert.strictEqual(run.summary.scores["skip"]!.count, 0)
      assert.strictEqual(run.summary.scores["a2"]!.mean, 1)
    }))

  it.effect("scores named like Object.prototype members, __proto__ included, are scores like any other", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const run = yield* Eval.run({
        name: "prototype-names",
        data: [{ id: "c", input: "x" }],
        task: upper,
        scorers: [
          Eval.scorer("toString", () => 0.25),
          Eval.scorer("constructor", () => ({ name: "constructor", score: 0.5, metadata: { why: "kept" } })),
          Eval.scorer("__proto__", () => 1),
          Eval.scorer("again", () => ({ name: "toString", score: 0 }))
        ]
      }).pipe(Effect.provide(backend.layer))
      const result = run.results![0]!
      assert.deepStrictEqual(Object.entries(result.scores), [["toString", 0.25], ["constructor", 0.5], ["__proto__", 1]])
      assert.deepStrictEqual(result.metadata, { scoreMetadata: { constructor: { why: "kept" } } })
      assert.deepStrictEqual(result.scorerErrors, { again: `score "toString" was already given by another scorer` })
      assert.strictEqual(run.summary.scorerErrors, 1)
      assert.deepStrictEqual(Object.keys(run.summary.scores), ["toString", "constructor", "__proto__"])
    }))

  it.effect("a bad score is a scorer error; the other scorers still count", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const run = yield* Eval.run({
        name: "bad-scores",
        data: [{ id: "c", input: "x" }],
        task: upper,
        scorers: [
          Eval.scorer("too-high", () => 1.5),
          Eval.scorer("negative-in-array", () => [{ name: "fine", score: 1 }, { name: "neg", score: -0.1 }]),
          Eval.scorer("nan", () => Number.NaN),
          Eval.scorer("forgot-return", () => undefined as unknown as number),
          Eval.scorer("throws", () => {
            throw new Error("judge crashed")
          }),
          Eval.scorer("fails", () => Effect.fail(new Error("judge unavailable"))),
          Eval.scorer("rejects", () => Promise.reject(new Error("judge rejected"))),
          Eval.scorer("good", () => 0.5)
        ]
      }).pipe(Effect.provide(backend.layer))
      const result = run.results![0]!
      assert.deepStrictEqual(result.scores, { good: 0.5 })
      assert.isUndefined(result.metadata["scorerErrors"], "not duplicated in metadata")
      const errors = result.scorerErrors!
      assert.strictEqual(run.summary.scorerErrors, 7)
      assert.strictEqual(run.summary.errors, 0)
      assert.strictEqual(run.state.scorerErrors, 7)
      assert.deepStrictEqual(Object.keys(errors).sort(), [
        "fails",
        "forgot-return",
        "nan",
        "negative-in-array",
        "rejects",
        "throws",
        "too-high"
      ])
      assert.match(errors["too-high"]!, /1\.5 is outside 0\.\.1/)
      assert.match(errors["negative-in-array"]!, /-0\.1 for "neg" is outside 0\.\.1/)
      assert.match(errors["forgot-return"]!, /returned undefined/)
      assert.strictEqual(errors["throws"], "judge crashed")
      assert.strictEqual(errors["fails"], "judge unavailable")
      assert.strictEqual(errors["rejects"], "judge rejected")
      assert.isUndefined(result.error)
    }))

  it.effect("a task failure or defect is a result with an error and no scores; the run goes on", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const scored = yield* Ref.make(0)
      const run = yield* Eval.run({
        name: "failures",
        data: [{ id: "ok", input: "ok" }, { id: "typed", input: "typed" }, { id: "defect", input: "defect" }, {
          id: "throw",
          input: "throw"
        }],
        task: (input: string) =>
          input === "typed"
            ? Effect.fail(new Error("model refused"))
            : input === "defect"
            ? Effect.die("boom")
            : input === "throw"
            ? Effect.sync(() => {
              throw new TypeError("cannot read x of undefined")
            })
            : Effect.succeed(input),
        scorers: [Eval.scorer("one", () => Effect.as(Ref.update(scored, (n) => n + 1), 1))]
      }).pipe(Effect.provide(backend.layer))
      const notAnEffect = yield* Eval.run({
        name: "not-an-effect",
        data: [{ id: "p", input: "p" }],
        task: (() => Promise.resolve("p")) as unknown as (input: string) => Effect.Effect<string>,
        scorers: [exact]
      }).pipe(Effect.provide(backend.layer))
      assert.match(notAnEffect.results![0]!.error!, /returned a promise, not an Effect .*Eval\.promiseTask/)
      const byId = Object.fromEntries(run.results!.map((r) => [r.caseId, r]))
      assert.strictEqual(byId["typed"]!.error, "model refused")
      assert.strictEqual(byId["defect"]!.error, "boom")
      assert.strictEqual(byId["throw"]!.error, "cannot read x of undefined")
      for (const id of ["typed", "defect", "throw"]) assert.deepStrictEqual(byId[id]!.scores, {})
      assert.deepStrictEqual(byId["ok"]!.scores, { one: 1 })
      assert.strictEqual(yield* Ref.get(scored), 1)
      assert.strictEqual(run.summary.errors, 3)
    }))

  it.effect("a case past its timeout is a result with an error; the others finish", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const fiber = yield* Eval.run({
        name: "timeouts",
        data: [{ id: "slow", input: 10_000 }, { id: "fast", input: 10 }],
        task: (ms: number) => Effect.as(Effect.sleep(ms), "done"),
        scorers: [Eval.scorer("one", () => 1)],
        timeout: "1 second"
      }).pipe(Effect.provide(backend.layer), Effect.fork)
      yield* TestClock.adjust("1 second")
      const run = yield* Fiber.join(fiber)
      const byId = Object.fromEntries(run.results!.map((r) => [r.caseId, r]))
      assert.strictEqual(byId["slow"]!.error, "timed out after 1s")
      assert.deepStrictEqual(byId["slow"]!.scores, {})
      assert.isUndefined(byId["fast"]!.error)
      assert.strictEqual(byId["fast"]!.durationMs, 10)
      assert.deepStrictEqual(byId["fast"]!.scores, { one: 1 })
    }))

  it.effect("a scorer past the case's remaining time is a scorer error", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const fiber = yield* Eval.run({
        name: "slow-judge",
        data: [{ id: "c", input: 400 }],
        task: (ms: number) => Effect.as(Effect.sleep(ms), "out"),
        scorers: [
          Eval.scorer("slow", () => Effect.as(Effect.sleep("10 seconds"), 1)),
          Eval.scorer("quick", () => 1)
        ],
        timeout: "1 second"
      }).pipe(Effect.provide(backend.layer), Effect.fork)
      yield* TestClock.adjust("400 millis")
      yield* TestClock.adjust("600 millis")
      const run = yield* Fiber.join(fiber)
      const result = run.results![0]!
      assert.isUndefined(result.error)
      assert.strictEqual(result.output, "out")
      assert.deepStrictEqual(result.scores, { quick: 1 })
      assert.deepStrictEqual(result.scorerErrors, { slow: "timed out after 1s" })
    }))

  it.effect("the overall timeout fails the run with EvalTimeout after logging what finished", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const fiber = yield* Eval.run({
        name: "overall",
        data: Array.from({ length: 10 }, (_, i) => ({ id: `c${i}`, input: i })),
        task: (i: number) => Effect.as(Effect.sleep("1 second"), i),
        scorers: [Eval.scorer("one", () => 1)],
        concurrency: 2,
        batchSize: 3,
        overallTimeout: "2500 millis"
      }).pipe(Effect.provide(backend.layer), Effect.either, Effect.fork)
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("1 second")
      const outcome = yield* Fiber.join(fiber)
      assert.isTrue(Either.isLeft(outcome))
      const error = (outcome as Either.Left<Eval.EvalTimeout, unknown>).left
      assert.strictEqual(error._tag, "EvalTimeout")
      assert.strictEqual(error.completed, 4)
      assert.strictEqual(error.total, 10)
      assert.strictEqual(error.timeout, "2s 500ms")
      assert.match(error.message, /timed out after 2s 500ms: 4 of 10 results/)
      // A full batch of 3 during the run, the partial one on the way out.
      assert.deepStrictEqual(backend.batches, [3, 1])
      assert.deepStrictEqual(keys(backend.results.get("exp-1")!).sort(), ["c0#0", "c1#0", "c2#0", "c3#0"])
    }))

  it.effect("logs results in batches while the run goes, not all at the end", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const loggedWhenCompleted: Array<number> = []
      const run = yield* Eval.run({
        name: "batches",
        data: Array.from({ length: 10 }, (_, i) => ({ input: i })),
        task: (i: number) => Effect.succeed(i),
        scorers: [Eval.scorer("one", () => 1)],
        batchSize: 4,
        concurrency: 1,
        onProgress: (event) =>
          Effect.sync(() => {
            if (event._tag === "CaseCompleted") {
              loggedWhenCompleted.push(backend.results.get("exp-1")!.length)
            }
          })
      }).pipe(Effect.provide(backend.layer))
      assert.deepStrictEqual(backend.batches, [4, 4, 2])
      // The 5th completion sees the first batch of 4 already logged.
      assert.deepStrictEqual(loggedWhenCompleted, [0, 0, 0, 0, 4, 4, 4, 4, 8, 8])
      assert.strictEqual(run.summary.results, 10)
    }))

  it.effect("a batch answered 413 is logged in halves, down to one result: each result once, the run succeeds", () =>
    Effect.gen(function*() {
      const backend = makeBackend({ maxBatch: 3 })
      const run = yield* Eval.run({
        name: "too large",
        data: Array.from({ length: 10 }, (_, i) => ({ id: `c${i}`, input: i })),
        task: (i: number) => Effect.succeed(i),
        scorers: [Eval.scorer("one", () => 1)],
        batchSize: 10,
        concurrency: 1
      }).pipe(Effect.provide(backend.layer))
      // 10 is refused, then each half of 5 is refused and split again into 3 + 2.
      assert.deepStrictEqual(backend.attempts, [10, 5, 3, 2, 5, 3, 2])
      assert.deepStrictEqual(backend.batches, [3, 2, 3, 2])
      const logged = keys(backend.results.get(run.experiment.id)!)
      assert.deepStrictEqual(logged, Array.from({ length: 10 }, (_, i) => `c${i}#0`))
      assert.strictEqual(run.summary.results, 10)
    }))

  it.effect("interrupting the run logs the partial batch and interrupts running cases", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const interrupted = yield* Ref.make(0)
      const fiber = yield* Eval.run({
        name: "interrupted",
        data: Array.from({ length: 10 }, (_, i) => ({ id: `c${i}`, input: i })),
        task: (i: number) =>
          Effect.as(Effect.sleep("1 second"), i).pipe(Effect.onInterrupt(() => Ref.update(interrupted, (n) => n + 1))),
        scorers: [Eval.scorer("one", () => 1)],
        concurrency: 2,
        batchSize: 100
      }).pipe(Effect.provide(backend.layer), Effect.fork)
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("500 millis")
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(backend.batches, [2])
      assert.deepStrictEqual(keys(backend.results.get("exp-1")!).sort(), ["c0#0", "c1#0"])
      assert.strictEqual(yield* Ref.get(interrupted), 2)
    }))

  it.effect("compares with the baseline: one case improves, one regresses", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const data = [
        { input: { q: "a" }, expected: "A" },
        { input: { q: "b" }, expected: "B" },
        { input: { q: "c" }, expected: "C" }
      ]
      const answers = (table: Record<string, string>) => (input: { q: string }) => Effect.succeed(table[input.q])
      const first = yield* Eval.run({
        name: "v1",
        data,
        task: answers({ a: "A", b: "wrong", c: "C" }),
        scorers: [exact]
      }).pipe(Effect.provide(backend.layer))
      const second = yield* Eval.run({
        name: "v2",
        data,
        task: answers({ a: "wrong", b: "B", c: "C" }),
        scorers: [exact],
        baseline: first.experiment.id
      }).pipe(Effect.provide(backend.layer))
      const score = second.summary.scores["exact"]!
      assert.strictEqual(score.improvements, 1)
      assert.strictEqual(score.regressions, 1)
      assert.strictEqual(score.diff, 0)
      assert.deepStrictEqual(second.summary.comparison, { id: first.experiment.id, name: "v1" })
      assert.strictEqual(second.experiment.baseline, first.experiment.id)
      // The case ids matched because they derive from the inputs, the same in both runs.
      assert.deepStrictEqual(keys(first.results!), keys(second.results!))
    }))

  it.effect("derives stable case ids from inputs, and sets repeated inputs apart", () =>
    Effect.gen(function*() {
      assert.strictEqual(Eval.caseId({ a: 1, b: [1, "x"] }), Eval.caseId({ b: [1, "x"], a: 1 }))
      assert.notStrictEqual(Eval.caseId({ a: 1 }), Eval.caseId({ a: 2 }))
      assert.match(Eval.caseId("anything"), /^[0-9a-f]{32}$/)
      const circular: Record<string, unknown> = { big: 10n }
      circular["self"] = circular
      assert.strictEqual(Eval.caseId(circular), Eval.caseId(circular))

      const backend = makeBackend()
      const run = yield* Eval.run({
        name: "ids",
        data: [{ input: "same" }, { input: "other" }, { input: "same" }, { id: "given", input: "same" }],
        task: upper,
        scorers: [Eval.scorer("one", () => 1)]
      }).pipe(Effect.provide(backend.layer))
      const same = Eval.caseId("same")
      assert.deepStrictEqual(run.results!.map((r) => r.caseId), [same, Eval.caseId("other"), `${same}-2`, "given"])
    }))

  it.effect("runs each case in an eval → task → scorer span tree routed to the experiment", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const spans: Array<RecordedSpan> = []
      const run = yield* Eval.run({
        name: "traced",
        data: [{ id: "c", input: "hi", expected: "HI", tags: ["smoke"] }],
        task: (input: string) => Effect.withSpan(upper(input), "llm"),
        scorers: [exact, Eval.scorer("length", ({ output }) => (output as string).length / 10)]
      }).pipe(Effect.provide(backend.layer), Effect.withTracer(collectingTracer(spans)))

      const ofKind = (kind: string) => spans.filter((s) => s.attributes.get(Attr.KIND) === kind)
      const [root] = ofKind("eval")
      const [task] = ofKind("task")
      const scorerSpans = ofKind("score")
      assert.strictEqual(root!.name, "eval")
      assert.isTrue(Option.isNone(root!.parent))
      assert.strictEqual(root!.attributes.get(Attr.EXPERIMENT_ID), run.experiment.id)
      assert.strictEqual(root!.attributes.get(Attr.INPUT), "hi")
      assert.strictEqual(root!.attributes.get(Attr.EXPECTED), "HI")
      assert.strictEqual(root!.attributes.get(Attr.OUTPUT), "HI")
      assert.deepStrictEqual(root!.attributes.get(Attr.TAGS), ["smoke"])
      assert.deepStrictEqual(root!.attributes.get(Attr.SCORES), { exact: 1, length: 0.2 })

      assert.strictEqual(task!.name, "task")
      assert.strictEqual(parentId(task!), root!.spanId)
      assert.strictEqual(task!.attributes.get(Attr.OUTPUT), "HI")
      const llm = spans.find((s) => s.name === "llm")!
      assert.strictEqual(parentId(llm), task!.spanId)

      assert.deepStrictEqual(scorerSpans.map((s) => s.name).sort(), ["exact", "length"])
      for (const span of scorerSpans) {
        assert.strictEqual(parentId(span), root!.spanId)
        assert.strictEqual(span.traceId, root!.traceId)
      }
      assert.deepStrictEqual(scorerSpans.find((s) => s.name === "exact")!.attributes.get(Attr.SCORES), { exact: 1 })
      assert.isTrue(spans.every((s) => s.status._tag === "Ended"))

      const result = run.results![0]!
      assert.strictEqual(result.traceId, root!.traceId)
      assert.strictEqual(result.spanId, root!.spanId)
    }))

  it.effect("a failed task fails its task and eval spans", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const spans: Array<RecordedSpan> = []
      yield* Eval.run({
        name: "traced-failure",
        data: [{ id: "c", input: "hi" }],
        task: () => Effect.fail(new Error("nope")),
        scorers: [exact]
      }).pipe(Effect.provide(backend.layer), Effect.withTracer(collectingTracer(spans)))
      const status = (name: string) => spans.find((s) => s.name === name)!.status
      const root = status("eval")
      const task = status("task")
      assert.isTrue(root._tag === "Ended" && Exit.isFailure(root.exit))
      assert.isTrue(task._tag === "Ended" && Exit.isFailure(task.exit))
      assert.isUndefined(spans.find((s) => s.name === "exact"))
    }))

  it.effect("the task's span is its parent only while it runs: after each case the worker is back in the caller's span", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const spans: Array<RecordedSpan> = []
      const inTask: Array<string> = []
      const afterCase: Array<string> = []
      const spanName = Effect.map(Effect.option(Effect.currentSpan), (span) => Option.isSome(span) ? span.value.name : "none")
      yield* Eval.run({
        name: "context",
        data: [{ id: "ok", input: "a" }, { id: "fails", input: "b" }, { id: "dies", input: "c" }, { id: "ok-2", input: "d" }],
        task: (input: string) =>
          Effect.zipRight(
            Effect.flatMap(spanName, (name) => Effect.sync(() => inTask.push(name))),
            input === "b" ? Effect.fail("nope") : input === "c" ? Effect.die("boom") : upper(input)
          ),
        scorers: [exact],
        // One worker: every case after the first runs in the fiber the previous one left.
        concurrency: 1,
        onProgress: (event) =>
          event._tag === "CaseCompleted"
            ? Effect.flatMap(spanName, (name) => Effect.sync(() => afterCase.push(name)))
            : Effect.void
      }).pipe(
        Effect.withSpan("app"),
        Effect.provide(backend.layer),
        Effect.withTracer(collectingTracer(spans))
      )
      assert.deepStrictEqual(inTask, ["task", "task", "task", "task"])
      // Progress runs in the worker right after each case, success or failure: the task's context is gone.
      assert.deepStrictEqual(afterCase, ["app", "app", "app", "app"])
      const tasks = spans.filter((s) => s.name === "task")
      const roots = spans.filter((s) => s.name === "eval")
      assert.deepStrictEqual(tasks.map(parentId), roots.map((s) => s.spanId))
    }))

  it.effect("ends the spans of cases cut short: interrupted runs and scorers past the deadline", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const recorded: Array<RecordedSpan> = []
      const tracer = collectingTracer(recorded)
      // The eval's own spans, without the service spans around Experiments calls.
      const caseSpans = () => recorded.filter((s) => s.attributes.get(Attr.KIND) !== "function")
      const fiber = yield* Eval.run({
        name: "cut-short",
        data: [{ id: "c", input: "x" }],
        task: (input: string) => Effect.as(Effect.sleep("10 seconds"), input),
        scorers: [exact]
      }).pipe(Effect.provide(backend.layer), Effect.withTracer(tracer), Effect.fork)
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(caseSpans().map((s) => s.name), ["eval", "task"])
      for (const span of caseSpans()) {
        assert.isTrue(span.status._tag === "Ended" && Exit.isInterrupted(span.status.exit), span.name)
      }

      recorded.length = 0
      const timed = yield* Eval.run({
        name: "slow-scorer",
        data: [{ id: "c", input: "x" }],
        task: upper,
        scorers: [Eval.scorer("slow", () => Effect.as(Effect.sleep("1 minute"), 1))],
        timeout: "1 second"
      }).pipe(Effect.provide(backend.layer), Effect.withTracer(tracer), Effect.fork)
      yield* TestClock.adjust("1 second")
      const run = yield* Fiber.join(timed)
      assert.deepStrictEqual(run.results![0]!.scorerErrors, { slow: "timed out after 1s" })
      const spans = caseSpans()
      assert.deepStrictEqual(spans.map((s) => s.name), ["eval", "task", "slow"])
      assert.isTrue(recorded.every((s) => s.status._tag === "Ended"))
      const slow = spans[2]!.status
      assert.isTrue(slow._tag === "Ended" && Exit.isInterrupted(slow.exit))
      const root = spans[0]!.status
      assert.isTrue(root._tag === "Ended" && Exit.isSuccess(root.exit))
    }))

  it.effect("reports progress: Started, one CaseCompleted per result with counts, Finished", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const events: Array<Eval.EvalEvent> = []
      yield* Eval.run({
        name: "progress",
        data: [{ input: "a" }, { input: "b" }],
        task: (input: string) => input === "b" ? Effect.fail("bad") : Effect.succeed(input),
        scorers: [Eval.scorer("one", () => 1)],
        trials: 2,
        onProgress: (event) => Effect.sync(() => events.push(event))
      }).pipe(Effect.provide(backend.layer))
      assert.deepStrictEqual(events.map((e) => e._tag), [
        "Started",
        "CaseCompleted",
        "CaseCompleted",
        "CaseCompleted",
        "CaseCompleted",
        "Finished"
      ])
      const started = events[0] as Extract<Eval.EvalEvent, { _tag: "Started" }>
      assert.strictEqual(started.total, 4)
      assert.strictEqual(started.experiment.name, "progress")
      const completed = events.filter((e): e is Extract<Eval.EvalEvent, { _tag: "CaseCompleted" }> =>
        e._tag === "CaseCompleted"
      )
      assert.deepStrictEqual(completed.map((e) => e.completed), [1, 2, 3, 4])
      assert.deepStrictEqual(completed.map((e) => e.total), [4, 4, 4, 4])
      assert.strictEqual(completed.at(-1)!.failed, 2)
      const finished = events[5] as Extract<Eval.EvalEvent, { _tag: "Finished" }>
      assert.strictEqual(finished.summary.results, 4)
    }))

  it.effect("attaches usage annotated by the task or returned with its output", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const run = yield* Eval.run({
        name: "usage",
        data: [{ id: "annotated", input: "a" }, { id: "returned", input: "r" }],
        task: (input: string, ctx) =>
          Effect.gen(function*() {
            if (input !== "a") return Eval.output(input, { usage: { totalTokens: 3, cost: 0.01 } })
            yield* ctx.annotate({ usage: { promptTokens: 10, totalTokens: 15 } })
            yield* ctx.annotate({ usage: { promptTokens: 5, totalTokens: 7 }, metadata: { model: "m1" } })
            return input
          }),
        scorers: [Eval.scorer("is-string", ({ output }) => (typeof output === "string" ? 1 : 0))]
      }).pipe(Effect.provide(backend.layer))
      const byId = Object.fromEntries(run.results!.map((r) => [r.caseId, r]))
      assert.deepStrictEqual(byId["annotated"]!.usage, { promptTokens: 15, totalTokens: 22 })
      assert.deepStrictEqual(byId["annotated"]!.metadata, { model: "m1" })
      assert.deepStrictEqual(byId["returned"]!.usage, { totalTokens: 3, cost: 0.01 })
      // Scorers see the unwrapped output.
      assert.strictEqual(byId["returned"]!.output, "r")
      assert.deepStrictEqual(byId["returned"]!.scores, { "is-string": 1 })
      assert.strictEqual(run.summary.metrics["totalTokens"]!.mean, 12.5)
    }))

  it.effect("accepts promise-based tasks through promiseTask", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const run = yield* Eval.run({
        name: "promises",
        data: [{ id: "ok", input: 2 }, { id: "rejects", input: -1 }],
        task: Eval.promiseTask(async (n: number, ctx) => {
          ctx.annotate({ usage: { totalTokens: n } })
          if (n < 0) throw new Error("negative")
          return n * 2
        }),
        scorers: [Eval.scorer("one", () => 1)]
      }).pipe(Effect.provide(backend.layer))
      const byId = Object.fromEntries(run.results!.map((r) => [r.caseId, r]))
      assert.strictEqual(byId["ok"]!.output, 4)
      assert.deepStrictEqual(byId["ok"]!.usage, { totalTokens: 2 })
      assert.strictEqual(byId["rejects"]!.error, "negative")
    }))

  it.effect("keeps no results in memory with returnResults: false", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const run = yield* Eval.run({
        name: "bounded-memory",
        data: [{ input: 1 }, { input: 2 }],
        task: (n: number) => Effect.succeed(n),
        scorers: [Eval.scorer("one", () => 1)],
        returnResults: false
      }).pipe(Effect.provide(backend.layer))
      assert.isUndefined(run.results)
      assert.strictEqual(run.summary.results, 2)
    }))

  it.effect("rejects invalid options with InvalidInput naming the option, before creating anything", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const base = { name: "bad", data: [{ input: 1 }], task: (n: number) => Effect.succeed(n), scorers: [exact] }
      const pathOf = (options: Eval.RunOptions<number, unknown, number>) =>
        Eval.run(options).pipe(
          Effect.provide(backend.layer),
          Effect.flip,
          Effect.map((error) => (error._tag === "InvalidInput" ? error.path : error._tag))
        )
      assert.strictEqual(yield* pathOf({ ...base, trials: 0 }), "Eval.run.trials")
      assert.strictEqual(yield* pathOf({ ...base, trials: 1.5 }), "Eval.run.trials")
      assert.strictEqual(yield* pathOf({ ...base, concurrency: 0 }), "Eval.run.concurrency")
      assert.strictEqual(yield* pathOf({ ...base, batchSize: -1 }), "Eval.run.batchSize")
      assert.strictEqual(yield* pathOf({ ...base, scorers: [] }), "Eval.run.scorers")
      assert.strictEqual(yield* pathOf({ ...base, scorers: [exact, exact] }), "Eval.run.scorers[1].name")
      assert.strictEqual(yield* pathOf({ ...base, name: " " }), "Eval.run.name")
      assert.strictEqual(yield* pathOf({ ...base, timeout: "0 millis" }), "Eval.run.timeout")
      assert.strictEqual(yield* pathOf({ ...base, data: 42 as never }), "Eval.run.data")
      assert.strictEqual(backend.experiments.size, 0)
      // A bad case is found while running: the run fails naming it.
      assert.strictEqual(
        yield* pathOf({ ...base, data: [{ input: 1 }, { input: 2, trials: 0 }] }),
        "Eval.run.data[1].trials"
      )
      assert.strictEqual(yield* pathOf({ ...base, data: [{ input: 1 }, "oops" as never] }), "Eval.run.data[1]")
    }))
})

describe("Eval.run on the memory backend", () => {
  it.effect("evaluates a stored dataset and stores the results under the experiment", () =>
    Effect.gen(function*() {
      const datasets = yield* Datasets.Datasets
      const state = yield* Memory.MemoryState
      const run = yield* Eval.run({
        name: "memory",
        data: datasets.records("qa"),
        dataset: "qa",
        // Stored records carry `unknown` inputs.
        task: (input) => upper(String(input)),
        scorers: [exact],
        trials: 2,
        batchSize: 3
      })
      assert.strictEqual(run.summary.results, 4)
      assert.strictEqual(run.summary.scores["exact"]!.mean, 0.5)
      assert.strictEqual(state.experiments.get(run.experiment.id)!.results.size, 4)
      assert.strictEqual(run.experiment.dataset, "qa")
    }).pipe(
      Effect.provide(Memory.layer({
        datasets: { qa: [{ id: "q1", input: "a", expected: "A" }, { id: "q2", input: "b", expected: "x" }] }
      }))
    ))
})

describe("Eval.stream", () => {
  it.effect("streams Started, CaseCompleted… and Finished", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const events = yield* Eval.stream({
        name: "streamed",
        data: Array.from({ length: 5 }, (_, i) => ({ input: i })),
        task: (n: number) => Effect.succeed(n),
        scorers: [Eval.scorer("one", () => 1)],
        bufferSize: 2
      }).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray), Effect.provide(backend.layer))
      assert.deepStrictEqual(events.map((e) => e._tag), [
        "Started",
        "CaseCompleted",
        "CaseCompleted",
        "CaseCompleted",
        "CaseCompleted",
        "CaseCompleted",
        "Finished"
      ])
      const last = events.at(-1) as Extract<Eval.EvalEvent, { _tag: "Finished" }>
      assert.strictEqual(last.summary.results, 5)
    }))

  it.effect("fails the stream with the run's error", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const error = yield* Eval.stream({
        name: "streamed-bad",
        data: [{ input: 1 }],
        task: (n: number) => Effect.succeed(n),
        scorers: [exact],
        trials: 0
      }).pipe(Stream.runDrain, Effect.flip, Effect.provide(backend.layer))
      assert.strictEqual(error._tag, "InvalidInput")
    }))

  it.effect("stopping the stream interrupts the run and logs what finished", () =>
    Effect.gen(function*() {
      const backend = makeBackend()
      const fiber = yield* Eval.stream({
        name: "stopped",
        data: Array.from({ length: 20 }, (_, i) => ({ id: `c${i}`, input: i })),
        task: (n: number) => Effect.as(Effect.sleep("1 second"), n),
        scorers: [Eval.scorer("one", () => 1)],
        concurrency: 2
      }).pipe(
        Stream.takeUntil((event) => event._tag === "CaseCompleted" && event.completed === 3),
        Stream.runCollect,
        Effect.provide(backend.layer),
        Effect.fork
      )
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("1 second")
      const events = yield* Fiber.join(fiber)
      assert.strictEqual(Chunk.size(events), 4)
      const logged = backend.results.get("exp-1")!
      // The second wave's two results both completed before the stream stopped.
      assert.isAtLeast(logged.length, 3)
      assert.isAtMost(logged.length, 4)
      assert.strictEqual(backend.batches.length, 1)
    }))
})
