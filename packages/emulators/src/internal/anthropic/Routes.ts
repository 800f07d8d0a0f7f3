/**
 * Anthropic-shaped errors (`{type: "error", error: {type, message}}`) and `POST /v1/messages` (plain or streamed),
 * as `@effect/ai-anthropic` calls it (`/v1/messages?beta=true`, `x-api-key`, `anthropic-version`) and as the
 * plain API takes it (no `beta`: the body must also match `CreateMessageParams`).
 */
import {
  type CapturedRequest,
  json,
  type RequestRejection,
  type Route,
  type RouteResponse,
  sse,
  type VendorHooks
} from "../../EmulatorServer.js"
import type { OpenApiValidator, ValidationIssue } from "../../OpenApiValidator.js"
import { faultHeaders } from "../Auth.js"
import {
  chunks,
  dottedPath,
  isRecord,
  type ReplyMessage,
  type ReplyRequest,
  type ResolvedReply,
  resolveReply,
  type Respond
} from "../llm/Reply.js"

/** Anthropic's error body. */
export const anthropicError = (
  status: number,
  type: string,
  message: string,
  headers?: Record<string, string>
): RouteResponse => json({ type: "error", error: { type, message } }, { status, ...(headers ? { headers } : {}) })

/** Anthropic names a failing field as `messages.0.content: <message>`. */
const describe = (issues: ReadonlyArray<ValidationIssue>): string =>
  issues.map((issue) => `${dottedPath(issue.path, "anthropic") || "body"}: ${issue.message}`).join("; ")

const header = (request: CapturedRequest, name: string): string | undefined => {
  const value = request.headers[name]
  return typeof value === "string" ? value : undefined
}

export const anthropicHooks = (
  apiKeys: ReadonlyArray<string>,
  versions: ReadonlyArray<string>,
  reject: (rejection: RequestRejection) => void
): VendorHooks => ({
  authenticate: (request, operation) => {
    const key = header(request, "x-api-key")
    // The key itself never goes into the answer.
    if (key === undefined) return anthropicError(401, "authentication_error", "x-api-key header is required")
    if (!apiKeys.includes(key)) return anthropicError(401, "authentication_error", "invalid x-api-key")
    const version = header(request, "anthropic-version")
    if (version === undefined || !versions.includes(version)) {
      const issue: ValidationIssue = {
        location: "request",
        path: ["anthropic-version"],
        instancePath: "",
        keyword: version === undefined ? "required" : "enum",
        message: version === undefined
          ? "anthropic-version: header is required"
          : `anthropic-version: '${version}' is not a valid version (known: ${versions.join(", ")})`,
        params: {}
      }
      reject({
        method: request.method,
        path: request.path,
        operation: `${operation.method} ${operation.path}`,
        issues: [issue]
      })
      return anthropicError(400, "invalid_request_error", issue.message)
    }
    return { key, readOnly: false }
  },
  badRequest: (_, issues) => anthropicError(400, "invalid_request_error", describe(issues)),
  unknownRoute: () => anthropicError(404, "not_found_error", "Not found"),
  notImplemented: (_, operation) =>
    anthropicError(501, "api_error", `The Anthropic emulator does not implement ${operation.method} ${operation.path}`),
  internalError: () => anthropicError(500, "api_error", "Internal server error"),
  contractViolation: (request, issues) =>
    anthropicError(
      500,
      "api_error",
      `EmulatorContractViolation: the response to ${request.method} ${request.path} breaks the contract: ${
        issues.map((issue) => issue.message).join("; ")
      }`
    ),
  faultStatus: (_, action) => {
    const headers = faultHeaders(action)
    if (action.body !== undefined) return json(action.body, { status: action.status, headers })
    switch (action.status) {
      case 429:
        return anthropicError(429, "rate_limit_error", "Number of requests has exceeded your rate limit.", headers)
      case 529:
        return anthropicError(529, "overloaded_error", "Overloaded", headers)
      case 504:
        return anthropicError(504, "timeout_error", "Request timeout", headers)
      default:
        return anthropicError(action.status, "api_error", "Internal server error", headers)
    }
  },
  payloadTooLarge: () => anthropicError(413, "request_too_large", "Request exceeds the maximum allowed number of bytes.")
})

// ---------------------------------------------------------------------------------------------------------------
// Reading a request
// ---------------------------------------------------------------------------------------------------------------

const blockText = (content: unknown): string => {
  if (typeof content === "string") return content
  if (!Array.isArray(content)) return ""
  return content
    .map((block) => {
      if (!isRecord(block)) return ""
      if (typeof block["text"] === "string") return block["text"]
      if (block["type"] === "tool_result") return blockText(block["content"])
      if (block["type"] === "tool_use") return `${String(block["name"])}(${JSON.stringify(block["input"])})`
      return ""
    })
    .filter((t) => t !== "")
    .join("\n")
}

