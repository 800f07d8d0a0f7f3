/**
 * The neutral `Datasets` service on Braintrust datasets of the configured
 * project: `insert` get-or-creates the dataset by name and inserts rows with
 * their client-side ids (a retried insert replaces the same rows), `records`
 * fetches every row once (newest version), `list` walks the project's datasets.
 * `records` right after an experiment was created on the same dataset (an
 * eval on a named dataset) uses the dataset the experiment looked up, rather
 * than looking it up again.
 *
 * @since 0.1.0
 */
import type { Dataset, DatasetRecord } from "@promptops/core/Dataset"
import * as Datasets from "@promptops/core/Datasets"
import { NotFound, type PromptOpsError } from "@promptops/core/PromptOpsError"
import { Chunk, Effect, Layer, Stream } from "effect"
import { BraintrustClient, provider } from "./BraintrustClient.js"
import type * as BraintrustSchema from "./BraintrustSchema.js"
import * as DatasetLookups from "./internal/datasetLookups.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /** The project holding the datasets; default: the client's `project`. */
  readonly project?: string | undefined
  /** Rows per insert request. Default 100. */
  readonly batchSize?: number | undefined
}

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * A Braintrust dataset as the neutral `Dataset`.
 *
 * @since 0.1.0
 */
export const fromBraintrust = (dataset: BraintrustSchema.Dataset): Dataset => ({
  id: dataset.id,
  name: dataset.name,
  ...(typeof dataset.description === "string" ? { description: dataset.description } : {}),
  source: { provider, raw: dataset }
})

/**
 * A fetched dataset row as the neutral `DatasetRecord`.
 *
 * @since 0.1.0
 */
export const recordFromEvent = (event: BraintrustSchema.DatasetEvent): DatasetRecord => ({
  id: event.id,
  input: event.input,
  ...(event.expected !== undefined && event.expected !== null ? { expected: event.expected } : {}),
  ...(isRecord(event.metadata) ? { metadata: event.metadata } : {}),
  ...(Array.isArray(event.tags) ? { tags: event.tags } : {})
})

/**
 * A neutral record as a dataset row to insert (its id kept).
 *
 * @since 0.1.0
 */
export const recordToEvent = (record: DatasetRecord): BraintrustSchema.InsertDatasetEvent => ({
  id: record.id,
  input: record.input,
  ...(record.expected !== undefined ? { expected: record.expected } : {}),
  ...(record.metadata !== undefined ? { metadata: record.metadata } : {}),
  ...(record.tags !== undefined ? { tags: record.tags } : {})
})

/**
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<Datasets.Datasets.Service, never, BraintrustClient> =>
  Effect.map(BraintrustClient, (client) => {
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? 100))
    // Reads look the project up and never create it; only an insert get-or-creates it.
    const projectId = Effect.map(client.findProject(options.project), (project) => project.id)
    const writeProjectId = Effect.map(client.resolveProject(options.project), (project) => project.id)
    // name → dataset id, for inserts; a dataset deleted meanwhile is forgotten on its NotFound.
    const ids = new Map<string, string>()

    const find = (name: string): Effect.Effect<BraintrustSchema.Dataset, PromptOpsError> =>
      Effect.flatMap(projectId, (project_id) =>
        Effect.flatMap(client.datasets.list({ project_id, dataset_name: name, limit: 1 }), (found) =>
          found[0] === undefined
            ? Effect.fail(
              new NotFound({
                provider,
                operation: "Datasets.records",
                description: `dataset "${name}" does not exist in the project`,
                resource: `dataset "${name}"`
              })
            )
            : Effect.succeed(found[0])))

    const ensure = (name: string): Effect.Effect<string, PromptOpsError> =>
      Effect.suspend(() => {
        const known = ids.get(name)
        if (known !== undefined) return Effect.succeed(known)
        return writeProjectId.pipe(
          Effect.flatMap((project_id) => client.datasets.create({ project_id, name })),
          Effect.map(({ dataset }) => dataset.id),
          Effect.tap((id) => Effect.sync(() => ids.set(name, id)))
        )
      })

    return Datasets.make({
      provider,
      list: () =>
        Stream.unwrap(
          Effect.map(projectId, (project_id) => Stream.map(client.datasets.stream({ project_id }), fromBraintrust))
        ),
      records: (name) =>
        Stream.unwrap(
          Effect.flatMap(projectId, (project_id) => {
            // An experiment just created on this dataset looked it up already: its answer is used, once.
            const handed = DatasetLookups.take(client, project_id, name)
            const fetch = (dataset: BraintrustSchema.Dataset) => client.datasets.fetchAll(dataset.id)
            return handed === undefined
              ? Effect.flatMap(find(name), fetch)
              // Deleted since it was looked up: look the name up again.
              : Effect.catchTag(fetch(handed), "NotFound", () => Effect.flatMap(find(name), fetch))
          }).pipe(
            Effect.map((events) => Stream.fromIterable(events.map(recordFromEvent)))
          )
        ),
      insert: (name, records) =>
        Effect.gen(function*() {
          if (records.length === 0) return
          const id = yield* ensure(name)
          const batches = Chunk.chunksOf(Chunk.fromIterable(records.map(recordToEvent)), batchSize)
          yield* Effect.forEach(batches, (batch) => client.datasets.insert(id, Chunk.toReadonlyArray(batch)), {
            discard: true
          }).pipe(
            Effect.tapErrorTag("NotFound", () => Effect.sync(() => ids.delete(name)))
          )
        })
    })
  })

/**
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<Datasets.Datasets, never, BraintrustClient> =>
  Layer.effect(Datasets.Datasets, make(options))
