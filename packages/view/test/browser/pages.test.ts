/**
 * The viewer's pages in headless Chromium (`playwright-core` driving the
 * system's Chromium, see `chromium.ts`), against a real `ViewServer` on
 * 127.0.0.1:0 over a local store in a temporary directory, seeded by real
 * evals (`Eval.run` under `Tracing`) and spans.
 *
 * An app instrumented with the official OpenTelemetry JS SDK exports GenAI
 * spans to the viewer's `/v1/traces` (protobuf and JSON), and the traces
 * pages show them field for field.
 *
 * Screenshots of every page go to a temporary directory, or to
 * `PROMPTOPS_SCREENSHOTS` when set (the README's are made with
 * `PROMPTOPS_SCREENSHOTS=packages/view/docs/screenshots`).
 */
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { afterAll, assert, beforeAll, describe, layer } from "@effect/vitest"
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api"
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base"
import * as Eval from "@promptops/core/Eval"
import type { Experiment } from "@promptops/core/Experiment"
import * as Ids from "@promptops/core/Ids"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import * as Scorers from "@promptops/core/Scorers"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { SpanSink } from "@promptops/core/SpanSink"
import * as Tracing from "@promptops/core/Tracing"
import * as Local from "@promptops/local/Local"
import { LocalStore } from "@promptops/local/LocalStore"
import { Deferred, Effect, Fiber, Layer, type Scope } from "effect"
import { type Browser, chromium, type Page } from "playwright-core"
import { build } from "tsup"
import { uiBuild } from "../../ui/build.js"
import * as ViewServer from "../../src/ViewServer.js"
import { chromiumPath } from "./chromium.js"

