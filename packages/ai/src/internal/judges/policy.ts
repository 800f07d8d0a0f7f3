/**
 * The machinery behind `JudgePolicy`: one semaphore, one retry loop that
 * honours `Retry-After`, and the run's spend, shared by every judge call of
 * a run.
 */
import type { AiError } from "@effect/ai/AiError"
import { Clock, Duration, Effect, Predicate } from "effect"

// The types are the face's: declared once, in `JudgePolicy.ts`, with their docs.
import type { CallUsage, Price, ResolvedOptions as Resolved } from "../../JudgePolicy.js"

/**
 * The price of `model`: its own entry, else the longest key it starts with
 * (`gpt-4o-mini` prices `gpt-4o-mini-2024-07-18`, the dated name providers
 * answer with).
 */
export const priceOf = (pricing: Readonly<Record<string, Price>>, model: string | undefined): Price | undefined => {
  if (model === undefined) return undefined
  if (Object.hasOwn(pricing, model)) return pricing[model]
  let best: string | undefined
  for (const key of Object.keys(pricing)) {
    if (model.startsWith(key) && (best === undefined || key.length > best.length)) best = key
  }
  return best === undefined ? undefined : pricing[best]
}

/** USD for `usage` at `price`: tokens / 1e6 × the per-million price, input and output apart. */
export const costOf = (usage: CallUsage, price: Price | undefined): number | undefined => {
  if (price === undefined) return undefined
  const input = usage.inputTokens ?? 0
  const output = usage.outputTokens ?? 0
  return (input * price.input + output * price.output) / 1_000_000
}

export const tokensOf = (usage: CallUsage): number =>
  usage.totalTokens ?? (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0)

/**
 * Whether a judge call's failure is worth another attempt: a 429, a 408, a
 * 5xx, or a transport failure (no response at all).
 */
export const isRetryable = (error: unknown): boolean => {
  if (!Predicate.isTagged(error, "HttpResponseError") && !Predicate.isTagged(error, "HttpRequestError")) return false
  const ai = error as AiError
  if (ai._tag === "HttpRequestError") return ai.reason === "Transport"
  if (ai._tag !== "HttpResponseError" || ai.reason !== "StatusCode") return false
  const status = ai.response.status
  return status === 429 || status === 408 || status >= 500
}

/**
 * How long the response asks us to wait, in milliseconds: `retry-after-ms`,
 * else `Retry-After` as seconds or as an HTTP date. `@effect/ai`'s
 * `HttpResponseError` keeps the response's headers (`response.headers`, with
 * only the redacted names such as `authorization` hidden), so the header is
 * there to read.
 */
export const retryAfterMillis = (error: unknown, nowMs: number): number | undefined => {
  if (!Predicate.isTagged(error, "HttpResponseError")) return undefined
  const headers = (error as Extract<AiError, { _tag: "HttpResponseError" }>).response.headers
  let ms: string | undefined
  let value: string | undefined
  // Platform headers are lowercase already; a hand-built error may not be.
  for (const [name, header] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    if (lower === "retry-after-ms") ms = header
    else if (lower === "retry-after") value = header
  }
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.max(0, Math.ceil(Number(ms)))
  const trimmed = value?.trim()
  if (trimmed === undefined || trimmed === "") return undefined
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000)
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}

/**
 * Runs `call` again on a retryable failure, at most `times` more times: after
 * what `Retry-After` asks (capped at `maxDelay`), else after `base × 2^n`
 * (capped too). No jitter: the delays are the ones the tests assert with
 * `TestClock`, and the semaphore already spreads the calls.
 */
export const withRetry = <A, E, R>(
  call: Effect.Effect<A, E, R>,
  resolved: Resolved
): Effect.Effect<A, E, R> => {
  const maxMillis = Duration.toMillis(resolved.maxDelay)
  const baseMillis = Duration.toMillis(resolved.retryBase)
  const attempt = (n: number): Effect.Effect<A, E, R> =>
    Effect.catchAll(call, (error) => {
      if (n >= resolved.retryTimes || !isRetryable(error)) return Effect.fail(error)
      return Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const asked = retryAfterMillis(error, now)
        const delay = Math.min(asked ?? baseMillis * 2 ** n, maxMillis)
        return Effect.zipRight(Effect.sleep(Duration.millis(delay)), attempt(n + 1))
      })
    })
  return attempt(0)
}
