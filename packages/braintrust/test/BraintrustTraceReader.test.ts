import { assert, describe, it } from "@effect/vitest"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { TraceReader } from "@promptops/core/TraceReader"
import { Effect, Layer } from "effect"
import * as BraintrustTraceReader from "../src/BraintrustTraceReader.js"
import { type Captured, clientLayer, json, ORG_ID, PROJECT_ID, project, uuid } from "./fakeVendor.js"

const xact = (n: number): string => (1000192656880881000n + BigInt(n)).toString()

/** A fetched project-logs row as Braintrust returns it. */
const row = (id: string, version: number, root: string, extra: Record<string, unknown> = {}) => ({
  id,
  _xact_id: xact(version),
  created: "2026-11-22T10:00:00.000Z",
  org_id: ORG_ID,
  project_id: PROJECT_ID,
  log_id: "g",
  span_id: id,
  root_span_id: root,
  span_attributes: { name: id, type: "task" },
  metrics: { start: 1795341600, end: 1795341601 },
  metadata: {},
  ...extra
})

type Page = { readonly events: ReadonlyArray<unknown>; readonly cursor?: string }

/**
 * Braintrust's fetch, scripted: pages newest first, each a few traces, the
 * cursor naming the next (older) page. Page 1 repeats `c1` with an older
 * `_xact_id`, as Braintrust may (paging walks the version history), and holds
 * a row that is not a span.
 */
const script = (): Array<Page> => [
  {
    events: [
      row("c1", 30, "trace-c"),
      row("c2", 30, "trace-c", {
        span_parents: ["c1"],
        span_attributes: { name: "search", type: "tool", promptops_kind: "retrieval" },
        output: ["doc"],
        metrics: { start: 1795341600.5, end: 1795341600.75, prompt_tokens: 3, completion_tokens: 4, tokens: 7 },
        metadata: { index: "kb" }
      }),
      row("b1", 20, "trace-b")
    ],
    cursor: "vendor-page-1"
  },
  {
    events: [
      row("a2", 10, "trace-a", { span_parents: ["a1"] }),
      row("a1", 10, "trace-a"),
      row("c1", 15, "trace-c", { output: "an older version" }),
      { ...row("n1", 10, "n1"), span_attributes: null }
    ],
    cursor: "vendor-page-2"
  },
  { events: [row("z1", 5, "trace-z")] }
]

const vendor = (pages: () => ReadonlyArray<Page>, options: BraintrustTraceReader.Options = { fetchLimit: 2 }) => {
  const { captured, layer: client } = clientLayer((request) => {
    if (request.method === "POST" && request.url.pathname === "/v1/project") return json(project(request.body.name))
    if (request.method === "GET" && request.url.pathname === "/v1/project") {
      return json({ objects: [project(request.url.searchParams.get("project_name") ?? "proj")] })
    }
    if (request.method === "POST" && /^\/v1\/(project_logs|experiment)\/[^/]+\/fetch$/.test(request.url.pathname)) {
      const all = pages()
      const index = request.body.cursor === undefined ? 0 : Number(String(request.body.cursor).replace("vendor-page-", ""))
      const page = all[index] ?? { events: [] }
      const experimentId = /^\/v1\/experiment\/([^/]+)\//.exec(request.url.pathname)?.[1]
      // Experiment rows carry `experiment_id` instead of the project-logs keys.
      return json(
        experimentId === undefined
          ? page
          : { ...page, events: page.events.map((event) => ({ ...(event as object), experiment_id: experimentId })) }
      )
    }
    return json({ Code: "NotFoundError", Message: "no route" }, { status: 404 })
  })
  const fetches = (): Array<Captured> => captured.filter((r) => r.url.pathname.endsWith("/fetch"))
  return { fetches, layer: BraintrustTraceReader.layer(options).pipe(Layer.provideMerge(client)) }
}

const spanIds = (spans: ReadonlyArray<SpanRecord>): ReadonlyArray<string> => spans.map((span) => span.spanId)

