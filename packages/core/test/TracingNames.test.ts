import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Attr from "../src/internal/attributes.js"
import type { SpanRecord } from "../src/SpanRecord.js"
import * as SpanSink from "../src/SpanSink.js"
import * as Tracing from "../src/Tracing.js"

/** Runs `effect` under the promptops tracer and returns every record exported. */
const recordsOf = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const records: Array<SpanRecord> = []
    const sink = SpanSink.make({
      provider: "test",
      export: (batch) => Effect.sync(() => void records.push(...batch))
    })
    const tracing = yield* Effect.provideService(Tracing.make(), SpanSink.SpanSink, sink)
    yield* Effect.exit(Effect.withTracer(effect, tracing.tracer))
    yield* tracing.flush
    return records
  })

describe("Tracing: promptops.name and promptops.omit", () => {
  it.scoped("promptops.name names the record instead of the span", () =>
    Effect.gen(function*() {
      const records = yield* recordsOf(
        Effect.annotateCurrentSpan(Attr.NAME, "support-answer").pipe(Effect.withSpan("LanguageModel.generateText"))
      )
      assert.strictEqual(records.length, 1)
      assert.strictEqual(records[0]!.name, "support-answer")
      assert.isUndefined(records[0]!.metadata[Attr.NAME])
    }))

  it.scoped("a promptops.name that is not a non-empty string stays in metadata and the span's name is kept", () =>
    Effect.gen(function*() {
      const records = yield* recordsOf(
        Effect.annotateCurrentSpan(Attr.NAME, 42).pipe(Effect.withSpan("kept"))
      )
      assert.strictEqual(records[0]!.name, "kept")
      assert.strictEqual(records[0]!.metadata[Attr.NAME], 42)
    }))

  it.scoped("promptops.omit leaves the named attributes out of the record, even when written after them", () =>
    Effect.gen(function*() {
      const records = yield* recordsOf(
        Effect.annotateCurrentSpan(Attr.OMIT, ["concurrency", "toolChoice", Attr.GEN_AI_SYSTEM]).pipe(
          Effect.withSpan("LanguageModel.generateText", {
            attributes: {
              concurrency: 4,
              toolChoice: "auto",
              objectName: "answer",
              [Attr.GEN_AI_SYSTEM]: "openai",
              [Attr.GEN_AI_PROVIDER_NAME]: "openai",
              [Attr.GEN_AI_PROMPT_NAME]: "support-answer",
              [Attr.GEN_AI_PROMPT_VERSION]: "3"
            }
          })
        )
      )
      const record = records[0]!
      assert.deepStrictEqual(Object.keys(record.metadata).sort(), [
        Attr.GEN_AI_PROMPT_NAME,
        Attr.GEN_AI_PROMPT_VERSION,
        Attr.GEN_AI_PROVIDER_NAME,
        "objectName"
      ])
      assert.strictEqual(record.metadata[Attr.GEN_AI_PROVIDER_NAME], "openai")
      assert.strictEqual(record.metadata[Attr.GEN_AI_PROMPT_NAME], "support-answer")
      // gen_ai.* keys make it an llm span.
      assert.strictEqual(record.kind, "llm")
    }))
})
