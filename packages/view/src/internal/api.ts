/**
 * The JSON API's routes: each handler validates its parameters with the
 * schemas of `ViewApi`, reads through the neutral services (and the local
 * store's `LocalView` queries when the backend is local), and encodes its
 * response with a schema.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type { EvalResult, Experiment } from "@promptops/core/Experiment"
import * as Experiments from "@promptops/core/Experiments"
import type * as Feedback from "@promptops/core/Feedback"
import * as Ids from "@promptops/core/Ids"
import * as Prompt from "@promptops/core/Prompt"
import * as PromptDiff from "@promptops/core/PromptDiff"
import { isPromptOpsError, type PromptOpsError, Unsupported } from "@promptops/core/PromptOpsError"
import type * as Prompts from "@promptops/core/Prompts"
import { SpanRecord } from "@promptops/core/SpanRecord"
import * as Summary from "@promptops/core/Summary"
import type * as TraceReader from "@promptops/core/TraceReader"
import type * as LocalView from "@promptops/local/LocalView"
import { Chunk, Duration, Effect, Option, ParseResult, Schema, Stream } from "effect"
import * as ViewApi from "../ViewApi.js"

/** What the routes read through. */
export interface Deps {
  readonly experiments: Experiments.Experiments.Service
  readonly prompts: Prompts.Prompts.Service
  readonly traceReader: Option.Option<TraceReader.TraceReader.Service>
  readonly feedback: Option.Option<Feedback.Feedback.Service>
  readonly local: Option.Option<LocalView.LocalView.Service>
  readonly pollInterval: Duration.Duration
}

/** A request the API refuses: the parameter or field at fault and why (400). */
export class BadParameter extends Schema.TaggedError<BadParameter>("@promptops/view/BadParameter")("BadParameter", {
  field: Schema.String,
  message: Schema.String
}) {}

/** A write from another origin (403). */
export class Forbidden extends Schema.TaggedError<Forbidden>("@promptops/view/Forbidden")("Forbidden", {
  message: Schema.String
}) {}

type ApiError = BadParameter | Forbidden | PromptOpsError

const HEADERS = { "x-content-type-options": "nosniff", "cache-control": "no-store" }

const statusOf = (error: ApiError): number => {
  switch (error._tag) {
    case "BadParameter":
    case "InvalidInput":
    case "TemplateError":
    case "BadRequest":
      return 400
    case "Forbidden":
      return 403
    case "NotFound":
      return 404
    case "Unsupported":
      return 501
    case "Unauthorized":
    case "RateLimited":
    case "TransportError":
    case "DecodeError":
    case "VersionMismatch":
    case "PayloadTooLarge":
      return 502
    case "ProviderUnavailable":
      return 503
  }
}

/** A JSON error response. Messages are the typed errors' own (which never hold a key). */
export const errorResponse = (status: number, tag: string, message: string, field?: string): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(
    { error: { _tag: tag, message, ...(field !== undefined ? { field } : {}) } },
    { status, headers: HEADERS }
  )

const fromError = (error: ApiError): HttpServerResponse.HttpServerResponse => {
  const field = error._tag === "BadParameter" ? error.field : error._tag === "InvalidInput" ? error.path : undefined
  return errorResponse(statusOf(error), error._tag, error.message, field)
}

const fieldOf = (error: ParseResult.ParseError, prefix?: string): BadParameter => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  const path = issue === undefined ? [] : issue.path.map(String)
  const field = [...(prefix === undefined ? [] : [prefix]), ...path].join(".") || (prefix ?? "query")
  return new BadParameter({ field, message: `${field}: ${issue?.message ?? "is invalid"}` })
}

const query = <A, I extends Readonly<Record<string, string | ReadonlyArray<string> | undefined>>>(
  schema: Schema.Schema<A, I>
) => Effect.mapError(HttpServerRequest.schemaSearchParams(schema, { onExcessProperty: "error" }), (error) => fieldOf(error))

