import { assert, describe, it } from "@effect/vitest"
import { Chunk, Config, ConfigError, ConfigProvider, Effect, Fiber, Layer, Redacted, Stream, TestClock } from "effect"
import * as BraintrustClient from "../src/BraintrustClient.js"
import {
  API_KEY,
  clientLayer,
  experimentObject,
  fakeVendor,
  functionObject,
  json,
  PROJECT_ID,
  project,
  promptObject,
  sse,
  uuid
} from "./fakeVendor.js"

const Client = BraintrustClient.BraintrustClient

const summary = {
  project_name: "proj",
  experiment_name: "exp-1",
  project_url: "https://www.braintrust.dev/app/org/p/proj",
  experiment_url: "https://www.braintrust.dev/app/org/p/proj/experiments/exp-1",
  comparison_experiment_name: "base",
  scores: { accuracy: { name: "accuracy", score: 0.75, diff: 0.25, improvements: 2, regressions: 1 } },
  metrics: { duration: { name: "duration", metric: 1.5, unit: "s", diff: -0.5, improvements: 1, regressions: 0 } }
}

describe("BraintrustClient", () => {
  describe("requests", () => {
    it.effect("sends bearer auth, x-bt-org-name and JSON accept to the default base URL", () => {
      const { captured, layer } = clientLayer(() => json(functionObject(1)), { orgName: "acme" })
      return Effect.gen(function*() {
        const client = yield* Client
        const fn = yield* client.functions.get(uuid(1))
        assert.strictEqual(fn.slug, "fn-1")
        const request = captured[0]!
        assert.strictEqual(request.method, "GET")
        assert.strictEqual(request.url.toString(), `https://api.braintrust.dev/v1/function/${uuid(1)}`)
        assert.strictEqual(request.headers["authorization"], `Bearer ${API_KEY}`)
        assert.strictEqual(request.headers["x-bt-org-name"], "acme")
        assert.strictEqual(request.headers["accept"], "application/json")
      }).pipe(Effect.provide(layer))
    })

    it.effect("keeps a base URL's path prefix and sends no org header when none is configured", () => {
      const { captured, layer } = clientLayer(() => json(project()), { apiUrl: "https://bt.example.com/api/" })
      return Effect.gen(function*() {
        const client = yield* Client
        yield* client.projects.get(PROJECT_ID)
        assert.strictEqual(captured[0]!.url.toString(), `https://bt.example.com/api/v1/project/${PROJECT_ID}`)
        assert.isUndefined(captured[0]!.headers["x-bt-org-name"])
      }).pipe(Effect.provide(layer))
    })

    it.effect("encodes every function list parameter; ids repeat; the version is normalised", () => {
      const { captured, layer } = clientLayer(() => json({ objects: [functionObject(1)] }))
      return Effect.gen(function*() {
        const client = yield* Client
        const found = yield* client.functions.list({
          limit: 5,
          starting_after: uuid(9),
          ids: [uuid(1), uuid(2)],
          function_name: "my fn",
          project_name: "proj & co",
          slug: "fn-1",
          version: "81cd05ee665fdfb3",
          org_name: "acme"
        })
        assert.strictEqual(found.length, 1)
        const url = captured[0]!.url
        assert.strictEqual(url.pathname, "/v1/function")
        assert.deepStrictEqual(url.searchParams.getAll("ids"), [uuid(1), uuid(2)])
        assert.strictEqual(url.searchParams.get("limit"), "5")
        assert.strictEqual(url.searchParams.get("starting_after"), uuid(9))
        assert.strictEqual(url.searchParams.get("function_name"), "my fn")
        assert.strictEqual(url.searchParams.get("project_name"), "proj & co")
        assert.strictEqual(url.searchParams.get("slug"), "fn-1")
        // The pretty form is sent as its transaction id.
        assert.strictEqual(url.searchParams.get("version"), "1000192656880881099")
        assert.strictEqual(url.searchParams.get("org_name"), "acme")
        assert.isTrue(url.search.includes("project_name=proj+%26+co") || url.search.includes("project_name=proj%20%26%20co"))
      }).pipe(Effect.provide(layer))
    })

    it.effect("one id is one ids parameter; ending_before is sent as given", () => {
      const { captured, layer } = clientLayer(() => json({ objects: [] }))
      return Effect.gen(function*() {
        const client = yield* Client
        yield* client.projects.list({ ids: uuid(3), ending_before: uuid(4), project_name: "p" })
        const url = captured[0]!.url
        assert.deepStrictEqual(url.searchParams.getAll("ids"), [uuid(3)])
        assert.strictEqual(url.searchParams.get("ending_before"), uuid(4))
        assert.isNull(url.searchParams.get("starting_after"))
      }).pipe(Effect.provide(layer))
    })

    it.effect("bad input fails with InvalidInput before any request", () => {
      const { captured, layer } = clientLayer(() => json({ objects: [] }))
      return Effect.gen(function*() {
        const client = yield* Client
        const both = yield* Effect.flip(client.functions.list({ starting_after: uuid(1), ending_before: uuid(2) }))
        assert.strictEqual(both._tag, "InvalidInput")
        const badId = yield* Effect.flip(client.functions.get("not-a-uuid"))
        assert.strictEqual(badId._tag, "InvalidInput")
        assert.strictEqual(badId._tag === "InvalidInput" && badId.path, "functionId")
        const badVersion = yield* Effect.flip(client.prompts.get(uuid(1), { version: "v2" }))
        assert.strictEqual(badVersion._tag, "InvalidInput")
        const negative = yield* Effect.flip(client.projects.list({ limit: -1 }))
        assert.strictEqual(negative._tag, "InvalidInput")
        const badScore = yield* Effect.flip(
          client.experiments.insert(uuid(5), [{ id: "r1", input: 1, scores: { accuracy: 1.5 } }])
        )
        assert.strictEqual(badScore._tag, "InvalidInput")
        assert.strictEqual(badScore._tag === "InvalidInput" && badScore.path, "body.events[0].scores.accuracy")
        const bigint = yield* Effect.flip(client.experiments.insert(uuid(5), [{ id: "r1", input: 1n }]))
        assert.strictEqual(bigint._tag, "InvalidInput")
        assert.strictEqual(captured.length, 0)
      }).pipe(Effect.provide(layer))
    })
  })

  describe("get-or-create", () => {
    it.effect("create reports x-bt-found-existing; PUT replace goes to the same path", () => {
      const { captured, layer } = clientLayer((request, index) =>
        json(functionObject(1), { headers: index === 0 ? {} : { "x-bt-found-existing": "true" } })
      )
      return Effect.gen(function*() {
        const client = yield* Client
        const body = {
          project_id: PROJECT_ID,
          name: "fn 1",
          slug: "fn-1",
          function_data: { type: "code", data: { type: "inline", runtime_context: { runtime: "node", version: "20" }, code: "x" } }
        } as const
        const first = yield* client.functions.create(body)
        assert.isFalse(first.foundExisting)
        assert.strictEqual(first.function.id, uuid(1))
        const second = yield* client.functions.create(body)
        assert.isTrue(second.foundExisting)
        const replaced = yield* client.functions.replace(body)
        assert.isTrue(replaced.foundExisting)
        assert.deepStrictEqual(captured.map((r) => `${r.method} ${r.url.pathname}`), [
          "POST /v1/function",
          "POST /v1/function",
          "PUT /v1/function"
        ])
        assert.deepStrictEqual(captured[0]!.body, body)
      }).pipe(Effect.provide(layer))
    })

    it.effect("resolveProject get-or-creates the configured project once", () => {
      const { captured, layer } = clientLayer(() => json(project("proj")), { orgName: "acme" })
      return Effect.gen(function*() {
        const client = yield* Client
        const [a, b] = yield* Effect.all([client.resolveProject(), client.resolveProject()], { concurrency: 2 })
        const c = yield* client.resolveProject("proj")
        assert.strictEqual(a.id, PROJECT_ID)
        assert.strictEqual(b.id, PROJECT_ID)
        assert.strictEqual(c.id, PROJECT_ID)
        assert.strictEqual(captured.length, 1)
        assert.strictEqual(captured[0]!.method, "POST")
        assert.deepStrictEqual(captured[0]!.body, { name: "proj", org_name: "acme" })
      }).pipe(Effect.provide(layer))
    })

    it.effect("findProject reads the project by name (GET, never POST) and caches it once found", () => {
      const { captured, layer } = clientLayer(() => json({ objects: [project("proj")] }), { orgName: "acme" })
      return Effect.gen(function*() {
        const client = yield* Client
        const [a, b] = yield* Effect.all([client.findProject(), client.findProject()], { concurrency: 2 })
        // A write after a read reuses the project found: no get-or-create.
        const c = yield* client.resolveProject()
        assert.strictEqual(a.id, PROJECT_ID)
        assert.strictEqual(b.id, PROJECT_ID)
        assert.strictEqual(c.id, PROJECT_ID)
        assert.deepStrictEqual(captured.map((r) => `${r.method} ${r.url.pathname}`), ["GET /v1/project"])
        assert.strictEqual(captured[0]!.url.searchParams.get("project_name"), "proj")
        assert.strictEqual(captured[0]!.url.searchParams.get("org_name"), "acme")
      }).pipe(Effect.provide(layer))
    })

    it.effect("findProject of a missing project is NotFound naming it and BRAINTRUST_PROJECT, not cached", () => {
      let exists = false
      const { captured, layer } = clientLayer(() => json({ objects: exists ? [project("proj")] : [] }))
      return Effect.gen(function*() {
        const client = yield* Client
        const error = yield* Effect.flip(client.findProject())
        assert.strictEqual(error._tag, "NotFound")
        assert.include(error.message, `Braintrust project "proj" does not exist`)
        assert.include(error.message, "BRAINTRUST_PROJECT")
        exists = true
        const found = yield* client.findProject()
        assert.strictEqual(found.id, PROJECT_ID)
        assert.deepStrictEqual(captured.map((r) => r.method), ["GET", "GET"])
      }).pipe(Effect.provide(layer))
    })

    it.effect("resolveProject without a configured project is InvalidInput", () => {
      const { layer } = clientLayer(() => json(project()), { project: undefined })
      return Effect.gen(function*() {
        const client = yield* Client
        const error = yield* Effect.flip(client.resolveProject())
        assert.strictEqual(error._tag, "InvalidInput")
      }).pipe(Effect.provide(layer))
    })
  })

  describe("list paging", () => {
    // Five functions, newest first, served with Braintrust's cursor semantics.
    const items = [1, 2, 3, 4, 5].map((n) => functionObject(n))
    const listHandler = (request: { readonly url: URL }) => {
      const params = request.url.searchParams
      const limit = Number(params.get("limit") ?? "1000")
      const after = params.get("starting_after")
      const before = params.get("ending_before")
      if (after !== null) {
        const index = items.findIndex((item) => item.id === after)
        return json({ objects: items.slice(index + 1, index + 1 + limit) })
      }
      if (before !== null) {
        const index = items.findIndex((item) => item.id === before)
        return json({ objects: items.slice(Math.max(0, index - limit), index) })
      }
      return json({ objects: items.slice(0, limit) })
    }

    it.effect("walks forward (older) from the newest with starting_after", () => {
      const { captured, layer } = clientLayer(listHandler)
      return Effect.gen(function*() {
        const client = yield* Client
        const all = yield* Stream.runCollect(client.functions.stream({ limit: 2, project_name: "proj" }))
        assert.deepStrictEqual(Chunk.toReadonlyArray(all).map((fn) => fn.slug), ["fn-1", "fn-2", "fn-3", "fn-4", "fn-5"])
        assert.deepStrictEqual(
          captured.map((r) => [r.url.searchParams.get("starting_after"), r.url.searchParams.get("limit")]),
          [[null, "2"], [uuid(2), "2"], [uuid(4), "2"]]
        )
        assert.isTrue(captured.every((r) => r.url.searchParams.get("project_name") === "proj"))
      }).pipe(Effect.provide(layer))
    })

    it.effect("walks backward (newer) from ending_before, moving away from the cursor", () => {
      const { captured, layer } = clientLayer(listHandler)
      return Effect.gen(function*() {
        const client = yield* Client
        const all = yield* Stream.runCollect(client.functions.stream({ limit: 2, ending_before: uuid(5) }))
        assert.deepStrictEqual(Chunk.toReadonlyArray(all).map((fn) => fn.slug), ["fn-4", "fn-3", "fn-2", "fn-1"])
        assert.deepStrictEqual(
          captured.map((r) => [r.url.searchParams.get("ending_before"), r.url.searchParams.get("starting_after")]),
          [[uuid(5), null], [uuid(3), null], [uuid(1), null]]
        )
      }).pipe(Effect.provide(layer))
    })

    it.effect("a stream is lazy: taking 3 of 5 with page size 2 reads two pages", () => {
      const { captured, layer } = clientLayer(listHandler)
      return Effect.gen(function*() {
        const client = yield* Client
        const some = yield* Stream.runCollect(Stream.take(client.functions.stream({ limit: 2 }), 3))
        assert.strictEqual(Chunk.size(some), 3)
        assert.strictEqual(captured.length, 2)
      }).pipe(Effect.provide(layer))
    })
  })

  describe("fetch", () => {
    it.effect("fetchAll follows cursors via POST and keeps each row's highest _xact_id (as bigint)", () => {
      const pages = [
        {
          events: [
            { ...row("a", "1000192656880881099"), input: "a-old" },
            { ...row("b", "1000192656880881200"), input: "b-new" }
          ],
          cursor: "c1"
        },
        {
          events: [
            // Out of order: a newer version of `a` that a Number comparison could not tell apart.
            { ...row("a", "1000192656880881100"), input: "a-new" },
            { ...row("b", "1000192656880881150"), input: "b-old" },
            { ...row("c", "1000192656880881000"), input: "c" }
          ],
          cursor: "c2"
        },
        { events: [] }
      ]
      const { captured, layer } = clientLayer((_, index) => json(pages[index]!))
      return Effect.gen(function*() {
        const client = yield* Client
        const events = yield* client.experiments.fetchAll(uuid(7), { max_xact_id: "1000192656880881999" })
        assert.deepStrictEqual(events.map((e) => [e.id, e.input]), [["a", "a-new"], ["b", "b-new"], ["c", "c"]])
        assert.deepStrictEqual(captured.map((r) => `${r.method} ${r.url.pathname}`), [
          `POST /v1/experiment/${uuid(7)}/fetch`,
          `POST /v1/experiment/${uuid(7)}/fetch`,
          `POST /v1/experiment/${uuid(7)}/fetch`
        ])
        assert.deepStrictEqual(captured.map((r) => r.body.cursor), [undefined, "c1", "c2"])
        assert.isTrue(captured.every((r) => r.body.limit === 1000 && r.body.max_xact_id === "1000192656880881999"))
      }).pipe(Effect.provide(layer))
    })

    it("latestVersions keeps the first position of each row", () => {
      const out = BraintrustClient.latestVersions([
        { id: "x", _xact_id: "5" },
        { id: "y", _xact_id: "1" },
        { id: "x", _xact_id: "7" },
        { id: "x", _xact_id: "6" }
      ])
      assert.deepStrictEqual(out, [{ id: "x", _xact_id: "7" }, { id: "y", _xact_id: "1" }])
    })

    it.effect("a fetch version in pretty form is sent as its transaction id", () => {
      const { captured, layer } = clientLayer(() => json({ events: [] }))
      return Effect.gen(function*() {
        const client = yield* Client
        yield* client.datasets.fetch(uuid(8), { version: "81cd05ee665fdfb3", limit: 10 })
        assert.deepStrictEqual(captured[0]!.body, { version: "1000192656880881099", limit: 10 })
        assert.strictEqual(captured[0]!.url.pathname, `/v1/dataset/${uuid(8)}/fetch`)
      }).pipe(Effect.provide(layer))
    })
  })

  describe("inserts and feedback", () => {
    it.effect("rows without an id get one before the first attempt; given ids are kept", () => {
      const { captured, layer } = clientLayer((request) =>
        json({ row_ids: request.body.events.map((e: { id: string }) => e.id) })
      )
      return Effect.gen(function*() {
        const client = yield* Client
        const ids = yield* client.projectLogs.insert(PROJECT_ID, [{ id: "mine", input: 1 }, { input: 2 }])
        assert.strictEqual(ids[0], "mine")
        assert.match(ids[1]!, /^[0-9a-f-]{36}$/)
        assert.strictEqual(captured[0]!.url.pathname, `/v1/project_logs/${PROJECT_ID}/insert`)
        assert.deepStrictEqual(captured[0]!.body.events.map((e: { id: string }) => e.id), ids)
      }).pipe(Effect.provide(layer))
    })

    it.effect("cross-object insert groups by object and fills row ids", () => {
      const { captured, layer } = clientLayer(() => json({ experiment: { [uuid(1)]: { row_ids: ["r"] } } }))
      return Effect.gen(function*() {
        const client = yield* Client
        const response = yield* client.insert({
          experiment: { [uuid(1)]: { events: [{ input: 1 }] } },
          project_logs: { [PROJECT_ID]: { feedback: [{ id: "row", scores: { good: 1 } }] } }
        })
        assert.deepStrictEqual(response.experiment?.[uuid(1)]?.row_ids, ["r"])
        const body = captured[0]!.body
        assert.strictEqual(captured[0]!.url.pathname, "/v1/insert")
        assert.match(body.experiment[uuid(1)].events[0].id, /^[0-9a-f-]{36}$/)
        assert.deepStrictEqual(body.project_logs[PROJECT_ID].feedback, [{ id: "row", scores: { good: 1 } }])
      }).pipe(Effect.provide(layer))
    })

    it.effect("experiment and function feedback go to their endpoints", () => {
      const { captured, layer } = clientLayer((request) =>
        request.url.pathname.startsWith("/v1/function") ? new Response(null, { status: 200 }) : json({ status: "success" })
      )
      return Effect.gen(function*() {
        const client = yield* Client
        const status = yield* client.experiments.feedback(uuid(2), [{ id: "row-1", scores: { q: 0.5 }, comment: "ok" }])
        assert.strictEqual(status.status, "success")
        yield* client.functions.feedback(uuid(3), [{ id: "evt-1", scores: { q: 1 }, source: "app" }])
        assert.deepStrictEqual(captured.map((r) => `${r.method} ${r.url.pathname}`), [
          `POST /v1/experiment/${uuid(2)}/feedback`,
          `POST /v1/function/${uuid(3)}/feedback`
        ])
        assert.deepStrictEqual(captured[1]!.body, { feedback: [{ id: "evt-1", scores: { q: 1 }, source: "app" }] })
      }).pipe(Effect.provide(layer))
    })
  })

  describe("errors", () => {
    it.effect("a Braintrust 400 envelope becomes BadRequest with its issues and trace id", () => {
      const message = JSON.stringify({
        error: "Invalid request",
        errors: [{ code: "invalid_type", expected: "number", path: ["events", 0, "scores", "x"], message: "Expected number" }]
      })
      const { captured, layer } = clientLayer(() =>
        json(
          {
            Code: "BadRequestError",
            Message: `${message} [user_email=a@example.com] [user_org=acme] [timestamp=1]`,
            InternalTraceId: "trace-abc",
            Path: "/v1/experiment/x/insert",
            Service: "api"
          },
          { status: 400 }
        ), { retry: {} })
      return Effect.gen(function*() {
        const client = yield* Client
        const error = yield* Effect.flip(client.experiments.insert(uuid(1), [{ id: "r", input: 1 }]))
        assert.strictEqual(error._tag, "BadRequest")
        if (error._tag !== "BadRequest") return
        assert.strictEqual(error.status, 400)
        assert.strictEqual(error.requestId, "trace-abc")
        assert.strictEqual(error.provider, "braintrust")
        assert.strictEqual(error.operation, "BraintrustClient.experiments.insert")
        assert.deepStrictEqual(error.issues.map((i) => [i.path, i.message]), [["events[0].scores.x", "Expected number"]])
        assert.notInclude(error.message, "a@example.com")
        // 400 is never retried.
        assert.strictEqual(captured.length, 1)
      }).pipe(Effect.provide(layer))
    })

    it.effect("401, 403 (unknown route), 404, a text body and an undecodable body", () => {
      const answers = [
        json({ Code: "Unauthorized", Message: "Invalid API key" }, { status: 401 }),
        json({ message: "Invalid key=value pair (missing equal-sign) in Authorization header" }, { status: 403 }),
        json({ Code: "NotFoundError", Message: "Function not found" }, { status: 404 }),
        new Response("upstream exploded", { status: 502, headers: { "content-type": "text/plain" } }),
        json({ objects: [{ id: 42 }] })
      ]
      const { layer } = clientLayer((_, index) => answers[index]!)
      return Effect.gen(function*() {
        const client = yield* Client
        const tags: Array<string> = []
        for (let i = 0; i < answers.length; i++) {
          const error = yield* Effect.flip(client.functions.list())
          tags.push(error._tag)
          if (i === 3) assert.strictEqual(error.message.includes("upstream exploded"), true)
          if (i === 4) assert.strictEqual(error._tag === "DecodeError" && error.path, "objects[0].id")
        }
        assert.deepStrictEqual(tags, ["Unauthorized", "Forbidden", "NotFound", "ProviderUnavailable", "DecodeError"])
      }).pipe(Effect.provide(layer))
    })

    it.effect("429 + Retry-After is retried after exactly that long", () => {
      const { captured, layer } = clientLayer(
        (_, index) =>
          index === 0
            ? json({ Code: "TooManyRequestsError", Message: "slow down" }, { status: 429, headers: { "retry-after": "2" } })
            : json({ objects: [] }),
        { retry: { maxRetries: 3 } }
      )
      return Effect.gen(function*() {
        const client = yield* Client
        const fiber = yield* Effect.fork(client.projects.list())
        yield* TestClock.adjust("1999 millis")
        assert.strictEqual(captured.length, 1)
        yield* TestClock.adjust("1 millis")
        const result = yield* Fiber.join(fiber)
        assert.deepStrictEqual(result, [])
        assert.strictEqual(captured.length, 2)
      }).pipe(Effect.provide(layer))
    })

    it.effect("a new experiment (ensure_new) is never retried; a get-or-create is", () => {
      const { captured, layer } = clientLayer(
        (request, index) =>
          index === 0 || index === 1
            ? json({ Code: "InternalServerError" }, { status: 503 })
            : json(experimentObject(uuid(1), request.body.name)),
        { retry: { maxRetries: 2, jitter: false, base: "100 millis" } }
      )
      return Effect.gen(function*() {
        const client = yield* Client
        const error = yield* Effect.flip(client.experiments.create({ project_id: PROJECT_ID, name: "e", ensure_new: true }))
        assert.strictEqual(error._tag, "ProviderUnavailable")
        assert.strictEqual(captured.length, 1)
        const fiber = yield* Effect.fork(client.experiments.create({ project_id: PROJECT_ID, name: "e" }))
        yield* TestClock.adjust("1 second")
        const created = yield* Fiber.join(fiber)
        assert.strictEqual(created.experiment.name, "e")
        assert.strictEqual(captured.length, 3)
      }).pipe(Effect.provide(layer))
    })
  })

  describe("streams", () => {
    it.effect("invokeStream sends stream: true and parses Server-Sent Events", () => {
      const { captured, layer } = clientLayer(() =>
        sse([
          { event: "text_delta", data: JSON.stringify("Hello ") },
          { event: "text_delta", data: JSON.stringify("world") },
          { event: "progress", data: JSON.stringify({ step: 1 }) },
          { event: "done", data: "" }
        ])
      )
      return Effect.gen(function*() {
        const client = yield* Client
        const events = yield* Stream.runCollect(
          client.functions.invokeStream(uuid(4), { input: { name: "Ada" }, version: "81cd05ee665fdfb3" })
        )
        assert.deepStrictEqual(Chunk.toReadonlyArray(events), [
          { _tag: "TextDelta", text: "Hello " },
          { _tag: "TextDelta", text: "world" },
          { _tag: "Progress", data: { step: 1 } },
          { _tag: "Done" }
        ])
        const request = captured[0]!
        assert.strictEqual(request.url.pathname, `/v1/function/${uuid(4)}/invoke`)
        assert.strictEqual(request.headers["accept"], "text/event-stream")
        assert.deepStrictEqual(request.body, { input: { name: "Ada" }, version: "1000192656880881099", stream: true })
      }).pipe(Effect.provide(layer))
    })

    it.effect("invoke returns the function's JSON output", () => {
      const { captured, layer } = clientLayer(() => json({ answer: 42 }))
      return Effect.gen(function*() {
        const client = yield* Client
        const output = yield* client.functions.invoke(uuid(4), {
          input: 1,
          parent: { object_type: "project_logs", object_id: PROJECT_ID }
        })
        assert.deepStrictEqual(output, { answer: 42 })
        assert.strictEqual(captured[0]!.body.stream, false)
      }).pipe(Effect.provide(layer))
    })

    it.effect("eval launch sends every body field and decodes the summary", () => {
      const { captured, layer } = clientLayer(() => json(summary))
      return Effect.gen(function*() {
        const client = yield* Client
        const body = {
          project_id: PROJECT_ID,
          data: { project_name: "proj", dataset_name: "qa", dataset_version: "81cd05ee665fdfb3" },
          task: { inline_prompt: { prompt: { type: "chat", messages: [{ role: "user", content: "{{input}}" }] } } },
          scores: [
            { global_function: "ExactMatch" },
            { function_id: uuid(5), version: "1" },
            { project_name: "proj", slug: "scorer" },
            { prompt_session_id: "ps", prompt_session_function_id: "f" },
            { inline_context: { runtime: "node", version: "20" }, code: "return 1", name: "one" },
            { inline_function: { type: "code" }, name: "inline" }
          ],
          experiment_name: "remote",
          metadata: { owner: "ci" },
          parent: "span-slug",
          trial_count: 2,
          is_public: false,
          timeout: 60_000,
          max_concurrency: null,
          base_experiment_name: "base",
          base_experiment_id: uuid(6),
          git_metadata_settings: { collect: "some", fields: ["commit", "branch"] },
          repo_info: { commit: "abc", dirty: false },
          strict: true,
          stop_token: "stop",
          extra_messages: "messages",
          tags: ["nightly"],
          name: "eval",
          parameters: { k: 1 },
          mcp_auth: { "https://mcp.example.com": { oauth_token: "t" } }
        } as const
        const result = yield* client.eval.launch(body)
        assert.strictEqual(result.scores?.["accuracy"]?.diff, 0.25)
        assert.strictEqual(result.metrics?.["duration"]?.unit, "s")
        assert.deepStrictEqual(captured[0]!.body, { ...body, stream: false })
      }).pipe(Effect.provide(layer))
    })

    it.effect("eval launchStream yields start, progress, summary and done", () => {
      const { layer } = clientLayer(() =>
        sse([
          { event: "start", data: JSON.stringify({ experiment_id: uuid(1), experiment_name: "exp-1" }) },
          { event: "progress", data: JSON.stringify({ id: "r1", event: "json_delta", data: "1" }) },
          { event: "summary", data: JSON.stringify(summary) },
          { event: "done", data: "" }
        ])
      )
      return Effect.gen(function*() {
        const client = yield* Client
        const events = Chunk.toReadonlyArray(
          yield* Stream.runCollect(
            client.eval.launchStream({
              project_id: PROJECT_ID,
              data: { data: [{ input: 1 }] },
              task: { global_function: "Echo" },
              scores: []
            })
          )
        )
        assert.deepStrictEqual(events.map((e) => e._tag), ["Start", "Progress", "Summary", "Done"])
        const start = events[0]!
        assert.strictEqual(start._tag === "Start" && start.start.experiment_id, uuid(1))
        const done = events[2]!
        assert.strictEqual(done._tag === "Summary" && done.summary.experiment_name, "exp-1")
      }).pipe(Effect.provide(layer))
    })

    it.effect("a summary event that does not decode fails the stream with DecodeError", () => {
      const { layer } = clientLayer(() => sse([{ event: "summary", data: JSON.stringify({ project_name: 1 }) }]))
      return Effect.gen(function*() {
        const client = yield* Client
        const error = yield* Effect.flip(
          Stream.runDrain(
            client.eval.launchStream({ project_id: PROJECT_ID, data: { data: [] }, task: { global_function: "x" }, scores: [] })
          )
        )
        assert.strictEqual(error._tag, "DecodeError")
      }).pipe(Effect.provide(layer))
    })
  })

  describe("layerConfig", () => {
    it.effect("reads the options from Config values", () => {
      const vendor = fakeVendor(() => json({ objects: [] }))
      const layer = BraintrustClient.layerConfig({
        apiKey: Config.redacted("BRAINTRUST_API_KEY"),
        apiUrl: Config.string("BRAINTRUST_API_URL").pipe(Config.withDefault(undefined)),
        orgName: Config.string("BRAINTRUST_ORG_NAME").pipe(Config.withDefault(undefined)),
        project: Config.string("BRAINTRUST_PROJECT")
      }).pipe(
        Layer.provide(vendor.httpLayer),
        Layer.provide(
          Layer.setConfigProvider(
            ConfigProvider.fromMap(
              new Map([
                ["BRAINTRUST_API_KEY", "sk-from-config"],
                ["BRAINTRUST_API_URL", "http://127.0.0.1:8787"],
                ["BRAINTRUST_ORG_NAME", "acme"],
                ["BRAINTRUST_PROJECT", "configured"]
              ])
            )
          )
        )
      )
      return Effect.gen(function*() {
        const client = yield* Client
        assert.strictEqual(client.project, "configured")
        assert.strictEqual(client.apiUrl, "http://127.0.0.1:8787")
        yield* client.prompts.list()
        const request = vendor.captured[0]!
        assert.strictEqual(request.url.toString(), "http://127.0.0.1:8787/v1/prompt")
        assert.strictEqual(request.headers["authorization"], "Bearer sk-from-config")
        assert.strictEqual(request.headers["x-bt-org-name"], "acme")
      }).pipe(Effect.provide(layer))
    })

    it.effect("a missing key is a ConfigError; a plain-http remote URL is InvalidInput", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor(() => json({}))
        const build = (map: ReadonlyArray<[string, string]>) =>
          Layer.build(
            BraintrustClient.layerConfig({
              apiKey: Config.redacted("BRAINTRUST_API_KEY"),
              apiUrl: Config.string("BRAINTRUST_API_URL").pipe(Config.withDefault(undefined))
            }).pipe(
              Layer.provide(vendor.httpLayer),
              Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(map))))
            )
          ).pipe(Effect.scoped, Effect.flip)
        const missing = yield* build([])
        assert.isTrue(ConfigError.isConfigError(missing))
        const insecure = yield* build([["BRAINTRUST_API_KEY", "k"], ["BRAINTRUST_API_URL", "http://example.com"]])
        assert.strictEqual(insecure._tag, "InvalidInput")
        // Nothing was sent.
        assert.strictEqual(vendor.captured.length, 0)
        // The key never shows in what a layer failure prints.
        assert.notInclude(String(Redacted.make(API_KEY)), API_KEY)
      }))
  })

  it.effect("prompts.get and the neutral-facing list use the right paths", () => {
    const { captured, layer } = clientLayer(() => json(promptObject("greet", "1000192656880881099", null)))
    return Effect.gen(function*() {
      const client = yield* Client
      yield* client.prompts.get(uuid(9), { environment: "production" })
      assert.strictEqual(captured[0]!.url.pathname, `/v1/prompt/${uuid(9)}`)
      assert.strictEqual(captured[0]!.url.searchParams.get("environment"), "production")
      const both = yield* Effect.flip(client.prompts.get(uuid(9), { environment: "production", version: "1" }))
      assert.strictEqual(both._tag, "InvalidInput")
    }).pipe(Effect.provide(layer))
  })

  it.effect("environments: list / create / get / update / delete on /environment (no /v1)", () => {
    const environment = (n: number, slug: string, extra: Record<string, unknown> = {}) => ({
      id: uuid(n),
      org_id: "00000000-0000-4000-8000-000000000000",
      name: slug,
      slug,
      description: null,
      created: "2026-11-22T10:00:00.000Z",
      deleted_at: null,
      ...extra
    })
    const { captured, layer } = clientLayer((request) => {
      if (request.method === "GET" && request.url.pathname === "/environment") {
        return json({ objects: [environment(2, "staging"), environment(1, "production", { color: "red" })] })
      }
      if (request.method === "POST") return json(environment(3, request.body.slug, { name: request.body.name }))
      if (request.method === "PATCH") return json(environment(1, "production", request.body))
      if (request.method === "DELETE") return json(environment(1, "production", { deleted_at: "2026-11-23T00:00:00.000Z" }))
      return json(environment(1, "production"))
    })
    return Effect.gen(function*() {
      const client = yield* Client
      const listed = yield* client.environments.list({ ids: [uuid(1), uuid(2)], name: "production" })
      assert.deepStrictEqual(listed.map((e) => e.slug), ["staging", "production"])
      // Fields the file does not declare survive the decode.
      assert.strictEqual(listed[1]!["color"], "red")
      assert.strictEqual(captured[0]!.url.pathname, "/environment")
      assert.deepStrictEqual(captured[0]!.url.searchParams.getAll("ids"), [uuid(1), uuid(2)])
      assert.strictEqual(captured[0]!.url.searchParams.get("name"), "production")
      yield* client.environments.list()
      assert.strictEqual(captured[1]!.url.search, "")

      const created = yield* client.environments.create({ name: "Dev", slug: "dev", description: "d" })
      assert.strictEqual(created.slug, "dev")
      assert.strictEqual(captured[2]!.method, "POST")
      assert.strictEqual(captured[2]!.url.pathname, "/environment")
      assert.deepStrictEqual(captured[2]!.body, { name: "Dev", slug: "dev", description: "d" })

      assert.strictEqual((yield* client.environments.get(uuid(1))).slug, "production")
      assert.strictEqual(captured[3]!.url.pathname, `/environment/${uuid(1)}`)
      const updated = yield* client.environments.update(uuid(1), { description: "live" })
      assert.strictEqual(updated.description, "live")
      assert.strictEqual(captured[4]!.method, "PATCH")
      assert.deepStrictEqual(captured[4]!.body, { description: "live" })
      const deleted = yield* client.environments.delete(uuid(1))
      assert.strictEqual(deleted.deleted_at, "2026-11-23T00:00:00.000Z")
      assert.strictEqual(captured[5]!.method, "DELETE")
      assert.strictEqual(captured[5]!.url.pathname, `/environment/${uuid(1)}`)

      // Bad input fails before anything is sent.
      const sent = captured.length
      const badId = yield* Effect.flip(client.environments.get("production"))
      assert.strictEqual(badId._tag === "InvalidInput" && badId.path, "environmentId")
      const emptySlug = yield* Effect.flip(client.environments.create({ name: "x", slug: "" }))
      assert.strictEqual(emptySlug._tag === "InvalidInput" && emptySlug.path, "body.slug")
      assert.strictEqual((yield* Effect.flip(client.environments.update("x", {})))._tag, "InvalidInput")
      assert.strictEqual((yield* Effect.flip(client.environments.delete("x")))._tag, "InvalidInput")
      assert.strictEqual(captured.length, sent)
    }).pipe(Effect.provide(layer))
  })
})

const row = (id: string, xact: string) => ({
  id,
  _xact_id: xact,
  created: "2026-11-22T10:00:00.000Z",
  project_id: PROJECT_ID,
  experiment_id: uuid(7),
  span_id: id,
  root_span_id: id
})
