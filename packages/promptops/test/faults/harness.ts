/**
 * Shared pieces of the fault-injection suite: the vendor table (one entry per
 * emulator: how to start it, the backend layer over it, where its data lands),
 * the workloads (a traced request load and an eval), readers of what each
 * emulator stored, a log capture, and the API-key scan.
 *
 * Everything runs on the real clock against real loopback servers (the
 * emulators inject the faults on their side), and the layers get short retry
 * schedules so a storm of a few seconds is ridden out quickly.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Basalt from "@promptops/basalt/Basalt"
import * as BasaltClient from "@promptops/basalt/BasaltClient"
import * as BasaltSpanSink from "@promptops/basalt/BasaltSpanSink"
import * as Braintrust from "@promptops/braintrust/Braintrust"
import * as Eval from "@promptops/core/Eval"
import type { Experiments } from "@promptops/core/Experiments"
import type { InvalidInput } from "@promptops/core/PromptOpsError"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import type { Prompts } from "@promptops/core/Prompts"
import type * as RetryPolicy from "@promptops/core/RetryPolicy"
import type { SpanSink } from "@promptops/core/SpanSink"
import * as Trace from "@promptops/core/Trace"
import * as Tracing from "@promptops/core/Tracing"
import * as BasaltEmulator from "@promptops/emulators/BasaltEmulator"
import * as BraintrustEmulator from "@promptops/emulators/BraintrustEmulator"
import type { CapturedRequest, ContractViolation, RequestRejection } from "@promptops/emulators/EmulatorServer"
import type { FaultMatch, Faults } from "@promptops/emulators/Faults"
import { Cause, Context, type Duration, Effect, Layer, Logger, LogLevel, Redacted, type Scope, type Stream } from "effect"
import { randomBytes } from "node:crypto"

// -----------------------------------------------------------------------------
// The API key
// -----------------------------------------------------------------------------

/** A distinctive key per run: any occurrence of it outside `Authorization` is a leak. */
export const API_KEY: string = `sk-faults-${randomBytes(18).toString("hex")}`

const redacted = (key: string): Redacted.Redacted => Redacted.make(key)

// -----------------------------------------------------------------------------
// What an emulator stored, vendor-neutrally
// -----------------------------------------------------------------------------

/** One span as the emulator stored it. */
export interface StoredSpan {
  readonly spanId: string
  readonly name: string
  readonly truncated: boolean
  /** The stored object as JSON (row or log), for size and content checks. */
  readonly json: string
}

/** One eval result as the emulator stored it. */
export interface StoredResult {
  readonly caseId: string
  readonly trial: number
}

/** The parts of a running emulator the suite reads. */
export interface EmulatorHandle {
  readonly url: string
  readonly faults: Faults
  readonly requests: ReadonlyArray<CapturedRequest>
  readonly violations: ReadonlyArray<ContractViolation>
  readonly rejections: ReadonlyArray<RequestRejection>
  readonly close: () => Promise<void>
}

/** The sink's own account, beside `Tracing.stats` (Basalt holds spans back and may refuse whole traces). */
export interface SinkReport {
  /** Spans the sink did not send by design (Basalt: spans routed to an experiment). */
  readonly skipped: number
  /** Spans the vendor refused for good, counted by the sink (the pipeline saw its export succeed). */
  readonly refused: number
  /** Spans still held by the sink. */
  readonly pending: number
}

/** Reads the sink's account; every vendor layer below provides it. */
export class SinkAccount extends Context.Tag("promptops/test/faults/SinkAccount")<
  SinkAccount,
  Effect.Effect<SinkReport>
>() {}

/** What the suite needs from a backend. */
export type Backend = SpanSink | Experiments | Prompts | SinkAccount

/** Client settings a scenario picks. */
export interface ClientOptions {
  readonly timeout?: Duration.DurationInput | undefined
  readonly retry?: RetryPolicy.RetryOptions | false | undefined
  /** Where Basalt's client records what it learnt was stored (see `Vendor.resentCopies`). */
  readonly acks?: Acks | undefined
}

/**
 * Per item (`span <id>`, `result <case>#<trial> of <experiment>`): how many
 * times the client got a success back for a request carrying it, recorded
 * around the client's call (so after its timeout and retries have decided).
 */
export type Acks = Map<string, number>

/** See `Vendor.resentCopies`. */
export interface ResentCopies {
  readonly spans: number
  readonly results: number
  /** Stored items the client did not get exactly one success for. */
  readonly unexplained: ReadonlyArray<string>
}

