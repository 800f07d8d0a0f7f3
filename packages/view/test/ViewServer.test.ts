/**
 * The viewer's JSON API over real HTTP (127.0.0.1:0) on a local backend in a
 * SQLite file of a temporary directory: every endpoint's happy path and a
 * bad parameter, the origin and host checks, hostile span data kept as JSON
 * text, and the live endpoint following a running eval.
 */
import * as fs from "node:fs"
import * as Http from "node:http"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { afterAll, assert, describe, it, layer } from "@effect/vitest"
import * as Eval from "@promptops/core/Eval"
import type { EvalResult, Experiment } from "@promptops/core/Experiment"
import { Experiments } from "@promptops/core/Experiments"
import * as Ids from "@promptops/core/Ids"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import * as Scorers from "@promptops/core/Scorers"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { SpanSink } from "@promptops/core/SpanSink"
import * as Memory from "@promptops/core/Memory"
import { Prompts } from "@promptops/core/Prompts"
import * as Local from "@promptops/local/Local"
import { LocalStore } from "@promptops/local/LocalStore"
import { LocalView } from "@promptops/local/LocalView"
import { Context, Deferred, Effect, Fiber, Layer, type Scope } from "effect"
import * as ViewServer from "../src/ViewServer.js"

const dir = fs.mkdtempSync(Path.join(tmpdir(), "promptops-view-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

interface Reply {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly text: string
  readonly json: any
}

/** One request with full control of the headers (fetch may not set `Host`). */
const request = (
  url: string,
  options: { readonly method?: string; readonly headers?: Record<string, string>; readonly body?: unknown } = {}
): Effect.Effect<Reply> =>
  Effect.async<Reply>((resume) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body)
    const req = Http.request(url, {
      method: options.method ?? "GET",
      headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...options.headers }
    }, (res) => {
      let text = ""
      res.setEncoding("utf8")
      res.on("data", (chunk) => (text += chunk))
      res.on("end", () => {
        let json: unknown = undefined
        try {
          json = JSON.parse(text)
        } catch {
          // not JSON
        }
        resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, text, json }))
      })
    })
    req.on("error", (error) => resume(Effect.die(error)))
    if (body !== undefined) req.write(body)
    req.end()
  })

const result = (caseId: string, scores: Record<string, number | null>, extra: Partial<EvalResult> = {}): EvalResult => ({
  caseId,
  trial: 0,
  input: { question: caseId },
  output: `answer ${caseId}`,
  scores,
  metadata: {},
  durationMs: 5,
  ...extra
})

const HOSTILE = "<script>alert(1)</script>"
const traceId = Ids.traceId()
const rootId = Ids.spanId()
const childId = Ids.spanId()
const span = (spanId: string, parent: string | undefined, extra: Partial<SpanRecord> = {}): SpanRecord => ({
  traceId,
  spanId,
  ...(parent !== undefined ? { parentSpanId: parent } : {}),
  name: HOSTILE,
  kind: "task",
  startTime: 1_700_000_000_000,
  endTime: 1_700_000_000_050,
  input: { html: `<img src=x onerror="alert(2)">` },
  metadata: {},
  metrics: {},
  destination: { _tag: "ProjectLogs" },
  ...extra
})

interface Seeded {
  readonly url: string
  readonly base: Experiment
  readonly run: Experiment
}

class Seed extends Effect.Tag("test/Seed")<Seed, Seeded>() {}

