/**
 * An OTLP trace request (decoded from protobuf, or parsed OTLP/JSON) → one
 * `SpanRecord` per span: the inverse of `spans.ts` for promptops's own spans,
 * and the GenAI conventions (current and older forms) for everyone else's.
 * See `OtlpIngest`'s module comment for the table.
 *
 * Every value is made JSON-safe and bounded here (strings, depth, items), so
 * a hostile body cannot put anything into a record that the store cannot
 * write. A span that cannot be read (ids of the wrong size, a time that is
 * not an integer) is rejected alone, with the path of what was wrong.
 */
import * as Records from "@promptops/core/Records"
import type { Destination, SpanError, SpanKind, SpanRecord } from "@promptops/core/SpanRecord"
import { SCOPE } from "./spans.js"

/** Size bounds of the data kept from one span (the tracer's defaults). */
export interface Bounds {
  readonly maxStringLength: number
  readonly maxDepth: number
  readonly maxItems: number
}

export const defaultBounds: Bounds = { maxStringLength: 64 * 1024, maxDepth: 16, maxItems: 1_000 }

/** What was wrong with one span (or the request), and where. */
export class Problem {
  constructor(readonly path: string, readonly description: string) {}
}

export interface Result {
  readonly records: Array<SpanRecord>
  readonly rejected: Array<Problem>
}

const SPAN_KINDS: ReadonlySet<string> = new Set(["llm", "task", "tool", "retrieval", "function", "eval", "score", "span"])

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key)

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

// -----------------------------------------------------------------------------
// Wire values → JSON-safe values
// -----------------------------------------------------------------------------

/** Per span: whether bounding changed anything (→ `truncated`). */
interface Tally {
  changed: boolean
  readonly bounds: Bounds
}

const boundString = (s: string, tally: Tally): string => {
  if (s.length <= tally.bounds.maxStringLength) return s
  tally.changed = true
  return `${s.slice(0, tally.bounds.maxStringLength)}…[truncated ${s.length - tally.bounds.maxStringLength} chars]`
}

const base64 = (u: unknown): string =>
  u instanceof Uint8Array ? Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString("base64") : String(u)

/** An int64 as a JavaScript value: a number when exact, else its decimal string (BigInt is not JSON). */
const int64 = (u: unknown, at: string): number | string => {
  const text = typeof u === "number" ? (Number.isInteger(u) ? String(u) : "") : typeof u === "string" ? u.trim() : ""
  if (!/^-?\d{1,20}$/.test(text)) throw new Problem(at, "must be a 64-bit integer (a number or a decimal string)")
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : text
}

/** An OTLP `AnyValue` as a JSON-safe value; throws a `Problem` on a malformed one. */
const anyValue = (u: unknown, at: string, tally: Tally, depth: number): unknown => {
  if (u === undefined || u === null) return null
  if (!isObject(u)) throw new Problem(at, "must be an AnyValue object")
  if (depth > tally.bounds.maxDepth) {
    tally.changed = true
    return "[truncated: too deep]"
  }
  if (u.stringValue !== undefined) {
    if (typeof u.stringValue !== "string") throw new Problem(`${at}.stringValue`, "must be a string")
    return boundString(u.stringValue, tally)
  }
  if (u.boolValue !== undefined) {
    if (typeof u.boolValue !== "boolean") throw new Problem(`${at}.boolValue`, "must be a boolean")
    return u.boolValue
  }
  if (u.intValue !== undefined) return int64(u.intValue, `${at}.intValue`)
  if (u.doubleValue !== undefined) {
    // ProtoJSON writes the non-finite doubles as "NaN", "Infinity", "-Infinity": kept as those strings.
    const d = u.doubleValue
    if (typeof d === "number") return Number.isFinite(d) ? d : String(d)
    if (typeof d === "string" && (d === "NaN" || d === "Infinity" || d === "-Infinity")) return d
    if (typeof d === "string" && d.trim() !== "" && Number.isFinite(Number(d))) return Number(d)
    throw new Problem(`${at}.doubleValue`, "must be a number")
  }
  if (u.arrayValue !== undefined) {
    const values = isObject(u.arrayValue) ? u.arrayValue.values ?? [] : undefined
    if (!Array.isArray(values)) throw new Problem(`${at}.arrayValue.values`, "must be an array")
    return boundedList(values, tally, (item, i) => anyValue(item, `${at}.arrayValue.values[${i}]`, tally, depth + 1))
  }
  if (u.kvlistValue !== undefined) {
    const values = isObject(u.kvlistValue) ? u.kvlistValue.values ?? [] : undefined
    if (!Array.isArray(values)) throw new Problem(`${at}.kvlistValue.values`, "must be an array")
    return keyValues(values, `${at}.kvlistValue.values`, tally, depth + 1)
  }
  if (u.bytesValue !== undefined) return boundString(base64(u.bytesValue), tally)
  return null
}

