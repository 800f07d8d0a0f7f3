/**
 * Side by side: the span rows Braintrust's SDK logger (`braintrust` 3.35.0,
 * `initLogger` + `traced`, `asyncFlush: false`) writes and the rows
 * promptops' Braintrust span sink writes for the same spans (the promptops
 * tracer, `Tracing.layer` over `BraintrustSpanSink.layer`), both captured by
 * one loopback server. The same trace — a `task` root with input, output,
 * metadata, tags and scores, an `llm` child with token metrics, a `tool`
 * leaf that fails, a `function` sibling — is written by both over generated
 * values, and the stored rows are compared field by field: ids and times by
 * shape and relation, everything else by value. What differs on purpose is
 * listed in packages/braintrust/README.md ("Differences from the vendor's
 * SDK") and asserted below.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as BraintrustClient from "@promptops/braintrust/BraintrustClient"
import * as BraintrustExperiments from "@promptops/braintrust/BraintrustExperiments"
import * as BraintrustSpanSink from "@promptops/braintrust/BraintrustSpanSink"
import type { SpanError, SpanRecord } from "@promptops/core/SpanRecord"
import * as Trace from "@promptops/core/Trace"
import * as Tracing from "@promptops/core/Tracing"
import { initLogger, type Logger } from "braintrust"
import { Effect, FastCheck as fc, Layer, ManagedRuntime, Redacted } from "effect"
import * as Capture from "./capture.js"

// -----------------------------------------------------------------------------
// One trace, written by each side
// -----------------------------------------------------------------------------

interface Case {
  readonly input: unknown
  readonly output: unknown
  readonly expected: unknown
  readonly metadata: Record<string, unknown>
  readonly tags: ReadonlyArray<string>
  readonly scores: Record<string, number | null>
  readonly llmInput: unknown
  readonly llmOutput: unknown
  readonly promptTokens: number
  readonly completionTokens: number
  readonly failure: string
  readonly stepMetadata: Record<string, unknown>
}

const sdkTrace = (logger: Logger<false>, c: Case): void => {
  logger.traced((root) => {
    root.log({
      input: c.input,
      output: c.output,
      expected: c.expected,
      metadata: c.metadata,
      tags: [...c.tags],
      scores: c.scores
    })
    root.traced((llm) => {
      llm.log({
        input: c.llmInput,
        output: c.llmOutput,
        metrics: {
          prompt_tokens: c.promptTokens,
          completion_tokens: c.completionTokens,
          tokens: c.promptTokens + c.completionTokens
        }
      })
      try {
        llm.traced(() => {
          throw new Error(c.failure)
        }, { name: "lookup", type: "tool" })
      } catch {
        // The leaf's failure is logged on the leaf; the trace goes on.
      }
    }, { name: "llm call", type: "llm" })
    root.traced((step) => step.log({ metadata: c.stepMetadata }), { name: "step", type: "function" })
  }, { name: "request", type: "task" })
}

const ourTrace = (c: Case): Effect.Effect<void> =>
  Effect.gen(function*() {
    yield* Trace.annotate({
      input: c.input,
      output: c.output,
      expected: c.expected,
      metadata: c.metadata,
      tags: c.tags,
      scores: c.scores
    })
    yield* Effect.gen(function*() {
      yield* Trace.annotate({
        input: c.llmInput,
        output: c.llmOutput,
        usage: { promptTokens: c.promptTokens, completionTokens: c.completionTokens }
      })
      yield* Effect.fail(new Error(c.failure)).pipe(Trace.tool("lookup"), Effect.ignore)
    }).pipe(Trace.llm("llm call"))
    yield* Trace.annotate({ metadata: c.stepMetadata }).pipe(Trace.span("function")("step"))
  }).pipe(Trace.task("request"))

// -----------------------------------------------------------------------------
// Both sides on one capture server
// -----------------------------------------------------------------------------

let capture: Capture.Capture
let logger: Logger<false>
let runtime: ManagedRuntime.ManagedRuntime<Tracing.Tracing, unknown>

beforeAll(async () => {
  capture = await Capture.start()
  logger = initLogger({ projectName: "parity", apiKey: "sk-parity", appUrl: capture.url, asyncFlush: false })
  runtime = ManagedRuntime.make(
    Tracing.layer({ interval: "1 hour" }).pipe(
      Layer.provide(BraintrustSpanSink.layer()),
      Layer.provide(
        BraintrustClient.layer({ apiKey: Redacted.make("sk-parity"), apiUrl: capture.url, project: "parity" })
      ),
      Layer.provide(FetchHttpClient.layer)
    )
  )
})

afterAll(async () => {
  await runtime?.dispose()
  await capture?.close()
})

/** The stored rows each side writes, and the raw writes that made them. */
const write = async (
  sdkSide: (logger: Logger<false>) => void,
  ourSide: Effect.Effect<void>
): Promise<{ sdk: Array<Capture.Row>; ours: Array<Capture.Row>; sdkWrites: number; ourWrites: number }> => {
  capture.clear()
  sdkSide(logger)
  await logger.flush()
  await runtime.runPromise(Effect.zipRight(ourSide, Tracing.flush))
  return {
    sdk: Capture.stored(capture.sdkRows),
    ours: Capture.stored(capture.ourRows),
    sdkWrites: capture.sdkRows.length,
    ourWrites: capture.ourRows.length
  }
}

