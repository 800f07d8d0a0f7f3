/**
 * An in-memory Braintrust for unit tests: an `HttpClient` that records every
 * request (method, URL, headers, JSON body) and answers from a handler.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Layer, Redacted } from "effect"
import * as BraintrustClient from "../src/BraintrustClient.js"

export interface Captured {
  readonly method: string
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  readonly body: any
}

export type Handler = (request: Captured, index: number) => Response | Promise<Response>

export const json = (body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response =>
  new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { "content-type": "application/json", ...init.headers }
  })

export const sse = (events: ReadonlyArray<{ readonly event: string; readonly data: string }>): Response =>
  new Response(events.map((e) => `event: ${e.event}\ndata: ${e.data}\n\n`).join(""), {
    status: 200,
    headers: { "content-type": "text/event-stream" }
  })

export const fakeVendor = (handler: Handler) => {
  const captured: Array<Captured> = []
  const client = HttpClient.make((request, url) =>
    Effect.promise(async () => {
      const body = request.body._tag === "Uint8Array"
        ? JSON.parse(new TextDecoder().decode(request.body.body))
        : undefined
      const entry: Captured = { method: request.method, url, headers: request.headers, body }
      captured.push(entry)
      return HttpClientResponse.fromWeb(request, await handler(entry, captured.length - 1))
    })
  )
  return { captured, httpLayer: Layer.succeed(HttpClient.HttpClient, client) }
}

export const API_KEY = "sk-test-0123456789"

export const clientLayer = (
  handler: Handler,
  options: Partial<BraintrustClient.Options> = {}
) => {
  const vendor = fakeVendor(handler)
  const layer = BraintrustClient.layer({
    apiKey: Redacted.make(API_KEY),
    project: "proj",
    retry: false,
    ...options
  }).pipe(Layer.provide(vendor.httpLayer))
  return { captured: vendor.captured, layer }
}

// -----------------------------------------------------------------------------
// Fixtures: valid Braintrust objects.
// -----------------------------------------------------------------------------

export const ORG_ID = "00000000-0000-4000-8000-000000000000"
export const PROJECT_ID = "11111111-1111-4111-8111-111111111111"
export const uuid = (n: number): string => `aaaaaaaa-aaaa-4aaa-8aaa-${n.toString(16).padStart(12, "0")}`

export const project = (name = "proj", id = PROJECT_ID) => ({ id, org_id: ORG_ID, name, created: "2026-11-22T10:00:00.000Z" })

export const functionObject = (n: number, extra: Record<string, unknown> = {}) => ({
  id: uuid(n),
  _xact_id: (1000192656880881099n + BigInt(n)).toString(),
  project_id: PROJECT_ID,
  log_id: "p",
  org_id: ORG_ID,
  name: `fn ${n}`,
  slug: `fn-${n}`,
  function_data: { type: "prompt" },
  ...extra
})

export const promptObject = (slug: string, xact: string, promptData: unknown, extra: Record<string, unknown> = {}) => ({
  id: uuid(900),
  _xact_id: xact,
  project_id: PROJECT_ID,
  log_id: "p",
  org_id: ORG_ID,
  name: slug,
  slug,
  prompt_data: promptData,
  ...extra
})

export const experimentObject = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
  id,
  project_id: PROJECT_ID,
  name,
  public: false,
  created: "2026-11-22T10:00:00.000Z",
  ...extra
})
