/**
 * The neutral `Datasets` service on Basalt.
 *
 * A Basalt dataset is a table: named columns (`text`, `image`, `file`,
 * `json`), rows of string `values` keyed by column, an optional
 * `idealOutput` and free `metadata`. Basalt creates datasets in its app only;
 * the API lists them, reads them with their rows and adds rows.
 *
 * The mapping, chosen so `records` gives back exactly what `insert` was given:
 * - the dataset's slug is the neutral dataset `name` (and `id`);
 * - a record's `input` must be a plain object: its keys are columns, string
 *   values are sent as they are, any other value as its JSON text (and read
 *   back as that value). An input that is not an object goes into one column,
 *   `inputColumn` (default `input`);
 * - `expected` is the row's `idealOutput` (JSON text when not a string);
 * - the record's id, tags and which values were JSON-encoded ride in the
 *   row's `metadata` under the reserved key `promptops`; the row's `name` is
 *   the record id too. Rows made elsewhere get a stable id: their name, or a
 *   hash of their values and ideal output.
 *
 * `insert` reads the dataset first and skips records whose id is already
 * there, so inserting the same records again (a retry) adds nothing. Rows
 * are added one at a time, in order; Basalt's `warning`s (unknown columns it
 * dropped) go to `onWarning`, by default a warning-level log.
 *
 * @since 0.1.0
 */
import type { Dataset, DatasetRecord } from "@promptops/core/Dataset"
import * as Datasets from "@promptops/core/Datasets"
import { contentId, isPlainObject, repeatCounter, safeCopy } from "@promptops/core/Json"
import { invalidInput, type PromptOpsError } from "@promptops/core/PromptOpsError"
import * as Records from "@promptops/core/Records"
import { Effect, Layer, Stream } from "effect"
import { BasaltClient, provider } from "./BasaltClient.js"
import type * as BasaltSchema from "./BasaltSchema.js"
import * as BasaltWarning from "./BasaltWarning.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /** The column an input that is not an object goes into. Default `input`. */
  readonly inputColumn?: string | undefined
  /** Where Basalt's warnings go. Default: logged. */
  readonly onWarning?: BasaltWarning.Handler | undefined
}

/**
 * The `metadata` key holding what promptops needs to read a row back.
 *
 * @since 0.1.0
 */
export const reservedKey = "promptops"

/**
 * What promptops stores under `metadata.promptops` of a row.
 *
 * @since 0.1.0
 */
export interface RowMarker {
  readonly id: string
  /** Columns whose value is JSON text of a non-string value. */
  readonly json?: ReadonlyArray<string> | undefined
  /** Set when the input was not an object: the column holding it. */
  readonly scalar?: string | undefined
  /** `"json"` when `idealOutput` is the JSON text of a non-string value. */
  readonly expected?: "json" | undefined
  readonly tags?: ReadonlyArray<string> | undefined
}

const readMarker = (metadata: Record<string, unknown> | undefined): RowMarker | undefined => {
  const marker = metadata?.[reservedKey]
  if (!isPlainObject(marker) || typeof marker.id !== "string") return undefined
  const strings = (value: unknown): ReadonlyArray<string> | undefined =>
    Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : undefined
  const json = strings(marker.json)
  const tags = strings(marker.tags)
  return {
    id: marker.id,
    ...(json !== undefined ? { json } : {}),
    ...(typeof marker.scalar === "string" ? { scalar: marker.scalar } : {}),
    ...(marker.expected === "json" ? { expected: "json" as const } : {}),
    ...(tags !== undefined ? { tags } : {})
  }
}

const parseJsonText = (value: unknown): unknown => {
  if (typeof value !== "string") return value
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}

/**
 * Basalt rows as neutral records, in order. Ids: the promptops marker, else
 * the row's name, else a content id of its values and ideal output (key order
 * does not count); a repeat gets `-2`, `-3`… so every id is unique.
 *
 * @since 0.1.0
 */
export const toRecords = (rows: ReadonlyArray<BasaltSchema.DatasetRow>): Array<DatasetRecord> => {
  const unique = repeatCounter()
  return rows.map((row): DatasetRecord => {
    const marker = readMarker(row.metadata)
    const base = marker?.id ??
      (row.name !== undefined && row.name.trim() !== ""
        ? row.name
        : `row-${contentId([row.values, row.idealOutput ?? null], 16)}`)
    const id = unique(base)
    const json = new Set(marker?.json ?? [])
    let input: unknown
    if (marker?.scalar !== undefined) {
      const value = row.values[marker.scalar]
      input = json.has(marker.scalar) ? parseJsonText(value) : value
    } else {
      const values: Record<string, unknown> = {}
      for (const [key, value] of Object.entries(row.values)) Records.set(values, key, json.has(key) ? parseJsonText(value) : value)
      input = values
    }
    const { [reservedKey]: _marker, ...metadata } = row.metadata ?? {}
    return {
      id,
      input,
      ...(row.idealOutput !== undefined
        ? { expected: marker?.expected === "json" ? parseJsonText(row.idealOutput) : row.idealOutput }
        : {}),
      ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
      ...(marker?.tags !== undefined && marker.tags.length > 0 ? { tags: marker.tags } : {})
    }
  })
}