const writeBoth = (c: Case) => write((logger) => sdkTrace(logger, c), ourTrace(c))

// -----------------------------------------------------------------------------
// Comparison
// -----------------------------------------------------------------------------

const HEX16 = /^[0-9a-f]{16}$/
const HEX32 = /^[0-9a-f]{32}$/
const NAMES = ["request", "llm call", "lookup", "step"]
const PARENT: Record<string, string | undefined> = {
  request: undefined,
  "llm call": "request",
  lookup: "llm call",
  step: "request"
}

const byName = (rows: ReadonlyArray<Capture.Row>): Map<string, Capture.Row> =>
  new Map(rows.map((row) => [(row["span_attributes"] as { name: string }).name, row]))

/** Ids and their relations: one root span id per trace, each parent link to its parent's span id. */
const checkIds = (rows: ReadonlyArray<Capture.Row>, side: string) => {
  const named = byName(rows)
  assert.deepStrictEqual([...named.keys()].sort(), [...NAMES].sort(), `${side}: one row per span`)
  const root = named.get("request")!
  for (const name of NAMES) {
    const row = named.get(name)!
    assert.match(String(row["span_id"]), HEX16, `${side} ${name}: span_id`)
    assert.match(String(row["root_span_id"]), HEX32, `${side} ${name}: root_span_id`)
    assert.strictEqual(row["root_span_id"], root["root_span_id"], `${side} ${name}: one trace`)
    const parent = PARENT[name]
    if (parent === undefined) assert.isUndefined(row["span_parents"], `${side} ${name}: a root has no parents`)
    else assert.deepStrictEqual(row["span_parents"], [named.get(parent)!["span_id"]], `${side} ${name}: parent`)
  }
}

/** Times: `start`/`end` in unix seconds, start ≤ end, within the parent's, and `created` is the start. */
const checkTimes = (
  rows: ReadonlyArray<Capture.Row>,
  side: string,
  before: number,
  after: number,
  /** The SDK reads the clock twice (`created`, then `metrics.start`); promptops once. */
  createdSlack: number
) => {
  const named = byName(rows)
  for (const name of NAMES) {
    const metrics = named.get(name)!["metrics"] as { start: number; end: number }
    assert.isTrue(
      // Within the wall-clock window of the write, give or take the drift of a monotonic clock from `Date.now()`.
      before / 1000 - 0.1 <= metrics.start && metrics.start <= metrics.end && metrics.end <= after / 1000 + 0.1,
      `${side} ${name}: ${JSON.stringify(metrics)} within [${before / 1000}, ${after / 1000}]`
    )
    const created = Date.parse(String(named.get(name)!["created"]))
    assert.isTrue(
      Math.abs(created - metrics.start * 1000) <= createdSlack,
      `${side} ${name}: created ${String(named.get(name)!["created"])} is the start ${metrics.start}`
    )
    const parent = PARENT[name]
    if (parent !== undefined) {
      const outer = named.get(parent)!["metrics"] as { start: number; end: number }
      assert.isTrue(outer.start <= metrics.start + 0.001 && metrics.end <= outer.end + 0.001, `${side} ${name}: nested`)
    }
  }
}