/** One row of the vendor table. */
export interface Vendor<H extends EmulatorHandle = EmulatorHandle> {
  readonly name: "braintrust" | "basalt"
  /** Starts the emulator (accepting `keys`) for the scope's lifetime. */
  readonly start: (keys?: ReadonlyArray<string>) => Effect.Effect<H, never, Scope.Scope>
  /** The backend over the emulator, on the real Node HTTP stack. */
  readonly layer: (handle: H, options: ClientOptions) => Layer.Layer<Backend, InvalidInput>
  /** The requests that carry spans and eval results (where delivery faults are injected). */
  readonly dataPath: FaultMatch
  /** Every span stored (not eval results that are not spans). */
  readonly spans: (handle: H) => ReadonlyArray<StoredSpan>
  /** Every eval result stored for the experiment. */
  readonly results: (handle: H, experimentId: string) => ReadonlyArray<StoredResult>
  /**
   * Copies stored beyond the first, of spans and of results, and the items
   * the client does not account for. Braintrust rows are keyed by client-side
   * ids, so a re-sent span or result replaces its row: no copies. Basalt has
   * no idempotency: a request it handled after the client had given up on it
   * (a timeout) is stored although the client, not knowing, sends it again.
   * Such a copy is the vendor's, not a bug; what the client must never do is
   * get two successes for one item (it sent it twice knowingly) or none.
   */
  readonly resentCopies: (handle: H, acks: Acks) => ResentCopies
  /** Makes the prompt `slug` exist at the vendor (Basalt has no API for it: its prompts are seeded at start). */
  readonly seedPrompt: (handle: H, slug: string) => Effect.Effect<void, unknown>
}

const isRecord = (u: unknown): u is Record<string, any> => typeof u === "object" && u !== null && !Array.isArray(u)

// -----------------------------------------------------------------------------
// Braintrust
// -----------------------------------------------------------------------------

const braintrust: Vendor<BraintrustEmulator.BraintrustEmulatorHandle> = {
  name: "braintrust",
  start: (keys = [API_KEY]) => BraintrustEmulator.make({ apiKeys: keys }),
  layer: (handle, options) =>
    Layer.provideMerge(
      Layer.succeed(SinkAccount, Effect.succeed({ skipped: 0, refused: 0, pending: 0 })),
      Braintrust.layer({
        apiKey: redacted(API_KEY),
        apiUrl: handle.url,
        project: "faults",
        timeout: options.timeout,
        retry: options.retry
      })
    ).pipe(Layer.provide(FetchHttpClient.layer)),
  // Spans go through the cross-object insert; eval results through the experiment insert.
  dataPath: { method: "POST", path: /^\/v1\/(insert|experiment\/[^/]+\/insert)$/ },
  resentCopies: () => ({ spans: 0, results: 0, unexplained: [] }),
  spans: (handle) => {
    const out: Array<StoredSpan> = []
    for (const container of handle.store.containers.values()) {
      if (container.kind === "dataset") continue
      for (const { row } of handle.store.liveRows(container)) {
        const attributes = isRecord(row["span_attributes"]) ? row["span_attributes"] : {}
        out.push({
          spanId: String(row["span_id"]),
          name: String(attributes["name"]),
          truncated: isRecord(row["metadata"]) && row["metadata"]["promptops_truncated"] === true,
          json: JSON.stringify(row)
        })
      }
    }
    return out
  },
  results: (handle, experimentId) => {
    const container = handle.store.containers.get(`experiment:${experimentId}`)
    if (container === undefined) return []
    const out: Array<StoredResult> = []
    for (const { row } of handle.store.liveRows(container)) {
      const reserved = isRecord(row["metadata"]) ? row["metadata"]["promptops"] : undefined
      if (isRecord(reserved) && typeof reserved["case_id"] === "string") {
        out.push({ caseId: reserved["case_id"], trial: Number(reserved["trial"]) })
      }
    }
    return out
  },
  seedPrompt: (handle, slug) =>
    Effect.flatMap(PromptRegistry, (registry) =>
      registry.push({
        slug,
        templateFormat: "mustache",
        messages: [{ role: "user", content: "Hello {{name}}" }],
        model: { name: "gpt-4o-mini", params: {} }
      })).pipe(
        Effect.provide(
          Braintrust.layer({ apiKey: redacted(API_KEY), apiUrl: handle.url, project: "faults" }).pipe(
            Layer.provide(FetchHttpClient.layer)
          )
        )
      )
}

// -----------------------------------------------------------------------------
// Basalt
// -----------------------------------------------------------------------------

const FEATURE = "faults"

