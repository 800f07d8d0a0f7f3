/**
 * Issue 11 point 7: experiment rows made from a Braintrust dataset carry
 * `origin` linking them to the dataset rows, as the SDK's `Eval` sets it
 * (`object_type: "dataset"`, the dataset id, the row's `id`, `_xact_id` and
 * `created`). Checked end to end: an eval over a dataset through the neutral
 * layers, against the spec-validating emulator, then the rows read raw.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Datasets } from "@promptops/core/Datasets"
import * as Eval from "@promptops/core/Eval"
import { Experiments } from "@promptops/core/Experiments"
import { BraintrustEmulator } from "@promptops/emulators"
import { Effect, Layer, Redacted, Stream } from "effect"
import * as Braintrust from "../src/Braintrust.js"
import { BraintrustClient } from "../src/BraintrustClient.js"

const emulator = await BraintrustEmulator.start()

afterAll(() => emulator.close())

const backend = (project: string) =>
  Braintrust.layer({ apiKey: Redacted.make(emulator.apiKey), apiUrl: emulator.url, project }).pipe(
    Layer.provide(FetchHttpClient.layer)
  )

const exact = Eval.scorer("exact", ({ expected, output }: { expected: unknown; output: unknown }) =>
  output === expected ? 1 : 0)

describe("dataset origin", () => {
  it.live("an eval over a dataset writes rows whose origin is the dataset row, version included", () =>
    Effect.gen(function*() {
      const datasets = yield* Datasets
      yield* datasets.insert("qa", [
        { id: "row-a", input: "Ada", expected: "Hello Ada!" },
        { id: "row-b", input: "Bob", expected: "Hello Bob!" }
      ])
      const run = yield* Eval.run({
        name: "from-dataset",
        dataset: "qa",
        data: datasets.records("qa"),
        task: (name: unknown) => Effect.succeed(`Hello ${String(name)}!`),
        scorers: [exact]
      })

      // The dataset rows, read after the eval (no write in between: the same versions).
      const client = yield* BraintrustClient
      const project = yield* client.resolveProject()
      const [dataset] = yield* client.datasets.list({ project_id: project.id, dataset_name: "qa" })
      const rows = yield* client.datasets.fetchAll(dataset!.id)
      const events = yield* client.experiments.fetchAll(run.experiment.id)
      const evalRows = events.filter((event) => event.span_attributes?.type === "eval")
      assert.strictEqual(evalRows.length, 2)
      for (const row of evalRows) {
        const source = rows.find((candidate) => candidate.id === row.origin?.id)
        assert.isDefined(source, `row ${row.id} has no origin`)
        assert.deepStrictEqual(row.origin, {
          object_type: "dataset",
          object_id: dataset!.id,
          id: source!.id,
          _xact_id: source!._xact_id,
          created: source!.created
        })
      }
      // Read back, each result's case is the dataset row it came from.
      const results = yield* Stream.runCollect(
        Stream.unwrap(Effect.map(Experiments, (experiments) => experiments.results(run.experiment.id)))
      ).pipe(Effect.map((chunk) => [...chunk].map((result) => result.caseId).sort()))
      assert.deepStrictEqual(results, ["row-a", "row-b"])
    }).pipe(Effect.provide(backend("origin"))))

  it.live("inline data on an experiment named after a dataset gets no origin (no dangling link)", () =>
    Effect.gen(function*() {
      const datasets = yield* Datasets
      yield* datasets.insert("qa2", [{ id: "row-a", input: "Ada", expected: "Hello Ada!" }])
      const run = yield* Eval.run({
        name: "inline",
        dataset: "qa2",
        data: [{ id: "row-a", input: "Ada", expected: "Hello Ada!" }],
        task: (name: string) => Effect.succeed(`Hello ${name}!`),
        scorers: [exact]
      })
      const client = yield* BraintrustClient
      const events = yield* client.experiments.fetchAll(run.experiment.id)
      const evalRows = events.filter((event) => event.span_attributes?.type === "eval")
      assert.strictEqual(evalRows.length, 1)
      assert.isUndefined(evalRows[0]!.origin)
    }).pipe(Effect.provide(backend("origin-inline"))))

  it("the emulator saw no contract violation", () => {
    assert.deepStrictEqual(emulator.violations, [])
  })
})
