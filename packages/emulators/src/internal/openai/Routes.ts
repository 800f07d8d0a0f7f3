/**
 * OpenAI-shaped errors (`{error: {message, type, param, code}}`) and the two operations the emulator serves:
 * `POST /v1/responses` (Responses API, plain or streamed as Server-Sent Events) and `POST /v1/embeddings`.
 */
import { json, type Route, type RouteResponse, sse, type VendorHooks } from "../../EmulatorServer.js"
import type { OpenApiValidator, ValidationIssue } from "../../OpenApiValidator.js"
import { bearer, faultHeaders } from "../Auth.js"
import {
  chunks,
  dottedPath,
  embed,
  isRecord,
  type ReplyMessage,
  type ReplyRequest,
  type ResolvedReply,
  resolveReply,
  type Respond
} from "../llm/Reply.js"

/** OpenAI's error body. */
export const openAiError = (
  status: number,
  message: string,
  type: string,
  options: { readonly param?: string | null; readonly code?: string | null; readonly headers?: Record<string, string> } =
    {}
): RouteResponse =>
  json(
    { error: { message, type, param: options.param ?? null, code: options.code ?? null } },
    { status, ...(options.headers ? { headers: options.headers } : {}) }
  )

/** The issue's path in OpenAI's notation (`input[0].content`), `body` when it is the whole body. */
const issueParam = (issue: ValidationIssue): string => dottedPath(issue.path, "openai") || "body"

export const openAiHooks = (apiKeys: ReadonlyArray<string>): VendorHooks => ({
  authenticate: (request) => {
    const key = bearer(request)
    if (key === undefined) {
      return openAiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        "invalid_request_error"
      )
    }
    // The key itself never goes into the answer (OpenAI echoes a masked prefix; we echo nothing).
    if (!apiKeys.includes(key)) {
      return openAiError(401, "Incorrect API key provided.", "invalid_request_error", { code: "invalid_api_key" })
    }
    return { key, readOnly: false }
  },
  badRequest: (_, issues) => {
    const first = issues[0]
    return openAiError(
      400,
      `Invalid request: ${issues.map((issue) => `${issueParam(issue)}: ${issue.message}`).join("; ")}`,
      "invalid_request_error",
      { param: first ? issueParam(first) : null, code: first?.keyword === "json" ? "invalid_json" : "invalid_value" }
    )
  },
  unknownRoute: (request) =>
    openAiError(404, `Invalid URL (${request.method} ${request.path})`, "invalid_request_error"),
  notImplemented: (_, operation) =>
    openAiError(
      501,
      `The OpenAI emulator does not implement ${operation.method} ${operation.path}`,
      "invalid_request_error"
    ),
  internalError: () => openAiError(500, "The server had an error while processing your request.", "server_error"),
  contractViolation: (request, issues) =>
    openAiError(
      500,
      `EmulatorContractViolation: the response to ${request.method} ${request.path} breaks the OpenAPI contract: ${
        issues.map((issue) => issue.message).join("; ")
      }`,
      "server_error"
    ),
  faultStatus: (_, action) => {
    const headers = faultHeaders(action)
    if (action.body !== undefined) return json(action.body, { status: action.status, headers })
    if (action.status === 429) {
      return openAiError(429, "Rate limit reached for requests. Please try again later.", "requests", {
        code: "rate_limit_exceeded",
        headers
      })
    }
    return openAiError(
      action.status,
      "The server had an error while processing your request. Sorry about that!",
      "server_error",
      { headers }
    )
  },
  payloadTooLarge: () => openAiError(413, "Request body too large.", "invalid_request_error")
})

// ---------------------------------------------------------------------------------------------------------------
// Reading a request
// ---------------------------------------------------------------------------------------------------------------

const contentText = (content: unknown): string => {
  if (typeof content === "string") return content
  if (!Array.isArray(content)) return ""
  return content
    .map((part) => (isRecord(part) && typeof part["text"] === "string" ? part["text"] : ""))
    .filter((t) => t !== "")
    .join("\n")
}

