// The view workload's plumbing, shared by the workload and its test: seeding
// a store (clients/view-seed.mjs, its own process), the server in a child
// process (clients/view-server.mjs), timed HTTP requests over keep-alive
// loopback connections (as a browser makes them), and the requests measured,
// each with a check of what it answered: a 404 or a wrong page is a failure,
// never a fast row.
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { Agent, request as httpRequest } from "node:http"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { benchDir } from "./compare.mjs"

/** The built front end, when there is one (`GET /` and its assets are measured only then). */
export const uiDir = fileURLToPath(new URL("../../packages/view/dist/ui", import.meta.url))

/** Runs the seeder into `dir`; resolves with its JSON line (figures, counts, fixtures). */
export const seed = (dir, env = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(benchDir, "clients/view-seed.mjs")], {
      cwd: benchDir,
      env: { ...process.env, ...env, VIEW_DIR: dir },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => { stdout += chunk })
    child.stderr.on("data", (chunk) => { stderr += chunk })
    child.on("error", reject)
    child.on("close", (code) => {
      const line = stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1)
      if (code !== 0 || line === undefined) reject(new Error(`view seed failed (${code}):\n${stderr.slice(-4000)}`))
      else resolve(JSON.parse(line))
    })
  })

/**
 * Starts the server over the store in `dir`; resolves when it listens with
 * `url`, `readyMs` (after its process started), `request(path)` (timed),
 * `stats()` (its CPU and memory) and `close()`.
 */
export const startServer = (dir) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(benchDir, "clients/view-server.mjs")], {
      cwd: benchDir,
      env: { ...process.env, VIEW_DIR: dir },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    let waiting
    let started = false
    child.stderr.on("data", (chunk) => { stderr += chunk })
    child.on("error", reject)
    child.on("exit", (code) => {
      const error = new Error(`view server exited (${code}):\n${stderr.slice(-4000)}`)
      if (!started) reject(error)
      waiting?.reject(error)
    })
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk) => {
      stdout += chunk
      let newline
      while ((newline = stdout.indexOf("\n")) >= 0) {
        const line = stdout.slice(0, newline)
        stdout = stdout.slice(newline + 1)
        if (!line.startsWith("{")) continue
        const message = JSON.parse(line)
        if (message.stats !== undefined) {
          waiting?.resolve(message.stats)
          waiting = undefined
        } else if (message.url !== undefined && !started) {
          started = true
          const agent = new Agent({ keepAlive: true, maxSockets: 6 })
          resolve({
            url: message.url,
            readyMs: message.readyMs,
            request: (path) => timedGet(agent, message.url, path),
            stats: () =>
              new Promise((done, fail) => {
                waiting = { resolve: done, reject: fail }
                child.stdin.write("stats\n")
              }),
            close: () =>
              new Promise((done) => {
                agent.destroy()
                child.removeAllListeners("exit")
                child.once("exit", () => done())
                child.kill("SIGTERM")
              })
          })
        }
      }
    })
  })

/** GET `path`: status, headers, body (text) and the milliseconds from sending to the last byte. */
const timedGet = (agent, base, path) =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const req = httpRequest(new URL(path, base), { agent, headers: { accept: "*/*" } }, (res) => {
      const chunks = []
      res.on("data", (chunk) => chunks.push(chunk))
      res.on("end", () =>
        resolve({
          path,
          status: res.statusCode,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          ms: performance.now() - started
        }))
      res.on("error", reject)
    })
    req.on("error", reject)
    req.end()
  })

const fail = (what, response, why) => {
  throw new Error(`view ${what}: ${why} (GET ${response.path} → ${response.status}: ${response.body.slice(0, 300)})`)
}

const json = (what, response) => {
  if (response.status !== 200) fail(what, response, "not 200")
  try {
    return JSON.parse(response.body)
  } catch {
    return fail(what, response, "not JSON")
  }
}

const checkRoots = (what, response, keep) => {
  const page = json(what, response)
  if (!Array.isArray(page.items) || page.items.length === 0) fail(what, response, "no traces")
  for (const span of page.items) {
    if (span.parentSpanId !== undefined) fail(what, response, `span ${span.spanId} is not a root`)
    if (span.destination?._tag !== "ProjectLogs") fail(what, response, `span ${span.spanId} is not in the project logs`)
    if (!keep(span)) fail(what, response, `span ${span.spanId} does not match the filter`)
  }
  return page
}

/**
 * Walks the traces list from the start, `limit` roots a page, until `depth`
 * roots are behind: the cursor of a deep page (a real one, from the API).
 */
export const deepCursor = async (server, depth, limit = 200) => {
  let cursor = null
  let seen = 0
  const first = new Set()
  while (seen < depth) {
    const response = await server.request(`/api/traces?limit=${limit}${cursor === null ? "" : `&cursor=${cursor}`}`)
    const page = checkRoots("deep walk", response, () => true)
    if (cursor === null) for (const span of page.items) first.add(span.spanId)
    seen += page.items.length
    if (page.cursor === null) break
    cursor = page.cursor
  }
  if (cursor === null) throw new Error(`view: the traces list ends before ${depth} roots (${seen})`)
  // A trace of that page, for the trace request: an old one, not what the first pages warmed.
  const page = checkRoots("deep page", await server.request(`/api/traces?cursor=${cursor}`), () => true)
  return { cursor, seen, first, traceId: page.items[0].traceId }
}

