/**
 * `PROMPTOPS_TRACES=otlp` when the optional peer `@promptops/otlp` is not
 * installed: a `ConfigurationError` saying how to install it, not a crash.
 * The package is made unresolvable here by mocking its settings module with
 * Node's own "cannot find package" error.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { vi } from "vitest"
import * as Otlp from "../src/internal/otlp.js"
import * as PromptOps from "../src/PromptOps.js"

vi.mock("@promptops/otlp/OtlpConfig", () => {
  throw Object.assign(new Error("Cannot find package '@promptops/otlp' imported from /app/node_modules/promptops/dist/PromptOps.js"), {
    code: "ERR_MODULE_NOT_FOUND"
  })
})

const withEnv = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("PROMPTOPS_TRACES=otlp without @promptops/otlp", () => {
  it.effect("is a ConfigurationError naming PROMPTOPS_TRACES and the install command", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.scoped(Effect.provide(PromptOps.Backend, PromptOps.layer)).pipe(
          withEnv({ PROMPTOPS_PROVIDER: "memory", PROMPTOPS_TRACES: "provider,otlp" })
        )
      )
      assert.instanceOf(error, PromptOps.ConfigurationError)
      assert.strictEqual(
        error.message,
        "promptops is not configured:\n  - PROMPTOPS_TRACES: otlp needs @promptops/otlp: npm install @promptops/otlp"
      )
    }))

  it.effect("the default (provider) never loads it", () =>
    Effect.gen(function*() {
      const backend = yield* Effect.scoped(Effect.provide(PromptOps.Backend, PromptOps.layer)).pipe(
        withEnv({ PROMPTOPS_PROVIDER: "memory" })
      )
      assert.deepStrictEqual(backend.traces, [{ name: "memory", location: "process memory (gone when the process exits)" }])
    }))

  it("only the package itself missing is a configuration problem; a missing dependency of it is not", () => {
    const notFound = (message: string) => Object.assign(new Error(message), { code: "ERR_MODULE_NOT_FOUND" })
    assert.isTrue(Otlp.isMissing(notFound("Cannot find package '@promptops/otlp' imported from /app/x.js")))
    assert.isTrue(Otlp.isMissing(notFound("Cannot find module '@promptops/otlp/OtlpSpanSink'")))
    assert.isFalse(Otlp.isMissing(notFound("Cannot find package '@opentelemetry/otlp-transformer' imported from /app/node_modules/@promptops/otlp/dist/x.js")))
    assert.isFalse(Otlp.isMissing(new Error("Cannot find package '@promptops/otlp'")))
  })
})
