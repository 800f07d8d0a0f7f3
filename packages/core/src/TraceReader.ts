/**
 * The `TraceReader` service: reading exported spans back, oldest first from a
 * cursor (to follow new spans as they arrive), or the newest few at once (a
 * tail, read natively newest first, so only what is shown is read). A capability of the backends that can (memory, local, Braintrust);
 * Basalt's API has no read side, so its layer does not provide it and a
 * program that tails traces does not type-check against it.
 *
 * @since 0.1.0
 */
import { Chunk, Context, Effect, Option, Stream } from "effect"
import { withLibrarySpan } from "./internal/librarySpan.js"
import type { PromptOpsError } from "./PromptOpsError.js"
import { invalidInput } from "./PromptOpsError.js"
import type { SpanRecord } from "./SpanRecord.js"

/**
 * Which end of the store a read starts from.
 *
 * - `oldest`: the oldest spans after the cursor, oldest first; page after
 *   page to the end (and on, as new spans arrive).
 * - `newest`: the newest `limit` spans (after the cursor, if one is given),
 *   newest first, in one read; the page's `cursor` is past the newest span
 *   stored, for following what comes next with `oldest`.
 *
 * @since 0.1.0
 */
export type Order = "oldest" | "newest"

/**
 * @since 0.1.0
 */
export interface ReadOptions {
  /** Opaque cursor from a previous page: only spans stored after it. */
  readonly after?: string | undefined
  /** Most spans in the page (1..10,000; default 100). */
  readonly limit?: number | undefined
  /**
   * Only the spans of this trace: a whole trace id, or a prefix of at least
   * `minTraceIdPrefix` hex characters (as `traces tail` prints them). A prefix
   * that matches spans of several traces fails with `InvalidInput` listing them.
   */
  readonly traceId?: string | undefined
  /** Only the spans routed to this experiment (otherwise: the project logs). */
  readonly experimentId?: string | undefined
  /** Default `oldest`. */
  readonly order?: Order | undefined
}

/**
 * What a backend's `read` receives: the options checked, with the defaults
 * filled in, and whether `traceId` is a prefix.
 *
 * @since 0.1.0
 */
export interface BackendReadOptions extends ReadOptions {
  readonly limit: number
  readonly order: Order
  /** `traceId` is a prefix (shorter than a whole id): match the ids that start with it. */
  readonly traceIdPrefix: boolean
}

/**
 * One page, in the order asked for (`oldest`: oldest first; `newest`: newest
 * first). With `oldest`, `cursor` resumes after its last span (or, for an
 * empty page, after the cursor that was passed in); with `newest`, it is
 * past the newest span stored (`undefined` when there is none), so reading
 * `oldest` from it returns only what is stored later.
 *
 * @since 0.1.0
 */
export interface Page {
  readonly spans: ReadonlyArray<SpanRecord>
  readonly cursor: string | undefined
}

/**
 * @since 0.1.0
 */
export declare namespace TraceReader {
  /**
   * @since 0.1.0
   */
  export interface Service {
    readonly provider: string
    readonly read: (options?: ReadOptions) => Effect.Effect<Page, PromptOpsError>
  }
}

/**
 * @since 0.1.0
 */
export class TraceReader extends Context.Tag("@promptops/core/TraceReader")<TraceReader, TraceReader.Service>() {}

/** @since 0.1.0 */
export const defaultLimit = 100

/** @since 0.1.0 */
export const maxLimit = 10_000

/**
 * The shortest trace id prefix a read accepts (the text output shows 8).
 *
 * @since 0.1.0
 */
export const minTraceIdPrefix = 8

/** A whole trace id as promptops makes them. */
const WHOLE_TRACE_ID = /^[0-9a-f]{32}$/

/**
 * Whether `traceId` is a prefix rather than a whole id: hex, from
 * `minTraceIdPrefix` to 31 characters. Anything else is matched exactly
 * (vendors' own ids need not be hex).
 *
 * @since 0.1.0
 */
export const isTraceIdPrefix = (traceId: string): boolean =>
  traceId.length >= minTraceIdPrefix && traceId.length < 32 && /^[0-9a-f]+$/.test(traceId)

