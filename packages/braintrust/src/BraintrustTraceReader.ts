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
 * **Newest first** (`order: "newest"`, a tail) is the order fetch serves, so
 * it reads only what it shows: the `limit` newest spans lie in the `limit`
 * newest traces, so one fetch of `limit` traces serves it (more pages only
 * when rows are not spans or belong to another trace). Its cursor is past the
 * newest transaction seen, for following what comes next oldest first.
 *
 * Only rows that are spans are returned (a `span_id` and `span_attributes`);
 * `traceId` (a whole id or a prefix) is filtered here, since fetch has no
 * such filter.
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
          const newestFirst = request.order === "newest"
          // Newest first, `limit` traces hold the `limit` newest spans: a tail asks for no more than it shows.
          // A trace filter skips most traces, so it reads in larger pages.
          const fetchLimit = options.fetchLimit ??
            Math.min(
              defaultFetchLimit,
              newestFirst && request.traceId === undefined ? request.limit : Math.max(100, request.limit)
            )
          if (!Number.isInteger(fetchLimit) || fetchLimit < 1) {
            return yield* Effect.fail(invalidInput({
              provider,
              operation,
              path: "fetchLimit",
              description: `must be a positive integer, got ${String(fetchLimit)}`
            }))
          }
          const projectId = experimentId === undefined ? (yield* client.findProject(options.project)).id : ""
          const fetchPage = (cursor: string | undefined): Effect.Effect<BraintrustSchema.FetchPage<Row>, PromptOpsError> => {
            const body = { limit: fetchLimit, ...(cursor !== undefined ? { cursor } : {}) }
            return experimentId === undefined
              ? client.projectLogs.fetch(projectId, body)
              : client.experiments.fetch(experimentId, body)
          }

          if (newestFirst) {
            return yield* readNewest(request, after, destination, fetchPage)
          }

          // Newest first: the first page a row shows up on carries its newest version.
          const seen = new Set<string>()
          const seenCursors = new Set<string>()
          let candidates: Array<Candidate> = []
          let cursor: string | undefined
          while (true) {
            const page = yield* fetchPage(cursor)
            let reachesAfter = after === undefined
            const fresh = yield* pageCandidates(page, seen, request, after, (_, xactId) => {
              if (after !== undefined && xactId >= after.xactId) reachesAfter = true
            })
            for (const candidate of fresh) candidates.push(candidate)
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
          if (request.traceIdPrefix) yield* singleTrace(request, chosen)
          const last = chosen[chosen.length - 1]
          return {
            spans: chosen.map((candidate): SpanRecord => fromRow(candidate.row, destination)),
            cursor: last === undefined ? request.after : encodeCursor(last)
          }
        })
    }))

/** A position after every row of transaction `xactId`. */
const afterTransaction = (xactId: bigint): Position => ({ xactId, id: "\uffff\uffff\uffff\uffff" })

const xactOf = (row: Row): Effect.Effect<bigint, PromptOpsError> =>
  /^\d{1,20}$/.test(row._xact_id)
    ? Effect.succeed(BigInt(row._xact_id))
    : Effect.fail(
      new DecodeError({
        provider,
        operation,
        path: "events[]._xact_id",
        description: `not a transaction id: ${JSON.stringify(row._xact_id)}`
      })
    )

/**
 * The spans a page adds: each row not seen on a newer page, at its newest
 * version (pages go back in time, so the first page a row shows up on carries
 * it), after the cursor and of the requested trace. Marks the page's rows
 * seen; `onRow` sees every row with its transaction, for the callers' own
 * bookkeeping of where the page lies.
 */
