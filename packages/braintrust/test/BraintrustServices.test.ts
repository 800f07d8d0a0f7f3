import { assert, describe, it } from "@effect/vitest"
import type { EvalResult } from "@promptops/core/Experiment"
import { Experiments } from "@promptops/core/Experiments"
import { Feedback } from "@promptops/core/Feedback"
import type { PromptDraft } from "@promptops/core/Prompt"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import { Prompts } from "@promptops/core/Prompts"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { SpanSink } from "@promptops/core/SpanSink"
import * as Summary from "@promptops/core/Summary"
import { Datasets } from "@promptops/core/Datasets"
import { Chunk, Effect, Either, Layer, Stream, TestClock } from "effect"
import * as Braintrust from "../src/Braintrust.js"
import * as BraintrustExperiments from "../src/BraintrustExperiments.js"
import * as BraintrustPrompts from "../src/BraintrustPrompts.js"
import * as BraintrustSpanSink from "../src/BraintrustSpanSink.js"
import { type Captured, clientLayer, experimentObject, json, PROJECT_ID, project, promptObject, uuid } from "./fakeVendor.js"

type Route = (request: Captured) => Response | undefined

/** A fake Braintrust answering by `METHOD /path`, with the project lookup and get-or-create built in. */
const services = (...routes: ReadonlyArray<Route>) => {
  const { captured, layer: client } = clientLayer((request) => {
    if (request.method === "POST" && request.url.pathname === "/v1/project") return json(project(request.body.name))
    if (request.method === "GET" && request.url.pathname === "/v1/project") {
      return json({ objects: [project(request.url.searchParams.get("project_name") ?? "proj")] })
    }
    for (const route of routes) {
      const response = route(request)
      if (response !== undefined) return response
    }
    return json({ Code: "NotFoundError", Message: `no route ${request.method} ${request.url.pathname}` }, { status: 404 })
  })
  const layer = Braintrust.layerServices().pipe(Layer.provideMerge(client))
  /** The requests after the project lookup or get-or-create. */
  const calls = () => captured.filter((r) => r.url.pathname !== "/v1/project")
  return { captured, calls, layer }
}

const on = (method: string, path: string | RegExp, answer: (request: Captured) => Response): Route => (request) =>
  request.method === method && (typeof path === "string" ? request.url.pathname === path : path.test(request.url.pathname))
    ? answer(request)
    : undefined

const chatData = {
  prompt: {
    type: "chat",
    messages: [
      { role: "system", content: "You are {{tone}}." },
      {
        role: "user",
        content: [
          { type: "text", text: "Describe {{thing}}" },
          { type: "image_url", image_url: { url: "{{image}}", detail: "low" } }
        ]
      },
      { role: "assistant", content: null, tool_calls: [] },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_{{n}}", type: "function", function: { name: "lookup", arguments: "{\"q\":\"{{q}}\"}" } }]
      },
      { role: "tool", content: "found", tool_call_id: "call_{{n}}" },
      { role: "user", content: [{ type: "file", file: { file_data: "data:application/pdf;base64,{{pdf}}", filename: "a.pdf" } }] }
    ],
    tools: JSON.stringify([{ type: "function", function: { name: "lookup" } }])
  },
  options: { model: "gpt-4o-mini", params: { temperature: 0.2, max_tokens: 100, use_cache: true, response_format: null } },
  template_format: "mustache"
}

const environmentObject = (n: number, slug: string, extra: Record<string, unknown> = {}) => ({
  id: uuid(n),
  org_id: "00000000-0000-4000-8000-000000000000",
  name: slug,
  slug,
  created: "2026-11-22T10:00:00.000Z",
  deleted_at: null,
  ...extra
})

const simpleDraft: PromptDraft = {
  slug: "greet",
  templateFormat: "mustache",
  messages: [{ role: "user", content: "Hi {{name}}" }]
}

