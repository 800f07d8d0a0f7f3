/**
 * A crash mid-run leaves a sound store that keeps every committed transaction
 * and nothing of the one in flight: a child process writes, is SIGKILLed (or
 * exits inside a transaction), and the store is reopened and checked.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Experiments } from "@promptops/core/Experiments"
import { Effect, Layer } from "effect"
import * as Local from "../src/Local.js"
import * as LocalStore from "../src/LocalStore.js"

const repo = fileURLToPath(new URL("../../../", import.meta.url))
const fixture = fileURLToPath(new URL("./fixtures/crashWriter.ts", import.meta.url))
const root = fs.mkdtempSync(Path.join(tmpdir(), "promptops-local-crash-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

interface ChildRun {
  readonly experimentId: string
  /** The last batch the child reported committed (-1: none). */
  readonly committed: number
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stderr: string
}

/** Runs the writer (TypeScript, through vite-node with the repo's aliases); SIGKILLs it after `killAfter` commits. */
const runChild = (dir: string, mode: string, killAfter?: number): Effect.Effect<ChildRun> =>
  Effect.async<ChildRun>((resume) => {
    const child = spawn(
      process.execPath,
      [Path.join(repo, "node_modules/vite-node/vite-node.mjs"), "--config", Path.join(repo, "vitest.shared.ts"), fixture, dir, mode],
      { cwd: repo, stdio: ["ignore", "pipe", "pipe"] }
    )
    let experimentId = ""
    let committed = -1
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
      const lines = stdout.split("\n")
      stdout = lines.pop()!
      for (const line of lines) {
        if (line.startsWith("experiment ")) experimentId = line.slice("experiment ".length)
        if (line.startsWith("committed ")) {
          committed = Number(line.slice("committed ".length))
          if (killAfter !== undefined && committed >= killAfter) child.kill("SIGKILL")
        }
      }
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk
    })
    child.on("exit", (code, signal) => resume(Effect.succeed({ experimentId, committed, code, signal, stderr })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** Reopens the store and reports what it holds. */
const inspect = (dir: string, experimentId: string) =>
  Effect.scoped(Effect.gen(function*() {
    const context = yield* Layer.build(Local.layer({ dir }))
    const store = Layer.succeedContext(context)
    return yield* Effect.gen(function*() {
      const { sql, integrityCheck, read } = yield* LocalStore.LocalStore
      const batches = yield* read(
        "inspect",
        sql<{ batch: number; n: number }>`SELECT json_extract(metadata, '$.batch') AS batch, count(*) AS n
          FROM results WHERE experiment_id = ${experimentId} GROUP BY batch ORDER BY batch`
      )
      const feedback = yield* read("inspect", sql<{ n: number }>`SELECT count(*) AS n FROM feedback`)
      const integrity = yield* integrityCheck
      // Still writable: the next log lands.
      const experiments = yield* Experiments
      yield* experiments.log(experimentId, [
        { caseId: "after", trial: 0, input: 1, output: 1, scores: {}, metadata: {}, durationMs: 1 }
      ])
      return { batches, feedback: feedback[0]!.n, integrity }
    }).pipe(Effect.provide(store))
  }))

describe("crash safety", () => {
  it.live("SIGKILL mid-run: every reported commit is there, no batch is partial, integrity ok", () =>
    Effect.gen(function*() {
      const dir = Path.join(root, "kill")
      const run = yield* runChild(dir, "loop", 3)
      assert.strictEqual(run.signal, "SIGKILL", run.stderr)
      assert.isAtLeast(run.committed, 3)
      const { batches, integrity } = yield* inspect(dir, run.experimentId)
      assert.deepStrictEqual(integrity, ["ok"])
      // Each stored batch is whole, they are 0..k with no gap, and at most the
      // one committed after the last report is beyond what the child printed.
      assert.deepStrictEqual(batches.map((row) => row.batch), batches.map((_, i) => i))
      for (const row of batches) assert.strictEqual(row.n, 2500, `batch ${row.batch}`)
      assert.isAtLeast(batches.length, run.committed + 1)
      assert.isAtMost(batches.length, run.committed + 2)
    }), { timeout: 120_000 })

  it.live("process.exit inside a transaction: the transaction is gone, the earlier ones stay", () =>
    Effect.gen(function*() {
      const dir = Path.join(root, "exit")
      const run = yield* runChild(dir, "exit-in-transaction")
      assert.strictEqual(run.code, 7, run.stderr)
      assert.strictEqual(run.committed, 1)
      const { batches, feedback, integrity } = yield* inspect(dir, run.experimentId)
      assert.deepStrictEqual(integrity, ["ok"])
      assert.deepStrictEqual(batches.map((row) => [row.batch, row.n]), [[0, 2500], [1, 2500]])
      assert.strictEqual(feedback, 0)
    }), { timeout: 120_000 })
})
