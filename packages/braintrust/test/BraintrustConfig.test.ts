/**
 * `BraintrustConfig.config`: the documented variables as `Config`s, given
 * whole to the one-object `layerConfig`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Prompts } from "@promptops/core/Prompts"
import { ConfigError, ConfigProvider, Effect, Either, Layer } from "effect"
import * as Braintrust from "../src/Braintrust.js"
import * as BraintrustClient from "../src/BraintrustClient.js"
import * as BraintrustConfig from "../src/BraintrustConfig.js"
import { fakeVendor, json } from "./fakeVendor.js"

const env = (entries: ReadonlyArray<readonly [string, string]>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(entries)))

describe("BraintrustConfig", () => {
  it.effect("Braintrust.layerConfig(BraintrustConfig.config) reads the documented variables, trimmed", () => {
    const vendor = fakeVendor(() => json({ objects: [] }))
    const layer = Braintrust.layerConfig({ ...BraintrustConfig.config, retry: false }).pipe(
      Layer.provide(vendor.httpLayer),
      Layer.provide(env([
        ["BRAINTRUST_API_KEY", "sk-env"],
        ["BRAINTRUST_ORG_NAME", " acme "],
        ["BRAINTRUST_PROJECT", " support-bot "]
      ]))
    )
    return Effect.gen(function*() {
      const client = yield* BraintrustClient.BraintrustClient
      assert.strictEqual(client.project, "support-bot")
      assert.strictEqual(client.orgName, "acme")
      // BRAINTRUST_API_URL unset: the default, declared once.
      assert.strictEqual(client.apiUrl, BraintrustConfig.defaultApiUrl)
      assert.strictEqual(BraintrustClient.defaultApiUrl, BraintrustConfig.defaultApiUrl)
      yield* Effect.flatMap(Prompts, (prompts) => Effect.either(prompts.get("greet")))
      const request = vendor.captured[0]!
      assert.strictEqual(request.url.origin, "https://api.braintrust.dev")
      assert.strictEqual(request.headers["authorization"], "Bearer sk-env")
      assert.strictEqual(request.headers["x-bt-org-name"], "acme")
      assert.strictEqual(request.url.searchParams.get("project_name"), "support-bot")
    }).pipe(Effect.provide(layer))
  })

  it.effect("each setting fails naming its variable: unset is MissingData, blank is InvalidData", () =>
    Effect.gen(function*() {
      const read = (entries: ReadonlyArray<readonly [string, string]>) =>
        Effect.either(
          Effect.withConfigProvider(
            Effect.all(BraintrustConfig.config),
            ConfigProvider.fromMap(new Map(entries))
          )
        )
      const missing = yield* read([["BRAINTRUST_PROJECT", "p"]])
      assert.isTrue(Either.isLeft(missing))
      if (Either.isLeft(missing)) {
        assert.isTrue(ConfigError.isMissingDataOnly(missing.left))
        assert.include(String(missing.left), "BRAINTRUST_API_KEY")
      }
      const blank = yield* read([["BRAINTRUST_API_KEY", "k"], ["BRAINTRUST_PROJECT", "  "]])
      assert.isTrue(Either.isLeft(blank))
      if (Either.isLeft(blank)) {
        assert.strictEqual(blank.left._op, "InvalidData")
        assert.deepStrictEqual(blank.left._op === "InvalidData" && blank.left.path, ["BRAINTRUST_PROJECT"])
      }
      const optional = yield* read([["BRAINTRUST_API_KEY", "k"], ["BRAINTRUST_PROJECT", "p"]])
      assert.isTrue(Either.isRight(optional))
      if (Either.isRight(optional)) {
        assert.isUndefined(optional.right.apiUrl)
        assert.isUndefined(optional.right.orgName)
      }
    }))
})