const body = <A, I>(schema: Schema.Schema<A, I>) =>
  HttpServerRequest.schemaBodyJson(schema, { onExcessProperty: "error" }).pipe(
    Effect.catchTags({
      ParseError: (error) => Effect.fail(fieldOf(error, "body")),
      RequestError: () => Effect.fail(new BadParameter({ field: "body", message: "body: must be a JSON object" }))
    })
  )

const param = (name: string) =>
  Effect.flatMap(HttpRouter.params, (params) => {
    const value = params[name]
    return value === undefined || value === ""
      ? Effect.fail(new BadParameter({ field: name, message: `${name}: is required` }))
      : Effect.succeed(value)
  })

/** Encodes `value` with `schema` into a JSON response. */
const encoded = <A, I>(schema: Schema.Schema<A, I>, value: A, status = 200) =>
  Effect.map(
    Effect.orDie(Schema.encode(schema)(value)),
    (json) => HttpServerResponse.unsafeJson(json, { status, headers: HEADERS })
  )

const respond = <R>(handler: Effect.Effect<HttpServerResponse.HttpServerResponse, ApiError, R>) =>
  Effect.catchIf(handler, (error): error is ApiError =>
    isPromptOpsError(error) || error._tag === "BadParameter" || error._tag === "Forbidden", (error) => Effect.succeed(fromError(error)))

