/**
 * The READMEs' TypeScript examples run as written: each is extracted, loaded
 * the way the CLI loads eval files (jiti, importing the built packages), in a
 * child process whose local store is a temp directory.
 */
import { assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"

const packageDir = fileURLToPath(new URL("..", import.meta.url))
const repoDir = NodePath.resolve(packageDir, "../..")

/** The first ```ts block after `heading` in a markdown file. */
const example = (file: string, heading: string): string => {
  const text = NodeFs.readFileSync(NodePath.join(repoDir, file), "utf8")
  const from = text.indexOf(heading)
  assert.isAtLeast(from, 0, `${file} has no "${heading}"`)
  const match = /```ts\n([\s\S]*?)```/.exec(text.slice(from))
  assert.isNotNull(match, `${file} has no ts block after "${heading}"`)
  return match![1]!
}

const run = (code: string): string => {
  // Inside the package, so "promptops" resolves to this workspace's build.
  const scratch = NodeFs.mkdtempSync(NodePath.join(packageDir, "test", ".readme-"))
  const store = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "promptops-readme-"))
  try {
    const file = NodePath.join(scratch, "example.ts")
    NodeFs.writeFileSync(file, code)
    const loader = `const { createJiti } = await import("jiti"); await createJiti(import.meta.url).import(${JSON.stringify(file)})`
    const env: Record<string, string | undefined> = { ...process.env, PROMPTOPS_LOCAL_DIR: store }
    delete env["PROMPTOPS_PROVIDER"]
    return execFileSync(process.execPath, ["--input-type=module", "-e", loader], { cwd: scratch, env, encoding: "utf8" })
  } finally {
    NodeFs.rmSync(scratch, { recursive: true, force: true })
    NodeFs.rmSync(store, { recursive: true, force: true })
  }
}

describe("README examples", () => {
  it("the root README: from install to a traced eval, on the local backend", () => {
    const out = run(example("README.md", "## From install to a traced eval"))
    assert.include(out, "greeting v1: 2 results, 0 errors")
    assert.match(out, /exact\s+100\.0%/)
  })

  it("the promptops README: the library example", () => {
    const out = run(example("packages/promptops/README.md", "## The library"))
    assert.strictEqual(out.trim(), "How do I reset my password?")
  })
})