/** The items a Basalt trace payload carries: one eval result, or spans (its logs). */
const itemsOfTrace = (body: Record<string, any>): Array<string> =>
  isRecord(body["experiment"])
    ? [`result ${body["metadata"]["promptops"]["caseId"]}#${body["metadata"]["promptops"]["trial"]} of ${body["experiment"]["id"]}`]
    : (body["logs"] as Array<Record<string, unknown>>).map((log) => `span ${String(log["id"])}`)

/** Prompts Basalt holds from the start (Basalt has no API to create them). */
const BASALT_PROMPTS = ["greeting", "never-cached"]

const basalt: Vendor<BasaltEmulator.BasaltEmulatorHandle> = {
  name: "basalt",
  start: (keys = [API_KEY]) =>
    BasaltEmulator.make({
      apiKeys: keys,
      features: [FEATURE],
      prompts: BASALT_PROMPTS.map((slug) => ({
        slug,
        featureSlugs: [FEATURE],
        versions: [{ version: "1", text: "Hello {{ name }}" }],
        tags: { production: "1" }
      }))
    }),
  layer: (handle, options) => {
    const acks = options.acks
    // `Basalt.layer`, assembled here so the client's `sendTrace` can report its successes.
    const client = Layer.effect(
      BasaltClient.BasaltClient,
      Effect.map(
        BasaltClient.make({
          apiKey: redacted(API_KEY),
          apiUrl: handle.url,
          featureSlug: FEATURE,
          timeout: options.timeout,
          retry: options.retry,
          // Basalt writes are retried on 429 only by default (at-most-once): one 5xx or
          // reset on a result write would end the eval. Retrying them all is the
          // documented opt-in, at-least-once (see `resentCopies`).
          retryWrites: true
        }),
        (service): BasaltClient.BasaltClient.Service =>
          acks === undefined ? service : {
            ...service,
            sendTrace: (trace) =>
              Effect.tap(service.sendTrace(trace), () =>
                Effect.sync(() => {
                  for (const item of itemsOfTrace(trace)) acks.set(item, (acks.get(item) ?? 0) + 1)
                }))
          }
      )
    )
    return Layer.provideMerge(
      Layer.effect(
        SinkAccount,
        Effect.map(BasaltSpanSink.BasaltSpanSink, (sink) =>
          Effect.map(sink.stats, (stats) => ({
            skipped: stats.skippedExperimentSpans,
            refused: stats.droppedSpans,
            pending: stats.pendingSpans
          })))
      ),
      Layer.provideMerge(Basalt.layerServices(), client)
    ).pipe(Layer.provide(FetchHttpClient.layer))
  },
  dataPath: "POST /monitor/trace",
  resentCopies: (handle, acks) => {
    const copies = new Map<string, number>()
    for (const trace of handle.store.traces) {
      if (trace.source !== "trace") continue
      for (const item of itemsOfTrace(trace.body)) copies.set(item, (copies.get(item) ?? 0) + 1)
    }
    let spans = 0
    let results = 0
    const unexplained: Array<string> = []
    for (const [item, count] of copies) {
      if (item.startsWith("span")) spans += count - 1
      else results += count - 1
      const acked = acks.get(item) ?? 0
      if (acked !== 1) unexplained.push(`${item}: stored ${count} times, ${acked} successes seen by the client`)
    }
    return { spans, results, unexplained }
  },
  spans: (handle) =>
    handle.store.traces
      .filter((trace) => trace.source === "trace" && trace.experimentId === undefined)
      .flatMap((trace) =>
        (trace.body["logs"] as Array<Record<string, any>>).map((log): StoredSpan => ({
          spanId: String(log["id"]),
          name: String(log["name"]),
          truncated: isRecord(log["metadata"]) && log["metadata"]["promptops.truncated"] === true,
          json: JSON.stringify(log)
        }))
      ),
  results: (handle, experimentId) =>
    handle.store.traces
      .filter((trace) => trace.experimentId === experimentId)
      .map((trace) => {
        const reserved = isRecord(trace.body["metadata"]) ? trace.body["metadata"]["promptops"] : undefined
        return isRecord(reserved)
          ? { caseId: String(reserved["caseId"]), trial: Number(reserved["trial"]) }
          : { caseId: "(none)", trial: -1 }
      }),
  seedPrompt: (_, slug) =>
    BASALT_PROMPTS.includes(slug) ? Effect.void : Effect.die(`Basalt prompt "${slug}" is not seeded`)
}

/** A vendor row with its emulator's handle type forgotten (each row only ever gets back the handle it started). */
const row = <H extends EmulatorHandle>(vendor: Vendor<H>): Vendor => vendor as unknown as Vendor

