/**
 * One place for the JSON rules every package shares: the canonical form used
 * to compare and hash values, content ids with a repeat counter, a JSON-safe
 * copy, and the plain-object test.
 *
 * The tracer's `internal/sanitize.ts` stays apart on purpose: it is the same
 * idea with size bounds, a byte budget and markers for lossy changes, on the
 * hot path of every span; `safeCopy` here is the unbounded rule for values
 * that are not span data (dataset rows, CLI output).
 *
 * @since 0.1.0
 */
import type * as NodeCrypto from "node:crypto"
import { requireOnUse } from "./internal/requireOnUse.js"
import * as Records from "./Records.js"

// Loaded on the first hash, not at import: `node:crypto` is a few ms an app may never need.
const nodeCrypto = requireOnUse<typeof NodeCrypto>("node:crypto")

/**
 * Whether `value` is a plain object: its prototype is `Object.prototype`
 * (an object literal, `JSON.parse` output, `structuredClone` of either) or
 * `null` (`Object.create(null)`). Arrays, dates, maps, sets, errors and class
 * instances are not: their keys are not their content, so code that walks or
 * merges "the object's fields" must not treat them as records.
 *
 * @since 0.1.0
 */
export const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * JSON text with object keys sorted, so equal values give equal text whatever
 * their key order. Never throws, and total over any value:
 *
 * - strings, finite numbers, booleans and `null` as `JSON.stringify` writes them;
 * - a non-finite number as its name in a string (`"NaN"`, `"Infinity"`, `"-Infinity"`);
 * - a BigInt as a string with an `n` suffix (`10n` → `"10n"`), so it differs from the number and the string `"10"`;
 * - `undefined`, a function or a symbol as `null` (top level and in arrays); as object members they are left out, as JSON does;
 * - an object with `toJSON` (a `Date` included: its ISO string) as what `toJSON()` returns;
 * - a reference back to an enclosing object or array as `"[Circular]"`;
 * - any other object (a class instance, a `Map`, a `Set`) by its own enumerable string keys.
 *
 * Eval case ids are hashes of this text and stored baselines compare by them:
 * the output must stay byte-identical across releases.
 *
 * @since 0.1.0
 */
export const canonical = (value: unknown): string => canonicalAt(value, [])

const canonicalAt = (value: unknown, ancestors: Array<object>): string => {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value)
    case "number":
      return Number.isFinite(value) ? String(value) : JSON.stringify(String(value))
    case "boolean":
      return String(value)
    case "bigint":
      return JSON.stringify(`${value}n`)
    case "undefined":
    case "function":
    case "symbol":
      return "null"
  }
  if (value === null) return "null"
  const object = value as object
  if (ancestors.includes(object)) return "\"[Circular]\""
  if (typeof (object as { toJSON?: unknown }).toJSON === "function") {
    return canonicalAt((object as { toJSON: () => unknown }).toJSON(), ancestors)
  }
  ancestors.push(object)
  let out: string
  if (Array.isArray(object)) {
    out = `[${object.map((item) => canonicalAt(item, ancestors)).join(",")}]`
  } else {
    const record = object as Record<string, unknown>
    const parts: Array<string> = []
    for (const key of Object.keys(record).sort()) {
      const item = record[key]
      // As JSON does: keys with no JSON value are left out.
      if (item === undefined || typeof item === "function" || typeof item === "symbol") continue
      parts.push(`${JSON.stringify(key)}:${canonicalAt(item, ancestors)}`)
    }
    out = `{${parts.join(",")}}`
  }
  ancestors.pop()
  return out
}

/**
 * Whether two values have the same canonical JSON (key order does not count).
 *
 * @since 0.1.0
 */
export const equals = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b)

/**
 * A content id: the first `length` hex characters (default 32, at most 64) of
 * the SHA-256 of the value's canonical JSON. Equal content gives the same id
 * in every run and process, whatever the key order.
 *
 * @since 0.1.0
 */
export const contentId = (value: unknown, length: number = 32): string =>
  nodeCrypto().createHash("sha256").update(canonical(value)).digest("hex").slice(0, length)

/**
 * A counter that makes ids unique in order of appearance: the first `id` is
 * returned as is, a repeat gets `-2`, `-3`, …; so repeated content keeps a
 * stable id of its own (the n-th repeat is always `-n`).
 *
 * @since 0.1.0
 */
export const repeatCounter = (): (id: string) => string => {
  const seen = new Map<string, number>()
  return (id) => {
    const count = (seen.get(id) ?? 0) + 1
    seen.set(id, count)
    return count === 1 ? id : `${id}-${count}`
  }
}

/**
 * A JSON-safe copy of `value`, for values written as JSON without size bounds.
 * Never throws:
 *
 * - a BigInt becomes its decimal string (`10n` → `"10"`);
 * - a non-finite number becomes `null`;
 * - `undefined`, functions and symbols become `undefined` (left out of objects, `null` in arrays);
 * - a `Date` becomes its ISO string (`null` if invalid), any other object with `toJSON` what that returns
 *   (`"[unserializable]"` if it throws);
 * - a `Map` becomes an object of its entries, a `Set` an array;
 * - a reference back to an enclosing object or array becomes `"[Circular]"`;
 * - other objects are copied by their own enumerable keys (`__proto__` kept as data); a getter that throws is skipped.
 *
 * @since 0.1.0
 */
export const safeCopy = (value: unknown): unknown => copy(value, [])

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
  const toJSON = (object as { toJSON?: unknown }).toJSON
  if (typeof toJSON === "function") {
    let json: unknown
    try {
      json = toJSON.call(object)
    } catch {
      return "[unserializable]"
    }
    // `toJSON` returned the object itself (or another object): copy it without calling it again.
    ancestors.push(object)
    try {
      return json === object ? copyFields(object, ancestors) : copy(json, ancestors)
    } finally {
      ancestors.pop()
    }
  }
  ancestors.push(object)
  try {
    if (Array.isArray(object)) {
      return object.map((item) => {
        const out = copy(item, ancestors)
        return out === undefined ? null : out
      })
    }
    if (object instanceof Map) return copyFields(Object.fromEntries(object), ancestors)
    if (object instanceof Set) return copy([...object], ancestors)
    return copyFields(object, ancestors)
  } finally {
    ancestors.pop()
  }
}

const copyFields = (object: object, ancestors: Array<object>): Record<string, unknown> => {
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
}

/**
 * One line of JSON for machine output (`--jsonl`): `JSON.stringify` of
 * {@link safeCopy}, so a BigInt or a cycle in a task's output becomes a
 * string instead of crashing the output. As with `JSON.stringify`, a value
 * with no JSON form (`undefined`, a function, a symbol) gives `undefined`;
 * an object always gives text (`null` if its `toJSON` returns nothing).
 *
 * @since 0.1.0
 */
export function stringify(value: object | string | number | bigint | boolean | null): string
/** @since 0.1.0 */
export function stringify(value: unknown): string | undefined
export function stringify(value: unknown): string | undefined {
  return JSON.stringify(safeCopy(value)) ?? (typeof value === "object" ? "null" : undefined)
}
