import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import {
  Cause,
  Context,
  Effect,
  Exit,
  FastCheck,
  Fiber,
  FiberRef,
  Inspectable,
  Layer,
  Option,
  Redacted,
  Schema,
  Stream,
  TestClock
} from "effect"
import * as ProviderHttp from "../src/ProviderHttp.js"
import { isRetryable, type PromptOpsError } from "../src/PromptOpsError.js"

// -----------------------------------------------------------------------------
// An in-memory vendor: captures every request and answers from a script.
// -----------------------------------------------------------------------------

type Answer =
  | { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> }
  | "hang"
  | ((request: HttpClientRequest.HttpClientRequest) => Effect.Effect<Response, HttpClientError.HttpClientError>)

interface Captured {
  readonly request: HttpClientRequest.HttpClientRequest
  readonly url: string
  /** `Headers.currentRedactedNames` as the HttpClient saw it for this request. */
  readonly redactedNames: ReadonlyArray<string | RegExp>
  /** The request headers as the platform prints them (logs, span attributes). */
  readonly printedHeaders: string
  /** The `fetch` options the FetchHttpClient would use for this request. */
  readonly requestInit: Option.Option<globalThis.RequestInit>
}

const fakeVendor = (...script: ReadonlyArray<Answer>) => {
  const captured: Array<Captured> = []
  const client = HttpClient.make((request, url, _signal, fiber) => {
    captured.push({
      request,
      url: url.toString(),
      redactedNames: fiber.getFiberRef(Headers.currentRedactedNames),
      // As Effect's loggers print it: redacted with the fiber's own FiberRefs.
      printedHeaders: Inspectable.withRedactableContext(
        fiber.getFiberRefs(),
        () => Inspectable.stringifyCircular(request.headers)
      ),
      requestInit: Context.getOption(fiber.getFiberRef(FiberRef.currentContext), FetchHttpClient.RequestInit)
    })
    // The last answer repeats once the script runs out.
    const answer = script[Math.min(captured.length - 1, script.length - 1)]!
    if (answer === "hang") return Effect.never
    if (typeof answer === "function") {
      return Effect.map(answer(request), (response) => HttpClientResponse.fromWeb(request, response))
    }
    return Effect.succeed(
      HttpClientResponse.fromWeb(
        request,
        new Response(answer.body ?? null, { status: answer.status, headers: answer.headers ?? {} })
      )
    )
  })
  return { captured, layer: Layer.succeed(HttpClient.HttpClient, client) }
}

const apiKey = "sk-test-0123456789abcdef"

const baseOptions: ProviderHttp.Options = {
  provider: "braintrust",
  apiUrl: "https://api.example.com/prefix/",
  apiKey: Redacted.make(apiKey),
  retry: { jitter: false }
}

const withVendor = (vendor: ReturnType<typeof fakeVendor>, options: Partial<ProviderHttp.Options> = {}) =>
  ProviderHttp.make({ ...baseOptions, ...options }).pipe(Effect.provide(vendor.layer))

const json = (value: unknown) => JSON.stringify(value)

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  return Option.getOrThrow(Cause.failureOption(exit.cause))
}

// A vendor whose 400 wraps JSON with zod-style issues in a field of its own, and
// names its request id header itself: read through `errorFormat`, as each
// vendor Client module describes its own format (core knows none).
const acmeZod400 = json({
  fault: json({
    error: "Invalid request",
    errors: [
      {
        code: "invalid_type",
        expected: "number",
        received: "string",
        path: ["rows", 0, "metrics", "start"],
        message: "Expected number, received string"
      },
      { code: "custom", path: ["rows", 1, "span attributes"], message: "Invalid span type" }
    ]
  })
})

const acmeFormat: ProviderHttp.ErrorFormat = {
  requestIdHeaders: ["x-acme-trace"],
  readErrorJson: (body) => {
    if (typeof body !== "object" || body === null || !("fault" in body) || typeof body.fault !== "string") return undefined
    return ProviderHttp.readErrorJson(JSON.parse(body.fault))
  }
}

const gateway502 = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>
  502 Bad Gateway
