/**
 * What Basalt offers on datasets beyond the neutral `Datasets`: the raw
 * dataset (columns with their types), raw rows, and rows with files
 * (`image` / `file` columns hold the `fileKey` of an upload).
 *
 * @since 0.1.0
 */
import { invalidInput, type PromptOpsError } from "@promptops/core/PromptOpsError"
import * as Records from "@promptops/core/Records"
import * as Trace from "@promptops/core/Trace"
import { Context, Effect, Layer } from "effect"
import { BasaltClient, type FileUpload, provider, type UploadedFile } from "./BasaltClient.js"
import type * as BasaltSchema from "./BasaltSchema.js"

/**
 * A row to add: string values by column, and files to upload first, by
 * column.
 *
 * @since 0.1.0
 */
export interface RowInput {
  readonly values?: Readonly<Record<string, string>> | undefined
  readonly files?: Readonly<Record<string, FileUpload>> | undefined
  readonly name?: string | undefined
  readonly idealOutput?: string | undefined
  readonly metadata?: Readonly<Record<string, unknown>> | undefined
}

/**
 * The row Basalt stored, and its warning (unknown columns it dropped).
 *
 * @since 0.1.0
 */
export interface AddedRow {
  readonly row: BasaltSchema.DatasetRow
  /** The file key stored for each file column. */
  readonly files: Readonly<Record<string, UploadedFile>>
  readonly warning?: string | undefined
}

/**
 * @since 0.1.0
 */
export declare namespace BasaltDatasetsExtra {
  /**
   * @since 0.1.0
   */
  export interface Service {
    /** The dataset with its columns (`{ name, type? }`) and rows, and Basalt's warning. */
    readonly get: (slug: string) => Effect.Effect<BasaltSchema.GetDatasetResponse, PromptOpsError>
    /**
     * Uploads the files (in order), then adds the row with each file column
     * set to its `fileKey`. Not idempotent: a second call adds a second row.
     */
    readonly addRow: (slug: string, row: RowInput) => Effect.Effect<AddedRow, PromptOpsError>
    /** Uploads one file; store the returned `fileKey` in a file or image column. */
    readonly uploadFile: (file: FileUpload) => Effect.Effect<UploadedFile, PromptOpsError>
  }
}

/**
 * @since 0.1.0
 */
export class BasaltDatasetsExtra extends Context.Tag("@promptops/basalt/BasaltDatasetsExtra")<
  BasaltDatasetsExtra,
  BasaltDatasetsExtra.Service
>() {}

/**
 * @since 0.1.0
 */
export const make: Effect.Effect<BasaltDatasetsExtra.Service, never, BasaltClient> = Effect.map(
  BasaltClient,
  (client): BasaltDatasetsExtra.Service => ({
    get: client.getDataset,
    uploadFile: client.uploadFile,
    addRow: (slug, input) =>
      Effect.gen(function*() {
        const values: Record<string, string> = { ...input.values }
        const files: Record<string, UploadedFile> = {}
        for (const [column, file] of Object.entries(input.files ?? {})) {
          if (column in values) {
            return yield* Effect.fail(invalidInput({
              provider,
              operation: "BasaltDatasetsExtra.addRow",
              path: `files.${column}`,
              description: `column "${column}" is given both as a value and as a file`
            }))
          }
          const uploaded = yield* client.uploadFile(file)
          Records.set(files, column, uploaded)
          Records.set(values, column, uploaded.fileKey)
        }
        const response = yield* client.createDatasetItem(slug, {
          values,
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.idealOutput !== undefined ? { idealOutput: input.idealOutput } : {}),
          ...(input.metadata !== undefined ? { metadata: input.metadata } : {})
        })
        return {
          row: response.datasetRow,
          files,
          ...(response.warning !== undefined ? { warning: response.warning } : {})
        }
      }).pipe(Trace.librarySpan("BasaltDatasetsExtra.addRow", { attributes: { "promptops.dataset": slug } }))
  })
)

/**
 * @since 0.1.0
 */
export const layer: Layer.Layer<BasaltDatasetsExtra, never, BasaltClient> = Layer.effect(BasaltDatasetsExtra, make)
