/**
 * `PROMPTOPS_TRACES`: spans to the provider (the default), to an OTLP
 * endpoint (the standard `OTEL_EXPORTER_OTLP_*` variables), or both through
 * `Tracing.layerFanOut`, with `PROMPTOPS_PROVIDER` still the store of
 * prompts, datasets and experiments. The OTLP server is the independent
 * `OtlpReceiver` on 127.0.0.1:0; the provider is the local store in a
 * temporary directory, read back through its `TraceReader`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Receiver from "@promptops/emulators/OtlpReceiver"
import { Effect, Either, Redacted } from "effect"
import * as Evaluator from "../src/Evaluator.js"
import { Tracing } from "../src/index.js"
import * as PromptOps from "../src/PromptOps.js"
import { configurationError, greeting, tmpDir, withEnv } from "./tracesSupport.js"

/** Runs the eval on the configured backend, flushes, and returns what each side holds. */
const runEval = (settings: PromptOps.Settings = {}) =>
  Effect.gen(function*() {
    const run = yield* Evaluator.run(greeting)
    yield* Tracing.flush
    const stats = yield* Tracing.stats
    const backend = yield* PromptOps.Backend
    const reader = yield* PromptOps.traceReader
    // The eval's spans are routed to its experiment.
    const stored = yield* reader.read({ experimentId: run.experiment.id, limit: 1000 })
    return { run, stats, backend, stored: stored.spans }
  }).pipe(Effect.provide(PromptOps.layerConfig(settings)))

/** Fast failure: one retry 1 ms later, so a failing destination drops at once. */
const quickRetry: PromptOps.Settings = {
  options: { tracing: { retry: { maxRetries: 1, base: "1 millis", jitter: false } } }
}

