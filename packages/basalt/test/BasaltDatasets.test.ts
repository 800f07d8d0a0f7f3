import { assert, describe, it } from "@effect/vitest"
import { Datasets } from "@promptops/core/Datasets"
import { Chunk, Effect, Layer, Stream } from "effect"
import * as BasaltDatasets from "../src/BasaltDatasets.js"
import * as BasaltDatasetsExtra from "../src/BasaltDatasetsExtra.js"
import type * as BasaltWarning from "../src/BasaltWarning.js"
import { type Captured, clientLayer } from "./fakeBasalt.js"

const json = (status: number, body: unknown) => ({ status, json: body })

/** A tiny Basalt dataset store behind the fake client: enough for insert-then-read. */
const datasetStore = (columns: ReadonlyArray<unknown>, rows: Array<Record<string, unknown>> = []) => {
  const columnNames = columns.map((column) => typeof column === "string" ? column : (column as { name: string }).name)
  return (request: Captured) => {
    if (request.method === "GET" && request.url.pathname === "/datasets/faq") {
      return json(200, { dataset: { slug: "faq", name: "FAQ", columns, rows } })
    }
    if (request.method === "POST" && request.url.pathname === "/datasets/faq/items") {
      const body = request.json as { values: Record<string, string>; name?: string; idealOutput?: string; metadata?: unknown }
      const unknown = Object.keys(body.values).filter((key) => !columnNames.includes(key))
      const values = Object.fromEntries(Object.entries(body.values).filter(([key]) => columnNames.includes(key)))
      const row = { name: body.name ?? null, values, idealOutput: body.idealOutput ?? null, metadata: body.metadata ?? null }
      rows.push(row)
      return json(201, {
        ...(unknown.length > 0
          ? { warning: `The following columns do not exist in the dataset and were omitted: ${unknown.join(", ")}` }
          : {}),
        datasetRow: row
      })
    }
    return json(404, { error: "Dataset not found" })
  }
}

const datasetsWith = (
  handler: (request: Captured, index: number) => { status: number; json?: unknown },
  options: BasaltDatasets.Options = {}
) => {
  const { captured, layer } = clientLayer(handler)
  return {
    captured,
    layer: Layer.merge(BasaltDatasets.layer(options), BasaltDatasetsExtra.layer).pipe(Layer.provide(layer))
  }
}

const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

