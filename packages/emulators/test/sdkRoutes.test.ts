/**
 * The official SDK's private endpoints, driven with the requests `braintrust@3.35.0` sends (captured from its
 * dist: login, register, version, logs3 with `{"rows": [...], "api_version": 2}`, base experiment, comparison).
 * Rows written through logs3 must land in the containers the documented `/v1/.../fetch` routes read.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as BraintrustEmulator from "../src/BraintrustEmulator.js"
import { type Client, client } from "./helpers.js"

let handle: BraintrustEmulator.BraintrustEmulatorHandle
let api: Client
let orgId: string

beforeAll(async () => {
  handle = await BraintrustEmulator.start({ apiKeys: ["test-key", { key: "ro", readOnly: true }] })
  api = client(handle)
  orgId = handle.store.org.id
})

afterAll(async () => {
  await handle.close()
})

const noViolations = () => assert.deepStrictEqual(handle.violations, [])

/** logs3 as the SDK posts it: a raw JSON string body. */
const logs3 = (rows: ReadonlyArray<Record<string, unknown>>) =>
  api.post("/logs3", undefined, {
    rawBody: `{"rows": ${JSON.stringify(rows)}, "api_version": 2}`,
    headers: { "content-type": "application/json" }
  })

const registerProject = async (name: string): Promise<any> =>
  (await api.post("/api/project/register", { project_name: name, org_id: orgId })).body.project

const registerExperiment = async (body: Record<string, unknown>): Promise<any> => {
  const response = await api.post("/api/experiment/register", { org_id: orgId, ...body })
  assert.strictEqual(response.status, 200, response.text)
  return response.body
}

describe("login and registration", () => {
  it("login names the organisation and points api_url at the emulator itself", async () => {
    const response = await api.post("/api/apikey/login")
    assert.strictEqual(response.status, 200)
    assert.deepStrictEqual(response.body.org_info, [
      { id: orgId, name: "emulator-org", api_url: handle.url, proxy_url: handle.url, git_metadata: null }
    ])
    assert.strictEqual((await api.post("/api/apikey/login", undefined, { key: null })).status, 401)
    assert.strictEqual((await api.post("/api/apikey/login", undefined, { key: "wrong" })).status, 401)
    noViolations()
  })

  it("project register is get-or-create by name and the project is the documented one", async () => {
    const first = await registerProject("sdk-project")
    const again = await registerProject("sdk-project")
    assert.strictEqual(again.id, first.id)
    const listed = await api.get("/v1/project", { query: { project_name: "sdk-project" } })
    assert.deepStrictEqual(listed.body.objects.map((p: any) => p.id), [first.id])
    const byId = await api.get("/api/project", { query: { id: first.id } })
    assert.strictEqual(byId.body.name, "sdk-project")
    const other = await api.post("/api/project/register", { project_name: "x", org_id: "someone-else" })
    assert.strictEqual(other.status, 400)
    assert.strictEqual((await api.post("/api/project/register", {})).status, 400)
    assert.strictEqual((await api.post("/api/project/register", { project_name: "ro" }, { key: "ro" })).status, 403)
    noViolations()
  })

  it("experiment register: unique names unless update, bases by id, name or ancestor commit", async () => {
    const first = await registerExperiment({ project_name: "sdk-exps", experiment_name: "run", repo_info: { commit: "c1" } })
    assert.strictEqual(first.project.name, "sdk-exps")
    assert.strictEqual(first.experiment.name, "run")
    assert.strictEqual(first.experiment.commit, "c1")

    const second = await registerExperiment({ project_name: "sdk-exps", experiment_name: "run", ancestor_commits: ["c0", "c1"] })
    assert.notStrictEqual(second.experiment.id, first.experiment.id)
    assert.notStrictEqual(second.experiment.name, "run")
    assert.strictEqual(second.experiment.base_exp_id, first.experiment.id)

    const resumed = await registerExperiment({ project_id: first.project.id, experiment_name: "run", update: true })
    assert.strictEqual(resumed.experiment.id, first.experiment.id)

    const named = await registerExperiment({ project_name: "sdk-exps", base_experiment: "run" })
    assert.strictEqual(named.experiment.base_exp_id, first.experiment.id)
    const missing = await api.post("/api/experiment/register", { project_name: "sdk-exps", base_experiment: "nope" })
    assert.strictEqual(missing.status, 400)
    // The SDK retries without the base when the message says so.
    assert.include(missing.body.Message, "base experiment")

    const base = await api.post("/api/base_experiment/get_id", { id: second.experiment.id })
    assert.deepStrictEqual(base.body, { base_exp_id: first.experiment.id, base_exp_name: "run" })
    const none = await api.post("/api/base_experiment/get_id", { id: first.experiment.id })
    assert.strictEqual(none.status, 400)

    // Visible through the documented routes.
    const listed = await api.get(`/v1/experiment/${second.experiment.id}`)
    assert.strictEqual(listed.body.base_exp_id, first.experiment.id)
    noViolations()
  })

  it("version advertises no payload limit", async () => {
    const response = await api.get("/version")
    assert.strictEqual(response.status, 200)
    assert.isNull(response.body.logs3_payload_max_bytes)
  })
})

