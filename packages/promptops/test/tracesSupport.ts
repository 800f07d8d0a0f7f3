/**
 * What the `PROMPTOPS_TRACES` tests share: a config provider from a map, the
 * `ConfigurationError` of an effect, a temporary local store, and the eval
 * whose spans they follow.
 */
import { assert } from "@effect/vitest"
import * as Eval from "@promptops/core/Eval"
import { ConfigProvider, Effect } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as Evaluator from "../src/Evaluator.js"
import * as PromptOps from "../src/PromptOps.js"

export const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

export const configurationError = (effect: Effect.Effect<unknown, unknown>) =>
  Effect.map(Effect.flip(effect), (error) => {
    assert.instanceOf(error, PromptOps.ConfigurationError)
    return error as PromptOps.ConfigurationError
  })

/** A temporary local store, removed when the scope closes. */
export const tmpDir = Effect.acquireRelease(
  Effect.sync(() => NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "promptops-traces-"))),
  (dir) => Effect.sync(() => NodeFs.rmSync(dir, { recursive: true, force: true }))
)

export const greeting = Evaluator.make({
  name: "greeting",
  data: [
    { id: "ada", input: "Ada", expected: "Hello Ada" },
    { id: "bob", input: "Bob", expected: "Hello Bob" }
  ],
  task: (name: string) => Effect.succeed(`Hello ${name}`),
  scorers: [Eval.scorer("exact", ({ expected, output }) => (output === expected ? 1 : 0))]
})
