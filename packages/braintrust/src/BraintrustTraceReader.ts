/**
 * The neutral `TraceReader` on Braintrust's fetch endpoints: the project logs
 * of the configured project (`POST /v1/project_logs/{project_id}/fetch`), or
 * one experiment (`POST /v1/experiment/{id}/fetch`). Rows come back as the
 * `SpanRecord`s `BraintrustSpanSink` wrote (`BraintrustSpanSink.fromRow`).
 *
 * **Order.** Braintrust fetches pages only newest first: in descending
 * `_xact_id`, whole traces per page (`limit` counts traces), with an opaque
 * cursor that walks toward older transactions, and later pages may repeat a
 * row with an older `_xact_id`. `TraceReader` reads oldest first from a
 * cursor, so a read walks Braintrust's pages from the newest down to its
 * cursor, keeps the newest version of each row, and returns the oldest
 * `limit` spans after the cursor, ordered by (`_xact_id`, row id).
 *
 * **Cursor.** The position of the last span returned: its `_xact_id` and row
 * id, wrapped in an opaque string. Braintrust's own cursor cannot serve, since
 * it only leads to older rows. Consequences:
 *
 * - a span written again after the cursor (a re-export, feedback merged into
 *   it) is read again, as its newest version, at its new place;
 * - a read costs one walk over the rows newer than the cursor: cheap when
 *   tailing, a walk of the whole object when reading from the start.
 *
 * Only rows that are spans are returned (a `span_id` and `span_attributes`);
 * `traceId` is filtered here, since fetch has no such filter.
 *
 * @since 0.1.0
 */
import { DecodeError, invalidInput, type PromptOpsError } from "@promptops/core/PromptOpsError"
import type { Destination, SpanRecord } from "@promptops/core/SpanRecord"
import * as TraceReader from "@promptops/core/TraceReader"
import { Effect, Either, Encoding, Layer } from "effect"
import { BraintrustClient, defaultFetchLimit, provider } from "./BraintrustClient.js"
import type * as BraintrustSchema from "./BraintrustSchema.js"
import { fromRow } from "./BraintrustSpanSink.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /** The project whose logs are read when no `experimentId` is given; default: the client's `project`. */
  readonly project?: string | undefined
  /**
   * Traces per Braintrust fetch page; default: the read's `limit`, at least
   * 100 and at most 1,000.
   */
  readonly fetchLimit?: number | undefined
}

/**
 * A place in the oldest-first order: after every row with a lower
 * `_xact_id`, and after the rows of the same transaction up to `id`.
 *
 * @since 0.1.0
 */
export interface Position {
  readonly xactId: bigint
  readonly id: string
}

const cursorPrefix = "bt1."

/**
 * The opaque cursor of a position.
 *
 * @since 0.1.0
 */
export const encodeCursor = (position: Position): string =>
  cursorPrefix + Encoding.encodeBase64Url(`${position.xactId.toString()}:${position.id}`)

/**
 * The position a cursor names, or `undefined` when it is not one of ours.
 *
 * @since 0.1.0
 */
export const decodeCursor = (cursor: string): Position | undefined => {
  if (!cursor.startsWith(cursorPrefix)) return undefined
  const text = Either.getOrUndefined(Encoding.decodeBase64UrlString(cursor.slice(cursorPrefix.length)))
  const match = text === undefined ? null : /^(\d{1,20}):([\s\S]*)$/.exec(text)
  return match === null ? undefined : { xactId: BigInt(match[1]!), id: match[2]! }
}

/** Ascending (`_xact_id`, id). */
const compare = (a: Position, b: Position): number =>
  a.xactId === b.xactId ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.xactId < b.xactId ? -1 : 1

type Row = BraintrustSchema.ProjectLogsEvent | BraintrustSchema.ExperimentEvent

interface Candidate extends Position {
  readonly row: Row
}

const isSpan = (row: Row): boolean =>
  row.span_id !== "" && row.root_span_id !== "" && typeof row.span_attributes === "object" && row.span_attributes !== null

