/**
 * The neutral `Feedback` service on Braintrust's feedback endpoints: items
 * about project-log spans go to `POST /v1/project_logs/{project_id}/feedback`
 * (the configured project), items about experiment rows to
 * `POST /v1/experiment/{id}/feedback`, one request per destination.
 *
 * Braintrust merges `scores` into the row's scores, stores `comment` as a
 * comment on the row, and puts `metadata` and `source` on the audit trail.
 * A batch carrying a comment is sent once (a retry could post the comment twice).
 *
 * @since 0.1.0
 */
import * as Feedback from "@promptops/core/Feedback"
import { Effect, Layer } from "effect"
import { BraintrustClient, provider } from "./BraintrustClient.js"
import type * as BraintrustSchema from "./BraintrustSchema.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /** The project whose logs the feedback is about; default: the client's `project`. */
  readonly project?: string | undefined
}

/**
 * A neutral item as a Braintrust feedback item (its `id` is the row's id).
 *
 * @since 0.1.0
 */
export const toBraintrust = (item: Feedback.FeedbackItem): BraintrustSchema.FeedbackItem => ({
  id: item.targetId,
  ...(item.scores !== undefined ? { scores: item.scores } : {}),
  ...(item.expected !== undefined ? { expected: item.expected } : {}),
  ...(item.comment !== undefined ? { comment: item.comment } : {}),
  ...(item.metadata !== undefined ? { metadata: item.metadata } : {}),
  ...(item.source !== undefined ? { source: item.source } : {})
})

/**
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<Feedback.Feedback.Service, never, BraintrustClient> =>
  Effect.map(BraintrustClient, (client) =>
    Feedback.make({
      provider,
      log: (items) =>
        Effect.gen(function*() {
          const logs: Array<BraintrustSchema.FeedbackItem> = []
          const experiments = new Map<string, Array<BraintrustSchema.FeedbackItem>>()
          for (const item of items) {
            const destination = item.destination ?? { _tag: "ProjectLogs" }
            if (destination._tag === "Experiment") {
              const list = experiments.get(destination.experimentId) ?? []
              list.push(toBraintrust(item))
              experiments.set(destination.experimentId, list)
            } else {
              logs.push(toBraintrust(item))
            }
          }
          if (logs.length > 0) {
            const project = yield* client.resolveProject(options.project)
            yield* client.projectLogs.feedback(project.id, logs)
          }
          for (const [experimentId, list] of experiments) {
            yield* client.experiments.feedback(experimentId, list)
          }
        })
    }))

/**
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<Feedback.Feedback, never, BraintrustClient> =>
  Layer.effect(Feedback.Feedback, make(options))
