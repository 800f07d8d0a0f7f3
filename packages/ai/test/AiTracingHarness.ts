/**
 * Shared by the bridge's tests: a deterministic mock `LanguageModel` and a
 * traced environment (memory backend for prompts, the promptops tracer with a
 * recording sink).
 */
import * as LanguageModel from "@effect/ai/LanguageModel"
import type * as Response from "@effect/ai/Response"
import * as Memory from "@promptops/core/Memory"
import type { PromptDraft } from "@promptops/core/Prompt"
import * as Testing from "@promptops/core/Testing"
import * as Tracing from "@promptops/core/Tracing"
import { Effect, Layer, Stream } from "effect"

export interface MockCalls {
  readonly requests: Array<LanguageModel.ProviderOptions>
}

export const USAGE = { inputTokens: 12, outputTokens: 5, totalTokens: 17 } as const

/**
 * A model that answers `text` (or `json` for structured output), reporting
 * model `mock-1` and `USAGE`; each request it gets is kept in `calls`.
 */
export const mockModel = (options: { readonly text?: string; readonly json?: unknown } = {}) => {
  const calls: MockCalls = { requests: [] }
  const parts = (request: LanguageModel.ProviderOptions): Array<Response.PartEncoded> => {
    calls.requests.push(request)
    // As the real providers do (with the deprecated GenAI name).
    request.span.attribute("gen_ai.system", "mockai")
    const text = request.responseFormat.type === "json" ? JSON.stringify(options.json ?? {}) : options.text ?? "Hello!"
    return [
      { type: "response-metadata", id: "resp_1", modelId: "mock-1", timestamp: "2026-01-01T00:00:00.000Z" },
      { type: "text", text },
      { type: "finish", reason: "stop", usage: USAGE }
    ]
  }
  const layer = Layer.effect(
    LanguageModel.LanguageModel,
    LanguageModel.make({
      generateText: (request) => Effect.sync(() => parts(request)),
      streamText: (request) =>
        Stream.fromIterable(parts(request).flatMap((part): Array<Response.StreamPartEncoded> =>
          part.type === "text"
            ? [
              { type: "text-start", id: "t1" },
              { type: "text-delta", id: "t1", delta: part.text.slice(0, 3) },
              { type: "text-delta", id: "t1", delta: part.text.slice(3) },
              { type: "text-end", id: "t1" }
            ]
            : [part as Response.StreamPartEncoded]
        ))
    })
  )
  return { calls, layer }
}

export const supportPrompt: PromptDraft = {
  slug: "support-answer",
  tag: "production",
  templateFormat: "mustache",
  messages: [
    { role: "developer", content: "Answer in {{language}}." },
    { role: "user", content: "Question: {{question}}" }
  ],
  model: { provider: "openai", name: "gpt-4o-mini", params: { temperature: 0.3, maxTokens: 128 } }
}

/** Memory prompts + tracer + recording sink; `Testing.RecordingSpanSink` to read the records. */
export const tracedEnv = (prompts: ReadonlyArray<PromptDraft> = [supportPrompt]) =>
  Layer.mergeAll(
    Memory.layer({ prompts }),
    Tracing.layer({ interval: "10 millis" }).pipe(Layer.provideMerge(Testing.recordingSpanSink()))
  )

/** Flushes the tracer and returns the records exported. */
export const records = Effect.gen(function*() {
  yield* Tracing.flush
  const recording = yield* Testing.RecordingSpanSink
  return recording.records()
})

/** Every key of a JSON value, deeply: to prove no internal key reached a record. */
export const allKeys = (value: unknown, into: Set<string> = new Set()): Set<string> => {
  if (Array.isArray(value)) for (const item of value) allKeys(item, into)
  else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      into.add(key)
      allKeys(item, into)
    }
  }
  return into
}
