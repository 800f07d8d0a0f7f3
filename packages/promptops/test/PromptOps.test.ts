import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Exit, Layer, Option, Redacted } from "effect"
import * as NodeFs from "node:fs"
import * as Net from "node:net"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { Datasets, Experiments, Prompts, Tracing } from "../src/index.js"
import * as PromptOps from "../src/PromptOps.js"

const withEnv = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const configurationError = (effect: Effect.Effect<unknown, unknown>) =>
  Effect.map(Effect.flip(effect), (error) => {
    assert.instanceOf(error, PromptOps.ConfigurationError)
    return error as PromptOps.ConfigurationError
  })

describe("PromptOps.resolve", () => {
  it.effect("defaults to the local backend in .promptops", () =>
    Effect.gen(function*() {
      const resolved = yield* PromptOps.resolve().pipe(withEnv({}))
      assert.deepStrictEqual(resolved, { provider: "local", dir: NodePath.resolve(".promptops") })
    }))

  it.effect("lists every missing Braintrust setting at once, naming the variables", () =>
    Effect.gen(function*() {
      const error = yield* configurationError(PromptOps.resolve().pipe(withEnv({ PROMPTOPS_PROVIDER: "braintrust" })))
      assert.strictEqual(error.provider, "braintrust")
      assert.deepStrictEqual(error.problems.map((problem) => problem.setting), ["BRAINTRUST_API_KEY", "BRAINTRUST_PROJECT"])
      assert.include(error.message, "BRAINTRUST_API_KEY: is not set")
      assert.include(error.message, "BRAINTRUST_PROJECT: is not set")
    }))

  it.effect("reports a bad URL and a missing feature together, never the key", () =>
    Effect.gen(function*() {
      const key = "sk-basalt-SECRET-4242"
      const error = yield* configurationError(
        PromptOps.resolve().pipe(
          withEnv({ PROMPTOPS_PROVIDER: "basalt", BASALT_API_KEY: key, BASALT_API_URL: "http://example.com/api" })
        )
      )
      assert.deepStrictEqual(error.problems.map((problem) => problem.setting), ["BASALT_FEATURE", "BASALT_API_URL"])
      assert.include(error.problems[1]!.description, "loopback")
      assert.notInclude(error.message, key)
      assert.notInclude(JSON.stringify(error), key)
    }))

  it.effect("an empty key or project is a problem naming its variable", () =>
    Effect.gen(function*() {
      const error = yield* configurationError(
        PromptOps.resolve().pipe(
          withEnv({ PROMPTOPS_PROVIDER: "braintrust", BRAINTRUST_API_KEY: " ", BRAINTRUST_PROJECT: "" })
        )
      )
      assert.deepStrictEqual(
        error.problems.map((problem) => `${problem.setting}: ${problem.description}`),
        ["BRAINTRUST_API_KEY: must not be empty", "BRAINTRUST_PROJECT: must not be empty"]
      )
    }))

  it.effect("an app's own Config that fails without a path is named by its setting", () =>
    Effect.gen(function*() {
      // A validation after a map reports no path in Effect 3.
      const project = Config.string("X").pipe(
        Config.map((value) => value.trim()),
        Config.validate({ message: "too short", validation: (value) => value.length > 3 })
      )
      const error = yield* configurationError(
        PromptOps.resolve({ braintrust: { project } }).pipe(
          withEnv({ PROMPTOPS_PROVIDER: "braintrust", BRAINTRUST_API_KEY: "k", X: "ab" })
        )
      )
      assert.deepStrictEqual(error.problems.map((problem) => problem.setting), ["braintrust.project"])
    }))

  it.effect("rejects an unknown provider, naming the choices", () =>
    Effect.gen(function*() {
      const error = yield* configurationError(PromptOps.resolve().pipe(withEnv({ PROMPTOPS_PROVIDER: "langfuse" })))
      assert.strictEqual(error.problems[0]!.setting, "PROMPTOPS_PROVIDER")
      assert.include(error.problems[0]!.description, "braintrust")
      assert.include(error.problems[0]!.description, "memory")
    }))

  it.effect("reads a vendor's settings, with the default URL", () =>
    Effect.gen(function*() {
      const resolved = yield* PromptOps.resolve().pipe(
        withEnv({ PROMPTOPS_PROVIDER: "braintrust", BRAINTRUST_API_KEY: "k", BRAINTRUST_PROJECT: " support " })
      )
      assert.strictEqual(resolved.provider, "braintrust")
      if (resolved.provider !== "braintrust") return
      assert.strictEqual(resolved.apiUrl, "https://api.braintrust.dev")
      assert.strictEqual(resolved.project, "support")
      assert.strictEqual(Redacted.value(resolved.apiKey), "k")
      assert.notInclude(PromptOps.locationOf(resolved), "k\"")
    }))

  it.effect("takes the app's own Config values and a provider override", () =>
    Effect.gen(function*() {
      const settings = PromptOps.withProvider("local", { local: { dir: Config.string("MY_STORE") } })
      const resolved = yield* PromptOps.resolve(settings).pipe(
        withEnv({ PROMPTOPS_PROVIDER: "braintrust", MY_STORE: "/tmp/my-store" })
      )
      assert.deepStrictEqual(resolved, { provider: "local", dir: "/tmp/my-store" })
    }))
})

