/**
 * `@promptops/otlp`, loaded only when `PROMPTOPS_TRACES` names `otlp`: it
 * is an optional peer (the OpenTelemetry serializers are not part of the
 * CLI's or the umbrella's import cost), so a missing install is a
 * configuration problem, not a crash.
 */
import type * as OtlpConfig from "@promptops/otlp/OtlpConfig"
import type * as OtlpSpanSink from "@promptops/otlp/OtlpSpanSink"
import { Effect } from "effect"

/** The package, as the install hint names it. */
export const packageName = "@promptops/otlp"

/** Says the optional peer is not installed (the caller turns it into a `ConfigurationError`). */
export class Missing {
  readonly _tag = "Missing"
}

const named = new RegExp(`['"]${packageName}(/[^'"]*)?['"]`)

/**
 * Whether `error` is Node saying `@promptops/otlp` itself cannot be found
 * (not a module it imports: that is a broken install, reported as a defect).
 * Loaders that wrap import errors (test runners, bundlers' shims) keep
 * Node's as a `cause`, so the chain is followed a few links.
 */
export const isMissing = (error: unknown, depth = 0): boolean => {
  if (typeof error !== "object" || error === null || depth > 4) return false
  const { cause, code, message } = error as { readonly code?: unknown; readonly message?: unknown; readonly cause?: unknown }
  return ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && named.test(String(message ?? ""))) ||
    isMissing(cause, depth + 1)
}

/** Runs a dynamic import, `Missing` when the package is not installed; any other failure dies. */
export const load = <A>(importer: () => Promise<A>): Effect.Effect<A, Missing> =>
  Effect.tryPromise({ try: importer, catch: (error) => error }).pipe(
    Effect.catchAll((error) => isMissing(error) ? Effect.fail(new Missing()) : Effect.die(error))
  )

/** The settings module (small: `Config` values and presets, no encoder). */
export const loadConfig = (): Effect.Effect<typeof OtlpConfig, Missing> => load(() => import("@promptops/otlp/OtlpConfig"))

/** The sink (loads the OpenTelemetry serializers). */
export const loadSink = (): Effect.Effect<typeof OtlpSpanSink, Missing> => load(() => import("@promptops/otlp/OtlpSpanSink"))