const Backend = Local.layer({ dir })
const Server = ViewServer.layer({ pollInterval: "20 millis" }).pipe(Layer.provide(Backend))
const SeedLive = Layer.effect(
  Seed,
  Effect.gen(function*() {
    const experiments = yield* Experiments
    const base = yield* experiments.create({ name: "greet" })
    yield* experiments.log(base.id, [result("a", { exact: 1 }), result("b", { exact: 0.5 }), result("c", { exact: 1 })])
    yield* experiments.setState(base.id, { status: "complete", completed: 3, errors: 0, scorerErrors: 0 })
    const run = yield* experiments.create({ name: "greet", baseline: base.id })
    yield* experiments.log(run.id, [
      result("a", { exact: 0 }),
      result("b", { exact: 1 }),
      result("c", { exact: null }, { error: "boom" })
    ])
    const sink = yield* SpanSink
    yield* sink.export([
      span(rootId, undefined, { error: { message: "failed <b>" } }),
      span(childId, rootId, { kind: "llm", name: "child" }),
      span(Ids.spanId(), undefined, { traceId: Ids.traceId(), name: "other", kind: "function" })
    ])
    const registry = yield* PromptRegistry
    yield* registry.push({ slug: "hello", templateFormat: "mustache", messages: [{ role: "user", content: "Hi {{name}}" }] })
    yield* registry.push({ slug: "hello", templateFormat: "mustache", messages: [{ role: "user", content: "Hello {{name}}!" }] })
    const server = yield* ViewServer.ViewServer
    return { url: server.url, base, run }
  })
).pipe(Layer.provideMerge(Layer.merge(Server, Backend)))

const origin = (url: string) => ({ origin: url })