describe("logs3", () => {
  it("project-log rows land in the project logs: a start row, then a merge, as the SDK sends them", async () => {
    const project = await registerProject("sdk-logs")
    const origin = { span_origin: { name: "braintrust.sdk.javascript", version: "3.35.0" } }
    const start = await logs3([
      {
        id: "r1",
        span_id: "s-root",
        root_span_id: "t1",
        metrics: { start: 1795369490.222 },
        context: origin,
        span_attributes: { name: "root", type: "task", exec_counter: 0 },
        created: "2026-11-22T17:44:50.222Z",
        _is_merge: false,
        project_id: project.id,
        log_id: "g"
      },
      {
        id: "c1",
        span_id: "s-child",
        root_span_id: "t1",
        span_parents: ["s-root"],
        metadata: { a: 1 },
        metrics: { start: 1795369490.229, end: 1795369490.23 },
        span_attributes: { name: "child", exec_counter: 1 },
        project_id: project.id,
        log_id: "g"
      }
    ])
    assert.strictEqual(start.status, 200, start.text)
    assert.deepStrictEqual(start.body.row_ids, ["r1", "c1"])
    const merge = await logs3([
      {
        id: "r1",
        input: { q: 1 },
        output: "x",
        _is_merge: true,
        metrics: { end: 1795369490.23 },
        span_id: "s-root",
        root_span_id: "t1",
        project_id: project.id,
        log_id: "g"
      }
    ])
    assert.strictEqual(merge.status, 200, merge.text)

    const fetched = await api.post(`/v1/project_logs/${project.id}/fetch`, {})
    const rows = new Map<string, any>(fetched.body.events.map((e: any) => [e.id, e]))
    assert.strictEqual(rows.size, 2)
    const root = rows.get("r1")
    assert.deepStrictEqual(root.input, { q: 1 })
    assert.strictEqual(root.output, "x")
    assert.deepStrictEqual(root.metrics, { start: 1795369490.222, end: 1795369490.23 })
    assert.strictEqual(root.span_id, "s-root")
    assert.strictEqual(root.project_id, project.id)
    assert.strictEqual(root.log_id, "g")
    assert.strictEqual(root.org_id, orgId)
    assert.deepStrictEqual(rows.get("c1").span_parents, ["s-root"])
    noViolations()
  })

  it("experiment rows land in the experiment and the comparison reads their scores", async () => {
    const base = await registerExperiment({ project_name: "sdk-eval", experiment_name: "base" })
    const current = await registerExperiment({ project_name: "sdk-eval", experiment_name: "current" })
    const row = (experimentId: string, id: string, input: number, score: number) => ({
      id,
      span_id: `s-${id}`,
      root_span_id: `t-${id}`,
      input,
      expected: input,
      output: input,
      scores: { exact: score },
      metrics: { start: 1, end: 2 },
      span_attributes: { name: "eval", type: "eval" },
      _is_merge: false,
      experiment_id: experimentId
    })
    const written = await logs3([
      row(base.experiment.id, "b1", 1, 0),
      row(base.experiment.id, "b2", 2, 1),
      row(current.experiment.id, "c1", 1, 1),
      row(current.experiment.id, "c2", 2, 1)
    ])
    assert.strictEqual(written.status, 200, written.text)
    assert.deepStrictEqual(written.body.row_ids, ["b1", "b2", "c1", "c2"])
    const fetched = await api.post(`/v1/experiment/${current.experiment.id}/fetch`, {})
    assert.deepStrictEqual(fetched.body.events.map((e: any) => e.id).sort(), ["c1", "c2"])
    assert.strictEqual(fetched.body.events[0].experiment_id, current.experiment.id)

    const compared = await api.get("/experiment-comparison2", {
      query: { experiment_id: current.experiment.id, base_experiment_id: base.experiment.id }
    })
    assert.strictEqual(compared.status, 200, compared.text)
    assert.strictEqual(compared.body.scores.exact.score, 1)
    assert.strictEqual(compared.body.scores.exact.diff, 0.5)
    assert.strictEqual(compared.body.scores.exact.improvements, 1)
    assert.strictEqual(compared.body.metrics.duration.metric, 1)
    // Without a base (get_id answered 400), nothing is compared.
    const alone = await api.get("/experiment-comparison2", { query: { experiment_id: current.experiment.id } })
    assert.strictEqual(alone.body.scores.exact.score, 1)
    assert.isUndefined(alone.body.scores.exact.diff)
    noViolations()
  })

  it("a bad request writes nothing: unknown destination, no destination, a bad row, an overflow reference", async () => {
    const project = await registerProject("sdk-bad")
    const good = { id: "g1", span_id: "g1", root_span_id: "g1", project_id: project.id, log_id: "g" }
    const unknown = await logs3([good, { id: "x", experiment_id: "00000000-0000-4000-8000-000000000000" }])
    assert.strictEqual(unknown.status, 404)
    const nowhere = await logs3([good, { id: "y", project_id: project.id }])
    assert.strictEqual(nowhere.status, 400)
    const rejectionsBefore = handle.rejections.length
    const badMetric = await logs3([{ ...good, metrics: { start: "soon" } }])
    assert.strictEqual(badMetric.status, 400)
    assert.include(badMetric.body.Message, "metrics")
    assert.strictEqual(handle.rejections.length, rejectionsBefore + 1)
    const overflow = await api.post("/logs3", { rows: { type: "logs3_overflow", key: "k" }, api_version: 2 })
    assert.strictEqual(overflow.status, 400)
    assert.include(overflow.body.Message, "overflow")
    const readOnly = await api.post("/logs3", { rows: [good], api_version: 2 }, { key: "ro" })
    assert.strictEqual(readOnly.status, 403)
    const fetched = await api.post(`/v1/project_logs/${project.id}/fetch`, {})
    assert.deepStrictEqual(fetched.body.events, [])
    noViolations()
  })
})
