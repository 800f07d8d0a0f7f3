/**
 * Datasets: named collections of eval cases.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import * as Records from "./Records.js"

/** @since 0.1.0 */
export const Metadata: Records.Of<typeof Schema.Unknown> = Records.Unknown
/** @since 0.1.0 */
export type Metadata = typeof Metadata.Type

/**
 * @since 0.1.0
 */
export const Dataset = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  description: Schema.optional(Schema.String),
  /** Which backend holds it, and the vendor object. */
  source: Schema.Struct({ provider: Schema.String, raw: Schema.optional(Schema.Unknown) })
})
/** @since 0.1.0 */
export type Dataset = typeof Dataset.Type

/**
 * One case of a dataset. `id` is stable across runs, so results of two
 * experiments on the same dataset can be matched.
 *
 * @since 0.1.0
 */
export const DatasetRecord = Schema.Struct({
  id: Schema.String,
  input: Schema.Unknown,
  expected: Schema.optional(Schema.Unknown),
  metadata: Schema.optional(Metadata),
  tags: Schema.optional(Schema.Array(Schema.String))
})
/** @since 0.1.0 */
export type DatasetRecord = typeof DatasetRecord.Type

/**
 * What `Datasets.insert` takes: an id is generated client-side when absent, so
 * a retried insert never duplicates a row.
 *
 * @since 0.1.0
 */
export const DatasetRecordInput = Schema.Struct({
  id: Schema.optional(Schema.String),
  input: Schema.Unknown,
  expected: Schema.optional(Schema.Unknown),
  metadata: Schema.optional(Metadata),
  tags: Schema.optional(Schema.Array(Schema.String))
})
/** @since 0.1.0 */
export type DatasetRecordInput = typeof DatasetRecordInput.Type
