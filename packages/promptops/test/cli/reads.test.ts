/**
 * Reads never write, end to end: the built `promptops` executable (run
 * `npx tsup` in packages/promptops first) spawned as a user would, against
 * the Braintrust emulator and local stores in temporary directories.
 *
 * - Every read command (`experiments list | show`, `traces tail`, `prompts
 *   pull | diff`, a `migrate` dry run) sends Braintrust no write; on a
 *   mistyped `BRAINTRUST_PROJECT` it fails naming the project and the
 *   variable, and no project is created. An eval (a write) looks its
 *   baseline up with reads before it creates anything.
 * - Locally, a read command in a directory without a store creates nothing
 *   and says where it looked; on a store made read-only it works and changes
 *   no byte, also for a user who may not write the file.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Experiments } from "@promptops/core/Experiments"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import { BraintrustEmulator } from "@promptops/emulators"
import * as Braintrust from "@promptops/braintrust/Braintrust"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Effect, Layer, Redacted } from "effect"
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as SpawnCli from "./spawnCli.js"
import { bin, freshDirs, outputs, type Run } from "./spawnCli.js"


const key = "bt-reads-secret-key-0123456789"
const project = "reads-e2e"
const typo = "reads-e2e-typo"
const braintrust = await BraintrustEmulator.start({ apiKeys: [key] })
const root = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "promptops-reads-"))
// Readable by the unprivileged user of the read-only test.
NodeFs.chmodSync(root, 0o755)

afterAll(async () => {
  await braintrust.close()
  // The read-only test takes write permission away: give it back so the tree can go.
  NodeFs.chmodSync(root, 0o755)
  for (const entry of NodeFs.readdirSync(root, { recursive: true }) as Array<string>) {
    NodeFs.chmodSync(NodePath.join(root, entry), 0o755)
  }
  NodeFs.rmSync(root, { recursive: true, force: true })
})

/** `promptops <args>` in `cwd` against the emulator, plus `env`; `uid` runs it as another user. */
const cli = (
  cwd: string,
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
  options: { readonly uid?: number } = {}
): Effect.Effect<Run> =>
  SpawnCli.cli(cwd, args, {
    env: { BRAINTRUST_API_KEY: key, BRAINTRUST_API_URL: braintrust.url, BRAINTRUST_PROJECT: project, ...env },
    uid: options.uid
  })

/** A fresh working directory under the test's root. */
const freshDir = freshDirs(root)

/** Writes are every request that is not a GET, except the POST reads (`…/fetch`). */
const isWrite = (request: { readonly method: string; readonly path: string }): boolean =>
  request.method !== "GET" && !request.path.endsWith("/fetch")

const writesSince = (mark: number) =>
  braintrust.requests.slice(mark).filter(isWrite).map((request) => `${request.method} ${request.path}`)

const projectNamed = (name: string) => [...braintrust.store.projects.values()].some((p) => p.data["name"] === name)

const braintrustLayer = (name: string) =>
  Braintrust.layer({ apiKey: Redacted.make(key), apiUrl: braintrust.url, project: name }).pipe(
    Layer.provide(FetchHttpClient.layer)
  )

const prompt = (content: string) => ({
  slug: "greeting",
  templateFormat: "mustache" as const,
  messages: [{ role: "user" as const, content }]
})

/**
 * Every file of a directory tree with its size, mtime and hash: what a write
 * would change. The `-shm` file is SQLite's shared-memory index of the WAL,
 * where every reader takes its locks: only its presence and size count.
 */
const snapshot = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const entry of (NodeFs.readdirSync(dir, { recursive: true }) as Array<string>).sort()) {
    const path = NodePath.join(dir, entry)
    const stat = NodeFs.statSync(path)
    out[entry] = stat.isDirectory()
      ? `dir:${stat.mtimeMs}`
      : entry.endsWith("-shm")
      ? `${stat.size}`
      : `${stat.size}:${stat.mtimeMs}:${createHash("sha256").update(NodeFs.readFileSync(path)).digest("hex")}`
  }
  return out
}

const helloEval = `import * as Eval from "@promptops/core/Eval"
import { Effect } from "effect"
import * as Evaluator from "promptops/Evaluator"

export default Evaluator.make({
  name: "hello",
  data: [{ id: "a", input: "A", expected: "Hello A" }],
  task: (name: string) => Effect.succeed("Hello " + name),
  scorers: [Eval.scorer("exact", ({ output, expected }) => (output === expected ? 1 : 0))]
})
`

const timeout = { timeout: 180_000 }

/**
 * The unprivileged user of the read-only test, when this checkout is readable
 * by it (a checkout under a private directory is not: the check then runs as
 * root only, and says so).
 */
