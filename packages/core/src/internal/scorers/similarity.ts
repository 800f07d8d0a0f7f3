/**
 * The pure measures behind `Scorers`: each total over its inputs and within
 * 0..1 (never NaN), so the scorers only pick the inputs and name the result.
 */
import { distance } from "fastest-levenshtein"
import * as Json from "../../Json.js"

/** Clamps to 0..1, and maps NaN to 0 (a score must never be NaN). */
export const clamp01 = (value: number): number => Number.isNaN(value) ? 0 : Math.min(1, Math.max(0, value))

/** `1 - distance / max(length)`; two empty strings are identical (1). */
export const levenshteinSimilarity = (a: string, b: string): number => {
  const longest = Math.max(a.length, b.length)
  if (longest === 0) return 1
  return clamp01(1 - distance(a, b) / longest)
}

/**
 * `1 - |a - b| / max(|a|, |b|)`, clamped: equal numbers (and any pair within
 * `tolerance`) give 1, numbers of opposite signs 0. Non-finite numbers only
 * match themselves.
 */
export const numericSimilarity = (a: number, b: number, tolerance: number = 0): number => {
  if (a === b) return 1
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Object.is(a, b) ? 1 : 0
  const gap = Math.abs(a - b)
  if (gap <= tolerance) return 1
  return clamp01(1 - gap / Math.max(Math.abs(a), Math.abs(b)))
}

/** A finite number, or a string holding one (`" 4.5 "`, `"1e3"`); else undefined. */
export const toNumber = (value: unknown): number | undefined => {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined
  if (typeof value === "string" && value.trim().length > 0) {
    const parsed = Number(value)
    return Number.isFinite(parsed) ? parsed : undefined
  }
  return undefined
}

/** Collapses runs of whitespace to one space and trims. */
export const collapseWhitespace = (text: string): string => text.replace(/\s+/g, " ").trim()

/** The result of reading JSON text: the value, or the parser's message. */
export type Parsed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string }

export const parseJson = (text: string): Parsed => {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) }
  }
}

/**
 * Why `value` is not JSON data (plain objects, arrays, strings, finite
 * numbers, booleans, null; `undefined` members are dropped as JSON does),
 * or undefined when it is.
 */
export const notJsonData = (value: unknown, path: string = "$", ancestors: Array<object> = []): string | undefined => {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined
    case "number":
      return Number.isFinite(value) ? undefined : `${path} is ${String(value)}, which JSON cannot hold`
    case "undefined":
    case "function":
    case "symbol":
    case "bigint":
      return `${path} is a ${typeof value}, which JSON cannot hold`
  }
  if (value === null) return undefined
  if (ancestors.includes(value as object)) return `${path} refers back to an enclosing value (circular)`
  if (Array.isArray(value)) {
    ancestors.push(value)
    for (let i = 0; i < value.length; i++) {
      const reason = notJsonData(value[i], `${path}[${i}]`, ancestors)
      if (reason !== undefined) return reason
    }
    ancestors.pop()
    return undefined
  }
  if (!Json.isPlainObject(value)) {
    const kind = (value as object).constructor?.name ?? "object"
    return `${path} is a ${kind}, not plain JSON data`
  }
  ancestors.push(value)
  for (const key of Object.keys(value)) {
    const member = value[key]
    if (member === undefined) continue
    const reason = notJsonData(member, `${path}.${key}`, ancestors)
    if (reason !== undefined) return reason
  }
  ancestors.pop()
  return undefined
}

/** Any value as plain JSON data, by the canonical JSON rules (total, never throws). */
export const toJsonData = (value: unknown): unknown => JSON.parse(Json.canonical(value))

const hasOwn = (record: object, key: string): boolean => Object.prototype.hasOwnProperty.call(record, key)

/**
 * Structural similarity of two JSON values: objects → mean over the union of
 * keys (a key on one side only scores 0), arrays → mean over positions (a
 * missing position scores 0), strings → Levenshtein similarity, numbers →
 * numeric closeness, booleans and null → equality, different kinds → 0.
 * Symmetric, and 1 for identical values.
 */
export const jsonSimilarity = (a: unknown, b: unknown): number => {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return 0
    const length = Math.max(a.length, b.length)
    if (length === 0) return 1
    let sum = 0
    for (let i = 0; i < Math.min(a.length, b.length); i++) sum += jsonSimilarity(a[i], b[i])
    return clamp01(sum / length)
  }
  if (Json.isPlainObject(a) || Json.isPlainObject(b)) {
    if (!Json.isPlainObject(a) || !Json.isPlainObject(b)) return 0
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    if (keys.size === 0) return 1
    let sum = 0
    for (const key of keys) {
      if (hasOwn(a, key) && hasOwn(b, key)) sum += jsonSimilarity(a[key], b[key])
    }
    return clamp01(sum / keys.size)
  }
  if (typeof a === "string" && typeof b === "string") return levenshteinSimilarity(a, b)
  if (typeof a === "number" && typeof b === "number") return numericSimilarity(a, b)
  return a === b ? 1 : 0
}

/** Precision, recall and F1 of a predicted set against an expected one; two empty sets agree fully. */
export const overlap = (
  predicted: ReadonlySet<string>,
  expected: ReadonlySet<string>
): { readonly precision: number; readonly recall: number; readonly f1: number } => {
  if (predicted.size === 0 && expected.size === 0) return { precision: 1, recall: 1, f1: 1 }
  let common = 0
  for (const item of predicted) if (expected.has(item)) common++
  const precision = predicted.size === 0 ? 0 : common / predicted.size
  const recall = expected.size === 0 ? 0 : common / expected.size
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
  return { precision: clamp01(precision), recall: clamp01(recall), f1: clamp01(f1) }
}
