/**
 * The vendor-neutral HTTP plumbing shared by the emulators.
 *
 * A `node:http` server on loopback that, for every request: reads the body, records the request, applies the
 * next fault, matches the route against the OpenAPI operations, asks the vendor to authenticate, validates the
 * request against the contract (400 on a break), runs the vendor's handler, validates the response against the
 * contract (500 `EmulatorContractViolation` on a break, recorded in `violations`), and writes it. JSON, text,
 * empty and Server-Sent-Event responses are supported.
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { FaultAction, Faults } from "./Faults.js"
import type { OpenApiValidator, OperationSpec, ValidationIssue } from "./OpenApiValidator.js"

/**
 * @since 0.1.0
 */
export type ResponseHeaders = { readonly [name: string]: string }

/**
 * One Server-Sent Event. `data` is written as is (split into several `data:` lines when it holds newlines).
 *
 * @since 0.1.0
 */
export interface SseEvent {
  readonly event: string
  readonly data: string
}

/**
 * What a handler answers.
 *
 * @since 0.1.0
 */
export type RouteResponse =
  | { readonly _tag: "json"; readonly status: number; readonly body: unknown; readonly headers?: ResponseHeaders }
  | { readonly _tag: "text"; readonly status: number; readonly text: string; readonly headers?: ResponseHeaders }
  | { readonly _tag: "empty"; readonly status: number; readonly headers?: ResponseHeaders }
  | {
    readonly _tag: "sse"
    readonly status: number
    readonly events: Iterable<SseEvent> | AsyncIterable<SseEvent>
    readonly headers?: ResponseHeaders
  }

/**
 * @since 0.1.0
 */
export const json = (body: unknown, options: { status?: number; headers?: ResponseHeaders } = {}): RouteResponse => ({
  _tag: "json",
  status: options.status ?? 200,
  body,
  ...(options.headers ? { headers: options.headers } : {})
})

/**
 * @since 0.1.0
 */
export const text = (body: string, options: { status?: number; headers?: ResponseHeaders } = {}): RouteResponse => ({
  _tag: "text",
  status: options.status ?? 200,
  text: body,
  ...(options.headers ? { headers: options.headers } : {})
})

/**
 * @since 0.1.0
 */
export const empty = (options: { status?: number; headers?: ResponseHeaders } = {}): RouteResponse => ({
  _tag: "empty",
  status: options.status ?? 200,
  ...(options.headers ? { headers: options.headers } : {})
})

/**
 * @since 0.1.0
 */
export const sse = (
  events: Iterable<SseEvent> | AsyncIterable<SseEvent>,
  options: { status?: number; headers?: ResponseHeaders } = {}
): RouteResponse => ({
  _tag: "sse",
  status: options.status ?? 200,
  events,
  ...(options.headers ? { headers: options.headers } : {})
})

/**
 * Thrown by handlers to answer with an error response.
 *
 * @since 0.1.0
 */
export class EmulatorHttpError extends Error {
  constructor(readonly response: RouteResponse, message?: string) {
    super(message ?? `HTTP ${response.status}`)
    this.name = "EmulatorHttpError"
  }
}

/**
 * A request as the emulator received it. `status` and `responseBody` are filled in once it has been answered
 * (`status` stays undefined for a connection reset); `fault` names the fault that hit it.
 *
 * @since 0.1.0
 */
export interface CapturedRequest {
  readonly id: number
  readonly method: string
  /** Path and query string, as sent. */
  readonly url: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  readonly body: string
  readonly receivedAt: number
  status: number | undefined
  responseBody: string | undefined
  fault: FaultAction["kind"] | undefined
}

/**
 * A response the emulator refused to send because it broke the contract, or a handler crash. Either is a bug in
 * the emulator; tests assert that none happened.
 *
 * @since 0.1.0
 */
export interface ContractViolation {
  readonly kind: "response" | "stream" | "exception"
  readonly method: string
  readonly path: string
  readonly operation: string
  readonly status: number
  readonly message: string
  readonly issues: ReadonlyArray<ValidationIssue>
}

/**
 * A client request that broke the contract and was answered 400.
 *
 * @since 0.1.0
 */
export interface RequestRejection {
  readonly method: string
  readonly path: string
  readonly operation: string
  readonly issues: ReadonlyArray<ValidationIssue>
}

/**
 * The caller, as established by the vendor's `authenticate` hook.
 *
 * @since 0.1.0
 */
export interface Principal {
  readonly key: string
  readonly readOnly: boolean
}

/**
 * @since 0.1.0
 */
export interface RouteContext {
  readonly method: string
  readonly path: string
  readonly operation: OperationSpec
  /** Path parameters after validation. */
  readonly params: { readonly [name: string]: unknown }
  /** Query parameters after validation and coercion (repeated parameters are arrays). */
  readonly query: { readonly [name: string]: unknown }
  /** The parsed JSON body (`{}` for an empty optional body). */
  readonly body: unknown
  readonly headers: IncomingHttpHeaders
  readonly principal: Principal | undefined
  readonly request: CapturedRequest
  /** Records a contract break found inside a streamed payload. */
  readonly reportViolation: (message: string, issues: ReadonlyArray<ValidationIssue>) => void
}