describe("PROMPTOPS_TRACES: parsing and configuration errors", () => {
  it("reads a comma list, provider first, ignoring spaces and repeats", () => {
    assert.deepStrictEqual(PromptOps.parseTraces("otlp , provider,otlp"), Either.right(["provider", "otlp"]))
    assert.deepStrictEqual(PromptOps.parseTraces("otlp"), Either.right(["otlp"]))
    assert.deepStrictEqual(PromptOps.parseTraces(" "), Either.right(["provider"]))
  })

  it.effect("unset: the provider only, and @promptops/otlp is not read", () =>
    Effect.gen(function*() {
      // A bad OTEL variable is not even read when otlp is not chosen.
      const traces = yield* PromptOps.resolveTraces({ provider: "memory" }).pipe(
        withEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: "soon" })
      )
      assert.deepStrictEqual(traces, { destinations: ["provider"] })
    }))

  it.effect("a bad value is a ConfigurationError naming PROMPTOPS_TRACES and the accepted values", () =>
    Effect.gen(function*() {
      const error = yield* configurationError(
        Effect.scoped(Effect.provide(PromptOps.Backend, PromptOps.layer)).pipe(
          withEnv({ PROMPTOPS_PROVIDER: "memory", PROMPTOPS_TRACES: "provider,foo" })
        )
      )
      assert.deepStrictEqual(error.problems.map((problem) => problem.setting), ["PROMPTOPS_TRACES"])
      assert.strictEqual(
        error.message,
        "promptops is not configured:\n  - PROMPTOPS_TRACES: must be provider, otlp or provider,otlp (a comma list), got \"foo\""
      )
    }))

  it.effect("reported together with the provider's own problems", () =>
    Effect.gen(function*() {
      const error = yield* configurationError(
        Effect.scoped(Effect.provide(PromptOps.Backend, PromptOps.layer)).pipe(
          withEnv({ PROMPTOPS_PROVIDER: "braintrust", PROMPTOPS_TRACES: "jaeger" })
        )
      )
      assert.deepStrictEqual(
        error.problems.map((problem) => problem.setting),
        ["PROMPTOPS_TRACES", "BRAINTRUST_API_KEY", "BRAINTRUST_PROJECT"]
      )
    }))

  it.effect("a bad OTEL variable is a problem naming it", () =>
    Effect.gen(function*() {
      const error = yield* configurationError(
        PromptOps.resolveTraces({ provider: "memory" }).pipe(
          withEnv({ PROMPTOPS_TRACES: "otlp", OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "soon" })
        )
      )
      assert.deepStrictEqual(error.problems.map((problem) => problem.setting), ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"])
    }))

  it.effect("an OTLP endpoint a client would refuse is a problem naming its variable", () =>
    Effect.gen(function*() {
      const error = yield* configurationError(
        PromptOps.resolveTraces({ provider: "local", dir: "/tmp/x" }).pipe(
          withEnv({
            PROMPTOPS_TRACES: "otlp",
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector.example.com/v1/traces"
          })
        )
      )
      assert.deepStrictEqual(error.problems.map((problem) => problem.setting), ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"])
      assert.include(error.problems[0]!.description, "loopback")
    }))

  it.effect("settings.traces replaces the variable (withTraces)", () =>
    Effect.gen(function*() {
      const traces = yield* PromptOps.resolveTraces(
        { provider: "memory" },
        PromptOps.withTraces(["otlp", "provider"])
      ).pipe(withEnv({ PROMPTOPS_TRACES: "foo", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318/" }))
      assert.deepStrictEqual(traces.destinations, ["provider", "otlp"])
      assert.strictEqual(traces.otlp?.options.endpoint, "http://127.0.0.1:4318/v1/traces")
      assert.strictEqual(traces.otlp?.location, "http://127.0.0.1:4318/v1/traces")
    }))
})

describe("PROMPTOPS_TRACES=otlp on a vendor with no OTEL endpoint: the vendor's own OTLP intake", () => {
  const braintrust: PromptOps.Resolved = {
    provider: "braintrust",
    apiKey: Redacted.make("bt-traces-SECRET-1"),
    apiUrl: "https://api.braintrust.dev",
    orgName: undefined,
    project: "support"
  }
  const basalt: PromptOps.Resolved = {
    provider: "basalt",
    apiKey: Redacted.make("basalt-traces-SECRET-2"),
    apiUrl: "https://api.getbasalt.ai",
    feature: "support"
  }

  it.effect("braintrust: /otel/v1/traces of BRAINTRUST_API_URL, into the project's logs; the key never shown", () =>
    Effect.gen(function*() {
      const traces = yield* PromptOps.resolveTraces(braintrust).pipe(
        withEnv({ PROMPTOPS_TRACES: "otlp", OTEL_SERVICE_NAME: "bot" })
      )
      const options = traces.otlp!.options
      assert.strictEqual(options.endpoint, "https://api.braintrust.dev/otel/v1/traces")
      assert.strictEqual(options.headers?.["x-bt-parent"], "project_name:support")
      assert.strictEqual(options.serviceName, "bot")
      assert.strictEqual(traces.otlp!.location, "https://api.braintrust.dev/otel/v1/traces")
      assert.notInclude(JSON.stringify(traces), "SECRET")
    }))

  it.effect("basalt: Basalt's OTLP/gRPC intake with BASALT_API_KEY", () =>
    Effect.gen(function*() {
      const traces = yield* PromptOps.resolveTraces(basalt).pipe(withEnv({ PROMPTOPS_TRACES: "otlp" }))
      const options = traces.otlp!.options
      assert.strictEqual(options.provider, "basalt")
      assert.strictEqual(options.protocol, "grpc")
      assert.notInclude(traces.otlp!.location, "SECRET")
    }))

  it.effect("an OTEL endpoint wins over the vendor's intake", () =>
    Effect.gen(function*() {
      const traces = yield* PromptOps.resolveTraces(basalt).pipe(
        withEnv({ PROMPTOPS_TRACES: "otlp", OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector.example.com" })
      )
      assert.strictEqual(traces.otlp!.options.endpoint, "https://collector.example.com/v1/traces")
    }))

  it.effect("provider,otlp with no endpoint would send every span twice: a problem naming OTEL_EXPORTER_OTLP_ENDPOINT", () =>
    Effect.gen(function*() {
      const error = yield* configurationError(
        PromptOps.resolveTraces(braintrust).pipe(withEnv({ PROMPTOPS_TRACES: "provider,otlp" }))
      )
      assert.strictEqual(error.problems[0]!.setting, "OTEL_EXPORTER_OTLP_ENDPOINT")
      assert.include(error.message, "twice")
    }))
})

describe("PROMPTOPS_TRACES through PromptOps.layer: an eval's spans", () => {
  it.live("otlp: at the OTLP receiver, not in the local store", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      const dir = yield* tmpDir
      const { backend, run, stats, stored } = yield* runEval().pipe(
        withEnv({
          PROMPTOPS_PROVIDER: "local",
          PROMPTOPS_LOCAL_DIR: dir,
          PROMPTOPS_TRACES: "otlp",
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`
        })
      )
      const received = Receiver.spansOf(receiver)
      assert.isAbove(received.length, 2)
      assert.strictEqual(stats.exported, received.length)
      assert.deepStrictEqual(Object.keys(stats.destinations), ["otlp"])
      // The run's experiment is in the store (the provider keeps experiments); its spans are not.
      assert.strictEqual(run.experiment.name, "greeting")
      assert.strictEqual(stored.length, 0)
      assert.deepStrictEqual(backend.traces, [{ name: "otlp", location: `${receiver.url}/v1/traces` }])
      assert.isTrue(received.every((span) =>
        (span.attributes["promptops.experiment_id"] as { string?: string } | undefined)?.string === run.experiment.id
      ))
    }).pipe(Effect.scoped))

  it.live("provider,otlp: the same spans in both, each destination counted on its own", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      const dir = yield* tmpDir
      const { backend, stats, stored } = yield* runEval().pipe(
        withEnv({
          PROMPTOPS_PROVIDER: "local",
          PROMPTOPS_LOCAL_DIR: dir,
          PROMPTOPS_TRACES: "provider,otlp",
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url
        })
      )
      const received = Receiver.spansOf(receiver)
      assert.isAbove(stored.length, 2)
      assert.strictEqual(received.length, stored.length)
      assert.deepStrictEqual(new Set(received.map((span) => span.name)), new Set(stored.map((span) => span.name)))
      assert.deepStrictEqual(Object.keys(stats.destinations), ["local", "otlp"])
      assert.strictEqual(stats.destinations["local"]!.exported, stored.length)
      assert.strictEqual(stats.destinations["otlp"]!.exported, received.length)
      assert.deepStrictEqual(backend.traces, [
        { name: "local", location: dir },
        { name: "otlp", location: `${receiver.url}/v1/traces` }
      ])
    }).pipe(Effect.scoped))

  it.live("provider,otlp with the OTLP side answering 503: nothing lost at the provider", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      receiver.reply = () => ({ status: 503 })
      const dir = yield* tmpDir
      const { stats, stored } = yield* runEval(quickRetry).pipe(
        withEnv({
          PROMPTOPS_PROVIDER: "local",
          PROMPTOPS_LOCAL_DIR: dir,
          PROMPTOPS_TRACES: "provider,otlp",
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`
        })
      )
      const local = stats.destinations["local"]!
      const otlp = stats.destinations["otlp"]!
      assert.isAbove(stored.length, 2)
      assert.strictEqual(local.exported, stored.length)
      assert.deepStrictEqual(local.dropped, { queueFull: 0, redaction: 0, exportFailed: 0, tooLarge: 0, shutdown: 0 })
      assert.strictEqual(otlp.exported, 0)
      assert.strictEqual(otlp.dropped.exportFailed, stored.length)
      assert.isAbove(receiver.requests.length, 0)
      assert.strictEqual(Receiver.spansOf(receiver).length, 0)
    }).pipe(Effect.scoped))
})
