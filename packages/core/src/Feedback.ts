/**
 * Feedback on logged spans: user scores, comments, corrected outputs.
 *
 * Basalt has no feedback endpoint, so its layer does not provide this service,
 * and a program that needs it does not type-check against Basalt.
 *
 * @since 0.1.0
 */
import { Context, Effect, type Either, type ParseResult, Schema } from "effect"
import { Metadata } from "./Dataset.js"
import { Scores } from "./Experiment.js"
import * as Ids from "./Ids.js"
import { withLibrarySpan } from "./internal/librarySpan.js"
import { invalidInput, type PromptOpsError } from "./PromptOpsError.js"
import { Destination } from "./SpanRecord.js"

/**
 * One piece of feedback about a span (or an experiment row).
 *
 * @since 0.1.0
 */
export const FeedbackItem = Schema.Struct({
  /** Generated client-side when absent, so a retry never duplicates. */
  id: Schema.optional(Schema.String),
  /** The span (or row) the feedback is about. */
  targetId: Schema.String,
  destination: Schema.optional(Destination),
  scores: Schema.optional(Scores),
  comment: Schema.optional(Schema.String),
  expected: Schema.optional(Schema.Unknown),
  metadata: Schema.optional(Metadata),
  /** Who gave it: `app` (end users), `api`, or `external`. */
  source: Schema.optional(Schema.Literal("app", "api", "external"))
})
/** @since 0.1.0 */
export type FeedbackItem = typeof FeedbackItem.Type

/**
 * @since 0.1.0
 */
export declare namespace Feedback {
  /**
   * @since 0.1.0
   */
  export interface Service {
    readonly provider: string
    readonly log: (items: ReadonlyArray<FeedbackItem>) => Effect.Effect<void, PromptOpsError>
  }
}

/**
 * @since 0.1.0
 */
export class Feedback extends Context.Tag("@promptops/core/Feedback")<Feedback, Feedback.Service>() {}

/** @since 0.1.0 */
export interface ConstructorParams {
  readonly provider: string
  /** Receives items with ids and destinations set. */
  readonly log: (items: ReadonlyArray<FeedbackItem & { readonly id: string }>) => Effect.Effect<void, PromptOpsError>
}

// Compiled on first use, not at import (DESIGN §7 import budget).
let validateItemsOnce:
  | ((u: unknown) => Either.Either<ReadonlyArray<FeedbackItem>, ParseResult.ParseError>)
  | undefined = undefined
const validateItems = (u: unknown): Either.Either<ReadonlyArray<FeedbackItem>, ParseResult.ParseError> =>
  (validateItemsOnce ??= Schema.decodeUnknownEither(Schema.Array(FeedbackItem), { errors: "all" }))(u)

/**
 * Validates every item (scores in 0..1, a target id) and fills ids.
 *
 * @since 0.1.0
 */
export const make = (params: ConstructorParams): Feedback.Service => ({
  provider: params.provider,
  log: (items) =>
    Effect.suspend(() => {
      const decoded = validateItems(items)
      if (decoded._tag === "Left") {
        return Effect.fail(
          invalidInput({
            provider: params.provider,
            operation: "Feedback.log",
            path: "items",
            description: decoded.left.message
          })
        )
      }
      const empty = items.findIndex((item) => item.targetId.trim() === "")
      if (empty >= 0) {
        return Effect.fail(
          invalidInput({
            provider: params.provider,
            operation: "Feedback.log",
            path: `items[${empty}].targetId`,
            description: "targetId must name the span or row the feedback is about"
          })
        )
      }
      return params.log(items.map((item) => ({ ...item, id: item.id ?? Ids.uuid() })))
    }).pipe(
      withLibrarySpan("Feedback.log", {
        attributes: { "promptops.provider": params.provider, "promptops.items": items.length }
      })
    )
})

/**
 * @since 0.1.0
 */
export const log = (items: ReadonlyArray<FeedbackItem>): Effect.Effect<void, PromptOpsError, Feedback> =>
  Effect.flatMap(Feedback, (feedback) => feedback.log(items))