/** The Responses API input as role + text messages; tool outputs and calls become `tool` / `assistant` lines. */
export const readResponsesRequest = (
  body: Record<string, unknown>,
  request: ReplyRequest["request"]
): ReplyRequest => {
  const messages: Array<ReplyMessage> = []
  const system: Array<string> = []
  if (typeof body["instructions"] === "string") system.push(body["instructions"])
  const input = body["input"]
  if (typeof input === "string") messages.push({ role: "user", text: input })
  else if (Array.isArray(input)) {
    for (const item of input) {
      if (!isRecord(item)) continue
      const type = item["type"]
      if (type === "function_call_output") {
        messages.push({ role: "tool", text: typeof item["output"] === "string" ? item["output"] : contentText(item["output"]) })
      } else if (type === "function_call") {
        messages.push({ role: "assistant", text: `${String(item["name"])}(${String(item["arguments"])})` })
      } else if (typeof item["role"] === "string") {
        const text = contentText(item["content"])
        if (item["role"] === "system" || item["role"] === "developer") system.push(text)
        messages.push({ role: item["role"], text })
      }
    }
  }
  const tools = Array.isArray(body["tools"])
    ? body["tools"].flatMap((t) => (isRecord(t) && typeof t["name"] === "string" ? [t["name"]] : []))
    : []
  const text = isRecord(body["text"]) ? body["text"] : undefined
  const format = text && isRecord(text["format"]) ? text["format"] : undefined
  const structured = format && format["type"] === "json_schema"
    ? { name: String(format["name"]), schema: format["schema"] }
    : format && format["type"] === "json_object"
    ? { name: "json_object", schema: undefined }
    : undefined
  const lastUser = [...messages].reverse().find((m) => m.role === "user")
  return {
    provider: "openai",
    model: String(body["model"]),
    system: system.length > 0 ? system.join("\n") : undefined,
    messages,
    lastUserText: lastUser?.text ?? "",
    tools,
    structured,
    body,
    request
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------------------------

export interface OpenAiDeps {
  readonly respond: Respond
  readonly embeddingDimensions: number
  readonly now: () => number
  readonly nextId: (prefix: string) => string
  readonly replies: Array<ReplyRequest>
  readonly validator: OpenApiValidator
}

/** The full `Response` object for a resolved reply. */
const responseObject = (
  deps: OpenAiDeps,
  body: Record<string, unknown>,
  request: ReplyRequest,
  reply: ResolvedReply
): Record<string, unknown> => {
  const output: Array<Record<string, unknown>> = []
  const text = reply.hasJson ? JSON.stringify(reply.json) : reply.text
  if (text !== undefined) {
    output.push({
      id: deps.nextId("msg"),
      type: "message",
      role: "assistant",
      status: reply.finish === "length" ? "incomplete" : "completed",
      content: [{ type: "output_text", text, annotations: [], logprobs: [] }]
    })
  }
  for (const call of reply.toolCalls) {
    output.push({
      id: deps.nextId("fc"),
      type: "function_call",
      call_id: call.id,
      name: call.name,
      arguments: JSON.stringify(call.arguments),
      status: "completed"
    })
  }
  const createdAt = Math.floor(deps.now() / 1000)
  return {
    id: deps.nextId("resp"),
    object: "response",
    created_at: createdAt,
    status: reply.finish === "length" ? "incomplete" : "completed",
    completed_at: reply.finish === "length" ? null : createdAt,
    error: null,
    incomplete_details: reply.finish === "length" ? { reason: "max_output_tokens" } : null,
    instructions: typeof body["instructions"] === "string" ? body["instructions"] : null,
    max_output_tokens: typeof body["max_output_tokens"] === "number" ? body["max_output_tokens"] : null,
    model: request.model,
    output,
    parallel_tool_calls: typeof body["parallel_tool_calls"] === "boolean" ? body["parallel_tool_calls"] : true,
    previous_response_id: null,
    temperature: typeof body["temperature"] === "number" ? body["temperature"] : 1,
    top_p: typeof body["top_p"] === "number" ? body["top_p"] : 1,
    tool_choice: body["tool_choice"] ?? "auto",
    tools: Array.isArray(body["tools"]) ? body["tools"] : [],
    metadata: isRecord(body["metadata"]) ? body["metadata"] : {},
    usage: {
      input_tokens: reply.inputTokens,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: reply.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: reply.inputTokens + reply.outputTokens
    }
  }
}

/** The Responses API event sequence for a finished response, as OpenAI streams it. */
const responseEvents = (response: Record<string, unknown>): Array<Record<string, unknown>> => {
  const events: Array<Record<string, unknown>> = []
  const push = (event: Record<string, unknown>): void => {
    events.push({ ...event, sequence_number: events.length })
  }
  const { completed_at: _completedAt, usage: _usage, ...pending } = response
  const started = { ...pending, status: "in_progress", output: [], incomplete_details: null }
  push({ type: "response.created", response: started })
  push({ type: "response.in_progress", response: started })
  const output = response["output"] as Array<Record<string, unknown>>
  output.forEach((item, outputIndex) => {
    const itemId = String(item["id"])
    if (item["type"] === "message") {
      push({ type: "response.output_item.added", output_index: outputIndex, item: { ...item, status: "in_progress", content: [] } })
      const part = (item["content"] as Array<Record<string, unknown>>)[0]!
      const text = String(part["text"])
      const base = { item_id: itemId, output_index: outputIndex, content_index: 0 }
      push({ type: "response.content_part.added", ...base, part: { ...part, text: "" } })
      for (const delta of chunks(text)) push({ type: "response.output_text.delta", ...base, delta, logprobs: [] })
      push({ type: "response.output_text.done", ...base, text, logprobs: [] })
      push({ type: "response.content_part.done", ...base, part })
    } else {
      push({ type: "response.output_item.added", output_index: outputIndex, item: { ...item, status: "in_progress", arguments: "" } })
      const args = String(item["arguments"])
      for (const delta of chunks(args)) {
        push({ type: "response.function_call_arguments.delta", item_id: itemId, output_index: outputIndex, delta })
      }
      push({
        type: "response.function_call_arguments.done",
        item_id: itemId,
        name: item["name"],
        output_index: outputIndex,
        arguments: args
      })
    }
    push({ type: "response.output_item.done", output_index: outputIndex, item })
  })
  push({ type: response["status"] === "incomplete" ? "response.incomplete" : "response.completed", response })
  return events
}

export const openAiRoutes = (deps: OpenAiDeps): ReadonlyArray<Route> => [
  {
    method: "POST",
    path: "/v1/responses",
    write: true,
    handle: async (context) => {
      const body = context.body as Record<string, unknown>
      const request = readResponsesRequest(body, context.request)
      deps.replies.push(request)
      const reply = resolveReply(await deps.respond(request), request, deps.nextId)
      const response = responseObject(deps, body, request, reply)
      if (body["stream"] !== true) return json(response)
      // The file declares the stream's events as `ResponseStreamEvent`: each one is checked before it is sent.
      return sse(responseEvents(response).map((event) => {
        const issues = deps.validator.validateComponent("ResponseStreamEvent", event)
        if (issues.length > 0) context.reportViolation(`stream event ${String(event["type"])} breaks ResponseStreamEvent`, issues)
        return { event: String(event["type"]), data: JSON.stringify(event) }
      }))
    }
  },
  {
    method: "POST",
    path: "/v1/embeddings",
    write: true,
    handle: (context) => {
      const body = context.body as Record<string, unknown>
      const raw = body["input"]
      // string | string[] | number[] | number[][]: one token array is one input.
      const inputs: Array<string | ReadonlyArray<number>> = typeof raw === "string"
        ? [raw]
        : Array.isArray(raw) && raw.every((x) => typeof x === "number")
        ? [raw as Array<number>]
        : (raw as Array<string | Array<number>>)
      const dimensions = typeof body["dimensions"] === "number" ? body["dimensions"] : deps.embeddingDimensions
      const tokens = inputs.reduce(
        (n, input) => n + (typeof input === "string" ? input.split(/\s+/).filter((w) => w !== "").length : input.length),
        0
      )
      return json({
        object: "list",
        model: String(body["model"]),
        data: inputs.map((input, index) => ({ object: "embedding", index, embedding: embed(input, dimensions) })),
        usage: { prompt_tokens: tokens, total_tokens: tokens }
      })
    }
  }
]
