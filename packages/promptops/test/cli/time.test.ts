/**
 * Bounded time and reading only what is shown, through the built `promptops`
 * executable (`dist/bin.js`; build it first: `npx turbo run build --filter=promptops...`):
 *
 * - against a vendor that is unreachable (a closed port) or that never
 *   answers (a socket that accepts and stays silent), `experiments list` and
 *   `eval` fail well within 20 s, exit non-zero, and say how many attempts
 *   were made over how long;
 * - `traces tail` against the Braintrust emulator: `-n 2` makes one fetch
 *   request however many spans are stored, `--trace` takes a short id (and
 *   lists the candidates of an ambiguous one), `--experiment` takes a name
 *   (its latest run), and an empty tail says so and exits 0.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Braintrust from "@promptops/braintrust/Braintrust"
import { BraintrustClient } from "@promptops/braintrust/BraintrustClient"
import { Experiments } from "@promptops/core/Experiments"
import * as Ids from "@promptops/core/Ids"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { SpanSink } from "@promptops/core/SpanSink"
import { BraintrustEmulator } from "@promptops/emulators"
import { Effect, Layer, Redacted } from "effect"
import * as NodeFs from "node:fs"
import * as Net from "node:net"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as SpawnCli from "./spawnCli.js"
import type { Run } from "./spawnCli.js"


const apiKey = "bt-time-secret-key-0123456789"
const braintrust = await BraintrustEmulator.start({ apiKeys: [apiKey] })
const work = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "promptops-time-"))

/** A port nothing listens on: bound, then closed. */
const closedPort = await new Promise<number>((resolve) => {
  const server = Net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as Net.AddressInfo).port
    server.close(() => resolve(port))
  })
})

/** A vendor that accepts connections and never answers. */
const sockets = new Set<Net.Socket>()
const silent = Net.createServer((socket) => {
  sockets.add(socket)
  socket.on("close", () => sockets.delete(socket))
})
await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve))
const silentPort = (silent.address() as Net.AddressInfo).port

afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await Promise.all([braintrust.close(), new Promise((resolve) => silent.close(resolve))])
  NodeFs.rmSync(work, { recursive: true, force: true })
})

const environment = (apiUrl: string, project: string): Record<string, string> => ({
  PROMPTOPS_PROVIDER: "braintrust",
  BRAINTRUST_API_KEY: apiKey,
  BRAINTRUST_API_URL: apiUrl,
  BRAINTRUST_PROJECT: project
})

/** `promptops <args>` in `work`; `workMs` counts from the backend's announcement (Node and the CLI loaded) to the exit. */
const promptops = (args: ReadonlyArray<string>, env: Record<string, string>): Effect.Effect<Run> =>
  SpawnCli.cli(work, args, { env, announce: "braintrust: " })

const evalFile = NodePath.join(work, "hello.eval.ts")
NodeFs.writeFileSync(
  evalFile,
  `import * as Eval from "@promptops/core/Eval"
import { Effect } from "effect"
import * as Evaluator from "promptops/Evaluator"

export default Evaluator.make({
  name: "hello",
  data: [{ id: "ada", input: "Ada", expected: "Hello Ada" }],
  task: (name: string) => Effect.succeed("Hello " + name),
  scorers: [Eval.scorer("exact", ({ output, expected }) => (output === expected ? 1 : 0))]
})
`
)

/**
 * Correctness bounds, not benchmarks. The work, from the backend's
 * announcement to the exit, stays within the 10 s deadline plus slack (without
 * the deadline: 5 attempts × 30 s); the whole spawn also pays a Node start and
 * the CLI's import, seconds on a loaded 2-core machine.
 */
const WORK_BOUND_MS = 15_000
const BOUND_MS = 30_000
const timeout = { timeout: 120_000 }

