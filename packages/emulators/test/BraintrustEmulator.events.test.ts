import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as BraintrustEmulator from "../src/BraintrustEmulator.js"
import { type Client, client } from "./helpers.js"

let handle: BraintrustEmulator.BraintrustEmulatorHandle
let api: Client
let projectId: string

beforeAll(async () => {
  handle = await BraintrustEmulator.start()
  api = client(handle)
  projectId = (await api.post("/v1/project", { name: "events" })).body.id
})

afterAll(async () => {
  await handle.close()
})

const noViolations = () => assert.deepStrictEqual(handle.violations, [])

const newExperiment = async (name: string, extra: Record<string, unknown> = {}): Promise<any> =>
  (await api.post("/v1/experiment", { project_id: projectId, name, ...extra })).body

const fetchAll = async (path: string, limit: number): Promise<{ events: Array<any>; pages: number }> => {
  const events: Array<any> = []
  let cursor: string | undefined
  let pages = 0
  for (;;) {
    const page = await api.post(path, { limit, ...(cursor ? { cursor } : {}) })
    assert.strictEqual(page.status, 200)
    pages++
    events.push(...page.body.events)
    cursor = page.body.cursor ?? undefined
    if (!cursor) break
  }
  return { events, pages }
}

describe("experiments", () => {
  it("create is get-or-create unless ensure_new; list, patch, delete", async () => {
    const first = await api.post("/v1/experiment", { project_id: projectId, name: "exp", metadata: { a: 1 } })
    assert.strictEqual(first.status, 200)
    assert.strictEqual(first.body.public, false)
    const again = await api.post("/v1/experiment", { project_id: projectId, name: "exp" })
    assert.strictEqual(again.headers.get("x-bt-found-existing"), "true")
    assert.strictEqual(again.body.id, first.body.id)
    const fresh = await api.post("/v1/experiment", { project_id: projectId, name: "exp", ensure_new: true })
    assert.notStrictEqual(fresh.body.id, first.body.id)
    assert.notStrictEqual(fresh.body.name, "exp")
    assert.isTrue((fresh.body.name as string).startsWith("exp"))
    const unnamed = await api.post("/v1/experiment", { project_id: projectId })
    assert.isString(unnamed.body.name)

    const listed = await api.get("/v1/experiment", { query: { project_id: projectId, experiment_name: "exp" } })
    assert.deepStrictEqual(listed.body.objects.map((e: any) => e.id), [first.body.id])
    const byProjectName = await api.get("/v1/experiment", { query: { project_name: "events" } })
    assert.isTrue(byProjectName.body.objects.length >= 3)
    assert.strictEqual(byProjectName.body.objects[0].id, unnamed.body.id)

    const patched = await api.patch(`/v1/experiment/${first.body.id}`, {
      metadata: { b: 2 },
      repo_info: { commit: "abc123", branch: "main" }
    })
    assert.deepStrictEqual(patched.body.metadata, { a: 1, b: 2 })
    assert.strictEqual(patched.body.commit, "abc123")
    assert.strictEqual((await api.get(`/v1/experiment/${first.body.id}`)).body.commit, "abc123")

    const deleted = await api.del(`/v1/experiment/${unnamed.body.id}`)
    assert.isString(deleted.body.deleted_at)
    assert.strictEqual((await api.get(`/v1/experiment/${unnamed.body.id}`)).status, 404)
    noViolations()
  })

  it("insert replaces by id or merges with _is_merge; fetch returns the newest version only", async () => {
    const exp = await newExperiment("rows")
    const insert = await api.post(`/v1/experiment/${exp.id}/insert`, {
      events: [
        { id: "foo", input: { a: 5, b: 10 }, output: "o1", metrics: { start: 1, end: 2 }, tags: ["t1", "t2"] },
        { input: "generated id" }
      ]
    })
    assert.strictEqual(insert.status, 200)
    assert.strictEqual(insert.body.row_ids.length, 2)
    assert.strictEqual(insert.body.row_ids[0], "foo")
    const generated = insert.body.row_ids[1] as string

    await api.post(`/v1/experiment/${exp.id}/insert`, {
      events: [{ id: "foo", _is_merge: true, input: { b: 11, c: 20 }, scores: { acc: 0.5 }, span_id: "ignored" }]
    })
    const merged = await api.get(`/v1/experiment/${exp.id}/fetch`)
    const foo = merged.body.events.find((e: any) => e.id === "foo")
    assert.deepStrictEqual(foo.input, { a: 5, b: 11, c: 20 })
    assert.strictEqual(foo.output, "o1")
    assert.strictEqual(foo.span_id, "foo")
    assert.strictEqual(foo.experiment_id, exp.id)
    assert.strictEqual(foo.project_id, projectId)
    assert.isTrue(foo.is_root)
    const mergedXact = BigInt(foo._xact_id)

    // _merge_paths replaces the listed sub-objects; _array_delete removes values
    await api.post(`/v1/experiment/${exp.id}/insert`, {
      events: [{
        id: "foo",
        _is_merge: true,
        _merge_paths: [["input"]],
        input: { z: 1 },
        _array_delete: [{ path: ["tags"], delete: ["t1"] }]
      }]
    })
    const afterPaths = (await api.get(`/v1/experiment/${exp.id}/fetch`)).body.events.find((e: any) => e.id === "foo")
    assert.deepStrictEqual(afterPaths.input, { z: 1 })
    assert.deepStrictEqual(afterPaths.tags, ["t2"])
    assert.isTrue(BigInt(afterPaths._xact_id) > mergedXact)

    // without _is_merge the row is replaced entirely
    await api.post(`/v1/experiment/${exp.id}/insert`, { events: [{ id: "foo", output: "only output" }] })
    const replaced = (await api.get(`/v1/experiment/${exp.id}/fetch`)).body.events
    const fooNow = replaced.filter((e: any) => e.id === "foo")
    assert.strictEqual(fooNow.length, 1)
    assert.isUndefined(fooNow[0].input)
    assert.strictEqual(fooNow[0].output, "only output")

    // a snapshot at an older version sees the older row
    const old = await api.post(`/v1/experiment/${exp.id}/fetch`, { version: mergedXact.toString() })
    assert.deepStrictEqual(old.body.events.find((e: any) => e.id === "foo").input, { a: 5, b: 11, c: 20 })

    // tombstones disappear from fetch
    await api.post(`/v1/experiment/${exp.id}/insert`, { events: [{ id: generated, _object_delete: true }] })
    const final = (await api.get(`/v1/experiment/${exp.id}/fetch`)).body.events
    assert.deepStrictEqual(final.map((e: any) => e.id), ["foo"])
    noViolations()
  })

  it("fetch pages by trace with an opaque cursor, visiting each row once", async () => {
    const exp = await newExperiment("paging")
    const events: Array<Record<string, unknown>> = []
    for (let t = 0; t < 5; t++) {
      events.push({ id: `root-${t}`, span_id: `root-${t}`, root_span_id: `trace-${t}`, input: t })
      events.push({ id: `child-${t}`, span_id: `child-${t}`, root_span_id: `trace-${t}`, span_parents: [`root-${t}`], output: t })
    }
    // two separate writes, so traces carry different transaction ids
    await api.post(`/v1/experiment/${exp.id}/insert`, { events: events.slice(0, 6) })
    await api.post(`/v1/experiment/${exp.id}/insert`, { events: events.slice(6) })

    const { events: seen, pages } = await fetchAll(`/v1/experiment/${exp.id}/fetch`, 2)
    assert.strictEqual(pages, 3)
    assert.strictEqual(seen.length, 10)
    assert.strictEqual(new Set(seen.map((e) => e.id)).size, 10)
    // newest traces first
    assert.strictEqual(seen[0].root_span_id, "trace-4")
    const first = await api.post(`/v1/experiment/${exp.id}/fetch`, { limit: 2 })
    assert.strictEqual(new Set(first.body.events.map((e: any) => e.root_span_id)).size, 2)
    assert.strictEqual(first.body.events.length, 4)

    // later writes do not shift an ongoing paging: the cursor pins the snapshot
    const page1 = await api.post(`/v1/experiment/${exp.id}/fetch`, { limit: 4 })
    await api.post(`/v1/experiment/${exp.id}/insert`, { events: [{ id: "late", input: "late" }] })
    const page2 = await api.post(`/v1/experiment/${exp.id}/fetch`, { limit: 4, cursor: page1.body.cursor })
    assert.isUndefined(page2.body.cursor)
    assert.notInclude(page2.body.events.map((e: any) => e.id), "late")

    const bad = await api.post(`/v1/experiment/${exp.id}/fetch`, { cursor: "garbage" })
    assert.strictEqual(bad.status, 400)
    const empty = await api.post(`/v1/experiment/${(await newExperiment("empty")).id}/fetch`, { limit: 5 })
    assert.deepStrictEqual(empty.body, { events: [] })
    noViolations()
  })

  it("feedback merges scores, replaces expected and records comments and audit data", async () => {
    const exp = await newExperiment("feedback")
    await api.post(`/v1/experiment/${exp.id}/insert`, {
      events: [{ id: "r1", input: "q", output: "a", expected: "old", scores: { accuracy: 0, style: 1 } }]
    })
    const fb = await api.post(`/v1/experiment/${exp.id}/feedback`, {
      feedback: [{ id: "r1", scores: { accuracy: 1 }, expected: "new", comment: "fixed", metadata: { reviewer: "r" }, source: "app" }]
    })
    assert.deepStrictEqual(fb.body, { status: "success" })
    const row = (await api.get(`/v1/experiment/${exp.id}/fetch`)).body.events[0]
    assert.deepStrictEqual(row.scores, { accuracy: 1, style: 1 })
    assert.strictEqual(row.expected, "new")
    assert.strictEqual(row.input, "q")
    assert.strictEqual(row.comments[0].comment.text, "fixed")
    assert.deepStrictEqual(row.audit_data[0].metadata, { reviewer: "r" })
    assert.isUndefined(row.metadata)

    const outOfRange = await api.post(`/v1/experiment/${exp.id}/feedback`, { feedback: [{ id: "r1", scores: { accuracy: 1.5 } }] })
    assert.strictEqual(outOfRange.status, 400)
    assert.include(outOfRange.body.Message, "feedback/0/scores/accuracy")
    noViolations()
  })

  it("summarize computes means, diffs, improvements and regressions against the comparison", async () => {
    const base = await newExperiment("base")
    const current = await newExperiment("current")
    const rows = (scores: Array<number>, durations: Array<number>) =>
      scores.map((score, i) => ({
        id: `q${i}`,
        input: { question: `q${i}` },
        output: "x",
        scores: { accuracy: score },
        metrics: { start: 100, end: 100 + durations[i]!, prompt_tokens: 10, completion_tokens: 5, tokens: 15 }
      }))
    await api.post(`/v1/experiment/${base.id}/insert`, { events: rows([1, 0, 0.5, 1], [2, 2, 2, 2]) })
    const currentRows = rows([1, 1, 0, 1], [1, 3, 2, 2])
    // q3's score lives on a scorer child span instead of the root
    delete (currentRows[3] as Record<string, unknown>)["scores"]
    await api.post(`/v1/experiment/${current.id}/insert`, {
      events: [
        ...currentRows,
        { id: "q3-score", root_span_id: "q3", span_parents: ["q3"], scores: { accuracy: 1 }, span_attributes: { type: "score", purpose: "scorer" } },
        { id: "extra", input: { question: "unmatched" }, scores: { accuracy: 0.5 }, metrics: { start: 0, end: 1 } }
      ]
    })

    const plain = await api.get(`/v1/experiment/${current.id}/summarize`)
    assert.deepStrictEqual(Object.keys(plain.body).sort(), ["experiment_name", "experiment_url", "project_name", "project_url"])
    assert.strictEqual(plain.body.project_url, `https://www.braintrust.dev/app/emulator-org/p/events`)

    const summary = await api.get(`/v1/experiment/${current.id}/summarize`, {
      query: { summarize_scores: true, comparison_experiment_id: base.id }
    })
    assert.strictEqual(summary.status, 200)
    assert.strictEqual(summary.body.comparison_experiment_name, "base")
    const accuracy = summary.body.scores.accuracy
    assert.closeTo(accuracy.score, (1 + 1 + 0 + 1 + 0.5) / 5, 1e-9)
    assert.closeTo(accuracy.diff, 0.7 - 0.625, 1e-9)
    assert.strictEqual(accuracy.improvements, 1)
    assert.strictEqual(accuracy.regressions, 1)
    const duration = summary.body.metrics.duration
    assert.strictEqual(duration.unit, "s")
    assert.closeTo(duration.metric, (1 + 3 + 2 + 2 + 1) / 5, 1e-9)
    assert.strictEqual(duration.improvements, 1)
    assert.strictEqual(duration.regressions, 1)
    assert.strictEqual(summary.body.metrics.total_tokens.metric, 15)

    // without an explicit comparison: the newest older experiment in the project
    const fallback = await api.get(`/v1/experiment/${current.id}/summarize`, { query: { summarize_scores: true } })
    assert.strictEqual(fallback.body.comparison_experiment_name, "base")
    noViolations()
  })
})

