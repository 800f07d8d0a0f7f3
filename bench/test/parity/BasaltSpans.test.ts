/**
 * A failed span as promptops' Basalt sink sends it, beside what Basalt's JS
 * SDK (`@basalt-ai/sdk` 0.3) records for the same failure.
 *
 * The SDK (not on npm, read from `basalt-ai/basalt-js`) traces over
 * OpenTelemetry: a callback that throws gets `span.recordException(error)`
 * and `setStatus({ code: ERROR, message: error.message })`, so the span
 * carries an `exception` event with `exception.type` (the error's `code`,
 * else its `name`), `exception.message` and `exception.stacktrace` (its
 * `stack`). Basalt's REST trace payload, which promptops sends, has no error
 * field (the SDK's REST monitor, before 0.3, sent no errors at all), so the
 * failed span's log carries the same three facts in
 * `metadata.error = { message, type, stack }`: the message, the type, and
 * the stack, which starts `Type: message` as the thrown error's does.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as BasaltClient from "@promptops/basalt/BasaltClient"
import * as BasaltSpanSink from "@promptops/basalt/BasaltSpanSink"
import * as Trace from "@promptops/core/Trace"
import * as Tracing from "@promptops/core/Tracing"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

const traces: Array<Record<string, unknown>> = []
let server: Http.Server
let runtime: ManagedRuntime.ManagedRuntime<Tracing.Tracing | BasaltSpanSink.BasaltSpanSink, unknown>

beforeAll(async () => {
  server = Http.createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const ok = request.method === "POST" && request.url === "/monitor/trace"
      if (ok) traces.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>)
      response.writeHead(ok ? 200 : 404, { "content-type": "application/json" })
      response.end(JSON.stringify(ok ? { trace: { id: `trace-${traces.length}` } } : { error: "no route" }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  runtime = ManagedRuntime.make(
    Tracing.layer({ interval: "1 hour" }).pipe(
      Layer.provideMerge(BasaltSpanSink.layer()),
      Layer.provide(BasaltClient.layer({ apiKey: Redacted.make("sk-parity"), apiUrl: url, featureSlug: "parity" })),
      Layer.provide(FetchHttpClient.layer)
    )
  )
})

afterAll(async () => {
  await runtime?.dispose()
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())))
})

/** What OpenTelemetry's `recordException` puts on the SDK's span for a thrown error. */
const otelException = (error: Error & { code?: unknown }) => ({
  "exception.type": error.code !== undefined ? String(error.code) : error.name,
  "exception.message": error.message,
  "exception.stacktrace": error.stack
})

describe("Basalt span errors beside Basalt's SDK", () => {
  it("a failed span's log carries the exception's message, type and stack in metadata.error", async () => {
    const thrown = new TypeError("quota exceeded")
    traces.length = 0
    await runtime.runPromise(
      Effect.fail(thrown).pipe(
        Trace.tool("lookup"),
        Effect.ignore,
        Trace.task("request"),
        Effect.zipRight(BasaltSpanSink.flush)
      )
    )
    assert.strictEqual(traces.length, 1)
    const logs = traces[0]!["logs"] as Array<Record<string, unknown>>
    const failed = logs.find((log) => log["name"] === "lookup")!
    const error = (failed["metadata"] as Record<string, unknown>)["error"] as Record<string, unknown>
    const sdk = otelException(thrown)
    assert.deepStrictEqual(Object.keys(error).sort(), ["message", "stack", "type"])
    assert.strictEqual(error["message"], sdk["exception.message"])
    assert.strictEqual(error["type"], sdk["exception.type"])
    // Both stacks open with the same line; the frames below are each runtime's own.
    const firstLine = (stack: unknown) => String(stack).split("\n")[0]
    assert.strictEqual(firstLine(error["stack"]), firstLine(sdk["exception.stacktrace"]))
    assert.strictEqual(firstLine(error["stack"]), "TypeError: quota exceeded")
    assert.match(String(error["stack"]), /\n {4}at /)
    // The span that did not fail carries no error.
    const root = logs.find((log) => log["name"] === "request")!
    assert.isUndefined((root["metadata"] as Record<string, unknown>)["error"])
  })
})
