import { Effect } from "effect"
import { InvalidInput, invalidInput } from "../PromptOpsError.js"

/** Fails with `InvalidInput` naming `path` when `value` is empty or blank. */
export const nonEmpty = (
  provider: string,
  operation: string,
  path: string,
  value: string
): Effect.Effect<void, InvalidInput> =>
  typeof value === "string" && value.trim().length > 0
    ? Effect.void
    : Effect.fail(invalidInput({ provider, operation, path, description: `${path} must be a non-empty string` }))
