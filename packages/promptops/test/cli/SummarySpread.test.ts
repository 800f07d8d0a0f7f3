/**
 * The spread over trials where the CLI prints a summary: `eval --trials`
 * and `experiments show`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { fileURLToPath } from "node:url"
import * as Harness from "./harness.js"

const trials = fileURLToPath(new URL("./fixtures/trials.eval.ts", import.meta.url))

describe("promptops CLI: spread over trials", () => {
  it.effect("eval --trials 3 and experiments show print a spread column; a single trial prints none", () =>
    Effect.gen(function*() {
      const backends = Harness.makeBackends()
      const run = yield* Harness.run(backends, ["eval", "--trials", "3", trials])
      assert.strictEqual(run.code, 0, run.stderr)
      assert.include(run.stdout, "trials: 6 results, 0 errors")
      // exact: steady 1, 1, 1 (sd 0) and flaky 1, 0, 1 (sd √2/3): spread √2/6 = 23.6%.
      assert.match(run.stdout, /^\s+mean\s+spread\s+diff\s+improved\s+regressed$/m)
      assert.match(run.stdout, /^exact\s+83\.3%\s+±23\.6%/m)
      // "Right" vs "right": 1 edit over 5 characters, 0.8 on trial 1: sd 0.2·√2/3, spread half of it (4.7%).
      assert.match(run.stdout, /^similar\s+96\.7%\s+±4\.7%/m)

      const show = yield* Harness.run(backends, ["experiments", "show", "exp-1"])
      assert.strictEqual(show.code, 0, show.stderr)
      assert.match(show.stdout, /^exact\s+83\.3%\s+±23\.6%/m)

      const once = yield* Harness.run(backends, ["eval", trials])
      assert.strictEqual(once.code, 0, once.stderr)
      assert.include(once.stdout, "trials: 2 results, 0 errors")
      assert.match(once.stdout, /^\s+mean\s+diff\s+improved\s+regressed$/m)
      // Compared with the first run (its baseline): the diff column, and no spread.
      assert.match(once.stdout, /^exact\s+100\.0%\s+\+16\.7%\s+1\s+0$/m)
    }))
})
