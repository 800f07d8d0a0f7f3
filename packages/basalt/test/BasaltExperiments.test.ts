import { assert, describe, it } from "@effect/vitest"
import type { EvalResult } from "@promptops/core/Experiment"
import { Experiments } from "@promptops/core/Experiments"
import { Chunk, Effect, Layer, Stream } from "effect"
import * as BasaltExperiments from "../src/BasaltExperiments.js"
import { type Captured, clientLayer } from "./fakeBasalt.js"

const json = (status: number, body: unknown) => ({ status, json: body })

const basalt = (options: { failTraceOnCall?: number } = {}) => {
  let experiments = 0
  let traces = 0
  return (request: Captured) => {
    if (request.url.pathname === "/monitor/experiments") {
      const body = request.json as { name: string; featureSlug: string }
      experiments++
      return json(200, { id: `exp-${experiments}`, name: body.name, featureSlug: body.featureSlug, createdAt: "2024-03-20T12:00:00Z" })
    }
    if (request.url.pathname === "/monitor/trace") {
      traces++
      if (traces === options.failTraceOnCall) return json(500, { error: "Failed to create trace" })
      return json(200, { trace: { id: `trace-${traces}` } })
    }
    return json(404, { error: "no" })
  }
}

const result = (caseId: string, score: number | null, trial = 0): EvalResult => ({
  caseId,
  trial,
  input: { q: caseId },
  output: `out-${caseId}`,
  expected: `exp-${caseId}`,
  scores: { accuracy: score },
  metadata: { model: "m" },
  durationMs: 10,
  usage: { promptTokens: 3, completionTokens: 4 },
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: "b7ad6b7169203331"
})

const experimentsWith = (handler: (request: Captured) => { status: number; json?: unknown }, options: BasaltExperiments.Options = {}) => {
  const { captured, layer } = clientLayer(handler)
  return { captured, layer: BasaltExperiments.layer(options).pipe(Layer.provide(layer)) }
}

const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