/** A logged error: the message, a blank line, then a stack whose first line is `Error: message`. */
const checkError = (error: unknown, message: string, side: string) => {
  assert.isString(error, `${side}: the error is a string`)
  const text = error as string
  assert.isTrue(
    text.startsWith(`${message}\n\nError: ${message}\n    at `),
    `${side}: ${JSON.stringify(text.slice(0, 200))}`
  )
}

const CALL_SITE = "code.stacktrace"

/** Sets an own property, even one named `__proto__` (generated keys include it). */
const setOwn = (target: Record<string, unknown>, key: string, value: unknown): void => {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

const isEmptyObject = (u: unknown): boolean =>
  typeof u === "object" && u !== null && !Array.isArray(u) && Object.keys(u).length === 0

/** Fields written by one side only, by design (README "Differences from the vendor's SDK"). */
const SDK_ONLY = ["context", "_is_merge", "project_id", "log_id"]
const OURS_ONLY: ReadonlyArray<string> = []

/** A row without its ids, times, error and one-sided fields: what must be equal. */
const comparable = (row: Capture.Row, oneSided: ReadonlyArray<string>): Capture.Row => {
  const out: Capture.Row = {}
  for (const key of Object.keys(row)) {
    if (["id", "span_id", "root_span_id", "span_parents", "created", "error", ...oneSided].includes(key)) continue
    setOwn(out, key, row[key])
  }
  const { end: _end, start: _start, ...metrics } = row["metrics"] as Record<string, number>
  out["metrics"] = metrics
  const spanAttributes = row["span_attributes"] as Record<string, unknown>
  const { exec_counter: _counter, promptops_kind: _kind, ...attributes } = spanAttributes
  out["span_attributes"] = attributes
  // The call site of a failed span: Effect's `code.stacktrace` attribute, kept in metadata (the SDK's is `context`).
  const metadata = row["metadata"] as Record<string, unknown> | undefined
  if (metadata !== undefined && Object.prototype.hasOwnProperty.call(metadata, CALL_SITE)) {
    const rest: Record<string, unknown> = {}
    for (const key of Object.keys(metadata)) {
      if (key !== CALL_SITE) setOwn(rest, key, metadata[key])
    }
    out["metadata"] = rest
  }
  // An app that logs `metadata: {}` gets `{}` from the SDK; promptops cannot tell it from no metadata.
  if (isEmptyObject(out["metadata"])) delete out["metadata"]
  return out
}

const compare = async (c: Case) => {
  const before = Date.now()
  const { ours, sdk } = await writeBoth(c)
  const after = Date.now()
  checkIds(sdk, "SDK")
  checkIds(ours, "ours")
  checkTimes(sdk, "SDK", before, after, 50)
  checkTimes(ours, "ours", before, after, 1)
  const sdkNamed = byName(sdk)
  const ourNamed = byName(ours)
  for (const name of NAMES) {
    const theirs = sdkNamed.get(name)!
    const mine = ourNamed.get(name)!
    if (name === "lookup") {
      checkError(theirs["error"], c.failure, "SDK")
      checkError(mine["error"], c.failure, "ours")
    } else {
      assert.isUndefined(theirs["error"])
      assert.isUndefined(mine["error"])
    }
    const expected = comparable(theirs, SDK_ONLY)
    const actual = comparable(mine, OURS_ONLY)
    assert.deepStrictEqual(actual, expected, `${name}: ours ${JSON.stringify(actual)}, SDK ${JSON.stringify(expected)}`)
  }
  assert.deepStrictEqual(capture.unexpected, [])
}

// -----------------------------------------------------------------------------
// Generated values
// -----------------------------------------------------------------------------

/** Object keys, with the ones that trip naive object handling. */
const key = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "constructor", "toString", ""))
/** JSON values, as the app would log them (strings of any well-formed Unicode). */
const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3, stringUnit: "grapheme" }).map((value) =>
  JSON.parse(JSON.stringify(value))
)
const record = fc.dictionary(key, json, { maxKeys: 5 }).map((value) =>
  JSON.parse(JSON.stringify(value)) as Record<string, unknown>
)