const collect = <A, E>(stream: Stream.Stream<A, E>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

/** An offset cursor over a list the API holds whole. */
const slice = <A>(items: ReadonlyArray<A>, cursor: string | undefined, limit: number | undefined) => {
  const start = cursor === undefined ? 0 : Number(cursor)
  const end = start + (limit ?? ViewApi.defaultLimit)
  return { items: items.slice(start, end), cursor: end < items.length ? String(end) : null }
}

const unsupported = (operation: string, what: string) =>
  new Unsupported({ provider: "view", operation, description: `this backend ${what}` })

// ---------------------------------------------------------------------------------------------------------------
// Experiments

const meansOf = (summary: { readonly scores: Readonly<Record<string, { readonly mean: number; readonly count: number }>> }) =>
  Object.fromEntries(Object.entries(summary.scores).filter(([, score]) => score.count > 0).map(([name, s]) => [name, s.mean]))

type Stats = ReadonlyMap<string, LocalView.ExperimentStats>

/** A page of the experiments list: the rows, the next cursor, each row's trend runs (ids, oldest first), their stats. */
interface ExperimentsSlice {
  readonly items: ReadonlyArray<Experiment>
  readonly cursor: string | null
  readonly trends: ReadonlyMap<string, ReadonlyArray<string>>
  readonly stats: Stats
}

/** Local: a keyset page, its trends and stats in SQL — a few statements however large the store. */
const localExperiments = (local: LocalView.LocalView.Service, q: typeof ViewApi.ExperimentsQuery.Type, depth: number) =>
  Effect.gen(function*() {
    const limit = q.limit ?? ViewApi.defaultLimit
    const rows = yield* local.experiments({
      name: q.name,
      before: q.cursor === undefined ? undefined : Number(q.cursor),
      limit: limit + 1
    })
    const shown = rows.slice(0, limit)
    const ids = shown.map((row) => row.experiment.id)
    const trends = yield* local.trendRuns(ids, depth)
    const needed = new Set(ids)
    for (const runs of trends.values()) for (const id of runs) needed.add(id)
    const stats = yield* local.experimentStats([...needed])
    return {
      items: shown.map((row) => row.experiment),
      cursor: rows.length > limit ? String(shown[shown.length - 1]!.seq) : null,
      trends,
      stats
    } satisfies ExperimentsSlice
  })

/** Other backends: every experiment through `list`, paged by offset, stats from each run's results. */
const genericExperiments = (deps: Deps, q: typeof ViewApi.ExperimentsQuery.Type, depth: number) =>
  Effect.gen(function*() {
    const all = yield* collect(deps.experiments.list())
    const named = q.name === undefined ? all : all.filter((experiment) => Experiments.isRunOf(q.name!, experiment.name))
    const page = slice(named, q.cursor, q.limit)
    // The trend of a run: it and the runs of the same name before it (`list` is newest first).
    const trends = new Map<string, ReadonlyArray<string>>()
    const needed = new Map<string, Experiment>()
    for (const experiment of page.items) {
      const index = all.indexOf(experiment)
      const runs = all.slice(index).filter((other) => other.name === experiment.name).slice(0, depth).reverse()
      trends.set(experiment.id, runs.map((run) => run.id))
      for (const run of runs) needed.set(run.id, run)
    }
    const entries = yield* Effect.forEach(needed.values(), (experiment) =>
      Effect.map(collect(deps.experiments.results(experiment.id)), (results) => {
        const summary = Summary.compute({ experiment, results })
        return [experiment.id, { total: summary.results, errored: summary.errors, means: meansOf(summary) }] as const
      }), { concurrency: 4 })
    return { items: page.items, cursor: page.cursor, trends, stats: new Map(entries) } satisfies ExperimentsSlice
  })

const listExperiments = (deps: Deps) =>
  Effect.gen(function*() {
    const q = yield* query(ViewApi.ExperimentsQuery)
    const depth = q.trend ?? 10
    const { cursor, items: experiments, stats, trends } = yield* Option.match(deps.local, {
      onSome: (local) => localExperiments(local, q, depth),
      onNone: () => genericExperiments(deps, q, depth)
    })
    const items = experiments.map((experiment) => {
      const own = stats.get(experiment.id) ?? { total: 0, errored: 0, means: {} }
      const runs = trends.get(experiment.id) ?? [experiment.id]
      const names = new Set<string>()
      for (const run of runs) for (const name of Object.keys(stats.get(run)?.means ?? {})) names.add(name)
      const trend: Record<string, Array<number | null>> = {}
      for (const name of [...names].sort()) trend[name] = runs.map((run) => stats.get(run)?.means[name] ?? null)
      return {
        id: experiment.id,
        name: experiment.name,
        ...(experiment.createdAt !== undefined ? { created: experiment.createdAt } : {}),
        state: experiment.state?.status ?? "complete",
        ...(experiment.state?.gate !== undefined ? { gate: experiment.state.gate } : {}),
        cases: { total: own.total, errored: own.errored },
        means: own.means,
        trend
      }
    })
    return yield* encoded(ViewApi.Page(ViewApi.ExperimentRow), { items, cursor })
  })

const histogram = (results: ReadonlyArray<EvalResult>, score: string, bins: number) => {
  const counts = Array.from({ length: bins }, () => 0)
  for (const result of results) {
    const value = result.scores[score]
    if (value === null || value === undefined) continue
    counts[Math.min(bins - 1, Math.max(0, Math.floor(value * bins)))]! += 1
  }
  return { score, edges: Array.from({ length: bins + 1 }, (_, i) => i / bins), counts }
}

const getExperiment = (deps: Deps) =>
  Effect.gen(function*() {
    const id = yield* param("id")
    const q = yield* query(ViewApi.ExperimentQuery)
    const experiment = yield* deps.experiments.get(id)
    const results = yield* collect(deps.experiments.results(id))
    // Core's summary, diffs against the baseline included: the same numbers as `experiments show`.
    const summary = yield* deps.experiments.summarizeResults(experiment, results, { baseline: q.baseline })
    const bins = q.bins ?? 10
    const histograms = Object.keys(summary.scores).sort().map((score) => histogram(results, score, bins))
    return yield* encoded(ViewApi.ExperimentPage, {
      experiment,
      ...(experiment.state !== undefined ? { state: experiment.state } : {}),
      summary,
      histograms
    })
  })

type Change = "regression" | "improvement" | "same" | "new"

/** Each case's score means over its trials. */
const caseMeans = (results: ReadonlyArray<EvalResult>) => {
  const sums = new Map<string, Map<string, { sum: number; count: number }>>()
  for (const result of results) {
    let perCase = sums.get(result.caseId)
    if (perCase === undefined) sums.set(result.caseId, perCase = new Map())
    for (const [name, value] of Object.entries(result.scores)) {
      if (value === null || value === undefined) continue
      const acc = perCase.get(name) ?? { sum: 0, count: 0 }
      acc.sum += value
      acc.count += 1
      perCase.set(name, acc)
    }
  }
  const means = new Map<string, Record<string, number>>()
  for (const [caseId, perCase] of sums) {
    means.set(caseId, Object.fromEntries([...perCase].map(([name, acc]) => [name, acc.sum / acc.count])))
  }
  return means
}

/** A result against the baseline's means for its case, as `Summary` counts them (a lost score regresses). */
const changeOf = (result: EvalResult, baseline: Record<string, number> | undefined): Change => {
  if (baseline === undefined) return "new"
  let better = false
  let worse = false
  for (const [name, before] of Object.entries(baseline)) {
    const now = result.scores[name]
    if (now === null || now === undefined) worse = true
    else if (now < before - 1e-9) worse = true
    else if (now > before + 1e-9) better = true
  }
  return worse ? "regression" : better ? "improvement" : "same"
}

const listCases = (deps: Deps) =>
  Effect.gen(function*() {
    const id = yield* param("id")
    const q = yield* query(ViewApi.CasesQuery)
    const experiment = yield* deps.experiments.get(id)
    const baselineId = q.baseline ?? experiment.baseline
    const [results, baselineResults] = yield* Effect.all([
      collect(deps.experiments.results(id)),
      baselineId === undefined ? Effect.succeed(undefined) : collect(deps.experiments.results(baselineId))
    ], { concurrency: 2 })
    const baseline = baselineResults === undefined ? undefined : caseMeans(baselineResults)
    const rows = results.map((result) => {
      const before = baseline?.get(result.caseId)
      return {
        result,
        ...(before !== undefined ? { baselineScores: before } : {}),
        change: changeOf(result, before),
        traceId: result.traceId ?? null,
        rootSpanId: result.spanId ?? null
      }
    })
    const filter = q.filter ?? "all"
    const kept = rows.filter((row) =>
      filter === "all" ||
      (filter === "errors" && (row.result.error !== undefined || row.result.scorerErrors !== undefined)) ||
      (filter === "regressions" && row.change === "regression") ||
      (filter === "improvements" && row.change === "improvement")
    )
    return yield* encoded(ViewApi.Page(ViewApi.CaseRow), slice(kept, q.cursor, q.limit))
  })

const spreadOf = (values: ReadonlyArray<number>) => {
  if (values.length === 0) return { mean: 0, spread: 0, count: 0 }
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length
  return { mean, spread: Math.sqrt(variance), count: values.length }
}

const compare = (deps: Deps) =>
  Effect.gen(function*() {
    const q = yield* query(ViewApi.CompareQuery)
    const ids = q.ids.split(",")
    const runs = yield* Effect.forEach(ids, (id) =>
      Effect.all([deps.experiments.get(id), collect(deps.experiments.results(id))]), { concurrency: 4 })
    const experiments = runs.map(([experiment, results]) => {
      const values = new Map<string, Array<number>>()
      for (const result of results) {
        for (const [name, value] of Object.entries(result.scores)) {
          if (value === null || value === undefined) continue
          const list = values.get(name) ?? []
          list.push(value)
          values.set(name, list)
        }
      }
      return {
        id: experiment.id,
        name: experiment.name,
        scores: Object.fromEntries([...values].sort(([a], [b]) => a.localeCompare(b)).map(([name, v]) => [name, spreadOf(v)]))
      }
    })
    // Rows keyed by case id, in the order the first run that has them logged them; each run's first trial.
    const order: Array<string> = []
    const byRun = runs.map(([, results]) => {
      const first = new Map<string, EvalResult>()
      for (const result of results) {
        if (!order.includes(result.caseId)) order.push(result.caseId)
        const held = first.get(result.caseId)
        if (held === undefined || result.trial < held.trial) first.set(result.caseId, result)
      }
      return first
    })
    const rows = order.map((caseId) => {
      const input = byRun.find((run) => run.has(caseId))?.get(caseId)?.input
      return {
        caseId,
        input,
        runs: byRun.map((run) => {
          const result = run.get(caseId)
          return result === undefined ? null : {
            output: result.output,
            scores: result.scores,
            ...(result.error !== undefined ? { error: result.error } : {}),
            ...(result.traceId !== undefined ? { traceId: result.traceId } : {})
          }
        })
      }
    })
    return yield* encoded(ViewApi.ComparePage, { experiments, rows: slice(rows, q.cursor, q.limit) })
  })

// ---------------------------------------------------------------------------------------------------------------
// Traces

const readerOf = (deps: Deps) =>
  Option.match(deps.traceReader, {
    onNone: () => Effect.fail(unsupported("TraceReader.read", "cannot read traces back")),
    onSome: Effect.succeed
  })

const listTraces = (deps: Deps) =>
  Effect.gen(function*() {
    const q = yield* query(ViewApi.TracesQuery)
    const limit = q.limit ?? ViewApi.defaultLimit
    const items: ReadonlyArray<{ readonly seq: string; readonly span: SpanRecord }> = yield* Option.match(deps.local, {
      onSome: (local) =>
        Effect.map(
          local.rootSpans({
            experimentId: q.experiment,
            name: q.name,
            kind: q.kind,
            error: q.error,
            from: q.from,
            to: q.to,
            before: q.cursor === undefined ? undefined : Number(q.cursor),
            limit: limit + 1
          }),
          (rows) => rows.map((row) => ({ seq: String(row.seq), span: row.span }))
        ),
      // Other backends: the newest spans the reader holds, filtered here, paged by offset.
      onNone: () =>
        Effect.gen(function*() {
          const reader = yield* readerOf(deps)
          const page = yield* reader.read({ experimentId: q.experiment, order: "newest", limit: 10_000 })
          const roots = page.spans.filter((span) =>
            span.parentSpanId === undefined &&
            (q.name === undefined || span.name === q.name) &&
            (q.kind === undefined || span.kind === q.kind) &&
            (q.error === undefined || (span.error !== undefined) === q.error) &&
            (q.from === undefined || span.startTime >= q.from) &&
            (q.to === undefined || span.startTime < q.to)
          )
          const start = q.cursor === undefined ? 0 : Number(q.cursor)
          return roots.slice(start, start + limit + 1).map((span, i) => ({ seq: String(start + i + 1), span }))
        })
    })
    const shown = items.slice(0, limit)
    const more = items.length > limit
    // Local: the keyset cursor (the last row's `seq`); otherwise the offset past the last row.
    const cursor = more ? shown[shown.length - 1]!.seq : null
    return yield* encoded(ViewApi.Page(SpanRecord), { items: shown.map((item) => item.span), cursor })
  })

/**
 * A trace's spans oldest first: by start time, a parent before its children
 * when they start together, then by span id — never by arrival order (OTLP
 * exporters send a child, which ends first, before its parent).
 */
export const oldestFirst = (spans: ReadonlyArray<SpanRecord>): ReadonlyArray<SpanRecord> => {
  const parents = new Map(spans.map((span) => [span.spanId, span.parentSpanId]))
  const depth = new Map<string, number>()
  const depthOf = (span: SpanRecord): number => {
    let known = depth.get(span.spanId)
    if (known !== undefined) return known
    // Walk up through the parents present in the trace (bounded: a cycle in hostile data stops).
    known = 0
    for (let parent = span.parentSpanId; parent !== undefined && parents.has(parent) && known < spans.length;) {
      known += 1
      parent = parents.get(parent)
    }
    depth.set(span.spanId, known)
    return known
  }
  return [...spans].sort((a, b) =>
    a.startTime - b.startTime || depthOf(a) - depthOf(b) || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0)
  )
}