const boundedList = <A>(values: ReadonlyArray<unknown>, tally: Tally, f: (item: unknown, i: number) => A): Array<A> => {
  const n = Math.min(values.length, tally.bounds.maxItems)
  if (values.length > n) tally.changed = true
  const out: Array<A> = []
  for (let i = 0; i < n; i++) out.push(f(values[i], i))
  return out
}

/** `KeyValue`s as an object (later keys win, as the SDKs do). */
const keyValues = (list: unknown, at: string, tally: Tally, depth: number): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of keyValueList(list, at, tally, depth)) Records.set(out, key, value)
  return out
}

const keyValueList = (
  list: unknown,
  at: string,
  tally: Tally,
  depth: number
): Array<readonly [string, unknown]> => {
  if (list === undefined || list === null) return []
  if (!Array.isArray(list)) throw new Problem(at, "must be an array of key-values")
  return boundedList(list, tally, (kv, i) => {
    if (!isObject(kv) || typeof kv.key !== "string") throw new Problem(`${at}[${i}].key`, "must be a string")
    return [boundString(kv.key, tally), anyValue(kv.value, `${at}[${i}].value`, tally, depth)] as const
  })
}

// -----------------------------------------------------------------------------
// Ids and times
// -----------------------------------------------------------------------------

const HEX = /^[0-9a-fA-F]*$/

/** An id as lowercase hex: protobuf gives bytes, OTLP/JSON hex. `optional`: empty means absent. */
const id = (u: unknown, bytes: 16 | 8, at: string, optional: boolean): string | undefined => {
  let hex: string
  if (u === undefined || u === null || u === "") {
    if (optional) return undefined
    throw new Problem(at, `is missing (must be ${bytes} bytes)`)
  }
  if (u instanceof Uint8Array) {
    if (u.length === 0 && optional) return undefined
    if (u.length !== bytes) throw new Problem(at, `must be ${bytes} bytes, got ${u.length}`)
    hex = Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString("hex")
  } else if (typeof u === "string") {
    if (!HEX.test(u)) throw new Problem(at, `must be ${bytes} bytes as ${bytes * 2} hex characters (OTLP/JSON)`)
    if (u.length !== bytes * 2) throw new Problem(at, `must be ${bytes} bytes (${bytes * 2} hex characters), got ${u.length} characters`)
    hex = u.toLowerCase()
  } else {
    throw new Problem(at, `must be ${bytes} bytes`)
  }
  if (/^0+$/.test(hex)) {
    if (optional) return undefined
    throw new Problem(at, "must not be all zeros (an invalid id)")
  }
  return hex
}

/** A fixed64 nanosecond time as fractional unix milliseconds (exact to the nanosecond where a double allows). */
const nanosToMillis = (u: unknown, at: string): number => {
  if (u === undefined || u === null) return 0
  const text = typeof u === "number" ? (Number.isInteger(u) && u >= 0 ? String(u) : "") : typeof u === "string" ? u.trim() : ""
  if (!/^\d{1,20}$/.test(text)) throw new Problem(at, "must be unix nanoseconds (a non-negative integer or its decimal string)")
  const ns = BigInt(text)
  if (ns > 0xffff_ffff_ffff_ffffn) throw new Problem(at, "must fit in 64 bits")
  return Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6
}

const enumNumber = (u: unknown, names: ReadonlyArray<string>, at: string): number => {
  if (u === undefined || u === null) return 0
  if (typeof u === "number" && Number.isInteger(u)) return u
  if (typeof u === "string") {
    const index = names.indexOf(u)
    if (index >= 0) return index
  }
  throw new Problem(at, `must be an enum number (${names.map((name, i) => `${i} ${name}`).join(", ")})`)
}

