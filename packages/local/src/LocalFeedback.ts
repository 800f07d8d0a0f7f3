/**
 * `Feedback` in the SQLite store, one row per item, keyed by the item id:
 * logging the same id again (a retry) replaces it. Core's `make` has already
 * validated the items (scores in 0..1, a target id) and filled the ids.
 *
 * `forTarget` reads feedback back; the neutral services have no read side
 * for feedback.
 *
 * @since 0.1.0
 */
import type { Metadata } from "@promptops/core/Dataset"
import * as Feedback from "@promptops/core/Feedback"
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import { Clock, Effect, Layer } from "effect"
import { PROVIDER } from "./internal/errors.js"
import { decodeRow, encodeAll, upsertAll } from "./internal/rows.js"
import { LocalStore } from "./LocalStore.js"

interface FeedbackRow {
  readonly seq: number
  readonly id: string
  readonly target_id: string
  readonly destination: string | null
  readonly scores: string | null
  readonly comment: string | null
  readonly expected: string | null
  readonly metadata: string | null
  readonly source: string | null
  readonly created_at: number
}

/**
 * A stored feedback item, with its id and when it was logged (unix ms).
 *
 * @since 0.1.0
 */
export type StoredFeedback = Feedback.FeedbackItem & { readonly id: string; readonly createdAt: number }

/**
 * The service over the store in context.
 *
 * @since 0.1.0
 */
export const make: Effect.Effect<Feedback.Feedback.Service, never, LocalStore> = Effect.map(
  LocalStore,
  (store) =>
    Feedback.make({
      provider: PROVIDER,
      log: (items) =>
        Effect.gen(function*() {
          const operation = "Feedback.log"
          const now = yield* Clock.currentTimeMillis
          const rows = yield* encodeAll(operation, items, (index) => `items[${index}]`, (columns, item) => ({
            id: item.id,
            target_id: item.targetId,
            destination: columns.json(item.destination, "destination"),
            scores: columns.json(item.scores, "scores"),
            comment: item.comment ?? null,
            expected: columns.json(item.expected, "expected"),
            metadata: columns.json(item.metadata, "metadata"),
            source: item.source ?? null,
            created_at: now
          }))
          const sql = store.sql
          yield* upsertAll(
            store,
            operation,
            rows,
            (chunk) =>
              sql`INSERT INTO feedback ${sql.insert(chunk)}
                ON CONFLICT (id) DO UPDATE SET target_id = excluded.target_id, destination = excluded.destination,
                  scores = excluded.scores, comment = excluded.comment, expected = excluded.expected,
                  metadata = excluded.metadata, source = excluded.source`
          )
        })
    })
)

/**
 * Every feedback item about `targetId`, oldest first.
 *
 * @since 0.1.0
 */
export const forTarget = (
  targetId: string
): Effect.Effect<ReadonlyArray<StoredFeedback>, PromptOpsError, LocalStore> =>
  Effect.flatMap(LocalStore, (store) =>
    store.read(
      "LocalFeedback.forTarget",
      store.sql<FeedbackRow>`SELECT seq, id, target_id, destination, scores, comment, expected, metadata, source,
          created_at
        FROM feedback WHERE target_id = ${targetId} ORDER BY seq`
    ).pipe(
      Effect.flatMap((rows) =>
        Effect.forEach(rows, (row) =>
          decodeRow("LocalFeedback.forTarget", `feedback ${row.id}`, (columns): StoredFeedback => {
            const destination = columns.json(row.destination, "destination") as Feedback.FeedbackItem["destination"]
            const scores = columns.json(row.scores, "scores") as Feedback.FeedbackItem["scores"]
            const expected = columns.json(row.expected, "expected")
            const metadata = columns.json(row.metadata, "metadata") as Metadata | undefined
            return {
              id: row.id,
              targetId: row.target_id,
              ...(destination !== undefined ? { destination } : {}),
              ...(scores !== undefined ? { scores } : {}),
              ...(row.comment !== null ? { comment: row.comment } : {}),
              ...(expected !== undefined ? { expected } : {}),
              ...(metadata !== undefined ? { metadata } : {}),
              ...(row.source !== null ? { source: row.source as NonNullable<Feedback.FeedbackItem["source"]> } : {}),
              createdAt: row.created_at
            }
          }))
      )
    ))

/**
 * @since 0.1.0
 */
export const layer: Layer.Layer<Feedback.Feedback, never, LocalStore> = Layer.effect(Feedback.Feedback, make)
