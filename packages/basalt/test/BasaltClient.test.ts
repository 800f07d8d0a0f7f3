import { assert, describe, it } from "@effect/vitest"
import { Prompts } from "@promptops/core/Prompts"
import { Chunk, Config, ConfigProvider, Effect, Exit, Fiber, Layer, Redacted, Stream, TestClock } from "effect"
import { readFileSync } from "node:fs"
import * as Basalt from "../src/Basalt.js"
import * as BasaltClient from "../src/BasaltClient.js"
import { apiKey, type Captured, clientLayer, fakeBasalt, promptResponse } from "./fakeBasalt.js"

const json = (status: number, body: unknown) => ({ status, json: body })

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure === undefined) throw new Error(`expected a typed failure, got ${exit.cause._tag}`)
  return failure
}

const withClient = <A, E>(
  handler: (request: Captured, index: number) => ReturnType<Parameters<typeof fakeBasalt>[0]>,
  program: (client: BasaltClient.BasaltClient.Service) => Effect.Effect<A, E>,
  options: Partial<BasaltClient.Options> = {}
) => {
  const { captured, layer } = clientLayer(handler, options)
  return Effect.map(
    Effect.provide(Effect.flatMap(BasaltClient.BasaltClient, program), layer),
    (value) => ({ value, captured })
  )
}

