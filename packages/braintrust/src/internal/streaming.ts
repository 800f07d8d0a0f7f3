/**
 * The Server-Sent Events calls (`invoke` and eval launch with `stream: true`):
 * the request, and each event read as a `StreamEvent`.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { DecodeError, type PromptOpsError } from "@promptops/core/PromptOpsError"
import * as ProviderHttp from "@promptops/core/ProviderHttp"
import { type Duration, Effect, ParseResult, Schema, Stream } from "effect"
import { EvalStart, type StreamEvent } from "../BraintrustEvalSchema.js"
import { SummarizeExperimentResponse } from "../BraintrustSchema.js"
import { opName, provider, withBody } from "./request.js"
import * as Sse from "./sse.js"

const jsonOr = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const textOf = (data: string): string => {
  const parsed = jsonOr(data)
  return typeof parsed === "string" ? parsed : data
}

const decodeEvalStart = Schema.decodeUnknown(EvalStart)
const decodeSummary = Schema.decodeUnknown(SummarizeExperimentResponse)

const toStreamEvent = (operation: string) => (event: Sse.SseEvent): Effect.Effect<StreamEvent, PromptOpsError> => {
  const decodeError = (error: ParseResult.ParseError) => {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
    return new DecodeError({
      provider,
      operation: opName(operation),
      path: ProviderHttp.formatPath([event.event, ...(issue?.path ?? [])]),
      description: `unexpected ${event.event} event: ${issue?.message ?? error.message}`
    })
  }
  switch (event.event) {
    case "text_delta":
      return Effect.succeed({ _tag: "TextDelta", text: textOf(event.data) })
    case "reasoning_delta":
      return Effect.succeed({ _tag: "ReasoningDelta", text: textOf(event.data) })
    case "json_delta":
      return Effect.succeed({ _tag: "JsonDelta", chunk: event.data })
    case "progress":
      return Effect.succeed({ _tag: "Progress", data: jsonOr(event.data) })
    case "console":
      return Effect.succeed({ _tag: "Console", data: jsonOr(event.data) })
    case "start":
      return event.data.trim() === ""
        ? Effect.succeed({ _tag: "Start", start: {} })
        : Effect.map(Effect.mapError(decodeEvalStart(jsonOr(event.data)), decodeError), (start) => ({
          _tag: "Start" as const,
          start
        }))
    case "summary":
      return Effect.map(Effect.mapError(decodeSummary(jsonOr(event.data)), decodeError), (summary) => ({
        _tag: "Summary" as const,
        summary
      }))
    case "error":
      return Effect.succeed({ _tag: "Error", message: textOf(event.data) })
    case "done":
      return Effect.succeed({ _tag: "Done" })
    default:
      return Effect.succeed({ _tag: "Other", event: event.event, data: event.data })
  }
}

/** `POST path` with `body`, sent once, read as Server-Sent Events. */
export const sse = (
  http: ProviderHttp.ProviderHttp,
  operation: string,
  path: string,
  body: unknown,
  timeout: Duration.DurationInput | undefined
): Stream.Stream<StreamEvent, PromptOpsError> =>
  Stream.unwrap(
    Effect.gen(function*() {
      const base = HttpClientRequest.post(path).pipe(HttpClientRequest.setHeader("accept", "text/event-stream"))
      const request = yield* withBody(operation, base, body)
      const response = yield* http.stream(opName(operation), request, {
        retry: false,
        ...(timeout !== undefined ? { timeout } : {})
      })
      return Stream.mapEffect(Sse.parse(response.body), toStreamEvent(operation))
    })
  )
