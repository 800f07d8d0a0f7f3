/** What the provider bindings share: the warning for parameters not sent. */
import type { ModelSpec } from "@promptops/core/Prompt"
import * as Effect from "effect/Effect"
import type { Unmapped } from "../ModelOptions.js"

/**
 * Logs, once per call, the prompt's parameters the provider cannot take and a
 * model name left out because the prompt names another provider.
 */
export const report = (
  provider: string,
  spec: ModelSpec,
  unmapped: ReadonlyArray<Unmapped>,
  foreign: boolean
): Effect.Effect<void> => {
  if (unmapped.length === 0 && !foreign) return Effect.void
  const lines = unmapped.map((u) => `${u.param} (${u.reason})`)
  if (foreign) lines.push(`model ${spec.name} (the prompt names provider ${spec.provider}; the app's model is kept)`)
  return Effect.logWarning(`@promptops/ai: the prompt's model parameters not sent to ${provider}: ${lines.join("; ")}`)
}

export const withoutModel = <C extends { readonly model: string }>(config: C): Omit<C, "model"> => {
  const { model: _model, ...rest } = config
  return rest
}
