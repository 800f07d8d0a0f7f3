/**
 * The view workload's parts in a tiny mode (2,000 spans, 24 runs of 5 cases):
 * the seeder writes exactly what it is asked through the store's write path,
 * the server process serves it, every measured request answers what it
 * should and its check refuses a wrong answer, and the whole workload prints
 * every budgeted figure. How fast anything is, is not checked. The clients
 * are plain Node processes over the packages' built `dist`
 * (`npx turbo run build --filter=@promptops/view...` first).
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { deepCursor, endpoints, probePage, seed, type Seeded, type Server, startServer } from "../lib/view.mjs"

const bench = fileURLToPath(new URL("..", import.meta.url))
const TINY = { VIEW_SPANS: "2000", VIEW_EXPERIMENTS: "24", VIEW_CASES: "5" }

let dir: string
let seeded: Seeded
let server: Server
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "promptops-view-test-"))
  seeded = await seed(dir, TINY)
  server = await startServer(dir)
}, 120_000)
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const budgeted = ["traces", "traces_name", "traces_error", "traces_kind", "traces_deep", "experiment", "cases", "experiment_page"]

describe("view workload (tiny mode)", () => {
  it("the seeder writes exactly the spans, runs and results asked, read back from the store", () => {
    assert.deepStrictEqual(
      { spans: seeded.counts.spans, experiments: seeded.counts.experiments, results: seeded.counts.results },
      { spans: 2000, experiments: 24, results: 120 }
    )
    // Every other run traced: 12 runs × 5 cases × eval → task → llm → http.
    assert.strictEqual(seeded.counts.experimentSpans, 240)
    assert.isAbove(seeded.counts.logRoots, 300)
    assert.isAbove(seeded.batches, 19)
    assert.isTrue(seeded.seedSpansMs > 0 && seeded.seedExperimentsMs > 0 && seeded.storeBytes > 0)
    // The measured run has a baseline and traces.
    assert.isString(seeded.fixtures.baseline)
    assert.isTrue(seeded.fixtures.traced)
  })

  it("every measured request answers what it should on the seeded store", { timeout: 60_000 }, async () => {
    const deep = await deepCursor(server, Math.floor(seeded.counts.logRoots * 0.8))
    assert.isAtLeast(deep.seen, Math.floor(seeded.counts.logRoots * 0.8))
    assert.match(deep.cursor, /^\d+$/)
    const page = await probePage(server)
    const requests = endpoints({ ...seeded.fixtures, deep, cases: 5, page: page.served })
    for (const name of [...budgeted, "trace", "experiments", "compare"]) {
      assert.isTrue(requests.some((request) => request.name === name), name)
    }
    assert.deepStrictEqual(requests.filter((request) => request.budgeted).map((request) => request.name), budgeted)
    for (const request of requests) {
      // Twice: the first answer of a route and a later one are both checked.
      for (let i = 0; i < 2; i++) {
        const ms = await request.run(server)
        assert.isTrue(Number.isFinite(ms) && ms > 0, `${request.name}: ${ms}`)
      }
    }
    const stats = await server.stats()
    assert.isAbove(stats.peakRssMb, 10)
    assert.isAbove(stats.cpuMs, 0)
  })

  it("a wrong answer fails the request instead of being timed", async () => {
    const deep = { cursor: "10", seen: 100, first: new Set(["aaaaaaaaaaaaaaaa"]), traceId: "b".repeat(32) }
    const requests = endpoints({ ...seeded.fixtures, deep, cases: 5, page: false })
    const answering = (status: number, body: unknown): Pick<Server, "request"> => ({
      request: async (path) => ({ path, status, headers: { "content-type": "application/json" }, body: JSON.stringify(body), ms: 1 })
    })
    // A missing route: every request fails.
    for (const request of requests) {
      const outcome = await request.run(answering(404, { error: { _tag: "RouteNotFound" } })).then(() => "ok", () => "failed")
      assert.strictEqual(outcome, "failed", request.name)
    }
    // A page that ignores the filters (and is short, and holds a span of the first page): each traces request refuses it.
    const unfiltered = answering(200, {
      items: [{ spanId: "aaaaaaaaaaaaaaaa", traceId: "c".repeat(32), name: "chat", kind: "task", destination: { _tag: "ProjectLogs" } }],
      cursor: null
    })
    for (const name of ["traces", "traces_name", "traces_error", "traces_kind", "traces_deep"]) {
      const request = requests.find((candidate) => candidate.name === name)!
      const outcome = await request.run(unfiltered).then(() => "ok", () => "failed")
      assert.strictEqual(outcome, "failed", name)
    }
    // A regressions page with a row that is not one.
    const cases = requests.find((candidate) => candidate.name === "cases")!
    const notRegressions = answering(200, { items: [{ change: "improvement" }], cursor: null })
    assert.strictEqual(await cases.run(notRegressions).then(() => "ok", () => "failed"), "failed")
  })

  it("the whole workload in a tiny mode prints every budgeted figure as a number", { timeout: 240_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--expose-gc", "workloads/view.mjs"], {
      cwd: bench,
      env: { ...process.env, ...TINY, VIEW_COLD_PASSES: "1", VIEW_WARM: "3" }
    })
    const line = stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1)!
    const { metrics } = JSON.parse(line) as { metrics: Record<string, number> }
    const budget = JSON.parse(readFileSync(join(bench, "workloads/view.budget.json"), "utf8")) as {
      budgets: Record<string, unknown>
      units: Record<string, string>
    }
    for (const name of Object.keys(budget.budgets)) {
      assert.isTrue(Number.isFinite(metrics[name]) && metrics[name]! > 0, `${name} = ${metrics[name]}`)
    }
    for (const name of budgeted) assert.property(budget.budgets, `${name}_cold_p95_ms`)
    // Every figure printed has its unit.
    for (const name of Object.keys(metrics)) assert.property(budget.units, name)
    assert.strictEqual(metrics.seed_spans, 2000)
    assert.strictEqual(metrics.seed_experiments, 24)
    assert.isAbove(metrics.server_peak_rss_mb!, 10)
    // The page is measured when the front end is served, and said to be missing otherwise.
    assert.isTrue(metrics.page_warm_ms !== undefined || metrics.page_not_served === 1)
  })
})
