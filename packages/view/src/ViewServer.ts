/**
 * The `promptops view` server: `@effect/platform`'s HTTP server on Node,
 * serving the JSON API of `ViewApi` (routes in the package README) over the
 * backend's services in context.
 *
 * It needs `Experiments` and `Prompts`; it uses `TraceReader`, `Feedback`
 * and the local store's `LocalView` when they are in context too (the
 * traces endpoints and feedback answer 501 `Unsupported` without them).
 * With a `SpanSink` in context it also receives OTLP/HTTP traces at
 * `POST /v1/traces` into that store (`internal/otlp.ts`).
 *
 * Safety:
 * - binds `127.0.0.1` unless told otherwise; on a loopback address it
 *   answers only requests whose `Host` is that address or `localhost` at its
 *   port (a DNS-rebinding page cannot read the API);
 * - every write (POST, PUT, PATCH, DELETE) must come from the server's own
 *   origin: an `Origin` header equal to it, or none with
 *   `Sec-Fetch-Site: same-origin`; anything else is 403 (except OTLP at
 *   `/v1/traces`, which also takes a post with neither header: an exporter);
 * - every response has `x-content-type-options: nosniff`; JSON comes only
 *   from `/api`; no route takes a file path.
 *
 * @since 0.1.0
 */
import { createServer } from "node:http"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpRouter from "@effect/platform/HttpRouter"
import type { ServeError } from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Experiments } from "@promptops/core/Experiments"
import { Feedback } from "@promptops/core/Feedback"
import { Prompts } from "@promptops/core/Prompts"
import { SpanSink } from "@promptops/core/SpanSink"
import { TraceReader } from "@promptops/core/TraceReader"
import { LocalView } from "@promptops/local/LocalView"
import type { ConfigError, Scope } from "effect"
import { Config, Context, Duration, Effect, Layer } from "effect"
import * as Api from "./internal/api.js"
import * as Otlp from "./internal/otlp.js"
import * as Static from "./internal/static.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /** Default `0`: any free port. */
  readonly port?: number | undefined
  /** Default `127.0.0.1`. Anything else exposes the API beyond this machine. */
  readonly host?: string | undefined
  /** How often the live endpoint polls the store (default 250 ms). */
  readonly pollInterval?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 */
export interface Service {
  /** `http://127.0.0.1:PORT`, as bound. */
  readonly url: string
  readonly host: string
  readonly port: number
  /** Whether the server listens on a loopback address only. */
  readonly loopback: boolean
}

/**
 * @since 0.1.0
 */
export class ViewServer extends Context.Tag("@promptops/view/ViewServer")<ViewServer, Service>() {}

/**
 * What the server reads through; `TraceReader`, `Feedback` and `LocalView`
 * are used when present.
 *
 * @since 0.1.0
 */
export type Requirements = Experiments | Prompts

/**
 * Whether `host` is a loopback address (or name).
 *
 * @since 0.1.0
 */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)

const WRITES: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"])

const withHeader = (response: HttpServerResponse.HttpServerResponse) =>
  HttpServerResponse.setHeader(response, "x-content-type-options", "nosniff")

/**
 * Starts the server in the scope (closing the scope stops it) and returns
 * where it listens.
 *
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<Service, ServeError, Scope.Scope | Requirements> =>
  Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    const server = yield* NodeHttpServer.make(() => createServer(), { port: options.port ?? 0, host })
    const address = server.address
    const port = address._tag === "TcpAddress" ? address.port : 0
    const urlHost = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host
    const url = `http://${urlHost}:${port}`
    const loopback = isLoopback(host)
    // On loopback, the names this server answers to; elsewhere any Host, with writes checked against it.
    const hosts: ReadonlySet<string> = new Set([`${urlHost}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`])
    const deps: Api.Deps = {
      experiments: yield* Experiments,
      prompts: yield* Prompts,
      traceReader: yield* Effect.serviceOption(TraceReader),
      feedback: yield* Effect.serviceOption(Feedback),
      local: yield* Effect.serviceOption(LocalView),
      pollInterval: Duration.decode(options.pollInterval ?? Duration.millis(250))
    }
    const app = yield* HttpRouter.toHttpApp(Api.router(deps))
    const otlp = Otlp.make({ sink: yield* Effect.serviceOption(SpanSink), url })
    // The built pages (`dist/ui`), read once: a fixed map, never a path from the request.
    const assets = Static.load()
    const guarded = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const hostHeader = request.headers["host"] ?? ""
      if (loopback && !hosts.has(hostHeader)) {
        return Api.errorResponse(403, "Forbidden", `host ${JSON.stringify(hostHeader)} is not this server's (${url})`)
      }
      const origin = request.headers["origin"]
      const own = loopback ? [...hosts].map((name) => `http://${name}`) : [`http://${hostHeader}`]
      const sameOrigin = origin === undefined
        ? request.headers["sec-fetch-site"] === "same-origin"
        : own.includes(origin)
      // OTLP exporters are not browsers (no Origin): the receiver applies its own rule and answers in OTLP.
      if (Otlp.isRoute(request.url)) return yield* otlp(request, sameOrigin)
      if (WRITES.has(request.method)) {
        if (!sameOrigin) {
          return Api.errorResponse(
            403,
            "Forbidden",
            origin === undefined
              ? `a write needs an Origin header equal to ${url} (or Sec-Fetch-Site: same-origin)`
              : `cross-origin write refused: Origin ${JSON.stringify(origin)} is not ${url}`
          )
        }
      }
      return yield* app
    }).pipe(
      Effect.catchTag("RouteNotFound", (error) =>
        Effect.succeed(
          error.request.url.startsWith("/api")
            ? Api.errorResponse(404, "RouteNotFound", `no route ${error.request.method} ${error.request.url.split("?")[0]}`)
            : Static.respond(assets, error.request.method, error.request.url) ??
              HttpServerResponse.text("not found", { status: 404 })
        )),
      Effect.map(withHeader)
    )
    yield* server.serve(guarded)
    return { url, host, port, loopback }
  })

/**
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<ViewServer, ServeError, Requirements> =>
  Layer.scoped(ViewServer, make(options))

/**
 * @since 0.1.0
 */
export interface ConfigOptions {
  readonly port?: Config.Config<number | undefined> | undefined
  readonly host?: Config.Config<string | undefined> | undefined
  readonly pollInterval?: Duration.DurationInput | undefined
}

/**
 * The server with its port and host from configuration (the app names the variables).
 *
 * @since 0.1.0
 */
export const layerConfig = (
  options: ConfigOptions
): Layer.Layer<ViewServer, ServeError | ConfigError.ConfigError, Requirements> =>
  Layer.unwrapEffect(
    Effect.map(
      Config.all({
        port: options.port ?? Config.succeed(undefined),
        host: options.host ?? Config.succeed(undefined)
      }),
      (config) => layer({ ...config, pollInterval: options.pollInterval })
    )
  )
