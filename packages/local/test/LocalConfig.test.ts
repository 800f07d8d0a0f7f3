/**
 * `LocalConfig.config`: `PROMPTOPS_LOCAL_DIR`, its default declared once.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either } from "effect"
import * as LocalConfig from "../src/LocalConfig.js"

const readDir = (entries: ReadonlyArray<readonly [string, string]>) =>
  Effect.either(Effect.withConfigProvider(LocalConfig.config.dir, ConfigProvider.fromMap(new Map(entries))))

describe("LocalConfig", () => {
  it.effect("PROMPTOPS_LOCAL_DIR, trimmed; unset is the default; blank is InvalidData naming it", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* readDir([]), Either.right(".promptops"))
      assert.strictEqual(LocalConfig.defaultDir, ".promptops")
      assert.deepStrictEqual(yield* readDir([["PROMPTOPS_LOCAL_DIR", " ./data "]]), Either.right("./data"))
      const blank = yield* readDir([["PROMPTOPS_LOCAL_DIR", "  "]])
      assert.isTrue(Either.isLeft(blank))
      if (Either.isLeft(blank)) {
        assert.deepStrictEqual(blank.left._op === "InvalidData" && blank.left.path, ["PROMPTOPS_LOCAL_DIR"])
      }
    }))
})