const dir = fs.mkdtempSync(Path.join(tmpdir(), "promptops-view-ui-"))
const shots = process.env["PROMPTOPS_SCREENSHOTS"] !== undefined && process.env["PROMPTOPS_SCREENSHOTS"] !== ""
  ? Path.resolve(process.env["PROMPTOPS_SCREENSHOTS"])
  : fs.mkdtempSync(Path.join(tmpdir(), "promptops-view-shots-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

// The pages as the package build makes them, built fresh from `ui/`.
beforeAll(async () => {
  await build({ ...uiBuild, silent: true })
}, 120_000)

/** Markup in span and case data: it must show as text and run nothing. */
const IMG = `<img src=x onerror="window.__pwned='img'">`
const SCRIPT = `<script>window.__pwned='script'</script>`

const hostileTrace = Ids.traceId()
const hostileRoot = Ids.spanId()
const hostileChild = Ids.spanId()
const hostileSpan = (spanId: string, parent: string | undefined, extra: Partial<SpanRecord>): SpanRecord => ({
  traceId: hostileTrace,
  spanId,
  ...(parent !== undefined ? { parentSpanId: parent } : {}),
  name: SCRIPT,
  kind: "task",
  startTime: Date.UTC(2026, 11, 1, 12, 0, 0),
  endTime: Date.UTC(2026, 11, 1, 12, 0, 0, 400),
  input: { question: IMG },
  output: "fine",
  metadata: { note: SCRIPT, nested: { html: IMG } },
  metrics: { promptTokens: 12, completionTokens: 30, totalTokens: 42, cost: 0.00042 },
  destination: { _tag: "ProjectLogs" },
  ...extra
})

const ANSWERS: Record<string, string> = {
  capital: "Paris is the capital of France",
  color: "The sky is blue on a clear day",
  sum: "2 + 2 = 4"
}
const DATA = [
  { id: "capital", input: "What is the capital of France?", expected: ANSWERS["capital"]! },
  { id: "color", input: "What colour is the sky?", expected: ANSWERS["color"]! },
  { id: "sum", input: "What is 2 + 2?", expected: ANSWERS["sum"]! },
  { id: "hostile", input: IMG, expected: "ok" }
]

/** A task under its own span, with an LLM child span carrying usage. */
const answer = (outputs: Record<string, string>) => (input: string, context: Eval.TaskContext<string>) =>
  Effect.gen(function*() {
    const id = context.caseId
    yield* Effect.yieldNow().pipe(Effect.withSpan("llm.call", { attributes: { "promptops.kind": "llm" } }))
    if (outputs[id] === "!fail") return yield* Effect.fail(new Error(`model refused ${id}`))
    return Eval.output(outputs[id] ?? input, { usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 } })
  })

const scorers = [Scorers.levenshtein<string, string, string>()]

interface Seeded {
  readonly url: string
  readonly base: Experiment
  readonly run: Experiment
  readonly browser: Browser
}

class Seed extends Effect.Tag("test/ViewPagesSeed")<Seed, Seeded>() {}

const Backend = Local.layer({ dir })
const Traced = Tracing.layer()
const Server = ViewServer.layer({ pollInterval: "50 millis" }).pipe(Layer.provide(Backend))

const SeedLive = Layer.scoped(
  Seed,
  Effect.gen(function*() {
    const registry = yield* PromptRegistry
    yield* registry.push({
      slug: "greet",
      templateFormat: "mustache",
      messages: [{ role: "system", content: "You are terse." }, { role: "user", content: "Say hello to {{name}}." }]
    })
    yield* registry.push({
      slug: "greet",
      templateFormat: "mustache",
      messages: [{ role: "system", content: "You are kind and terse." }, { role: "user", content: "Say a warm hello to {{name}} from {{place}}." }]
    })
    const first = yield* Eval.run({
      name: "qa",
      data: DATA,
      task: answer({ ...ANSWERS, hostile: SCRIPT }),
      scorers
    }).pipe(Effect.provide(Traced))
    const second = yield* Eval.run({
      name: "qa",
      data: DATA,
      baseline: first.experiment.id,
      // capital regresses, sum fails, color is the same, hostile improves
      task: answer({ capital: "Paris, I think", color: ANSWERS["color"]!, sum: "!fail", hostile: `ok ${SCRIPT}` }),
      scorers
    }).pipe(Effect.provide(Traced))
    const sink = yield* SpanSink
    yield* sink.export([
      hostileSpan(hostileRoot, undefined, { error: { message: `failed ${IMG}` } }),
      hostileSpan(hostileChild, hostileRoot, {
        kind: "llm",
        name: `chat ${IMG}`,
        output: IMG,
        startTime: Date.UTC(2026, 11, 1, 12, 0, 0, 50),
        endTime: Date.UTC(2026, 11, 1, 12, 0, 0, 300)
      })
    ])
    const server = yield* ViewServer.ViewServer
    const browser = yield* Effect.acquireRelease(
      Effect.promise(() => chromium.launch({ executablePath: chromiumPath(), headless: true })),
      (browser) => Effect.promise(() => browser.close())
    )
    return { url: server.url, base: first.experiment, run: second.experiment, browser }
  })
).pipe(Layer.provideMerge(Layer.merge(Server, Backend)))

const p = <A>(f: () => Promise<A>): Effect.Effect<A> => Effect.promise(f)

interface Opened {
  readonly page: Page
  readonly dialogs: Array<string>
  readonly errors: Array<string>
}

/** A fresh page that records dialogs (none may open) and script errors. */
const open = (browser: Browser, url: string): Effect.Effect<Opened, never, Scope.Scope> =>
  Effect.acquireRelease(
    p(async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 860 } })
      // Fail a step well within the test's timeout, naming what was awaited.
      page.setDefaultTimeout(10_000)
      const dialogs: Array<string> = []
      const errors: Array<string> = []
      page.on("dialog", (dialog) => {
        dialogs.push(dialog.message())
        void dialog.dismiss()
      })
      page.on("pageerror", (error) => errors.push(error.message))
      await page.goto(url)
      return { page, dialogs, errors }
    }),
    ({ page }) => p(() => page.close())
  )

const screenshot = (page: Page, name: string) =>
  p(async () => {
    fs.mkdirSync(shots, { recursive: true })
    await page.screenshot({ path: Path.join(shots, `${name}.png`), fullPage: true })
  })

// ---------------------------------------------------------------------------------------------------------------
// An app instrumented with the OpenTelemetry JS SDK

const OTEL_T0 = Date.UTC(2026, 11, 2, 9, 30, 0)

/**
 * An agent turn as the OpenTelemetry JS SDK records it: `invoke_agent` with a
 * chat call (provider, model, usage, input and output messages) and a tool
 * call that fails. The simple processor exports each span when it ends, so the
 * children reach the viewer before their parent.
 */
