/**
 * Event rows of experiments, datasets and project logs (§4): insert with replace / merge / `_merge_paths` /
 * `_array_delete` / `_object_delete`, fetch with trace-counted limits and an opaque cursor, and feedback.
 *
 * Every write request gets one new `_xact_id`; rows written by it carry that id. Fetch returns the newest version
 * of each row only (a subset of what the real service may return, which is allowed by §2.4: clients de-dup by id).
 */
import { arrayDelete, clone, eventMerge, isPlainObject, type JsonObject } from "../Json.js"
import type { BraintrustDeps } from "./Context.js"
import { failBadRequest } from "./Errors.js"
import type { BraintrustStore, ContainerKind, EventContainer, RowVersion } from "./Store.js"
import { parseVersion } from "./XactId.js"

const CONTROL_FIELDS = ["_is_merge", "_merge_paths", "_array_delete", "_object_delete", "_parent_id"] as const
const TRACE_FIELDS = ["span_id", "root_span_id", "span_parents"] as const

/** The keys every row of a container carries (§4.4 "container keys"). */
export const containerKeys = (store: BraintrustStore, kind: ContainerKind, id: string, projectId: string): JsonObject => {
  switch (kind) {
    case "experiment":
      return { project_id: projectId, experiment_id: id }
    case "dataset":
      return { project_id: projectId, dataset_id: id }
    case "project_logs":
      return { org_id: store.org.id, project_id: projectId, log_id: "g" }
  }
}

const latest = (container: EventContainer, id: string): JsonObject | undefined => {
  const versions = container.rows.get(id)
  return versions?.[versions.length - 1]?.row
}

const pushVersion = (container: EventContainer, id: string, version: RowVersion): void => {
  const versions = container.rows.get(id)
  if (versions) versions.push(version)
  else container.rows.set(id, [version])
}

/** Fills what the server sets on a row that starts a new version line: ids, trace fields, `created`. */
const completeRow = (
  container: EventContainer,
  store: BraintrustStore,
  id: string,
  fields: JsonObject,
  parentId: unknown
): JsonObject => {
  const row: JsonObject = { ...fields, id }
  if (typeof parentId === "string" && row["span_parents"] === undefined) {
    // Deprecated `_parent_id`: hang the row under the parent row's span.
    const parent = latest(container, parentId)
    if (parent) {
      row["span_parents"] = [parent["span_id"]]
      row["root_span_id"] ??= parent["root_span_id"]
    }
  }
  if (typeof row["span_id"] !== "string") row["span_id"] = id
  if (typeof row["root_span_id"] !== "string") row["root_span_id"] = row["span_id"]
  if (typeof row["created"] !== "string") row["created"] = store.isoNow()
  return row
}

/**
 * Writes `events` into the container as one transaction. Returns the row ids in input order.
 */
export const insertEvents = (
  store: BraintrustStore,
  container: EventContainer,
  events: ReadonlyArray<JsonObject>,
  keys: JsonObject,
  options: { readonly datasetFields?: boolean } = {}
): Array<string> => {
  const xactId = store.nextXact()
  return events.map((event) => {
    const id = typeof event["id"] === "string" ? event["id"] : store.uuid()
    const fields: JsonObject = {}
    for (const [key, value] of Object.entries(event)) {
      if ((CONTROL_FIELDS as ReadonlyArray<string>).includes(key) || value === undefined) continue
      // No copy: the body was parsed for this request alone, so nothing else holds these values
      // (copying them was the emulator's largest cost per inserted row).
      fields[key] = value
    }
    if (options.datasetFields && fields["output"] !== undefined && fields["expected"] === undefined) {
      // Datasets keep `expected`; the SDK maps a dataset row's `output` onto it.
      fields["expected"] = fields["output"]
      delete fields["output"]
    }
    if (event["_object_delete"] === true) {
      pushVersion(container, id, { xactId, seq: store.nextSeq(), row: undefined })
      return id
    }
    const existing = latest(container, id)
    let row: JsonObject
    if (event["_is_merge"] === true && existing) {
      for (const key of TRACE_FIELDS) delete fields[key]
      delete fields["created"]
      const mergePaths = Array.isArray(event["_merge_paths"])
        ? (event["_merge_paths"] as Array<Array<string>>)
        : []
      row = eventMerge(existing, fields, mergePaths)
    } else {
      row = completeRow(container, store, id, fields, event["_parent_id"])
    }
    if (Array.isArray(event["_array_delete"])) {
      row = arrayDelete(row, event["_array_delete"] as Array<{ path: Array<string>; delete: Array<unknown> }>)
    }
    Object.assign(row, keys)
    pushVersion(container, id, { xactId, seq: store.nextSeq(), row })
    return id
  })
}

/**
 * Feedback (§2.4, §4.3): `scores` merge into the row's scores, `expected` and `tags` replace, a `comment` is
 * appended to `comments`, and `metadata`/`source` go to the `audit_data` trail rather than the row. A row that does
 * not exist yet is created (feedback is a merge write, like the SDK's logs3 feedback rows).
 */
