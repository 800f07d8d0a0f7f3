/**
 * Small JSON helpers shared by the emulators: the merge flavours the vendors document, on top of core's
 * plain-object check and canonical serialisation.
 */
import { canonical as canonicalJson, isPlainObject } from "@promptops/core/Json"

/** A JSON object as the emulators store it. */
export type JsonObject = { [key: string]: unknown }

/**
 * The plain-object test, canonical form and equality are core's (`@promptops/core/Json`), under the names the
 * emulators use. On parsed JSON, which is all the emulators store, they agree with the vendors' own comparisons.
 */
export { canonical as canonicalJson, equals as jsonEqual, isPlainObject } from "@promptops/core/Json"

export const clone = <A>(value: A): A => (value === undefined ? value : structuredClone(value))

/**
 * PATCH semantics (Braintrust §2.0): objects merge recursively, other values replace, and `null` never clears
 * anything (it is ignored), so fields cannot be removed.
 */
export const patchMerge = (target: JsonObject, patch: JsonObject): JsonObject => {
  const out: JsonObject = { ...target }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || value === undefined) continue
    const current = out[key]
    out[key] = isPlainObject(value) ? patchMerge(isPlainObject(current) ? current : {}, value) : clone(value)
  }
  return out
}

const pathKey = (path: ReadonlyArray<string>): string => JSON.stringify(path)

/**
 * Event-row merge (`_is_merge: true`, §4.3): objects merge recursively, any other value (null included)
 * overwrites; at a path listed in `mergePaths` the value is replaced wholesale instead of merged.
 */
export const eventMerge = (
  target: JsonObject,
  source: JsonObject,
  mergePaths: ReadonlyArray<ReadonlyArray<string>> = []
): JsonObject => {
  const stops = new Set(mergePaths.map(pathKey))
  const go = (t: JsonObject, s: JsonObject, path: ReadonlyArray<string>): JsonObject => {
    const out: JsonObject = { ...t }
    for (const [key, value] of Object.entries(s)) {
      if (value === undefined) continue
      const here = [...path, key]
      const current = out[key]
      out[key] = !stops.has(pathKey(here)) && isPlainObject(current) && isPlainObject(value)
        ? go(current, value, here)
        : clone(value)
    }
    return out
  }
  return go(target, source, [])
}

/** `_array_delete`: removes the listed values (compared as JSON) from the array at `path`. */
export const arrayDelete = (
  row: JsonObject,
  specs: ReadonlyArray<{ readonly path: ReadonlyArray<string>; readonly delete: ReadonlyArray<unknown> }>
): JsonObject => {
  const out = clone(row)
  for (const spec of specs) {
    let parent: unknown = out
    for (const key of spec.path.slice(0, -1)) parent = isPlainObject(parent) ? parent[key] : undefined
    const last = spec.path[spec.path.length - 1]
    if (last === undefined || !isPlainObject(parent)) continue
    const array = parent[last]
    if (!Array.isArray(array)) continue
    const doomed = new Set(spec.delete.map(canonicalJson))
    parent[last] = array.filter((item) => !doomed.has(canonicalJson(item)))
  }
  return out
}

/** Follows a dotted path (`input.question`, `items.0`) into a value. */
export const getPath = (value: unknown, path: string): unknown => {
  let current = value
  for (const key of path.split(".")) {
    if (Array.isArray(current) && /^\d+$/.test(key)) current = current[Number(key)]
    else if (isPlainObject(current)) current = current[key]
    else return undefined
  }
  return current
}