const instrumentedApp = (exporter: SpanExporter, traceId: string) =>
  p(async () => {
    let next = 0
    const results: Array<number> = []
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": "support-bot" }),
      idGenerator: { generateTraceId: () => traceId, generateSpanId: () => `${traceId.slice(0, 15)}${++next}` },
      spanProcessors: [new SimpleSpanProcessor({
        export: (spans, done) => exporter.export(spans, (result) => (results.push(result.code), done(result))),
        shutdown: () => exporter.shutdown(),
        forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve()
      })]
    })
    const tracer = provider.getTracer("support-bot-genai", "1.0.0")
    const agent = tracer.startSpan("invoke_agent support", {
      startTime: OTEL_T0,
      attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support" }
    })
    const inAgent = trace.setSpan(ROOT_CONTEXT, agent)
    const chat = tracer.startSpan("chat gpt-4o", {
      kind: SpanKind.CLIENT,
      startTime: OTEL_T0 + 10,
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 5,
        "gen_ai.input.messages": JSON.stringify([
          { role: "system", parts: [{ type: "text", content: "Be brief." }] },
          { role: "user", parts: [{ type: "text", content: "Weather in Paris?" }] }
        ]),
        "gen_ai.output.messages": JSON.stringify([
          { role: "assistant", parts: [{ type: "text", content: "Sunny, 18 °C." }], finish_reason: "stop" }
        ])
      }
    }, inAgent)
    chat.end(OTEL_T0 + 400)
    const tool = tracer.startSpan("execute_tool get_weather", {
      startTime: OTEL_T0 + 401,
      attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather" }
    }, inAgent)
    const failure = new Error("upstream timed out")
    failure.name = "TimeoutError"
    tool.recordException(failure, OTEL_T0 + 450)
    tool.setStatus({ code: SpanStatusCode.ERROR, message: "upstream timed out" })
    tool.end(OTEL_T0 + 450)
    agent.end(OTEL_T0 + 500)
    await provider.forceFlush()
    await provider.shutdown()
    return results
  })

/** The `dt`/`dd` pairs of the span panel, as the page shows them. */
const panelFields = (page: Page) =>
  p(() =>
    page.locator("#span-panel dl").evaluate((dl) => {
      const out: Record<string, string> = {}
      for (const dt of Array.from(dl.querySelectorAll("dt"))) out[dt.textContent ?? ""] = dt.nextElementSibling?.textContent ?? ""
      return out
    })
  )