export const applyFeedback = (
  store: BraintrustStore,
  container: EventContainer,
  items: ReadonlyArray<JsonObject>,
  keys: JsonObject,
  options: { readonly allowScores: boolean }
): void => {
  const xactId = store.nextXact()
  for (const item of items) {
    const id = String(item["id"])
    const base = latest(container, id) ?? completeRow(container, store, id, {}, undefined)
    let row: JsonObject = { ...base }
    if (options.allowScores && isPlainObject(item["scores"])) {
      row = eventMerge(row, { scores: item["scores"] })
    }
    if (options.allowScores && item["expected"] !== undefined) row["expected"] = clone(item["expected"])
    if (Array.isArray(item["tags"])) row["tags"] = [...(item["tags"] as Array<string>)]
    const source = typeof item["source"] === "string" ? item["source"] : "external"
    const created = store.isoNow()
    if (typeof item["comment"] === "string") {
      const comments = Array.isArray(row["comments"]) ? [...(row["comments"] as Array<unknown>)] : []
      comments.push({ id: store.uuid(), created, source, comment: { text: item["comment"] } })
      row["comments"] = comments
    }
    const audit = Array.isArray(row["audit_data"]) ? [...(row["audit_data"] as Array<unknown>)] : []
    audit.push({
      _xact_id: xactId.toString(),
      created,
      source,
      ...(isPlainObject(item["metadata"]) ? { metadata: clone(item["metadata"]) } : {}),
      ...(item["comment"] !== undefined && item["comment"] !== null ? { comment: item["comment"] } : {})
    })
    row["audit_data"] = audit
    Object.assign(row, keys)
    pushVersion(container, id, { xactId, seq: store.nextSeq(), row })
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Fetch
// ---------------------------------------------------------------------------------------------------------------

interface Cursor {
  /** The snapshot the paging started from, so later writes do not shift pages. */
  readonly s: string
  /** Key of the last trace on the previous page. */
  readonly x: string
  readonly r: string
}

const encodeCursor = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor)).toString("base64url")

const decodeCursor = (text: string): Cursor | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"))
    if (
      isPlainObject(value) && typeof value["s"] === "string" && typeof value["x"] === "string" &&
      typeof value["r"] === "string" && /^\d+$/.test(value["s"]) && /^\d+$/.test(value["x"])
    ) {
      return { s: value["s"], x: value["x"], r: value["r"] }
    }
  } catch {
    // fall through
  }
  return undefined
}

export interface FetchParams {
  readonly limit?: unknown
  readonly cursor?: unknown
  readonly max_xact_id?: unknown
  readonly max_root_span_id?: unknown
  readonly version?: unknown
}

interface Trace {
  readonly root: string
  readonly xact: bigint
  readonly rows: Array<{ readonly version: RowVersion; readonly row: JsonObject }>
}

const compareTraceDesc = (a: { xact: bigint; root: string }, b: { xact: bigint; root: string }): number =>
  a.xact === b.xact ? (a.root < b.root ? 1 : a.root > b.root ? -1 : 0) : a.xact < b.xact ? 1 : -1

/** Strictly after `key` in descending order. */
const isAfter = (trace: { xact: bigint; root: string }, key: { xact: bigint; root: string }): boolean =>
  compareTraceDesc(trace, key) > 0

export const fetchEvents = (
  deps: BraintrustDeps,
  path: string,
  container: EventContainer,
  params: FetchParams
): { events: Array<JsonObject>; cursor?: string } => {
  const { store } = deps
  let snapshot: bigint | undefined
  let after: { xact: bigint; root: string } | undefined
  if (typeof params.cursor === "string" && params.cursor !== "") {
    const cursor = decodeCursor(params.cursor)
    if (!cursor) return failBadRequest(deps, path, "Invalid pagination cursor")
    snapshot = BigInt(cursor.s)
    after = { xact: BigInt(cursor.x), root: cursor.r }
  } else if (typeof params.version === "string" && params.version !== "") {
    snapshot = parseVersion(params.version)
    if (snapshot === undefined) return failBadRequest(deps, path, `Invalid version ${params.version}`)
  }
  if (typeof params.max_xact_id === "string" && params.max_xact_id !== "") {
    const maxXact = parseVersion(params.max_xact_id)
    if (maxXact === undefined) return failBadRequest(deps, path, `Invalid max_xact_id ${params.max_xact_id}`)
    if (typeof params.max_root_span_id === "string") {
      after ??= { xact: maxXact, root: params.max_root_span_id }
    } else {
      snapshot = snapshot === undefined || maxXact < snapshot ? maxXact : snapshot
    }
  }
  const effectiveSnapshot = snapshot ?? store.currentXact

  const traces = new Map<string, { root: string; xact: bigint; rows: Trace["rows"] }>()
  for (const entry of store.liveRows(container, effectiveSnapshot)) {
    const root = String(entry.row["root_span_id"])
    const trace = traces.get(root) ?? { root, xact: 0n, rows: [] }
    trace.rows.push(entry)
    if (entry.version.xactId > trace.xact) trace.xact = entry.version.xactId
    traces.set(root, trace)
  }
  const ordered = [...traces.values()].sort(compareTraceDesc).filter((t) => !after || isAfter(t, after))
  const limit = typeof params.limit === "number" ? params.limit : undefined
  const page = limit === undefined ? ordered : ordered.slice(0, limit)
  const events = page.flatMap((trace) =>
    [...trace.rows]
      .sort((a, b) =>
        a.version.xactId === b.version.xactId ? b.version.seq - a.version.seq : a.version.xactId < b.version.xactId ? 1 : -1
      )
      .map(({ row, version }) => {
        const parents = row["span_parents"]
        return {
          ...clone(row),
          _xact_id: version.xactId.toString(),
          _pagination_key: `p${version.xactId.toString().padStart(20, "0")}${String(version.seq).padStart(10, "0")}`,
          is_root: !Array.isArray(parents) || parents.length === 0
        }
      })
  )
  const last = page[page.length - 1]
  const more = last !== undefined && ordered.length > page.length
  return more
    ? { events, cursor: encodeCursor({ s: effectiveSnapshot.toString(), x: last.xact.toString(), r: last.root }) }
    : { events }
}
