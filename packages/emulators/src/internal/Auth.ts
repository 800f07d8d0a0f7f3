/**
 * Request plumbing both emulators' vendor hooks share.
 */
import type { CapturedRequest } from "../EmulatorServer.js"
import type { FaultAction } from "../Faults.js"

/** The key of an `Authorization: Bearer <key>` header, if the request has one. */
export const bearer = (request: CapturedRequest): string | undefined => {
  const header = request.headers.authorization
  if (typeof header !== "string") return undefined
  const m = /^\s*Bearer\s+(.+)$/i.exec(header)
  return m ? m[1]!.trim() : undefined
}

/** The headers of an injected status fault: its own, plus `retry-after` when it sets one. */
export const faultHeaders = (action: Extract<FaultAction, { kind: "status" }>): Record<string, string> => {
  const headers: Record<string, string> = { ...action.headers }
  if (action.retryAfter !== undefined) headers["retry-after"] = String(action.retryAfter)
  return headers
}