describe("datasets", () => {
  it("supports create, list, insert, fetch, feedback and summarize", async () => {
    const created = await api.post("/v1/dataset", { project_id: projectId, name: "Golden Set", metadata: { v: 1 } })
    assert.strictEqual(created.body.url_slug, "golden-set")
    const again = await api.post("/v1/dataset", { project_id: projectId, name: "Golden Set" })
    assert.strictEqual(again.headers.get("x-bt-found-existing"), "true")
    const listed = await api.get("/v1/dataset", { query: { project_name: "events", dataset_name: "Golden Set" } })
    assert.deepStrictEqual(listed.body.objects.map((d: any) => d.id), [created.body.id])
    assert.strictEqual((await api.get(`/v1/dataset/${created.body.id}`)).body.name, "Golden Set")
    const patched = await api.patch(`/v1/dataset/${created.body.id}`, { metadata: { w: 2 } })
    assert.deepStrictEqual(patched.body.metadata, { v: 1, w: 2 })

    const ins = await api.post(`/v1/dataset/${created.body.id}/insert`, {
      events: [{ id: "d1", input: "a", expected: "A" }, { id: "d2", input: "b", expected: "B", tags: ["x"] }]
    })
    assert.deepStrictEqual(ins.body.row_ids, ["d1", "d2"])
    const fetched = await api.get(`/v1/dataset/${created.body.id}/fetch`, { query: { limit: 10 } })
    assert.strictEqual(fetched.body.events.length, 2)
    assert.strictEqual(fetched.body.events[0].dataset_id, created.body.id)

    const fb = await api.post(`/v1/dataset/${created.body.id}/feedback`, { feedback: [{ id: "d1", comment: "good", tags: ["ok"] }] })
    assert.deepStrictEqual(fb.body, { status: "success" })
    const d1 = (await api.post(`/v1/dataset/${created.body.id}/fetch`, {})).body.events.find((e: any) => e.id === "d1")
    assert.deepStrictEqual(d1.tags, ["ok"])
    assert.strictEqual(d1.expected, "A")

    const summary = await api.get(`/v1/dataset/${created.body.id}/summarize`, { query: { summarize_data: true } })
    assert.deepStrictEqual(summary.body.data_summary, { total_records: 2 })
    assert.strictEqual(summary.body.dataset_name, "Golden Set")
    const bare = await api.get(`/v1/dataset/${created.body.id}/summarize`)
    assert.isUndefined(bare.body.data_summary)

    const del = await api.del(`/v1/dataset/${created.body.id}`)
    assert.strictEqual(del.status, 200)
    assert.strictEqual((await api.get(`/v1/dataset/${created.body.id}/fetch`)).status, 404)
    noViolations()
  })
})