const nobody = 65534
const nobodyCanRun = process.getuid?.() === 0 &&
  spawnSync(process.execPath, ["-e", `require("node:fs").accessSync(${JSON.stringify(bin)}, 4)`], {
    uid: nobody,
    gid: nobody,
    cwd: NodeOs.tmpdir()
  }).status === 0

// A project with a prompt and an experiment, made by writes before the reads.
const seeded = await Effect.runPromise(
  Effect.gen(function*() {
    yield* Effect.flatMap(PromptRegistry, (registry) => registry.push(prompt("Hello {{name}}")))
    const experiment = yield* Effect.flatMap(Experiments, (experiments) => experiments.create({ name: "seeded" }))
    return { experimentId: experiment.id }
  }).pipe(Effect.provide(braintrustLayer(project)))
)

describe("read commands against Braintrust", () => {
  it.live("send no write request: experiments list/show, traces tail, prompts pull/diff, migrate dry runs", () =>
    Effect.gen(function*() {
      const cwd = freshDir()
      NodeFs.mkdirSync(NodePath.join(cwd, "prompts"))
      NodeFs.writeFileSync(
        NodePath.join(cwd, "prompts", "local-only.json"),
        `${JSON.stringify({ slug: "local-only", tags: {}, versions: [{ version: "1", templateFormat: "mustache", messages: [{ role: "user", content: "x" }] }] })}\n`
      )
      const bt = ["--provider", "braintrust"]
      const mark = braintrust.requests.length
      const runs = yield* Effect.all({
        list: cli(cwd, ["experiments", "list", ...bt]),
        show: cli(cwd, ["experiments", "show", seeded.experimentId, ...bt]),
        tail: cli(cwd, ["traces", "tail", ...bt]),
        pull: cli(cwd, ["prompts", "pull", ...bt, "--dir", "pulled"]),
        diff: cli(cwd, ["prompts", "diff", ...bt]),
        migrateFrom: cli(cwd, ["migrate", "--from", "braintrust", "--to", "local"]),
        migrateTo: cli(cwd, ["migrate", "--from", "local", "--to", "braintrust", "--what", "prompts"])
      }, { concurrency: "unbounded" })
      assert.strictEqual(runs.list.code, 0, runs.list.stderr)
      assert.include(runs.list.stdout, seeded.experimentId)
      assert.strictEqual(runs.show.code, 0, runs.show.stderr)
      assert.strictEqual(runs.tail.code, 0, runs.tail.stderr)
      assert.strictEqual(runs.pull.code, 0, runs.pull.stderr)
      assert.include(runs.pull.stdout, "pulled 1 prompts from braintrust into pulled (1 written)")
      assert.strictEqual(runs.diff.code, 1, runs.diff.stderr)
      assert.include(runs.diff.stdout, "+ local-only  only in prompts")
      assert.strictEqual(runs.migrateFrom.code, 0, runs.migrateFrom.stderr)
      assert.include(runs.migrateFrom.stdout, "+ greeting  to create from version")
      assert.strictEqual(runs.migrateTo.code, 0, runs.migrateTo.stderr)
      assert.deepStrictEqual(writesSince(mark), [])
      // The local side of the migrate dry runs was only read too: no store was made.
      assert.isFalse(NodeFs.existsSync(NodePath.join(cwd, ".promptops")))
    }), timeout)

  it.live("a mistyped BRAINTRUST_PROJECT fails each read naming the project and the variable, and creates no project", () =>
    Effect.gen(function*() {
      const cwd = freshDir()
      const bt = ["--provider", "braintrust"]
      const env = { BRAINTRUST_PROJECT: typo }
      const mark = braintrust.requests.length
      const runs = yield* Effect.all([
        cli(cwd, ["experiments", "list", ...bt], env),
        cli(cwd, ["traces", "tail", ...bt], env),
        cli(cwd, ["prompts", "pull", ...bt, "--dir", "pulled"], env),
        cli(cwd, ["prompts", "diff", ...bt], env),
        cli(cwd, ["migrate", "--from", "braintrust", "--to", "memory"], env)
      ], { concurrency: "unbounded" })
      for (const run of runs) {
        assert.strictEqual(run.code, 1, `${run.stdout}\n${run.stderr}`)
        assert.include(run.stderr, `Braintrust project "${typo}" does not exist`)
        assert.include(run.stderr, "BRAINTRUST_PROJECT")
      }
      assert.deepStrictEqual(writesSince(mark), [])
      assert.isFalse(projectNamed(typo))
      assert.isFalse(NodeFs.existsSync(NodePath.join(cwd, "pulled")))
    }), timeout)

  it.live("an eval on a new project reads its baseline without creating anything, then its own write creates the project", () =>
    Effect.gen(function*() {
      const cwd = freshDir()
      const name = `${typo}-eval`
      NodeFs.writeFileSync(NodePath.join(cwd, "hello.eval.ts"), helloEval)
      const mark = braintrust.requests.length
      const run = yield* cli(cwd, ["eval", "--provider", "braintrust", "hello.eval.ts"], { BRAINTRUST_PROJECT: name })
      assert.strictEqual(run.code, 0, run.stderr)
      assert.include(run.stdout, `baseline: none (no previous run of "hello" on braintrust)`)
      const projectCalls = braintrust.requests.slice(mark).filter((request) => request.path === "/v1/project")
      // The baseline lookup is a GET that finds nothing; only creating the experiment get-or-creates the project.
      assert.deepStrictEqual(projectCalls.map((request) => request.method), ["GET", "POST"])
      const firstWrite = braintrust.requests.slice(mark).find(isWrite)!
      assert.strictEqual(`${firstWrite.method} ${firstWrite.path}`, "POST /v1/project")
      assert.isTrue(projectNamed(name))
    }), timeout)
})

