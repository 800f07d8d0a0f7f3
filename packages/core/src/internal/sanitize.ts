/**
 * Makes span data safe to serialise and bounded in size, at record time.
 *
 * Span data is whatever the app put on its spans: circular structures, BigInt,
 * functions, 10 MB strings, strings with lone surrogates, class instances whose
 * getters throw. `clean` turns any of it into a JSON-safe copy (so later
 * mutation by the app cannot change what is exported) and never throws. Every
 * lossy change sets `budget.changed`, which the tracer turns into
 * `SpanRecord.truncated`.
 *
 * It runs on the caller's fiber for every span, so the common case (primitives
 * and small plain objects) takes one `typeof` switch per value and no
 * allocation beyond the copy.
 */
import * as Records from "../Records.js"

/** Size bounds applied to one record's data. */
export interface Bounds {
  /** Longest string kept, in UTF-16 code units; longer ones are cut with a marker. */
  readonly maxStringLength: number
  /** Deepest nesting kept; deeper objects become a descriptive string. */
  readonly maxDepth: number
  /** Most keys of one object, or items of one array, kept. */
  readonly maxItems: number
  /** Approximate JSON bytes of one record's data; past it, values become markers. */
  readonly maxRecordBytes: number
}

export const defaultBounds: Bounds = {
  maxStringLength: 64 * 1024,
  maxDepth: 16,
  maxItems: 1_000,
  maxRecordBytes: 1024 * 1024
}

/** Fills in and clamps user-supplied bounds. */
export const resolveBounds = (
  bounds: { readonly [K in keyof Bounds]?: number | undefined } | undefined
): Bounds => {
  const pick = (value: number | undefined, fallback: number, min: number) =>
    value === undefined || !Number.isFinite(value) ? fallback : Math.max(min, Math.floor(value))
  return {
    maxStringLength: pick(bounds?.maxStringLength, defaultBounds.maxStringLength, 16),
    maxDepth: pick(bounds?.maxDepth, defaultBounds.maxDepth, 1),
    maxItems: pick(bounds?.maxItems, defaultBounds.maxItems, 1),
    maxRecordBytes: pick(bounds?.maxRecordBytes, defaultBounds.maxRecordBytes, 1024)
  }
}

/**
 * The running tally for one record: approximate JSON bytes so far, an upper
 * bound of them, whether anything was changed, and the objects on the current
 * path (cycle detection).
 *
 * `worst` lets the exporter size batches without serialising every record:
 * a string of n UTF-16 units is at most 6n bytes of JSON (`\u001f`-style
 * escapes; UTF-8 needs at most 3), a number at most 24 characters.
 */
export class Budget {
  bytes = 0
  worst = 0
  changed = false
  ancestors: Array<object> | undefined = undefined
  constructor(readonly bounds: Bounds) {}
}

// `isWellFormed` / `toWellFormed` are ES2024 (Node 20 has them); lib is ES2022.
interface WellFormed {
  isWellFormed(): boolean
  toWellFormed(): string
}

/** Replaces lone surrogates with U+FFFD. */
export const wellFormed = (s: string): string =>
  (s as unknown as WellFormed).isWellFormed() ? s : (s as unknown as WellFormed).toWellFormed()

/**
 * A JSON-safe, bounded copy of `value`. Never throws.
 */
export const clean = (value: unknown, budget: Budget): unknown => {
  try {
    return cleanAt(value, 0, budget)
  } catch {
    // A Proxy trap or an exotic object threw somewhere we did not guard.
    budget.ancestors = undefined
    budget.changed = true
    return "[unserializable]"
  }
}

/**
 * `text` made well-formed (lone surrogates replaced) and counted in the
 * budget with `overhead` bytes of JSON around it; at worst every character
 * is a 6-byte `\uXXXX` escape.
 */
const counted = (text: string, overhead: number, budget: Budget): string => {
  let out = text
  if (!(out as unknown as WellFormed).isWellFormed()) {
    out = (out as unknown as WellFormed).toWellFormed()
    budget.changed = true
  }
  budget.bytes += out.length + overhead
  budget.worst += 6 * out.length + overhead
  return out
}

/** A bounded string (used for names and error messages too). Never throws. */
export const cleanString = (s: string, budget: Budget): string => {
  const remaining = budget.bounds.maxRecordBytes - budget.bytes
  const max = remaining < budget.bounds.maxStringLength ? (remaining > 0 ? remaining : 0) : budget.bounds.maxStringLength
  let out = s
  if (s.length > max) {
    let cut = max
    // Do not split a surrogate pair.
    if (cut > 0 && isHighSurrogate(s.charCodeAt(cut - 1))) cut--
    out = `${s.slice(0, cut)}…[truncated ${s.length - cut} chars]`
    budget.changed = true
  }
  return counted(out, 2, budget)
}

