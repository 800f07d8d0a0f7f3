/**
 * The READMEs' TypeScript examples run as written: each is extracted, loaded
 * the way the CLI loads eval files (jiti, importing the built packages), in a
 * child process whose local store is a temp directory. The root README's walk
 * through then runs its eval file and its shell commands through the built CLI.
 */
import { assert, describe, it } from "@effect/vitest"
import { execFileSync, spawnSync } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"

const packageDir = fileURLToPath(new URL("..", import.meta.url))
const repoDir = NodePath.resolve(packageDir, "../..")
const cli = NodePath.join(packageDir, "bin", "promptops.js")

/** The ```ts blocks after `heading` in a markdown file, up to the next heading of that level. */
const examples = (file: string, heading: string): ReadonlyArray<string> => {
  const text = NodeFs.readFileSync(NodePath.join(repoDir, file), "utf8")
  const from = text.indexOf(heading)
  assert.isAtLeast(from, 0, `${file} has no "${heading}"`)
  const rest = text.slice(from + heading.length)
  const level = heading.split(" ")[0]!
  const end = rest.search(new RegExp(`\\n${level} `))
  const section = end === -1 ? rest : rest.slice(0, end)
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!)
  assert.isNotEmpty(blocks, `${file} has no ts block after "${heading}"`)
  return blocks
}

/** The lines of ```sh blocks in a section (up to the next heading of its level) that run `npx promptops`, without their comments. */
const cliCommands = (file: string, heading: string): ReadonlyArray<ReadonlyArray<string>> => {
  const text = NodeFs.readFileSync(NodePath.join(repoDir, file), "utf8")
  const rest = text.slice(text.indexOf(heading) + heading.length)
  const end = rest.search(new RegExp(`\\n${heading.split(" ")[0]!} `))
  const section = end === -1 ? rest : rest.slice(0, end)
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((match) => match[1]!.split("\n"))
    .map((line) => line.replace(/#.*$/, "").trim())
    .filter((line) => line.startsWith("npx promptops "))
    .map((line) => line.split(/\s+/).slice(2))
}

/** A scratch directory inside the package (so "promptops" resolves to this workspace's build) and a store. */
const withScratch = <A>(f: (scratch: string, env: Record<string, string | undefined>) => A): A => {
  const scratch = NodeFs.mkdtempSync(NodePath.join(packageDir, "test", ".readme-"))
  const store = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "promptops-readme-"))
  const env: Record<string, string | undefined> = { ...process.env, PROMPTOPS_LOCAL_DIR: store, NO_COLOR: "1" }
  delete env["PROMPTOPS_PROVIDER"]
  try {
    return f(scratch, env)
  } finally {
    NodeFs.rmSync(scratch, { recursive: true, force: true })
    NodeFs.rmSync(store, { recursive: true, force: true })
  }
}

const runTs = (scratch: string, env: Record<string, string | undefined>, name: string, code: string): string => {
  const file = NodePath.join(scratch, name)
  NodeFs.writeFileSync(file, code)
  const loader = `const { createJiti } = await import("jiti"); await createJiti(import.meta.url).import(${JSON.stringify(file)})`
  return execFileSync(process.execPath, ["--input-type=module", "-e", loader], { cwd: scratch, env, encoding: "utf8" })
}

const runCli = (scratch: string, env: Record<string, string | undefined>, args: ReadonlyArray<string>) => {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: scratch, env, encoding: "utf8" })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe("README examples", () => {
  it("the root README: from install to a traced eval, then the eval file and the CLI, on the local backend", () =>
    withScratch((scratch, env) => {
      const [main, evalFile] = examples("README.md", "## From install to a traced eval")
      const out = runTs(scratch, env, "main.ts", main!)
      assert.include(out, "greeting v1: 2 results, 0 errors, 0 scorer errors")
      assert.match(out, /exact\s+100\.0%/)

      assert.isDefined(evalFile, "the walk-through has an eval file")
      NodeFs.mkdirSync(NodePath.join(scratch, "evals"))
      NodeFs.writeFileSync(NodePath.join(scratch, "evals", "greeting.eval.ts"), evalFile!)
      const commands = cliCommands("README.md", "## From install to a traced eval")
      const gate = commands.find((args) => args[0] === "eval")
      assert.deepStrictEqual(gate, ["eval", "evals/greeting.eval.ts", "--fail-on-regression", "--fail-on-error"])

      const first = runCli(scratch, env, gate!)
      assert.strictEqual(first.code, 0, first.stderr)
      assert.include(first.stdout, "greeting: 2 results, 0 errors, 0 scorer errors\n")
      assert.match(first.stdout, /exact\s+100\.0%/)
      assert.include(first.stdout, `baseline: none (no earlier run of "greeting" on local that completed and passed its gate)`)
      const firstId = /experiment: ([0-9a-f-]{36})/.exec(first.stdout)![1]!

      const second = runCli(scratch, env, gate!)
      assert.strictEqual(second.code, 0, second.stderr)
      assert.include(second.stdout, "greeting: 2 results, 0 errors, 0 scorer errors (vs greeting)")
      assert.include(second.stdout, `baseline: greeting (${firstId}, the last complete run that passed its gate)`)

      // The read-back commands, as the README lists them.
      const reads = commands.filter((args) => args[0] !== "eval")
      assert.deepStrictEqual(reads.map((args) => args.slice(0, 2)), [
        ["experiments", "list"],
        ["experiments", "show"],
        ["traces", "tail"]
      ])
      const [list, show, tail] = reads.map((args) => runCli(scratch, env, args))
      assert.strictEqual(list!.code, 0, list!.stderr)
      assert.match(list!.stdout, new RegExp(`${firstId}\\s+greeting\\s+\\S+ \\S+\\s+complete\\s+passed`))
      assert.strictEqual(show!.code, 0, show!.stderr)
      assert.include(show!.stdout, "state complete: 2/2 results, 0 errors, 0 scorer errors, gate passed")
      assert.include(show!.stdout, `ada#0  exact=1.00  output: "Say hello to Ada."`)
      assert.strictEqual(tail!.code, 0, tail!.stderr)
      assert.match(tail!.stdout, /root\s+eval eval/)
      assert.match(tail!.stdout, /score exact .*scores: exact=1/)
    }))

  it("the promptops README: the library example", () =>
    withScratch((scratch, env) => {
      const out = runTs(scratch, env, "example.ts", examples("packages/promptops/README.md", "## The library")[0]!)
      assert.strictEqual(out.trim(), "How do I reset my password?")
    }))
})