/**
 * A neutral record as the body of `POST /datasets/{slug}/items`. Fails with
 * `InvalidInput` when a value cannot be JSON (a function, `undefined` input)
 * or the metadata uses the reserved key.
 *
 * @since 0.1.0
 */
export const toRow = (
  record: DatasetRecord,
  options: { readonly inputColumn: string; readonly path: string }
): Effect.Effect<BasaltSchema.CreateDatasetItemRequest, PromptOpsError> =>
  Effect.suspend(() => {
    const fail = (path: string, description: string) =>
      Effect.fail(invalidInput({ provider, operation: "Datasets.insert", path: `${options.path}${path}`, description }))
    const json: Array<string> = []
    const values: Record<string, string> = {}
    const encode = (column: string, value: unknown): boolean => {
      if (typeof value === "string") {
        Records.set(values, column, value)
        return true
      }
      const text = JSON.stringify(safeCopy(value))
      if (text === undefined) return false
      Records.set(values, column, text)
      json.push(column)
      return true
    }
    let scalar: string | undefined
    if (isPlainObject(record.input)) {
      for (const [column, value] of Object.entries(record.input)) {
        if (value === undefined) continue
        if (!encode(column, value)) return fail(`.input.${column}`, "the value cannot be stored as JSON")
      }
    } else {
      scalar = options.inputColumn
      if (!encode(scalar, record.input)) return fail(".input", "the input cannot be stored as JSON")
    }
    let idealOutput: string | undefined
    let expectedJson = false
    if (record.expected !== undefined) {
      if (typeof record.expected === "string") idealOutput = record.expected
      else {
        idealOutput = JSON.stringify(safeCopy(record.expected))
        expectedJson = true
        if (idealOutput === undefined) return fail(".expected", "the expected value cannot be stored as JSON")
      }
    }
    if (record.metadata !== undefined && reservedKey in record.metadata) {
      return fail(`.metadata.${reservedKey}`, `the metadata key "${reservedKey}" is reserved by promptops`)
    }
    const marker: RowMarker = {
      id: record.id,
      ...(json.length > 0 ? { json } : {}),
      ...(scalar !== undefined ? { scalar } : {}),
      ...(expectedJson ? { expected: "json" as const } : {}),
      ...(record.tags !== undefined && record.tags.length > 0 ? { tags: record.tags } : {})
    }
    return Effect.succeed({
      values,
      name: record.id,
      ...(idealOutput !== undefined ? { idealOutput } : {}),
      metadata: { ...(safeCopy(record.metadata ?? {}) as Record<string, unknown>), [reservedKey]: marker }
    })
  })

/**
 * A Basalt dataset as a neutral one: `id` and `name` are the slug (what
 * `records` and `insert` take); the display name and columns are in
 * `source.raw`.
 *
 * @since 0.1.0
 */
export const toDataset = (dataset: BasaltSchema.DatasetSummary): Dataset => ({
  id: dataset.slug,
  name: dataset.slug,
  ...(dataset.name !== dataset.slug ? { description: dataset.name } : {}),
  source: { provider, raw: dataset }
})

/**
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<Datasets.Datasets.Service, never, BasaltClient> =>
  Effect.gen(function*() {
    const client = yield* BasaltClient
    const inputColumn = options.inputColumn ?? "input"
    const onWarning = options.onWarning ?? BasaltWarning.log
    return Datasets.make({
      provider,
      list: () =>
        Stream.unwrap(
          client.listDatasets().pipe(
            Effect.tap((response) => BasaltWarning.report(onWarning, "Datasets.list", "datasets", response.warning)),
            Effect.map((response) => Stream.fromIterable(response.datasets.map(toDataset)))
          )
        ),
      records: (name) =>
        Stream.unwrap(
          client.getDataset(name).pipe(
            Effect.tap((response) =>
              BasaltWarning.report(onWarning, "Datasets.records", `dataset "${name}"`, response.warning)
            ),
            Effect.map((response) => Stream.fromIterable(toRecords(response.dataset.rows)))
          )
        ),
      insert: (name, records) =>
        Effect.gen(function*() {
          // Validate every record before sending any.
          const rows = yield* Effect.forEach(records, (record, index) =>
            Effect.map(toRow(record, { inputColumn, path: `records[${index}]` }), (row) => ({ id: record.id, row })))
          // What is there already: a retried insert must not add the same rows twice.
          const existing = yield* client.getDataset(name).pipe(
            Effect.map((response) => new Set(toRecords(response.dataset.rows).map((record) => record.id))),
            // Not there: the row creation below reports it (or an emulator creates it).
            Effect.catchTag("NotFound", () => Effect.succeed(new Set<string>()))
          )
          for (const { id, row } of rows) {
            if (existing.has(id)) continue
            const response = yield* client.createDatasetItem(name, row)
            existing.add(id)
            yield* BasaltWarning.report(onWarning, "Datasets.insert", `dataset "${name}" row ${id}`, response.warning)
          }
        })
    })
  })

/**
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<Datasets.Datasets, never, BasaltClient> =>
  Layer.effect(Datasets.Datasets, make(options))
