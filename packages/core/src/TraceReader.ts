/**
 * The `TraceReader` service: reading exported spans back, newest last, from a
 * cursor. A capability of the backends that can (memory, local, Braintrust);
 * Basalt's API has no read side, so its layer does not provide it and a
 * program that tails traces does not type-check against it.
 *
 * @since 0.1.0
 */
import { Chunk, Context, Effect, Option, Stream } from "effect"
import type { PromptOpsError } from "./PromptOpsError.js"
import { invalidInput } from "./PromptOpsError.js"
import type { SpanRecord } from "./SpanRecord.js"

/**
 * @since 0.1.0
 */
export interface ReadOptions {
  /** Opaque cursor from a previous page: only spans stored after it. */
  readonly after?: string | undefined
  /** Most spans in the page (1..10,000; default 100). */
  readonly limit?: number | undefined
  /** Only the spans of this trace. */
  readonly traceId?: string | undefined
  /** Only the spans routed to this experiment (otherwise: the project logs). */
  readonly experimentId?: string | undefined
}

/**
 * One page, oldest first; `cursor` resumes after its last span (or, for an
 * empty page, after the cursor that was passed in).
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
 * Wraps a backend's read with argument validation and a span.
 *
 * @since 0.1.0
 */
export const make = (params: {
  readonly provider: string
  readonly read: (options: ReadOptions & { readonly limit: number }) => Effect.Effect<Page, PromptOpsError>
}): TraceReader.Service => ({
  provider: params.provider,
  read: (options = {}) => {
    const limit = options.limit ?? defaultLimit
    if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) {
      return Effect.fail(invalidInput({
        provider: params.provider,
        operation: "TraceReader.read",
        path: "limit",
        description: `must be an integer from 1 to ${maxLimit}, got ${String(limit)}`
      }))
    }
    return params.read({ ...options, limit }).pipe(
      Effect.withSpan("promptops.TraceReader.read", {
        attributes: { "promptops.provider": params.provider, "promptops.limit": limit }
      })
    )
  }
})

/**
 * Every span stored after `after`, page by page, until the store is exhausted.
 *
 * @since 0.1.0
 */
export const readAll = (
  options: Omit<ReadOptions, "limit"> & { readonly pageSize?: number | undefined } = {}
): Stream.Stream<SpanRecord, PromptOpsError, TraceReader> =>
  Stream.unwrap(
    Effect.map(TraceReader, (reader) =>
      Stream.paginateChunkEffect(options.after, (after) =>
        Effect.map(
          reader.read({ ...options, after, limit: options.pageSize ?? 1000 }),
          (page) =>
            [
              Chunk.fromIterable(page.spans),
              page.spans.length === 0 ? Option.none() : Option.some(page.cursor)
            ] as const
        ))
    )
  )
