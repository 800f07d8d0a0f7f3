/**
 * `POST /v1/eval` (§2.8): runs a deterministic eval server-side. Loads the cases (inline, by dataset id, or by
 * project + dataset name), resolves the task and scorers (Runtime.ts), creates an experiment (a name clash gets a
 * suffix), writes one trace per case × trial (root `eval` span with input/expected/output, a `task` span, one
 * `score` span per scorer carrying `scores`), and answers the experiment summary. With `stream: true` the answer is
 * an SSE stream: `start` (the experiment), one `progress` per case, `summary` (SummarizeExperimentResponse), `done`.
 *
 * Accepted and ignored: `name`, `parameters`, `parent`, `timeout`, `max_concurrency`, `stop_token`,
 * `git_metadata_settings`, `mcp_auth` (everything runs synchronously in-process).
 */
import { json, type Route, type RouteContext, sse, type SseEvent } from "../../../EmulatorServer.js"
import { clone, isPlainObject, type JsonObject } from "../../Json.js"
import type { BraintrustDeps } from "../Context.js"
import { failBadRequest, failNotFound } from "../Errors.js"
import { containerKeys, insertEvents } from "../Events.js"
import { type Callable, extraMessages, FunctionRunError, normalizeScores, resolveFunctionId } from "../Runtime.js"
import type { ObjectRecord } from "../Store.js"
import { summarizeExperiment, urls } from "../Summaries.js"
import { parseVersion } from "../XactId.js"
import { datasetByName, requireDataset } from "./Datasets.js"
import { createExperiment, experimentByName } from "./Experiments.js"
import { requireProject } from "./Projects.js"

interface EvalCase {
  readonly input: unknown
  readonly expected?: unknown
  readonly metadata?: JsonObject
  readonly tags?: ReadonlyArray<string>
  readonly origin?: JsonObject
}

interface LoadedData {
  readonly cases: ReadonlyArray<EvalCase>
  readonly dataset?: { readonly id: string; readonly version: string }
}

const datasetCases = (deps: BraintrustDeps, path: string, dataset: ObjectRecord, version: unknown, environment: unknown): LoadedData => {
  if (typeof environment === "string") {
    failBadRequest(deps, path, `Dataset environment ${environment} not found (the emulator has no environments)`)
  }
  let snapshot: bigint | undefined
  if (typeof version === "string") {
    snapshot = parseVersion(version)
    if (snapshot === undefined) failBadRequest(deps, path, `Invalid dataset_version ${version}`)
  }
  const container = deps.store.container("dataset", dataset.id)
  const rows = deps.store.liveRows(container, snapshot).sort((a, b) => a.version.seq - b.version.seq)
  const cases = rows.map(({ row, version: v }): EvalCase => ({
    input: row["input"],
    ...(row["expected"] !== undefined ? { expected: row["expected"] } : {}),
    ...(isPlainObject(row["metadata"]) ? { metadata: row["metadata"] } : {}),
    ...(Array.isArray(row["tags"]) ? { tags: row["tags"] as Array<string> } : {}),
    origin: {
      object_type: "dataset",
      object_id: dataset.id,
      id: row["id"],
      _xact_id: v.xactId.toString(),
      created: row["created"]
    }
  }))
  const newest = rows.reduce((max, r) => (r.version.xactId > max ? r.version.xactId : max), 0n)
  return { cases, dataset: { id: dataset.id, version: (snapshot ?? newest).toString() } }
}

const loadCases = (deps: BraintrustDeps, path: string, data: JsonObject): LoadedData => {
  if (typeof data["dataset_id"] === "string") {
    return datasetCases(deps, path, requireDataset(deps, path, data["dataset_id"]), data["dataset_version"], data["dataset_environment"])
  }
  if (typeof data["project_name"] === "string" && typeof data["dataset_name"] === "string") {
    const project = deps.store.projectByName(data["project_name"]) ??
      failNotFound(path, `Project ${data["project_name"]} not found`)
    const dataset = datasetByName(deps, project.id, data["dataset_name"]) ??
      failNotFound(path, `Dataset ${data["dataset_name"]} not found in project ${data["project_name"]}`)
    return datasetCases(deps, path, dataset, data["dataset_version"], data["dataset_environment"])
  }
  const inline = Array.isArray(data["data"]) ? (data["data"] as Array<unknown>) : []
  return {
    cases: inline.map((item): EvalCase =>
      isPlainObject(item) && "input" in item
        ? {
          input: item["input"],
          ...(item["expected"] !== undefined ? { expected: item["expected"] } : {}),
          ...(isPlainObject(item["metadata"]) ? { metadata: item["metadata"] } : {}),
          ...(Array.isArray(item["tags"]) ? { tags: item["tags"] as Array<string> } : {})
        }
        : { input: item }
    )
  }
}