const operation = "TraceReader.read"

/**
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<TraceReader.TraceReader.Service, never, BraintrustClient> =>
  Effect.map(BraintrustClient, (client) =>
    TraceReader.make({
      provider,
      read: (request) =>
        Effect.gen(function*() {
          let after: Position | undefined
          if (request.after !== undefined) {
            after = decodeCursor(request.after)
            if (after === undefined) {
              return yield* Effect.fail(invalidInput({
                provider,
                operation,
                path: "after",
                description: "not a cursor of the Braintrust trace reader"
              }))
            }
          }
          const experimentId = request.experimentId
          const destination: Destination = experimentId === undefined
            ? { _tag: "ProjectLogs" }
            : { _tag: "Experiment", experimentId }
          const fetchLimit = options.fetchLimit ?? Math.min(defaultFetchLimit, Math.max(100, request.limit))
          if (!Number.isInteger(fetchLimit) || fetchLimit < 1) {
            return yield* Effect.fail(invalidInput({
              provider,
              operation,
              path: "fetchLimit",
              description: `must be a positive integer, got ${String(fetchLimit)}`
            }))
          }
          const projectId = experimentId === undefined ? (yield* client.resolveProject(options.project)).id : ""
          const fetchPage = (cursor: string | undefined): Effect.Effect<BraintrustSchema.FetchPage<Row>, PromptOpsError> => {
            const body = { limit: fetchLimit, ...(cursor !== undefined ? { cursor } : {}) }
            return experimentId === undefined
              ? client.projectLogs.fetch(projectId, body)
              : client.experiments.fetch(experimentId, body)
          }

          // Newest first: the first page a row shows up on carries its newest version.
          const seen = new Set<string>()
          const seenCursors = new Set<string>()
          let candidates: Array<Candidate> = []
          let cursor: string | undefined
          while (true) {
            const page = yield* fetchPage(cursor)
            const newest = new Map<string, Candidate>()
            let reachesAfter = after === undefined
            for (const row of page.events) {
              if (!/^\d{1,20}$/.test(row._xact_id)) {
                return yield* Effect.fail(
                  new DecodeError({
                    provider,
                    operation,
                    path: "events[]._xact_id",
                    description: `not a transaction id: ${JSON.stringify(row._xact_id)}`
                  })
                )
              }
              const xactId = BigInt(row._xact_id)
              if (after !== undefined && xactId >= after.xactId) reachesAfter = true
              if (seen.has(row.id)) continue
              const previous = newest.get(row.id)
              if (previous === undefined || xactId > previous.xactId) newest.set(row.id, { xactId, id: row.id, row })
            }
            for (const candidate of newest.values()) {
              seen.add(candidate.id)
              if (after !== undefined && compare(candidate, after) <= 0) continue
              if (!isSpan(candidate.row)) continue
              if (request.traceId !== undefined && candidate.row.root_span_id !== request.traceId) continue
              candidates.push(candidate)
            }
            // Keep only the oldest `limit`: the rest is read again by a later call.
            if (candidates.length > 2 * request.limit) candidates = candidates.sort(compare).slice(0, request.limit)
            const next = page.cursor ?? undefined
            // Pages go back in time: one with nothing at or after the cursor's transaction is past it.
            if (!reachesAfter || next === undefined || next === "" || page.events.length === 0 || seenCursors.has(next)) {
              break
            }
            seenCursors.add(next)
            cursor = next
          }
          const chosen = candidates.sort(compare).slice(0, request.limit)
          const last = chosen[chosen.length - 1]
          return {
            spans: chosen.map((candidate): SpanRecord => fromRow(candidate.row, destination)),
            cursor: last === undefined ? request.after : encodeCursor(last)
          }
        })
    }))

/**
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<TraceReader.TraceReader, never, BraintrustClient> =>
  Layer.effect(TraceReader.TraceReader, make(options))