const cases: fc.Arbitrary<Case> = fc.record({
  input: json,
  output: json,
  expected: json,
  metadata: record,
  tags: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 3 }),
  scores: fc.dictionary(
    fc.string({ minLength: 1, maxLength: 6 }),
    fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
    { maxKeys: 3 }
  ),
  llmInput: json,
  llmOutput: json,
  promptTokens: fc.nat(100_000),
  completionTokens: fc.nat(100_000),
  failure: fc.string({ minLength: 1, maxLength: 20, unit: "grapheme" }),
  stepMetadata: record
})

describe("span rows: promptops' Braintrust sink beside the SDK's logger", () => {
  it("a fixed trace writes the same rows", async () => {
    await compare({
      input: { question: "What is 2+2?" },
      output: "4",
      expected: "4",
      metadata: { user: "u-1", nested: { a: [1, 2] } },
      tags: ["web"],
      scores: { helpful: 1, exact: 0.5 },
      llmInput: [{ role: "user", content: "2+2?" }],
      llmOutput: { role: "assistant", content: "4" },
      promptTokens: 12,
      completionTokens: 3,
      failure: "index unavailable",
      stepMetadata: {}
    })
  })

  it("an error that escapes is logged on every span it leaves", async () => {
    const { ours, sdk } = await write(
      (logger) => {
        try {
          logger.traced((root) =>
            root.traced(() => {
              throw new Error("no route")
            }, { name: "leaf", type: "tool" }), { name: "request", type: "task" })
        } catch {
          // logged on both spans
        }
      },
      Effect.fail(new Error("no route")).pipe(Trace.tool("leaf"), Trace.task("request"), Effect.ignore)
    )
    for (const [side, rows] of [["SDK", sdk], ["ours", ours]] as const) {
      assert.strictEqual(rows.length, 2)
      for (const row of rows) checkError(row["error"], "no route", side)
    }
  })

  it("generated traces write the same rows", async () => {
    await fc.assert(fc.asyncProperty(cases, compare), { numRuns: 500 })
  }, 120_000)
})

// -----------------------------------------------------------------------------
// The documented differences (packages/braintrust/README.md)
// -----------------------------------------------------------------------------

const only = (rows: ReadonlyArray<Capture.Row>): Capture.Row => {
  assert.strictEqual(rows.length, 1)
  return rows[0]!
}

