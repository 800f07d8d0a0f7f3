import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as BraintrustEmulator from "../src/BraintrustEmulator.js"
import { type Client, client, parseSse } from "./helpers.js"

let handle: BraintrustEmulator.BraintrustEmulatorHandle
let api: Client
let projectId: string
let datasetId: string
let taskId: string
let scorerId: string

const inlineCode = (code: string) => ({
  type: "code",
  data: { type: "inline", runtime_context: { runtime: "node", version: "20" }, code }
})

beforeAll(async () => {
  let clock = Date.UTC(2026, 0, 1)
  // every reading advances 250 ms, so eval durations are deterministic
  handle = await BraintrustEmulator.start({ now: () => (clock += 250) })
  api = client(handle)
  projectId = (await api.post("/v1/project", { name: "evals" })).body.id
  datasetId = (await api.post("/v1/dataset", { project_id: projectId, name: "words" })).body.id
  await api.post(`/v1/dataset/${datasetId}/insert`, {
    events: [
      { id: "w1", input: "abc", expected: "ABC" },
      { id: "w2", input: "hello", expected: "HELLO" },
      { id: "w3", input: "nope", expected: "yes" }
    ]
  })
  taskId = (await api.post("/v1/function", {
    project_id: projectId,
    name: "Upper",
    slug: "upper",
    function_type: "task",
    function_data: inlineCode("export default (s) => s.toUpperCase() // @emulator:uppercase")
  })).body.id
  scorerId = (await api.post("/v1/function", {
    project_id: projectId,
    name: "Lev",
    slug: "lev",
    function_type: "scorer",
    function_data: inlineCode("// @emulator:levenshtein")
  })).body.id
})

afterAll(async () => {
  await handle.close()
})

const noViolations = () => assert.deepStrictEqual(handle.violations, [])