export const readMessagesRequest = (body: Record<string, unknown>, request: CapturedRequest): ReplyRequest => {
  const messages: Array<ReplyMessage> = []
  for (const message of Array.isArray(body["messages"]) ? body["messages"] : []) {
    if (!isRecord(message)) continue
    const content = message["content"]
    // A user turn made only of tool results is the tool's answer.
    const onlyResults = Array.isArray(content) && content.length > 0 &&
      content.every((b) => isRecord(b) && b["type"] === "tool_result")
    messages.push({ role: onlyResults ? "tool" : String(message["role"]), text: blockText(content) })
  }
  const system = body["system"] === undefined ? undefined : blockText(body["system"])
  const tools = Array.isArray(body["tools"])
    ? body["tools"].flatMap((t) => (isRecord(t) && typeof t["name"] === "string" ? [t["name"]] : []))
    : []
  const choice = isRecord(body["tool_choice"]) ? body["tool_choice"] : undefined
  const forced = choice && choice["type"] === "tool" && typeof choice["name"] === "string" ? choice["name"] : undefined
  const forcedTool = forced === undefined || !Array.isArray(body["tools"])
    ? undefined
    : body["tools"].find((t) => isRecord(t) && t["name"] === forced)
  const lastUser = [...messages].reverse().find((m) => m.role === "user")
  return {
    provider: "anthropic",
    model: String(body["model"]),
    system,
    messages,
    lastUserText: lastUser?.text ?? "",
    // `@effect/ai-anthropic` asks for structured output by forcing one tool whose input is the object.
    tools: forced === undefined ? tools : tools.filter((t) => t !== forced),
    structured: forced !== undefined && isRecord(forcedTool)
      ? { name: forced, schema: forcedTool["input_schema"] }
      : undefined,
    body,
    request
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Route
// ---------------------------------------------------------------------------------------------------------------

export interface AnthropicDeps {
  readonly respond: Respond
  readonly validator: OpenApiValidator
  readonly nextId: (prefix: string) => string
  readonly replies: Array<ReplyRequest>
  readonly reject: (rejection: RequestRejection) => void
}

/** The `Message` object for a resolved reply. */
const messageObject = (deps: AnthropicDeps, request: ReplyRequest, reply: ResolvedReply): Record<string, unknown> => {
  const content: Array<Record<string, unknown>> = []
  if (reply.hasJson && request.structured) {
    content.push({ type: "tool_use", id: deps.nextId("toolu"), name: request.structured.name, input: reply.json })
  } else if (reply.hasJson) {
    content.push({ type: "text", text: JSON.stringify(reply.json) })
  }
  if (reply.text !== undefined) content.push({ type: "text", text: reply.text })
  for (const call of reply.toolCalls) {
    content.push({ type: "tool_use", id: call.id, name: call.name, input: call.arguments })
  }
  const stopReason = reply.finish === "length"
    ? "max_tokens"
    : reply.toolCalls.length > 0 || (reply.hasJson && request.structured)
    ? "tool_use"
    : "end_turn"
  return {
    id: deps.nextId("msg"),
    type: "message",
    role: "assistant",
    model: request.model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: {
      input_tokens: reply.inputTokens,
      output_tokens: reply.outputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0
    }
  }
}

/** The Messages API event sequence for a finished message, as Anthropic streams it. */
const messageEvents = (message: Record<string, unknown>): Array<Record<string, unknown>> => {
  const usage = message["usage"] as Record<string, unknown>
  const events: Array<Record<string, unknown>> = [
    {
      type: "message_start",
      message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 0 } }
    },
    { type: "ping" }
  ]
  const content = message["content"] as Array<Record<string, unknown>>
  content.forEach((block, index) => {
    if (block["type"] === "text") {
      events.push({ type: "content_block_start", index, content_block: { type: "text", text: "" } })
      for (const text of chunks(String(block["text"]))) {
        events.push({ type: "content_block_delta", index, delta: { type: "text_delta", text } })
      }
    } else {
      events.push({ type: "content_block_start", index, content_block: { ...block, input: {} } })
      for (const partial_json of chunks(JSON.stringify(block["input"]))) {
        events.push({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json } })
      }
    }
    events.push({ type: "content_block_stop", index })
  })
  events.push({
    type: "message_delta",
    delta: { stop_reason: message["stop_reason"], stop_sequence: null },
    usage: { output_tokens: usage["output_tokens"] }
  })
  events.push({ type: "message_stop" })
  return events
}

export const anthropicRoutes = (deps: AnthropicDeps): ReadonlyArray<Route> => [
  {
    method: "POST",
    path: "/v1/messages",
    write: true,
    handle: async (context) => {
      const body = context.body as Record<string, unknown>
      if (context.request.query.get("beta") !== "true") {
        // The plain endpoint takes only the non-beta fields.
        const issues = deps.validator.validateComponent("CreateMessageParams", body).map((issue) => ({
          ...issue,
          location: "body" as const,
          message: issue.message.replace(/^response/, "body")
        }))
        if (issues.length > 0) {
          deps.reject({ method: context.method, path: context.path, operation: "POST /v1/messages", issues })
          return anthropicError(400, "invalid_request_error", describe(issues))
        }
      }
      const request = readMessagesRequest(body, context.request)
      deps.replies.push(request)
      const reply = resolveReply(await deps.respond(request), request, (prefix) =>
        deps.nextId(prefix === "call" ? "toolu" : prefix))
      const message = messageObject(deps, request, reply)
      if (body["stream"] !== true) return json(message)
      // Each event is checked against the schema `@effect/ai-anthropic` decodes it with before it is sent.
      return sse(messageEvents(message).map((event) => {
        const issues = deps.validator.validateComponent("MessageStreamEvent", event)
        if (issues.length > 0) context.reportViolation(`stream event ${String(event["type"])} breaks MessageStreamEvent`, issues)
        return { event: String(event["type"]), data: JSON.stringify(event) }
      }))
    }
  }
]