describe.concurrent("bounded time against an unreachable vendor", () => {
  it.live("a closed port: experiments list and eval fail, say attempts and time, and exit at once", () =>
    Effect.gen(function*() {
      const env = environment(`http://127.0.0.1:${closedPort}`, "time-closed")
      const [list, run] = yield* Effect.all([
        promptops(["experiments", "list"], env),
        promptops(["eval", evalFile], env)
      ], { concurrency: 2 })
      for (const [name, result] of [["experiments list", list], ["eval", run]] as const) {
        assert.strictEqual(result.code, 1, `${name}: ${result.stderr}`)
        assert.isBelow(result.workMs, WORK_BOUND_MS, `${name} worked ${result.workMs} ms`)
        assert.isBelow(result.ms, BOUND_MS, `${name} took ${result.ms} ms`)
        assert.match(result.stderr, /gave up after \d+ attempts over \d+\.\d s: connection refused \(ECONNREFUSED\)/)
        assert.notInclude(result.stderr + result.stdout, apiKey)
      }
    }), timeout)

  it.live("a vendor that never answers: the 10 s deadline ends the 30 s attempts", () =>
    Effect.gen(function*() {
      const env = environment(`http://127.0.0.1:${silentPort}`, "time-silent")
      const [list, run] = yield* Effect.all([
        promptops(["experiments", "list"], env),
        promptops(["eval", evalFile], env)
      ], { concurrency: 2 })
      for (const [name, result] of [["experiments list", list], ["eval", run]] as const) {
        assert.strictEqual(result.code, 1, `${name}: ${result.stderr}`)
        assert.isBelow(result.workMs, WORK_BOUND_MS, `${name} worked ${result.workMs} ms`)
        assert.isBelow(result.ms, BOUND_MS, `${name} took ${result.ms} ms`)
        // The deadline ends the one attempt near 10 s, never at its 30 s timeout. On a loaded machine the
        // attempt starts a little after the call, so its limit is what is left of the deadline (`9s 990ms`).
        assert.match(result.stderr, /gave up after 1 attempt over 1\d\.\d s: no response within (10s|9s( \d+ms)?)\b/)
      }
    }), timeout)
})

// -----------------------------------------------------------------------------
// traces tail against the emulator
// -----------------------------------------------------------------------------

const PROJECT = "time-tail"

const braintrustLayer = (project: string) =>
  Braintrust.layer({ apiKey: Redacted.make(apiKey), apiUrl: braintrust.url, project }).pipe(
    Layer.provide(FetchHttpClient.layer)
  )

/** One trace: a root and a child. */
const trace = (destination: SpanRecord["destination"], traceId: string = Ids.traceId()): Array<SpanRecord> => {
  const root = Ids.spanId()
  const start = Date.now()
  const span = (spanId: string, name: string, parentSpanId?: string): SpanRecord => ({
    traceId,
    spanId,
    ...(parentSpanId === undefined ? {} : { parentSpanId }),
    name,
    kind: "task",
    startTime: start,
    endTime: start + 5,
    metadata: {},
    metrics: {},
    destination
  })
  return [span(root, "handle"), span(Ids.spanId(), "search", root)]
}

const logs: SpanRecord["destination"] = { _tag: "ProjectLogs" }
const shared = Ids.traceId().slice(0, 10)

/** 25 traces in 5 transactions, two of them sharing a 10-character id prefix, then one last trace alone. */
const seeded = await Effect.runPromise(
  Effect.gen(function*() {
    const sink = yield* SpanSink
    const experiments = yield* Experiments
    const batches: Array<Array<SpanRecord>> = []
    for (let b = 0; b < 5; b++) {
      batches.push(Array.from({ length: 5 }, (_, t) =>
        trace(logs, b === 2 && t < 2 ? `${shared}${Ids.traceId().slice(10)}` : undefined)).flat())
    }
    const last = trace(logs)
    for (const batch of [...batches, last]) yield* sink.export(batch)
    // Two runs of "nightly": spans only in the second, the latest.
    const firstRun = yield* experiments.create({ name: "nightly" })
    const secondRun = yield* experiments.create({ name: "nightly" })
    const inSecond = trace({ _tag: "Experiment", experimentId: secondRun.id })
    yield* sink.export(inSecond)
    // A project that exists and holds no spans.
    yield* Effect.flatMap(BraintrustClient, (client) => client.resolveProject("time-empty"))
    return { batches, last, firstRun, secondRun, inSecond }
  }).pipe(Effect.provide(braintrustLayer(PROJECT)))
)