const readTrace = (deps: Deps, traceId: string, experimentId: string | undefined) =>
  Effect.gen(function*() {
    const reader = yield* readerOf(deps)
    const page = yield* reader.read({ traceId, experimentId, order: "oldest", limit: 10_000 })
    if (page.spans.length === 0) {
      return yield* Effect.fail(new BadParameter({ field: "traceId", message: `traceId: no spans of trace ${traceId}` }))
    }
    return oldestFirst(page.spans)
  })

const TraceQuery = Schema.Struct({ experiment: Schema.optional(Schema.String) })

const getTrace = (deps: Deps) =>
  Effect.gen(function*() {
    const traceId = yield* param("traceId")
    const q = yield* query(TraceQuery)
    const spans = yield* readTrace(deps, traceId, q.experiment)
    return yield* encoded(ViewApi.TracePage, { traceId: spans[0]!.traceId, spans })
  })

const getSpan = (deps: Deps) =>
  Effect.gen(function*() {
    const traceId = yield* param("traceId")
    const spanId = yield* param("spanId")
    const q = yield* query(TraceQuery)
    const spans = yield* readTrace(deps, traceId, q.experiment)
    const span = spans.find((candidate) => candidate.spanId === spanId)
    if (span === undefined) {
      return yield* Effect.fail(new BadParameter({ field: "spanId", message: `spanId: trace ${traceId} has no span ${spanId}` }))
    }
    return yield* encoded(SpanRecord, span)
  })

