/**
 * An `Experiment` as a row of the `experiments` table (read by
 * `LocalExperiments` and `LocalView`).
 */
import type { Metadata } from "@promptops/core/Dataset"
import type { Experiment, ExperimentState } from "@promptops/core/Experiment"
import type { DecodeError } from "@promptops/core/PromptOpsError"
import type { Either } from "effect"
import { PROVIDER } from "./errors.js"
import { decodeRow } from "./rows.js"

/** The columns `SELECT`ed for an experiment. */
export const COLUMNS = "seq, id, name, baseline, dataset, metadata, created_at, state"

/** A row of `experiments`. */
export interface ExperimentRow {
  readonly seq: number
  readonly id: string
  readonly name: string
  readonly baseline: string | null
  readonly dataset: string | null
  readonly metadata: string | null
  readonly created_at: number
  readonly state: string | null
}

/** Decodes an `experiments` row. */
export const decodeExperiment = (row: ExperimentRow): Either.Either<Experiment, DecodeError> =>
  decodeRow("Experiments.get", `experiment ${row.id}`, (columns): Experiment => {
    const metadata = columns.json(row.metadata, "metadata") as Metadata | undefined
    const state = columns.json(row.state, "state") as ExperimentState | undefined
    return {
      id: row.id,
      name: row.name,
      ...(row.baseline !== null ? { baseline: row.baseline } : {}),
      ...(row.dataset !== null ? { dataset: row.dataset } : {}),
      ...(metadata !== undefined ? { metadata } : {}),
      createdAt: row.created_at,
      ...(state !== undefined ? { state } : {}),
      source: { provider: PROVIDER }
    }
  })