describe("ViewServer", () => {
  layer(SeedLive, { timeout: "30 seconds", excludeTestServices: true })((it) => {
    it.effect("binds 127.0.0.1 by default; JSON with nosniff from /api, 404 elsewhere", () =>
      Effect.gen(function*() {
        const { url } = yield* Seed
        assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
        const reply = yield* request(`${url}/api/experiments`)
        assert.strictEqual(reply.status, 200)
        assert.match(reply.headers["content-type"] ?? "", /^application\/json/)
        assert.strictEqual(reply.headers["x-content-type-options"], "nosniff")
        const missing = yield* request(`${url}/api/nothing`)
        assert.strictEqual(missing.status, 404)
        assert.strictEqual(missing.json.error._tag, "RouteNotFound")
        const page = yield* request(`${url}/index.html`)
        assert.strictEqual(page.status, 404)
        assert.notMatch(page.headers["content-type"] ?? "", /json/)
        // A page served under another host name (DNS rebinding) cannot read the API.
        const rebound = yield* request(`${url}/api/experiments`, { headers: { host: "evil.example:80" } })
        assert.strictEqual(rebound.status, 403)
      }))

    it.effect("experiments list: newest first, states, counts, means, trend; bad limit is a 400 naming it", () =>
      Effect.gen(function*() {
        const { base, run, url } = yield* Seed
        const reply = yield* request(`${url}/api/experiments?name=greet&limit=1`)
        assert.strictEqual(reply.status, 200)
        const [first] = reply.json.items
        assert.strictEqual(first.id, run.id)
        assert.strictEqual(first.state, "complete")
        assert.deepStrictEqual(first.cases, { total: 3, errored: 1 })
        assert.strictEqual(first.means.exact, 0.5)
        assert.deepStrictEqual(first.trend.exact, [2.5 / 3, 0.5])
        assert.isString(reply.json.cursor)
        const next = yield* request(`${url}/api/experiments?name=greet&limit=1&cursor=${reply.json.cursor}`)
        assert.strictEqual(next.json.items[0].id, base.id)
        assert.strictEqual(next.json.cursor, null)
        const bad = yield* request(`${url}/api/experiments?limit=0`)
        assert.strictEqual(bad.status, 400)
        assert.strictEqual(bad.json.error._tag, "BadParameter")
        assert.strictEqual(bad.json.error.field, "limit")
        const unknown = yield* request(`${url}/api/experiments?colour=red`)
        assert.strictEqual(unknown.status, 400)
        assert.strictEqual(unknown.json.error.field, "colour")
      }))

    it.effect("experiments list: LocalView's keyset path answers the same rows as the generic path over list()", () =>
      Effect.gen(function*() {
        const { url } = yield* Seed
        const experiments = yield* Experiments
        // Runs of `trendy` and names that are not (`trendy-x`, `trendy2`), interleaved with others.
        for (const [i, name] of ["trendy", "x", "trendy-2", "trendy-x", "trendy", "trendy2", "trendy"].entries()) {
          const created = yield* experiments.create({ name })
          yield* experiments.log(created.id, [result("a", { exact: i / 10, other: i % 2 === 0 ? 1 : null })])
        }
        // The same backend without LocalView: the generic path (every experiment through `list`).
        const generic = yield* ViewServer.make().pipe(
          Effect.mapInputContext((context: Context.Context<Scope.Scope | ViewServer.Requirements>) =>
            (context as Context.Context<LocalView | Scope.Scope | ViewServer.Requirements>).pipe(Context.omit(LocalView))
          )
        )
        /** Every page's items, each server following its own cursors. */
        const walk = (base: string, search: string) =>
          Effect.gen(function*() {
            const items: Array<unknown> = []
            let cursor: string | null = null
            for (let guard = 0; guard < 50; guard++) {
              const reply: Reply = yield* request(`${base}/api/experiments?${search}${cursor === null ? "" : `&cursor=${cursor}`}`)
              assert.strictEqual(reply.status, 200, reply.text)
              items.push(...reply.json.items)
              cursor = reply.json.cursor
              if (cursor === null) break
            }
            return items
          })
        for (const search of ["limit=200", "limit=2", "name=trendy&limit=1&trend=2", "name=trendy&trend=50", "name=greet&limit=3"]) {
          const local = yield* walk(url, search)
          assert.isAbove(local.length, 0, search)
          assert.deepStrictEqual(local, yield* walk(generic.url, search), search)
        }
        const trendy = yield* walk(url, "name=trendy&trend=3")
        assert.deepStrictEqual(trendy.map((row: any) => row.name), ["trendy", "trendy", "trendy-2", "trendy"])
        // The newest `trendy`: its own mean last, the two runs of exactly `trendy` before it first.
        assert.deepStrictEqual((trendy[0] as any).trend.exact, [0, 0.4, 0.6])
        assert.deepStrictEqual((trendy[0] as any).trend.other, [1, 1, 1])
      }).pipe(Effect.scoped))

    it.effect("one trace: spans oldest first by start time, parents before children on ties, whatever the arrival order", () =>
      Effect.gen(function*() {
        const { url } = yield* Seed
        const trace = Ids.traceId()
        const [root, chat, tool, late] = [Ids.spanId(), Ids.spanId(), Ids.spanId(), Ids.spanId()]
        const at = (spanId: string, parent: string | undefined, start: number, name: string) =>
          span(spanId, parent, {
            traceId: trace,
            name,
            startTime: 1_800_000_000_000 + start,
            endTime: 1_800_000_000_100,
            // Under an experiment, so the project logs the traces-list test reads stay as seeded.
            destination: { _tag: "Experiment", experimentId: "order" }
          })
        const sink = yield* SpanSink
        // As an OTLP exporter sends them: children end (and arrive) before their parents.
        yield* sink.export([at(late, root, 50, "late"), at(tool, chat, 0, "tool")])
        yield* sink.export([at(chat, root, 0, "chat")])
        yield* sink.export([at(root, undefined, 0, "root")])
        const reply = yield* request(`${url}/api/traces/${trace}?experiment=order`)
        assert.strictEqual(reply.status, 200)
        assert.deepStrictEqual(reply.json.spans.map((s: any) => s.name), ["root", "chat", "tool", "late"])
      }))

    it.effect("one experiment: core's summary against its baseline, histograms; bad bins and unknown ids", () =>
      Effect.gen(function*() {
        const { base, run, url } = yield* Seed
        const reply = yield* request(`${url}/api/experiments/${run.id}?bins=2`)
        assert.strictEqual(reply.status, 200)
        assert.strictEqual(reply.json.summary.comparison.id, base.id)
        assert.strictEqual(reply.json.summary.scores.exact.regressions, 2)
        assert.strictEqual(reply.json.summary.scores.exact.improvements, 1)
        assert.deepStrictEqual(reply.json.histograms, [{ score: "exact", edges: [0, 0.5, 1], counts: [1, 1] }])
        const bad = yield* request(`${url}/api/experiments/${run.id}?bins=x`)
        assert.strictEqual(bad.status, 400)
        assert.strictEqual(bad.json.error.field, "bins")
        const missing = yield* request(`${url}/api/experiments/nope`)
        assert.strictEqual(missing.status, 404)
        assert.strictEqual(missing.json.error._tag, "NotFound")
      }))

    it.effect("cases: filtered to regressions, improvements, errors, each with its trace ids; bad filter", () =>
      Effect.gen(function*() {
        const { run, url } = yield* Seed
        const ids = (reply: Reply) => reply.json.items.map((row: any) => row.result.caseId)
        const regressions = yield* request(`${url}/api/experiments/${run.id}/cases?filter=regressions`)
        assert.deepStrictEqual(ids(regressions), ["a", "c"])
        assert.deepStrictEqual(regressions.json.items[0].baselineScores, { exact: 1 })
        assert.isTrue("traceId" in regressions.json.items[0] && "rootSpanId" in regressions.json.items[0])
        assert.deepStrictEqual(ids(yield* request(`${url}/api/experiments/${run.id}/cases?filter=improvements`)), ["b"])
        assert.deepStrictEqual(ids(yield* request(`${url}/api/experiments/${run.id}/cases?filter=errors`)), ["c"])
        const all = yield* request(`${url}/api/experiments/${run.id}/cases?limit=2`)
        assert.deepStrictEqual(ids(all), ["a", "b"])
        assert.strictEqual(all.json.cursor, "2")
        const bad = yield* request(`${url}/api/experiments/${run.id}/cases?filter=worse`)
        assert.strictEqual(bad.status, 400)
        assert.strictEqual(bad.json.error.field, "filter")
      }))

    it.effect("compare: per-score mean and spread, rows keyed by case; one id is a 400", () =>
      Effect.gen(function*() {
        const { base, run, url } = yield* Seed
        const reply = yield* request(`${url}/api/compare?ids=${base.id},${run.id}`)
        assert.strictEqual(reply.status, 200)
        assert.strictEqual(reply.json.experiments[1].scores.exact.mean, 0.5)
        assert.strictEqual(reply.json.experiments[1].scores.exact.spread, 0.5)
        const rowA = reply.json.rows.items.find((row: any) => row.caseId === "a")
        assert.deepStrictEqual(rowA.runs.map((r: any) => r.scores.exact), [1, 0])
        const bad = yield* request(`${url}/api/compare?ids=${base.id}`)
        assert.strictEqual(bad.status, 400)
        assert.strictEqual(bad.json.error.field, "ids")
      }))

    it.effect("traces: roots newest first with filters and a keyset cursor; hostile names stay JSON text", () =>
      Effect.gen(function*() {
        const { url } = yield* Seed
        const reply = yield* request(`${url}/api/traces`)
        assert.strictEqual(reply.status, 200)
        assert.match(reply.headers["content-type"] ?? "", /^application\/json/)
        assert.deepStrictEqual(reply.json.items.map((s: any) => s.name), ["other", HOSTILE])
        // The markup is in the body as JSON string text, byte for byte, never as HTML.
        assert.include(reply.text, JSON.stringify(HOSTILE))
        const errors = yield* request(`${url}/api/traces?error=true`)
        assert.deepStrictEqual(errors.json.items.map((s: any) => s.spanId), [rootId])
        const byKind = yield* request(`${url}/api/traces?kind=function`)
        assert.deepStrictEqual(byKind.json.items.map((s: any) => s.name), ["other"])
        const paged = yield* request(`${url}/api/traces?limit=1`)
        assert.strictEqual(paged.json.items.length, 1)
        const rest = yield* request(`${url}/api/traces?limit=1&cursor=${paged.json.cursor}`)
        assert.deepStrictEqual(rest.json.items.map((s: any) => s.spanId), [rootId])
        assert.strictEqual(rest.json.cursor, null)
        const timed = yield* request(`${url}/api/traces?from=1700000000001`)
        assert.deepStrictEqual(timed.json.items, [])
        const bad = yield* request(`${url}/api/traces?kind=weird`)
        assert.strictEqual(bad.status, 400)
        assert.strictEqual(bad.json.error.field, "kind")
        const badCursor = yield* request(`${url}/api/traces?cursor=abc`)
        assert.strictEqual(badCursor.json.error.field, "cursor")
      }))

    it.effect("one trace and one span: every span, hostile input unchanged; an unknown span is a 400", () =>
      Effect.gen(function*() {
        const { url } = yield* Seed
        const trace = yield* request(`${url}/api/traces/${traceId}`)
        assert.strictEqual(trace.status, 200)
        assert.deepStrictEqual(trace.json.spans.map((s: any) => s.spanId), [rootId, childId])
        const one = yield* request(`${url}/api/traces/${traceId}/spans/${rootId}`)
        assert.strictEqual(one.json.input.html, `<img src=x onerror="alert(2)">`)
        assert.strictEqual(one.json.error.message, "failed <b>")
        const bad = yield* request(`${url}/api/traces/${traceId}/spans/0000000000000000`)
        assert.strictEqual(bad.status, 400)
        assert.strictEqual(bad.json.error.field, "spanId")
      }))

    it.effect("prompts: list, versions and tags, a diff, a strict render preview; bad parameters", () =>
      Effect.gen(function*() {
        const { url } = yield* Seed
        const list = yield* request(`${url}/api/prompts`)
        assert.deepStrictEqual(list.json.items.map((p: any) => p.slug), ["hello"])
        const versions = yield* request(`${url}/api/prompts/hello/versions`)
        assert.deepStrictEqual(versions.json.versions.map((v: any) => v.version), ["1", "2"])
        const diff = yield* request(`${url}/api/prompts/hello/diff?from=1&to=2`)
        assert.strictEqual(diff.status, 200)
        assert.deepStrictEqual(diff.json.changes.map((c: any) => [c.path, c.before, c.after]), [
          ["messages[0].content", "Hi {{name}}", "Hello {{name}}!"]
        ])
        const noTo = yield* request(`${url}/api/prompts/hello/diff?from=1`)
        assert.strictEqual(noTo.status, 400)
        assert.strictEqual(noTo.json.error.field, "to")
        const render = yield* request(`${url}/api/prompts/hello/render`, {
          method: "POST",
          headers: origin(url),
          body: { version: "1", variables: { name: HOSTILE } }
        })
        assert.strictEqual(render.status, 200)
        assert.strictEqual(render.json.rendered.messages[0].content, `Hi ${HOSTILE}`)
        const missing = yield* request(`${url}/api/prompts/hello/render`, {
          method: "POST",
          headers: origin(url),
          body: { variables: {} }
        })
        assert.strictEqual(missing.status, 400)
        assert.strictEqual(missing.json.error._tag, "TemplateError")
        assert.include(missing.json.error.message, "name")
        const badBody = yield* request(`${url}/api/prompts/hello/render`, { method: "POST", headers: origin(url), body: {} })
        assert.strictEqual(badBody.status, 400)
        assert.strictEqual(badBody.json.error.field, "body.variables")
      }))

    it.effect("feedback: written through Feedback from the own origin; cross-origin or no origin is 403; bad body 400", () =>
      Effect.gen(function*() {
        const { url } = yield* Seed
        const ok = yield* request(`${url}/api/feedback`, {
          method: "POST",
          headers: origin(url),
          body: { spanId: rootId, scores: { helpful: 1 }, comment: HOSTILE }
        })
        assert.strictEqual(ok.status, 201)
        const store = yield* LocalStore
        const rows = yield* store.read(
          "test",
          store.sql<{ target_id: string; comment: string }>`SELECT target_id, comment FROM feedback WHERE id = ${ok.json.id}`
        )
        assert.deepStrictEqual(rows.map((r) => [r.target_id, r.comment]), [[rootId, HOSTILE]])
        const sameSite = yield* request(`${url}/api/feedback`, {
          method: "POST",
          headers: { "sec-fetch-site": "same-origin" },
          body: { spanId: rootId, comment: "ok" }
        })
        assert.strictEqual(sameSite.status, 201)
        const cross = yield* request(`${url}/api/feedback`, {
          method: "POST",
          headers: { origin: "http://evil.example" },
          body: { spanId: rootId, comment: "x" }
        })
        assert.strictEqual(cross.status, 403)
        assert.strictEqual(cross.json.error._tag, "Forbidden")
        const none = yield* request(`${url}/api/feedback`, { method: "POST", body: { spanId: rootId, comment: "x" } })
        assert.strictEqual(none.status, 403)
        const bad = yield* request(`${url}/api/feedback`, {
          method: "POST",
          headers: origin(url),
          body: { spanId: rootId, scores: { helpful: 2 } }
        })
        assert.strictEqual(bad.status, 400)
        assert.strictEqual(bad.json.error.field, "body.scores.helpful")
      }))

    it.effect("live: a running eval's results and summary arrive as server-sent events", () =>
      Effect.gen(function*() {
        const { url } = yield* Seed
        const started = yield* Deferred.make<Experiment>()
        const gate = yield* Deferred.make<void>()
        const fiber = yield* Eval.run({
          name: "live",
          data: [{ input: "a", expected: "a" }, { input: "b", expected: "b" }],
          task: (input: string) => (input === "b" ? Effect.as(Deferred.await(gate), input) : Effect.succeed(input)),
          scorers: [Scorers.exact()],
          concurrency: 1,
          batchSize: 1,
          onProgress: (event) => (event._tag === "Started" ? Deferred.succeed(started, event.experiment) : Effect.void)
        }).pipe(Effect.fork)
        const experiment = yield* Deferred.await(started)
        const events: Array<string> = []
        const seen = yield* Deferred.make<void>()
        const sawSecond = yield* Deferred.make<void>()
        // Read the stream until the second case's result comes through.
        const req = yield* Effect.sync(() =>
          Http.get(`${url}/api/experiments/${experiment.id}/live`, (res) => {
            events.push(`content-type: ${res.headers["content-type"]}`)
            res.setEncoding("utf8")
            let buffer = ""
            res.on("data", (chunk: string) => {
              buffer += chunk
              const parts = buffer.split("\n\n")
              buffer = parts.pop() ?? ""
              for (const part of parts) {
                events.push(part)
                if (part.startsWith("event: summary")) Deferred.unsafeDone(seen, Effect.void)
                if (part.startsWith("event: results") && part.includes("\"caseId\":\"")) {
                  const data = JSON.parse(part.split("\ndata: ")[1]!)
                  if (data.some((r: EvalResult) => r.output === "b")) Deferred.unsafeDone(sawSecond, Effect.void)
                }
              }
            })
          })
        )
        yield* Deferred.await(seen)
        yield* Deferred.succeed(gate, undefined)
        yield* Deferred.await(sawSecond)
        yield* Fiber.join(fiber)
        req.destroy()
        assert.strictEqual(events[0], "content-type: text/event-stream")
        assert.isTrue(events.some((e) => e.startsWith("event: summary")))
      }))
  })

  it.live("a backend without Feedback or TraceReader: 501 with the typed Unsupported message", () =>
    Effect.gen(function*() {
      const services = Memory.makeServices(Memory.makeState())
      const context = Context.make(Experiments, services.experiments).pipe(Context.add(Prompts, services.prompts))
      const server = yield* ViewServer.make().pipe(Effect.provide(context))
      const feedback = yield* request(`${server.url}/api/feedback`, {
        method: "POST",
        headers: origin(server.url),
        body: { spanId: "s", comment: "c" }
      })
      assert.strictEqual(feedback.status, 501)
      assert.strictEqual(feedback.json.error._tag, "Unsupported")
      assert.include(feedback.json.error.message, "keeps no feedback")
      const traces = yield* request(`${server.url}/api/traces`)
      assert.strictEqual(traces.status, 501)
      assert.include(traces.json.error.message, "cannot read traces back")
    }).pipe(Effect.scoped))
})