// ---------------------------------------------------------------------------------------------------------------
// Prompts

const PageQuery = Schema.Struct({
  cursor: ViewApi.CompareQuery.fields.cursor,
  limit: ViewApi.CompareQuery.fields.limit
})

const listPrompts = (deps: Deps) =>
  Effect.gen(function*() {
    const q = yield* query(PageQuery)
    const all = yield* collect(deps.prompts.list())
    return yield* encoded(ViewApi.Page(Prompt.PromptSummary), slice(all, q.cursor, q.limit))
  })

const promptVersions = (deps: Deps) =>
  Effect.gen(function*() {
    const slug = yield* param("slug")
    const versions = yield* Option.match(deps.local, {
      onSome: (local) =>
        Effect.flatMap(local.promptVersions(slug), Option.match({
          onNone: () => Effect.map(deps.prompts.get(slug), () => ({ slug, tags: {}, versions: [] as ReadonlyArray<unknown> })),
          onSome: (file) => Effect.succeed({ slug, tags: file.tags, versions: file.versions as ReadonlyArray<unknown> })
        })),
      // Backends without a version history in the neutral API: the current version, with the tags `list` gives.
      onNone: () =>
        Effect.map(deps.prompts.get(slug), (prompt) => ({
          slug,
          tags: prompt.tag === undefined ? {} : { [prompt.tag]: prompt.version },
          versions: [{ version: prompt.version, messages: prompt.messages, model: prompt.model, templateFormat: prompt.templateFormat }]
        }))
    })
    return yield* encoded(ViewApi.PromptVersions, versions)
  })