const pageCandidates = (
  page: BraintrustSchema.FetchPage<Row>,
  seen: Set<string>,
  request: TraceReader.BackendReadOptions,
  after: Position | undefined,
  onRow: (row: Row, xactId: bigint) => void
): Effect.Effect<Array<Candidate>, PromptOpsError> =>
  Effect.gen(function*() {
    const newest = new Map<string, Candidate>()
    for (const row of page.events) {
      const xactId = yield* xactOf(row)
      onRow(row, xactId)
      if (seen.has(row.id)) continue
      const previous = newest.get(row.id)
      if (previous === undefined || xactId > previous.xactId) newest.set(row.id, { xactId, id: row.id, row })
    }
    const fresh: Array<Candidate> = []
    for (const candidate of newest.values()) {
      seen.add(candidate.id)
      if (after !== undefined && compare(candidate, after) <= 0) continue
      if (!isSpan(candidate.row) || !TraceReader.matchesTrace(request, candidate.row.root_span_id)) continue
      fresh.push(candidate)
    }
    return fresh
  })

/** A prefix read must match one trace: the candidates of several fail, listing them. */
const singleTrace = (
  request: TraceReader.BackendReadOptions,
  candidates: ReadonlyArray<Candidate>
): Effect.Effect<void, PromptOpsError> => {
  const traces = [...new Set(candidates.map((candidate) => candidate.row.root_span_id))]
  return traces.length > 1
    ? Effect.fail(TraceReader.ambiguousTraceId(provider, request.traceId ?? "", traces))
    : Effect.void
}

/**
 * The newest `limit` spans, newest first, in as few fetch pages as they take:
 * fetch serves whole traces in descending transaction order, so once the
 * `limit`-th newest candidate is at least as new as the oldest trace of the
 * page, no later page holds a newer span.
 */
const readNewest = (
  request: TraceReader.BackendReadOptions,
  after: Position | undefined,
  destination: Destination,
  fetchPage: (cursor: string | undefined) => Effect.Effect<BraintrustSchema.FetchPage<Row>, PromptOpsError>
): Effect.Effect<TraceReader.Page, PromptOpsError> =>
  Effect.gen(function*() {
    const seen = new Set<string>()
    const seenCursors = new Set<string>()
    const candidates: Array<Candidate> = []
    let newestXact: bigint | undefined
    let cursor: string | undefined
    const descending = (a: Position, b: Position) => compare(b, a)
    while (true) {
      const page = yield* fetchPage(cursor)
      // Each trace of the page at its newest transaction; the page's oldest such is where it ends.
      const traceXacts = new Map<string, bigint>()
      const fresh = yield* pageCandidates(page, seen, request, after, (row, xactId) => {
        if (newestXact === undefined || xactId > newestXact) newestXact = xactId
        const traceXact = traceXacts.get(row.root_span_id)
        if (traceXact === undefined || xactId > traceXact) traceXacts.set(row.root_span_id, xactId)
      })
      for (const candidate of fresh) candidates.push(candidate)
      candidates.sort(descending)
      const pageEnd = traceXacts.size === 0 ? undefined : [...traceXacts.values()].reduce((a, b) => (b < a ? b : a))
      const next = page.cursor ?? undefined
      const enough = candidates.length >= request.limit && pageEnd !== undefined &&
        candidates[request.limit - 1]!.xactId >= pageEnd
      const pastCursor = after !== undefined && pageEnd !== undefined && pageEnd <= after.xactId
      if (enough || pastCursor || next === undefined || next === "" || page.events.length === 0 || seenCursors.has(next)) {
        break
      }
      seenCursors.add(next)
      cursor = next
    }
    const chosen = candidates.slice(0, request.limit)
    if (request.traceIdPrefix) yield* singleTrace(request, candidates)
    return {
      spans: chosen.map((candidate): SpanRecord => fromRow(candidate.row, destination)),
      cursor: newestXact === undefined || (after !== undefined && compare(afterTransaction(newestXact), after) < 0)
        ? request.after
        : encodeCursor(afterTransaction(newestXact))
    }
  })

/**
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<TraceReader.TraceReader, never, BraintrustClient> =>
  Layer.effect(TraceReader.TraceReader, make(options))
