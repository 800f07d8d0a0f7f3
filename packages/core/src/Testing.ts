/**
 * Helpers for testing apps built on promptops: a recording `SpanSink` with
 * assertions, fixture prompts, and the deterministic memory backend.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import type { DatasetRecordInput } from "./Dataset.js"
import * as Memory from "./Memory.js"
import type { PromptDraft } from "./Prompt.js"
import type { PromptOpsError } from "./PromptOpsError.js"
import type { SpanKind, SpanRecord } from "./SpanRecord.js"
import * as SpanSink from "./SpanSink.js"

/**
 * What a recording sink has seen.
 *
 * @since 0.1.0
 */
export interface Recording {
  /** Every exported record, in export order (retried batches appear once per attempt). */
  readonly records: () => ReadonlyArray<SpanRecord>
  /** The size of each export call. */
  readonly batches: () => ReadonlyArray<number>
  /** Records with this name. */
  readonly named: (name: string) => ReadonlyArray<SpanRecord>
  /** The one record with this name; fails the test when there are none or several. */
  readonly single: (name: string) => SpanRecord
  /** Direct children of a span. */
  readonly children: (spanId: string) => ReadonlyArray<SpanRecord>
  /**
   * The span tree under each root as nested `name(kind)` strings, children
   * sorted by start time: compact to assert on.
   */
  readonly tree: () => ReadonlyArray<string>
  readonly clear: () => void
}

/**
 * @since 0.1.0
 */
export class RecordingSpanSink extends Context.Tag("@promptops/core/Testing/RecordingSpanSink")<
  RecordingSpanSink,
  Recording
>() {}

/**
 * A failure script for the recording sink: the n-th export call (0-based)
 * fails with the given error before anything is recorded.
 *
 * @since 0.1.0
 */
export type FailureScript = (call: number, batch: ReadonlyArray<SpanRecord>) => PromptOpsError | undefined

/**
 * @since 0.1.0
 */
export const makeRecording = (options: {
  readonly limits?: Partial<SpanSink.Limits> | undefined
  readonly fail?: FailureScript | undefined
} = {}): { readonly sink: SpanSink.SpanSink.Service; readonly recording: Recording } => {
  let records: Array<SpanRecord> = []
  let batches: Array<number> = []
  let calls = 0
  const named = (name: string) => records.filter((record) => record.name === name)
  const children = (spanId: string) =>
    records.filter((record) => record.parentSpanId === spanId).sort((a, b) => a.startTime - b.startTime)
  const render = (record: SpanRecord, kind: SpanKind = record.kind): string => {
    const kids = children(record.spanId)
    const label = `${record.name}(${kind})`
    return kids.length === 0 ? label : `${label}[${kids.map((kid) => render(kid)).join(", ")}]`
  }
  const recording: Recording = {
    records: () => records,
    batches: () => batches,
    named,
    single: (name) => {
      const found = named(name)
      if (found.length !== 1) throw new Error(`expected exactly one span named "${name}", found ${found.length}`)
      return found[0]!
    },
    children,
    tree: () => {
      const ids = new Set(records.map((record) => record.spanId))
      return records
        .filter((record) => record.parentSpanId === undefined || !ids.has(record.parentSpanId))
        .sort((a, b) => a.startTime - b.startTime)
        .map((root) => render(root))
    },
    clear: () => {
      records = []
      batches = []
    }
  }
  const sink = SpanSink.make({
    provider: "recording",
    limits: options.limits,
    export: (batch) =>
      Effect.suspend(() => {
        const error = options.fail?.(calls++, batch)
        if (error !== undefined) return Effect.fail(error)
        batches.push(batch.length)
        records.push(...batch)
        return Effect.void
      })
  })
  return { sink, recording }
}

/**
 * A `SpanSink` that records every batch, and the `RecordingSpanSink` to assert on.
 *
 * @since 0.1.0
 */
export const recordingSpanSink = (options: {
  readonly limits?: Partial<SpanSink.Limits> | undefined
  readonly fail?: FailureScript | undefined
} = {}): Layer.Layer<SpanSink.SpanSink | RecordingSpanSink> =>
  Layer.effectContext(Effect.sync(() => {
    const { recording, sink } = makeRecording(options)
    return Context.make(SpanSink.SpanSink, sink).pipe(Context.add(RecordingSpanSink, recording))
  }))

/**
 * Prompts in both template formats, for tests and examples.
 *
 * @since 0.1.0
 */
export const fixturePrompts: ReadonlyArray<PromptDraft> = [
  {
    slug: "greeting",
    name: "Greeting",
    tag: "production",
    templateFormat: "mustache",
    messages: [
      { role: "system", content: "You are a friendly assistant for {{company}}." },
      { role: "user", content: "Say hello to {{user.name}}." }
    ],
    model: { provider: "openai", name: "gpt-4o-mini", params: { temperature: 0.2, maxTokens: 64 } }
  },
  {
    slug: "support-answer",
    name: "Support answer",
    tag: "production",
    templateFormat: "jinja",
    messages: [
      { role: "system", content: "Answer in {{ language | default('English') }}." },
      {
        role: "user",
        content: "{% for turn in history %}{{ turn }}\n{% endfor %}Question: {{ question }}"
      }
    ],
    model: { provider: "openai", name: "gpt-4o-mini", params: { temperature: 0 } }
  }
]

/**
 * A small dataset matching `fixturePrompts`' greeting prompt.
 *
 * @since 0.1.0
 */
export const fixtureDataset: ReadonlyArray<DatasetRecordInput> = [
  { id: "case-ada", input: { user: { name: "Ada" } }, expected: "Hello, Ada!" },
  { id: "case-alan", input: { user: { name: "Alan" } }, expected: "Hello, Alan!" },
  { id: "case-grace", input: { user: { name: "Grace" } }, expected: "Hello, Grace!" }
]

/**
 * The memory backend seeded with the fixtures and deterministic experiment ids.
 *
 * @since 0.1.0
 */
export const memoryWithFixtures = (): ReturnType<typeof Memory.layer> =>
  Memory.layer({ prompts: fixturePrompts, datasets: { greetings: fixtureDataset }, deterministicIds: true })