/**
 * A handler bound to an OpenAPI operation (`method` + the file's path template).
 *
 * @since 0.1.0
 */
export interface Route {
  readonly method: string
  readonly path: string
  /** Writes are refused for read-only credentials. */
  readonly write: boolean
  readonly handle: (context: RouteContext) => RouteResponse | Promise<RouteResponse>
}

/**
 * The vendor-specific answers the plumbing needs.
 *
 * @since 0.1.0
 */
export interface VendorHooks {
  /** Returns the caller, `undefined` for a public operation, or the 401/403 response to send. */
  readonly authenticate: (
    request: CapturedRequest,
    operation: OperationSpec,
    route: Route | undefined
  ) => Principal | undefined | RouteResponse
  readonly badRequest: (request: CapturedRequest, issues: ReadonlyArray<ValidationIssue>) => RouteResponse
  readonly unknownRoute: (request: CapturedRequest) => RouteResponse
  readonly notImplemented: (request: CapturedRequest, operation: OperationSpec) => RouteResponse
  readonly internalError: (request: CapturedRequest, error: unknown) => RouteResponse
  readonly contractViolation: (request: CapturedRequest, issues: ReadonlyArray<ValidationIssue>) => RouteResponse
  readonly faultStatus: (request: CapturedRequest, action: Extract<FaultAction, { kind: "status" }>) => RouteResponse
  readonly payloadTooLarge: (request: CapturedRequest) => RouteResponse
}

/**
 * @since 0.1.0
 */
export interface EmulatorServerOptions {
  readonly validator: OpenApiValidator
  readonly routes: ReadonlyArray<Route>
  readonly hooks: VendorHooks
  readonly faults: Faults
  /** Used by `delay` faults; defaults to `setTimeout`. */
  readonly sleep?: (ms: number) => Promise<void>
  readonly host?: string
  readonly port?: number
  /** Bodies larger than this are answered 413 without being buffered further (default 64 MiB). */
  readonly maxBodyBytes?: number
}

/**
 * @since 0.1.0
 */
export interface EmulatorServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string
  readonly port: number
  readonly requests: Array<CapturedRequest>
  readonly violations: Array<ContractViolation>
  readonly rejections: Array<RequestRejection>
  readonly close: () => Promise<void>
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const isRouteResponse = (u: unknown): u is RouteResponse =>
  typeof u === "object" && u !== null && "_tag" in u && "status" in u

const readBody = (req: IncomingMessage, limit: number): Promise<{ text: string; bytes: number; truncated: boolean }> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let bytes = 0
    let truncated = false
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes > limit) truncated = true
      else chunks.push(chunk)
    })
    req.on("end", () => resolve({ text: Buffer.concat(chunks).toString("utf8"), bytes, truncated }))
    req.on("error", reject)
  })

const formatSse = (event: SseEvent): string =>
  `event: ${event.event}\n${event.data.split("\n").map((line) => `data: ${line}`).join("\n")}\n\n`

const operationKey = (operation: OperationSpec | undefined): string =>
  operation ? `${operation.method} ${operation.path}` : "(none)"

/**
 * Starts the plumbing on `host:port` (default `127.0.0.1:0`, an ephemeral port).
 *
 * @since 0.1.0
 */
