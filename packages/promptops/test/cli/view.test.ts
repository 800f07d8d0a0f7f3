/**
 * `promptops view` end to end: the built CLI (`dist/bin.js`; build first with
 * `npx turbo run build --filter=promptops...`) started on a local store in a
 * temporary directory prints its URL, answers the JSON API there, and
 * closes cleanly on SIGINT; it serves the pages (`/` with its CSP, the
 * bundled `/assets/app.js`). A non-loopback `--host` warns.
 *
 * In process (the CLI's own code): when `@promptops/view` is not installed —
 * mocked here with Node's "cannot find package" error, which the spawned CLI
 * never sees — the command says how to install it and exits 2.
 */
import { spawn } from "node:child_process"
import * as NodeFs from "node:fs"
import * as Http from "node:http"
import * as Net from "node:net"
import { tmpdir } from "node:os"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { vi } from "vitest"
import * as Harness from "./harness.js"

vi.mock("@promptops/view/ViewServer", () => {
  throw Object.assign(new Error("Cannot find package '@promptops/view' imported from /app/node_modules/promptops/dist/bin.js"), {
    code: "ERR_MODULE_NOT_FOUND"
  })
})

const bin = fileURLToPath(new URL("../../dist/bin.js", import.meta.url))
const nodeModules = fileURLToPath(new URL("../../../../node_modules", import.meta.url))
const cwd = NodeFs.mkdtempSync(NodePath.join(tmpdir(), "promptops-view-cli-"))
afterAll(() => NodeFs.rmSync(cwd, { recursive: true, force: true }))

interface Started {
  readonly url: string
  readonly stderr: () => string
  readonly stop: () => Promise<number | null>
}

const env = () => ({
  PATH: process.env["PATH"] ?? "",
  HOME: cwd,
  NODE_PATH: nodeModules,
  PROMPTOPS_PROVIDER: "local",
  PROMPTOPS_LOCAL_DIR: NodePath.join(cwd, ".promptops"),
  NO_COLOR: "1"
})

/** Runs `promptops view <args>` to its exit (for the runs that must not start). */
const runView = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, "view", ...args], { cwd, env: env() })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += String(chunk)))
    child.stderr.on("data", (chunk) => (stderr += String(chunk)))
    child.on("exit", (code) => resolve({ code, stdout, stderr }))
  })

/** Spawns `promptops view <args>` and resolves once it printed its URL line. */
const startView = (args: ReadonlyArray<string>): Promise<Started> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "view", ...args], { cwd, env: env() })
    let stdout = ""
    let stderr = ""
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)))
    child.stderr.on("data", (chunk) => (stderr += String(chunk)))
    child.stdout.on("data", (chunk) => {
      stdout += String(chunk)
      const match = /^promptops view: (http:\/\/\S+)$/m.exec(stdout)
      if (match !== null) {
        resolve({
          url: match[1]!,
          stderr: () => stderr,
          stop: () => {
            child.kill("SIGINT")
            return exited
          }
        })
      }
    })
    void exited.then((code) => reject(new Error(`promptops view exited (${code}) before printing its URL: ${stdout}${stderr}`)))
  })

const get = (url: string) =>
  new Promise<{ status: number; type: string; headers: Http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    Http.get(url, (res) => {
      let body = ""
      res.on("data", (chunk) => (body += String(chunk)))
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"] ?? "", headers: res.headers, body }))
    }).on("error", reject)
  })

describe("promptops view (built CLI)", () => {
  it.live("--port 0 prints the loopback URL, answers /api/experiments, and stops on SIGINT", () =>
    Effect.gen(function*() {
      const view = yield* Effect.promise(() => startView(["--port", "0"]))
      assert.match(view.url, /^http:\/\/127\.0\.0\.1:\d+$/)
      const reply = yield* Effect.promise(() => get(`${view.url}/api/experiments`))
      assert.strictEqual(reply.status, 200)
      assert.match(reply.type, /^application\/json/)
      assert.deepStrictEqual(JSON.parse(reply.body), { items: [], cursor: null })
      // The pages, from the view package's own build: HTML under the CSP, and the bundle it loads.
      const html = yield* Effect.promise(() => get(`${view.url}/`))
      assert.strictEqual(html.status, 200)
      assert.match(html.type, /^text\/html/)
      assert.include(html.headers["content-security-policy"] ?? "", "default-src 'self'; script-src 'self'")
      assert.strictEqual(html.headers["x-frame-options"], "DENY")
      assert.include(html.body, `<script defer src="/assets/app.js">`)
      const script = yield* Effect.promise(() => get(`${view.url}/assets/app.js`))
      assert.strictEqual(script.status, 200)
      assert.match(script.type, /^text\/javascript/)
      assert.isAbove(script.body.length, 10_000)
      const code = yield* Effect.promise(() => view.stop())
      assert.strictEqual(code, 130)
      assert.notInclude(view.stderr(), "warning")
    }), 60_000)

  it.live("a host other than loopback is served with a warning", () =>
    Effect.gen(function*() {
      const view = yield* Effect.promise(() => startView(["--host", "0.0.0.0"]))
      assert.match(view.url, /^http:\/\/0\.0\.0\.0:\d+$/)
      assert.include(view.stderr(), "warning: listening on 0.0.0.0, not loopback")
      yield* Effect.promise(() => view.stop())
    }), 60_000)

  it.live("a port already taken: the listen error and exit 1, as the help says", () =>
    Effect.gen(function*() {
      const taken = Net.createServer()
      yield* Effect.acquireRelease(
        Effect.async<void>((resume) => void taken.listen(0, "127.0.0.1", () => resume(Effect.void))),
        () => Effect.async<void>((resume) => void taken.close(() => resume(Effect.void)))
      )
      const port = (taken.address() as Net.AddressInfo).port
      const result = yield* Effect.promise(() => runView(["--port", String(port)]))
      assert.strictEqual(result.code, 1)
      assert.include(result.stderr, `cannot listen on 127.0.0.1:${port}: `)
      assert.include(result.stderr, "EADDRINUSE")
      assert.notInclude(result.stdout, "http://")
    }).pipe(Effect.scoped), 60_000)

  it.effect("without @promptops/view installed: says to npm install it, exit 2", () =>
    Effect.gen(function*() {
      const result = yield* Harness.run(Harness.makeBackends(), ["view", "--port", "0"])
      assert.strictEqual(result.code, 2)
      assert.include(result.stderr, "promptops view needs the @promptops/view package: npm install @promptops/view")
      assert.notInclude(result.stdout, "http://")
    }))
})