describe("project logs and cross-object insert", () => {
  it("logs insert, fetch and feedback", async () => {
    const ins = await api.post(`/v1/project_logs/${projectId}/insert`, {
      events: [
        { id: "R", span_id: "R", root_span_id: "T", input: "hi", metrics: { start: 1, end: 2 }, span_attributes: { name: "root", type: "task" } },
        { id: "C", span_id: "C", root_span_id: "T", span_parents: ["R"], span_attributes: { name: "llm", type: "llm" }, metrics: { prompt_tokens: 3 } }
      ]
    })
    assert.deepStrictEqual(ins.body.row_ids, ["R", "C"])
    await api.post(`/v1/project_logs/${projectId}/feedback`, { feedback: [{ id: "R", scores: { accuracy: 1 } }] })
    const rows = (await api.get(`/v1/project_logs/${projectId}/fetch`)).body.events
    const root = rows.find((e: any) => e.id === "R")
    assert.strictEqual(root.log_id, "g")
    assert.strictEqual(root.org_id, handle.store.org.id)
    assert.deepStrictEqual(root.scores, { accuracy: 1 })
    assert.isFalse(rows.find((e: any) => e.id === "C").is_root)

    const metricsBool = await api.post(`/v1/project_logs/${projectId}/insert`, { events: [{ id: "X", metrics: { is_byok: true } }] })
    assert.strictEqual(metricsBool.status, 400)
    assert.include(metricsBool.body.Message, "events/0/metrics/is_byok")
    noViolations()
  })

  it("/v1/insert writes to several objects in one request", async () => {
    const exp = await newExperiment("cross")
    const ds = (await api.post("/v1/dataset", { project_id: projectId, name: "cross-ds" })).body
    const res = await api.post("/v1/insert", {
      experiment: { [exp.id]: { events: [{ id: "e1", input: 1 }] } },
      dataset: { [ds.id]: { events: [{ id: "d1", input: 2 }] } },
      project_logs: { [projectId]: { events: [{ id: "l1", input: 3 }], feedback: [{ id: "l1", scores: { ok: 1 } }] } }
    })
    assert.strictEqual(res.status, 200)
    assert.deepStrictEqual(res.body.experiment[exp.id], { row_ids: ["e1"] })
    assert.deepStrictEqual(res.body.dataset[ds.id], { row_ids: ["d1"] })
    assert.deepStrictEqual(res.body.project_logs[projectId], { row_ids: ["l1"] })
    const l1 = (await api.get(`/v1/project_logs/${projectId}/fetch`)).body.events.find((e: any) => e.id === "l1")
    assert.deepStrictEqual(l1.scores, { ok: 1 })

    const unknown = await api.post("/v1/insert", { experiment: { [crypto.randomUUID()]: { events: [{ input: 1 }] } } })
    assert.strictEqual(unknown.status, 404)
    noViolations()
  })
})