export const startEmulatorServer = (options: EmulatorServerOptions): Promise<EmulatorServer> => {
  const { faults, hooks, validator } = options
  const sleep = options.sleep ?? defaultSleep
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024
  const routes = new Map<string, Route>()
  for (const route of options.routes) routes.set(`${route.method.toUpperCase()} ${route.path}`, route)
  const requests: Array<CapturedRequest> = []
  const violations: Array<ContractViolation> = []
  const rejections: Array<RequestRejection> = []
  let counter = 0

  const write = async (
    res: ServerResponse,
    captured: CapturedRequest,
    response: RouteResponse
  ): Promise<void> => {
    const headers: Record<string, string> = { ...response.headers }
    captured.status = response.status
    switch (response._tag) {
      case "json": {
        const payload = response.body === undefined ? "" : JSON.stringify(response.body)
        captured.responseBody = payload
        res.writeHead(response.status, { "content-type": "application/json; charset=utf-8", ...headers })
        res.end(payload)
        return
      }
      case "text": {
        captured.responseBody = response.text
        res.writeHead(response.status, { "content-type": "text/plain; charset=utf-8", ...headers })
        res.end(response.text)
        return
      }
      case "empty": {
        captured.responseBody = ""
        res.writeHead(response.status, headers)
        res.end()
        return
      }
      case "sse": {
        res.writeHead(response.status, {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache",
          connection: "keep-alive",
          ...headers
        })
        let transcript = ""
        for await (const event of response.events) {
          const frame = formatSse(event)
          transcript += frame
          res.write(frame)
        }
        captured.responseBody = transcript
        res.end()
        return
      }
    }
  }

  const candidateOf = (response: RouteResponse): { contentType: string | undefined; body: unknown } | undefined => {
    switch (response._tag) {
      case "json":
        return { contentType: "application/json", body: response.body }
      case "text":
        return { contentType: "text/plain", body: response.text }
      case "empty":
        return { contentType: undefined, body: undefined }
      case "sse":
        return undefined
    }
  }

  /** Checks a response against the operation and swaps it for a 500 when it breaks the contract. */
  const checked = (
    captured: CapturedRequest,
    operation: OperationSpec,
    response: RouteResponse
  ): RouteResponse => {
    const candidate = candidateOf(response)
    if (!candidate) return response
    const issues = validator.validateResponse(operation, { status: response.status, ...candidate })
    if (issues.length === 0) return response
    violations.push({
      kind: "response",
      method: captured.method,
      path: captured.path,
      operation: operationKey(operation),
      status: response.status,
      message: issues.map((i) => i.message).join("; "),
      issues
    })
    return hooks.contractViolation(captured, issues)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? "GET").toUpperCase()
    const url = new URL(req.url ?? "/", "http://emulator.invalid")
    const body = await readBody(req, maxBodyBytes)
    const captured: CapturedRequest = {
      id: ++counter,
      method,
      url: req.url ?? "/",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: body.text,
      receivedAt: Date.now(),
      status: undefined,
      responseBody: undefined,
      fault: undefined
    }
    requests.push(captured)

    const fault = faults.next({ method, path: url.pathname, bodyBytes: body.bytes })
    if (fault) {
      captured.fault = fault.kind
      switch (fault.kind) {
        case "reset": {
          req.socket.destroy()
          return
        }
        case "status":
          return write(res, captured, hooks.faultStatus(captured, fault))
        case "payloadTooLarge":
          return write(res, captured, hooks.payloadTooLarge(captured))
        case "delay":
          await sleep(fault.ms)
          break
      }
    }
    if (body.truncated) return write(res, captured, hooks.payloadTooLarge(captured))

    const lookup = validator.lookup(method, url.pathname)
    if (lookup._tag !== "Found") {
      if (method === "OPTIONS" && lookup._tag === "MethodNotAllowed") {
        return write(res, captured, empty({ status: 204, headers: { allow: lookup.allowed.join(", ") } }))
      }
      return write(res, captured, hooks.unknownRoute(captured))
    }
    const { operation, params: rawParams } = lookup.match
    const route = routes.get(`${operation.method} ${operation.path}`)
    if (method === "OPTIONS" && !route) {
      return write(res, captured, empty({ status: 204 }))
    }

    const auth = hooks.authenticate(captured, operation, route)
    if (isRouteResponse(auth)) return write(res, captured, checked(captured, operation, auth))
    if (!route) return write(res, captured, hooks.notImplemented(captured, operation))

    const validation = validator.validateRequest(operation, {
      params: rawParams,
      searchParams: url.searchParams,
      bodyText: body.text
    })
    if (!validation.ok) {
      rejections.push({
        method,
        path: url.pathname,
        operation: operationKey(operation),
        issues: validation.issues
      })
      return write(res, captured, checked(captured, operation, hooks.badRequest(captured, validation.issues)))
    }

    const context: RouteContext = {
      method,
      path: url.pathname,
      operation,
      params: validation.params,
      query: validation.query,
      body: validation.body,
      headers: req.headers,
      principal: auth,
      request: captured,
      reportViolation: (message, issues) => {
        violations.push({
          kind: "stream",
          method,
          path: url.pathname,
          operation: operationKey(operation),
          status: 200,
          message,
          issues
        })
      }
    }
    let response: RouteResponse
    try {
      response = await route.handle(context)
    } catch (error) {
      if (error instanceof EmulatorHttpError) {
        response = error.response
      } else {
        violations.push({
          kind: "exception",
          method,
          path: url.pathname,
          operation: operationKey(operation),
          status: 500,
          message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          issues: []
        })
        return write(res, captured, hooks.internalError(captured, error))
      }
    }
    return write(res, captured, checked(captured, operation, response))
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      violations.push({
        kind: "exception",
        method: req.method ?? "GET",
        path: req.url ?? "/",
        operation: "(plumbing)",
        status: 500,
        message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        issues: []
      })
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { "content-type": "application/json; charset=utf-8" })
        res.end(JSON.stringify({ Code: "InternalServerError", Message: "emulator plumbing failure" }))
      } else if (!res.destroyed) {
        res.end()
      }
    })
  })

  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject)
      const address = server.address() as AddressInfo
      const host = address.family === "IPv6" ? `[${address.address}]` : address.address
      let closed: Promise<void> | undefined
      resolve({
        url: `http://${host}:${address.port}`,
        port: address.port,
        requests,
        violations,
        rejections,
        close: () => {
          closed ??= new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          })
          return closed
        }
      })
    })
  })
}

/**
 * Runs an emulator for the lifetime of the surrounding scope: the Effect form
 * every vendor emulator's `make` shares.
 *
 * @since 0.1.0
 */
export const scopedEmulator = <H extends { readonly close: () => Promise<void> }>(
  start: () => Promise<H>
): Effect.Effect<H, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.promise(start), (handle) => Effect.promise(() => handle.close()))