const contentOf = (prompt: Prompt.Prompt): PromptDiff.Content => prompt as unknown as PromptDiff.Content

const diffPrompt = (deps: Deps) =>
  Effect.gen(function*() {
    const slug = yield* param("slug")
    const q = yield* query(ViewApi.DiffQuery)
    const [from, to] = yield* Effect.all([deps.prompts.get(slug, { version: q.from }), deps.prompts.get(slug, { version: q.to })])
    const changes = PromptDiff.diff(contentOf(from), contentOf(to))
    return HttpServerResponse.unsafeJson(
      { slug, from: from.version, to: to.version, changes: changes.map((change) => ({ ...change, text: PromptDiff.formatChange(change, "") })) },
      { headers: HEADERS }
    )
  })

const renderPrompt = (deps: Deps) =>
  Effect.gen(function*() {
    const slug = yield* param("slug")
    const b = yield* body(ViewApi.RenderBody)
    const prompt = yield* deps.prompts.get(slug, { version: b.version, tag: b.tag })
    const rendered = yield* Prompt.render(prompt, b.variables, { strict: true })
    return HttpServerResponse.unsafeJson({ slug, version: prompt.version, rendered }, { headers: HEADERS })
  })

// ---------------------------------------------------------------------------------------------------------------
// Feedback

