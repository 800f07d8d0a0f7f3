/**
 * The API key (a random one per run, `API_KEY`) never leaves the
 * `Authorization` header, on both vendors, including on the failure paths:
 * a key the vendor refuses, a vendor that is unreachable, an answer slower
 * than the timeout, and the tracing pipeline dropping what it cannot send.
 * Scanned: every request the emulator saw (URL, body, every other header),
 * every log line at every level, every error (`String`, `message`, JSON,
 * `inspect`, `Cause.pretty`), and the services themselves.
 *
 * The delivery, shutdown, hostile-data and outage suites run the same scans
 * over everything they send and log.
 */
import { assert, describe, it } from "@effect/vitest"
import { Experiments } from "@promptops/core/Experiments"
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import { Prompts } from "@promptops/core/Prompts"
import { SpanSink } from "@promptops/core/SpanSink"
import * as Trace from "@promptops/core/Trace"
import * as Tracing from "@promptops/core/Tracing"
import { Cause, Effect } from "effect"
import { inspect } from "node:util"
import { API_KEY, captureLogs, SinkAccount, keyLeaksInRequests, keyLeaksInText, vendors, withBackend } from "./harness.js"

const textsOf = (error: PromptOpsError): Array<string> => [
  String(error),
  error.message,
  error.description,
  JSON.stringify(error),
  inspect(error, { depth: 10 }),
  Cause.pretty(Cause.fail(error))
]

for (const vendor of vendors) {
  describe(`${vendor.name}: the API key stays in the Authorization header`, () => {
    it.live("refused key, unreachable vendor, timeout, dropped spans: no error, log, span or request carries it", () =>
      Effect.gen(function*() {
        const texts: Array<string> = []
        const logs = captureLogs()

        // 1. The vendor refuses the key (it knows another one).
        const refusing = yield* vendor.start(["some-other-key"])
        const refused = yield* withBackend(
          vendor,
          refusing,
          Effect.gen(function*() {
            const prompts = yield* Prompts
            const experiments = yield* Experiments
            texts.push(inspect(prompts, { depth: 10 }), inspect(experiments, { depth: 10 }), inspect(yield* SpanSink, { depth: 10 }))
            const errors = [
              yield* Effect.flip(prompts.get("greeting")),
              yield* Effect.flip(experiments.create({ name: "refused" }))
            ]
            // Spans the vendor refuses are dropped by the pipeline, with a warning.
            yield* Effect.void.pipe(Trace.task("refused span"))
            yield* Tracing.flush
            return { errors, stats: yield* Tracing.stats, account: yield* SinkAccount }
          }),
          { logs }
        )
        assert.deepStrictEqual(refused.errors.map((error) => error._tag), ["Unauthorized", "Unauthorized"])
        // The refused span is counted lost: by the pipeline (Braintrust), or by the sink that owns it (Basalt).
        assert.strictEqual(refused.stats.dropped.exportFailed + (yield* refused.account).refused, refused.stats.enqueued)
        for (const error of refused.errors) texts.push(...textsOf(error))

        // 2. The vendor is unreachable; 3. it answers slower than the timeout.
        const gone = yield* vendor.start()
        yield* Effect.promise(() => gone.close())
        const slow = yield* vendor.start()
        slow.faults.delay(1_000, { times: Infinity })
        for (const handle of [gone, slow]) {
          const error = yield* withBackend(
            vendor,
            handle,
            Effect.flip(Effect.flatMap(Prompts, (prompts) => prompts.get("greeting"))),
            {
              logs,
              client: { timeout: "200 millis", retry: false },
              // The call's own span cannot be sent either: give up on it quickly.
              tracing: { shutdownTimeout: "1 second", retry: { base: "10 millis", maxRetries: 1 } }
            }
          )
          assert.strictEqual(error._tag, "TransportError")
          texts.push(...textsOf(error))
        }

        assert.isAbove(texts.length, 10)
        assert.deepStrictEqual(keyLeaksInText(texts), [])
        assert.deepStrictEqual(keyLeaksInText(logs.lines), [])
        assert.isTrue(logs.lines.some((line) => /level=WARN/.test(line)), "no warning was logged at all")
        // Every request carried the key, and only as its bearer token.
        for (const handle of [refusing, slow]) {
          assert.isAbove(handle.requests.length, 0)
          assert.isTrue(handle.requests.every((request) => request.headers["authorization"] === `Bearer ${API_KEY}`))
          assert.deepStrictEqual(keyLeaksInRequests(handle.requests), [])
        }
      }).pipe(Effect.scoped), 30_000)
  })
}