describe("BasaltDatasets", () => {
  it.effect("list: slugs are the neutral names; columns as objects or strings", () =>
    Effect.gen(function*() {
      const { layer } = datasetsWith(() =>
        json(200, {
          datasets: [
            { slug: "faq", name: "FAQ", columns: [{ name: "q", type: "text" }] },
            { slug: "old", name: "old", columns: ["q", "a"] }
          ]
        })
      )
      const listed = yield* Effect.flatMap(Datasets, (datasets) => collect(datasets.list())).pipe(Effect.provide(layer))
      assert.deepStrictEqual(listed.map((dataset) => [dataset.id, dataset.name, dataset.description]), [
        ["faq", "faq", "FAQ"],
        ["old", "old", undefined]
      ])
      assert.deepStrictEqual((listed[1]!.source.raw as { columns: unknown }).columns, [{ name: "q" }, { name: "a" }])
    }))

  it.effect("records: values are the input, idealOutput the expected; rows made elsewhere get stable ids", () =>
    Effect.gen(function*() {
      const rows = [
        { values: { q: "hi" }, idealOutput: "hello", metadata: { source: "app" } },
        { name: "named row", values: { q: "bye" } },
        { values: { q: "hi" }, idealOutput: "hello", metadata: null }
      ]
      const { layer } = datasetsWith(datasetStore(["q"], rows))
      const read = () => Effect.flatMap(Datasets, (datasets) => collect(datasets.records("faq"))).pipe(Effect.provide(layer))
      const [first, second] = yield* Effect.all([read(), read()])
      assert.deepStrictEqual(first, second)
      assert.strictEqual(first.length, 3)
      assert.match(first[0]!.id, /^row-[0-9a-f]{16}$/)
      assert.strictEqual(first[2]!.id, `${first[0]!.id}-2`)
      assert.strictEqual(first[1]!.id, "named row")
      assert.deepStrictEqual(first[0]!.input, { q: "hi" })
      assert.strictEqual(first[0]!.expected, "hello")
      assert.deepStrictEqual(first[0]!.metadata, { source: "app" })
      assert.strictEqual(first[1]!.expected, undefined)
      assert.strictEqual(first[2]!.metadata, undefined)
    }))

  it("a row's content id does not depend on the key order of its values (ids of sorted rows unchanged)", () => {
    const [sorted, reordered, other] = BasaltDatasets.toRecords([
      { values: { a: "1", b: "2" }, idealOutput: "x" },
      { values: { b: "2", a: "1" }, idealOutput: "x" },
      { values: { a: "1", b: "2" }, idealOutput: "y" }
    ])
    // The id Basalt rows with sorted values had before the shared content id (sha256 of their JSON).
    assert.strictEqual(sorted!.id, "row-67ce41e183f20691")
    assert.strictEqual(reordered!.id, "row-67ce41e183f20691-2")
    assert.notStrictEqual(other!.id.slice(0, 20), sorted!.id)
  })

  it.effect("insert then records gives back ids, inputs (JSON values too), expected, metadata and tags", () =>
    Effect.gen(function*() {
      const { captured, layer } = datasetsWith(datasetStore([{ name: "q", type: "text" }, { name: "n", type: "json" }, {
        name: "input",
        type: "text"
      }]))
      const records = yield* Effect.gen(function*() {
        const datasets = yield* Datasets
        const ids = yield* datasets.insert("faq", [
          { id: "r-1", input: { q: "one", n: { deep: [1, 2] } }, expected: "1", metadata: { level: "easy" }, tags: ["t"] },
          { id: "r-2", input: "just text", expected: { answer: 2 } }
        ])
        assert.deepStrictEqual(ids, ["r-1", "r-2"])
        return yield* collect(datasets.records("faq"))
      }).pipe(Effect.provide(layer))
      const posts = captured.filter((request) => request.method === "POST")
      assert.deepStrictEqual(posts[0]!.json, {
        values: { q: "one", n: "{\"deep\":[1,2]}" },
        name: "r-1",
        idealOutput: "1",
        metadata: { level: "easy", promptops: { id: "r-1", json: ["n"], tags: ["t"] } }
      })
      assert.deepStrictEqual(posts[1]!.json, {
        values: { input: "just text" },
        name: "r-2",
        idealOutput: "{\"answer\":2}",
        metadata: { promptops: { id: "r-2", scalar: "input", expected: "json" } }
      })
      assert.deepStrictEqual(records, [
        { id: "r-1", input: { q: "one", n: { deep: [1, 2] } }, expected: "1", metadata: { level: "easy" }, tags: ["t"] },
        { id: "r-2", input: "just text", expected: { answer: 2 } }
      ])
    }))

  it.effect("inserting the same records again adds nothing (a retried insert does not duplicate)", () =>
    Effect.gen(function*() {
      const { captured, layer } = datasetsWith(datasetStore(["q"]))
      const records = yield* Effect.gen(function*() {
        const datasets = yield* Datasets
        const ids = yield* datasets.insert("faq", [{ input: { q: "a" } }, { id: "fixed", input: { q: "b" } }])
        yield* datasets.insert("faq", [{ id: ids[0]!, input: { q: "a" } }, { id: "fixed", input: { q: "b" } }, {
          id: "new",
          input: { q: "c" }
        }])
        return yield* collect(datasets.records("faq"))
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(records.map((record) => (record.input as { q: string }).q), ["a", "b", "c"])
      assert.strictEqual(captured.filter((request) => request.method === "POST").length, 3)
    }))

  it.effect("Basalt's unknown-column warnings reach onWarning", () =>
    Effect.gen(function*() {
      const warnings: Array<BasaltWarning.BasaltWarning> = []
      const { layer } = datasetsWith(datasetStore(["q"]), {
        onWarning: (warning) => Effect.sync(() => warnings.push(warning))
      })
      yield* Effect.flatMap(Datasets, (datasets) => datasets.insert("faq", [{ id: "w", input: { q: "x", extra: "y" } }])).pipe(
        Effect.provide(layer)
      )
      assert.deepStrictEqual(warnings, [{
        operation: "Datasets.insert",
        subject: "dataset \"faq\" row w",
        warning: "The following columns do not exist in the dataset and were omitted: extra"
      }])
    }))

  it.effect("bad records fail with InvalidInput before anything is sent", () =>
    Effect.gen(function*() {
      const { captured, layer } = datasetsWith(datasetStore(["q"]))
      const [reserved, fn] = yield* Effect.flatMap(Datasets, (datasets) =>
        Effect.all([
          Effect.flip(datasets.insert("faq", [{ input: { q: "x" }, metadata: { promptops: 1 } }])),
          Effect.flip(datasets.insert("faq", [{ input: { q: "x" } }, { input: { q: () => 1 } }]))
        ])).pipe(Effect.provide(layer))
      assert.strictEqual(reserved._tag, "InvalidInput")
      assert.strictEqual((reserved as { path: string }).path, "records[0].metadata.promptops")
      assert.strictEqual(fn._tag, "InvalidInput")
      assert.strictEqual((fn as { path: string }).path, "records[1].input.q")
      assert.strictEqual(captured.length, 0)
    }))

  it.effect("an unknown dataset: records is NotFound; insert reports Basalt's 404", () =>
    Effect.gen(function*() {
      const { layer } = datasetsWith(() => json(404, { error: "Dataset not found" }))
      const [records, insert] = yield* Effect.flatMap(Datasets, (datasets) =>
        Effect.all([Effect.flip(collect(datasets.records("nope"))), Effect.flip(datasets.insert("nope", [{ input: {} }]))])).pipe(
          Effect.provide(layer)
        )
      assert.strictEqual(records._tag, "NotFound")
      assert.strictEqual(insert._tag, "NotFound")
      assert.strictEqual(insert.description, "Dataset not found")
    }))
})

describe("BasaltDatasetsExtra", () => {
  it.effect("addRow uploads files first and stores their keys in the file columns", () =>
    Effect.gen(function*() {
      const { captured, layer } = datasetsWith((request) => {
        if (request.url.pathname === "/files/generate-upload-url") {
          const { fileName } = request.json as { fileName: string }
          return json(200, {
            uploadUrl: `https://uploads.test/${fileName}?sig=1`,
            fileKey: `files/${fileName}`,
            expiresAt: "2030-01-01T00:00:00Z",
            maxSizeBytes: 100
          })
        }
        if (request.url.hostname === "uploads.test") return { status: 200 }
        return json(201, {
          warning: "The following columns do not exist in the dataset and were omitted: nope",
          datasetRow: { values: (request.json as { values: unknown }).values }
        })
      })
      const added = yield* Effect.flatMap(BasaltDatasetsExtra.BasaltDatasetsExtra, (extra) =>
        extra.addRow("faq", {
          values: { q: "what is this?" },
          files: { image: { fileName: "cat.png", contentType: "image/png", bytes: new Uint8Array([1]) } },
          idealOutput: "a cat"
        })).pipe(Effect.provide(layer))
      assert.deepStrictEqual(captured.map((request) => `${request.method} ${request.url.host}${request.url.pathname}`), [
        "POST basalt.test/files/generate-upload-url",
        "PUT uploads.test/cat.png",
        "POST basalt.test/datasets/faq/items"
      ])
      assert.deepStrictEqual(captured[2]!.json, {
        values: { q: "what is this?", image: "files/cat.png" },
        idealOutput: "a cat"
      })
      assert.strictEqual(added.files["image"]!.fileKey, "files/cat.png")
      assert.strictEqual(added.warning, "The following columns do not exist in the dataset and were omitted: nope")
    }))
})
