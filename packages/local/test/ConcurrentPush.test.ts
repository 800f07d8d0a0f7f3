/**
 * Concurrent writers to the prompt files lose nothing: several processes
 * pushing versions of one prompt at once keep every version, numbered without
 * gaps or duplicates, each process told the version it got. A lock left by a
 * process that died is taken over; one held by a live process past the
 * timeout fails the push with an error naming the lock, writing nothing.
 */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import { hostname, tmpdir } from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as LocalPrompts from "../src/LocalPrompts.js"
import * as PromptFile from "../src/PromptFile.js"

const repo = fileURLToPath(new URL("../../../", import.meta.url))
const fixture = fileURLToPath(new URL("./fixtures/pushWriter.ts", import.meta.url))
const root = fs.mkdtempSync(Path.join(tmpdir(), "promptops-local-push-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

interface Writer {
  readonly versions: Array<string>
  readonly code: number | null
  readonly output: string
}

/**
 * Starts `writers` children (TypeScript through vite-node with the repo's
 * aliases), waits until each is ready, then lets them all push at once.
 */
const pushAtOnce = (dir: string, slug: string, writers: number, pushes: number): Promise<ReadonlyArray<Writer>> => {
  const children = Array.from({ length: writers }, (_, index) =>
    spawn(
      process.execPath,
      [
        Path.join(repo, "node_modules/vite-node/vite-node.mjs"),
        "--config",
        Path.join(repo, "vitest.shared.ts"),
        fixture,
        dir,
        slug,
        String(pushes),
        `writer-${index}`
      ],
      { cwd: repo, stdio: ["pipe", "pipe", "pipe"] }
    ))
  let ready = 0
  const results = children.map((child) =>
    new Promise<Writer>((resolve) => {
      const versions: Array<string> = []
      let output = ""
      let buffer = ""
      child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk))
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk
        buffer += chunk
        const lines = buffer.split("\n")
        buffer = lines.pop()!
        for (const line of lines) {
          if (line === "ready" && ++ready === children.length) {
            for (const each of children) each.stdin!.write("go\n")
          }
          if (line.startsWith("pushed ")) versions.push(line.slice("pushed ".length))
        }
      })
      child.on("exit", (code) => resolve({ versions, code, output }))
    })
  )
  return Promise.all(results)
}

const draft = (content: string) => ({
  slug: "shared",
  templateFormat: "mustache" as const,
  messages: [{ role: "user" as const, content }]
})

describe("concurrent pushes to one prompt file", () => {
  it.live("3 processes × 20 pushes keep all 60 versions, numbered 1..60 once each", () =>
    Effect.gen(function*() {
      const dir = Path.join(root, "race")
      const writers = yield* Effect.promise(() => pushAtOnce(dir, "shared", 3, 20))
      for (const writer of writers) assert.strictEqual(writer.code, 0, writer.output)
      const file = Option.getOrThrow(yield* PromptFile.read(dir, "shared"))
      const expected = Array.from({ length: 60 }, (_, i) => String(i + 1))
      assert.deepStrictEqual(file.versions.map((version) => version.version), expected)
      // Each process was told a distinct version, and together they are every version in the file.
      const told = writers.flatMap((writer) => writer.versions).sort((a, b) => Number(a) - Number(b))
      assert.deepStrictEqual(told, expected)
      // Every push's content is in the file: none was overwritten by another.
      const contents = new Set(file.versions.map((version) => version.messages[0]!.content))
      assert.strictEqual(contents.size, 60)
      // The locks are gone.
      assert.deepStrictEqual(fs.readdirSync(dir).filter((name) => name.endsWith(".lock")), [])
    }), { timeout: 120_000 })

  it.live("a lock left by a process that died is taken over", () =>
    Effect.gen(function*() {
      const dir = Path.join(root, "stale")
      fs.mkdirSync(dir, { recursive: true })
      const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" })
      const pid = Number(dead.stdout)
      fs.writeFileSync(
        PromptFile.lockPathFor(dir, "shared"),
        JSON.stringify({ pid, host: hostname(), token: "dead", at: Date.now() })
      )
      const { registry } = yield* LocalPrompts.make({ dir, lockTimeout: 5_000 })
      const pushed = yield* registry.push(draft("after a crash"))
      assert.strictEqual(pushed.version, "1")
      assert.isFalse(fs.existsSync(PromptFile.lockPathFor(dir, "shared")))
    }))

  it.live("a lock held by a live process past the timeout fails the push, naming the lock, and writes nothing", () =>
    Effect.gen(function*() {
      const dir = Path.join(root, "held")
      const { registry } = yield* LocalPrompts.make({ dir, lockTimeout: 200 })
      yield* registry.push(draft("first"))
      const lock = PromptFile.lockPathFor(dir, "shared")
      fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), token: "someone", at: Date.now() }))
      const error = yield* Effect.flip(registry.push(draft("second")))
      assert.strictEqual(error._tag, "ProviderUnavailable")
      assert.include(error.message, `cannot lock ${lock}`)
      assert.include(error.message, `pid ${process.pid}`)
      assert.include(error.message, "nothing was written")
      const file = Option.getOrThrow(yield* PromptFile.read(dir, "shared"))
      assert.deepStrictEqual(file.versions.map((version) => version.version), ["1"])
      // Not ours: left for its holder.
      assert.isTrue(fs.existsSync(lock))
    }))
})
