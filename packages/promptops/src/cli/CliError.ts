/**
 * How the CLI ends: what it prints for a failure and which exit code it
 * returns. 0 ok; 1 failures (a run that could not finish, regressions, a
 * diff); 2 usage and configuration errors (bad arguments, missing settings,
 * a capability the backend lacks).
 *
 * @since 0.1.0
 */
import * as ValidationError from "@effect/cli/ValidationError"
import { isPromptOpsError, type PromptOpsError } from "@promptops/core/PromptOpsError"
import { Cause, ConfigError, Option, Predicate, Schema } from "effect"

/** @since 0.1.0 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130
} as const

/**
 * A failure the CLI raises itself: its message is printed as it is, and it
 * ends the process with `exitCode`. `silent` failures were already reported
 * (e.g. a diff that was printed) and only set the exit code.
 *
 * @since 0.1.0
 */
export class CliFailure extends Schema.TaggedError<CliFailure>("promptops/cli/CliFailure")("CliFailure", {
  message: Schema.String,
  exitCode: Schema.Number,
  silent: Schema.optionalWith(Schema.Boolean, { default: () => false })
}) {}

/**
 * A usage error (exit 2).
 *
 * @since 0.1.0
 */
export const usage = (message: string): CliFailure => new CliFailure({ message, exitCode: ExitCode.usage })

/**
 * A failure (exit 1).
 *
 * @since 0.1.0
 */
export const failure = (message: string): CliFailure => new CliFailure({ message, exitCode: ExitCode.failure })

/**
 * Promptops errors that mean "fix your command or your settings", not "it
 * broke while running".
 */
const usageTags: ReadonlySet<PromptOpsError["_tag"]> = new Set([
  "Unsupported",
  "InvalidInput",
  "Unauthorized",
  "Forbidden"
])

const hasTag = (u: unknown, tag: string): boolean => Predicate.hasProperty(u, "_tag") && u._tag === tag

const messageOf = (u: unknown): string =>
  Predicate.hasProperty(u, "message") && typeof u.message === "string" && u.message.length > 0
    ? u.message
    : String(u)

/**
 * What the CLI prints and returns for a failure, or `undefined` when it needs
 * no message (a help request, a parse error @effect/cli already printed).
 *
 * @since 0.1.0
 */
export const report = (error: unknown): { readonly exitCode: number; readonly message: string | undefined } => {
  if (error instanceof CliFailure) {
    return { exitCode: error.exitCode, message: error.silent ? undefined : error.message }
  }
  if (ValidationError.isValidationError(error)) {
    // @effect/cli printed the problem (and the usage) already.
    return { exitCode: ValidationError.isHelpRequested(error) ? ExitCode.ok : ExitCode.usage, message: undefined }
  }
  if (ConfigError.isConfigError(error)) {
    return { exitCode: ExitCode.usage, message: `configuration: ${String(error)}` }
  }
  if (hasTag(error, "ConfigurationError")) {
    return { exitCode: ExitCode.usage, message: `configuration: ${messageOf(error)}` }
  }
  if (isPromptOpsError(error)) {
    // A prompt file that does not parse is the user's input to fix, like a bad argument.
    const badFile = error._tag === "DecodeError" && error.operation.startsWith("PromptFile.")
    return { exitCode: usageTags.has(error._tag) || badFile ? ExitCode.usage : ExitCode.failure, message: error.message }
  }
  if (hasTag(error, "EvalTimeout")) return { exitCode: ExitCode.failure, message: messageOf(error) }
  return { exitCode: ExitCode.failure, message: messageOf(error) }
}

/**
 * The exit code and message of a whole run's failure cause.
 *
 * @since 0.1.0
 */
export const reportCause = (cause: Cause.Cause<unknown>): { readonly exitCode: number; readonly message: string | undefined } => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return report(failure.value)
  if (Cause.isInterruptedOnly(cause)) return { exitCode: ExitCode.interrupted, message: "interrupted" }
  const defect = Cause.dieOption(cause)
  return {
    exitCode: ExitCode.failure,
    message: Option.match(defect, {
      onNone: () => `unexpected failure: ${Cause.pretty(cause)}`,
      onSome: (d) => `unexpected error: ${d instanceof Error ? (d.stack ?? d.message) : String(d)}`
    })
  }
}