const postFeedback = (deps: Deps) =>
  Effect.gen(function*() {
    const b = yield* body(ViewApi.FeedbackBody)
    const service = yield* Option.match(deps.feedback, {
      onNone: () => Effect.fail(unsupported("Feedback.log", "keeps no feedback")),
      onSome: Effect.succeed
    })
    const id = Ids.uuid()
    yield* service.log([{
      id,
      targetId: b.spanId,
      destination: b.experimentId === undefined
        ? { _tag: "ProjectLogs" }
        : { _tag: "Experiment", experimentId: b.experimentId },
      ...(b.scores !== undefined ? { scores: b.scores } : {}),
      ...(b.comment !== undefined ? { comment: b.comment } : {}),
      source: "app"
    }])
    return HttpServerResponse.unsafeJson({ id }, { status: 201, headers: HEADERS })
  })

// ---------------------------------------------------------------------------------------------------------------
// Live updates

const encoder = new TextEncoder()
const event = (name: string, data: unknown): Uint8Array => encoder.encode(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`)

/**
 * `text/event-stream` of an experiment: `summary` at once, then, polling the
 * store, `results` with the results logged since (and a new `summary`)
 * whenever some are, and `state` when the run's state changes.
 */
const live = (deps: Deps) =>
  Effect.gen(function*() {
    const id = yield* param("id")
    const first = yield* deps.experiments.get(id)
    let seen = -1
    let state = JSON.stringify(first.state ?? null)
    const tick: Effect.Effect<ReadonlyArray<Uint8Array>, PromptOpsError> = Effect.gen(function*() {
      const experiment = yield* deps.experiments.get(id)
      const results = yield* collect(deps.experiments.results(id))
      const out: Array<Uint8Array> = []
      const nextState = JSON.stringify(experiment.state ?? null)
      if (seen >= 0 && nextState !== state) out.push(event("state", experiment.state ?? null))
      state = nextState
      if (seen < 0 || results.length !== seen) {
        if (seen >= 0) out.push(event("results", results.slice(seen)))
        const summary = yield* deps.experiments.summarizeResults(experiment, results)
        out.push(event("summary", summary))
        seen = results.length
      }
      return out
    })
    const stream = Stream.concat(
      Stream.fromIterableEffect(tick),
      Stream.repeatEffect(Effect.zipRight(Effect.sleep(deps.pollInterval), tick)).pipe(Stream.flattenIterables)
    ).pipe(
      Stream.catchAll((error) => Stream.make(event("error", { _tag: error._tag, message: error.message })))
    )
    return HttpServerResponse.stream(stream, {
      contentType: "text/event-stream",
      headers: { ...HEADERS, "cache-control": "no-cache" }
    })
  })

/** Every route of the API. */
export const router = (deps: Deps) =>
  HttpRouter.empty.pipe(
    HttpRouter.get("/api/experiments", respond(listExperiments(deps))),
    HttpRouter.get("/api/experiments/:id", respond(getExperiment(deps))),
    HttpRouter.get("/api/experiments/:id/cases", respond(listCases(deps))),
    HttpRouter.get("/api/experiments/:id/live", respond(live(deps))),
    HttpRouter.get("/api/compare", respond(compare(deps))),
    HttpRouter.get("/api/traces", respond(listTraces(deps))),
    HttpRouter.get("/api/traces/:traceId", respond(getTrace(deps))),
    HttpRouter.get("/api/traces/:traceId/spans/:spanId", respond(getSpan(deps))),
    HttpRouter.get("/api/prompts", respond(listPrompts(deps))),
    HttpRouter.get("/api/prompts/:slug/versions", respond(promptVersions(deps))),
    HttpRouter.get("/api/prompts/:slug/diff", respond(diffPrompt(deps))),
    HttpRouter.post("/api/prompts/:slug/render", respond(renderPrompt(deps))),
    HttpRouter.post("/api/feedback", respond(postFeedback(deps)))
  )
