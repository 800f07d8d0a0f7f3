/**
 * Basalt-shaped error responses (`{error}`, or no body where the OpenAPI file declares none) and the plumbing
 * hooks built on them.
 */
import { empty, EmulatorHttpError, json, type RouteContext, type RouteResponse, text, type VendorHooks } from "../../EmulatorServer.js"
import type { OpenApiValidator, OperationSpec } from "../../OpenApiValidator.js"
import { bearer, faultHeaders } from "../Auth.js"

/**
 * Basalt's error answer for an operation: `{error}` where the OpenAPI file declares a body for the status (or
 * does not declare the status), no body where it declares the status without one.
 */
export const errorResponse = (operation: OperationSpec | undefined, status: number, message: string): RouteResponse => {
  const spec = operation?.responses[String(status)]
  if (spec !== undefined && Object.keys(spec.content ?? {}).length === 0) {
    return empty({ status, headers: { "x-emulator-error": message.replace(/[^\x20-\x7e]/g, "?") } })
  }
  return json({ error: message }, { status })
}

/** Throws Basalt's error answer from inside a handler. */
export const fail = (context: RouteContext, status: number, message: string): never => {
  throw new EmulatorHttpError(errorResponse(context.operation, status, message), message)
}

const gatewayPage = (status: number): string =>
  `<!DOCTYPE html><html><head><title>${status} ${
    status === 502 ? "Bad Gateway" : status === 504 ? "Gateway Timeout" : "Service Unavailable"
  }</title></head><body><h1>${status}</h1><p>The upstream server did not answer.</p></body></html>`

/** The hooks that make the shared plumbing answer like Basalt. */
export const basaltHooks = (apiKeys: ReadonlyArray<string>, validator: OpenApiValidator): VendorHooks => ({
  authenticate: (request) => {
    const token = bearer(request)
    if (token === undefined || !apiKeys.includes(token)) {
      return json({ error: token === undefined ? "Missing API key" : "Invalid API key" }, { status: 401 })
    }
    return { key: token, readOnly: false }
  },
  badRequest: (request, issues) => {
    const lookup = validator.lookup(request.method, request.path)
    return errorResponse(
      lookup._tag === "Found" ? lookup.match.operation : undefined,
      400,
      `Invalid request: ${issues.map((issue) => issue.message).join("; ")}`
    )
  },
  unknownRoute: () => json({ error: "Not found" }, { status: 404 }),
  notImplemented: (_, operation) =>
    json({ error: `The Basalt emulator does not implement ${operation.method} ${operation.path}` }, { status: 501 }),
  internalError: () => json({ error: "Internal server error" }, { status: 500 }),
  contractViolation: (request, issues) =>
    json({
      error: `EmulatorContractViolation: the response to ${request.method} ${request.path} breaks the OpenAPI contract: ${
        issues.map((issue) => issue.message).join("; ")
      }`
    }, { status: 500 }),
  faultStatus: (request, action) => {
    const headers = faultHeaders(action)
    if (action.body !== undefined) return json(action.body, { status: action.status, headers })
    if (action.status === 502 || action.status === 503 || action.status === 504) {
      // What a gateway in front of the API sends: an HTML page, not JSON.
      return text(gatewayPage(action.status), { status: action.status, headers: { ...headers, "content-type": "text/html; charset=utf-8" } })
    }
    const error = action.status === 429
      ? "Too many requests"
      : action.status === 500 && request.path === "/monitor/trace"
      ? "Failed to create trace"
      : action.status === 500 && request.path === "/monitor/log"
      ? "Failed to create log"
      : `HTTP ${action.status}`
    return json({ error }, { status: action.status, headers })
  },
  payloadTooLarge: () => json({ error: "Request body too large" }, { status: 413 })
})