describe("view pages in Chromium", () => {
  layer(SeedLive, { timeout: "120 seconds", excludeTestServices: true })((it) => {
    it.effect("serves the built pages with CSP from a fixed map; history routes answer index.html", () =>
      Effect.gen(function*() {
        const { url } = yield* Seed
        for (const path of ["/", "/experiments/abc", "/traces/0123", "/prompts/greet", "/compare"]) {
          const response = yield* p(() => fetch(`${url}${path}`))
          assert.strictEqual(response.status, 200, path)
          assert.match(response.headers.get("content-type") ?? "", /^text\/html/)
          assert.include(response.headers.get("content-security-policy") ?? "", "script-src 'self'")
          assert.include(response.headers.get("content-security-policy") ?? "", "frame-ancestors 'none'")
          assert.strictEqual(response.headers.get("x-frame-options"), "DENY")
          assert.include(yield* p(() => response.text()), `<script defer src="/assets/app.js">`)
        }
        const script = yield* p(() => fetch(`${url}/assets/app.js`))
        assert.match(script.headers.get("content-type") ?? "", /^text\/javascript/)
        for (const path of ["/assets/../package.json", "/assets/%2e%2e/package.json", "/package.json", "/assets/other.js"]) {
          const response = yield* p(() => fetch(`${url}${path}`))
          assert.strictEqual(response.status, 404, path)
        }
      }))

    it.scoped("experiments: grouped by name, newest first, with state, counts, means and a trend chart", () =>
      Effect.gen(function*() {
        const { base, browser, run, url } = yield* Seed
        const { errors, page } = yield* open(browser, `${url}/`)
        const group = page.locator(`article.group[data-name="qa"]`)
        yield* p(() => group.locator("tbody tr").first().waitFor())
        const ids = yield* p(() => group.locator("tbody tr").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-id"))))
        assert.deepStrictEqual(ids.slice(0, 2), [run.id, base.id])
        const first = group.locator(`tr[data-id="${run.id}"]`)
        assert.include(yield* p(() => first.innerText()), "complete")
        assert.include(yield* p(() => first.innerText()), "levenshtein")
        // uPlot draws the trend on a canvas.
        assert.strictEqual(yield* p(() => group.locator("header canvas").count()), 1)
        yield* screenshot(page, "experiments")
        assert.deepStrictEqual(errors, [])
      }))

    it.scoped("an experiment: summary vs baseline, histograms; filter to regressions; a case opens its trace", () =>
      Effect.gen(function*() {
        const { browser, run, url } = yield* Seed
        const { errors, page } = yield* open(browser, `${url}/experiments/${run.id}`)
        yield* p(() => page.locator("#cases tbody tr[data-case]").first().waitFor())
        const summary = yield* p(() => page.locator("table.summary").innerText())
        assert.include(summary, "levenshtein")
        assert.match(summary, /−\d/) // the mean fell against the baseline
        assert.strictEqual(yield* p(() => page.locator(".histogram canvas").count()), 1)
        assert.include(yield* p(() => page.locator(".meta").innerText()), "baseline")
        const caseIds = () =>
          p(() => page.locator("#cases tbody tr[data-case]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-case"))))
        assert.sameMembers(yield* caseIds(), ["capital", "color", "sum", "hostile"])
        yield* screenshot(page, "experiment")
        yield* p(() => page.locator(`button[data-filter="regressions"]`).click())
        yield* p(() => page.waitForURL(/filter=regressions/))
        yield* p(() => page.waitForFunction(() => document.querySelectorAll("#cases tbody tr[data-case]").length === 2))
        assert.sameMembers(yield* caseIds(), ["capital", "sum"])
        assert.include(yield* p(() => page.locator(`tr[data-case="sum"]`).innerText()), "model refused sum")
        yield* p(() => page.locator(`button[data-filter="improvements"]`).click())
        yield* p(() => page.waitForFunction(() => document.querySelectorAll("#cases tbody tr[data-case]").length === 1))
        assert.deepStrictEqual(yield* caseIds(), ["hostile"])
        // The hostile output is shown as text.
        assert.include(yield* p(() => page.locator(`tr[data-case="hostile"]`).innerText()), SCRIPT)
        yield* p(() => page.locator(`button[data-filter="regressions"]`).click())
        yield* p(() => page.waitForFunction(() => document.querySelectorAll("#cases tbody tr[data-case]").length === 2))
        // Open the regressed case's trace: the eval's root span and its children, on a timeline.
        yield* p(() => page.locator(`tr[data-case="capital"] a.trace-link`).click())
        yield* p(() => page.waitForURL(/\/traces\/[0-9a-f]+\?experiment=/))
        yield* p(() => page.locator(".span-row").first().waitFor())
        const names = yield* p(() => page.locator(".span-row .span-name").allInnerTexts())
        assert.isTrue(names.some((name) => name.includes("eval")), names.join(" | "))
        assert.isTrue(names.some((name) => name.includes("llm.call")), names.join(" | "))
        assert.isTrue(names.some((name) => name.includes("levenshtein")), names.join(" | "))
        const panel = yield* p(() => page.locator("#span-panel").innerText())
        assert.include(panel, "What is the capital of France?")
        assert.include(panel, "Paris, I think")
        yield* screenshot(page, "trace")
        assert.deepStrictEqual(errors, [])
      }))

    it.scoped("compare: two runs, per-score mean and spread, outputs diffed word by word", () =>
      Effect.gen(function*() {
        const { base, browser, run, url } = yield* Seed
        const { errors, page } = yield* open(browser, `${url}/experiments`)
        yield* p(() => page.locator(`input[aria-label="select ${base.id}"]`).check())
        yield* p(() => page.locator(`input[aria-label="select ${run.id}"]`).check())
        yield* p(() => page.locator("#compare-selected").click())
        yield* p(() => page.waitForURL(/\/compare\?ids=/))
        yield* p(() => page.locator(`table.compare-rows tr[data-case="capital"]`).waitFor())
        assert.match(yield* p(() => page.locator("table.compare-scores").innerText()), /\d ± \d/)
        const capital = page.locator(`table.compare-rows tr[data-case="capital"] td.run`).nth(1)
        assert.isAbove(yield* p(() => capital.locator("ins").count()), 0)
        assert.isAbove(yield* p(() => capital.locator("del").count()), 0)
        assert.include((yield* p(() => capital.locator("del").allInnerTexts())).join(""), "capital")
        const same = page.locator(`table.compare-rows tr[data-case="color"] td.run`).nth(1)
        assert.strictEqual(yield* p(() => same.locator("ins, del").count()), 0)
        yield* screenshot(page, "compare")
        assert.deepStrictEqual(errors, [])
      }))

    it.scoped("prompts: versions and a diff between two versions; the render preview fills variables", () =>
      Effect.gen(function*() {
        const { browser, url } = yield* Seed
        const { errors, page } = yield* open(browser, `${url}/prompts`)
        yield* p(() => page.locator(`#prompts a`, { hasText: "greet" }).waitFor())
        yield* screenshot(page, "prompts")
        yield* p(() => page.locator(`#prompts a`, { hasText: "greet" }).click())
        yield* p(() => page.waitForURL(/\/prompts\/greet$/))
        yield* p(() => page.locator("#prompt-diff").waitFor())
        const paths = yield* p(() =>
          page.locator("#prompt-diff tr[data-path]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-path")))
        )
        assert.deepStrictEqual(paths, ["messages[0].content", "messages[1].content"])
        const user = page.locator(`#prompt-diff tr[data-path="messages[1].content"]`)
        assert.include((yield* p(() => user.locator("ins").allInnerTexts())).join(" "), "warm")
        assert.include((yield* p(() => user.locator("ins").allInnerTexts())).join(" "), "{{place}}")
        // The same versions the other way round: the diff follows the selects.
        yield* p(() => page.locator(`select[name="from"]`).selectOption("2"))
        yield* p(() => page.locator(`select[name="to"]`).selectOption("1"))
        yield* p(() => page.waitForURL(/from=2&to=1/))
        yield* p(() => page.waitForFunction(() => document.querySelector(`#prompt-diff tr[data-path="messages[1].content"] del`)?.textContent?.includes("warm") === true))
        yield* p(() => page.locator(`textarea[name="variables"]`).fill(JSON.stringify({ name: "Ada", place: IMG })))
        yield* p(() => page.locator("form.render button[type=submit]").click())
        yield* p(() => page.locator("#rendered").waitFor())
        assert.include(yield* p(() => page.locator("#rendered").innerText()), `Say a warm hello to Ada from ${IMG}.`)
        yield* screenshot(page, "prompt")
        // A missing variable is the server's TemplateError, shown as text.
        yield* p(() => page.locator(`textarea[name="variables"]`).fill("{}"))
        yield* p(() => page.locator("form.render button[type=submit]").click())
        yield* p(() => page.locator("form.render [role=alert]").waitFor())
        assert.include(yield* p(() => page.locator("form.render [role=alert]").innerText()), "TemplateError")
        assert.deepStrictEqual(errors, [])
      }))

    it.scoped("traces: hostile names, inputs and metadata show as literal text and run nothing; feedback is stored", () =>
      Effect.gen(function*() {
        const { browser, url } = yield* Seed
        const { dialogs, errors, page } = yield* open(browser, `${url}/traces`)
        const row = page.locator(`#traces tr[data-trace="${hostileTrace}"]`)
        yield* p(() => row.waitFor())
        assert.include(yield* p(() => row.innerText()), SCRIPT)
        assert.include(yield* p(() => row.innerText()), `failed ${IMG}`)
        // Filters: kind and error go into the URL and the query.
        yield* p(() => page.locator(`select[name="error"]`).selectOption("true"))
        yield* p(() => page.locator(`form.filters button[type=submit]`).click())
        yield* p(() => page.waitForURL(/error=true/))
        yield* p(() => page.waitForFunction(() => document.querySelectorAll("#traces tbody tr[data-trace]").length === 1))
        yield* screenshot(page, "traces")
        // A time filter past every span: the list is empty, and the form shows the filter.
        yield* p(() => page.goto(`${url}/traces?from=${Date.UTC(2030, 0, 1)}`))
        yield* p(() => page.locator("#traces td.muted", { hasText: "No traces match." }).waitFor())
        assert.match(yield* p(() => page.locator(`input[name="from"]`).inputValue()), /^20(29|30)-/)
        yield* p(() => page.goBack())
        yield* p(() => row.locator("a").click())
        yield* p(() => page.waitForURL(new RegExp(`/traces/${hostileTrace}`)))
        yield* p(() => page.locator("#span-panel").waitFor())
        const tree = yield* p(() => page.locator(".span-row .span-name").allInnerTexts())
        assert.strictEqual(tree.length, 2)
        assert.include(tree[0]!, SCRIPT)
        assert.include(tree[1]!, `chat ${IMG}`)
        // The panel shows the input, metadata and error as text, JSON folded.
        const panel = page.locator("#span-panel")
        assert.include(yield* p(() => panel.innerText()), `failed ${IMG}`)
        assert.include(yield* p(() => panel.locator("details.json pre").first().textContent()) ?? "", JSON.stringify(IMG))
        yield* p(() => panel.locator("details.json summary", { hasText: "note" }).click())
        assert.include(yield* p(() => panel.innerText()), SCRIPT)
        assert.include(yield* p(() => panel.innerText()), "42")
        // Untrusted short strings too: the child's output is markup, shown as its text.
        yield* p(() => page.locator(`.span-row[data-span="${hostileChild}"]`).click())
        yield* p(() => page.waitForSelector(`#span-panel[data-span="${hostileChild}"]`))
        assert.include(yield* p(() => panel.innerText()), IMG)
        // No element came from the data, no script ran.
        assert.strictEqual(yield* p(() => page.locator("main img, main script").count()), 0)
        assert.strictEqual(yield* p(() => page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)), undefined)
        // Feedback on the child span: thumbs up with a comment.
        yield* p(() => panel.locator(`textarea[name="comment"]`).fill(`helpful ${SCRIPT}`))
        yield* p(() => panel.locator(`button[aria-label="thumbs up"]`).click())
        yield* p(() => panel.locator(".saved").waitFor())
        const saved = (yield* p(() => panel.locator(".saved").innerText())).match(/Saved \((.+)\)/)?.[1]
        assert.isString(saved)
        yield* screenshot(page, "trace-feedback")
        const store = yield* LocalStore
        const rows = yield* store.read(
          "test",
          store.sql<{ target_id: string; comment: string; scores: string }>`SELECT * FROM feedback WHERE id = ${saved!}`
        )
        assert.strictEqual(rows.length, 1)
        assert.strictEqual(rows[0]!.target_id, hostileChild)
        assert.strictEqual(rows[0]!.comment, `helpful ${SCRIPT}`)
        assert.include(JSON.stringify(rows[0]), "feedback")
        assert.deepStrictEqual(dialogs, [])
        assert.deepStrictEqual(errors, [])
        assert.strictEqual(yield* p(() => page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)), undefined)
      }))

    it.scoped("live: the page of a running eval updates as its results arrive, then shows it complete", () =>
      Effect.gen(function*() {
        const { browser, url } = yield* Seed
        const started = yield* Deferred.make<Experiment>()
        const gate = yield* Deferred.make<void>()
        const fiber = yield* Eval.run({
          name: "live",
          data: [{ id: "one", input: "a", expected: "a" }, { id: "two", input: "b", expected: "b" }],
          task: (input: string) => (input === "b" ? Effect.as(Deferred.await(gate), input) : Effect.succeed(input)),
          scorers: [Scorers.exact()],
          concurrency: 1,
          batchSize: 1,
          onProgress: (event) => (event._tag === "Started" ? Deferred.succeed(started, event.experiment) : Effect.void)
        }).pipe(Effect.provide(Traced), Effect.fork)
        const experiment = yield* Deferred.await(started)
        const { errors, page } = yield* open(browser, `${url}/experiments/${experiment.id}`)
        yield* p(() => page.locator("#live").waitFor())
        yield* p(() => page.waitForFunction(() => document.querySelectorAll("#cases tbody tr[data-case]").length === 1))
        assert.include(yield* p(() => page.locator(".meta").innerText()), "running")
        assert.strictEqual(yield* p(() => page.locator("#result-count").innerText()), "1 results")
        yield* screenshot(page, "experiment-live")
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(fiber)
        yield* p(() => page.waitForFunction(() => document.querySelector("#result-count")?.textContent === "2 results"))
        yield* p(() => page.waitForFunction(() => document.querySelectorAll("#cases tbody tr[data-case]").length === 2))
        yield* p(() => page.waitForFunction(() => document.querySelector(".meta .state")?.textContent?.startsWith("complete") === true))
        assert.deepStrictEqual(errors, [])
      }))
    it.scoped("compare picker: /compare without ids lists the runs; two ticked open their comparison", () =>
      Effect.gen(function*() {
        const { base, browser, run, url } = yield* Seed
        const { errors, page } = yield* open(browser, `${url}/compare`)
        const pick = (id: string) => page.locator("ul.picker label", { hasText: id }).locator("input[type=checkbox]")
        yield* p(() => pick(base.id).waitFor())
        const button = page.locator("section button", { hasText: "Compare" })
        assert.isTrue(yield* p(() => button.isDisabled()))
        yield* p(() => pick(run.id).check())
        assert.isTrue(yield* p(() => button.isDisabled()), "one run is not a comparison")
        yield* p(() => pick(base.id).check())
        assert.isFalse(yield* p(() => button.isDisabled()))
        yield* p(() => button.click())
        yield* p(() => page.waitForURL((target) => target.pathname === "/compare" && target.searchParams.get("ids") === `${run.id},${base.id}`))
        yield* p(() => page.locator(`table.compare-rows tr[data-case="capital"]`).waitFor())
        const runs = yield* p(() => page.locator("table.compare-scores tbody tr").allInnerTexts())
        assert.strictEqual(runs.length, 2)
        assert.include(runs[0]!, run.id)
        assert.include(runs[1]!, base.id)
        assert.deepStrictEqual(errors, [])
      }))

    it.scoped("traces paging: more than 50 roots, Next shows the older ones, First page returns", () =>
      Effect.gen(function*() {
        const { browser, url } = yield* Seed
        const sink = yield* SpanSink
        // 55 roots of a kind nothing else in the store has, oldest first.
        yield* sink.export(Array.from({ length: 55 }, (_, i) => ({
          traceId: Ids.traceId(),
          spanId: Ids.spanId(),
          name: `lookup ${String(i).padStart(2, "0")}`,
          kind: "retrieval" as const,
          startTime: Date.UTC(2026, 11, 1, 8, 0, i),
          endTime: Date.UTC(2026, 11, 1, 8, 0, i, 20),
          metadata: {},
          metrics: {},
          destination: { _tag: "ProjectLogs" as const }
        })))
        const { errors, page } = yield* open(browser, `${url}/traces?kind=retrieval`)
        const names = () => p(() => page.locator("#traces tbody tr[data-trace] td:first-child").allInnerTexts())
        yield* p(() => page.waitForFunction(() => document.querySelectorAll("#traces tbody tr[data-trace]").length === 50))
        const first = yield* names()
        assert.strictEqual(first[0], "lookup 54")
        assert.strictEqual(first[49], "lookup 05")
        assert.strictEqual(yield* p(() => page.locator("button", { hasText: "First page" }).count()), 0)
        yield* p(() => page.locator("button", { hasText: "Next page" }).click())
        yield* p(() => page.waitForURL(/kind=retrieval.*cursor=\d+/))
        yield* p(() => page.waitForFunction(() => document.querySelectorAll("#traces tbody tr[data-trace]").length === 5))
        assert.deepStrictEqual(yield* names(), ["lookup 04", "lookup 03", "lookup 02", "lookup 01", "lookup 00"])
        assert.strictEqual(yield* p(() => page.locator("button", { hasText: "Next page" }).count()), 0, "the last page")
        yield* p(() => page.locator("button", { hasText: "First page" }).click())
        yield* p(() => page.waitForURL((target) => target.pathname === "/traces" && !target.searchParams.has("cursor")))
        yield* p(() => page.waitForFunction(() => document.querySelectorAll("#traces tbody tr[data-trace]").length === 50))
        assert.deepStrictEqual(yield* names(), first)
        assert.deepStrictEqual(errors, [])
      }))

    for (const encoding of ["protobuf", "json"] as const) {
      it.scoped(`OpenTelemetry JS SDK (${encoding}): GenAI spans sent child first show as the tree, field for field`, () =>
        Effect.gen(function*() {
          const { browser, url } = yield* Seed
          const traceId = encoding === "protobuf" ? "7bf92f3577b34da6a3ce929d0e0e4736" : "8bf92f3577b34da6a3ce929d0e0e4737"
          const exporter = encoding === "protobuf"
            ? new ProtoExporter({ url: `${url}/v1/traces` })
            : new JsonExporter({ url: `${url}/v1/traces` })
          const results = yield* instrumentedApp(exporter, traceId)
          // One export per span (the simple processor), each acknowledged: nothing dropped or retried.
          assert.deepStrictEqual(results, [0, 0, 0])
          const [agentId, chatId, toolId] = [1, 2, 3].map((n) => `${traceId.slice(0, 15)}${n}`)

          // The traces page lists the root (only the root) with its kind and duration.
          const { errors, page } = yield* open(browser, `${url}/traces?name=${encodeURIComponent("invoke_agent support")}`)
          const row = page.locator(`#traces tr[data-trace="${traceId}"]`)
          yield* p(() => row.waitFor())
          const cells = yield* p(() => row.locator("td").allInnerTexts())
          assert.deepStrictEqual(cells, ["invoke_agent support", "task", "2026-12-02 09:30:00Z", "500 ms", "–", ""])
          yield* p(() => row.locator("a").click())
          yield* p(() => page.waitForURL(new RegExp(`/traces/${traceId}$`)))
          yield* p(() => page.locator("#span-panel").waitFor())

          // The tree in order (parent first, children by start), whatever order the spans arrived in.
          const tree = yield* p(() =>
            page.locator(".span-row").evaluateAll((rows) =>
              rows.map((row) => [
                row.getAttribute("data-span"),
                row.querySelector(".span-name")?.textContent ?? "",
                row.classList.contains("failed") ? "failed" : "ok"
              ].join(" | "))
            )
          )
          assert.deepStrictEqual(tree, [
            `${agentId} | task invoke_agent support | ok`,
            `${chatId} | llm chat gpt-4o | ok`,
            `${toolId} | tool execute_tool get_weather | failed`
          ])
          const depths = yield* p(() => page.locator(".span-row .span-name").evaluateAll((names) => names.map((n) => (n as HTMLElement).style.paddingLeft)))
          assert.deepStrictEqual(depths, ["0px", "14px", "14px"])
          assert.deepStrictEqual(yield* panelFields(page), {
            kind: "task",
            span: agentId,
            started: "2026-12-02 09:30:00Z",
            duration: "500 ms",
            tokens: "–",
            cost: "–"
          })

          // The chat span: model, provider, tokens, and the input and output messages.
          yield* p(() => page.locator(`.span-row[data-span="${chatId}"]`).click())
          yield* p(() => page.waitForSelector(`#span-panel[data-span="${chatId}"]`))
          assert.deepStrictEqual(yield* panelFields(page), {
            kind: "llm",
            span: chatId,
            parent: agentId,
            started: "2026-12-02 09:30:00Z",
            duration: "390 ms",
            model: "gpt-4o-2024-08-06",
            provider: "openai",
            tokens: "17 (12 in, 5 out)",
            cost: "–"
          })
          const panel = page.locator("#span-panel")
          const [input, output] = yield* p(() => panel.locator("details.json[open] pre").allTextContents())
          assert.deepStrictEqual(JSON.parse(input!), [
            { role: "system", content: "Be brief." },
            { role: "user", content: "Weather in Paris?" }
          ])
          assert.deepStrictEqual(JSON.parse(output!), [{ role: "assistant", content: "Sunny, 18 °C.", finish_reason: "stop" }])
          assert.strictEqual(yield* p(() => panel.locator(".span-error").count()), 0)
          if (encoding === "protobuf") yield* screenshot(page, "trace-otlp")

          // The failed tool call: its error, type and message.
          yield* p(() => page.locator(`.span-row[data-span="${toolId}"]`).click())
          yield* p(() => page.waitForSelector(`#span-panel[data-span="${toolId}"]`))
          assert.strictEqual(yield* p(() => panel.locator(".span-error .error-text").innerText()), "TimeoutError: upstream timed out")
          assert.strictEqual((yield* panelFields(page))["duration"], "49 ms")
          assert.deepStrictEqual(errors, [])
        }))
    }
  })
})