const fetchesDuring = (from: number, to: number): number =>
  braintrust.requests.filter((request) =>
    request.path.endsWith("/fetch") && request.receivedAt >= from && request.receivedAt <= to
  ).length

const jsonSpans = (stdout: string): Array<SpanRecord> =>
  stdout.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line).span)

// One after the other: the fetch count is read off the emulator's request log by time.
describe("traces tail reads only what it shows", () => {
  it.live("-n 2: the two newest spans, oldest first, in one fetch request", () =>
    Effect.gen(function*() {
      const env = environment(braintrust.url, PROJECT)
      const from = Date.now()
      const tail = yield* promptops(["traces", "tail", "-n", "2", "--jsonl"], env)
      const to = Date.now()
      assert.strictEqual(tail.code, 0, tail.stderr)
      const spans = jsonSpans(tail.stdout)
      assert.deepStrictEqual(
        spans.map((span) => span.spanId).sort(),
        seeded.last.map((span) => span.spanId).sort(),
        "the last trace's two spans"
      )
      assert.strictEqual(fetchesDuring(from, to), 1, "one fetch request for 52 stored spans")

      // Text output: the short trace id printed is enough to read that trace back.
      const text = yield* promptops(["traces", "tail", "-n", "2"], env)
      const short = seeded.last[0]!.traceId.slice(0, 8)
      assert.include(text.stdout, ` ${short} `)
      const byShort = yield* promptops(["traces", "tail", "--trace", short, "--jsonl"], env)
      assert.strictEqual(byShort.code, 0, byShort.stderr)
      assert.deepStrictEqual(
        jsonSpans(byShort.stdout).map((span) => span.traceId),
        [seeded.last[0]!.traceId, seeded.last[0]!.traceId]
      )
    }), timeout)

  it.live("--trace: a prefix of a trace in the middle; an ambiguous one lists both; too short is a usage error", () =>
    Effect.gen(function*() {
      const env = environment(braintrust.url, PROJECT)
      const middle = seeded.batches[1]![4]!.traceId
      const [one, ambiguous, short] = yield* Effect.all([
        promptops(["traces", "tail", "--trace", middle.slice(0, 12), "--jsonl"], env),
        promptops(["traces", "tail", "--trace", shared], env),
        promptops(["traces", "tail", "--trace", "abc"], env)
      ], { concurrency: 2 })
      assert.strictEqual(one.code, 0, one.stderr)
      assert.deepStrictEqual(jsonSpans(one.stdout).map((span) => span.traceId), [middle, middle])
      assert.notStrictEqual(ambiguous.code, 0)
      const candidates = seeded.batches[2]!.map((span) => span.traceId).filter((id) => id.startsWith(shared))
      for (const id of candidates) assert.include(ambiguous.stderr, id)
      assert.notStrictEqual(short.code, 0)
      assert.include(short.stderr, "at least 8 hex characters")
    }), timeout)

  it.live("--experiment: a name reads its latest run; an empty tail says where it looked and exits 0", () =>
    Effect.gen(function*() {
      const env = environment(braintrust.url, PROJECT)
      const [byName, firstRun, empty] = yield* Effect.all([
        promptops(["traces", "tail", "--experiment", "nightly", "--jsonl"], env),
        promptops(["traces", "tail", "--experiment", seeded.firstRun.id], env),
        promptops(["traces", "tail"], environment(braintrust.url, "time-empty"))
      ], { concurrency: 2 })
      assert.strictEqual(byName.code, 0, byName.stderr)
      const spans = jsonSpans(byName.stdout)
      assert.deepStrictEqual(spans.map((span) => span.spanId).sort(), seeded.inSecond.map((span) => span.spanId).sort())
      assert.isTrue(spans.every((span) => span.destination._tag === "Experiment" &&
        span.destination.experimentId === seeded.secondRun.id))

      assert.strictEqual(firstRun.code, 0, firstRun.stderr)
      assert.strictEqual(firstRun.stdout, "")
      assert.include(firstRun.stderr, `no spans in experiment nightly (${seeded.firstRun.id}) yet`)

      assert.strictEqual(empty.code, 0, empty.stderr)
      assert.strictEqual(empty.stdout, "")
      assert.match(empty.stderr, /no spans in project logs of .*time-empty.* yet/)
    }), timeout)
})