const SPAN_KIND_NAMES = [
  "SPAN_KIND_UNSPECIFIED",
  "SPAN_KIND_INTERNAL",
  "SPAN_KIND_SERVER",
  "SPAN_KIND_CLIENT",
  "SPAN_KIND_PRODUCER",
  "SPAN_KIND_CONSUMER"
]
const STATUS_NAMES = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"]
const OTEL_KINDS = ["unspecified", "internal", "server", "client", "producer", "consumer"]

// -----------------------------------------------------------------------------
// Content
// -----------------------------------------------------------------------------

/** `promptops.input`/`output`/`expected` and JSON'd metadata: the encoder's `json(value)` undone. */
const parseJsonText = (value: unknown): unknown => {
  if (typeof value !== "string") return value
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}

/** A metadata value the encoder JSON'd (objects, mixed arrays); other strings stay strings. */
const parseJsonStructure = (value: unknown): unknown => {
  if (typeof value !== "string") return value
  const first = value.charCodeAt(0)
  if (first !== 123 /* { */ && first !== 91 /* [ */) return value
  try {
    const parsed: unknown = JSON.parse(value)
    return typeof parsed === "object" && parsed !== null ? parsed : value
  } catch {
    return value
  }
}

/**
 * GenAI messages (`[{ role, parts: [...] }]`, as a JSON string, a list of
 * JSON strings or structured values) → the record's form: one message of
 * the default role with one text part is the bare value (what `toMessages`
 * made of a plain input); otherwise `[{ role, content }]`, content being the
 * text of a single text part or the parts as they are.
 */
const fromMessages = (raw: unknown, role: "user" | "assistant"): unknown => {
  let value = parseJsonText(raw)
  if (Array.isArray(value)) value = value.map(parseJsonText)
  if (!Array.isArray(value) || !value.every((m) => isObject(m) && typeof m.role === "string")) return value
  const messages = value as Array<Record<string, unknown>>
  const textOf = (parts: unknown): string | undefined =>
    Array.isArray(parts) && parts.length === 1 && isObject(parts[0]) && parts[0].type === "text" &&
      typeof parts[0].content === "string" && Object.keys(parts[0]).length === 2
      ? parts[0].content
      : undefined
  if (messages.length === 1) {
    const only = messages[0]!
    const text = textOf(only.parts)
    if (only.role === role && text !== undefined && Object.keys(only).length === 2) return parseJsonText(text)
  }
  return messages.map((message) => {
    const { finish_reason, name, parts, role: messageRole, ...rest } = message
    const text = textOf(parts)
    const out: Record<string, unknown> = {
      role: messageRole,
      // The older form (`{ role, content }`, gen_ai.prompt events) has no parts.
      content: text ?? (parts !== undefined ? parts : rest.content)
    }
    if (finish_reason !== undefined) out.finish_reason = finish_reason
    if (name !== undefined) out.name = name
    return out
  })
}

/** `gen_ai.prompt.0.role`, `gen_ai.completion.1.content`: the flattened form of OpenLLMetry. */
const FLATTENED = /^gen_ai\.(prompt|completion)\.(\d{1,4})\.(.+)$/

const flattenedMessages = (entries: Map<number, Record<string, unknown>>): Array<Record<string, unknown>> =>
  [...entries.entries()].sort(([a], [b]) => a - b).map(([, message]) => message)

// -----------------------------------------------------------------------------
// Kind
// -----------------------------------------------------------------------------

const KIND_OF_OPERATION: Readonly<Record<string, SpanKind>> = {
  chat: "llm",
  text_completion: "llm",
  generate_content: "llm",
  embeddings: "llm",
  execute_tool: "tool",
  invoke_agent: "task",
  create_agent: "task"
}

/** OpenInference (`openinference.span.kind`, Phoenix) and OpenLLMetry (`traceloop.span.kind`) kinds. */
const KIND_OF_FOREIGN: Readonly<Record<string, SpanKind>> = {
  LLM: "llm",
  EMBEDDING: "llm",
  RETRIEVER: "retrieval",
  RERANKER: "retrieval",
  TOOL: "tool",
  CHAIN: "task",
  AGENT: "task",
  EVALUATOR: "eval",
  workflow: "task",
  task: "task",
  agent: "task",
  tool: "tool"
}

/** The `gen_ai.operation.name` the encoder adds to a kind, so our own spans do not gain it as metadata. */
const DEFAULT_OPERATION: Partial<Record<SpanKind, string>> = { llm: "chat", tool: "execute_tool" }

// -----------------------------------------------------------------------------
// Span → SpanRecord
// -----------------------------------------------------------------------------