/** The vendor table every test iterates. */
export const vendors: ReadonlyArray<Vendor> = [row(braintrust), row(basalt)]

// -----------------------------------------------------------------------------
// Workloads
// -----------------------------------------------------------------------------

/** A traced request load: `traces` traces of 50 spans (root → 7 steps → 6 calls each). */
export const SPANS_PER_TRACE = 50

/** The name of span `j` of trace `t`: every workload span has its own, so a loss or a duplicate is visible by name. */
export const spanName = (t: number, j: number, prefix = "w"): string => `${prefix}${t}.${j}`

/**
 * Emits the spans of traces `from` … `from + count - 1`, 50 each. Each span
 * carries a small input/output so the batches have realistic sizes; LLM calls
 * carry token usage.
 */
export const tracedLoad = (from: number, count: number, prefix = "w", concurrency = 8): Effect.Effect<void> =>
  Effect.forEach(
    Array.from({ length: count }, (_, i) => from + i),
    (t) => {
      let j = 1
      const call = (step: number, n: number) =>
        Effect.void.pipe(
          Effect.tap(() => Trace.annotate({ input: { q: `step ${step} call ${n}` }, usage: { promptTokens: n, completionTokens: 1 } })),
          Trace.llm(spanName(t, j++, prefix))
        )
      const step = (s: number) =>
        Effect.gen(function*() {
          for (let n = 0; n < 6; n++) yield* call(s, n)
          yield* Trace.annotate({ output: `step ${s} done` })
        }).pipe(Trace.tool(spanName(t, j++, prefix)))
      return Effect.gen(function*() {
        yield* Trace.annotate({ input: { request: t } })
        for (let s = 0; s < 7; s++) yield* step(s)
      }).pipe(Trace.task(spanName(t, 0, prefix)))
    },
    { concurrency, discard: true }
  )

/** Eval cases `from` … `from + count - 1`. */
export const evalCases = (from: number, count: number): Array<Eval.EvalCase<{ n: number }, number>> =>
  Array.from({ length: count }, (_, i) => ({ id: `case-${from + i}`, input: { n: from + i }, expected: (from + i) % 3 }))

/** An eval over `data`, one trial per case, two scorers; `onStart` runs once the experiment exists. */
export const evalRun = (
  name: string,
  data: Stream.Stream<Eval.EvalCase<{ n: number }, number>>,
  onStart: Effect.Effect<void>
) =>
  Eval.run({
    name,
    data,
    task: (input: { n: number }) => Effect.succeed(input.n % 3),
    scorers: [
      Eval.scorer("exact", ({ expected, output }: { expected: unknown; output: unknown }) => (output === expected ? 1 : 0)),
      Eval.scorer("half", () => 0.5)
    ],
    concurrency: 50,
    returnResults: false,
    onProgress: (event) => (event._tag === "Started" ? onStart : Effect.void)
  })

// -----------------------------------------------------------------------------
// Checks
// -----------------------------------------------------------------------------

/** Span ids that occur more than once in what the emulator stored (in one place or in several). */
export const duplicateIds = (spans: ReadonlyArray<StoredSpan>): Array<string> => {
  const seen = new Set<string>()
  const twice = new Set<string>()
  for (const span of spans) {
    if (seen.has(span.spanId)) twice.add(span.spanId)
    seen.add(span.spanId)
  }
  return [...twice]
}

/** How the workload's spans fared: names never stored, and names stored more than once. */
export const workloadDelivery = (
  spans: ReadonlyArray<StoredSpan>,
  traces: number
): { readonly stored: number; readonly missing: number; readonly duplicated: number } => {
  const counts = new Map<string, number>()
  for (const span of spans) counts.set(span.name, (counts.get(span.name) ?? 0) + 1)
  let stored = 0
  let missing = 0
  let duplicated = 0
  for (let t = 0; t < traces; t++) {
    for (let j = 0; j < SPANS_PER_TRACE; j++) {
      const count = counts.get(spanName(t, j)) ?? 0
      if (count === 0) missing++
      else stored++
      if (count > 1) duplicated++
    }
  }
  return { stored, missing, duplicated }
}

