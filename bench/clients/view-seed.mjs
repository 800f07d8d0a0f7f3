// The view workload's store: a local promptops store in VIEW_DIR filled through
// the store's own write path, in batches (the built `@promptops/local` dist):
// spans through `LocalSpanSink` (batches of its default 100, one transaction
// each, as the tracing pipeline delivers them) and experiments through
// `LocalExperiments` (`create`, one `log` of every case, `setState`), so the
// rows, JSON columns and indexes are the ones a real eval and app write.
//
//   experiments: VIEW_EXPERIMENTS runs over 8 names (a name's runs share case
//     ids), VIEW_CASES cases each, 3 scores (one sometimes skipped: null),
//     ~3% task errors, ~75% with a baseline (the name's previous run),
//     states complete / partial / failed; every other run traced: each case
//     an `eval → task → llm → http` tree in the experiment.
//   project logs: the rest of VIEW_SPANS, trees interleaved in time with the
//     runs: `task → retrieval + llm → http` (4 spans, 4 names) or a bare
//     `llm → http` (2 spans), ~4% with an error, inputs and outputs of a few
//     hundred bytes, token metrics and cost on the llm spans.
//
// Generating the data is not timed; the time inside the sink's `export` and
// the experiments' calls is (seed_*). Prints one JSON line: the figures, the
// counts read back from the store, and the fixtures the workload requests.
import { randomBytes } from "node:crypto"
import { statSync } from "node:fs"
import { join } from "node:path"
import { LocalExperiments, LocalSpanSink, LocalStore } from "@promptops/local"
import { Effect } from "effect"

const DIR = process.env.VIEW_DIR
if (DIR === undefined || DIR === "") throw new Error("view-seed: VIEW_DIR is required")
const SPANS = Number(process.env.VIEW_SPANS ?? 100_000)
const EXPERIMENTS = Number(process.env.VIEW_EXPERIMENTS ?? 1_000)
const CASES = Number(process.env.VIEW_CASES ?? 20)
const BATCH = LocalSpanSink.defaultLimits.maxRows

const NAMES = ["support-bot", "summarizer", "classifier", "rag-qa", "extract", "translate", "router", "judge-calibration"]
const LOG_NAMES = ["chat", "summarize", "classify", "search-answer"]
const WORDS = (
  "the a customer order refund shipping account password invoice delay product warranty support ticket " +
  "please thanks could would delivery address update cancel subscription plan upgrade billing charge card " +
  "latency model answer context document retrieval passage policy return exchange damaged missing item"
).split(" ")

