/**
 * One JSON object per line, for machine output (`--jsonl`). Values a task
 * produced may hold BigInts or cycles; they become strings instead of
 * crashing the output.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export const stringify = (value: unknown): string => {
  const ancestors: Array<unknown> = []
  return JSON.stringify(value, function(this: unknown, _key, item: unknown) {
    if (typeof item === "bigint") return item.toString()
    if (typeof item !== "object" || item === null) return item
    // `this` is the object holding `item`: drop the ancestors we have left.
    while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop()
    if (ancestors.includes(item)) return "[Circular]"
    ancestors.push(item)
    return item
  })
}

/**
 * JSON with sorted keys and without `undefined` members: equal values give
 * equal text, whatever their key order. For comparing content.
 *
 * @since 0.1.0
 */
export const canonical = (value: unknown): string => JSON.stringify(sortKeys(value, [])) ?? "null"

const sortKeys = (value: unknown, ancestors: Array<object>): unknown => {
  if (typeof value === "bigint") return value.toString()
  if (typeof value !== "object" || value === null) return value
  if (ancestors.includes(value)) return "[Circular]"
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return sortKeys((value as { toJSON: () => unknown }).toJSON(), ancestors)
  }
  ancestors.push(value)
  let out: unknown
  if (Array.isArray(value)) {
    out = value.map((item) => (item === undefined ? null : sortKeys(item, ancestors)))
  } else {
    const record: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key]
      if (item !== undefined) record[key] = sortKeys(item, ancestors)
    }
    out = record
  }
  ancestors.pop()
  return out
}