describe("BraintrustTraceReader", () => {
  it.effect("walks the newest-first pages and returns spans oldest first, newest version once, spans only", () => {
    const { fetches, layer } = vendor(script)
    return Effect.gen(function*() {
      const reader = yield* TraceReader
      const page = yield* reader.read()
      assert.deepStrictEqual(spanIds(page.spans), ["z1", "a1", "a2", "b1", "c1", "c2"])
      assert.deepStrictEqual(
        fetches().map((r) => [r.url.pathname, r.body]),
        [
          [`/v1/project_logs/${PROJECT_ID}/fetch`, { limit: 2 }],
          [`/v1/project_logs/${PROJECT_ID}/fetch`, { limit: 2, cursor: "vendor-page-1" }],
          [`/v1/project_logs/${PROJECT_ID}/fetch`, { limit: 2, cursor: "vendor-page-2" }]
        ]
      )
      assert.isUndefined(page.spans.find((span) => span.spanId === "c1")!.output, "c1 as of its newest version")
      const search = page.spans.find((span) => span.spanId === "c2")!
      assert.deepStrictEqual(search, {
        traceId: "trace-c",
        spanId: "c2",
        parentSpanId: "c1",
        name: "search",
        kind: "retrieval",
        startTime: 1795341600500,
        endTime: 1795341600750,
        output: ["doc"],
        metadata: { index: "kb" },
        metrics: { promptTokens: 3, completionTokens: 4, totalTokens: 7 },
        destination: { _tag: "ProjectLogs" }
      })
      assert.deepStrictEqual(BraintrustTraceReader.decodeCursor(page.cursor!), { xactId: BigInt(xact(30)), id: "c2" })
    }).pipe(Effect.provide(layer))
  })

  it.effect("pages by cursor without loss or duplication; a tail read stops at the cursor's transaction", () => {
    const { fetches, layer } = vendor(script)
    return Effect.gen(function*() {
      const reader = yield* TraceReader
      const pages: Array<ReadonlyArray<string>> = []
      let after: string | undefined
      for (let i = 0; i < 4; i++) {
        const page = yield* reader.read({ limit: 2, after })
        pages.push(spanIds(page.spans))
        after = page.cursor
      }
      assert.deepStrictEqual(pages, [["z1", "a1"], ["a2", "b1"], ["c1", "c2"], []])
      // The empty page hands back the cursor it was given.
      assert.deepStrictEqual(BraintrustTraceReader.decodeCursor(after!), { xactId: BigInt(xact(30)), id: "c2" })
      const before = fetches().length
      yield* reader.read({ limit: 2, after })
      // Page 0 holds the cursor's transaction (more of it could follow); page 1 is all older: stop there.
      assert.strictEqual(fetches().length - before, 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a span written again after the cursor is read again, as its newest version", () => {
    let pages = script()
    const { layer } = vendor(() => pages)
    return Effect.gen(function*() {
      const reader = yield* TraceReader
      const first = yield* reader.read()
      // Feedback on a1: a new version, so a1 now sorts newest (its old version is gone from the older page).
      const [newest, older, oldest] = script()
      pages = [
        { ...newest!, events: [row("a1", 40, "trace-a", { scores: { helpful: 1 } }), ...newest!.events] },
        { ...older!, events: older!.events.filter((event) => (event as { id: string }).id !== "a1") },
        oldest!
      ]
      const next = yield* reader.read({ after: first.cursor })
      assert.deepStrictEqual(spanIds(next.spans), ["a1"])
      assert.deepStrictEqual(next.spans[0]!.scores, { helpful: 1 })
      const again = yield* reader.read()
      assert.deepStrictEqual(spanIds(again.spans), ["z1", "a2", "b1", "c1", "c2", "a1"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("filters by trace; reads an experiment from its own fetch endpoint", () => {
    const experimentId = uuid(7)
    const { fetches, layer } = vendor(script)
    return Effect.gen(function*() {
      const reader = yield* TraceReader
      const trace = yield* reader.read({ traceId: "trace-a" })
      assert.deepStrictEqual(spanIds(trace.spans), ["a1", "a2"])
      assert.strictEqual(trace.spans[1]!.parentSpanId, "a1")
      const fromExperiment = yield* reader.read({ experimentId, traceId: "trace-c" })
      assert.deepStrictEqual(spanIds(fromExperiment.spans), ["c1", "c2"])
      assert.deepStrictEqual(fromExperiment.spans[0]!.destination, { _tag: "Experiment", experimentId })
      assert.strictEqual(fetches().at(-1)!.url.pathname, `/v1/experiment/${experimentId}/fetch`)
    }).pipe(Effect.provide(layer))
  })

  it.effect("newest first: a tail of 2 is one fetch of 2 traces, newest first, with a cursor past it", () => {
    const { fetches, layer } = vendor(script, {})
    return Effect.gen(function*() {
      const reader = yield* TraceReader
      const tail = yield* reader.read({ limit: 2, order: "newest" })
      assert.deepStrictEqual(spanIds(tail.spans), ["c2", "c1"])
      assert.deepStrictEqual(fetches().map((r) => r.body), [{ limit: 2 }])
      // The cursor is past the newest transaction: following from it reads nothing older.
      assert.strictEqual(BraintrustTraceReader.decodeCursor(tail.cursor!)!.xactId, BigInt(xact(30)))
      assert.deepStrictEqual(spanIds((yield* reader.read({ after: tail.cursor })).spans), [])
    }).pipe(Effect.provide(layer))
  })

  it.effect("newest first: reads on only while an older page could hold a newer span, and stops at the cursor", () => {
    const { fetches, layer } = vendor(script)
    return Effect.gen(function*() {
      const reader = yield* TraceReader
      const four = yield* reader.read({ limit: 4, order: "newest" })
      // Page 0 has 3 spans; page 1 completes the 4 (c1's older version and the non-span row skipped); page 2 is not read.
      assert.deepStrictEqual(spanIds(four.spans), ["c2", "c1", "b1", "a2"])
      assert.strictEqual(fetches().length, 2)
      const after = BraintrustTraceReader.encodeCursor({ xactId: BigInt(xact(20)), id: "b1" })
      const before = fetches().length
      const newer = yield* reader.read({ limit: 10, order: "newest", after })
      assert.deepStrictEqual(spanIds(newer.spans), ["c2", "c1"])
      assert.strictEqual(fetches().length - before, 1, "page 0 reaches back to the cursor")
      const byTrace = yield* reader.read({ limit: 10, order: "newest", traceId: "trace-a" })
      assert.deepStrictEqual(spanIds(byTrace.spans), ["a2", "a1"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("the Braintrust page size follows the read's limit, within 100..1,000 traces", () => {
    const { fetches, layer } = vendor(() => [{ events: [] }], {})
    return Effect.gen(function*() {
      const reader = yield* TraceReader
      for (const limit of [5, 500, 5000]) yield* reader.read({ limit })
      assert.deepStrictEqual(fetches().map((r) => r.body.limit), [100, 500, 1000])
    }).pipe(Effect.provide(layer))
  })

  it.effect("a cursor that is not ours, an experiment id that is not a UUID: InvalidInput, nothing sent", () => {
    const { fetches, layer } = vendor(script)
    return Effect.gen(function*() {
      const reader = yield* TraceReader
      for (const after of ["3", "bt1.!!!", `bt1.${Buffer.from("x:y").toString("base64url")}`]) {
        const error = yield* Effect.flip(reader.read({ after }))
        assert.strictEqual(error._tag, "InvalidInput")
        assert.strictEqual(error._tag === "InvalidInput" && error.path, "after")
      }
      const error = yield* Effect.flip(reader.read({ experimentId: "not-a-uuid" }))
      assert.strictEqual(error._tag, "InvalidInput")
      assert.strictEqual(fetches().length, 0)
    }).pipe(Effect.provide(layer))
  })

  it("cursors round-trip any row id", () => {
    for (const id of ["c2", "a:b:c", "é/ü ✓", ""]) {
      const position = { xactId: BigInt(xact(99)), id }
      assert.deepStrictEqual(BraintrustTraceReader.decodeCursor(BraintrustTraceReader.encodeCursor(position)), position)
    }
  })
})
