/**
 * `SpanRecord` → the OpenTelemetry SDK's `ReadableSpan`, the input of the
 * official OTLP serializers (`@opentelemetry/otlp-transformer`). Attributes
 * follow the GenAI semantic conventions where one exists; promptops's own
 * fields go under `promptops.*` (see `OtlpSpanSink`'s documentation for the
 * table).
 */
import { type Attributes, type AttributeValue, SpanKind, SpanStatusCode } from "@opentelemetry/api"
import type { Resource } from "@opentelemetry/resources"
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { createHash } from "node:crypto"

export const SCOPE = { name: "@promptops/otlp", version: "0.1.0" } as const

/** Metadata keys lifted to span attributes of their own (the GenAI conventions). */
const GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
const GEN_AI_SYSTEM = "gen_ai.system"

const HEX_32 = /^[0-9a-f]{32}$/
const HEX_16 = /^[0-9a-f]{16}$/

/**
 * An id as OTLP wants it: lowercase hex of 16 (trace) or 8 (span) bytes.
 * promptops's ids already are (W3C ids from `Ids`); a UUID loses its dashes;
 * anything else (a record rewritten by a `redact` hook, read from a backend
 * with ids of its own) is hashed (SHA-256, truncated), so the same id always
 * maps to the same OTLP id and parentage survives.
 */
export const otlpId = (id: string, bytes: 16 | 8): string => {
  const lower = id.toLowerCase()
  if ((bytes === 16 ? HEX_32 : HEX_16).test(lower) && !/^0+$/.test(lower)) return lower
  const undashed = lower.replace(/-/g, "")
  if (bytes === 16 && HEX_32.test(undashed) && !/^0+$/.test(undashed)) return undashed
  return createHash("sha256").update(id).digest("hex").slice(0, bytes * 2)
}

/** Fractional unix milliseconds → `[seconds, nanoseconds]`. */
export const hrTime = (ms: number): [number, number] => {
  if (!Number.isFinite(ms) || ms < 0) return [0, 0]
  let seconds = Math.floor(ms / 1000)
  let nanos = Math.round((ms - seconds * 1000) * 1e6)
  if (nanos >= 1e9) {
    seconds += 1
    nanos -= 1e9
  }
  return [seconds, nanos]
}

const json = (value: unknown): string => {
  try {
    return typeof value === "string" ? value : JSON.stringify(value) ?? "null"
  } catch {
    return String(value)
  }
}

/** A metadata value as an attribute value: primitives and primitive arrays as they are, anything else JSON. */
const attributeValue = (value: unknown): AttributeValue | undefined => {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value
    case "number":
      return Number.isFinite(value) ? value : String(value)
    case "undefined":
      return undefined
    default:
      if (value === null) return undefined
      if (Array.isArray(value)) {
        if (value.every((item) => typeof item === "string")) return value as Array<string>
        if (value.every((item) => typeof item === "boolean")) return value as Array<boolean>
        if (value.every((item) => typeof item === "number" && Number.isFinite(item))) return value as Array<number>
      }
      return json(value)
  }
}

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** A message's content as GenAI message parts. */
const parts = (content: unknown): Array<Record<string, unknown>> => {
  if (typeof content === "string") return [{ type: "text", content }]
  if (Array.isArray(content)) {
    return content.map((part) =>
      typeof part === "string"
        ? { type: "text", content: part }
        : isRecord(part) && typeof part.type === "string"
        ? part.type === "text" && typeof part.text === "string" && part.content === undefined
          ? { type: "text", content: part.text }
          : { ...part }
        : { type: "text", content: json(part) }
    )
  }
  return [{ type: "text", content: json(content) }]
}

const looksLikeMessages = (value: unknown): value is ReadonlyArray<Readonly<Record<string, unknown>>> =>
  Array.isArray(value) && value.length > 0 && value.every((item) => isRecord(item) && typeof item.role === "string")

/**
 * A span's input or output as GenAI messages (`[{ role, parts }]`): a list of
 * `{ role, content }` messages keeps its roles; `{ messages: [...] }` (a
 * rendered prompt) its messages; anything else is one message of `role`
 * whose text is the value (JSON when it is not a string).
 */