/**
 * Wraps a backend's read with argument validation and a span.
 *
 * @since 0.1.0
 */
export const make = (params: {
  readonly provider: string
  readonly read: (options: BackendReadOptions) => Effect.Effect<Page, PromptOpsError>
}): TraceReader.Service => ({
  provider: params.provider,
  read: (options = {}) => {
    const fail = (path: string, description: string) =>
      Effect.fail(invalidInput({ provider: params.provider, operation: "TraceReader.read", path, description }))
    const limit = options.limit ?? defaultLimit
    if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) {
      return fail("limit", `must be an integer from 1 to ${maxLimit}, got ${String(limit)}`)
    }
    const order = options.order ?? "oldest"
    if (order !== "oldest" && order !== "newest") {
      return fail("order", `must be "oldest" or "newest", got ${JSON.stringify(order)}`)
    }
    let traceId = options.traceId
    let traceIdPrefix = false
    if (traceId !== undefined) {
      const trimmed = traceId.trim()
      const lower = trimmed.toLowerCase()
      if (WHOLE_TRACE_ID.test(lower) || isTraceIdPrefix(lower)) {
        traceId = lower
        traceIdPrefix = isTraceIdPrefix(lower)
      } else if (/^[0-9a-fA-F]+$/.test(trimmed) && trimmed.length < minTraceIdPrefix) {
        return fail(
          "traceId",
          `a trace id prefix needs at least ${minTraceIdPrefix} hex characters, got ${JSON.stringify(trimmed)}`
        )
      } else if (trimmed === "") {
        return fail("traceId", "is empty")
      } else {
        traceId = trimmed
      }
    }
    const read = params.read({ ...options, limit, order, traceId, traceIdPrefix })
    return (traceIdPrefix ? Effect.flatMap(read, (page) => unambiguous(params.provider, traceId!, page)) : read).pipe(
      withLibrarySpan("promptops.TraceReader.read", {
        attributes: { "promptops.provider": params.provider, "promptops.limit": limit }
      })
    )
  }
})

/** A page read with a trace id prefix holds one trace, or the prefix was ambiguous. */
const unambiguous = (provider: string, prefix: string, page: Page): Effect.Effect<Page, PromptOpsError> => {
  const traces = [...new Set(page.spans.map((span) => span.traceId))]
  if (traces.length <= 1) return Effect.succeed(page)
  return Effect.fail(ambiguousTraceId(provider, prefix, traces))
}

/**
 * The error for a trace id prefix that matches several traces, listing them.
 *
 * @since 0.1.0
 */
export const ambiguousTraceId = (
  provider: string,
  prefix: string,
  traceIds: ReadonlyArray<string>
): PromptOpsError => {
  const shown = traceIds.slice(0, 10)
  return invalidInput({
    provider,
    operation: "TraceReader.read",
    path: "traceId",
    description: `"${prefix}" is the prefix of ${traceIds.length} trace ids: ${shown.join(", ")}` +
      (traceIds.length > shown.length ? ", …" : "") + "; give more characters"
  })
}

/**
 * Whether a span's trace id matches the read's `traceId` (exact, or as a prefix).
 *
 * @since 0.1.0
 */
export const matchesTrace = (options: BackendReadOptions, traceId: string): boolean =>
  options.traceId === undefined ||
  (options.traceIdPrefix ? traceId.startsWith(options.traceId) : traceId === options.traceId)

/**
 * Every span stored after `after`, page by page, until the store is exhausted.
 *
 * @since 0.1.0
 */
export const readAll = (
  options: Omit<ReadOptions, "limit" | "order"> & { readonly pageSize?: number | undefined } = {}
): Stream.Stream<SpanRecord, PromptOpsError, TraceReader> =>
  Stream.unwrap(
    Effect.map(TraceReader, (reader) =>
      Stream.paginateChunkEffect(options.after, (after) =>
        Effect.map(
          reader.read({ ...options, after, limit: options.pageSize ?? 1000, order: "oldest" }),
          (page) =>
            [
              Chunk.fromIterable(page.spans),
              page.spans.length === 0 ? Option.none() : Option.some(page.cursor)
            ] as const
        ))
    )
  )