describe("read commands on the local backend", () => {
  it.live("in a directory without a store: create nothing, and say where they looked", () =>
    Effect.gen(function*() {
      const cwd = freshDir()
      const local = NodePath.join(cwd, ".promptops")
      const runs = yield* Effect.all({
        list: cli(cwd, ["experiments", "list"]),
        show: cli(cwd, ["experiments", "show", "0123456789"]),
        tail: cli(cwd, ["traces", "tail"]),
        pull: cli(cwd, ["prompts", "pull", "--provider", "local", "--dir", "pulled"]),
        diff: cli(cwd, ["prompts", "diff", "--provider", "local"]),
        migrate: cli(cwd, ["migrate", "--from", "local", "--to", "memory"])
      }, { concurrency: "unbounded" })
      const message =
        `no promptops store at ${local}/promptops.sqlite: run an eval or \`promptops prompts push\` to create one, or set PROMPTOPS_LOCAL_DIR`
      for (const run of [runs.list, runs.show, runs.tail]) {
        assert.strictEqual(run.code, 1, run.stderr)
        assert.include(run.stderr, message)
      }
      // Prompts and datasets live in files: reading none is not an error.
      assert.strictEqual(runs.pull.code, 0, runs.pull.stderr)
      assert.include(runs.pull.stdout, "pulled 0 prompts from local")
      assert.strictEqual(runs.diff.code, 0, runs.diff.stderr)
      assert.strictEqual(runs.migrate.code, 0, runs.migrate.stderr)
      assert.isFalse(NodeFs.existsSync(local), "a read command created the local directory")
      assert.deepStrictEqual(NodeFs.readdirSync(cwd), [])
    }), timeout)

  it.live("on a store made read-only: experiments list works and changes no byte, for root and for a user who may not write", () =>
    Effect.gen(function*() {
      const cwd = freshDir()
      const local = NodePath.join(cwd, ".promptops")
      // Made by another process, as a user's store is (a connection left open here would tidy the WAL files up).
      NodeFs.writeFileSync(NodePath.join(cwd, "hello.eval.ts"), helloEval)
      const made = yield* cli(cwd, ["eval", "hello.eval.ts"])
      assert.strictEqual(made.code, 0, made.stderr)
      const experiment = { id: /experiment: (\S+)/.exec(made.stdout)![1]! }
      // chmod -R a-w (files and directories alike); root still could write, so the bytes are checked too.
      for (const entry of NodeFs.readdirSync(local, { recursive: true }) as Array<string>) {
        const path = NodePath.join(local, entry)
        NodeFs.chmodSync(path, NodeFs.statSync(path).isDirectory() ? 0o555 : 0o444)
      }
      NodeFs.chmodSync(local, 0o555)
      const before = snapshot(local)

      const asRoot = yield* cli(cwd, ["experiments", "list"])
      assert.strictEqual(asRoot.code, 0, asRoot.stderr)
      assert.include(asRoot.stdout, experiment.id)
      assert.deepStrictEqual(snapshot(local), before)

      // A user for whom the file and its directory are really read-only (before: "attempt to write a readonly
      // database"; a WAL-mode file without its -shm cannot be read there at all).
      if (!nobodyCanRun) {
        console.warn(`reads.test.ts: uid ${nobody} cannot read ${bin}: the read-only store was checked as root only`)
        return
      }
      const asNobody = yield* cli(cwd, ["experiments", "list"], {}, { uid: nobody })
      assert.strictEqual(asNobody.code, 0, asNobody.stderr)
      assert.include(asNobody.stdout, experiment.id)
      assert.deepStrictEqual(snapshot(local), before)
    }), timeout)
})

describe("after every command", () => {
  it("the emulator saw only valid requests, and no output held the API key", () => {
    assert.deepStrictEqual(braintrust.violations, [])
    assert.deepStrictEqual(braintrust.rejections, [])
    for (const run of outputs) {
      assert.notInclude(run.stdout, key)
      assert.notInclude(run.stderr, key)
    }
  })
})