// A seeded PRNG (mulberry32): the same store every run, so runs compare.
let state = 0x9e3779b9
const random = () => {
  state = (state + 0x6d2b79f5) | 0
  let t = Math.imul(state ^ (state >>> 15), 1 | state)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = (list) => list[Math.floor(random() * list.length)]
const text = (bytes) => {
  const words = []
  let length = 0
  while (length < bytes) {
    const word = pick(WORDS)
    words.push(word)
    length += word.length + 1
  }
  return words.join(" ")
}
const traceId = () => randomBytes(16).toString("hex")
const spanId = () => randomBytes(8).toString("hex")
const round = (value) => Math.round(value * 1000) / 1000

const LOGS = { _tag: "ProjectLogs" }
const inExperiment = (experimentId) => ({ _tag: "Experiment", experimentId })

/** The llm and http spans under `parent` (children end first, so they come first, as the pipeline sends them). */
const llmCall = (trace, parent, destination, start, failed, out) => {
  const llm = spanId()
  const promptTokens = 150 + Math.floor(random() * 900)
  const completionTokens = 20 + Math.floor(random() * 300)
  const duration = 200 + random() * 1800
  out.push({
    traceId: trace,
    spanId: spanId(),
    parentSpanId: llm,
    name: "POST api.openai.com",
    kind: "span",
    startTime: start + 2,
    endTime: start + duration - 2,
    metadata: {
      "http.method": "POST",
      "http.url": "https://api.openai.com/v1/chat/completions",
      "http.status_code": failed ? 429 : 200
    },
    metrics: {},
    ...(failed ? { error: { message: "429 Too Many Requests: rate limit reached for gpt-4o-mini", type: "RateLimited" } } : {}),
    destination
  })
  out.push({
    traceId: trace,
    spanId: llm,
    parentSpanId: parent,
    name: "openai.chat",
    kind: "llm",
    startTime: start,
    endTime: start + duration,
    input: [
      { role: "system", content: text(120) },
      { role: "user", content: text(160) }
    ],
    ...(failed ? { error: { message: "RateLimited: openai chat.completions", type: "RateLimited" } } : { output: { role: "assistant", content: text(220) } }),
    metadata: { model: "gpt-4o-mini", provider: "openai", temperature: 0.2 },
    metrics: {
      promptTokens,
      completionTokens,
      totalTokens: promptTokens + completionTokens,
      cost: round((promptTokens * 0.15 + completionTokens * 0.6) / 1e6 * 1000) / 1000
    },
    destination
  })
  return duration
}

/** A project-log tree at `start`: 4 spans (task → retrieval + llm → http) or 2 (llm → http). */
const logTree = (start, spans, out) => {
  const trace = traceId()
  const failed = random() < 0.04
  if (spans === 2) {
    llmCall(trace, undefined, LOGS, start, failed, out)
    // The bare llm span is the root.
    delete out[out.length - 1].parentSpanId
    return
  }
  const root = spanId()
  const retrieval = 20 + random() * 80
  out.push({
    traceId: trace,
    spanId: spanId(),
    parentSpanId: root,
    name: "vector-search",
    kind: "retrieval",
    startTime: start + 1,
    endTime: start + retrieval,
    input: { query: text(80), topK: 5 },
    output: [{ id: "doc-" + Math.floor(random() * 5000), score: round(random()) }, { id: "doc-" + Math.floor(random() * 5000), score: round(random()) }],
    metadata: { index: "kb-v3" },
    metrics: {},
    destination: LOGS
  })
  const llm = llmCall(trace, root, LOGS, start + retrieval + 1, failed, out)
  out.push({
    traceId: trace,
    spanId: root,
    name: pick(LOG_NAMES),
    kind: "task",
    startTime: start,
    endTime: start + retrieval + llm + 3,
    input: { user: "u-" + Math.floor(random() * 10_000), message: text(240) },
    ...(failed ? { error: { message: "the model is rate limited: try again later", type: "RateLimited" } } : { output: { reply: text(260) } }),
    metadata: { route: "/api/chat", release: "2026.12." + Math.floor(random() * 30) },
    metrics: {},
    tags: failed ? ["error"] : [],
    destination: LOGS
  })
}

/** A case's trace in an experiment: eval → task → llm → http. Returns the root's ids. */
const caseTree = (experimentId, start, input, output, scores, failed, out) => {
  const trace = traceId()
  const root = spanId()
  const task = spanId()
  const destination = inExperiment(experimentId)
  const llm = llmCall(trace, task, destination, start + 2, failed, out)
  out.push({
    traceId: trace,
    spanId: task,
    parentSpanId: root,
    name: "task",
    kind: "task",
    startTime: start + 1,
    endTime: start + llm + 3,
    input,
    ...(failed ? { error: { message: "task failed: rate limited", type: "RateLimited" } } : { output }),
    metadata: {},
    metrics: {},
    destination
  })
  out.push({
    traceId: trace,
    spanId: root,
    name: "eval",
    kind: "eval",
    startTime: start,
    endTime: start + llm + 10,
    input,
    ...(failed ? {} : { output }),
    scores,
    metadata: {},
    metrics: {},
    destination
  })
  return { traceId: trace, spanId: root }
}

const program = Effect.gen(function*() {
  const store = yield* LocalStore.LocalStore
  const sink = yield* LocalSpanSink.make()
  const experiments = yield* LocalExperiments.make
  const timing = { spansMs: 0, experimentsMs: 0, batches: 0 }
  const pending = []
  const send = (all) =>
    Effect.gen(function*() {
      while (pending.length >= BATCH || (all && pending.length > 0)) {
        const batch = pending.splice(0, BATCH)
        const t0 = performance.now()
        yield* sink.export(batch)
        timing.spansMs += performance.now() - t0
        timing.batches += 1
      }
    })
  const timed = (effect) =>
    Effect.gen(function*() {
      const t0 = performance.now()
      const value = yield* effect
      timing.experimentsMs += performance.now() - t0
      return value
    })

  // Spans: the traced runs' trees first come off the budget, the project logs get the rest.
  const traced = (i) => i % 2 === 1
  const tracedRuns = Array.from({ length: EXPERIMENTS }, (_, i) => i).filter(traced).length
  const experimentSpans = Math.min(SPANS, tracedRuns * CASES * 4)
  const logSpans = SPANS - experimentSpans
  let logWritten = 0
  let experimentWritten = 0
  const now = Date.now()
  const span = 7 * 24 * 3600 * 1000
  const t0 = now - span
  const lastOf = new Map()
  const made = []
  const wall = performance.now()

  for (let i = 0; i < EXPERIMENTS; i++) {
    const at = t0 + (span * i) / EXPERIMENTS
    // The project logs written up to this run's time, interleaved with it.
    const logTarget = Math.floor((logSpans * (i + 1)) / EXPERIMENTS)
    while (logWritten < logTarget) {
      const left = logTarget - logWritten
      const size = left >= 4 && random() >= 0.15 ? 4 : 2
      if (size > left) break
      logTree(at - left * (span / Math.max(1, logSpans)), size, pending)
      logWritten += size
      yield* send(false)
    }
    if (logWritten < logTarget) {
      // An odd span left: a bare llm call without its http child.
      llmCall(traceId(), undefined, LOGS, at, false, pending)
      pending.splice(pending.length - 2, 1)
      delete pending[pending.length - 1].parentSpanId
      logWritten += 1
    }

    const name = NAMES[i % NAMES.length]
    const previous = lastOf.get(name)
    const baseline = previous !== undefined && random() < 0.75 ? previous : undefined
    const experiment = yield* timed(experiments.create({
      name,
      ...(baseline !== undefined ? { baseline } : {}),
      dataset: `${name}-cases`,
      metadata: { model: pick(["gpt-4o-mini", "gpt-4.1", "claude-sonnet"]), commit: randomBytes(4).toString("hex") }
    }))
    lastOf.set(name, experiment.id)
    // The last run of each name is worse than the runs before it (0.55–0.9): its page has regressions to filter.
    const quality = i >= EXPERIMENTS - NAMES.length ? 0.4 : 0.55 + 0.35 * random()
    const results = []
    let runTraced = false
    for (let c = 0; c < CASES; c++) {
      const failed = random() < 0.03
      const input = { question: text(220), context: text(120) }
      const output = failed ? null : { answer: text(240) }
      const scores = failed ? {} : {
        accuracy: round(Math.min(1, Math.max(0, quality + (random() - 0.5) * 0.5))),
        relevance: round(Math.min(1, Math.max(0, quality + (random() - 0.4) * 0.4))),
        format: random() < 0.1 ? null : random() < quality ? 1 : 0
      }
      let ids = {}
      if (traced(i) && experimentWritten + 4 <= experimentSpans) {
        runTraced = true
        ids = caseTree(experiment.id, at + c * 3000, input, output, scores, failed, pending)
        experimentWritten += 4
        yield* send(false)
      }
      const promptTokens = 300 + Math.floor(random() * 700)
      const completionTokens = 40 + Math.floor(random() * 200)
      results.push({
        caseId: `case-${String(c).padStart(3, "0")}`,
        trial: 0,
        input,
        output,
        expected: { answer: text(100) },
        scores,
        ...(failed ? { error: "RateLimited: openai chat.completions (429)" } : {}),
        metadata: { split: c % 5 === 0 ? "hard" : "easy" },
        durationMs: round(300 + random() * 2500),
        usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, cost: round((promptTokens * 0.15 + completionTokens * 0.6) / 1e3) / 1e3 },
        ...(ids.traceId !== undefined ? { traceId: ids.traceId, spanId: ids.spanId } : {})
      })
    }
    yield* timed(experiments.log(experiment.id, results))
    const errors = results.filter((result) => result.error !== undefined).length
    const roll = random()
    const status = roll < 0.02 ? "failed" : roll < 0.07 ? "partial" : "complete"
    yield* timed(experiments.setState(experiment.id, {
      status,
      total: CASES,
      completed: CASES,
      errors,
      scorerErrors: 0,
      ...(status === "complete" ? { gate: "passed" } : { reason: status === "failed" ? "data failed" : "interrupted" })
    }))
    made.push({ id: experiment.id, name, baseline, traced: runTraced })
  }
  // The remaining project-log spans (when the runs are fewer than their budget) and the last partial batch.
  while (logWritten < logSpans) {
    const size = logSpans - logWritten >= 4 ? 4 : logSpans - logWritten >= 2 ? 2 : 1
    if (size === 1) {
      llmCall(traceId(), undefined, LOGS, now, false, pending)
      pending.splice(pending.length - 2, 1)
      delete pending[pending.length - 1].parentSpanId
    } else {
      logTree(now - 1000, size, pending)
    }
    logWritten += size
    yield* send(false)
  }
  yield* send(true)
  const wallMs = performance.now() - wall

  // Counts read back from the store: the seeding is checked, not assumed.
  const sql = store.sql
  const count = (statement) => Effect.map(store.read("bench.count", statement), (rows) => Number(rows[0].n))
  const counts = {
    spans: yield* count(sql`SELECT count(*) AS n FROM spans`),
    logRoots: yield* count(sql`SELECT count(*) AS n FROM spans WHERE parent_span_id IS NULL AND experiment_id IS NULL`),
    experimentSpans: yield* count(sql`SELECT count(*) AS n FROM spans WHERE experiment_id IS NOT NULL`),
    experiments: yield* count(sql`SELECT count(*) AS n FROM experiments`),
    results: yield* count(sql`SELECT count(*) AS n FROM results`)
  }
  return { timing, wallMs, counts, made }
})

const dbPath = join(DIR, "promptops.sqlite")
const { timing, wallMs, counts, made } = await Effect.runPromise(
  program.pipe(Effect.provide(LocalStore.layer({ database: dbPath })))
)
const size = (path) => {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
// The measured run: the newest traced run with a baseline (its cases link to traces; the page diffs against it).
const target = made.findLast((run) => run.traced && run.baseline !== undefined) ??
  made.findLast((run) => run.baseline !== undefined) ?? made.at(-1)
console.log(JSON.stringify({
  seedSpansMs: timing.spansMs,
  seedExperimentsMs: timing.experimentsMs,
  seedWallMs: wallMs,
  batches: timing.batches,
  storeBytes: size(dbPath) + size(`${dbPath}-wal`),
  peakRssMb: process.resourceUsage().maxRSS / 1024,
  counts,
  fixtures: {
    experiment: target.id,
    baseline: target.baseline,
    name: target.name,
    traced: target.traced,
    logName: "summarize"
  }
}))
