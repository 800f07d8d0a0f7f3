/**
 * Basalt's warnings: successful answers that say something went differently
 * than asked (a prompt version fell back to production, unknown dataset
 * columns were dropped, a trace's prompt was not found).
 *
 * `BasaltClient` returns them with each value. The neutral services hand them
 * back where their model has room (`Prompt.warning`) and pass every other one
 * to a handler, by default a warning-level log: none is dropped.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"

/**
 * @since 0.1.0
 */
export interface BasaltWarning {
  /** The operation that got it, e.g. `Datasets.insert`. */
  readonly operation: string
  /** What it is about, e.g. `dataset "faq" row r-1`. */
  readonly subject: string
  /** Basalt's text. */
  readonly warning: string
}

/**
 * Where warnings go.
 *
 * @since 0.1.0
 */
export type Handler = (warning: BasaltWarning) => Effect.Effect<void>

/**
 * The default handler: `Effect.logWarning`, annotated with the operation and
 * subject.
 *
 * @since 0.1.0
 */
export const log: Handler = (warning) =>
  Effect.logWarning(`basalt: ${warning.warning}`).pipe(
    Effect.annotateLogs({ "basalt.operation": warning.operation, "basalt.subject": warning.subject })
  )

/**
 * Reports `warning` when there is one.
 *
 * @since 0.1.0
 */
export const report = (
  handler: Handler,
  operation: string,
  subject: string,
  warning: string | undefined
): Effect.Effect<void> =>
  warning === undefined || warning.trim() === "" ? Effect.void : handler({ operation, subject, warning })
