/**
 * A loopback HTTP server that answers what Braintrust's SDK logger calls
 * (`/api/apikey/login`, `/api/project/register`, `/version`, `/logs3`) and
 * what promptops' Braintrust span sink calls (`POST /v1/project`,
 * `POST /v1/insert`), and keeps every row either of them writes.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

export const ORG_ID = "00000000-0000-4000-8000-0000000000a1"
export const PROJECT_ID = "00000000-0000-4000-8000-0000000000b2"

export type Row = Record<string, unknown>

export interface Capture {
  readonly url: string
  /** The rows of `POST /logs3` (the SDK), in the order written. */
  readonly sdkRows: Array<Row>
  /** The project-log rows of `POST /v1/insert` (promptops), in the order written. */
  readonly ourRows: Array<Row>
  /** Requests neither side should make (anything not answered above). */
  readonly unexpected: Array<string>
  readonly clear: () => void
  readonly close: () => Promise<void>
}

const project = (name: string) => ({ id: PROJECT_ID, org_id: ORG_ID, name, created: "2026-01-01T00:00:00.000Z" })

export const start = async (): Promise<Capture> => {
  const sdkRows: Array<Row> = []
  const ourRows: Array<Row> = []
  const unexpected: Array<string> = []
  let url = ""
  const server = Http.createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      const body = (text === "" ? {} : JSON.parse(text)) as Record<string, unknown>
      const path = (request.url ?? "").split("?")[0]
      const answer = (value: unknown, status = 200) => {
        response.writeHead(status, { "content-type": "application/json" })
        response.end(JSON.stringify(value))
      }
      const route = `${request.method} ${path}`
      switch (route) {
        case "POST /api/apikey/login":
          return answer({
            org_info: [{ id: ORG_ID, name: "parity", api_url: url, proxy_url: url, git_metadata: null }]
          })
        case "POST /api/project/register":
          return answer({ project: project(String(body["project_name"])) })
        case "GET /version":
          return answer({ version: "parity", logs3_payload_max_bytes: null })
        case "POST /logs3": {
          const rows = body["rows"] as Array<Row>
          sdkRows.push(...rows)
          return answer({ row_ids: rows.map((row) => row["id"]) })
        }
        case "POST /v1/project":
          return answer(project(String(body["name"])))
        case "POST /v1/insert": {
          const logs = (body["project_logs"] ?? {}) as Record<string, { events?: Array<Row> }>
          const ids: Record<string, { row_ids: Array<unknown> }> = {}
          for (const [id, writes] of Object.entries(logs)) {
            ourRows.push(...(writes.events ?? []))
            ids[id] = { row_ids: (writes.events ?? []).map((row) => row["id"]) }
          }
          return answer({ project_logs: ids })
        }
        default:
          unexpected.push(route)
          return answer({ message: `no route ${route}` }, 404)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    sdkRows,
    ourRows,
    unexpected,
    clear: () => {
      sdkRows.length = 0
      ourRows.length = 0
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      })
  }
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Braintrust's merge of a `_is_merge` row into the stored one: objects merge
 * key by key, deeply; anything else (arrays included) replaces.
 */
const mergeInto = (target: Record<string, unknown>, patch: Record<string, unknown>): void => {
  for (const key of Object.keys(patch)) {
    const value = patch[key]
    const current = Object.prototype.hasOwnProperty.call(target, key) ? target[key] : undefined
    if (isObject(value) && isObject(current)) mergeInto(current, value)
    else Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  }
}

/** The rows as stored: each id's writes applied in order (a non-merge write replaces the row). */
export const stored = (rows: ReadonlyArray<Row>): Array<Row> => {
  const byId = new Map<unknown, Row>()
  for (const row of rows) {
    const copy = JSON.parse(JSON.stringify(row)) as Row
    const existing = byId.get(row["id"])
    if (existing !== undefined && row["_is_merge"] === true) mergeInto(existing, copy)
    else byId.set(row["id"], copy)
  }
  return [...byId.values()]
}
