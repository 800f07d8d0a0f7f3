/**
 * `/v1/dataset`: the dataset objects and their rows, and the version of each
 * row as last read in full (the `origin` of experiment rows made from it).
 */
import { Effect } from "effect"
import type { DatasetsApi } from "../BraintrustClient.js"
import {
  CreateDataset,
  Dataset,
  DatasetEvent,
  FeedbackDatasetItem,
  InsertDatasetEvent,
  ListDatasetsQuery,
  type ObjectReference,
  SummarizeDatasetQuery,
  SummarizeDatasetResponse
} from "../BraintrustSchema.js"
import { makeEventsApi } from "./events.js"
import { objectId, readQuery, type Requests } from "./request.js"

/** The datasets group, and `BraintrustClient.Service.datasetRowOrigin`. */
export interface Datasets {
  readonly datasets: DatasetsApi
  readonly datasetRowOrigin: (datasetId: string, rowId: string) => typeof ObjectReference.Type | undefined
}

/** The datasets group; each client holds its own memory of rows read. */
export const makeDatasets = (requests: Requests): Datasets => {
  const { created, getJson, list } = requests
  // dataset id → row id → the row's version as last read in full. Replaced by each full read,
  // so it holds at most one version of each dataset this client has read.
  const datasetRows = new Map<string, Map<string, { readonly _xact_id: string; readonly created: string }>>()
  const rememberDatasetRows = (datasetId: string, events: ReadonlyArray<DatasetEvent>): void => {
    const rows = new Map<string, { readonly _xact_id: string; readonly created: string }>()
    for (const event of events) rows.set(event.id, { _xact_id: event._xact_id, created: event.created })
    datasetRows.set(datasetId, rows)
  }
  const datasetRowOrigin = (datasetId: string, rowId: string): typeof ObjectReference.Type | undefined => {
    const row = datasetRows.get(datasetId)?.get(rowId)
    return row === undefined
      ? undefined
      : { object_type: "dataset", object_id: datasetId, id: rowId, _xact_id: row._xact_id, created: row.created }
  }

  const datasetList = list("datasets.list", "/v1/dataset", ListDatasetsQuery, Dataset)
  const datasets: DatasetsApi = {
    ...makeEventsApi(requests, "dataset", InsertDatasetEvent, DatasetEvent, FeedbackDatasetItem, rememberDatasetRows),
    create: (body) =>
      Effect.map(
        created("datasets.create", "POST", "/v1/dataset", CreateDataset, body, Dataset),
        ({ foundExisting, value }) => ({ dataset: value, foundExisting })
      ),
    get: (id) =>
      Effect.flatMap(objectId("datasets.get", "datasetId", id), (valid) =>
        getJson("datasets.get", `/v1/dataset/${valid}`, Dataset)),
    list: datasetList.one,
    stream: datasetList.stream,
    summarize: (id, query) =>
      Effect.gen(function*() {
        const operation = "datasets.summarize"
        const valid = yield* objectId(operation, "datasetId", id)
        const params = yield* readQuery(operation, SummarizeDatasetQuery, query)
        return yield* getJson(operation, `/v1/dataset/${valid}/summarize`, SummarizeDatasetResponse, params)
      })
  }
  return { datasets, datasetRowOrigin }
}