const formatOf = (callable: Callable): string => (callable.kind === "prompt" ? "llm" : callable.kind)

interface CaseResult {
  readonly rows: ReadonlyArray<JsonObject>
  readonly progress: SseEvent
}

const runCase = (
  deps: BraintrustDeps,
  task: Callable,
  scorers: ReadonlyArray<Callable>,
  evalCase: EvalCase,
  options: { readonly strict: boolean; readonly extraMessagesPath: string | undefined }
): CaseResult => {
  const { store } = deps
  const rootId = store.uuid()
  const taskId = store.uuid()
  const start = store.now() / 1000
  let output: unknown = null
  let error: string | undefined
  try {
    output = task.run({
      input: evalCase.input,
      expected: evalCase.expected,
      metadata: evalCase.metadata,
      messages: extraMessages(options.extraMessagesPath, evalCase.input),
      strict: options.strict
    }) ?? null
  } catch (e) {
    if (!(e instanceof FunctionRunError)) throw e
    error = e.message
  }
  const taskEnd = store.now() / 1000
  const scorerRows: Array<JsonObject> = []
  const scorerErrors: JsonObject = {}
  if (error === undefined) {
    scorers.forEach((scorer) => {
      const scorerId = store.uuid()
      const args = { input: evalCase.input, output, expected: evalCase.expected, metadata: evalCase.metadata }
      try {
        const result = scorer.run(args)
        const scores: JsonObject = {}
        for (const s of normalizeScores(scorer.name, result)) {
          scores[s.name] = s.score === null ? null : Math.min(1, Math.max(0, s.score))
        }
        scorerRows.push({
          id: scorerId,
          span_id: scorerId,
          root_span_id: rootId,
          span_parents: [rootId],
          input: args,
          output: result ?? null,
          scores,
          metrics: { start: taskEnd, end: store.now() / 1000 },
          span_attributes: { name: scorer.name, type: "score", purpose: "scorer" }
        })
      } catch (e) {
        if (!(e instanceof FunctionRunError)) throw e
        scorerErrors[scorer.name] = e.message
      }
    })
  }
  const end = store.now() / 1000
  const metadata: JsonObject = { ...evalCase.metadata }
  if (Object.keys(scorerErrors).length > 0) metadata["scorer_errors"] = scorerErrors
  const root: JsonObject = {
    id: rootId,
    span_id: rootId,
    root_span_id: rootId,
    input: evalCase.input ?? null,
    output,
    ...(evalCase.expected !== undefined ? { expected: evalCase.expected } : {}),
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    ...(evalCase.tags ? { tags: [...evalCase.tags] } : {}),
    ...(evalCase.origin ? { origin: evalCase.origin } : {}),
    ...(error !== undefined ? { error } : {}),
    metrics: { start, end },
    span_attributes: { name: "eval", type: "eval" }
  }
  const taskRow: JsonObject = {
    id: taskId,
    span_id: taskId,
    root_span_id: rootId,
    span_parents: [rootId],
    input: evalCase.input ?? null,
    output,
    ...(error !== undefined ? { error } : {}),
    metrics: { start, end: taskEnd },
    span_attributes: { name: task.name, type: "task" }
  }
  const progress: SseEvent = {
    event: "progress",
    data: JSON.stringify({
      id: rootId,
      object_type: "task",
      format: formatOf(task),
      output_type: typeof output === "string" ? "completion" : "any",
      name: task.name,
      event: error !== undefined ? "error" : typeof output === "string" ? "text_delta" : "json_delta",
      // text and errors as JSON strings, other outputs as a JSON snippet (the SSE format's conventions)
      data: JSON.stringify(error !== undefined ? error : output)
    })
  }
  return { rows: [root, taskRow, ...scorerRows], progress }
}

