/**
 * Turning neutral values into what Basalt's JSON fields take.
 */
import * as Records from "@promptops/core/Records"
import type { IoValue } from "../BasaltSchema.js"

/** A plain object: not an array, a date, a map, a set or a class instance with its own prototype. */
export const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * A JSON-safe copy of `value`: `BigInt` becomes a string, a `Date` its ISO
 * string, non-finite numbers `null`, functions and symbols are dropped, a
 * circular reference becomes `"[Circular]"`. Never throws.
 */
export const toJson = (value: unknown): unknown => copy(value, [])

const copy = (value: unknown, ancestors: Array<object>): unknown => {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value
    case "number":
      return Number.isFinite(value) ? value : null
    case "bigint":
      return value.toString()
    case "undefined":
    case "function":
    case "symbol":
      return undefined
  }
  if (value === null) return null
  const object = value as object
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? null : object.toISOString()
  if (ancestors.includes(object)) return "[Circular]"
  ancestors.push(object)
  try {
    if (Array.isArray(object)) {
      return object.map((item) => {
        const out = copy(item, ancestors)
        return out === undefined ? null : out
      })
    }
    if (object instanceof Map) return copy(Object.fromEntries(object), ancestors)
    if (object instanceof Set) return copy([...object], ancestors)
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(object)) {
      let item: unknown
      try {
        item = (object as Record<string, unknown>)[key]
      } catch {
        continue
      }
      const cleaned = copy(item, ancestors)
      if (cleaned !== undefined) Records.set(out, key, cleaned)
    }
    return out
  } finally {
    ancestors.pop()
  }
}

/**
 * What Basalt's `input` / `output` / `idealOutput` take: a string, an object,
 * an array or `null`. Numbers and booleans become their JSON text.
 */
export const toIo = (value: unknown): IoValue => {
  const json = toJson(value)
  if (json === undefined || json === null) return null
  if (typeof json === "string") return json
  if (typeof json === "number" || typeof json === "boolean") return JSON.stringify(json)
  return json as IoValue
}

/** Milliseconds (fractional) → ISO-8601, or `undefined` for a time that is not one. */
export const isoTime = (ms: number): string | undefined =>
  Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined
