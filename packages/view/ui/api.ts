/**
 * The JSON API as the pages read it: typed with the server's own schemas
 * (types only, so nothing of them is bundled).
 */
import type { EvalResult, Experiment, ExperimentState, ExperimentSummary } from "@promptops/core/Experiment"
import type { PromptSummary } from "@promptops/core/Prompt"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import type * as ViewApi from "../src/ViewApi.js"

export type { EvalResult, Experiment, ExperimentState, ExperimentSummary, PromptSummary, SpanRecord }
export type ExperimentRow = typeof ViewApi.ExperimentRow.Type
export type ExperimentPage = typeof ViewApi.ExperimentPage.Type
export type CaseRow = typeof ViewApi.CaseRow.Type
export type ComparePage = typeof ViewApi.ComparePage.Type
export type TracePage = typeof ViewApi.TracePage.Type
export type PromptVersions = typeof ViewApi.PromptVersions.Type
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly cursor: string | null
}
export interface PromptChange {
  readonly path: string
  readonly kind: string
  readonly before?: unknown
  readonly after?: unknown
  readonly text: string
}
export interface PromptDiffPage {
  readonly slug: string
  readonly from: string
  readonly to: string
  readonly changes: ReadonlyArray<PromptChange>
}

/** An error the API answered, with its message (and the field at fault). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly tag: string, message: string, readonly field?: string) {
    super(message)
  }
}

const parse = async <A>(response: Response): Promise<A> => {
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new ApiError(response.status, "DecodeError", `${response.status}: ${text.slice(0, 200)}`)
  }
  if (!response.ok) {
    const error = (json as { error?: { _tag?: string; message?: string; field?: string } }).error
    throw new ApiError(response.status, error?._tag ?? "Error", error?.message ?? `HTTP ${response.status}`, error?.field)
  }
  return json as A
}

/** A query string from the defined values. */
export const qs = (params: Record<string, string | number | boolean | undefined | null>): string => {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value))
  }
  const text = search.toString()
  return text === "" ? "" : `?${text}`
}

export const get = <A>(path: string): Promise<A> =>
  fetch(path, { headers: { accept: "application/json" } }).then((response) => parse<A>(response))

// Same-origin fetch: the browser sends `Origin`, which the server checks on every write.
export const post = <A>(path: string, body: unknown): Promise<A> =>
  fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
    .then((response) => parse<A>(response))
