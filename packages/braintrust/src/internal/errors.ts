/**
 * Braintrust's error format, for `ProviderHttp`'s `errorFormat`: the
 * `x-bt-internal-trace-id` header, and the API's error body
 * `{Code, Message, InternalTraceId, Path, Service}`, whose `Message` may hold
 * JSON `{"error", "errors": [zod issues]}` followed by a
 * ` [user_email=…] [user_org=…] [timestamp=…]` suffix (dropped: it is
 * personal data and noise).
 */
import * as ProviderHttp from "@promptops/core/ProviderHttp"
import { Predicate } from "effect"

// ` [user_email=…] [user_org=…] [timestamp=…]` at the end of a Braintrust message.
const contextSuffix = /(\s*\[[A-Za-z_][\w.-]*=[^\]]*\])+\s*$/

const collapse = (text: string): string => text.replace(/\s+/g, " ").trim()

const parseJson = (text: string): { readonly value: unknown } | undefined => {
  try {
    return { value: JSON.parse(text) }
  } catch {
    return undefined
  }
}

/**
 * Reads a body with a string `Message` (the zod issues inside it, when it
 * holds JSON) and `InternalTraceId` as the request id; any other body is left
 * to the common reading, with `InternalTraceId` as its request id.
 */
export const readErrorJson = (body: unknown): ProviderHttp.ParsedErrorBody | undefined => {
  if (!Predicate.isRecord(body)) return undefined
  // The common reading gives the `request_id`/`requestId` fallback and any top-level `errors`.
  const common = ProviderHttp.readErrorJson(body)
  const traceId = typeof body.InternalTraceId === "string" && body.InternalTraceId.trim() !== ""
    ? body.InternalTraceId.trim()
    : undefined
  const requestId = traceId ?? common?.requestId
  if (typeof body.Message === "string") {
    const message = body.Message.replace(contextSuffix, "").trim()
    const embedded = message.startsWith("{") ? parseJson(message) : undefined
    const inner = embedded === undefined ? undefined : ProviderHttp.readErrorJson(embedded.value)
    if (inner !== undefined) {
      return { description: inner.description, requestId: requestId ?? inner.requestId, issues: inner.issues }
    }
    return { description: collapse(message), requestId, issues: common?.issues ?? [] }
  }
  return common === undefined ? undefined : { ...common, requestId }
}

/** What `BraintrustClient.make` passes to `ProviderHttp.make`. */
export const errorFormat: ProviderHttp.ErrorFormat = {
  requestIdHeaders: ["x-bt-internal-trace-id"],
  readErrorJson
}
