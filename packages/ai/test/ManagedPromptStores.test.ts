/**
 * A traced call through the bridge, read back from the stores: the local
 * store (SQLite) and the Braintrust emulator (through the real HTTP stack,
 * every request checked against Braintrust's OpenAPI file).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Braintrust from "@promptops/braintrust/Braintrust"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { TraceReader } from "@promptops/core/TraceReader"
import * as Tracing from "@promptops/core/Tracing"
import { BraintrustEmulator } from "@promptops/emulators"
import * as Local from "@promptops/local/Local"
import { Effect, Layer, Redacted } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import * as ManagedPrompt from "../src/ManagedPrompt.js"
import { allKeys, mockModel, supportPrompt, USAGE } from "./AiTracingHarness.js"

const dir = mkdtempSync(Path.join(tmpdir(), "promptops-ai-local-"))
const emulator = await BraintrustEmulator.start()
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await emulator.close()
})

/** Pushes the prompt, runs one managed call under an app span, and reads its trace back. */
const tracedCall = Effect.gen(function*() {
  const pushed = yield* Effect.flatMap(PromptRegistry, (registry) => registry.push(supportPrompt))
  const model = mockModel({ text: "Use the reset link." })
  const traceId = yield* ManagedPrompt.generateText({
    slug: "support-answer",
    variables: { language: "English", question: "How do I reset my password?" },
    toolChoice: "none",
    concurrency: 2
  }).pipe(
    Effect.zipRight(Effect.currentSpan),
    Effect.map((span) => span.traceId),
    Effect.withSpan("handler"),
    Effect.provide(model.layer)
  )
  yield* Tracing.flush
  const page = yield* Effect.flatMap(TraceReader, (reader) => reader.read({ traceId, limit: 100 }))
  return { spans: page.spans, version: pushed.version }
})

const assertOneLinkedLlmSpan = (spans: ReadonlyArray<SpanRecord>, version: unknown) => {
  const llm = spans.filter((s) => s.kind === "llm")
  assert.strictEqual(llm.length, 1, `one llm span in ${JSON.stringify(spans.map((s) => [s.name, s.kind]))}`)
  const record = llm[0]!
  assert.strictEqual(record.name, "support-answer")
  assert.strictEqual(record.metadata["gen_ai.prompt.name"], "support-answer")
  assert.strictEqual(record.metadata["gen_ai.prompt.version"], String(version))
  assert.strictEqual(record.metadata.model, "mock-1")
  assert.deepStrictEqual(record.input, [
    { role: "system", content: "Answer in English." },
    { role: "user", content: "Question: How do I reset my password?" }
  ])
  assert.deepStrictEqual(record.output, [{ role: "assistant", content: "Use the reset link." }])
  assert.strictEqual(record.metrics.promptTokens, USAGE.inputTokens)
  assert.strictEqual(record.metrics.completionTokens, USAGE.outputTokens)
  assert.strictEqual(record.metrics.totalTokens, USAGE.totalTokens)
  const keys = allKeys(JSON.parse(JSON.stringify(spans)))
  for (const key of ["concurrency", "toolChoice", "gen_ai.system", "promptops.omit"]) assert.isFalse(keys.has(key), key)
  for (const key of keys) assert.notInclude(key, "~effect/ai")
}

describe("a traced ManagedPrompt call, read back from the stores", () => {
  it.scoped("local store", () =>
    Effect.gen(function*() {
      const { spans, version } = yield* tracedCall
      assertOneLinkedLlmSpan(spans, version)
    }).pipe(Effect.provide(Layer.provideMerge(Tracing.layer({ interval: "10 millis" }), Local.layer({ dir })))))

  it.live("Braintrust emulator", () =>
    Effect.gen(function*() {
      const { spans, version } = yield* tracedCall
      assertOneLinkedLlmSpan(spans, version)
      // Nothing of @effect/ai's internals went over the wire either.
      for (const request of emulator.requests) {
        assert.notInclude(request.body, "~effect/ai")
        assert.notInclude(request.body, "\"concurrency\"")
      }
      assert.deepStrictEqual(emulator.rejections, [], "no request broke the OpenAPI file")
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.provideMerge(
        Tracing.layer({ interval: "10 millis" }),
        Braintrust.layer({ apiKey: Redacted.make(emulator.apiKey), apiUrl: emulator.url, project: "ai-bridge" }).pipe(
          Layer.provide(FetchHttpClient.layer)
        )
      ))
    ))
})
