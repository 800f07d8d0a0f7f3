import { assert, describe, it } from "@effect/vitest"
import { execFileSync, spawnSync } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"

// The README's main command runs the built `dist/main.js` (`npm test` builds first).
const main = fileURLToPath(new URL("../dist/main.js", import.meta.url))

describe("the main job, as the README runs it", () => {
  it("runs on the local backend with no key, and a second run shows the diff against the first", () => {
    const cwd = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "support-bot-main-"))
    try {
      const env = { ...process.env, PROMPTOPS_PROVIDER: "", BRAINTRUST_API_KEY: "", BASALT_API_KEY: "" }
      delete (env as Record<string, string | undefined>)["PROMPTOPS_PROVIDER"]
      delete (env as Record<string, string | undefined>)["PROMPTOPS_LOCAL_DIR"]
      // No provider key: the offline stand-in model (openai.test.ts runs it with one).
      delete (env as Record<string, string | undefined>)["OPENAI_API_KEY"]
      delete (env as Record<string, string | undefined>)["OPENAI_BASE_URL"]
      const first = execFileSync(process.execPath, [main], { cwd, env, encoding: "utf8" })
      assert.include(first, `Backend: local (${NodeFs.realpathSync(cwd)}/.promptops)`)
      assert.include(first, "Model: stand-in keyword-bot-1 (offline; set OPENAI_API_KEY to call OpenAI)")
      // The eval's judge scores beside the deterministic scorers, its tokens apart from the task's.
      assert.match(first, /\nfactuality +87\.5% /)
      assert.match(first, /\nscorerTotalTokens +\d+/)
      assert.include(first, "support-answer production: 8 results, 0 errors, 0 scorer errors\n")
      assert.include(first, "(First run: run again to see the diff against this one.)")
      assert.match(first, /Traces: \d+ spans exported to .*\.promptops \(0 dropped\)/)
      const second = execFileSync(process.execPath, [main], { cwd, env, encoding: "utf8" })
      assert.include(second, "support-answer production: 8 results, 0 errors, 0 scorer errors (vs support-answer production)")
      assert.notInclude(second, "First run")
    } finally {
      NodeFs.rmSync(cwd, { recursive: true, force: true })
    }
  })

  it("a configuration problem exits 2 with every variable to set, and no stack trace", () => {
    const result = spawnSync(process.execPath, [main], {
      env: { ...process.env, PROMPTOPS_PROVIDER: "braintrust", BRAINTRUST_API_KEY: "", BRAINTRUST_PROJECT: "" },
      encoding: "utf8"
    })
    assert.strictEqual(result.status, 2)
    assert.include(result.stderr, "promptops is not configured for the braintrust backend:")
    assert.include(result.stderr, "BRAINTRUST_API_KEY")
    assert.include(result.stderr, "BRAINTRUST_PROJECT")
    assert.notInclude(result.stderr, "    at ")
  })
})
