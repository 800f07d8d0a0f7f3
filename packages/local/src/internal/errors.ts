/**
 * How local failures map onto the promptops error family: a storage failure
 * (SQLite or the file system) is `ProviderUnavailable` — the backend could not
 * serve the call — with the cause's code and message in the description.
 */
import { DecodeError, NotFound, ProviderUnavailable } from "@promptops/core/PromptOpsError"

/** The provider name in every service and error of this package. */
export const PROVIDER = "local"

const causeText = (cause: unknown): string => {
  if (cause instanceof Error) {
    const code = (cause as { readonly code?: unknown }).code
    return typeof code === "string" && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message
  }
  return String(cause)
}

/** A storage failure, with its cause (a `SqlError` carries the driver's error in `cause`). */
export const unavailable = (operation: string, what: string, cause: unknown): ProviderUnavailable => {
  const inner = (cause as { readonly cause?: unknown } | undefined)?.cause
  const detail = inner === undefined ? causeText(cause) : `${causeText(cause)} (${causeText(inner)})`
  return new ProviderUnavailable({ provider: PROVIDER, operation, description: `${what}: ${detail}` })
}

/** A stored file or row that does not have the expected shape. */
export const decodeError = (operation: string, path: string, description: string): DecodeError =>
  new DecodeError({ provider: PROVIDER, operation, path, description })

/** An object that does not exist. */
export const notFound = (operation: string, resource: string): NotFound =>
  new NotFound({ provider: PROVIDER, operation, description: `${resource} does not exist`, resource, status: 404 })

/** The `code` of a Node system error (`ENOENT`, …), if it is one. */
export const errnoCode = (cause: unknown): string | undefined => {
  const code = (cause as { readonly code?: unknown } | undefined)?.code
  return typeof code === "string" ? code : undefined
}
