/**
 * What every Basalt route handler gets.
 */
import type { BasaltStore } from "./Store.js"

export interface BasaltDeps {
  readonly store: BasaltStore
  readonly autoCreateDatasets: boolean
  readonly dropGenerationTraces: boolean
  readonly maxUploadBytes: number
  readonly uploadTtlMs: number
  /** Set once the upload server listens. */
  uploadBase: string
}