/** The longest JSON a number can take, e.g. `-2.2250738585072014e-308`. */
export const MAX_NUMBER_BYTES = 24

/** Upper bound of the markers written without `cleanString` ("[truncated: n more items]"). */
const MARKER_BYTES = 64

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff

const cleanAt = (value: unknown, depth: number, budget: Budget): unknown => {
  switch (typeof value) {
    case "string":
      return cleanString(value, budget)
    case "number":
      budget.bytes += 8
      budget.worst += MAX_NUMBER_BYTES
      return value
    case "boolean":
      budget.bytes += 5
      budget.worst += 5
      return value
    case "undefined":
      // `null` inside an array.
      budget.worst += 4
      return undefined
    case "bigint":
      budget.changed = true
      return cleanString(value.toString(), budget)
    case "symbol":
      budget.changed = true
      return cleanString(`[${value.toString()}]`, budget)
    case "function":
      budget.changed = true
      return cleanString(`[Function ${value.name === "" ? "(anonymous)" : value.name}]`, budget)
    default:
      if (value === null) {
        budget.bytes += 4
        budget.worst += 4
        return null
      }
      return cleanObject(value as object, depth, budget)
  }
}

const cleanObject = (value: object, depth: number, budget: Budget): unknown => {
  const bounds = budget.bounds
  if (budget.bytes >= bounds.maxRecordBytes) {
    budget.changed = true
    return "[truncated]"
  }
  if (value instanceof Date) {
    const time = value.getTime()
    return cleanString(Number.isNaN(time) ? "Invalid Date" : value.toISOString(), budget)
  }
  if (depth >= bounds.maxDepth) {
    budget.changed = true
    return cleanString(Array.isArray(value) ? `[Array(${value.length})]` : "[Object]", budget)
  }
  const ancestors = budget.ancestors ??= []
  if (ancestors.includes(value)) {
    budget.changed = true
    return cleanString("[Circular]", budget)
  }
  ancestors.push(value)
  try {
    return Array.isArray(value) ? cleanArray(value, depth, budget) : cleanNonArray(value, depth, budget)
  } finally {
    ancestors.pop()
  }
}

const cleanArray = (value: ReadonlyArray<unknown>, depth: number, budget: Budget): Array<unknown> => {
  const bounds = budget.bounds
  const length = value.length
  const n = length < bounds.maxItems ? length : bounds.maxItems
  const out: Array<unknown> = []
  budget.bytes += 2
  budget.worst += 2
  for (let i = 0; i < n; i++) {
    if (budget.bytes >= bounds.maxRecordBytes) {
      budget.changed = true
      budget.worst += MARKER_BYTES
      out.push(`[truncated: ${length - i} more items]`)
      return out
    }
    out.push(cleanAt(value[i], depth + 1, budget))
    budget.bytes += 1
    budget.worst += 1
  }
  if (length > n) {
    budget.changed = true
    budget.worst += MARKER_BYTES
    out.push(`[truncated: ${length - n} more items]`)
  }
  return out
}

const cleanNonArray = (value: object, depth: number, budget: Budget): unknown => {
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const copy = cleanFlatPlain(value as Record<string, unknown>, budget)
    if (copy !== undefined) return copy
    // A nested plain object (e.g. a scorer's arguments): none of the class checks below can match it.
    if (typeof (value as { toJSON?: unknown }).toJSON !== "function") {
      return cleanEntries(value, Object.keys(value), depth, budget, {})
    }
  }
  if (value instanceof Error) return cleanError(value, depth, budget)
  if (value instanceof Map) return cleanMap(value, depth, budget)
  if (value instanceof Set) return cleanArray(Array.from(value), depth, budget)
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    budget.changed = true
    return cleanString(`[${value.constructor?.name ?? "ArrayBuffer"} ${value.byteLength} bytes]`, budget)
  }
  if (value instanceof RegExp) return cleanString(value.toString(), budget)
  const toJSON = (value as { toJSON?: unknown }).toJSON
  if (typeof toJSON === "function") {
    // What JSON.stringify would send; e.g. Effect's `Redacted` becomes "<redacted>".
    let json: unknown
    try {
      json = toJSON.call(value)
    } catch {
      budget.changed = true
      return cleanString("[unserializable]", budget)
    }
    return cleanAt(json, depth + 1, budget)
  }
  return cleanEntries(value, Object.keys(value), depth, budget, {})
}

