/**
 * An in-memory Basalt for unit tests: an `HttpClient` that captures every
 * request and answers from a handler (STYLE §B.4).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Layer, Redacted } from "effect"
import * as BasaltClient from "../src/BasaltClient.js"

export interface Captured {
  readonly method: string
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  /** The body as text (JSON bodies), or undefined. */
  readonly text: string | undefined
  /** The JSON body, parsed, when it is JSON. */
  readonly json: unknown
  readonly bytes: Uint8Array | undefined
}

export type Reply =
  | { readonly status: number; readonly json?: unknown; readonly text?: string; readonly headers?: Record<string, string> }
  | Response

export type Handler = (request: Captured, index: number) => Reply

const bodyBytes = (request: HttpClientRequest.HttpClientRequest): Uint8Array | undefined => {
  const body = request.body
  return body._tag === "Uint8Array" ? body.body : undefined
}

export const fakeBasalt = (handler: Handler) => {
  const captured: Array<Captured> = []
  const client = HttpClient.make((request, url) =>
    Effect.sync(() => {
      const bytes = bodyBytes(request)
      const text = bytes === undefined ? undefined : new TextDecoder().decode(bytes)
      let json: unknown = undefined
      if (text !== undefined && (request.headers["content-type"] ?? "").includes("json")) json = JSON.parse(text)
      const entry: Captured = { method: request.method, url: new URL(url.toString()), headers: request.headers, text, json, bytes }
      captured.push(entry)
      const reply = handler(entry, captured.length - 1)
      const response = reply instanceof Response
        ? reply
        : new Response(
          reply.text ?? (reply.json === undefined ? null : JSON.stringify(reply.json)),
          {
            status: reply.status,
            headers: reply.headers ?? (reply.json !== undefined ? { "content-type": "application/json" } : {})
          }
        )
      return HttpClientResponse.fromWeb(request, response)
    })
  )
  return { captured, layer: Layer.succeed(HttpClient.HttpClient, client) }
}

export const apiKey = "bas-test-key-0123456789"

export const clientOptions: BasaltClient.Options = {
  apiKey: Redacted.make(apiKey),
  apiUrl: "https://basalt.test",
  featureSlug: "support-bot",
  retry: { jitter: false }
}

/** A `BasaltClient` layer over the fake. */
export const clientLayer = (handler: Handler, options: Partial<BasaltClient.Options> = {}) => {
  const fake = fakeBasalt(handler)
  return {
    captured: fake.captured,
    layer: BasaltClient.layer({ ...clientOptions, ...options }).pipe(Layer.provide(fake.layer))
  }
}

export const promptResponse = (overrides: Record<string, unknown> = {}, warning?: string) => ({
  ...(warning !== undefined ? { warning } : {}),
  prompt: {
    slug: "greeting",
    version: "1.0.0",
    tag: "production",
    text: "Hello {{ name }}",
    systemText: "You are {{ persona }}.",
    model: {
      provider: "open-ai",
      client: "open-ai",
      model: "gpt-4o",
      version: "latest",
      parameters: { temperature: 0.7, topP: 1, maxLength: 4096, responseFormat: "text" }
    },
    ...overrides
  }
})