describe("BasaltExperiments", () => {
  it.effect("create binds the experiment to the feature", () =>
    Effect.gen(function*() {
      const { captured, layer } = experimentsWith(basalt())
      const experiment = yield* Effect.flatMap(Experiments, (experiments) => experiments.create({ name: "run 1", dataset: "faq" })).pipe(
        Effect.provide(layer)
      )
      assert.deepStrictEqual(captured[0]!.json, { featureSlug: "support-bot", name: "run 1" })
      assert.strictEqual(experiment.id, "exp-1")
      assert.strictEqual(experiment.dataset, "faq")
      assert.strictEqual(experiment.createdAt, Date.parse("2024-03-20T12:00:00Z"))
      assert.strictEqual(experiment.source.provider, "basalt")
    }))

  it.effect("the feature can be set per layer", () =>
    Effect.gen(function*() {
      const { captured, layer } = experimentsWith(basalt(), { featureSlug: "evals" })
      yield* Effect.flatMap(Experiments, (experiments) => experiments.create({ name: "x" })).pipe(Effect.provide(layer))
      assert.deepStrictEqual(captured[0]!.json, { featureSlug: "evals", name: "x" })
    }))

  it.effect("log sends each result as a trace attached to the experiment", () =>
    Effect.gen(function*() {
      const { captured, layer } = experimentsWith(basalt(), { evaluators: ["correctness"] })
      yield* Effect.gen(function*() {
        const experiments = yield* Experiments
        const experiment = yield* experiments.create({ name: "run" })
        yield* experiments.log(experiment.id, [result("a", 1)])
      }).pipe(Effect.provide(layer))
      const trace = captured.find((request) => request.url.pathname === "/monitor/trace")!
      assert.deepStrictEqual(trace.json, {
        featureSlug: "support-bot",
        name: "a",
        input: { q: "a" },
        output: "out-a",
        idealOutput: "exp-a",
        metadata: {
          model: "m",
          promptops: {
            experimentName: "run",
            caseId: "a",
            trial: 0,
            scores: { accuracy: 1 },
            durationMs: 10,
            usage: { promptTokens: 3, completionTokens: 4 },
            traceId: "0af7651916cd43dd8448eb211c80319c",
            spanId: "b7ad6b7169203331"
          }
        },
        experiment: { id: "exp-1" },
        evaluators: [{ slug: "correctness" }]
      })
    }))

  it.effect("logging twice sends each case once; results, get and list answer from the layer", () =>
    Effect.gen(function*() {
      const { captured, layer } = experimentsWith(basalt())
      const { experiment, listed, results } = yield* Effect.gen(function*() {
        const experiments = yield* Experiments
        const experiment = yield* experiments.create({ name: "run" })
        const batch = [result("a", 1), result("b", 0), result("a", 0.5, 1)]
        yield* experiments.log(experiment.id, batch)
        yield* experiments.log(experiment.id, batch)
        const second = yield* experiments.create({ name: "second" })
        return {
          experiment: yield* experiments.get(experiment.id),
          listed: (yield* collect(experiments.list())).map((entry) => entry.id),
          results: yield* collect(experiments.results(experiment.id)),
          second
        }
      }).pipe(Effect.provide(layer))
      assert.strictEqual(captured.filter((request) => request.url.pathname === "/monitor/trace").length, 3)
      assert.strictEqual(experiment.name, "run")
      assert.deepStrictEqual(listed, ["exp-2", "exp-1"])
      assert.deepStrictEqual(results.map((entry) => `${entry.caseId}/${entry.trial}`), ["a/0", "b/0", "a/1"])
    }))

  it.effect("after a failure part-way, logging again sends only what was not delivered", () =>
    Effect.gen(function*() {
      const { captured, layer } = experimentsWith(basalt({ failTraceOnCall: 2 }), { concurrency: 1 })
      const { error, results } = yield* Effect.gen(function*() {
        const experiments = yield* Experiments
        const experiment = yield* experiments.create({ name: "run" })
        const batch = [result("a", 1), result("b", 0), result("c", 1)]
        const error = yield* Effect.flip(experiments.log(experiment.id, batch))
        yield* experiments.log(experiment.id, batch)
        return { error, results: yield* collect(experiments.results(experiment.id)) }
      }).pipe(Effect.provide(layer))
      assert.strictEqual(error._tag, "ProviderUnavailable")
      const names = captured.filter((request) => request.url.pathname === "/monitor/trace").map((request) =>
        (request.json as { name: string }).name
      )
      // a delivered; b failed (not retried: a retry could store it twice) without stopping c;
      // logging again sends b alone.
      assert.deepStrictEqual(names, ["a", "b", "c", "b"])
      assert.deepStrictEqual(results.map((entry) => entry.caseId).sort(), ["a", "b", "c"])
    }))

  it.effect("summarize computes locally, with the baseline diff", () =>
    Effect.gen(function*() {
      const { layer } = experimentsWith(basalt())
      const summary = yield* Effect.gen(function*() {
        const experiments = yield* Experiments
        const baseline = yield* experiments.create({ name: "base" })
        yield* experiments.log(baseline.id, [result("a", 0.5), result("b", 0.5), result("c", 0.5)])
        const candidate = yield* experiments.create({ name: "cand", baseline: baseline.id })
        yield* experiments.log(candidate.id, [result("a", 1), result("b", 0), result("c", 0.5), result("d", null)])
        return yield* experiments.summarize(candidate.id)
      }).pipe(Effect.provide(layer))
      assert.strictEqual(summary.computedBy, "local")
      assert.strictEqual(summary.results, 4)
      assert.strictEqual(summary.comparison?.name, "base")
      const accuracy = summary.scores["accuracy"]!
      assert.strictEqual(accuracy.improvements, 1)
      assert.strictEqual(accuracy.regressions, 1)
      assert.closeTo(accuracy.mean, 0.5, 1e-9)
      assert.closeTo(summary.metrics["promptTokens"]!.mean, 3, 1e-9)
    }))

  it.effect("experiments this layer did not create are NotFound (Basalt cannot read them back)", () =>
    Effect.gen(function*() {
      const { captured, layer } = experimentsWith(basalt())
      const [get, log, create] = yield* Effect.flatMap(Experiments, (experiments) =>
        Effect.all([
          Effect.flip(experiments.get("elsewhere")),
          Effect.flip(experiments.log("elsewhere", [result("a", 1)])),
          Effect.flip(experiments.create({ name: "x", baseline: "elsewhere" }))
        ])).pipe(Effect.provide(layer))
      assert.deepStrictEqual([get._tag, log._tag, create._tag], ["NotFound", "NotFound", "NotFound"])
      assert.match(get.description, /Basalt has no API to read experiments back/)
      assert.strictEqual(captured.length, 0)
    }))

  it.effect("Basalt's 404 for an unknown feature keeps its text", () =>
    Effect.gen(function*() {
      const { layer } = experimentsWith(() => json(404, { error: "No feature with slug \"support-bot\" exists." }))
      const error = yield* Effect.flip(
        Effect.flatMap(Experiments, (experiments) => experiments.create({ name: "x" })).pipe(Effect.provide(layer))
      )
      assert.strictEqual(error._tag, "NotFound")
      assert.strictEqual(error.description, "No feature with slug \"support-bot\" exists.")
    }))
})
