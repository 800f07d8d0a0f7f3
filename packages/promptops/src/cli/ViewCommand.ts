/**
 * `promptops view`: the local viewer's server (`@promptops/view`) over the
 * configured backend, on `127.0.0.1` and a free port unless told otherwise.
 * It prints `promptops view: <url>` and serves until interrupted (Ctrl-C
 * closes the server and the backend cleanly).
 *
 * `@promptops/view` is an optional peer of this package, imported only when
 * the command runs, so the CLI starts as fast without it.
 *
 * @since 0.1.0
 */
import { spawn } from "node:child_process"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Console, Effect, Option } from "effect"
import { failure, usage } from "./CliError.js"
import * as CliOptions from "./CliOptions.js"

const loopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)

const named = /['"]@promptops\/view(\/[^'"]*)?['"]/

/**
 * Whether `error` is Node saying `@promptops/view` itself cannot be found —
 * not a module it imports, which is a broken install and stays a defect.
 * Loaders that wrap import errors keep Node's as a `cause`, followed a few links.
 */
const isMissing = (error: unknown, depth = 0): boolean => {
  if (typeof error !== "object" || error === null || depth > 4) return false
  const { cause, code, message } = error as { readonly code?: unknown; readonly message?: unknown; readonly cause?: unknown }
  return ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && named.test(String(message ?? ""))) ||
    isMissing(cause, depth + 1)
}

/**
 * Opens `url` with the platform's opener (`open`, `start`, `xdg-open`);
 * failing only warns.
 *
 * @since 0.1.0
 */
export const openBrowser = (url: string): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const [command, args] = process.platform === "darwin"
      ? ["open", [url]] as const
      : process.platform === "win32"
      ? ["cmd", ["/c", "start", "", url]] as const
      : ["xdg-open", [url]] as const
    const warn = (why: string) =>
      resume(Console.error(`promptops view: warning: could not open a browser (${why}); open ${url} yourself`))
    try {
      const child = spawn(command, [...args], { stdio: "ignore", detached: true })
      child.on("error", (error) => warn(`${command}: ${error.message}`))
      child.on("spawn", () => {
        child.unref()
        resume(Effect.void)
      })
    } catch (error) {
      warn(String(error))
    }
  })

/**
 * @since 0.1.0
 */
export const command = Command.make(
  "view",
  {
    provider: CliOptions.provider,
    port: Options.integer("port").pipe(
      Options.withDescription("Port to listen on (default: any free port)."),
      Options.optional
    ),
    host: Options.text("host").pipe(
      Options.withDescription("Address to bind (default 127.0.0.1). Anything else exposes your data on the network."),
      Options.optional
    ),
    open: Options.boolean("open").pipe(Options.withDescription("Open the viewer in a browser."))
  },
  (args) =>
    Effect.gen(function*() {
      const port = Option.getOrUndefined(args.port)
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
        return yield* Effect.fail(usage(`--port must be from 0 to 65535, got ${port}`))
      }
      const host = Option.getOrUndefined(args.host)
      if (host !== undefined && !loopback(host)) {
        yield* Console.error(
          `promptops view: warning: listening on ${host}, not loopback: anyone who can reach it can read this backend's data`
        )
      }
      const ViewServer = yield* Effect.tryPromise({ try: () => import("@promptops/view/ViewServer"), catch: (error) => error }).pipe(
        Effect.catchAll((error) =>
          isMissing(error)
            ? Effect.fail(usage("promptops view needs the @promptops/view package: npm install @promptops/view"))
            : Effect.die(error)
        )
      )
      yield* CliOptions.withBackend(
        args.provider,
        Effect.scoped(Effect.gen(function*() {
          // A taken port or an address this machine lacks is a failure (1), as the help says, not a usage error.
          const server = yield* ViewServer.make({ port, host }).pipe(
            Effect.mapError((error) =>
              failure(`cannot listen on ${host ?? "127.0.0.1"}:${port ?? 0}: ${
                error.cause instanceof Error ? error.cause.message : String(error.cause)
              }`)
            )
          )
          yield* Console.log(`promptops view: ${server.url}`)
          if (args.open) yield* openBrowser(server.url)
          return yield* Effect.never
        }))
      )
    })
).pipe(Command.withDescription("Serve the local viewer (pages, JSON API, OTLP at /v1/traces) over the backend, until Ctrl-C."))