export const toMessages = (value: unknown, role: "user" | "assistant"): Array<Record<string, unknown>> => {
  const list = looksLikeMessages(value)
    ? value
    : isRecord(value) && looksLikeMessages(value.messages)
    ? value.messages
    : undefined
  if (list === undefined) return [{ role, parts: parts(value) }]
  return list.map((message) => {
    const { content, role: messageRole, ...rest } = message
    return {
      role: messageRole,
      parts: parts(content),
      ...(typeof rest.finish_reason === "string" ? { finish_reason: rest.finish_reason } : {}),
      ...(typeof rest.name === "string" ? { name: rest.name } : {})
    }
  })
}

const operationOf = (record: SpanRecord): string | undefined => {
  switch (record.kind) {
    case "llm":
      return "chat"
    case "tool":
      return "execute_tool"
    default:
      return undefined
  }
}

export interface MapOptions {
  readonly captureContent: boolean
  readonly resource: Resource
  readonly dialect?: "basalt" | undefined
}

/** Basalt's span kinds (its SDKs' `basalt.span.kind`) for promptops's record kinds. */
const basaltKind = (kind: SpanRecord["kind"]): string => {
  switch (kind) {
    case "llm":
      return "generation"
    case "tool":
      return "tool"
    default:
      return "function"
  }
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : typeof value === "number" ? String(value) : undefined

/**
 * The `basalt.*` attributes Basalt's SDKs set, from what promptops has: the
 * prompt (the `basalt.prompt` metadata `{ slug, version?, tag? }` the Basalt
 * layer reads too, else `gen_ai.prompt.name`/`version`), `basalt.user` and
 * `basalt.organization` (`{ id, name }`), the experiment a span is routed to,
 * the span kind. Never overrides an attribute the record already carries.
 */
export const basaltAttributes = (record: SpanRecord, out: Attributes): void => {
  const set = (key: string, value: AttributeValue | undefined) => {
    if (value !== undefined && out[key] === undefined) out[key] = value
  }
  const prompt = record.metadata["basalt.prompt"]
  if (isRecord(prompt)) {
    set("basalt.prompt.slug", text(prompt.slug))
    set("basalt.prompt.version", text(prompt.version))
    set("basalt.prompt.tag", text(prompt.tag))
  }
  for (const who of ["user", "organization"] as const) {
    const value = record.metadata[`basalt.${who}`]
    if (isRecord(value)) {
      set(`basalt.${who}.id`, text(value.id))
      set(`basalt.${who}.name`, text(value.name))
    }
  }
  set("basalt.span.kind", basaltKind(record.kind))
  set("basalt.prompt.slug", out["gen_ai.prompt.name"])
  set("basalt.prompt.version", out["gen_ai.prompt.version"])
  if (record.destination._tag === "Experiment") set("basalt.experiment.id", record.destination.experimentId)
}

/** The OTLP attributes of a record. */
export const attributes = (record: SpanRecord, captureContent: boolean): Attributes => {
  const out: Attributes = {}
  const metadata = record.metadata
  const isLlm = record.kind === "llm"
  out["promptops.kind"] = record.kind

  // GenAI conventions: metadata keys already in the gen_ai namespace (the
  // `@promptops/ai` bridge and `@effect/ai` write them) become attributes as
  // they are; the model and token counts promptops folds into `metadata.model`
  // and `metrics` are put back under their GenAI names.
  let provider: unknown = undefined
  for (const key in metadata) {
    if (!Object.prototype.hasOwnProperty.call(metadata, key)) continue
    const value = attributeValue(metadata[key])
    if (value === undefined) continue
    if (key.startsWith("gen_ai.")) {
      out[key] = value
      if (key === GEN_AI_PROVIDER_NAME || (key === GEN_AI_SYSTEM && provider === undefined)) provider = value
    } else if (key === "model" && (isLlm || typeof metadata[GEN_AI_PROVIDER_NAME] === "string")) {
      // The record keeps one model (the response's, else the request's): it is both here.
      if (out["gen_ai.request.model"] === undefined) out["gen_ai.request.model"] = value
      if (out["gen_ai.response.model"] === undefined) out["gen_ai.response.model"] = value
    } else {
      out[`promptops.metadata.${key}`] = value
    }
  }
  if (provider !== undefined) {
    // Both: `gen_ai.provider.name` is current, `gen_ai.system` what older backends still read.
    if (out[GEN_AI_PROVIDER_NAME] === undefined) out[GEN_AI_PROVIDER_NAME] = provider as AttributeValue
    if (out[GEN_AI_SYSTEM] === undefined) out[GEN_AI_SYSTEM] = provider as AttributeValue
  }
  if (out["gen_ai.operation.name"] === undefined) {
    const operation = operationOf(record)
    if (operation !== undefined) out["gen_ai.operation.name"] = operation
  }
  if (record.kind === "tool" && out["gen_ai.tool.name"] === undefined) out["gen_ai.tool.name"] = record.name

  const metrics = record.metrics
  for (const key in metrics) {
    if (!Object.prototype.hasOwnProperty.call(metrics, key)) continue
    const value = metrics[key]
    if (typeof value !== "number" || !Number.isFinite(value)) continue
    if (key === "promptTokens") out["gen_ai.usage.input_tokens"] = Math.round(value)
    else if (key === "completionTokens") out["gen_ai.usage.output_tokens"] = Math.round(value)
    else out[`promptops.metrics.${key}`] = value
  }

  if (captureContent) {
    if (isLlm) {
      if (record.input !== undefined) out["gen_ai.input.messages"] = JSON.stringify(toMessages(record.input, "user"))
      if (record.output !== undefined) {
        out["gen_ai.output.messages"] = JSON.stringify(toMessages(record.output, "assistant"))
      }
    } else {
      if (record.input !== undefined) out["promptops.input"] = json(record.input)
      if (record.output !== undefined) out["promptops.output"] = json(record.output)
    }
    if (record.expected !== undefined) out["promptops.expected"] = json(record.expected)
  }
  if (record.tags !== undefined && record.tags.length > 0) out["promptops.tags"] = [...record.tags]
  if (record.destination._tag === "Experiment") out["promptops.experiment_id"] = record.destination.experimentId
  if (record.truncated === true) out["promptops.truncated"] = true
  if (record.error !== undefined) out["error.type"] = record.error.type ?? "Error"
  return out
}

/** Eval scores as `gen_ai.evaluation.result` events, an error as an `exception` event. */
export const events = (record: SpanRecord): Array<TimedEvent> => {
  const out: Array<TimedEvent> = []
  const time = hrTime(record.endTime)
  const scores = record.scores
  if (scores !== undefined) {
    for (const name in scores) {
      if (!Object.prototype.hasOwnProperty.call(scores, name)) continue
      const score = scores[name]
      const eventAttributes: Attributes = { "gen_ai.evaluation.name": name }
      // A null score is a scorer that chose not to score: the event says it ran, without a value.
      if (typeof score === "number" && Number.isFinite(score)) eventAttributes["gen_ai.evaluation.score.value"] = score
      out.push({ name: "gen_ai.evaluation.result", time, attributes: eventAttributes, droppedAttributesCount: 0 })
    }
  }
  if (record.error !== undefined) {
    const exception: Attributes = {
      "exception.type": record.error.type ?? "Error",
      "exception.message": record.error.message
    }
    if (record.error.stack !== undefined) exception["exception.stacktrace"] = record.error.stack
    out.push({ name: "exception", time, attributes: exception, droppedAttributesCount: 0 })
  }
  return out
}

const withDialect = (record: SpanRecord, out: Attributes, dialect: MapOptions["dialect"]): Attributes => {
  if (dialect === "basalt") basaltAttributes(record, out)
  return out
}

/** The SDK span the official serializers take. */
export const toReadableSpan = (record: SpanRecord, options: MapOptions): ReadableSpan => {
  const traceId = otlpId(record.traceId, 16)
  const spanId = otlpId(record.spanId, 8)
  const startTime = hrTime(record.startTime)
  const endTime = hrTime(Math.max(record.endTime, record.startTime))
  const durationNs = Math.max(0, Math.round((record.endTime - record.startTime) * 1e6))
  const span: ReadableSpan = {
    name: record.name,
    // A model call leaves the process (GenAI conventions: CLIENT); the rest is in-process work.
    kind: record.kind === "llm" ? SpanKind.CLIENT : SpanKind.INTERNAL,
    spanContext: () => ({ traceId, spanId, traceFlags: 1 }),
    ...(record.parentSpanId !== undefined
      ? { parentSpanContext: { traceId, spanId: otlpId(record.parentSpanId, 8), traceFlags: 1 } }
      : {}),
    startTime,
    endTime,
    status: record.error === undefined
      ? { code: SpanStatusCode.UNSET }
      : { code: SpanStatusCode.ERROR, message: record.error.message },
    attributes: withDialect(record, attributes(record, options.captureContent), options.dialect),
    links: [],
    events: events(record),
    duration: [Math.floor(durationNs / 1e9), durationNs % 1e9],
    ended: true,
    resource: options.resource,
    instrumentationScope: SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0
  }
  return span
}