describe("BasaltClient", () => {
  it("sends its real version as X-BASALT-SDK-VERSION", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
    assert.strictEqual(BasaltClient.sdkVersion, pkg.version)
  })

  it.effect("GET /prompts/{slug}: no query when nothing is pinned; bearer auth and SDK headers", () =>
    Effect.gen(function*() {
      const { captured, value } = yield* withClient(
        () => json(200, promptResponse()),
        (client) => client.getPrompt("greeting")
      )
      assert.strictEqual(captured.length, 1)
      const request = captured[0]!
      assert.strictEqual(request.method, "GET")
      assert.strictEqual(request.url.toString(), "https://basalt.test/prompts/greeting")
      assert.strictEqual(request.headers["authorization"], `Bearer ${apiKey}`)
      assert.strictEqual(request.headers["x-basalt-sdk-type"], "promptops-effect")
      assert.strictEqual(request.headers["x-basalt-sdk-version"], BasaltClient.sdkVersion)
      assert.strictEqual(request.headers["accept"], "application/json")
      assert.strictEqual(value.prompt.version, "1.0.0")
      assert.strictEqual(value.prompt.systemText, "You are {{ persona }}.")
    }))

  it.effect("version and tag are query parameters, omitted when unset (never tag=undefined)", () =>
    Effect.gen(function*() {
      const { captured } = yield* withClient(
        (request) =>
          request.url.pathname.endsWith("/describe")
            ? json(200, { prompt: { name: "Greeting", status: "live", availableVersions: [], availableTags: [], variables: [] } })
            : json(200, promptResponse()),
        (client) =>
          Effect.all([
            client.getPrompt("greeting", { tag: "staging" }),
            client.getPrompt("greeting", { version: "1.0.0", tag: undefined }),
            client.describePrompt("greeting", { version: "2.0.0", tag: "latest" })
          ])
      )
      assert.deepStrictEqual(captured.map((request) => request.url.search), [
        "?tag=staging",
        "?version=1.0.0",
        "?version=2.0.0&tag=latest"
      ])
      assert.isFalse(captured.some((request) => request.url.toString().includes("undefined")))
    }))

  it.effect("slugs are URL-encoded and a path prefix of the base URL is kept", () =>
    Effect.gen(function*() {
      const { captured } = yield* withClient(
        (request) =>
          request.url.pathname.endsWith("/describe")
            ? json(200, { prompt: { name: "x", availableVersions: [], availableTags: [], variables: [] } })
            : json(200, { dataset: { slug: "a/b", name: "A", columns: [] } }),
        (client) => Effect.all([client.describePrompt("a/b c?#"), client.getDataset("a/b")]),
        { apiUrl: "https://proxy.test/vendors/basalt/" }
      )
      assert.deepStrictEqual(captured.map((request) => request.url.toString()), [
        "https://proxy.test/vendors/basalt/prompts/a%2Fb%20c%3F%23/describe",
        "https://proxy.test/vendors/basalt/datasets/a%2Fb"
      ])
    }))

  it.effect("GET /prompts filters by the configured feature unless told otherwise", () =>
    Effect.gen(function*() {
      const { captured, value } = yield* withClient(
        () =>
          json(200, {
            prompts: [{
              slug: "greeting",
              name: "Greeting",
              status: "live",
              description: null,
              availableVersions: ["1.0.0"],
              availableTags: ["production"]
            }]
          }),
        (client) => Effect.all([client.listPrompts(), client.listPrompts({ featureSlug: "other" })])
      )
      assert.deepStrictEqual(captured.map((request) => request.url.search), [
        "?featureSlug=support-bot",
        "?featureSlug=other"
      ])
      assert.strictEqual(value[0].prompts[0]!.description, undefined)
    }))

  it.effect("a warning in a successful answer is returned with the value", () =>
    Effect.gen(function*() {
      const fallback = "No prompt found at the specified version. Falling back to the production version."
      const dropped = "The following columns do not exist in the dataset and were omitted: extra"
      const { value } = yield* withClient(
        (request) =>
          request.url.pathname === "/prompts/greeting"
            ? json(200, promptResponse({}, fallback))
            : request.url.pathname === "/monitor/trace"
            ? json(200, { trace: { id: "t-1" }, warning: "No prompt found with the given slug" })
            : json(201, { warning: dropped, datasetRow: { values: { q: "x" } } }),
        (client) =>
          Effect.all([
            client.getPrompt("greeting", { version: "9.9.9" }),
            client.createDatasetItem("faq", { values: { q: "x", extra: "y" } }),
            client.sendTrace({ name: "t" })
          ])
      )
      assert.strictEqual(value[0].warning, fallback)
      assert.strictEqual(value[1].warning, dropped)
      assert.deepStrictEqual(value[2], { traceId: "t-1", warning: "No prompt found with the given slug" })
    }))

  it.effect("201 answers (publish, dataset rows) are successes; their bodies are decoded", () =>
    Effect.gen(function*() {
      const { captured, value } = yield* withClient(
        (request) =>
          request.url.pathname.endsWith("/publish")
            ? json(201, { deploymentTag: { id: "123e4567-e89b-12d3-a456-426614174000", label: "production" } })
            : json(201, { datasetRow: { name: "r1", values: { q: "x" }, idealOutput: null, metadata: null } }),
        (client) =>
          Effect.all([
            client.publishPrompt("greeting", { newTag: "production", version: "1.0.0" }),
            client.createDatasetItem("faq", { values: { q: "x" }, name: "r1" })
          ])
      )
      assert.strictEqual(value[0].deploymentTag.label, "production")
      assert.strictEqual(value[1].datasetRow.name, "r1")
      assert.strictEqual(value[1].datasetRow.idealOutput, undefined)
      assert.deepStrictEqual(captured[0]!.json, { newTag: "production", version: "1.0.0" })
      assert.strictEqual(captured[0]!.headers["content-type"], "application/json")
      assert.deepStrictEqual(captured[1]!.json, { values: { q: "x" }, name: "r1" })
    }))

  it.effect("lenient decoding: systemText absent or null, columns as strings or objects, both trace answers", () =>
    Effect.gen(function*() {
      const { value } = yield* withClient(
        (request, index) => {
          switch (request.url.pathname) {
            case "/prompts/a":
              return json(200, promptResponse({ systemText: null, tag: null, model: { provider: "anthropic", model: "3.5-sonnet" } }))
            case "/prompts/b": {
              const { systemText: _drop, ...prompt } = promptResponse().prompt
              return json(200, { prompt })
            }
            case "/datasets":
              return json(200, {
                datasets: [
                  { slug: "new", name: "New", columns: [{ name: "q", type: "text" }, { name: "img", type: "image" }] },
                  { slug: "old", name: "Old", columns: ["q", "a"] }
                ]
              })
            case "/monitor/trace":
              return json(200, index === 3 ? { trace: { id: "t-1" }, warning: null } : { id: "t-2" })
            default:
              return json(500, { error: "unexpected" })
          }
        },
        (client) =>
          Effect.all([
            client.getPrompt("a"),
            client.getPrompt("b"),
            client.listDatasets(),
            client.sendTrace({ name: "one" }),
            client.sendTrace({ name: "two" })
          ])
      )
      assert.strictEqual(value[0].prompt.systemText, undefined)
      assert.strictEqual(value[0].prompt.tag, undefined)
      assert.strictEqual(value[1].prompt.systemText, undefined)
      assert.deepStrictEqual(value[2].datasets.map((dataset) => dataset.columns), [
        [{ name: "q", type: "text" }, { name: "img", type: "image" }],
        [{ name: "q" }, { name: "a" }]
      ])
      assert.deepStrictEqual(value[3], { traceId: "t-1" })
      assert.deepStrictEqual(value[4], { traceId: "t-2" })
    }))

  it.effect("POST /monitor/experiments: bound to the feature; the experiment is read at the top level", () =>
    Effect.gen(function*() {
      const { captured, value } = yield* withClient(
        () => json(200, { id: "exp-1", name: "run 1", featureSlug: "support-bot", createdAt: "2024-03-20T12:00:00Z" }),
        (client) => client.createExperiment({ name: "run 1" })
      )
      assert.deepStrictEqual(captured[0]!.json, { featureSlug: "support-bot", name: "run 1" })
      assert.strictEqual(value.id, "exp-1")
      assert.strictEqual(value.createdAt, "2024-03-20T12:00:00Z")
    }))

  it.effect("POST /monitor/log sends the log as given", () =>
    Effect.gen(function*() {
      const { captured, value } = yield* withClient(
        () => json(200, { trace: { id: "t" }, log: { id: "l" } }),
        (client) =>
          client.sendLog({ slug: "qa", output: "Paris", variables: [{ label: "q", value: "capital?" }], inputTokens: 3 })
      )
      assert.strictEqual(captured[0]!.url.pathname, "/monitor/log")
      assert.deepStrictEqual(captured[0]!.json, {
        slug: "qa",
        output: "Paris",
        variables: [{ label: "q", value: "capital?" }],
        inputTokens: 3
      })
      assert.strictEqual(value.log.id, "l")
    }))

  describe("errors", () => {
    const errorOf = (reply: ReturnType<Parameters<typeof fakeBasalt>[0]>) =>
      withClient(() => reply, (client) => client.getPrompt("x"), { retry: false }).pipe(
        Effect.exit,
        Effect.map(failureOf)
      )

    it.effect("{error} bodies keep Basalt's text; 404 is NotFound", () =>
      Effect.gen(function*() {
        const error = yield* errorOf(json(404, { error: "No prompt with slug \"x\" exists." }))
        assert.strictEqual(error._tag, "NotFound")
        assert.strictEqual(error.description, "No prompt with slug \"x\" exists.")
        assert.strictEqual(error.status, 404)
        assert.strictEqual(error.provider, "basalt")
        assert.strictEqual(error.operation, "BasaltClient.getPrompt")
      }))

    it.effect("a text 500 and an HTML 502 are ProviderUnavailable with a readable description", () =>
      Effect.gen(function*() {
        const text = yield* errorOf({ status: 500, text: "upstream exploded", headers: { "content-type": "text/plain" } })
        assert.strictEqual(text._tag, "ProviderUnavailable")
        assert.strictEqual(text.description, "upstream exploded")
        const html = yield* errorOf({
          status: 502,
          text: "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad</h1></body></html>",
          headers: { "content-type": "text/html" }
        })
        assert.strictEqual(html._tag, "ProviderUnavailable")
        assert.strictEqual(html.description, "502 Bad Gateway")
        assert.strictEqual(html.status, 502)
      }))

    it.effect("401 / 403 / 400 map to their errors, and the key never shows", () =>
      Effect.gen(function*() {
        const unauthorized = yield* errorOf(json(401, { error: `bad key ${apiKey}` }))
        assert.strictEqual(unauthorized._tag, "Unauthorized")
        assert.isFalse(unauthorized.message.includes(apiKey))
        assert.isFalse(JSON.stringify(unauthorized).includes(apiKey))
        assert.strictEqual((yield* errorOf(json(403, { error: "Forbidden" })))._tag, "Forbidden")
        assert.strictEqual((yield* errorOf(json(400, { error: "Invalid query" })))._tag, "BadRequest")
      }))

    it.effect("a 200 that is not JSON, or not the documented shape, is a DecodeError", () =>
      Effect.gen(function*() {
        const notJson = yield* errorOf({ status: 200, text: "<html>oops</html>" })
        assert.strictEqual(notJson._tag, "DecodeError")
        const wrong = yield* errorOf(json(200, { prompt: { text: "hi" } }))
        assert.strictEqual(wrong._tag, "DecodeError")
        assert.strictEqual((wrong as { path: string }).path, "prompt.version")
      }))

    it.effect("bad arguments fail with InvalidInput before any request", () =>
      Effect.gen(function*() {
        const { captured, layer } = clientLayer(() => json(200, {}), { featureSlug: undefined })
        const errors = yield* Effect.gen(function*() {
          const client = yield* BasaltClient.BasaltClient
          return yield* Effect.all([
            Effect.flip(client.getPrompt(" ")),
            Effect.flip(client.getPrompt("x", { tag: "" })),
            Effect.flip(client.createExperiment({ name: "no feature" })),
            Effect.flip(client.sendTrace({ name: "no feature" })),
            Effect.flip(client.sendTrace({ featureSlug: "f", evaluationConfig: { sampleRate: 2 } })),
            Effect.flip(client.sendTrace({ featureSlug: "f", input: { big: 1n } as never }))
          ])
        }).pipe(Effect.provide(layer))
        assert.deepStrictEqual(errors.map((error) => error._tag), Array(6).fill("InvalidInput"))
        assert.deepStrictEqual(errors.map((error) => (error as { path: string }).path), [
          "slug",
          "options.tag",
          "featureSlug",
          "featureSlug",
          "request.evaluationConfig.sampleRate",
          "request"
        ])
        assert.strictEqual(captured.length, 0)
      }))

    it.effect("a plain http:// base URL that is not loopback is refused", () =>
      Effect.gen(function*() {
        const { layer } = clientLayer(() => json(200, {}), { apiUrl: "http://api.getbasalt.ai" })
        const exit = yield* Effect.exit(Layer.build(layer).pipe(Effect.scoped))
        const error = failureOf(exit)
        assert.strictEqual(error._tag, "InvalidInput")
        assert.strictEqual(error.path, "apiUrl")
      }))
  })

  describe("retries, per endpoint", () => {
    const script = (...replies: ReadonlyArray<ReturnType<Parameters<typeof fakeBasalt>[0]>>) =>
    (_: Captured, index: number) => replies[Math.min(index, replies.length - 1)]!

    it.effect("reads are retried on 5xx", () =>
      Effect.gen(function*() {
        const { captured, layer } = clientLayer(script(json(503, { error: "busy" }), json(200, promptResponse())))
        const fiber = yield* Effect.fork(
          Effect.provide(Effect.flatMap(BasaltClient.BasaltClient, (client) => client.getPrompt("greeting")), layer)
        )
        yield* TestClock.adjust("1 second")
        const response = yield* Fiber.join(fiber)
        assert.strictEqual(response.prompt.version, "1.0.0")
        assert.strictEqual(captured.length, 2)
      }))

    it.effect("a trace is not retried on 5xx (a retry could store it twice)", () =>
      Effect.gen(function*() {
        const { captured, layer } = clientLayer(script(json(503, { error: "busy" }), json(200, { trace: { id: "t" } })))
        const error = yield* Effect.flip(
          Effect.provide(Effect.flatMap(BasaltClient.BasaltClient, (client) => client.sendTrace({ name: "t" })), layer)
        )
        assert.strictEqual(error._tag, "ProviderUnavailable")
        assert.strictEqual(captured.length, 1)
      }))

    it.effect("writes are retried on 429, honouring Retry-After", () =>
      Effect.gen(function*() {
        const { captured, layer } = clientLayer(
          script(
            { status: 429, json: { error: "slow down" }, headers: { "retry-after": "3", "content-type": "application/json" } },
            json(201, { datasetRow: { values: { q: "x" } } })
          )
        )
        const fiber = yield* Effect.fork(
          Effect.provide(
            Effect.flatMap(BasaltClient.BasaltClient, (client) => client.createDatasetItem("faq", { values: { q: "x" } })),
            layer
          )
        )
        yield* TestClock.adjust("2 seconds")
        assert.strictEqual(captured.length, 1)
        yield* TestClock.adjust("1 second")
        const response = yield* Fiber.join(fiber)
        assert.deepStrictEqual(response.datasetRow.values, { q: "x" })
        assert.strictEqual(captured.length, 2)
      }))

    it.effect("retryWrites: true retries writes on 5xx too", () =>
      Effect.gen(function*() {
        const { captured, layer } = clientLayer(
          script(json(502, { error: "gateway" }), json(200, { id: "exp", name: "e", createdAt: "2024-01-01T00:00:00Z" })),
          { retryWrites: true }
        )
        const fiber = yield* Effect.fork(
          Effect.provide(
            Effect.flatMap(BasaltClient.BasaltClient, (client) => client.createExperiment({ name: "e" })),
            layer
          )
        )
        yield* TestClock.adjust("1 second")
        assert.strictEqual((yield* Fiber.join(fiber)).id, "exp")
        assert.strictEqual(captured.length, 2)
      }))
  })

  describe("file upload", () => {
    const uploadHandler = (uploadUrl: string, maxSizeBytes = 10_485_760) => (request: Captured) =>
      request.url.pathname === "/files/generate-upload-url"
        ? json(200, { uploadUrl, fileKey: "files/abc-image.png", expiresAt: "2030-01-01T00:00:00Z", maxSizeBytes })
        : { status: 200, text: "" }
    const file = { fileName: "image.png", contentType: "image/png", bytes: new Uint8Array([1, 2, 3, 4]) }

    it.effect("asks for an upload URL, then PUTs the bytes there without the API key or SDK headers", () =>
      Effect.gen(function*() {
        const uploadUrl = "https://uploads.test/bucket/files/abc-image.png?X-Amz-Signature=ab%2Fcd&X-Amz-Expires=300"
        const { captured, value } = yield* withClient(uploadHandler(uploadUrl), (client) => client.uploadFile(file))
        assert.deepStrictEqual(value, {
          fileKey: "files/abc-image.png",
          expiresAt: "2030-01-01T00:00:00Z",
          maxSizeBytes: 10_485_760
        })
        assert.strictEqual(captured.length, 2)
        const [presign, put] = captured as [Captured, Captured]
        assert.strictEqual(presign.url.toString(), "https://basalt.test/files/generate-upload-url")
        assert.deepStrictEqual(presign.json, { fileName: "image.png", contentType: "image/png", sizeBytes: 4 })
        assert.strictEqual(presign.headers["authorization"], `Bearer ${apiKey}`)
        assert.strictEqual(put.method, "PUT")
        assert.strictEqual(put.url.toString(), uploadUrl)
        assert.strictEqual(put.headers["authorization"], undefined)
        assert.strictEqual(put.headers["x-basalt-sdk-type"], undefined)
        assert.strictEqual(put.headers["x-basalt-sdk-version"], undefined)
        assert.strictEqual(put.headers["content-type"], "image/png")
        assert.deepStrictEqual([...put.bytes!], [1, 2, 3, 4])
      }))

    it.effect("plain http:// is allowed to loopback only; other upload URLs are refused before any byte is sent", () =>
      Effect.gen(function*() {
        const loopback = yield* withClient(uploadHandler("http://127.0.0.1:4567/upload/k"), (client) => client.uploadFile(file))
        assert.strictEqual(loopback.captured[1]!.url.toString(), "http://127.0.0.1:4567/upload/k")
        for (const url of ["http://uploads.test/k", "ftp://uploads.test/k", "https://user:pw@uploads.test/k", "not a url"]) {
          const { captured, layer } = clientLayer(uploadHandler(url))
          const error = yield* Effect.flip(
            Effect.provide(Effect.flatMap(BasaltClient.BasaltClient, (client) => client.uploadFile(file)), layer)
          )
          assert.strictEqual(error._tag, "InvalidInput")
          assert.strictEqual((error as { path: string }).path, "uploadUrl")
          assert.strictEqual(captured.length, 1, url)
        }
      }))

    it.effect("an empty file, or one over maxSizeBytes, is refused", () =>
      Effect.gen(function*() {
        const { captured, layer } = clientLayer(uploadHandler("https://uploads.test/k", 3))
        const [empty, big] = yield* Effect.all([
          Effect.flip(Effect.flatMap(BasaltClient.BasaltClient, (client) => client.uploadFile({ ...file, bytes: new Uint8Array() }))),
          Effect.flip(Effect.flatMap(BasaltClient.BasaltClient, (client) => client.uploadFile(file)))
        ]).pipe(Effect.provide(layer))
        assert.strictEqual(empty._tag, "InvalidInput")
        assert.strictEqual(big._tag, "InvalidInput")
        assert.match(big.description, /4 bytes; Basalt accepts at most 3/)
        assert.deepStrictEqual(captured.map((request) => request.url.pathname), ["/files/generate-upload-url"])
      }))

    it.effect("a failed upload is a typed error", () =>
      Effect.gen(function*() {
        const { layer } = clientLayer(
          (request) =>
            request.url.pathname === "/files/generate-upload-url"
              ? json(200, { uploadUrl: "https://uploads.test/k", fileKey: "k", expiresAt: "x", maxSizeBytes: 100 })
              : { status: 403, text: "<Error><Code>SignatureDoesNotMatch</Code></Error>", headers: { "content-type": "application/xml" } }
        )
        const error = yield* Effect.flip(
          Effect.provide(Effect.flatMap(BasaltClient.BasaltClient, (client) => client.uploadFile(file)), layer)
        )
        assert.strictEqual(error._tag, "Forbidden")
        assert.strictEqual(error.operation, "BasaltClient.putUpload")
      }))
  })

  describe("layerConfig", () => {
    it.effect("reads the key, URL and feature from Config", () =>
      Effect.gen(function*() {
        const fake = fakeBasalt(() => json(200, { prompts: [] }))
        const config = ConfigProvider.fromMap(
          new Map([
            ["BASALT_API_KEY", "from-config-key"],
            ["BASALT_API_URL", "https://config.test/basalt"],
            ["BASALT_FEATURE", "configured-feature"]
          ])
        )
        const layer = BasaltClient.layerConfig({
          apiKey: Config.redacted("BASALT_API_KEY"),
          apiUrl: Config.string("BASALT_API_URL").pipe(Config.withDefault(undefined)),
          featureSlug: Config.string("BASALT_FEATURE").pipe(Config.withDefault(undefined))
        }).pipe(Layer.provide(fake.layer), Layer.provide(Layer.setConfigProvider(config)))
        yield* Effect.flatMap(BasaltClient.BasaltClient, (client) => client.listPrompts()).pipe(Effect.provide(layer))
        const request = fake.captured[0]!
        assert.strictEqual(request.url.toString(), "https://config.test/basalt/prompts?featureSlug=configured-feature")
        assert.strictEqual(request.headers["authorization"], "Bearer from-config-key")
      }))

    it.effect("Basalt.layerConfig builds every service from Config, with per-service options", () =>
      Effect.gen(function*() {
        const fake = fakeBasalt(() =>
          json(200, { prompts: [{ slug: "p", name: "P", status: "live", availableVersions: [], availableTags: [] }] })
        )
        const config = ConfigProvider.fromMap(
          new Map([["BASALT_API_KEY", "k"], ["BASALT_FEATURE", "from-env"]])
        )
        const layer = Basalt.layerConfig({
          apiKey: Config.redacted("BASALT_API_KEY"),
          featureSlug: Config.string("BASALT_FEATURE").pipe(Config.withDefault(undefined)),
          prompts: { onFallback: "accept" },
          retry: false
        }).pipe(Layer.provide(fake.layer), Layer.provide(Layer.setConfigProvider(config)))
        const listed = yield* Effect.flatMap(Prompts, (prompts) => Stream.runCollect(prompts.list())).pipe(
          Effect.provide(layer),
          Effect.map(Chunk.toReadonlyArray)
        )
        assert.deepStrictEqual(listed.map((summary) => summary.slug), ["p"])
        assert.strictEqual(fake.captured[0]!.url.toString(), "https://api.getbasalt.ai/prompts?featureSlug=from-env")
      }))

    it.effect("a missing key is a ConfigError", () =>
      Effect.gen(function*() {
        const fake = fakeBasalt(() => json(200, {}))
        const layer = BasaltClient.layerConfig({ apiKey: Config.redacted("BASALT_API_KEY") }).pipe(
          Layer.provide(fake.layer),
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map())))
        )
        const exit = yield* Effect.exit(Effect.scoped(Layer.build(layer)))
        assert.isTrue(Exit.isFailure(exit))
        const error = failureOf(exit)
        assert.strictEqual(error._tag, "ConfigError")
        assert.match(String(error), /BASALT_API_KEY/)
      }))
  })

  it.effect("the API key is redacted when the options are printed", () =>
    Effect.sync(() => {
      const options: BasaltClient.Options = { apiKey: Redacted.make(apiKey) }
      assert.isFalse(JSON.stringify(options).includes(apiKey))
      assert.isFalse(String(options.apiKey).includes(apiKey))
    }))
})
