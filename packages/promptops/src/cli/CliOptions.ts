/**
 * Options shared by several commands, and running a command's program with
 * the backend they name.
 *
 * @since 0.1.0
 */
import * as Options from "@effect/cli/Options"
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import { Console, type Context, Effect, Option } from "effect"
import * as PromptOps from "../PromptOps.js"
import { CliBackends } from "./CliBackends.js"
import { type CliFailure, usage } from "./CliError.js"

/**
 * `--provider`: overrides `PROMPTOPS_PROVIDER`.
 *
 * @since 0.1.0
 */
export const provider: Options.Options<Option.Option<PromptOps.Provider>> = Options.choice(
  "provider",
  PromptOps.providers
).pipe(
  Options.withDescription("The backend to use (overrides PROMPTOPS_PROVIDER, default local)."),
  Options.optional
)

/**
 * Runs `program` with the services of the backend named by `provider` (or by
 * the configuration).
 *
 * Only `eval` traces (its spans are the experiment's traces). The other
 * commands run with the tracer off: reading the backend must not write
 * spans of its own to the project logs (`traces tail --follow` would read
 * its own polls back). A command that only reads passes `access: "read"`:
 * it then creates nothing (no local store, no vendor project).
 *
 * @since 0.1.0
 */
export const withBackend = <A, E, R>(
  provider: Option.Option<PromptOps.Provider>,
  program: Effect.Effect<A, E, R>,
  options: { readonly traced?: boolean; readonly access?: PromptOps.Access } = {}
): Effect.Effect<
  A,
  E | PromptOps.ConfigurationError | PromptOpsError,
  Exclude<R, PromptOps.Services> | CliBackends
> =>
  Effect.flatMap(CliBackends, (backends) => {
    const traced = options.traced === true
    const provided = Effect.provide(program, backends.layer(provider, options.access ?? "write", traced))
    return traced ? provided : Effect.withTracerEnabled(provided, false)
  })

/**
 * `withBackend` for a command that only reads (listing, showing, tailing,
 * pulling, a dry run): the backend is opened with `access: "read"`, so the
 * command creates nothing — no local directory or store, no vendor project.
 *
 * @since 0.1.0
 */
export const withReadBackend = <A, E, R>(
  provider: Option.Option<PromptOps.Provider>,
  program: Effect.Effect<A, E, R>
): Effect.Effect<
  A,
  E | PromptOps.ConfigurationError | PromptOpsError,
  Exclude<R, PromptOps.Services> | CliBackends
> => withBackend(provider, program, { access: "read" })

/**
 * A positive whole number given as an option, checked with the option's name
 * in the message.
 *
 * @since 0.1.0
 */
export const positive = (name: string, value: Option.Option<number>): Effect.Effect<number | undefined, CliFailure> =>
  Option.match(value, {
    onNone: () => Effect.succeed(undefined),
    onSome: (n) =>
      Number.isSafeInteger(n) && n >= 1
        ? Effect.succeed(n)
        : Effect.fail(usage(`--${name} must be a whole number ≥ 1, got ${n}`))
  })

/**
 * Prints which backend a command works on, to standard error (standard
 * output stays for the command's own output).
 *
 * @since 0.1.0
 */
export const announce = (backend: Context.Tag.Service<PromptOps.Backend>): Effect.Effect<void> =>
  Effect.gen(function*() {
    yield* Console.error(`${backend.provider}: ${backend.location}`)
    const traces = tracesLine(backend)
    if (traces !== undefined) yield* Console.error(traces)
  })

/**
 * Where spans go, when not (only) to the backend itself
 * (`PROMPTOPS_TRACES`): `traces: otlp http://localhost:4318/v1/traces`, or
 * `traces: local /app/.promptops, otlp http://…` for both. Never a key.
 *
 * @since 0.1.0
 */
export const tracesLine = (backend: Context.Tag.Service<PromptOps.Backend>): string | undefined => {
  const targets = backend.traces
  if (targets === undefined || (targets.length === 1 && targets[0]!.name !== "otlp")) return undefined
  return `traces: ${targets.map((target) => `${target.name} ${target.location}`).join(", ")}`
}