describe("POST /v1/eval", () => {
  it("runs a stored task and scorers over a dataset and returns the summary", async () => {
    const res = await api.post("/v1/eval", {
      project_id: projectId,
      data: { dataset_id: datasetId },
      task: { function_id: taskId },
      scores: [
        { global_function: "ExactMatch" },
        { function_id: scorerId },
        { inline_context: { runtime: "node", version: "20" }, code: "// @emulator:contains", name: "Contains" }
      ],
      experiment_name: "upper-run",
      metadata: { model: "none" },
      tags: ["ci"],
      max_concurrency: 4,
      timeout: 60000,
      trial_count: 1,
      is_public: false,
      git_metadata_settings: { collect: "none" },
      repo_info: { commit: "c0ffee" },
      strict: false,
      stop_token: null,
      extra_messages: "",
      mcp_auth: {},
      name: "eval",
      parameters: {}
    })
    assert.strictEqual(res.status, 200)
    const summary = res.body
    assert.strictEqual(summary.experiment_name, "upper-run")
    assert.strictEqual(summary.project_name, "evals")
    assert.closeTo(summary.scores.ExactMatch.score, 2 / 3, 1e-9)
    assert.closeTo(summary.scores.Contains.score, 2 / 3, 1e-9)
    // "NOPE" vs "yes": every character differs, so distance 4 over length 4
    assert.closeTo(summary.scores.Lev.score, (1 + 1 + 0) / 3, 1e-9)
    assert.strictEqual(summary.metrics.duration.unit, "s")
    assert.isTrue(summary.metrics.duration.metric > 0)

    const experiments = await api.get("/v1/experiment", { query: { project_id: projectId, experiment_name: "upper-run" } })
    const experiment = experiments.body.objects[0]
    assert.strictEqual(experiment.dataset_id, datasetId)
    assert.deepStrictEqual(experiment.tags, ["ci"])
    assert.strictEqual(experiment.commit, "c0ffee")
    const rows = (await api.post(`/v1/experiment/${experiment.id}/fetch`, {})).body.events
    // per case: root + task + three scorer spans
    assert.strictEqual(rows.length, 3 * 5)
    const roots = rows.filter((r: any) => r.is_root)
    assert.strictEqual(roots.length, 3)
    const w2 = roots.find((r: any) => r.input === "hello")
    assert.strictEqual(w2.output, "HELLO")
    assert.strictEqual(w2.expected, "HELLO")
    assert.deepStrictEqual(w2.origin.object_type, "dataset")
    assert.strictEqual(w2.origin.id, "w2")
    assert.strictEqual(w2.span_attributes.type, "eval")
    const scoreSpans = rows.filter((r: any) => r.span_attributes?.type === "score" && r.root_span_id === w2.root_span_id)
    assert.deepStrictEqual(scoreSpans.map((r: any) => Object.keys(r.scores)[0]).sort(), ["Contains", "ExactMatch", "Lev"])
    noViolations()
  })

  it("suffixes a clashing experiment name and compares with the base experiment", async () => {
    const res = await api.post("/v1/eval", {
      project_id: projectId,
      data: { project_name: "evals", dataset_name: "words" },
      task: { project_name: "evals", slug: "upper" },
      scores: [{ global_function: "ExactMatch" }],
      experiment_name: "upper-run",
      base_experiment_name: "upper-run"
    })
    assert.strictEqual(res.status, 200)
    assert.notStrictEqual(res.body.experiment_name, "upper-run")
    assert.isTrue((res.body.experiment_name as string).startsWith("upper-run"))
    assert.strictEqual(res.body.comparison_experiment_name, "upper-run")
    assert.strictEqual(res.body.scores.ExactMatch.diff, 0)
    assert.strictEqual(res.body.scores.ExactMatch.improvements, 0)
    assert.strictEqual(res.body.scores.ExactMatch.regressions, 0)
    noViolations()
  })

  it("runs inline data with an inline prompt task, trials and streaming", async () => {
    const body = {
      project_id: projectId,
      data: { data: [{ input: { who: "Ada" }, expected: "Hi Ada" }, { input: { who: "Bob" }, expected: "Hello Bob" }] },
      task: {
        inline_prompt: { prompt: { type: "chat", messages: [{ role: "user", content: "Hi {{who}}" }] } },
        name: "greet"
      },
      scores: [{ global_function: "ExactMatch" }, { global_function: "Levenshtein" }],
      trial_count: 2,
      stream: true
    }
    const res = await api.post("/v1/eval", body)
    assert.strictEqual(res.status, 200)
    assert.include(res.headers.get("content-type") ?? "", "text/event-stream")
    const events = parseSse(res.text)
    assert.deepStrictEqual(events.map((e) => e.event), ["start", "progress", "progress", "progress", "progress", "summary", "done"])
    const start = JSON.parse(events[0]!.data)
    assert.isString(start.experiment_id)
    const progress = JSON.parse(events[1]!.data)
    assert.strictEqual(progress.name, "greet")
    assert.strictEqual(progress.format, "llm")
    assert.strictEqual(JSON.parse(progress.data), "Hi Ada")
    const summary = JSON.parse(events[5]!.data)
    assert.strictEqual(summary.experiment_name, start.experiment_name)
    assert.closeTo(summary.scores.ExactMatch.score, 0.5, 1e-9)
    assert.strictEqual(events[6]!.data, "")
    const rows = (await api.post(`/v1/experiment/${start.experiment_id}/fetch`, {})).body.events
    assert.strictEqual(rows.filter((r: any) => r.is_root).length, 4)
    noViolations()
  })

  it("records task errors on the row and refuses what it cannot run", async () => {
    const strict = await api.post("/v1/eval", {
      project_id: projectId,
      data: { data: [{ input: { who: "Ada" } }] },
      task: { inline_prompt: { prompt: { type: "completion", content: "{{missing}}" } } },
      scores: [{ global_function: "ExactMatch" }],
      strict: true,
      experiment_name: "strict"
    })
    assert.strictEqual(strict.status, 200)
    const exp = (await api.get("/v1/experiment", { query: { experiment_name: "strict" } })).body.objects[0]
    const root = (await api.post(`/v1/experiment/${exp.id}/fetch`, {})).body.events.find((r: any) => r.is_root)
    assert.include(root.error, "missing")

    const factuality = await api.post("/v1/eval", {
      project_id: projectId,
      data: { data: [1] },
      task: { global_function: "identity" },
      scores: [{ global_function: "Factuality" }]
    })
    assert.strictEqual(factuality.status, 400)
    assert.include(factuality.body.Message, "Factuality")

    const noProject = await api.post("/v1/eval", {
      project_id: crypto.randomUUID(),
      data: { data: [] },
      task: { global_function: "identity" },
      scores: []
    })
    assert.strictEqual(noProject.status, 404)

    const invalid = await api.post("/v1/eval", { project_id: projectId, data: { data: [] }, scores: [] })
    assert.strictEqual(invalid.status, 400)
    assert.include(invalid.body.Message, "'task'")
    noViolations()
  })
})