</title></head><body><h1>Bad Gateway</h1><p>The upstream server returned an invalid response.</p></body></html>`

describe("ProviderHttp", () => {
  describe("requests", () => {
    it.effect("appends request paths to a path-prefixed base URL and sets auth and default headers", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor({ status: 200, body: json({ ok: true }) })
        const http = yield* withVendor(vendor, { headers: { "x-bt-org-name": "acme" } })
        assert.strictEqual(http.apiUrl, "https://api.example.com/prefix")

        yield* http.execute(
          "listProjects",
          HttpClientRequest.get("/v1/project").pipe(HttpClientRequest.setUrlParam("limit", "10"))
        )
        yield* http.execute(
          "invoke",
          HttpClientRequest.post("/v1/function/abc/invoke").pipe(
            HttpClientRequest.accept("text/event-stream"),
            HttpClientRequest.setHeader("x-bt-org-name", "other-org")
          )
        )

        const [list, invoke] = vendor.captured
        assert.strictEqual(list!.url, "https://api.example.com/prefix/v1/project?limit=10")
        assert.strictEqual(list!.request.headers["authorization"], `Bearer ${apiKey}`)
        assert.strictEqual(list!.request.headers["accept"], "application/json")
        assert.strictEqual(list!.request.headers["x-bt-org-name"], "acme")
        // A request's own headers win over the client defaults.
        assert.strictEqual(invoke!.url, "https://api.example.com/prefix/v1/function/abc/invoke")
        assert.strictEqual(invoke!.request.headers["accept"], "text/event-stream")
        assert.strictEqual(invoke!.request.headers["x-bt-org-name"], "other-org")
      }))

    it.effect("trims the API key and sends no Authorization header without one", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor({ status: 200, body: "{}" })
        const trimmed = yield* withVendor(vendor, { apiKey: Redacted.make(`  ${apiKey}\n`) })
        yield* trimmed.execute("a", HttpClientRequest.get("/x"))
        const anonymous = yield* withVendor(vendor, { apiKey: undefined })
        yield* anonymous.execute("b", HttpClientRequest.get("/x"))
        assert.strictEqual(vendor.captured[0]!.request.headers["authorization"], `Bearer ${apiKey}`)
        assert.isUndefined(vendor.captured[1]!.request.headers["authorization"])
      }))

    it.effect("does not send our trace context to the vendor", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor({ status: 200, body: "{}" })
        const http = yield* withVendor(vendor)
        yield* http.execute("a", HttpClientRequest.get("/x")).pipe(Effect.withSpan("app.operation"))
        // Control: the bare platform client would have propagated it.
        const raw = yield* Effect.provide(HttpClient.HttpClient, vendor.layer)
        yield* raw.get("https://api.example.com/raw").pipe(Effect.withSpan("app.operation"))

        const [ours, bare] = vendor.captured
        assert.isDefined(bare!.request.headers["traceparent"])
        assert.isUndefined(ours!.request.headers["traceparent"])
        assert.isUndefined(ours!.request.headers["b3"])
      }))

    it.effect("registers secret headers so the platform redacts them", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor({ status: 200, body: "{}" })
        const http = yield* withVendor(vendor, {
          headers: { "X-Basalt-Key": Redacted.make("hdr-secret-value"), "x-plain": "visible" },
          secretHeaders: ["X-Other-Secret"]
        })
        yield* http.execute("a", HttpClientRequest.get("/x"))
        const seen = vendor.captured[0]!
        assert.strictEqual(seen.request.headers["x-basalt-key"], "hdr-secret-value")
        assert.include(seen.redactedNames, "x-basalt-key")
        assert.include(seen.redactedNames, "x-other-secret")
        assert.include(seen.redactedNames, "authorization")
        assert.notInclude(seen.printedHeaders, "hdr-secret-value")
        assert.notInclude(seen.printedHeaders, apiKey)
        assert.include(seen.printedHeaders, "visible")
      }))

    it.effect("refuses request URLs outside the base URL without sending anything", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor({ status: 200, body: "{}" })
        const http = yield* withVendor(vendor)
        const error = yield* Effect.flip(http.execute("a", HttpClientRequest.get("https://evil.example.com/x")))
        assert.strictEqual(error._tag, "InvalidInput")
        assert.strictEqual(error._tag === "InvalidInput" && error.path, "request.url")
        assert.strictEqual(vendor.captured.length, 0)
      }))
  })

  describe("apiUrl", () => {
    const check = (apiUrl: string) =>
      ProviderHttp.make({ provider: "basalt", apiUrl }).pipe(
        Effect.provide(fakeVendor({ status: 200 }).layer),
        Effect.map((http) => http.apiUrl),
        Effect.either
      )

    it.effect("rejects plain http:// to a non-loopback host, naming apiUrl", () =>
      Effect.gen(function*() {
        for (const url of ["http://api.getbasalt.ai", "http://10.0.0.1:8080", "http://128.0.0.1", "http://localhost.evil.com"]) {
          const result = yield* check(url)
          assert.isTrue(result._tag === "Left", url)
          if (result._tag === "Left") {
            assert.strictEqual(result.left._tag, "InvalidInput")
            assert.strictEqual(result.left.path, "apiUrl")
            assert.strictEqual(result.left.provider, "basalt")
          }
        }
      }))

    it.effect("accepts https:// anywhere and http:// to loopback", () =>
      Effect.gen(function*() {
        const accepted = [
          ["https://api.getbasalt.ai", "https://api.getbasalt.ai"],
          ["https://api.braintrust.dev/", "https://api.braintrust.dev"],
          ["http://127.0.0.1:4318/", "http://127.0.0.1:4318"],
          ["http://127.9.8.7", "http://127.9.8.7"],
          ["http://localhost:3000/api/v2//", "http://localhost:3000/api/v2"],
          ["http://[::1]:8080", "http://[::1]:8080"]
        ] as const
        for (const [input, normalised] of accepted) {
          const result = yield* check(input)
          assert.isTrue(result._tag === "Right" && result.right === normalised, input)
        }
      }))

    it.effect("rejects other schemes, credentials, queries and garbage without echoing secrets", () =>
      Effect.gen(function*() {
        for (const url of ["ftp://api.example.com", "not a url", "https://api.example.com?x=1", "https://api.example.com/#a"]) {
          const result = yield* check(url)
          assert.isTrue(result._tag === "Left" && result.left.path === "apiUrl", url)
        }
        const withCredentials = yield* check("https://user:hunter2secret@api.example.com")
        assert.isTrue(withCredentials._tag === "Left")
        if (withCredentials._tag === "Left") assert.notInclude(withCredentials.left.message, "hunter2secret")
      }))

    it.effect("rejects bad options with InvalidInput naming them", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor({ status: 200 })
        const paths = yield* Effect.all([
          withVendor(vendor, { apiKey: Redacted.make("   ") }),
          withVendor(vendor, { timeout: 0 }),
          withVendor(vendor, { retry: { maxRetries: -1 } }),
          withVendor(vendor, { retry: { factor: 0.5 } }),
          withVendor(vendor, { headers: { "bad header": "x" } }),
          withVendor(vendor, { headers: { "x-ok": "line\nbreak" } })
        ].map((effect) => Effect.flip(effect).pipe(Effect.map((error) => error.path))))
        assert.deepStrictEqual(paths, [
          "apiKey",
          "timeout",
          "retry.maxRetries",
          "retry.factor",
          "headers.bad header",
          "headers.x-ok"
        ])
      }))
  })

  describe("status → error", () => {
    const once = (
      answer: Answer,
      options: ProviderHttp.RequestOptions = {},
      clientOptions: Partial<ProviderHttp.Options> = {}
    ) =>
      Effect.gen(function*() {
        const vendor = fakeVendor(answer)
        const http = yield* withVendor(vendor, clientOptions)
        const exit = yield* Effect.exit(
          http.execute(
            "BraintrustClient.insert",
            HttpClientRequest.post("/v1/insert").pipe(HttpClientRequest.bodyText("x".repeat(1234))),
            options
          )
        )
        return { exit, attempts: vendor.captured.length }
      })

    it.effect("400 vendor body with embedded zod issues, read by its errorFormat → BadRequest with issue paths", () =>
      Effect.gen(function*() {
        const { attempts, exit } = yield* once(
          { status: 400, body: acmeZod400, headers: { "x-request-id": "req-0", "x-acme-trace": "abc123trace" } },
          {},
          { errorFormat: acmeFormat }
        )
        const error = failureOf(exit)
        assert.strictEqual(attempts, 1)
        assert.strictEqual(error._tag, "BadRequest")
        if (error._tag !== "BadRequest") return
        assert.strictEqual(error.status, 400)
        assert.strictEqual(error.provider, "braintrust")
        assert.strictEqual(error.operation, "BraintrustClient.insert")
        assert.strictEqual(error.description, "Invalid request")
        assert.strictEqual(error.requestId, "abc123trace")
        assert.deepStrictEqual(error.issues.map((issue) => [issue.path, issue.message]), [
          ["rows[0].metrics.start", "Expected number, received string"],
          ["rows[1][\"span attributes\"]", "Invalid span type"]
        ])
        assert.include(error.message, "rows[0].metrics.start: Expected number, received string")
      }))

    it.effect("without the vendor's errorFormat the same body reads in the common shapes", () =>
      Effect.gen(function*() {
        const { exit } = yield* once({
          status: 400,
          body: acmeZod400,
          headers: { "x-request-id": "req-0", "x-acme-trace": "abc123trace" }
        })
        const error = failureOf(exit)
        assert.strictEqual(error._tag, "BadRequest")
        if (error._tag !== "BadRequest") return
        assert.strictEqual(error.requestId, "req-0")
        assert.deepStrictEqual(error.issues, [])
        assert.include(error.description, "fault")
      }))

    it.effect("each status maps to its tagged error with provider, operation, status and request id", () =>
      Effect.gen(function*() {
        const cases: ReadonlyArray<readonly [Answer, string, string]> = [
          [{ status: 401, body: json({ message: "Missing or invalid API key" }) }, "Unauthorized", "Missing or invalid"],
          [
            { status: 403, body: json({ message: "Invalid key=value pair (missing equal-sign) in Authorization header" }) },
            "Forbidden",
            "Invalid key=value pair"
          ],
          [{ status: 404, body: json({ error: "Prompt not found" }) }, "NotFound", "Prompt not found"],
          [{ status: 409, body: "conflict" }, "BadRequest", "conflict"],
          [{ status: 408, body: "" }, "BadRequest", "Request Timeout"],
          [{ status: 413, body: json({ message: "Request Too Long" }) }, "PayloadTooLarge", "Request Too Long"],
          [{ status: 422, body: json({ errors: ["name is required"] }) }, "BadRequest", "name is required"],
          [{ status: 418, body: "I'm a teapot" }, "BadRequest", "I'm a teapot"],
          [{ status: 500, body: json({ Code: "InternalServerError", InternalTraceId: "t-500" }) }, "ProviderUnavailable", "InternalServerError"],
          [{ status: 502, body: gateway502, headers: { "content-type": "text/html" } }, "ProviderUnavailable", "502 Bad Gateway"]
        ]
        for (const [answer, tag, text] of cases) {
          const withHeader = typeof answer === "object"
            ? { ...answer, headers: { ...answer.headers, "x-request-id": "req-1" } }
            : answer
          const { attempts, exit } = yield* once(withHeader, { retry: false })
          const error = failureOf(exit)
          const status = typeof answer === "object" ? answer.status : 0
          assert.strictEqual(attempts, 1)
          assert.strictEqual(error._tag, tag, `HTTP ${status}`)
          assert.strictEqual(error.status, status)
          assert.strictEqual(error.provider, "braintrust")
          assert.strictEqual(error.operation, "BraintrustClient.insert")
          assert.strictEqual(error.requestId, "req-1", `HTTP ${status}`)
          assert.include(error.description, text, `HTTP ${status}`)
        }
      }))

    it.effect("502 HTML gateway page → ProviderUnavailable described by its title", () =>
      Effect.gen(function*() {
        const { exit } = yield* once({ status: 502, body: gateway502, headers: { "content-type": "text/html" } }, {
          retry: false
        })
        const error = failureOf(exit)
        assert.strictEqual(error._tag, "ProviderUnavailable")
        assert.strictEqual(error.description, "502 Bad Gateway")
      }))

    it.effect("413 reports how many bytes were sent; 429 carries Retry-After", () =>
      Effect.gen(function*() {
        const tooLarge = failureOf((yield* once({ status: 413, body: "" }, { retry: false })).exit)
        assert.strictEqual(tooLarge._tag === "PayloadTooLarge" && tooLarge.bytes, 1234)
        const limited = failureOf(
          (yield* once({ status: 429, body: "slow down", headers: { "retry-after": "7" } }, { retry: false })).exit
        )
        assert.strictEqual(limited._tag === "RateLimited" && limited.retryAfterMs, 7000)
      }))

    it.effect("redirects are not followed: fetch gets redirect: manual, and a 3xx is a BadRequest tried once", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor({ status: 302, headers: { location: "https://elsewhere.example.com/v1/insert" } })
        const http = yield* withVendor(vendor)
        const error = yield* http.execute("a", HttpClientRequest.get("/x")).pipe(
          Effect.provideService(FetchHttpClient.RequestInit, { keepalive: true }),
          Effect.flip
        )
        assert.strictEqual(error._tag, "BadRequest")
        assert.strictEqual(error.status, 302)
        assert.include(error.description, "https://elsewhere.example.com/v1/insert")
        assert.strictEqual(vendor.captured.length, 1)
        // The caller's own fetch options are kept.
        assert.deepStrictEqual(vendor.captured[0]!.requestInit, Option.some({ keepalive: true, redirect: "manual" }))
      }))

    it.effect("a server echoing the credential inside a secret header (Bearer, Basic) gets it scrubbed", () =>
      Effect.gen(function*() {
        const bearer = "sk-header-bearer-credential"
        const basicUser = "pk-public-user"
        const basicSecret = "sk-basic-secret-part"
        const basic = btoa(`${basicUser}:${basicSecret}`)
        const echo = `bad keys: ${bearer} / ${basic} / ${basicSecret}`
        const { exit } = yield* once({ status: 401, body: echo }, {}, {
          headers: {
            "x-collector-auth": Redacted.make(`Bearer ${bearer}`),
            "x-other-auth": Redacted.make(`Basic ${basic}`)
          }
        })
        const error = failureOf(exit)
        const text = JSON.stringify(error) + error.message
        assert.include(text, "[redacted]")
        for (const secret of [bearer, basic, basicSecret]) assert.notInclude(text, secret)
      }))

    it.effect("statuses listed in `accept` are handed back instead of failing", () =>
      Effect.gen(function*() {
        const { exit } = yield* once({ status: 404, body: "{}" }, { accept: [404] })
        assert.isTrue(Exit.isSuccess(exit))
        if (Exit.isSuccess(exit)) assert.strictEqual(exit.value.status, 404)
      }))

    it.effect("transport failures → TransportError Connection, with the key scrubbed from the cause", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor((request) =>
          Effect.fail(
            new HttpClientError.RequestError({
              request,
              reason: "Transport",
              cause: new TypeError("fetch failed", { cause: new Error(`bad header value "Bearer ${apiKey}"`) })
            })
          )
        )
        const http = yield* withVendor(vendor, { retry: false })
        const error = yield* Effect.flip(http.execute("a", HttpClientRequest.get("/x")))
        assert.strictEqual(error._tag, "TransportError")
        assert.strictEqual(error._tag === "TransportError" && error.reason, "Connection")
        assert.include(error.description, "fetch failed")
        assert.include(error.description, "[redacted]")
        assert.notInclude(error.description, apiKey)
      }))

    it.prop(
      "statusError: any 4xx/5xx keeps its status and is retryable exactly for 408, 409, 429 and 5xx",
      [FastCheck.integer({ min: 400, max: 599 })],
      ([status]) => {
        const error = ProviderHttp.statusError({ provider: "p", operation: "o", status, description: "d" })
        assert.strictEqual(error.status, status)
        assert.strictEqual(isRetryable(error), status === 408 || status === 409 || status === 429 || status >= 500)
      }
    )

    it.effect.prop(
      "through the client: any 4xx/5xx fails once, with its status and the retryability rule",
      [FastCheck.integer({ min: 400, max: 599 }), FastCheck.string({ maxLength: 40 })],
      ([status, body]) =>
        Effect.gen(function*() {
          const { attempts, exit } = yield* once({ status, body }, { retry: false })
          const error = failureOf(exit) as PromptOpsError & { readonly status?: number }
          assert.strictEqual(attempts, 1)
          assert.strictEqual(error.status, status)
          assert.strictEqual(isRetryable(error), status === 408 || status === 409 || status === 429 || status >= 500)
        }),
      { fastCheck: { numRuns: 60 } }
    )
  })

  describe("the API key never shows", () => {
    it.effect("not in message, String, JSON or Inspectable output, even when the vendor echoes it", () =>
      Effect.gen(function*() {
        const echoes = [
          { status: 401, body: json({ message: `invalid API key ${apiKey}` }) },
          { status: 400, body: json({ error: "bad", errors: [{ path: ["key"], message: `got ${apiKey}` }] }) },
          { status: 503, body: `upstream said Bearer ${apiKey}` }
        ]
        for (const answer of echoes) {
          const vendor = fakeVendor(answer)
          const http = yield* withVendor(vendor, { retry: false })
          const exit = yield* Effect.exit(http.execute("a", HttpClientRequest.get("/x")))
          const error = failureOf(exit)
          const renderings = [
            error.message,
            String(error),
            JSON.stringify(error),
            Inspectable.format(error),
            Inspectable.toStringUnknown(error),
            Cause.pretty(Cause.fail(error))
          ]
          for (const text of renderings) assert.notInclude(text, apiKey)
          assert.include(error.message, "[redacted]")
        }
      }))
  })

  describe("retries", () => {
    it.effect("429 with Retry-After: 2 then 200 → waits exactly 2 s", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor(
          { status: 429, body: json({ message: "Too many requests" }), headers: { "retry-after": "2" } },
          { status: 200, body: json({ ok: true }) }
        )
        const http = yield* withVendor(vendor, { retry: {} }) // default jitter on: Retry-After is exact anyway
        const fiber = yield* Effect.fork(http.json("a", HttpClientRequest.get("/x"), Schema.Struct({ ok: Schema.Boolean })))
        yield* TestClock.adjust("1900 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
        assert.strictEqual(vendor.captured.length, 1)
        yield* TestClock.adjust("100 millis")
        const result = yield* Fiber.join(fiber)
        assert.deepStrictEqual(result, { ok: true })
        assert.strictEqual(vendor.captured.length, 2)
      }))

    it.effect("503 twice then 200 succeeds on the third attempt, re-sending the same request", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor({ status: 503, body: "" }, { status: 503, body: "" }, { status: 200, body: "{}" })
        const http = yield* withVendor(vendor)
        const request = HttpClientRequest.post("/v1/insert").pipe(HttpClientRequest.bodyText("{\"id\":\"row-1\"}"))
        const fiber = yield* Effect.fork(http.execute("insert", request))
        yield* TestClock.adjust("1 minute")
        const response = yield* Fiber.join(fiber)
        assert.strictEqual(response.status, 200)
        assert.strictEqual(vendor.captured.length, 3)
        const bodies = vendor.captured.map((seen) => seen.request.body)
        assert.isTrue(bodies.every((body) => body === request.body))
      }))

    it.effect("400, 401, 403, 404 and 413 are attempted exactly once", () =>
      Effect.gen(function*() {
        for (const status of [400, 401, 403, 404, 413]) {
          const vendor = fakeVendor({ status, body: "no" })
          const http = yield* withVendor(vendor)
          const fiber = yield* Effect.fork(Effect.flip(http.execute("a", HttpClientRequest.get("/x"))))
          yield* TestClock.adjust("10 minutes")
          const error = yield* Fiber.join(fiber)
          assert.strictEqual(error.status, status)
          assert.strictEqual(vendor.captured.length, 1, `HTTP ${status}`)
        }
      }))

    it.effect("exhausted retries → ProviderUnavailable after maxRetries + 1 attempts", () =>
      Effect.gen(function*() {
        for (const [retry, attempts] of [[{ jitter: false }, 5], [{ maxRetries: 2 }, 3], [{ maxRetries: 0 }, 1]] as const) {
          const vendor = fakeVendor({ status: 500, body: json({ Code: "InternalServerError" }) })
          const http = yield* withVendor(vendor, { retry })
          const fiber = yield* Effect.fork(Effect.flip(http.execute("a", HttpClientRequest.get("/x"))))
          yield* TestClock.adjust("10 minutes")
          const error = yield* Fiber.join(fiber)
          assert.strictEqual(error._tag, "ProviderUnavailable")
          assert.strictEqual(vendor.captured.length, attempts)
        }
      }))

    it.effect("retry: false (client-wide or per call) means one attempt", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor({ status: 503 })
        const off = yield* withVendor(vendor, { retry: false })
        yield* Effect.flip(off.execute("a", HttpClientRequest.get("/x")))
        const on = yield* withVendor(vendor)
        yield* Effect.flip(on.execute("b", HttpClientRequest.get("/x"), { retry: false }))
        assert.strictEqual(vendor.captured.length, 2)
      }))
  })

  describe("timeouts", () => {
    it.effect("a vendor that never answers → TransportError Timeout after the timeout", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor("hang")
        // No total deadline: the per-attempt timeout alone (the deadline's own tests are below).
        const http = yield* withVendor(vendor, { retry: false, deadline: false })
        const fiber = yield* Effect.fork(Effect.flip(http.execute("slow", HttpClientRequest.get("/x"))))
        yield* TestClock.adjust("29 seconds")
        assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
        yield* TestClock.adjust("1 second")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag, "TransportError")
        assert.strictEqual(error._tag === "TransportError" && error.reason, "Timeout")
        assert.strictEqual(error.operation, "slow")
      }))

    it.effect("a per-call timeout overrides the client's; a bad one is InvalidInput", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor("hang")
        const http = yield* withVendor(vendor, { retry: false })
        const fiber = yield* Effect.fork(Effect.flip(http.execute("a", HttpClientRequest.get("/x"), { timeout: "2 seconds" })))
        yield* TestClock.adjust("2 seconds")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag === "TransportError" && error.reason, "Timeout")
        const bad = yield* Effect.flip(http.execute("a", HttpClientRequest.get("/x"), { timeout: -1 }))
        assert.strictEqual(bad._tag === "InvalidInput" && bad.path, "options.timeout")
        assert.strictEqual(vendor.captured.length, 1)
      }))

    it.effect("each attempt gets its own timeout, and a timeout is retried", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor("hang", { status: 200, body: json({ n: 1 }) })
        const http = yield* withVendor(vendor, { timeout: "5 seconds", retry: { jitter: false, base: "1 second" } })
        const fiber = yield* Effect.fork(http.json("a", HttpClientRequest.get("/x"), Schema.Struct({ n: Schema.Number })))
        yield* TestClock.adjust("5 seconds")
        assert.strictEqual(vendor.captured.length, 1)
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(yield* Fiber.join(fiber), { n: 1 })
        assert.strictEqual(vendor.captured.length, 2)
      }))
  })

  describe("total deadline", () => {
    const refused = (request: HttpClientRequest.HttpClientRequest) =>
      Effect.fail(
        new HttpClientError.RequestError({
          request,
          reason: "Transport",
          cause: new TypeError("fetch failed", {
            cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" })
          })
        })
      )

    it.effect("a vendor that never answers: the default 10 s deadline cuts the 30 s attempt, and says so", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor("hang")
        const http = yield* withVendor(vendor)
        const fiber = yield* Effect.fork(Effect.flip(http.execute("Prompts.get", HttpClientRequest.get("/x"))))
        yield* TestClock.adjust("9999 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "still within the deadline")
        yield* TestClock.adjust("1 millis")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag === "TransportError" && error.reason, "Timeout")
        assert.strictEqual(error.attempts, 1)
        assert.strictEqual(error.elapsedMs, 10_000)
        assert.include(error.message, "gave up after 1 attempt over 10.0 s: no response within 10s")
        assert.strictEqual(vendor.captured.length, 1)
      }))

    it.effect("refused connections: retried within the deadline, then one error with the count and the time", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor(refused)
        const http = yield* withVendor(vendor) // no jitter: waits of 250, 500, 1000 and 2000 ms
        const fiber = yield* Effect.fork(Effect.flip(http.execute("Experiments.list", HttpClientRequest.get("/x"))))
        yield* TestClock.adjust("3749 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
        yield* TestClock.adjust("1 millis")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag === "TransportError" && error.reason, "Connection")
        assert.strictEqual(error.description, "connection refused (ECONNREFUSED)")
        assert.deepStrictEqual([error.attempts, error.elapsedMs], [5, 3750])
        assert.strictEqual(
          error.message,
          "braintrust Experiments.list: gave up after 5 attempts over 3.8 s: connection refused (ECONNREFUSED) (connection)"
        )
        assert.notInclude(error.message, apiKey)
        assert.strictEqual(vendor.captured.length, 5)
      }))

    it.effect("a wait that would end past the deadline is not waited out", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor({ status: 503 })
        // Attempts at 0, 1, 3 and 7 s; the next wait (8 s) would end at 15 s, past the 10 s deadline.
        const http = yield* withVendor(vendor, { retry: { jitter: false, base: "1 second", maxRetries: 10 } })
        const fiber = yield* Effect.fork(Effect.flip(http.execute("a", HttpClientRequest.get("/x"))))
        yield* TestClock.adjust("7 seconds")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag, "ProviderUnavailable")
        assert.deepStrictEqual([error.attempts, error.elapsedMs], [4, 7000])
        assert.strictEqual(vendor.captured.length, 4)
      }))

    it.effect("the attempt running at the deadline is cut to what is left", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor("hang")
        // 0–4 s, wait 0.25, 4.25–8.25 s, wait 0.5, then 8.75 s until the deadline at 10 s.
        const http = yield* withVendor(vendor, { timeout: "4 seconds" })
        const fiber = yield* Effect.fork(Effect.flip(http.execute("a", HttpClientRequest.get("/x"))))
        yield* TestClock.adjust("9999 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
        assert.strictEqual(vendor.captured.length, 3)
        yield* TestClock.adjust("1 millis")
        const error = yield* Fiber.join(fiber)
        assert.deepStrictEqual([error.attempts, error.elapsedMs], [3, 10_000])
      }))

    it.effect("a Retry-After past the deadline ends the call at once with the vendor's error", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor({ status: 429, headers: { "retry-after": "30" } })
        const http = yield* withVendor(vendor)
        const error = yield* Effect.flip(http.execute("a", HttpClientRequest.get("/x")))
        assert.strictEqual(error._tag, "RateLimited")
        assert.strictEqual(error._tag === "RateLimited" && error.retryAfterMs, 30_000)
        assert.deepStrictEqual([error.attempts, error.elapsedMs], [1, 0])
        assert.include(error.message, "gave up after 1 attempt over 0.0 s: Too Many Requests")
        assert.strictEqual(vendor.captured.length, 1)
        // An error that is not retried, alone, is reported as it is.
        const notFound = yield* Effect.flip((yield* withVendor(fakeVendor({ status: 404 }))).execute("b", HttpClientRequest.get("/x")))
        assert.isUndefined(notFound.attempts)
      }))

    it.effect("configurable per client and per call; false restores attempts × timeout", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor("hang")
        const short = yield* withVendor(vendor, { deadline: "2 seconds" })
        const a = yield* Effect.fork(Effect.flip(short.execute("a", HttpClientRequest.get("/x"))))
        yield* TestClock.adjust("2 seconds")
        assert.strictEqual((yield* Fiber.join(a)).elapsedMs, 2000)

        const b = yield* Effect.fork(Effect.flip(short.execute("b", HttpClientRequest.get("/x"), { deadline: "5 seconds" })))
        yield* TestClock.adjust("5 seconds")
        assert.strictEqual((yield* Fiber.join(b)).elapsedMs, 5000)

        const none = yield* withVendor(vendor, { deadline: false, retry: { jitter: false, maxRetries: 1 } })
        const c = yield* Effect.fork(Effect.flip(none.execute("c", HttpClientRequest.get("/x"))))
        yield* TestClock.adjust("60 seconds")
        assert.isTrue(Option.isNone(yield* Fiber.poll(c)), "two 30 s attempts and a 250 ms wait")
        yield* TestClock.adjust("250 millis")
        const error = yield* Fiber.join(c)
        assert.deepStrictEqual([error.attempts, error.elapsedMs], [2, 60_250])

        // Without retries, one attempt bounded by its timeout alone; a longer own timeout extends the deadline.
        const d = yield* Effect.fork(Effect.flip(short.execute("d", HttpClientRequest.get("/x"), { retry: false })))
        const e = yield* Effect.fork(Effect.flip(short.execute("e", HttpClientRequest.get("/x"), { timeout: "20 seconds" })))
        yield* TestClock.adjust("20 seconds")
        assert.isTrue(Option.isNone(yield* Fiber.poll(d)))
        assert.strictEqual((yield* Fiber.join(e)).elapsedMs, 20_000)
        yield* TestClock.adjust("10 seconds")
        assert.strictEqual((yield* Fiber.join(d)).description, "no response within 30s")
        const slow = yield* withVendor(vendor, { timeout: "15 seconds" })
        const f = yield* Effect.fork(Effect.flip(slow.execute("f", HttpClientRequest.get("/x"))))
        yield* TestClock.adjust("15 seconds")
        assert.strictEqual((yield* Fiber.join(f)).elapsedMs, 15_000, "a client timeout above 10 s is the default deadline")

        const bad = yield* Effect.flip(short.execute("d", HttpClientRequest.get("/x"), { deadline: "0 millis" }))
        assert.strictEqual(bad._tag === "InvalidInput" && bad.path, "options.deadline")
        const badClient = yield* Effect.flip(withVendor(vendor, { deadline: -1 }))
        assert.strictEqual(badClient.path, "deadline")
      }))

    it.effect("an error with attempts survives its schema round trip; the key is never in it", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor({ status: 500, body: json({ message: `boom ${apiKey}` }) })
        const http = yield* withVendor(vendor, { retry: { jitter: false, maxRetries: 1 } })
        const fiber = yield* Effect.fork(Effect.flip(http.execute("a", HttpClientRequest.get("/x"))))
        yield* TestClock.adjust("1 second")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag, "ProviderUnavailable")
        assert.strictEqual(error.attempts, 2)
        assert.notInclude(error.message, apiKey)
        const PromptOpsErrorSchema = (yield* Effect.promise(() => import("../src/PromptOpsError.js"))).PromptOpsError
        const decoded = yield* Schema.decodeUnknown(PromptOpsErrorSchema)(
          yield* Schema.encode(PromptOpsErrorSchema)(error)
        )
        assert.strictEqual(decoded.message, error.message)
      }))
  })

  describe("decoding", () => {
    const Objects = Schema.Struct({
      objects: Schema.Array(Schema.Struct({ id: Schema.String, prompt_data: Schema.Struct({ prompt: Schema.String }) }))
    })

    it.effect("a body of the wrong shape → DecodeError whose path names the field", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor({
          status: 200,
          headers: { "x-request-id": "trace-9" },
          body: json({ objects: [{ id: "a", prompt_data: { prompt: "hi" } }, { id: "b", prompt_data: { prompt: 5 } }] })
        })
        const http = yield* withVendor(vendor)
        const error = yield* Effect.flip(http.json("BraintrustClient.listPrompts", HttpClientRequest.get("/v1/prompt"), Objects))
        assert.strictEqual(error._tag, "DecodeError")
        if (error._tag !== "DecodeError") return
        assert.strictEqual(error.path, "objects[1].prompt_data.prompt")
        assert.strictEqual(error.status, 200)
        assert.strictEqual(error.requestId, "trace-9")
        assert.include(error.description, "Expected string")
        assert.strictEqual(vendor.captured.length, 1) // decode errors are not retried
      }))

    it.effect("a body that is not JSON → DecodeError at the top level", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor({ status: 200, body: "<html>oops</html>" })
        const http = yield* withVendor(vendor)
        const error = yield* Effect.flip(http.json("a", HttpClientRequest.get("/x"), Objects))
        assert.strictEqual(error._tag, "DecodeError")
        assert.strictEqual(error._tag === "DecodeError" && error.path, "")
        assert.include(error.description, "not JSON")
      }))

    it.effect("jsonResponse also returns status and headers", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor({
          status: 200,
          headers: { "x-bt-found-existing": "true" },
          body: json({ id: "p1", warning: "version not found, fell back to production" })
        })
        const http = yield* withVendor(vendor)
        const result = yield* http.jsonResponse(
          "a",
          HttpClientRequest.post("/v1/project"),
          Schema.Struct({ id: Schema.String, warning: Schema.optional(Schema.String) })
        )
        assert.strictEqual(result.status, 200)
        assert.strictEqual(result.headers["x-bt-found-existing"], "true")
        assert.deepStrictEqual(result.value, { id: "p1", warning: "version not found, fell back to production" })
      }))

    it.effect("stream hands back the body as bytes", () =>
      Effect.gen(function*() {
        const vendor = fakeVendor({ status: 200, headers: { "content-type": "text/event-stream" }, body: "data: 1\n\ndata: 2\n\n" })
        const http = yield* withVendor(vendor)
        const response = yield* http.stream(
          "invoke",
          HttpClientRequest.post("/v1/function/f/invoke").pipe(HttpClientRequest.accept("text/event-stream"))
        )
        const text = yield* response.body.pipe(Stream.decodeText(), Stream.mkString)
        assert.strictEqual(response.headers["content-type"], "text/event-stream")
        assert.strictEqual(text, "data: 1\n\ndata: 2\n\n")
      }))
  })

  describe("parseErrorBody", () => {
    it("reads every body shape the vendors send", () => {
      const parse = (status: number, text: string, contentType?: string) =>
        ProviderHttp.parseErrorBody(status, contentType, text)

      assert.deepStrictEqual(parse(500, json({ Code: "InternalServerError", request_id: "t1", Path: "/logs3" })), {
        description: "InternalServerError",
        requestId: "t1",
        issues: []
      })
      assert.strictEqual(
        ProviderHttp.parseErrorBody(400, "application/json", acmeZod400, acmeFormat.readErrorJson).description,
        "Invalid request"
      )
      // A vendor reader that declines leaves the body to the common reading.
      assert.strictEqual(
        ProviderHttp.parseErrorBody(404, undefined, json({ error: "gone" }), acmeFormat.readErrorJson).description,
        "gone"
      )
      assert.strictEqual(parse(403, json({ message: "Forbidden: no access" })).description, "Forbidden: no access")
      assert.strictEqual(parse(404, json({ error: "No prompt found" })).description, "No prompt found")
      assert.strictEqual(parse(400, json({ error: { message: "nested" } })).description, "nested")
      assert.deepStrictEqual(
        parse(422, json({ errors: { name: ["is required"], slug: "is taken" } })).issues.map((i) => `${i.path}: ${i.message}`),
        ["name: is required", "slug: is taken"]
      )
      assert.strictEqual(parse(400, "  plain\n text  ").description, "plain text")
      assert.strictEqual(parse(502, "", "text/html").description, "Bad Gateway")
      assert.strictEqual(parse(599, "").description, "HTTP 599")
      assert.strictEqual(
        parse(502, "<html><body>\n<h1>Service &amp; gateway down</h1><p>x</p></body></html>").description,
        "Service & gateway down"
      )
      assert.strictEqual(parse(400, "{not json").description, "{not json")
      const long = parse(500, "x".repeat(5000)).description
      assert.strictEqual(long.length, ProviderHttp.maxDescriptionLength)
      assert.isTrue(long.endsWith("…"))
    })

    it("parseRetryAfter reads seconds, HTTP dates and retry-after-ms", () => {
      const headers = (record: Record<string, string>) => Headers.fromInput(record)
      const now = Date.parse("2026-01-01T00:00:00Z")
      assert.strictEqual(ProviderHttp.parseRetryAfter(headers({ "retry-after": "2" }), now), 2000)
      assert.strictEqual(ProviderHttp.parseRetryAfter(headers({ "retry-after": "0.5" }), now), 500)
      assert.strictEqual(
        ProviderHttp.parseRetryAfter(headers({ "retry-after": "Thu, 01 Jan 2026 00:00:03 GMT" }), now),
        3000
      )
      assert.strictEqual(
        ProviderHttp.parseRetryAfter(headers({ "retry-after": "Wed, 31 Dec 2025 23:00:00 GMT" }), now),
        0
      )
      assert.strictEqual(ProviderHttp.parseRetryAfter(headers({ "retry-after-ms": "150", "retry-after": "9" }), now), 150)
      assert.isUndefined(ProviderHttp.parseRetryAfter(headers({ "retry-after": "soon" }), now))
      assert.isUndefined(ProviderHttp.parseRetryAfter(headers({}), now))
    })
  })
})