const resolveBase = (deps: BraintrustDeps, path: string, projectId: string, input: JsonObject): string | undefined => {
  if (typeof input["base_experiment_id"] === "string") {
    const base = deps.store.liveExperiment(input["base_experiment_id"]) ??
      failNotFound(path, `Base experiment ${input["base_experiment_id"]} not found`)
    return base.id
  }
  if (typeof input["base_experiment_name"] === "string") {
    const base = experimentByName(deps, projectId, input["base_experiment_name"]) ??
      failNotFound(path, `Base experiment ${input["base_experiment_name"]} not found`)
    return base.id
  }
  return undefined
}

const runEval = ({ body, path, reportViolation }: RouteContext, deps: BraintrustDeps) => {
  const input = body as JsonObject
  const project = requireProject(deps, path, input["project_id"])
  const loaded = loadCases(deps, path, input["data"] as JsonObject)
  const task = resolveFunctionId(deps, path, input["task"] as JsonObject, "task", 0)
  const scorers = (input["scores"] as Array<JsonObject>).map((ref, i) => resolveFunctionId(deps, path, ref, "scorer", i))
  const baseId = resolveBase(deps, path, project.id, input)
  const trials = typeof input["trial_count"] === "number" ? Math.max(1, Math.floor(input["trial_count"])) : 1

  const { record: experiment } = createExperiment(
    deps,
    project.id,
    {
      ...(typeof input["experiment_name"] === "string" ? { name: input["experiment_name"] } : {}),
      ...(isPlainObject(input["metadata"]) ? { metadata: input["metadata"] } : {}),
      ...(Array.isArray(input["tags"]) ? { tags: input["tags"] } : {}),
      ...(typeof input["is_public"] === "boolean" ? { public: input["is_public"] } : {}),
      ...(isPlainObject(input["repo_info"]) ? { repo_info: input["repo_info"] } : {}),
      ...(baseId !== undefined ? { base_exp_id: baseId } : {}),
      ...(loaded.dataset ? { dataset_id: loaded.dataset.id, dataset_version: loaded.dataset.version } : {})
    },
    true
  )
  const options = {
    strict: input["strict"] === true,
    extraMessagesPath: typeof input["extra_messages"] === "string" ? input["extra_messages"] : undefined
  }
  const results: Array<CaseResult> = []
  for (const evalCase of loaded.cases) {
    for (let t = 0; t < trials; t++) results.push(runCase(deps, task, scorers, evalCase, options))
  }
  const rows = results.flatMap((r) => r.rows)
  if (rows.length > 0) {
    insertEvents(
      deps.store,
      deps.store.container("experiment", experiment.id),
      // Copies: the rows share inputs with the stored dataset, and the store owns what it is given.
      rows.map((row) => clone(row)),
      containerKeys(deps.store, "experiment", experiment.id, project.id)
    )
  }
  const summary = summarizeExperiment(deps, experiment, {
    summarizeScores: true,
    ...(baseId !== undefined ? { comparisonId: baseId } : {})
  })
  if (input["stream"] !== true) return json(summary)

  const issues = deps.validator.validateComponent("SummarizeExperimentResponse", summary)
  if (issues.length > 0) reportViolation("eval stream summary breaks SummarizeExperimentResponse", issues)
  const projectName = String(project.data["name"])
  const projectUrl = urls(deps, projectName).project
  const start: SseEvent = {
    event: "start",
    data: JSON.stringify({
      experiment_id: experiment.id,
      experiment_name: experiment.data["name"],
      project_id: project.id,
      project_name: projectName,
      project_url: projectUrl,
      experiment_url: `${projectUrl}/experiments/${encodeURIComponent(String(experiment.data["name"]))}`
    })
  }
  return sse([
    start,
    ...results.map((r) => r.progress),
    { event: "summary", data: JSON.stringify(summary) },
    { event: "done", data: "" }
  ])
}

export const evalRoutes = (deps: BraintrustDeps): ReadonlyArray<Route> => [
  { method: "POST", path: "/v1/eval", write: true, handle: (context) => runEval(context, deps) }
]
