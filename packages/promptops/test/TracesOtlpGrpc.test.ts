/**
 * `PROMPTOPS_TRACES=otlp` with `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`: an eval's
 * spans reach the independent OTLP/gRPC receiver (`OtlpReceiver.startGrpc`),
 * `OTEL_EXPORTER_OTLP_HEADERS` as the call's metadata; where traces go is
 * shown as the gRPC endpoint; and the endpoint is checked up front by the
 * sink's own rule (`ProviderHttp.checkUrl`), `OTEL_EXPORTER_OTLP_INSECURE`
 * honoured, for gRPC and HTTP alike.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Receiver from "@promptops/emulators/OtlpReceiver"
import { Effect } from "effect"
import * as Evaluator from "../src/Evaluator.js"
import { Tracing } from "../src/index.js"
import * as PromptOps from "../src/PromptOps.js"
import { configurationError, greeting, tmpDir, withEnv } from "./tracesSupport.js"

const local: PromptOps.Resolved = { provider: "local", dir: "/tmp/promptops-unused" }

const secret = "sk-otlp-grpc-SECRET-42"

describe("PROMPTOPS_TRACES=otlp over gRPC through PromptOps.layer", () => {
  it.live("an eval's spans arrive at the gRPC receiver, the OTEL headers as metadata", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      const dir = yield* tmpDir
      const { backend, run, stats } = yield* Effect.gen(function*() {
        const run = yield* Evaluator.run(greeting)
        yield* Tracing.flush
        return { run, stats: yield* Tracing.stats, backend: yield* PromptOps.Backend }
      }).pipe(
        Effect.provide(PromptOps.layer),
        withEnv({
          PROMPTOPS_PROVIDER: "local",
          PROMPTOPS_LOCAL_DIR: dir,
          PROMPTOPS_TRACES: "otlp",
          OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${secret},x-team=bots`,
          OTEL_SERVICE_NAME: "grpc-bot"
        })
      )
      const spans = Receiver.spansOf(receiver)
      // One root per case, its task and its score, at least.
      assert.isAtLeast(spans.length, 4)
      assert.strictEqual(stats.exported, spans.length)
      assert.deepStrictEqual(Object.keys(stats.destinations), ["otlp"])
      assert.deepStrictEqual(stats.dropped, { queueFull: 0, redaction: 0, exportFailed: 0, tooLarge: 0, shutdown: 0 })
      assert.isTrue(receiver.requests.every((request) => request.path === Receiver.grpcExportPath))
      const metadata = receiver.requests[0]!.headers
      assert.strictEqual(metadata["authorization"], `Bearer ${secret}`)
      assert.strictEqual(metadata["x-team"], "bots")
      assert.deepStrictEqual(receiver.requests[0]!.exports[0]!.resource["service.name"], { string: "grpc-bot" })
      assert.isTrue(spans.every((span) =>
        (span.attributes["promptops.experiment_id"] as { string?: string } | undefined)?.string === run.experiment.id
      ))
      // Where traces go, for people: the gRPC endpoint, never a header.
      assert.deepStrictEqual(backend.traces, [{ name: "otlp", location: receiver.url }])
      assert.notInclude(JSON.stringify(backend.traces), secret)
    }).pipe(Effect.scoped))
})

describe("PROMPTOPS_TRACES=otlp: where it sends, checked up front", () => {
  it.effect("grpc with no endpoint is shown as the gRPC default, not the HTTP one", () =>
    Effect.gen(function*() {
      const grpc = yield* PromptOps.resolveTraces(local).pipe(
        withEnv({ PROMPTOPS_TRACES: "otlp", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })
      )
      assert.strictEqual(grpc.otlp!.location, "http://localhost:4317")
      const http = yield* PromptOps.resolveTraces(local).pipe(withEnv({ PROMPTOPS_TRACES: "otlp" }))
      assert.strictEqual(http.otlp!.location, "http://localhost:4318/v1/traces")
    }))

  it.effect("grpc over plain http:// to a private host: a problem naming the variable and OTEL_EXPORTER_OTLP_INSECURE", () =>
    Effect.gen(function*() {
      const env = {
        PROMPTOPS_TRACES: "otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel-collector.internal:4317"
      }
      const error = yield* configurationError(PromptOps.resolveTraces(local).pipe(withEnv(env)))
      assert.deepStrictEqual(error.problems.map((problem) => problem.setting), ["OTEL_EXPORTER_OTLP_ENDPOINT"])
      assert.strictEqual(
        error.problems[0]!.description,
        "plain http:// is allowed only to a loopback host, not otel-collector.internal; use https://, " +
          "or set OTEL_EXPORTER_OTLP_INSECURE=true for a server on a private network"
      )
      // Opted in: accepted, and shown as set.
      const allowed = yield* PromptOps.resolveTraces(local).pipe(withEnv({ ...env, OTEL_EXPORTER_OTLP_INSECURE: "true" }))
      assert.strictEqual(allowed.otlp!.options.allowInsecureHttp, true)
      assert.strictEqual(allowed.otlp!.options.endpoint, "http://otel-collector.internal:4317")
      assert.strictEqual(allowed.otlp!.location, "http://otel-collector.internal:4317")
    }))

  it.effect("http/protobuf to a private host is accepted with OTEL_EXPORTER_OTLP_INSECURE=true too", () =>
    Effect.gen(function*() {
      const env = { PROMPTOPS_TRACES: "otlp", OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel-collector.internal:4318" }
      const error = yield* configurationError(PromptOps.resolveTraces(local).pipe(withEnv(env)))
      assert.include(error.problems[0]!.description, "OTEL_EXPORTER_OTLP_INSECURE=true")
      const allowed = yield* PromptOps.resolveTraces(local).pipe(
        withEnv({ ...env, OTEL_EXPORTER_OTLP_TRACES_INSECURE: "true" })
      )
      assert.strictEqual(allowed.otlp!.location, "http://otel-collector.internal:4318/v1/traces")
    }))

  it.effect("a gRPC endpoint with a path, or a traces URL without one, is a problem naming its variable", () =>
    Effect.gen(function*() {
      const grpc = yield* configurationError(
        PromptOps.resolveTraces(local).pipe(
          withEnv({
            PROMPTOPS_TRACES: "otlp",
            OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://otel.example.com/v1/traces"
          })
        )
      )
      assert.deepStrictEqual(grpc.problems.map((problem) => problem.setting), ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"])
      assert.include(grpc.problems[0]!.description, "without a path")
      const http = yield* configurationError(
        PromptOps.resolveTraces(local).pipe(
          withEnv({ PROMPTOPS_TRACES: "otlp", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://otel.example.com/" })
        )
      )
      assert.deepStrictEqual(http.problems.map((problem) => problem.setting), ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"])
      assert.include(http.problems[0]!.description, "full traces URL")
    }))

  it.effect("credentials in the endpoint: a problem that never echoes them", () =>
    Effect.gen(function*() {
      const error = yield* configurationError(
        PromptOps.resolveTraces(local).pipe(
          withEnv({
            PROMPTOPS_TRACES: "otlp",
            OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
            OTEL_EXPORTER_OTLP_ENDPOINT: `https://user:${secret}@otel.example.com`
          })
        )
      )
      assert.deepStrictEqual(error.problems.map((problem) => problem.setting), ["OTEL_EXPORTER_OTLP_ENDPOINT"])
      assert.include(error.problems[0]!.description, "must not contain credentials; pass them in OTEL_EXPORTER_OTLP_HEADERS")
      assert.notInclude(error.message, secret)
    }))
})
