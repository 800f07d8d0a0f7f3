/**
 * The `Datasets` service: read and add eval cases.
 *
 * @since 0.1.0
 */
import { Context, Effect, Stream } from "effect"
import type { Dataset, DatasetRecord, DatasetRecordInput } from "./Dataset.js"
import { withLibrarySpan } from "./internal/librarySpan.js"
import { nonEmpty } from "./internal/validate.js"
import * as Ids from "./Ids.js"
import type { PromptOpsError } from "./PromptOpsError.js"

/**
 * @since 0.1.0
 */
export declare namespace Datasets {
  /**
   * @since 0.1.0
   */
  export interface Service {
    readonly provider: string
    readonly list: () => Stream.Stream<Dataset, PromptOpsError>
    /** Every record of the named dataset, page by page. */
    readonly records: (name: string) => Stream.Stream<DatasetRecord, PromptOpsError>
    /** Adds records (creating the dataset where the backend can) and returns their ids. */
    readonly insert: (
      name: string,
      records: ReadonlyArray<DatasetRecordInput>
    ) => Effect.Effect<ReadonlyArray<string>, PromptOpsError>
  }
}

/**
 * @since 0.1.0
 */
export class Datasets extends Context.Tag("@promptops/core/Datasets")<Datasets, Datasets.Service>() {}

/** @since 0.1.0 */
export interface ConstructorParams {
  readonly provider: string
  readonly list: () => Stream.Stream<Dataset, PromptOpsError>
  readonly records: (name: string) => Stream.Stream<DatasetRecord, PromptOpsError>
  /** Receives records whose ids are already set. */
  readonly insert: (name: string, records: ReadonlyArray<DatasetRecord>) => Effect.Effect<void, PromptOpsError>
}

/**
 * Adds validation, client-side ids (so a retried insert never duplicates) and spans.
 *
 * @since 0.1.0
 */
export const make = (params: ConstructorParams): Datasets.Service => ({
  provider: params.provider,
  list: params.list,
  records: (name) =>
    Stream.unwrap(Effect.as(nonEmpty(params.provider, "Datasets.records", "name", name), params.records(name))),
  insert: (name, records) =>
    nonEmpty(params.provider, "Datasets.insert", "name", name).pipe(
      Effect.zipRight(Effect.sync(() => records.map((record): DatasetRecord => ({ ...record, id: record.id ?? Ids.uuid() })))),
      Effect.tap((withIds) => params.insert(name, withIds)),
      Effect.map((withIds) => withIds.map((record) => record.id)),
      withLibrarySpan("Datasets.insert", {
        attributes: {
          "promptops.provider": params.provider,
          "promptops.dataset": name,
          "promptops.records": records.length
        }
      })
    )
})
