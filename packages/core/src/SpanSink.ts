/**
 * The `SpanSink` service: where the tracing pipeline delivers batches of
 * finished spans. Backends translate `SpanRecord`s to their wire format; the
 * batching, retries, 413 splitting and drop accounting live in `Tracing`.
 *
 * @since 0.1.0
 */
import { Context, type Effect } from "effect"
import type { PromptOpsError } from "./PromptOpsError.js"
import type { SpanRecord } from "./SpanRecord.js"

/**
 * What one export call may carry.
 *
 * @since 0.1.0
 */
export interface Limits {
  /** Most records in one batch (Braintrust: 100). */
  readonly maxRows: number
  /** Most bytes of JSON in one batch (Braintrust: half its 6 MiB request limit). */
  readonly maxBytes: number
}

/**
 * @since 0.1.0
 */
export declare namespace SpanSink {
  /**
   * @since 0.1.0
   */
  export interface Service {
    readonly provider: string
    readonly limits: Limits
    /**
     * Delivers one batch. Must be idempotent for a batch it has seen before
     * (span ids are generated before the first attempt), so retries are safe.
     */
    readonly export: (batch: ReadonlyArray<SpanRecord>) => Effect.Effect<void, PromptOpsError>
    /**
     * Sends what the sink itself holds back (Basalt keeps spans until their
     * trace's root arrives). `Tracing.flush` and shutdown call it after the
     * queue is drained.
     */
    readonly flush?: Effect.Effect<void, PromptOpsError> | undefined
  }
}

/**
 * @since 0.1.0
 */
export class SpanSink extends Context.Tag("@promptops/core/SpanSink")<SpanSink, SpanSink.Service>() {}

/** @since 0.1.0 */
export const defaultLimits: Limits = { maxRows: 100, maxBytes: 3 * 1024 * 1024 }

/**
 * @since 0.1.0
 */
export const make = (params: {
  readonly provider: string
  readonly limits?: Partial<Limits> | undefined
  readonly export: (batch: ReadonlyArray<SpanRecord>) => Effect.Effect<void, PromptOpsError>
  readonly flush?: Effect.Effect<void, PromptOpsError> | undefined
}): SpanSink.Service => ({
  provider: params.provider,
  limits: { ...defaultLimits, ...params.limits },
  export: params.export,
  ...(params.flush !== undefined ? { flush: params.flush } : {})
})