const assetsOf = (html) => [...html.matchAll(/(?:src|href)="(\/[^"/][^"]*)"/g)].map((m) => m[1])

/**
 * Whether the server serves the front end (`GET /` as HTML and every asset
 * it names, 200): `{ served, why }`. The page is measured only then.
 */
export const probePage = async (server) => {
  if (!existsSync(uiDir)) return { served: false, why: `${uiDir} is absent (the front end is not built)` }
  const html = await server.request("/")
  if (html.status !== 200 || !String(html.headers["content-type"]).includes("text/html")) {
    return { served: false, why: `GET / answered ${html.status} ${html.headers["content-type"]}: ${html.body.slice(0, 200)}` }
  }
  for (const asset of assetsOf(html.body)) {
    const answer = await server.request(asset)
    if (answer.status !== 200) return { served: false, why: `GET ${asset} answered ${answer.status}: ${answer.body.slice(0, 200)}` }
  }
  return { served: true, why: "" }
}

/**
 * The requests measured, each `{ name, run(server) → ms, budgeted }`: one
 * request (or the page's requests) timed, its answer checked. `fixtures`:
 * the seeder's plus `deep` (deepCursor's), `cases` (cases per run) and
 * `page` (whether probePage found the front end served).
 */
export const endpoints = (fixtures) => {
  const one = (name, path, check, budgeted = false) => ({
    name,
    budgeted,
    run: async (server) => {
      const response = await server.request(path)
      check(response)
      return response.ms
    }
  })
  const { experiment, baseline, logName, deep, cases } = fixtures
  const list = [
    one("traces", "/api/traces", (r) => {
      const page = checkRoots("traces", r, () => true)
      if (page.items.length !== 50 || page.cursor === null) fail("traces", r, "not a full first page with a cursor")
    }, true),
    one("traces_name", `/api/traces?name=${logName}`, (r) => checkRoots("traces by name", r, (s) => s.name === logName), true),
    one("traces_error", "/api/traces?error=true", (r) => checkRoots("traces with errors", r, (s) => s.error !== undefined), true),
    one("traces_kind", "/api/traces?kind=llm", (r) => checkRoots("traces by kind", r, (s) => s.kind === "llm"), true),
    one("traces_deep", `/api/traces?cursor=${deep.cursor}`, (r) =>
      checkRoots("a deep page", r, (s) => !deep.first.has(s.spanId)), true),
    one("trace", `/api/traces/${deep.traceId}`, (r) => {
      const page = json("a trace", r)
      if (page.traceId !== deep.traceId || !(page.spans?.length >= 2)) fail("a trace", r, "not the trace's tree")
      if (page.spans.some((s) => s.traceId !== deep.traceId)) fail("a trace", r, "a span of another trace")
    }),
    one("experiments", "/api/experiments", (r) => {
      const page = json("experiments", r)
      if (!Array.isArray(page.items) || page.items.length === 0 || page.items.length > 50) fail("experiments", r, "not a page")
      for (const row of page.items) {
        if (row.cases?.total !== cases || typeof row.state !== "string") fail("experiments", r, `row ${row.id} is incomplete`)
      }
    }),
    one("experiment", `/api/experiments/${experiment}`, (r) => {
      const page = json("an experiment", r)
      if (page.experiment?.id !== experiment) fail("an experiment", r, "not the experiment")
      if (baseline !== undefined && page.summary?.comparison?.id !== baseline) fail("an experiment", r, "no diff against its baseline")
      if (!Array.isArray(page.histograms) || page.histograms.length === 0) fail("an experiment", r, "no histograms")
    }, true),
    one("cases", `/api/experiments/${experiment}/cases?filter=regressions`, (r) => {
      const page = json("regressions", r)
      if (!Array.isArray(page.items) || page.items.length === 0) fail("regressions", r, "no regressions")
      if (page.items.some((row) => row.change !== "regression")) fail("regressions", r, "a row that is not a regression")
    }, true),
    {
      // What the experiment page loads at once: the summary and the first page of its cases.
      name: "experiment_page",
      budgeted: true,
      run: async (server) => {
        const started = performance.now()
        const [summary, rows] = await Promise.all([
          server.request(`/api/experiments/${experiment}`),
          server.request(`/api/experiments/${experiment}/cases`)
        ])
        const ms = performance.now() - started
        if (json("an experiment page", summary).experiment?.id !== experiment) fail("an experiment page", summary, "not the experiment")
        if (json("an experiment page", rows).items?.length !== Math.min(cases, 50)) fail("an experiment page", rows, "not every case")
        return ms
      }
    },
    one("compare", `/api/compare?ids=${experiment},${baseline}`, (r) => {
      const page = json("compare", r)
      if (page.experiments?.length !== 2 || !(page.rows?.items?.length > 0)) fail("compare", r, "not two runs side by side")
    })
  ]
  if (fixtures.page) {
    list.push({
      // The page and every same-origin script, style and image its HTML names, fetched as a browser does (≤ 6 at once).
      name: "page",
      budgeted: false,
      run: async (server) => {
        const started = performance.now()
        const html = await server.request("/")
        if (html.status !== 200 || !String(html.headers["content-type"]).includes("text/html")) fail("the page", html, "not HTML")
        const answers = await Promise.all(assetsOf(html.body).map((asset) => server.request(asset)))
        const ms = performance.now() - started
        for (const answer of answers) if (answer.status !== 200) fail("the page's asset", answer, "not 200")
        return ms
      }
    })
  }
  return list
}