interface Context {
  readonly resource: ReadonlyArray<readonly [string, unknown]>
  /** Whether bounding changed the resource's attributes (every record under it is then `truncated`). */
  readonly resourceTruncated: boolean
  readonly scope: { readonly name: string; readonly version: string } | undefined
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const PROJECT_LOGS: Destination = { _tag: "ProjectLogs" }

const toNumber = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value)
    ? value
    : typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))
    ? Number(value)
    : undefined

const str = (u: unknown, at: string): string => {
  if (u === undefined || u === null) return ""
  if (typeof u !== "string") throw new Problem(at, "must be a string")
  return u
}

/** One span; throws a `Problem` when it cannot be read. */
const toRecord = (span: unknown, at: string, context: Context, bounds: Bounds): SpanRecord => {
  if (!isObject(span)) throw new Problem(at, "must be a Span object")
  const tally: Tally = { changed: context.resourceTruncated, bounds }
  const traceId = id(span.traceId, 16, `${at}.traceId`, false)!
  const spanId = id(span.spanId, 8, `${at}.spanId`, false)!
  const parentSpanId = id(span.parentSpanId, 8, `${at}.parentSpanId`, true)
  let name = boundString(str(span.name, `${at}.name`), tally)
  const startTime = nanosToMillis(span.startTimeUnixNano, `${at}.startTimeUnixNano`)
  const endTime = Math.max(startTime, nanosToMillis(span.endTimeUnixNano, `${at}.endTimeUnixNano`))
  const otelKind = enumNumber(span.kind, SPAN_KIND_NAMES, `${at}.kind`)
  const status = span.status === undefined || span.status === null ? {} : span.status
  if (!isObject(status)) throw new Problem(`${at}.status`, "must be a Status object")
  const statusCode = enumNumber(status.code, STATUS_NAMES, `${at}.status.code`)
  const statusMessage = boundString(str(status.message, `${at}.status.message`), tally)
  const attrs = keyValueList(span.attributes, `${at}.attributes`, tally, 0)

  const metadata: Record<string, unknown> = {}
  const metrics: Record<string, number> = {}
  let metadataKeys = 0
  const put = (key: string, value: unknown): void => {
    if (!hasOwn(metadata, key) && ++metadataKeys > bounds.maxItems) {
      tally.changed = true
      return
    }
    Records.set(metadata, key, value)
  }

  // The resource first: a span's own attribute of the same name wins.
  const resourceRest: Record<string, unknown> = {}
  let resourceRestCount = 0
  for (const [key, value] of context.resource) {
    if (key === "service.name") put(key, value)
    else {
      Records.set(resourceRest, key, value)
      resourceRestCount++
    }
  }
  if (resourceRestCount > 0) put("otel.resource", resourceRest)
  if (context.scope !== undefined && context.scope.name !== "" && context.scope.name !== SCOPE.name) {
    put("otel.scope", context.scope.version === "" ? { name: context.scope.name } : { ...context.scope })
  }

  let kind: SpanKind | undefined
  let input: unknown, output: unknown, expected: unknown
  let inputMessages: unknown, outputMessages: unknown
  let tags: Array<string> | undefined
  let destination: Destination = PROJECT_LOGS
  let truncated = false
  let operation: string | undefined, toolName: unknown, foreignKind: unknown
  let provider: unknown, system: unknown, requestModel: unknown, responseModel: unknown
  let errorType: string | undefined
  let genAi = false
  const flattened = { prompt: new Map<number, Record<string, unknown>>(), completion: new Map<number, Record<string, unknown>>() }

  for (const [key, value] of attrs) {
    switch (key) {
      case "promptops.kind":
        if (typeof value === "string" && SPAN_KINDS.has(value)) kind = value as SpanKind
        else put(key, value)
        continue
      case "promptops.input":
        input = parseJsonText(value)
        continue
      case "promptops.output":
        output = parseJsonText(value)
        continue
      case "promptops.expected":
        expected = parseJsonText(value)
        continue
      case "promptops.name":
        if (typeof value === "string" && value !== "") name = value
        else put(key, value)
        continue
      case "promptops.tags":
        if (Array.isArray(value) && value.every((tag) => typeof tag === "string")) tags = value as Array<string>
        else put(key, value)
        continue
      case "promptops.experiment_id":
        if (typeof value === "string" && value !== "") destination = { _tag: "Experiment", experimentId: value }
        else put(key, value)
        continue
      case "promptops.truncated":
        if (value === true) truncated = true
        continue
      case "gen_ai.input.messages":
        inputMessages = value
        continue
      case "gen_ai.output.messages":
        outputMessages = value
        continue
      case "gen_ai.usage.input_tokens":
      case "gen_ai.usage.prompt_tokens":
      case "llm.token_count.prompt": {
        const n = toNumber(value)
        if (n === undefined) put(key, value)
        else metrics.promptTokens = n
        genAi = true
        continue
      }
      case "gen_ai.usage.output_tokens":
      case "gen_ai.usage.completion_tokens":
      case "llm.token_count.completion": {
        const n = toNumber(value)
        if (n === undefined) put(key, value)
        else metrics.completionTokens = n
        genAi = true
        continue
      }
      case "llm.usage.total_tokens":
      case "llm.token_count.total": {
        const n = toNumber(value)
        if (n === undefined) put(key, value)
        else metrics.totalTokens = n
        continue
      }
      case "gen_ai.request.model":
        requestModel = value
        genAi = true
        continue
      case "gen_ai.response.model":
      case "llm.model_name":
        responseModel = value
        genAi = true
        continue
      case "gen_ai.provider.name":
        provider = value
        continue
      case "gen_ai.system":
        system = value
        continue
      case "gen_ai.operation.name":
        if (typeof value === "string") operation = value
        else put(key, value)
        continue
      case "gen_ai.tool.name":
        toolName = value
        continue
      case "openinference.span.kind":
      case "traceloop.span.kind":
        foreignKind = value
        put(key, value)
        continue
      case "error.type":
        if (typeof value === "string") errorType = value
        else put(key, value)
        continue
    }
    if (key.startsWith("promptops.metadata.")) {
      put(key.slice(19), parseJsonStructure(value))
    } else if (key.startsWith("promptops.metrics.")) {
      const n = toNumber(value)
      if (n === undefined) put(key, value)
      else Records.set(metrics, key.slice(18), n)
    } else {
      const flat = FLATTENED.exec(key)
      if (flat !== null) {
        const messages = flat[1] === "prompt" ? flattened.prompt : flattened.completion
        const index = Number(flat[2])
        const message = messages.get(index) ?? {}
        Records.set(message, flat[3]!, value)
        messages.set(index, message)
      } else {
        put(key, value)
      }
    }
  }
  const ours = kind !== undefined

  // Events: scores, the exception, the older prompt / completion events; the rest kept.
  let scores: Record<string, number | null> | undefined
  let exception: Record<string, unknown> | undefined
  let legacyInput: unknown, legacyOutput: unknown
  const otherEvents: Array<Record<string, unknown>> = []
  const events = span.events ?? []
  if (!Array.isArray(events)) throw new Problem(`${at}.events`, "must be an array")
  boundedList(events, tally, (event, i) => {
    const eventAt = `${at}.events[${i}]`
    if (!isObject(event)) throw new Problem(eventAt, "must be an Event object")
    const eventName = str(event.name, `${eventAt}.name`)
    const time = nanosToMillis(event.timeUnixNano, `${eventAt}.timeUnixNano`)
    const eventAttributes = keyValues(event.attributes, `${eventAt}.attributes`, tally, 0)
    if (eventName === "gen_ai.evaluation.result" && typeof eventAttributes["gen_ai.evaluation.name"] === "string") {
      const { "gen_ai.evaluation.name": scoreName, "gen_ai.evaluation.score.value": raw, ...rest } = eventAttributes
      const value = raw === undefined || raw === null ? null : toNumber(raw)
      // A score outside 0..1 is not a promptops score: the event is kept as it came.
      if (value === null || (value !== undefined && value >= 0 && value <= 1)) {
        Records.set(scores ??= {}, scoreName as string, value)
        if (Object.keys(rest).length > 0) put(`gen_ai.evaluation.${scoreName as string}`, rest)
        return
      }
    } else if (eventName === "exception" && statusCode === 2 && exception === undefined) {
      exception = eventAttributes
      return
    } else if (eventName === "gen_ai.content.prompt" && eventAttributes["gen_ai.prompt"] !== undefined) {
      legacyInput = parseJsonText(eventAttributes["gen_ai.prompt"])
      return
    } else if (eventName === "gen_ai.content.completion" && eventAttributes["gen_ai.completion"] !== undefined) {
      legacyOutput = parseJsonText(eventAttributes["gen_ai.completion"])
      return
    }
    otherEvents.push({ name: eventName, time, attributes: eventAttributes })
  })
  if (otherEvents.length > 0) put("otel.events", otherEvents)

  const links = span.links ?? []
  if (!Array.isArray(links)) throw new Problem(`${at}.links`, "must be an array")
  if (links.length > 0) {
    put("otel.links", boundedList(links, tally, (link, i) => {
      if (!isObject(link)) throw new Problem(`${at}.links[${i}]`, "must be a Link object")
      return { traceId: id(link.traceId, 16, `${at}.links[${i}].traceId`, false), spanId: id(link.spanId, 8, `${at}.links[${i}].spanId`, false) }
    }))
  }

  // Kind: promptops's own, else the GenAI operation, else another convention's, else any GenAI sign, else neutral.
  if (kind === undefined && operation !== undefined) kind = KIND_OF_OPERATION[operation]
  if (kind === undefined && typeof foreignKind === "string") kind = KIND_OF_FOREIGN[foreignKind]
  const hasLegacyContent = flattened.prompt.size > 0 || flattened.completion.size > 0 || legacyInput !== undefined
  kind ??= genAi || inputMessages !== undefined || hasLegacyContent ? "llm" : "span"

  if (operation !== undefined && !(ours && DEFAULT_OPERATION[kind] === operation)) put("gen_ai.operation.name", operation)
  if (toolName !== undefined && !(ours && kind === "tool" && toolName === name)) put("gen_ai.tool.name", toolName)
  // The current name; the deprecated one only when it says something else.
  if (provider !== undefined) put("gen_ai.provider.name", provider)
  else if (system !== undefined) put("gen_ai.provider.name", system)
  if (system !== undefined && provider !== undefined && system !== provider) put("gen_ai.system", system)
  const model = responseModel ?? requestModel
  if (model !== undefined && !hasOwn(metadata, "model")) put("model", model)
  if (requestModel !== undefined && responseModel !== undefined && requestModel !== responseModel) {
    put("gen_ai.request.model", requestModel)
  }
  // promptops's own spans carry the metrics they had; others get the total the tracer would add.
  if (
    !ours && metrics.totalTokens === undefined &&
    (metrics.promptTokens !== undefined || metrics.completionTokens !== undefined)
  ) {
    metrics.totalTokens = (metrics.promptTokens ?? 0) + (metrics.completionTokens ?? 0)
  }

  if (inputMessages !== undefined) {
    if (input === undefined) input = fromMessages(inputMessages, "user")
    else put("gen_ai.input.messages", parseJsonText(inputMessages))
  }
  if (outputMessages !== undefined) {
    if (output === undefined) output = fromMessages(outputMessages, "assistant")
    else put("gen_ai.output.messages", parseJsonText(outputMessages))
  }
  if (flattened.prompt.size > 0) {
    const messages = flattenedMessages(flattened.prompt)
    if (input === undefined) input = messages
    else put("gen_ai.prompt", messages)
  }
  if (flattened.completion.size > 0) {
    const messages = flattenedMessages(flattened.completion)
    if (output === undefined) output = messages
    else put("gen_ai.completion", messages)
  }
  if (legacyInput !== undefined) {
    if (input === undefined) input = legacyInput
    else put("gen_ai.content.prompt", legacyInput)
  }
  if (legacyOutput !== undefined) {
    if (output === undefined) output = legacyOutput
    else put("gen_ai.content.completion", legacyOutput)
  }
  if (!ours && otelKind >= 2 && otelKind < OTEL_KINDS.length) put("otel.span_kind", OTEL_KINDS[otelKind])

  let error: SpanError | undefined
  if (statusCode === 2) {
    const message = statusMessage !== ""
      ? statusMessage
      : typeof exception?.["exception.message"] === "string"
      ? exception["exception.message"]
      : "error"
    const type = errorType ?? (typeof exception?.["exception.type"] === "string" ? exception["exception.type"] : undefined)
    const stack = exception?.["exception.stacktrace"]
    error = {
      message,
      ...(type !== undefined ? { type } : {}),
      ...(typeof stack === "string" ? { stack } : {})
    }
  } else if (errorType !== undefined) {
    put("error.type", errorType)
  }

  const record: Mutable<SpanRecord> = parentSpanId !== undefined
    ? { traceId, spanId, parentSpanId, name, kind, startTime, endTime, metadata, metrics, destination }
    : { traceId, spanId, name, kind, startTime, endTime, metadata, metrics, destination }
  if (input !== undefined) record.input = input
  if (output !== undefined) record.output = output
  if (expected !== undefined) record.expected = expected
  if (error !== undefined) record.error = error
  if (scores !== undefined) record.scores = scores
  if (tags !== undefined) record.tags = tags
  if (truncated || tally.changed) record.truncated = true
  return record
}

