// The local viewer on a real store (issue 15, Build 6): "with 100,000 spans
// and 1,000 experiments the traces list and an experiment page show within
// 500 ms". A store of VIEW_SPANS spans and VIEW_EXPERIMENTS runs of VIEW_CASES
// cases is seeded in a temporary directory through the store's write path
// (clients/view-seed.mjs: `LocalSpanSink`, `LocalExperiments`; timed apart,
// reported, not budgeted), then `@promptops/view`'s server (built dist over
// `@promptops/local`, clients/view-server.mjs) runs in a process of its own
// on 127.0.0.1:0 and each request of lib/view.mjs is timed over real HTTP:
//   cold: the first request after the server started, one fresh server per
//     request and pass (VIEW_COLD_PASSES passes for the budgeted requests, one
//     for the rest; the p95 of so few samples is their worst). The store's
//     file was just written, so the OS page cache holds it: "cold" is the
//     server process's (module load done, first query, JIT), not the disk's;
//   warm: one server, each request once untimed, then VIEW_WARM times in a
//     row: median and p95.
// Every answer is checked (status, shape, filter kept) before it counts.
// The same seeded store serves every pass; the directory is removed at the end.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { median, percentile } from "../lib/compare.mjs"
import { deepCursor, endpoints, probePage, seed, startServer } from "../lib/view.mjs"

const SPANS = Number(process.env.VIEW_SPANS ?? 100_000)
const EXPERIMENTS = Number(process.env.VIEW_EXPERIMENTS ?? 1_000)
const CASES = Number(process.env.VIEW_CASES ?? 20)
const COLD_PASSES = Number(process.env.VIEW_COLD_PASSES ?? 2)
const WARM = Number(process.env.VIEW_WARM ?? 20)
/** How far into the traces list the deep page is (a share of the project-log roots). */
const DEEP = Number(process.env.VIEW_DEEP ?? 0.8)

const dir = mkdtempSync(join(tmpdir(), "promptops-bench-view-"))
const metrics = {}
try {
  const seeded = await seed(dir, { VIEW_SPANS: String(SPANS), VIEW_EXPERIMENTS: String(EXPERIMENTS), VIEW_CASES: String(CASES) })
  if (seeded.counts.spans !== SPANS || seeded.counts.experiments !== EXPERIMENTS || seeded.counts.results !== EXPERIMENTS * CASES) {
    throw new Error(`view: the store holds ${JSON.stringify(seeded.counts)}, not what was seeded`)
  }
  metrics.seed_spans = seeded.counts.spans
  metrics.seed_experiments = seeded.counts.experiments
  metrics.seed_results = seeded.counts.results
  metrics.seed_log_roots = seeded.counts.logRoots
  metrics.seed_spans_s = seeded.seedSpansMs / 1000
  metrics.seed_spans_per_s = seeded.counts.spans / (seeded.seedSpansMs / 1000)
  metrics.seed_experiments_s = seeded.seedExperimentsMs / 1000
  metrics.seed_wall_s = seeded.seedWallMs / 1000
  metrics.store_mb = seeded.storeBytes / 1024 / 1024

  // The deep page's cursor and a trace from it, walked once through the API (untimed).
  const setup = await startServer(dir)
  let deep, page
  try {
    deep = await deepCursor(setup, Math.floor(seeded.counts.logRoots * DEEP))
    page = await probePage(setup)
  } finally {
    await setup.close()
  }
  const requests = endpoints({ ...seeded.fixtures, deep, cases: CASES, page: page.served })

  const cold = {}
  const ready = []
  for (let pass = 0; pass < COLD_PASSES; pass++) {
    for (const request of requests) {
      // The rows without a budget get one cold sample: each costs a server start (~1–2 s of CPU).
      if (pass > 0 && !request.budgeted) continue
      const server = await startServer(dir)
      ready.push(server.readyMs)
      try {
        ;(cold[request.name] ??= []).push(await request.run(server))
      } finally {
        await server.close()
      }
    }
  }

  const warm = {}
  const server = await startServer(dir)
  let serverStats
  try {
    const before = await server.stats()
    for (const request of requests) {
      await request.run(server)
      for (let i = 0; i < WARM; i++) (warm[request.name] ??= []).push(await request.run(server))
    }
    serverStats = await server.stats()
    metrics.server_cpu_ms_per_request = (serverStats.cpuMs - before.cpuMs) / (requests.length * (WARM + 1))
  } finally {
    await server.close()
  }
  metrics.server_ready_ms = median(ready)
  metrics.server_peak_rss_mb = serverStats.peakRssMb

  for (const request of requests) {
    const c = [...cold[request.name]].sort((a, b) => a - b)
    const w = [...warm[request.name]].sort((a, b) => a - b)
    metrics[`${request.name}_cold_p95_ms`] = percentile(c, 95)
    metrics[`${request.name}_warm_ms`] = median(w)
    metrics[`${request.name}_warm_p95_ms`] = percentile(w, 95)
  }
  // The front end not served: no page rows, and a row that says so.
  if (!page.served) {
    metrics.page_not_served = 1
    console.error(`view: the page is not measured: ${page.why}`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log(JSON.stringify({ metrics }))