describe("PromptOps.layer", () => {
  it.effect("memory: the neutral services, tracing, and every optional capability", () =>
    Effect.gen(function*() {
      const backend = yield* PromptOps.Backend
      assert.strictEqual(backend.provider, "memory")
      assert.isTrue(Option.isSome(backend.registry))
      assert.isTrue(Option.isSome(backend.feedback))
      assert.isTrue(Option.isSome(backend.traceReader))
      yield* Prompts.Prompts
      yield* Datasets.Datasets
      yield* Experiments.Experiments
      const stats = yield* Tracing.stats
      assert.strictEqual(stats.enqueued, 0)
    }).pipe(Effect.provide(PromptOps.layer), withEnv({ PROMPTOPS_PROVIDER: "memory" })))

  it.effect("local: results land in PROMPTOPS_LOCAL_DIR", () =>
    Effect.gen(function*() {
      const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "promptops-layer-"))
      const experiment = yield* Effect.gen(function*() {
        const backend = yield* PromptOps.Backend
        assert.strictEqual(backend.location, dir)
        return yield* Effect.flatMap(Experiments.Experiments, (experiments) => experiments.create({ name: "layer-test" }))
      }).pipe(
        Effect.provide(PromptOps.layer),
        withEnv({ PROMPTOPS_PROVIDER: "local", PROMPTOPS_LOCAL_DIR: dir })
      )
      // A second layer over the same directory sees the experiment.
      const again = yield* Effect.flatMap(Experiments.Experiments, (experiments) => experiments.get(experiment.id)).pipe(
        Effect.provide(PromptOps.layer),
        withEnv({ PROMPTOPS_PROVIDER: "local", PROMPTOPS_LOCAL_DIR: dir })
      )
      assert.strictEqual(again.name, "layer-test")
      NodeFs.rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("local with access \"read\": creates nothing; a store read says where it looked; a write layer then creates it", () =>
    Effect.gen(function*() {
      const root = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "promptops-layer-read-"))
      const dir = NodePath.join(root, ".promptops")
      const env = withEnv({ PROMPTOPS_PROVIDER: "local", PROMPTOPS_LOCAL_DIR: dir })
      const error = yield* Effect.flip(
        Effect.flatMap(Experiments.Experiments, (experiments) => experiments.get("x")).pipe(
          Effect.provide(PromptOps.layerConfig(PromptOps.withAccess("read"))),
          env
        )
      )
      assert.include(String(error), `no promptops store at ${dir}/promptops.sqlite`)
      assert.isFalse(NodeFs.existsSync(dir))
      // The default (and "write") creates it.
      yield* Effect.flatMap(Experiments.Experiments, (experiments) => experiments.create({ name: "made" })).pipe(
        Effect.provide(PromptOps.layerConfig(PromptOps.withAccess("write"))),
        env
      )
      assert.isTrue(NodeFs.existsSync(NodePath.join(dir, "promptops.sqlite")))
      const listed = yield* Effect.flatMap(Experiments.Experiments, (experiments) => experiments.get("missing")).pipe(
        Effect.provide(PromptOps.layerConfig(PromptOps.withAccess("read"))),
        env,
        Effect.flip
      )
      assert.strictEqual(listed._tag, "NotFound")
      NodeFs.rmSync(root, { recursive: true, force: true })
    }))

  it.effect("a configuration problem fails the layer before anything starts", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Layer.build(PromptOps.layer).pipe(Effect.scoped, withEnv({ PROMPTOPS_PROVIDER: "basalt" }))
      )
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* configurationError(Exit.isFailure(exit) ? Effect.failCause(exit.cause) : Effect.void)
      assert.deepStrictEqual(error.problems.map((problem) => problem.setting), ["BASALT_API_KEY", "BASALT_FEATURE"])
    }))

  it.effect("a capability the backend lacks is Unsupported, naming the backend", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(PromptOps.feedback)
      assert.strictEqual(error._tag, "Unsupported")
      assert.include(error.message, "basalt backend keeps no feedback")
    }).pipe(
      Effect.provide(Layer.succeed(PromptOps.Backend, {
        provider: "basalt",
        location: "https://api.getbasalt.ai",
        registry: Option.none(),
        feedback: Option.none(),
        traceReader: Option.none()
      }))
    ))

  it.live("deadline: a vendor call against an unreachable vendor gives up at the configured total, saying how", () =>
    Effect.gen(function*() {
      // A port nothing listens on: bound, then closed.
      const port = yield* Effect.async<number>((resume) => {
        const server = Net.createServer()
        server.listen(0, "127.0.0.1", () => {
          const { port } = server.address() as Net.AddressInfo
          server.close(() => resume(Effect.succeed(port)))
        })
      })
      const layer = PromptOps.layerResolved({
        provider: "braintrust",
        apiKey: Redacted.make("bt-deadline-secret"),
        apiUrl: `http://127.0.0.1:${port}`,
        orgName: undefined,
        project: "deadline"
      }, { deadline: "400 millis", retry: { maxRetries: 1000, base: "20 millis", jitter: false }, promptCache: false })
      const error = yield* Effect.flip(Effect.flatMap(Experiments.Experiments, (experiments) => experiments.get("00000000-0000-4000-8000-000000000000")).pipe(
        Effect.provide(layer)
      ))
      assert.strictEqual(error._tag, "TransportError")
      // Many retries were allowed; the deadline cut them short.
      assert.match(error.message, /gave up after \d+ attempts over 0\.[3-9] s/)
      assert.notInclude(error.message, "bt-deadline-secret")
    }))
})