const listAt = (u: unknown, at: string): ReadonlyArray<unknown> => {
  if (u === undefined || u === null) return []
  if (!Array.isArray(u)) throw new Problem(at, "must be an array")
  return u
}

/**
 * A whole request (the object decoded from either encoding). Throws a
 * `Problem` only when the request's frame is malformed (not an object,
 * `resourceSpans` not a list); a bad resource, scope or span rejects its
 * spans and the rest are read.
 */
export const toRecords = (request: unknown, bounds: Bounds = defaultBounds): Result => {
  if (!isObject(request)) throw new Problem("body", "must be an ExportTraceServiceRequest object")
  const records: Array<SpanRecord> = []
  const rejected: Array<Problem> = []
  const resourceSpansList = listAt(request.resourceSpans, "resourceSpans")
  resourceSpansList.forEach((resourceSpans, r) => {
    const rAt = `resourceSpans[${r}]`
    const countSpans = (): number => {
      if (!isObject(resourceSpans) || !Array.isArray(resourceSpans.scopeSpans)) return 1
      return resourceSpans.scopeSpans.reduce<number>(
        (n, scopeSpans) => n + (isObject(scopeSpans) && Array.isArray(scopeSpans.spans) ? scopeSpans.spans.length : 1),
        0
      )
    }
    let resource: ReadonlyArray<readonly [string, unknown]>
    const resourceTally: Tally = { changed: false, bounds }
    let scopeSpansList: ReadonlyArray<unknown>
    try {
      if (!isObject(resourceSpans)) throw new Problem(rAt, "must be a ResourceSpans object")
      const resourceObject = resourceSpans.resource ?? {}
      if (!isObject(resourceObject)) throw new Problem(`${rAt}.resource`, "must be a Resource object")
      resource = keyValueList(resourceObject.attributes, `${rAt}.resource.attributes`, resourceTally, 0)
      scopeSpansList = listAt(resourceSpans.scopeSpans, `${rAt}.scopeSpans`)
    } catch (problem) {
      // Every span under a bad resource is rejected, and counted.
      for (let i = Math.max(1, countSpans()); i > 0; i--) rejected.push(asProblem(problem, rAt))
      return
    }
    scopeSpansList.forEach((scopeSpans, s) => {
      const sAt = `${rAt}.scopeSpans[${s}]`
      let spans: ReadonlyArray<unknown>
      let scope: Context["scope"]
      try {
        if (!isObject(scopeSpans)) throw new Problem(sAt, "must be a ScopeSpans object")
        spans = listAt(scopeSpans.spans, `${sAt}.spans`)
        const scopeObject = scopeSpans.scope
        if (scopeObject !== undefined && scopeObject !== null && !isObject(scopeObject)) {
          throw new Problem(`${sAt}.scope`, "must be an InstrumentationScope object")
        }
        scope = isObject(scopeObject)
          ? { name: str(scopeObject.name, `${sAt}.scope.name`), version: str(scopeObject.version, `${sAt}.scope.version`) }
          : undefined
      } catch (problem) {
        const n = isObject(scopeSpans) && Array.isArray(scopeSpans.spans) ? Math.max(1, scopeSpans.spans.length) : 1
        for (let i = 0; i < n; i++) rejected.push(asProblem(problem, sAt))
        return
      }
      const context: Context = { resource, resourceTruncated: resourceTally.changed, scope }
      spans.forEach((span, k) => {
        const at = `${sAt}.spans[${k}]`
        try {
          records.push(toRecord(span, at, context, bounds))
        } catch (problem) {
          rejected.push(asProblem(problem, at))
        }
      })
    })
  })
  return { records, rejected }
}

/** A thrown `Problem` as it is; anything else (a stack overflow on hostile nesting) named at `at`. */
const asProblem = (thrown: unknown, at: string): Problem =>
  thrown instanceof Problem
    ? thrown
    : new Problem(at, `could not be read: ${thrown instanceof Error ? thrown.message : String(thrown)}`)