describe("BraintrustPrompts", () => {
  it.effect("get by slug pins a version (either form) and maps prompt_data", () => {
    const { calls, layer } = services(
      on("GET", "/v1/prompt", () => json({ objects: [promptObject("greet", "1000192656880881099", chatData)] }))
    )
    return Effect.gen(function*() {
      const prompts = yield* Prompts
      const prompt = yield* prompts.get("greet", { version: "81cd05ee665fdfb3" })
      const query = calls()[0]!.url.searchParams
      assert.strictEqual(query.get("project_id"), PROJECT_ID)
      assert.strictEqual(query.get("slug"), "greet")
      assert.strictEqual(query.get("limit"), "1")
      assert.strictEqual(query.get("version"), "1000192656880881099")
      assert.isNull(query.get("environment"))
      assert.strictEqual(prompt.version, "1000192656880881099")
      assert.deepStrictEqual(prompt.messages, [
        { role: "system", content: "You are {{tone}}." },
        {
          role: "user",
          content: [{ type: "text", text: "Describe {{thing}}" }, { type: "image_url", url: "{{image}}", detail: "low" }]
        },
        { role: "assistant", content: "", toolCalls: [] },
        { role: "assistant", content: "", toolCalls: [{ id: "call_{{n}}", name: "lookup", arguments: `{"q":"{{q}}"}` }] },
        { role: "tool", content: "found", toolCallId: "call_{{n}}" },
        { role: "user", content: [{ type: "file", data: "data:application/pdf;base64,{{pdf}}", filename: "a.pdf" }] }
      ])
      // use_cache is Braintrust's own parameter: kept, but apart from what the LLM gets.
      assert.deepStrictEqual(prompt.model, {
        name: "gpt-4o-mini",
        params: {
          temperature: 0.2,
          maxTokens: 100,
          tools: [{ type: "function", function: { name: "lookup" } }],
          vendor: { use_cache: true }
        }
      })
      assert.strictEqual(prompt.templateFormat, "mustache")
      assert.strictEqual(prompt.source.provider, "braintrust")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a tag is an environment; no match, or an environment Braintrust does not know, is NotFound", () => {
    const { calls, layer } = services(on("GET", "/v1/prompt", (request) =>
      request.url.searchParams.get("environment") === "staging"
        ? json({ Code: "BadRequestError", Message: "Environment staging not found" }, { status: 400 })
        : request.url.searchParams.get("slug") === "broken"
        ? json({ Code: "BadRequestError", Message: "slug is invalid" }, { status: 400 })
        : json({ objects: [] })))
    return Effect.gen(function*() {
      const prompts = yield* Prompts
      const error = yield* Effect.flip(prompts.get("greet", { tag: "production" }))
      assert.strictEqual(error._tag, "NotFound")
      assert.strictEqual(calls()[0]!.url.searchParams.get("environment"), "production")
      const unknown = yield* Effect.flip(prompts.get("greet", { tag: "staging" }))
      assert.strictEqual(unknown._tag, "NotFound")
      assert.strictEqual(unknown._tag === "NotFound" && unknown.description, "Environment staging not found")
      // Any other 400 stays what it is.
      const other = yield* Effect.flip(prompts.get("broken", { tag: "production" }))
      assert.strictEqual(other._tag, "BadRequest")
      const empty = yield* Effect.flip(prompts.get(" "))
      assert.strictEqual(empty._tag, "InvalidInput")
    }).pipe(Effect.provide(layer))
  })

  it.effect("push is a PUT (always a new version) with the tag as an environment", () => {
    const { calls, layer } = services(
      on("GET", "/environment", () => json({ objects: [environmentObject(1, "staging"), environmentObject(2, "production")] })),
      on("PUT", "/v1/prompt", (request) =>
        json(promptObject(request.body.slug, "1000192656880881111", request.body.prompt_data), {
          headers: { "x-bt-found-existing": "true" }
        }))
    )
    const draft: PromptDraft = {
      slug: "greet",
      name: "Greeting",
      description: "Says hello",
      tag: "production",
      templateFormat: "nunjucks",
      messages: [
        { role: "user", content: [{ type: "text", text: "Hi {{ name }}" }, { type: "image_url", url: "u" }] },
        { role: "assistant", content: "", toolCalls: [{ id: "c1", name: "t", arguments: "{}" }] },
        { role: "tool", content: "ok", toolCallId: "c1" },
        { role: "user", content: [{ type: "file", fileId: "file-1" }] }
      ],
      model: {
        name: "claude",
        params: {
          temperature: 0,
          maxTokens: 10,
          tools: [{ name: "t" }],
          extra: { top_k: 5 },
          vendor: { reasoning_enabled: true, reasoning_budget: 100 }
        }
      }
    }
    return Effect.gen(function*() {
      const registry = yield* PromptRegistry
      const pushed = yield* registry.push(draft)
      assert.strictEqual(pushed.version, "1000192656880881111")
      assert.strictEqual(pushed.tag, "production")
      // The environment exists already: one list, no create, then the write.
      assert.deepStrictEqual(calls().map((r) => `${r.method} ${r.url.pathname}`), ["GET /environment", "PUT /v1/prompt"])
      const request = calls()[1]!
      assert.strictEqual(request.method, "PUT")
      assert.deepStrictEqual(request.body, {
        project_id: PROJECT_ID,
        name: "Greeting",
        slug: "greet",
        description: "Says hello",
        prompt_data: {
          prompt: {
            type: "chat",
            messages: [
              { role: "user", content: [{ type: "text", text: "Hi {{ name }}" }, { type: "image_url", image_url: { url: "u" } }] },
              { role: "assistant", content: "", tool_calls: [{ id: "c1", type: "function", function: { name: "t", arguments: "{}" } }] },
              { role: "tool", content: "ok", tool_call_id: "c1" },
              { role: "user", content: [{ type: "file", file: { file_id: "file-1" } }] }
            ],
            tools: JSON.stringify([{ name: "t" }])
          },
          options: {
            model: "claude",
            params: { top_k: 5, reasoning_enabled: true, reasoning_budget: 100, temperature: 0, max_tokens: 10 }
          },
          template_format: "nunjucks"
        },
        environment_slugs: ["production"]
      })
      // Read back, the draft is whole again.
      assert.deepStrictEqual(pushed.messages, draft.messages)
      assert.deepStrictEqual(pushed.model, draft.model)
      assert.strictEqual(pushed.templateFormat, "nunjucks")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a jinja draft is pushed as nunjucks only when it renders the same; otherwise a TemplateError, nothing sent", () => {
    const { calls, layer } = services(
      on("PUT", "/v1/prompt", (request) => json(promptObject(request.body.slug, "1000192656880881112", request.body.prompt_data)))
    )
    return Effect.gen(function*() {
      const registry = yield* PromptRegistry
      const error = yield* Effect.flip(registry.push({
        slug: "greet",
        templateFormat: "jinja",
        messages: [{ role: "system", content: "{% if vip %}\nDear{% endif %}" }, { role: "user", content: "Hi {{ name }}" }]
      }))
      assert.strictEqual(error._tag, "TemplateError")
      assert.include(error.description, `prompt "greet" is a jinja template (Basalt's format)`)
      assert.include(error.description, "messages[0].content: \"{% if vip %}\": jinja removes the line break after a block or comment tag")
      assert.include(error.description, "messages[1].content: \"{{ name }}\": nunjucks HTML-escapes output")
      assert.deepStrictEqual(calls().map((r) => r.method), [])
      // Plain text renders the same in both: stored as nunjucks.
      const plain = yield* registry.push({ slug: "plain", templateFormat: "jinja", messages: [{ role: "user", content: "Hello" }] })
      assert.strictEqual(plain.templateFormat, "nunjucks")
      assert.strictEqual(calls()[0]!.body.prompt_data.template_format, "nunjucks")
    }).pipe(Effect.provide(layer))
  })

  it.effect("push with a tag creates the environment when none has that slug (a deleted one does not count)", () => {
    const { calls, layer } = services(
      on("GET", "/environment", () =>
        json({
          objects: [
            environmentObject(1, "staging"),
            environmentObject(2, "production", { deleted_at: "2026-11-01T00:00:00.000Z" }),
            // A name equal to the tag is not enough: tags are slugs.
            environmentObject(3, "prod", { name: "production" })
          ]
        })),
      on("POST", "/environment", (request) => json(environmentObject(4, request.body.slug))),
      on("PUT", "/v1/prompt", (request) => json(promptObject(request.body.slug, "1000192656880881111", request.body.prompt_data)))
    )
    return Effect.gen(function*() {
      const registry = yield* PromptRegistry
      const pushed = yield* registry.push({ ...simpleDraft, tag: "production" })
      assert.strictEqual(pushed.tag, "production")
      assert.deepStrictEqual(calls().map((r) => `${r.method} ${r.url.pathname}`), [
        "GET /environment",
        "POST /environment",
        "PUT /v1/prompt"
      ])
      assert.strictEqual(calls()[0]!.url.search, "")
      assert.deepStrictEqual(calls()[1]!.body, { name: "production", slug: "production" })
      assert.deepStrictEqual(calls()[2]!.body.environment_slugs, ["production"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("push: a create that lost a race still writes; a create refused otherwise fails before the write", () => {
    const created = new Set<string>()
    const { calls, layer } = services(
      on("GET", "/environment", () =>
        json({ objects: [...created].map((slug, i) => environmentObject(10 + i, slug)) })),
      on("POST", "/environment", (request) => {
        if (request.body.slug === "racy") {
          // Another writer created it between our list and our create.
          created.add("racy")
          return json({ Code: "BadRequestError", Message: "An environment with slug racy already exists" }, { status: 400 })
        }
        return json({ Code: "BadRequestError", Message: "slug must be url-friendly" }, { status: 400 })
      }),
      on("PUT", "/v1/prompt", (request) => json(promptObject(request.body.slug, "1000192656880881111", request.body.prompt_data)))
    )
    return Effect.gen(function*() {
      const registry = yield* PromptRegistry
      const pushed = yield* registry.push({ ...simpleDraft, tag: "racy" })
      assert.strictEqual(pushed.tag, "racy")
      assert.deepStrictEqual(calls().map((r) => `${r.method} ${r.url.pathname}`), [
        "GET /environment",
        "POST /environment",
        "GET /environment",
        "PUT /v1/prompt"
      ])
      const before = calls().length
      const refused = yield* Effect.flip(registry.push({ ...simpleDraft, tag: "not a slug!" }))
      assert.strictEqual(refused._tag, "BadRequest")
      assert.strictEqual(refused._tag === "BadRequest" && refused.description, "slug must be url-friendly")
      assert.deepStrictEqual(calls().slice(before).map((r) => `${r.method} ${r.url.pathname}`), [
        "GET /environment",
        "POST /environment",
        "GET /environment"
      ])
    }).pipe(Effect.provide(layer))
  })

  it.effect("push without a tag touches no environment", () => {
    const { calls, layer } = services(
      on("PUT", "/v1/prompt", (request) => json(promptObject(request.body.slug, "1000192656880881111", request.body.prompt_data)))
    )
    return Effect.gen(function*() {
      const registry = yield* PromptRegistry
      const pushed = yield* registry.push(simpleDraft)
      assert.isUndefined(pushed.tag)
      assert.deepStrictEqual(calls().map((r) => `${r.method} ${r.url.pathname}`), ["PUT /v1/prompt"])
      assert.isUndefined(calls()[0]!.body.environment_slugs)
    }).pipe(Effect.provide(layer))
  })

  it.effect("delete finds the prompt by slug and deletes it; an unknown slug is NotFound", () => {
    let exists = true
    const { calls, layer } = services(
      on("GET", "/v1/prompt", () => json({ objects: exists ? [promptObject("greet", "1", null)] : [] })),
      on("DELETE", /^\/v1\/prompt\//, () => {
        exists = false
        return json(promptObject("greet", "1", null))
      })
    )
    return Effect.gen(function*() {
      const registry = yield* PromptRegistry
      yield* registry.delete("greet")
      assert.deepStrictEqual(calls().map((r) => `${r.method} ${r.url.pathname}`), [
        "GET /v1/prompt",
        `DELETE /v1/prompt/${uuid(900)}`
      ])
      const error = yield* Effect.flip(registry.delete("greet"))
      assert.strictEqual(error._tag, "NotFound")
    }).pipe(Effect.provide(layer))
  })

  it.effect("list walks every page of the project's prompts", () => {
    const { calls, layer } = services(
      on("GET", "/v1/prompt", (request) =>
        json({
          objects: request.url.searchParams.get("starting_after") === null
            ? Array.from({ length: 100 }, (_, i) => ({ ...promptObject(`p${i}`, "1", null), id: uuid(i) }))
            : [{ ...promptObject("last", "2", null, { tags: ["a"] }), id: uuid(500) }]
        }))
    )
    return Effect.gen(function*() {
      const prompts = yield* Prompts
      const all = Chunk.toReadonlyArray(yield* Stream.runCollect(prompts.list()))
      assert.strictEqual(all.length, 101)
      // A summary's tags are environments (none here: this vendor has no /environment); labels stay in the raw object.
      assert.isUndefined(all[100]!.tags)
      assert.deepStrictEqual((all[100]!.source.raw as { tags: Array<string> }).tags, ["a"])
      assert.strictEqual(all[100]!.prompt?.slug, "last")
      const pages = calls().filter((call) => call.url.pathname === "/v1/prompt")
      assert.strictEqual(pages[1]!.url.searchParams.get("starting_after"), uuid(99))
      assert.strictEqual(pages[1]!.url.searchParams.get("project_id"), PROJECT_ID)
    }).pipe(Effect.provide(layer))
  })

  it("maps a completion prompt to one user message, and refuses malformed tool calls", () => {
    const completion = BraintrustPrompts.fromBraintrust(
      promptObject("c", "5", { prompt: { type: "completion", content: "Complete {{x}}" }, template_format: "none" }) as never
    )
    assert.isTrue(Either.isRight(completion))
    if (Either.isRight(completion)) {
      assert.deepStrictEqual(completion.right.messages, [{ role: "user", content: "Complete {{x}}" }])
      assert.strictEqual(completion.right.templateFormat, "none")
      assert.isUndefined(completion.right.model)
    }
    const badCall = BraintrustPrompts.fromBraintrust(promptObject("f", "5", {
      prompt: { type: "chat", messages: [{ role: "assistant", content: null, tool_calls: [{ id: "x", function: { name: 1 } }] }] }
    }) as never)
    assert.isTrue(Either.isLeft(badCall))
    if (Either.isLeft(badCall)) assert.strictEqual(badCall.left.path, "prompt_data.prompt.messages[0].tool_calls[0]")
    const nunjucks = BraintrustPrompts.fromBraintrust(promptObject("n", "5", {
      prompt: { type: "chat", messages: [{ role: "user", content: "{{ x }}" }] },
      template_format: "nunjucks"
    }) as never)
    assert.isTrue(Either.isRight(nunjucks) && nunjucks.right.templateFormat === "nunjucks")
  })
})

describe("BraintrustDatasets", () => {
  it.effect("insert get-or-creates the dataset once and keeps record ids; records reads every row", () => {
    const datasetId = uuid(40)
    const dataset = { id: datasetId, project_id: PROJECT_ID, name: "qa", url_slug: "qa" }
    const { calls, layer } = services(
      on("POST", "/v1/dataset", () => json(dataset)),
      on("POST", `/v1/dataset/${datasetId}/insert`, (r) => json({ row_ids: r.body.events.map((e: any) => e.id) })),
      on("GET", "/v1/dataset", (r) => json({ objects: r.url.searchParams.get("dataset_name") === "qa" ? [dataset] : [] })),
      on("POST", `/v1/dataset/${datasetId}/fetch`, () =>
        json({
          events: [
            {
              id: "row-1",
              _xact_id: "2",
              created: "2026-11-22T10:00:00Z",
              project_id: PROJECT_ID,
              dataset_id: datasetId,
              span_id: "row-1",
              root_span_id: "row-1",
              input: { q: 1 },
              expected: "1",
              metadata: { m: true },
              tags: ["t"]
            }
          ]
        }))
    )
    return Effect.gen(function*() {
      const datasets = yield* Datasets
      const ids = yield* datasets.insert("qa", [{ id: "row-1", input: { q: 1 } }, { input: { q: 2 }, expected: "2" }])
      yield* datasets.insert("qa", [{ id: "row-1", input: { q: 1 } }])
      assert.strictEqual(ids[0], "row-1")
      const requests = calls().map((r) => `${r.method} ${r.url.pathname}`)
      assert.deepStrictEqual(requests, [
        "POST /v1/dataset",
        `POST /v1/dataset/${datasetId}/insert`,
        `POST /v1/dataset/${datasetId}/insert`
      ])
      assert.deepStrictEqual(calls()[0]!.body, { project_id: PROJECT_ID, name: "qa" })
      assert.deepStrictEqual(calls()[1]!.body.events, [
        { id: "row-1", input: { q: 1 } },
        { id: ids[1], input: { q: 2 }, expected: "2" }
      ])
      const records = Chunk.toReadonlyArray(yield* Stream.runCollect(datasets.records("qa")))
      assert.deepStrictEqual(records, [{ id: "row-1", input: { q: 1 }, expected: "1", metadata: { m: true }, tags: ["t"] }])
      const missing = yield* Effect.flip(Stream.runDrain(datasets.records("nope")))
      assert.strictEqual(missing._tag, "NotFound")
    }).pipe(Effect.provide(layer))
  })
})

const result = (caseId: string, trial: number, extra: Partial<EvalResult> = {}): EvalResult => ({
  caseId,
  trial,
  input: { caseId },
  output: `out-${caseId}`,
  expected: `exp-${caseId}`,
  scores: { accuracy: 1, skipped: null },
  metadata: { model: "m" },
  durationMs: 250,
  ...extra
})

describe("BraintrustExperiments", () => {
  const NOW = Date.parse("2026-11-22T10:00:00.000Z")

  it.effect("create sends ensure_new, the baseline and the dataset; log writes one eval row per result", () => {
    const experimentId = uuid(60)
    const baselineId = uuid(61)
    const { calls, layer } = services(
      on("GET", `/v1/experiment/${baselineId}`, () => json(experimentObject(baselineId, "base"))),
      on("GET", "/v1/dataset", () => json({ objects: [{ id: uuid(62), project_id: PROJECT_ID, name: "qa", url_slug: "qa" }] })),
      on("POST", "/v1/experiment", (r) =>
        json(experimentObject(experimentId, `${r.body.name}-1`, {
          base_exp_id: r.body.base_exp_id,
          dataset_id: r.body.dataset_id,
          metadata: r.body.metadata
        }))),
      on("POST", `/v1/experiment/${experimentId}/insert`, (r) => json({ row_ids: r.body.events.map((e: any) => e.id) }))
    )
    return Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const experiments = yield* Experiments
      const experiment = yield* experiments.create({ name: "run", baseline: baselineId, dataset: "qa", metadata: { ci: true } })
      assert.deepStrictEqual(
        { id: experiment.id, name: experiment.name, baseline: experiment.baseline, dataset: experiment.dataset, metadata: experiment.metadata },
        { id: experimentId, name: "run-1", baseline: baselineId, dataset: "qa", metadata: { ci: true } }
      )
      const create = calls().find((r) => r.method === "POST" && r.url.pathname === "/v1/experiment")!
      assert.deepStrictEqual(create.body, {
        project_id: PROJECT_ID,
        name: "run",
        ensure_new: true,
        base_exp_id: baselineId,
        dataset_id: uuid(62),
        metadata: { ci: true, promptops: { dataset: "qa" } }
      })

      yield* experiments.log(experimentId, [
        result("a", 0, { usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7, cost: 0.01 }, tags: ["x"] }),
        result("a", 1, { error: "boom", traceId: "t".repeat(32), spanId: "s".repeat(16) })
      ])
      const insert = calls().find((r) => r.url.pathname === `/v1/experiment/${experimentId}/insert`)!
      const id = BraintrustExperiments.resultRowId(experimentId, "a", 0)
      assert.match(id, /^[0-9a-f]{32}$/)
      assert.deepStrictEqual(insert.body.events, [
        {
          id,
          span_id: id,
          root_span_id: id,
          span_attributes: { name: "eval", type: "eval" },
          created: "2026-11-22T09:59:59.750Z",
          input: { caseId: "a" },
          output: "out-a",
          expected: "exp-a",
          scores: { accuracy: 1, skipped: null },
          metadata: { model: "m", promptops: { case_id: "a", trial: 0, duration_ms: 250 } },
          tags: ["x"],
          metrics: {
            start: (NOW - 250) / 1000,
            end: NOW / 1000,
            prompt_tokens: 3,
            completion_tokens: 4,
            tokens: 7,
            cost: 0.01
          }
        },
        {
          id: "s".repeat(16),
          span_id: "s".repeat(16),
          root_span_id: "t".repeat(32),
          _is_merge: true,
          span_attributes: { name: "eval", type: "eval" },
          created: "2026-11-22T09:59:59.750Z",
          input: { caseId: "a" },
          output: "out-a",
          expected: "exp-a",
          error: "boom",
          scores: { accuracy: 1, skipped: null },
          metadata: { model: "m", promptops: { case_id: "a", trial: 1, duration_ms: 250 } },
          metrics: { start: (NOW - 250) / 1000, end: NOW / 1000 }
        }
      ])
    }).pipe(Effect.provide(layer))
  })

  it("a logged row reads back as the same result", () => {
    const original = result("case-7", 2, { usage: { promptTokens: 3, totalTokens: 5 }, tags: ["t"], error: "e" })
    const row = BraintrustExperiments.resultToEvent(uuid(1), original, NOW)
    const id = row.id as string
    const fetched = {
      ...row,
      id,
      _xact_id: "1",
      created: "2026-11-22T10:00:00.000Z",
      project_id: PROJECT_ID,
      experiment_id: uuid(1),
      span_id: id,
      root_span_id: id
    }
    const back = BraintrustExperiments.resultFromEvent(fetched as never)!
    assert.deepStrictEqual(back, { ...original, traceId: id, spanId: id })
    // Child spans and other types are not results.
    assert.isUndefined(BraintrustExperiments.resultFromEvent({ ...fetched, span_parents: ["p"] } as never))
    assert.isUndefined(
      BraintrustExperiments.resultFromEvent({ ...fetched, span_attributes: { type: "task" } } as never)
    )
  })

  it.effect("summarize merges Braintrust's summary: local columns win, server-only columns are added", () => {
    const experimentId = uuid(70)
    const baselineId = uuid(71)
    const row = (experiment: string, caseId: string, score: number) => {
      const event = BraintrustExperiments.resultToEvent(experiment, result(caseId, 0, { scores: { accuracy: score } }), NOW)
      return {
        ...event,
        _xact_id: "1",
        created: "2026-11-22T10:00:00.000Z",
        project_id: PROJECT_ID,
        experiment_id: experiment,
        span_id: event.id,
        root_span_id: event.id
      }
    }
    const { calls, layer } = services(
      on("GET", `/v1/experiment/${experimentId}`, () => json(experimentObject(experimentId, "cand", { base_exp_id: baselineId }))),
      on("GET", `/v1/experiment/${baselineId}`, () => json(experimentObject(baselineId, "base"))),
      on("POST", `/v1/experiment/${experimentId}/fetch`, () => json({ events: [row(experimentId, "a", 1), row(experimentId, "b", 0)] })),
      on("POST", `/v1/experiment/${baselineId}/fetch`, () => json({ events: [row(baselineId, "a", 0.5), row(baselineId, "b", 0.5)] })),
      on("GET", `/v1/experiment/${experimentId}/summarize`, () =>
        json({
          project_name: "proj",
          experiment_name: "cand",
          project_url: "https://www.braintrust.dev/app/o/p/proj",
          experiment_url: "https://www.braintrust.dev/app/o/p/proj/experiments/cand",
          comparison_experiment_name: "base",
          scores: {
            accuracy: { name: "accuracy", score: 0.9, diff: 0.4, improvements: 9, regressions: 9 },
            Factuality: { name: "Factuality", score: 0.8, diff: 0.1, improvements: 1, regressions: 0 }
          },
          metrics: {
            prompt_tokens: { name: "prompt_tokens", metric: 12, unit: "tok", improvements: 0, regressions: 0 },
            total_tokens: { name: "total_tokens", metric: 20, unit: "tok", improvements: 0, regressions: 0 },
            trace_seconds: { name: "trace_seconds", metric: 1.5, unit: "s", improvements: 0, regressions: 0 }
          }
        }))
    )
    return Effect.gen(function*() {
      const experiments = yield* Experiments
      const summary = yield* experiments.summarize(experimentId)
      assert.strictEqual(summary.computedBy, "local+provider")
      assert.strictEqual(summary.url, "https://www.braintrust.dev/app/o/p/proj/experiments/cand")
      assert.deepStrictEqual(summary.comparison, { id: baselineId, name: "base" })
      // Computed locally from the logged rows.
      assert.strictEqual(summary.scores["accuracy"]!.mean, 0.5)
      assert.strictEqual(summary.scores["accuracy"]!.improvements, 1)
      assert.strictEqual(summary.scores["accuracy"]!.regressions, 1)
      // Only the server has these.
      assert.deepStrictEqual(summary.scores["Factuality"], {
        name: "Factuality",
        mean: 0.8,
        count: 0,
        diff: 0.1,
        improvements: 1,
        regressions: 0,
        missing: 0
      })
      // Braintrust's names and units mapped onto core's: counts in tokens, seconds as milliseconds.
      assert.deepStrictEqual(
        [summary.metrics["promptTokens"]!.mean, summary.metrics["promptTokens"]!.unit],
        [12, "tokens"]
      )
      assert.deepStrictEqual(
        [summary.metrics["totalTokens"]!.mean, summary.metrics["totalTokens"]!.unit],
        [20, "tokens"]
      )
      assert.strictEqual(summary.metrics["trace_seconds"]!.unit, "ms")
      assert.strictEqual(summary.metrics["trace_seconds"]!.mean, 1500)
      const table = Summary.toTable(summary)
      assert.notMatch(table, /%\s*$/m, "no metric as a percentage")
      assert.match(table, /^totalTokens\s+20\.0\s/m)
      const summarize = calls().find((r) => r.url.pathname.endsWith("/summarize"))!
      assert.strictEqual(summarize.url.searchParams.get("summarize_scores"), "true")
      assert.strictEqual(summarize.url.searchParams.get("comparison_experiment_id"), baselineId)
    }).pipe(Effect.provide(layer))
  })

  it.effect("an unknown baseline is NotFound and creates nothing", () => {
    const { calls, layer } = services()
    return Effect.gen(function*() {
      const experiments = yield* Experiments
      const error = yield* Effect.flip(experiments.create({ name: "x", baseline: uuid(99) }))
      assert.strictEqual(error._tag, "NotFound")
      assert.isFalse(calls().some((r) => r.method === "POST" && r.url.pathname === "/v1/experiment"))
    }).pipe(Effect.provide(layer))
  })
})

const T0 = Date.parse("2026-11-22T10:00:00.000Z")
const TRACE = "0af7651916cd43dd8448eb211c80319c"
const ROOT = "b7ad6b7169203331"
const CHILD = "00f067aa0ba902b7"
const EXPERIMENT = uuid(80)

const spans: ReadonlyArray<SpanRecord> = [
  {
    traceId: TRACE,
    spanId: ROOT,
    name: "handle request",
    kind: "task",
    startTime: T0,
    endTime: T0 + 1500,
    input: { question: "q" },
    output: "a",
    metadata: { user: "u1" },
    metrics: {},
    tags: ["web"],
    destination: { _tag: "ProjectLogs" }
  },
  {
    traceId: TRACE,
    spanId: CHILD,
    parentSpanId: ROOT,
    name: "search",
    kind: "retrieval",
    startTime: T0 + 100,
    endTime: T0 + 350,
    output: ["doc"],
    error: { message: "partial", type: "Timeout", stack: "Timeout: partial\n    at search (app.ts:3:7)" },
    metadata: {},
    metrics: { promptTokens: 3, completionTokens: 4, totalTokens: 7, cost: 0.002 },
    scores: { relevance: 0.5 },
    destination: { _tag: "ProjectLogs" },
    truncated: true
  },
  {
    traceId: "1".repeat(32),
    spanId: "2".repeat(16),
    name: "eval",
    kind: "eval",
    startTime: T0,
    endTime: T0 + 10,
    input: 1,
    expected: 2,
    metadata: {},
    metrics: {},
    scores: { exact: 0 },
    destination: { _tag: "Experiment", experimentId: EXPERIMENT }
  }
]

describe("BraintrustSpanSink", () => {
  it.effect("exports one cross-object insert with rows shaped as Braintrust expects", () => {
    const { calls, layer } = services(on("POST", "/v1/insert", () => json({})))
    return Effect.gen(function*() {
      const sink = yield* SpanSink
      assert.deepStrictEqual(sink.limits, { maxRows: 100, maxBytes: 3 * 1024 * 1024 })
      yield* sink.export(spans)
      const body = calls()[0]!.body
      assert.deepStrictEqual(body, {
        experiment: {
          [EXPERIMENT]: {
            events: [
              {
                id: "2".repeat(16),
                span_id: "2".repeat(16),
                root_span_id: "1".repeat(32),
                span_attributes: { name: "eval", type: "eval" },
                created: "2026-11-22T10:00:00.000Z",
                input: 1,
                expected: 2,
                metrics: { start: T0 / 1000, end: (T0 + 10) / 1000 },
                scores: { exact: 0 },
                _is_merge: true
              }
            ]
          }
        },
        project_logs: {
          [PROJECT_ID]: {
            events: [
              {
                id: ROOT,
                span_id: ROOT,
                root_span_id: TRACE,
                span_attributes: { name: "handle request", type: "task" },
                created: "2026-11-22T10:00:00.000Z",
                input: { question: "q" },
                output: "a",
                metadata: { user: "u1" },
                metrics: { start: T0 / 1000, end: (T0 + 1500) / 1000 },
                tags: ["web"]
              },
              {
                id: CHILD,
                span_id: CHILD,
                root_span_id: TRACE,
                span_parents: [ROOT],
                span_attributes: { name: "search", type: "tool", promptops_kind: "retrieval" },
                created: "2026-11-22T10:00:00.100Z",
                output: ["doc"],
                error: "partial\n\nTimeout: partial\n    at search (app.ts:3:7)",
                metadata: { promptops_truncated: true },
                metrics: {
                  start: (T0 + 100) / 1000,
                  end: (T0 + 350) / 1000,
                  prompt_tokens: 3,
                  completion_tokens: 4,
                  tokens: 7,
                  cost: 0.002
                },
                scores: { relevance: 0.5 }
              }
            ]
          }
        }
      })
    }).pipe(Effect.provide(layer))
  })

  it("a row reads back as the span it came from", () => {
    for (const span of spans) {
      const row = BraintrustSpanSink.toRow(span)
      const fetched = {
        ...row,
        _xact_id: "1",
        created: row.created,
        org_id: uuid(0),
        project_id: PROJECT_ID,
        log_id: "g",
        id: span.spanId,
        span_id: span.spanId,
        root_span_id: span.traceId
      }
      const back = BraintrustSpanSink.fromRow(fetched as never, span.destination)
      assert.deepStrictEqual(back, span)
    }
  })

  it("maps every kind to Braintrust's span types", () => {
    assert.deepStrictEqual(
      (["llm", "task", "tool", "retrieval", "function", "eval", "score", "span"] as const).map(BraintrustSpanSink.spanType),
      ["llm", "task", "tool", "tool", "function", "eval", "score", "function"]
    )
  })
})

describe("BraintrustFeedback", () => {
  it.effect("sends project-log and experiment feedback to their endpoints", () => {
    const { calls, layer } = services(
      on("POST", /\/feedback$/, () => json({ status: "success" }))
    )
    return Effect.gen(function*() {
      const feedback = yield* Feedback
      yield* feedback.log([
        { targetId: ROOT, scores: { helpful: 1 }, comment: "great", source: "app", metadata: { user: "u" } },
        { targetId: "row-9", expected: "x", destination: { _tag: "Experiment", experimentId: EXPERIMENT } }
      ])
      assert.deepStrictEqual(calls().map((r) => [r.url.pathname, r.body]), [
        [
          `/v1/project_logs/${PROJECT_ID}/feedback`,
          { feedback: [{ id: ROOT, scores: { helpful: 1 }, comment: "great", metadata: { user: "u" }, source: "app" }] }
        ],
        [`/v1/experiment/${EXPERIMENT}/feedback`, { feedback: [{ id: "row-9", expected: "x" }] }]
      ])
      const bad = yield* Effect.flip(feedback.log([{ targetId: ROOT, scores: { helpful: 2 } }]))
      assert.strictEqual(bad._tag, "InvalidInput")
    }).pipe(Effect.provide(layer))
  })
})
