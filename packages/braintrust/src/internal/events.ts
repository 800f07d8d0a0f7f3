/**
 * The row operations experiments, datasets and project logs share
 * (`insert`, `fetch`, `fetchAll`, `feedback` under `/v1/<kind>/<id>/…`).
 */
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import { Effect, Schema } from "effect"
import type { EventsApi } from "../BraintrustClient.js"
import {
  FeedbackResponse,
  FetchEventsRequest,
  FetchEventsResponse,
  type FetchPage,
  InsertEventsResponse
} from "../BraintrustSchema.js"
import * as BraintrustVersion from "../BraintrustVersion.js"
import { objectId, opName, type Requests, withRowIds } from "./request.js"

/** Traces per page of `fetchAll` when the request sets no `limit` (`BraintrustClient.defaultFetchLimit`). */
export const defaultFetchLimit = 1000

/**
 * Keeps one version of each row: the one with the highest `_xact_id`,
 * compared as `bigint` (never as a JS number), at the position where the row
 * first appeared.
 */
export const latestVersions = <A extends { readonly id: string; readonly _xact_id: string }>(
  events: Iterable<A>
): Array<A> => {
  const byId = new Map<string, A>()
  for (const event of events) {
    const previous = byId.get(event.id)
    if (previous === undefined || BraintrustVersion.compare(event._xact_id, previous._xact_id) > 0) {
      // Re-setting an existing key keeps its place in the Map's order.
      byId.set(event.id, event)
    }
  }
  return [...byId.values()]
}

/**
 * The row operations of one kind of object. `onFetchAll` sees each full read
 * (the datasets group remembers row versions with it).
 */
export const makeEventsApi = <
  Ins extends { readonly id?: string | null | undefined },
  InsI,
  Ev extends { readonly id: string; readonly _xact_id: string },
  EvI,
  Fb extends { readonly comment?: string | null | undefined },
  FbI
>(
  { sendJson }: Requests,
  kind: "experiment" | "dataset" | "project_logs",
  insertSchema: Schema.Schema<Ins, InsI>,
  eventSchema: Schema.Schema<Ev, EvI>,
  feedbackSchema: Schema.Schema<Fb, FbI>,
  onFetchAll?: (objectId: string, events: ReadonlyArray<Ev>) => void
): EventsApi<Ins, Ev, Fb> => {
  const label = kind === "project_logs" ? "projectLogs" : `${kind}s`
  const idPath = kind === "project_logs" ? "projectId" : `${kind}Id`
  const page = FetchEventsResponse(eventSchema) as unknown as Schema.Schema<FetchPage<Ev>>
  const fetchPage = (objectIdValue: string, request: FetchEventsRequest): Effect.Effect<FetchPage<Ev>, PromptOpsError> =>
    Effect.gen(function*() {
      const operation = `${label}.fetch`
      const id = yield* objectId(operation, idPath, objectIdValue)
      const version = typeof request.version === "string"
        ? yield* BraintrustVersion.toTransactionId(request.version, { operation: opName(operation), path: "request.version" })
        : request.version
      const response = yield* sendJson(
        operation,
        "POST",
        `/v1/${kind}/${id}/fetch`,
        { schema: FetchEventsRequest, value: version === undefined ? request : { ...request, version } },
        page
      )
      return response.value
    })
  return {
    insert: (objectIdValue, events) =>
      Effect.gen(function*() {
        const operation = `${label}.insert`
        const id = yield* objectId(operation, idPath, objectIdValue)
        if (events.length === 0) return []
        const response = yield* sendJson(
          operation,
          "POST",
          `/v1/${kind}/${id}/insert`,
          { schema: Schema.Struct({ events: Schema.Array(insertSchema) }), value: { events: withRowIds(events) } },
          InsertEventsResponse
        )
        return response.value.row_ids
      }),
    fetch: (id, request = {}) => fetchPage(id, request),
    fetchAll: (id, request = {}) =>
      Effect.gen(function*() {
        const all: Array<Ev> = []
        const seen = new Set<string>()
        let cursor = request.cursor ?? undefined
        while (true) {
          const result = yield* fetchPage(id, { ...request, limit: request.limit ?? defaultFetchLimit, cursor })
          all.push(...result.events)
          const next = result.cursor
          // No cursor, an empty page or a cursor seen before (a server bug) ends the walk.
          if (next === undefined || next === null || next === "" || result.events.length === 0 || seen.has(next)) break
          seen.add(next)
          cursor = next
        }
        const latest = latestVersions(all)
        onFetchAll?.(id, latest)
        return latest
      }),
    feedback: (objectIdValue, items) =>
      Effect.gen(function*() {
        const operation = `${label}.feedback`
        const id = yield* objectId(operation, idPath, objectIdValue)
        // A comment becomes a new comment row on the server: a retry could post it twice.
        const retry = !items.some((item) => typeof item.comment === "string" && item.comment !== "")
        const response = yield* sendJson(
          operation,
          "POST",
          `/v1/${kind}/${id}/feedback`,
          { schema: Schema.Struct({ feedback: Schema.Array(feedbackSchema) }), value: { feedback: items } },
          FeedbackResponse,
          { retry }
        )
        return response.value
      })
  }
}