describe("span rows: the documented differences from the SDK's logger", () => {
  it("the row id: the SDK draws one of its own; promptops uses the span id, so a retry replaces the row", async () => {
    const { ours, sdk } = await write(
      (logger) => logger.traced(() => {}, { name: "a", type: "task" }),
      Effect.void.pipe(Trace.task("a"))
    )
    const theirs = only(sdk)
    const mine = only(ours)
    assert.notStrictEqual(theirs["id"], theirs["span_id"])
    assert.strictEqual(mine["id"], mine["span_id"])
  })

  it("the call site: the SDK writes `context`; promptops keeps a failed span's `code.stacktrace` in metadata", async () => {
    const { ours, sdk } = await write(
      (logger) => logger.traced(() => {}, { name: "a", type: "task" }),
      Effect.fail(new Error("x")).pipe(Trace.task("a"), Effect.ignore)
    )
    const context = only(sdk)["context"] as Record<string, unknown>
    assert.deepStrictEqual(Object.keys(context).sort(), [
      "caller_filename",
      "caller_functionname",
      "caller_lineno",
      "span_origin"
    ])
    assert.include(String(context["caller_filename"]), "SpanRows.test.ts")
    const mine = only(ours)
    assert.isUndefined(mine["context"])
    assert.match(String((mine["metadata"] as Record<string, unknown>)[CALL_SITE]), /^at .*SpanRows\.test\.ts:\d+:\d+/)
  })

  it("span attributes: the SDK adds `exec_counter`; promptops names a kind Braintrust lacks in `promptops_kind`", async () => {
    const { ours, sdk } = await write(
      (logger) =>
        logger.traced((root) => {
          root.traced(() => {}, { name: "search", type: "tool" })
        }, { name: "request", type: "function" }),
      Effect.void.pipe(Trace.retrieval("search"), Effect.withSpan("request"))
    )
    const attributes = (rows: ReadonlyArray<Capture.Row>) =>
      rows.map((row) => row["span_attributes"] as Record<string, unknown>).sort((a, b) =>
        String(a["name"]).localeCompare(String(b["name"]))
      )
    const theirs = attributes(sdk)
    for (const attribute of theirs) assert.isTrue(Number.isInteger(attribute["exec_counter"]))
    assert.deepStrictEqual(theirs.map(({ exec_counter: _, ...rest }) => rest), [
      { name: "request", type: "function" },
      { name: "search", type: "tool" }
    ])
    assert.deepStrictEqual(attributes(ours), [
      { name: "request", type: "function", promptops_kind: "span" },
      { name: "search", type: "tool", promptops_kind: "retrieval" }
    ])
  })

  it("a span of no kind: the SDK types a root `task` and a child not at all; promptops writes `function`", async () => {
    const { ours, sdk } = await write(
      (logger) => logger.traced((root) => root.traced(() => {}, { name: "child" }), { name: "root" }),
      Effect.void.pipe(Effect.withSpan("child"), Effect.withSpan("root"))
    )
    const attributes = (rows: ReadonlyArray<Capture.Row>, name: string) => {
      const { exec_counter: _, ...rest } = byName(rows).get(name)!["span_attributes"] as Record<string, unknown>
      return rest
    }
    assert.deepStrictEqual(attributes(sdk, "root"), { name: "root", type: "task" })
    assert.deepStrictEqual(attributes(sdk, "child"), { name: "child" })
    assert.deepStrictEqual(attributes(ours, "root"), { name: "root", type: "function", promptops_kind: "span" })
    assert.deepStrictEqual(attributes(ours, "child"), { name: "child", type: "function", promptops_kind: "span" })
  })

  it("the writes: the SDK sends a span in parts merged by id; promptops sends each ended span whole, once", async () => {
    const { ours, ourWrites, sdk, sdkWrites } = await write(
      (logger) => logger.traced((span) => span.log({ input: 1, output: 2 }), { name: "a", type: "task" }),
      Trace.annotate({ input: 1, output: 2 }).pipe(Trace.task("a"))
    )
    assert.strictEqual(sdk.length, 1)
    assert.isAbove(sdkWrites, 1)
    assert.isTrue(capture.sdkRows.some((row) => row["_is_merge"] === true))
    assert.strictEqual(ours.length, 1)
    assert.strictEqual(ourWrites, 1)
    assert.isUndefined(capture.ourRows[0]!["_is_merge"])
  })

  it("empty metadata: the SDK stores a logged `{}`; promptops writes no metadata for an empty record", async () => {
    const { ours, sdk } = await write(
      (logger) => logger.traced((span) => span.log({ metadata: {} }), { name: "a", type: "task" }),
      Trace.annotate({ metadata: {} }).pipe(Trace.task("a"), Effect.withSpan("unused", { captureStackTrace: false }))
    )
    assert.deepStrictEqual(only(sdk)["metadata"], {})
    const mine = ours.find((row) => (row["span_attributes"] as { name: string }).name === "a")!
    assert.deepStrictEqual(Object.keys((mine["metadata"] ?? {}) as object).filter((key) => key !== CALL_SITE), [])
  })

  it("a failure that is not an Error: the SDK writes no stack; promptops adds the Effect cause's trace", async () => {
    const { ours, sdk } = await write(
      (logger) => {
        try {
          logger.traced(() => {
            throw "boom"
          }, { name: "a", type: "task" })
        } catch {
          // logged on the span
        }
      },
      Effect.fail("boom").pipe(Trace.task("a"), Effect.ignore)
    )
    assert.strictEqual(only(sdk)["error"], "boom\n\n")
    assert.match(String(only(ours)["error"]), /^boom\n\nError: boom(\n|$)/)
  })

  it("strings: promptops makes them well-formed (a lone surrogate becomes U+FFFD); the SDK does not", async () => {
    const { ours, sdk } = await write(
      (logger) => logger.traced((span) => span.log({ input: "a\ud800b" }), { name: "a", type: "task" }),
      Trace.annotate({ input: "a\ud800b" }).pipe(Trace.task("a"))
    )
    assert.strictEqual(only(sdk)["input"], "a\ud800b")
    assert.strictEqual(only(ours)["input"], "a\ufffdb")
  })
})