/** (case, trial) pairs stored more than once, and cases missing, for `cases` cases of one trial. */
export const resultDelivery = (
  results: ReadonlyArray<StoredResult>,
  cases: number
): { readonly stored: number; readonly missing: number; readonly duplicated: number } => {
  const counts = new Map<string, number>()
  for (const result of results) {
    const key = `${result.caseId}#${result.trial}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  let missing = 0
  for (let i = 0; i < cases; i++) if (!counts.has(`case-${i}#0`)) missing++
  let duplicated = 0
  for (const count of counts.values()) if (count > 1) duplicated++
  return { stored: results.length, missing, duplicated }
}

// -----------------------------------------------------------------------------
// Logs and the key scan
// -----------------------------------------------------------------------------

/** Every log line of a program, formatted (message, annotations, cause), at every level. */
export interface LogCapture {
  readonly lines: Array<string>
  readonly layer: Layer.Layer<never>
}

export const captureLogs = (): LogCapture => {
  const lines: Array<string> = []
  const logger = Logger.make((options) => {
    const line = Logger.logfmtLogger.log(options)
    lines.push(Cause.isEmpty(options.cause) ? line : `${line}\n${Cause.pretty(options.cause)}`)
  })
  return {
    lines,
    layer: Layer.merge(Logger.replace(Logger.defaultLogger, logger), Logger.minimumLogLevel(LogLevel.All))
  }
}

/**
 * Spans reported lost in warnings: the pipeline's and the sinks' `dropped=n`,
 * and Basalt's `pendingSpans=n` (traces it still held when its scope closed).
 */
export const droppedInLogs = (lines: ReadonlyArray<string>): number => {
  let total = 0
  for (const line of lines) {
    if (!/level=WARN/.test(line)) continue
    const match = /\b(?:dropped|pendingSpans)=(\d+)/.exec(line)
    if (match !== null) total += Number(match[1])
  }
  return total
}

/**
 * Where the key shows up in what the emulator saw, other than as the bearer
 * token of the `Authorization` header (which must be exactly that).
 */
export const keyLeaksInRequests = (requests: ReadonlyArray<CapturedRequest>, key: string = API_KEY): Array<string> => {
  const leaks: Array<string> = []
  for (const request of requests) {
    const where = `${request.method} ${request.path} #${request.id}`
    if (request.url.includes(key)) leaks.push(`${where}: URL`)
    if (request.body.includes(key)) leaks.push(`${where}: body`)
    for (const [name, value] of Object.entries(request.headers)) {
      const text = Array.isArray(value) ? value.join(", ") : String(value ?? "")
      if (name === "authorization") {
        if (text !== `Bearer ${key}`) leaks.push(`${where}: Authorization is not the bearer key`)
      } else if (text.includes(key) || name.includes(key)) {
        leaks.push(`${where}: header ${name}`)
      }
    }
  }
  return leaks
}

/** Texts that contain the key. */
export const keyLeaksInText = (texts: ReadonlyArray<string>, key: string = API_KEY): Array<string> =>
  texts.filter((text) => text.includes(key)).map((text) => text.slice(0, 200))

// -----------------------------------------------------------------------------
// Settings
// -----------------------------------------------------------------------------

/**
 * Client retries: short, and enough to ride out a storm of ~3 s on their own
 * (the eval's `Experiments.log` has no other retry): 20 ms doubling to 250 ms,
 * 20 retries ≈ 4.3 s. `Retry-After` is honoured up to 2 s.
 */
export const clientRetry: RetryPolicy.RetryOptions = {
  base: "20 millis",
  maxDelay: "250 millis",
  maxRetries: 20,
  maxRetryAfter: "2 seconds"
}

/** The tracing pipeline's own retries, on top of the client's. */
export const tracingOptions: Tracing.Options = {
  interval: "50 millis",
  retry: { base: "50 millis", maxDelay: "500 millis", maxRetries: 30, maxRetryAfter: "2 seconds" },
  shutdownTimeout: "30 seconds"
}

/**
 * Runs `program` with the vendor's backend and the tracing pipeline over it,
 * every log line captured in `logs`. Returns once the layers' scope has
 * closed (the pipeline drained or its deadline passed).
 */
export const withBackend = <H extends EmulatorHandle, A, E>(
  vendor: Vendor<H>,
  handle: H,
  program: Effect.Effect<A, E, Backend | Tracing.Tracing>,
  options: {
    readonly logs: LogCapture
    readonly client?: ClientOptions | undefined
    readonly tracing?: Tracing.Options | undefined
  }
): Effect.Effect<A, E | InvalidInput> =>
  program.pipe(
    Effect.provide(
      Layer.provideMerge(
        Tracing.layer(options.tracing ?? tracingOptions),
        vendor.layer(handle, options.client ?? { timeout: "2 seconds", retry: clientRetry })
      )
    ),
    Effect.provide(options.logs.layer)
  )
