/**
 * Plain-fetch helpers for talking to a running emulator in tests.
 */
import type { BraintrustEmulatorHandle } from "../src/BraintrustEmulator.js"

export interface ApiResponse<A = any> {
  readonly status: number
  readonly headers: Headers
  readonly body: A
  readonly text: string
}

export interface RequestOptions {
  readonly query?: Record<string, string | number | boolean | ReadonlyArray<string>>
  readonly body?: unknown
  readonly rawBody?: string
  readonly key?: string | null
  readonly headers?: Record<string, string>
}

export const call = async <A = any>(
  handle: Pick<BraintrustEmulatorHandle, "url" | "apiKey">,
  method: string,
  path: string,
  options: RequestOptions = {}
): Promise<ApiResponse<A>> => {
  const url = new URL(handle.url + path)
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (Array.isArray(value)) for (const v of value) url.searchParams.append(name, v)
    else url.searchParams.set(name, String(value))
  }
  const headers: Record<string, string> = { ...options.headers }
  const key = options.key === undefined ? handle.apiKey : options.key
  if (key !== null) headers["authorization"] = `Bearer ${key}`
  let body: string | undefined
  if (options.rawBody !== undefined) body = options.rawBody
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers["content-type"] = "application/json"
  }
  const response = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) })
  const text = await response.text()
  let parsed: unknown = text
  if ((response.headers.get("content-type") ?? "").includes("application/json") && text !== "") {
    parsed = JSON.parse(text)
  }
  return { status: response.status, headers: response.headers, body: parsed as A, text }
}

export interface Client {
  readonly get: <A = any>(path: string, options?: RequestOptions) => Promise<ApiResponse<A>>
  readonly post: <A = any>(path: string, body?: unknown, options?: RequestOptions) => Promise<ApiResponse<A>>
  readonly put: <A = any>(path: string, body?: unknown, options?: RequestOptions) => Promise<ApiResponse<A>>
  readonly patch: <A = any>(path: string, body?: unknown, options?: RequestOptions) => Promise<ApiResponse<A>>
  readonly del: <A = any>(path: string, options?: RequestOptions) => Promise<ApiResponse<A>>
}

export const client = (handle: Pick<BraintrustEmulatorHandle, "url" | "apiKey">): Client => ({
  get: (path, options) => call(handle, "GET", path, options),
  post: (path, body, options) => call(handle, "POST", path, { ...options, body }),
  put: (path, body, options) => call(handle, "PUT", path, { ...options, body }),
  patch: (path, body, options) => call(handle, "PATCH", path, { ...options, body }),
  del: (path, options) => call(handle, "DELETE", path, options)
})

/** Parses an SSE transcript into events. */
export const parseSse = (text: string): Array<{ event: string; data: string }> =>
  text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const lines = block.split("\n")
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? "message"
      const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.replace(/^data: ?/, "")).join("\n")
      return { event, data }
    })
