/**
 * Turning neutral values into what Basalt's JSON fields take.
 */
import { safeCopy } from "@promptops/core/Json"
import type { IoValue } from "../BasaltSchema.js"

/**
 * What Basalt's `input` / `output` / `idealOutput` take: a string, an object,
 * an array or `null`. Numbers and booleans become their JSON text.
 */
export const toIo = (value: unknown): IoValue => {
  const json = safeCopy(value)
  if (json === undefined || json === null) return null
  if (typeof json === "string") return json
  if (typeof json === "number" || typeof json === "boolean") return JSON.stringify(json)
  return json as IoValue
}

/** Milliseconds (fractional) → ISO-8601, or `undefined` for a time that is not one. */
export const isoTime = (ms: number): string | undefined =>
  Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined
