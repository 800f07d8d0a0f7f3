/**
 * Braintrust-shaped error responses (vendors/braintrust.md §8) and the plumbing hooks built on them.
 */
import { createHash, randomBytes } from "node:crypto"
import { STATUS_CODES } from "node:http"
import { EmulatorHttpError, json, type RouteResponse, type VendorHooks } from "../../EmulatorServer.js"
import type { ValidationIssue } from "../../OpenApiValidator.js"
import { bearer, faultHeaders } from "../Auth.js"
import type { BraintrustDeps } from "./Context.js"

const traceId = (): string => randomBytes(16).toString("hex")

/** The API service envelope: `{Code, Message, InternalTraceId, Path, Service}`. */
export const apiError = (status: number, code: string, message: string | undefined, path: string): RouteResponse =>
  json(
    {
      Code: code,
      ...(message !== undefined ? { Message: message } : {}),
      InternalTraceId: traceId(),
      Path: path,
      Service: "api"
    },
    { status }
  )

const suffix = (deps: BraintrustDeps): string =>
  ` [user_email=${deps.userEmail}] [user_org=${deps.store.org.name}] [timestamp=${Math.floor(deps.store.now() / 1000)}]`

export const badRequest = (deps: BraintrustDeps, path: string, message: string): RouteResponse =>
  apiError(400, "BadRequestError", `${message}${suffix(deps)}`, path)

/** A 400 whose `Message` embeds `{"error":"Invalid request","errors":[…]}` like the real service. */
export const invalidRequest = (
  deps: BraintrustDeps,
  path: string,
  issues: ReadonlyArray<ValidationIssue>
): RouteResponse => {
  const errors = issues.map((issue) => ({
    code: issue.keyword,
    path: issue.path,
    message: issue.message,
    ...(issue.params["missingProperty"] !== undefined ? { missing: issue.params["missingProperty"] } : {}),
    ...(issue.params["type"] !== undefined ? { expected: issue.params["type"] } : {}),
    ...(issue.params["format"] !== undefined ? { expected: issue.params["format"] } : {})
  }))
  return badRequest(deps, path, JSON.stringify({ error: "Invalid request", errors }))
}

export const notFound = (path: string, message: string): RouteResponse => apiError(404, "NotFoundError", message, path)

/** Throws a 400 from inside a handler. */
export const failBadRequest = (deps: BraintrustDeps, path: string, message: string): never => {
  throw new EmulatorHttpError(badRequest(deps, path, message), message)
}

export const failNotFound = (path: string, message: string): never => {
  throw new EmulatorHttpError(notFound(path, message), message)
}

/** The hooks that make the shared plumbing answer like Braintrust. */
export const braintrustHooks = (deps: BraintrustDeps): VendorHooks => ({
  authenticate: (request, operation, route) => {
    // `security: []` (GET /v1) needs no key; everything else does, even where the file also lists `{}`.
    if (Array.isArray(operation.security) && operation.security.length === 0) return undefined
    const token = bearer(request)
    if (token === undefined) {
      return apiError(401, "Unauthorized", "Missing or malformed Authorization header (expected 'Bearer <api key>')", request.path)
    }
    const key = deps.apiKeys.find((k) => k.key === token)
    if (!key) return apiError(401, "Unauthorized", "Invalid API key", request.path)
    if (route?.write && key.readOnly) {
      return apiError(403, "ForbiddenError", `This API key is read-only and may not perform ${request.method} ${request.path}`, request.path)
    }
    return { key: key.key, readOnly: key.readOnly }
  },
  badRequest: (request, issues) => invalidRequest(deps, request.path, issues),
  // The AWS gateway in front of the API answers unknown routes with 403 (§8.2): it reads the bearer header as a
  // malformed SigV4 header. The key itself is never echoed, only its hash.
  unknownRoute: (request) => {
    const header = request.headers.authorization
    if (typeof header !== "string") return json({ message: "Missing Authentication Token" }, { status: 403 })
    const hashed = createHash("sha256").update(header).digest("base64")
    return json(
      {
        message:
          `Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '${hashed}'.`
      },
      { status: 403 }
    )
  },
  notImplemented: (request, operation) =>
    apiError(501, "NotImplemented", `The Braintrust emulator does not implement ${operation.method} ${operation.path}`, request.path),
  internalError: (request) => apiError(500, "InternalServerError", undefined, request.path),
  contractViolation: (request, issues) =>
    json(
      {
        Code: "EmulatorContractViolation",
        Message: `The emulator's response to ${request.method} ${request.path} breaks the OpenAPI contract: ${
          issues.map((i) => i.message).join("; ")
        }`,
        Path: request.path,
        issues
      },
      { status: 500 }
    ),
  faultStatus: (request, action) => {
    const headers = faultHeaders(action)
    const body = action.body !== undefined
      ? action.body
      : action.status === 500
      ? { Code: "InternalServerError", InternalTraceId: traceId(), Path: request.path, Service: "api" }
      : action.status === 429
      ? { Code: "TooManyRequestsError", Message: "Too many requests, please retry with backoff", Path: request.path }
      : { message: STATUS_CODES[action.status] ?? `HTTP ${action.status}` }
    return json(body, { status: action.status, headers })
  },
  payloadTooLarge: () => json({ message: "Request Too Long" }, { status: 413 })
})