// -----------------------------------------------------------------------------
// Reading errors back
// -----------------------------------------------------------------------------

const failedSpan = (error: SpanError): SpanRecord => ({
  traceId: "a".repeat(32),
  spanId: "b".repeat(16),
  name: "a",
  kind: "task",
  startTime: 1_700_000_000_000,
  endTime: 1_700_000_000_001,
  error,
  metadata: {},
  metrics: {},
  destination: { _tag: "ProjectLogs" }
})

const readBack = (row: Capture.Row): SpanRecord =>
  BraintrustSpanSink.fromRow(row as never, { _tag: "ProjectLogs" })

describe("span rows: errors read back", () => {
  it("an SDK error string reads as its message, type and stack", async () => {
    const { sdk } = await write(
      (logger) => {
        try {
          logger.traced(() => {
            throw new RangeError("too\n\nfar")
          }, { name: "a", type: "task" })
        } catch {
          // logged on the span
        }
      },
      Effect.void
    )
    const error = readBack(only(sdk)).error!
    assert.strictEqual(error.message, "too\n\nfar")
    assert.strictEqual(error.type, "RangeError")
    assert.isTrue(error.stack!.startsWith("RangeError: too\n\nfar\n    at "))
  })

  it.prop("what toRow writes reads back: message (blank lines and all), type and stack; no stack, the message alone", [
    fc.string({ unit: "grapheme", maxLength: 30 }).map((s) => s.replace(/\r/g, "")),
    fc.constantFrom("Error", "TypeError", "Timeout", "UnknownException"),
    fc.boolean()
  ], ([message, type, withStack]) => {
    const written: SpanError = withStack
      ? { message, type, stack: `${type}: ${message}\n    at handler (app.ts:3:7)` }
      : { message }
    const row = BraintrustSpanSink.toRow(failedSpan(written))
    assert.strictEqual(row.error, `${message}\n\n${written.stack ?? ""}`)
    assert.deepStrictEqual(readBack({ ...row }).error, written)
  })

  it("an error object (as other writers store it) reads as before", () => {
    const row = {
      ...BraintrustSpanSink.toRow(failedSpan({ message: "x" })),
      error: { message: "m", type: "T", stack: "s" }
    }
    assert.deepStrictEqual(readBack(row).error, { message: "m", type: "T", stack: "s" })
  })
})

describe("span rows: an eval case's error, on the row the span and the result share", () => {
  it("reads back as the result's message, whichever of the two writes lands last", () => {
    const experimentId = "00000000-0000-4000-8000-0000000000c3"
    const result = {
      caseId: "case-1",
      trial: 0,
      input: "q",
      output: undefined,
      scores: {},
      metadata: {},
      durationMs: 5,
      error: "no route",
      traceId: "c".repeat(32),
      spanId: "d".repeat(16)
    }
    const logged = BraintrustExperiments.resultToEvent(experimentId, result, 1_700_000_000_000) as Capture.Row
    const span = BraintrustSpanSink.toRow({
      ...failedSpan({ message: "no route", type: "Error", stack: "Error: no route\n    at task (app.ts:1:1)" }),
      traceId: result.traceId,
      spanId: result.spanId,
      kind: "eval",
      destination: { _tag: "Experiment", experimentId }
    }) as Capture.Row
    assert.strictEqual(span["error"], "no route\n\nError: no route\n    at task (app.ts:1:1)")
    for (const rows of [[logged, span], [span, logged]]) {
      const [row] = Capture.stored(rows)
      const read = BraintrustExperiments.resultFromEvent(row as never)
      assert.strictEqual(read?.error, "no route")
    }
  })
})
