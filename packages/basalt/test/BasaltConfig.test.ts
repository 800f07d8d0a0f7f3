/**
 * `BasaltConfig.config`: the documented variables as `Config`s, given whole
 * to the one-object `layerConfig` with per-service options beside them.
 */
import { assert, describe, it } from "@effect/vitest"
import { Prompts } from "@promptops/core/Prompts"
import { Chunk, ConfigProvider, Effect, Either, Layer, Stream } from "effect"
import * as Basalt from "../src/Basalt.js"
import * as BasaltClient from "../src/BasaltClient.js"
import * as BasaltConfig from "../src/BasaltConfig.js"
import { fakeBasalt } from "./fakeBasalt.js"

const json = (status: number, body: unknown) => ({ status, json: body })

const env = (entries: ReadonlyArray<readonly [string, string]>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(entries)))

describe("BasaltConfig", () => {
  it.effect("Basalt.layerConfig({ ...BasaltConfig.config, prompts }) reads the documented variables, trimmed", () =>
    Effect.gen(function*() {
      const fake = fakeBasalt(() =>
        json(200, { prompts: [{ slug: "p", name: "P", status: "live", availableVersions: [], availableTags: [] }] })
      )
      const layer = Basalt.layerConfig({ ...BasaltConfig.config, prompts: { onFallback: "accept" }, retry: false }).pipe(
        Layer.provide(fake.layer),
        Layer.provide(env([["BASALT_API_KEY", "k-env"], ["BASALT_FEATURE", " support "]]))
      )
      const listed = yield* Effect.flatMap(Prompts, (prompts) => Stream.runCollect(prompts.list())).pipe(
        Effect.provide(layer),
        Effect.map(Chunk.toReadonlyArray)
      )
      assert.deepStrictEqual(listed.map((summary) => summary.slug), ["p"])
      // BASALT_API_URL unset: the default, declared once.
      assert.strictEqual(BasaltClient.defaultApiUrl, BasaltConfig.defaultApiUrl)
      assert.strictEqual(fake.captured[0]!.url.toString(), `${BasaltConfig.defaultApiUrl}/prompts?featureSlug=support`)
      assert.strictEqual(fake.captured[0]!.headers["authorization"], "Bearer k-env")
    }))

  it.effect("a blank feature is InvalidData naming BASALT_FEATURE; an unset URL is undefined", () =>
    Effect.gen(function*() {
      const read = (entries: ReadonlyArray<readonly [string, string]>) =>
        Effect.either(
          Effect.withConfigProvider(Effect.all(BasaltConfig.config), ConfigProvider.fromMap(new Map(entries)))
        )
      const blank = yield* read([["BASALT_API_KEY", "k"], ["BASALT_FEATURE", " "]])
      assert.isTrue(Either.isLeft(blank))
      if (Either.isLeft(blank)) {
        assert.deepStrictEqual(blank.left._op === "InvalidData" && blank.left.path, ["BASALT_FEATURE"])
      }
      const ok = yield* read([["BASALT_API_KEY", "k"], ["BASALT_FEATURE", "f"]])
      assert.isTrue(Either.isRight(ok) && ok.right.apiUrl === undefined && ok.right.featureSlug === "f")
    }))
})