/**
 * The common case, fast: a plain object whose values are all safe primitives
 * (well-formed, short strings, numbers, booleans, null) is copied with one
 * spread, which V8 does far faster than key-by-key stores. Anything else
 * (nesting, functions, a `toJSON`, a long string, a lone surrogate, too many
 * keys, a throwing getter) returns `undefined` for the general path.
 */
const cleanFlatPlain = (value: Record<string, unknown>, budget: Budget): Record<string, unknown> | undefined => {
  const bounds = budget.bounds
  let count = 0
  let bytes = 2
  let worst = 2
  try {
    for (const key in value) {
      if (++count > bounds.maxItems || !(key as unknown as WellFormed).isWellFormed()) return undefined
      const item = value[key]
      switch (typeof item) {
        case "string":
          if (item.length > bounds.maxStringLength || !(item as unknown as WellFormed).isWellFormed()) return undefined
          bytes += item.length + 2
          worst += 6 * item.length + 2
          break
        case "number":
          bytes += 8
          worst += MAX_NUMBER_BYTES
          break
        case "boolean":
          bytes += 5
          worst += 5
          break
        case "undefined":
          break
        case "object":
          if (item !== null) return undefined
          bytes += 4
          worst += 4
          break
        default:
          return undefined
      }
      bytes += key.length + 4
      worst += 6 * key.length + 4
    }
  } catch {
    return undefined
  }
  if (budget.bytes + bytes > bounds.maxRecordBytes) return undefined
  budget.bytes += bytes
  budget.worst += worst
  return { ...value }
}

const cleanEntries = (
  value: object,
  keys: ReadonlyArray<string>,
  depth: number,
  budget: Budget,
  out: Record<string, unknown>
): Record<string, unknown> => {
  const bounds = budget.bounds
  const n = keys.length < bounds.maxItems ? keys.length : bounds.maxItems
  budget.bytes += 2
  budget.worst += 2
  for (let i = 0; i < n; i++) {
    if (budget.bytes >= bounds.maxRecordBytes) {
      budget.changed = true
      budget.worst += MARKER_BYTES
      Records.set(out, "[truncated]", `${keys.length - i} more keys`)
      return out
    }
    const key = keys[i]!
    let item: unknown
    try {
      item = (value as Record<string, unknown>)[key]
    } catch {
      budget.changed = true
      item = "[unreadable]"
    }
    Records.set(out, cleanKey(key, budget), cleanAt(item, depth + 1, budget))
  }
  if (keys.length > n) {
    budget.changed = true
    budget.worst += MARKER_BYTES
    Records.set(out, "[truncated]", `${keys.length - n} more keys`)
  }
  return out
}

/** A bounded, well-formed object key, counted in the budget (quotes, colon and comma included). */
export const cleanKey = (key: string, budget: Budget): string => {
  let out = key
  if (out.length > budget.bounds.maxStringLength) {
    out = `${out.slice(0, budget.bounds.maxStringLength)}…`
    budget.changed = true
  }
  return counted(out, 4, budget)
}

const cleanError = (error: Error, depth: number, budget: Budget): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  let name: unknown, message: unknown, stack: unknown, cause: unknown
  try {
    name = error.name
    message = error.message
    stack = error.stack
    cause = (error as { cause?: unknown }).cause
  } catch {
    budget.changed = true
  }
  budget.worst += MARKER_BYTES // the "name" / "message" / "stack" / "cause" keys
  out.name = typeof name === "string" ? cleanString(name, budget) : cleanString("Error", budget)
  out.message = typeof message === "string" ? cleanString(message, budget) : cleanAt(message, depth + 1, budget)
  if (typeof stack === "string") out.stack = cleanString(stack, budget)
  // Own enumerable fields: `_tag` and the fields of tagged errors.
  cleanEntries(error, Object.keys(error).filter((key) => key !== "stack" && key !== "message"), depth, budget, out)
  if (cause !== undefined) out.cause = cleanAt(cause, depth + 1, budget)
  return out
}

const cleanMap = (map: Map<unknown, unknown>, depth: number, budget: Budget): unknown => {
  let stringKeys = true
  for (const key of map.keys()) {
    if (typeof key !== "string") {
      stringKeys = false
      break
    }
  }
  if (!stringKeys) return cleanArray(Array.from(map), depth, budget)
  const entries: Record<string, unknown> = {}
  for (const [key, item] of map) Records.set(entries, key as string, item)
  return cleanEntries(entries, Object.keys(entries), depth, budget, {})
}
