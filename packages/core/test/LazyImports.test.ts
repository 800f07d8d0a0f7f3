/**
 * Importing `@promptops/core` loads no template engine (`nunjucks`, `mustache`,
 * `@huggingface/jinja`) and not `node:crypto`: they load on first use, so an
 * app pays for them only when it renders that format or makes an id (DESIGN §7
 * import budget). Checked on the built dist (ESM and CJS) in a fresh Node
 * process, as an app loads it: the tests need core built
 * (`npx turbo run build --filter=@promptops/core`).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const esm = fileURLToPath(new URL("../dist/index.js", import.meta.url))
const cjs = fileURLToPath(new URL("../dist/index.cjs", import.meta.url))
if (!NodeFs.existsSync(esm) || !NodeFs.existsSync(cjs)) {
  throw new Error(`${esm} is missing: build core first (npx turbo run build --filter=@promptops/core)`)
}

const ENGINES = /node_modules\/(nunjucks|mustache|@huggingface\/jinja)\//

// Every module the ESM loader loads, on standard error (loader hooks run off the main thread).
const HOOKS = `import { writeSync } from "node:fs"
export async function load(url, context, next) {
  writeSync(2, "LOADED " + url + "\\n")
  return next(url, context)
}
`

// Imports core, marks the end of the import, then renders each format and makes ids (which need `node:crypto`).
const child = (load: string): string => `
const { writeSync } = require("node:fs")
const { createRequire } = require("node:module")
const enginesLoaded = () => Object.keys(createRequire(${JSON.stringify(esm)}).cache).filter((k) => ${ENGINES}.test(k))
;(async () => {
  const core = await ${load}
  writeSync(2, "IMPORTED\\n")
  const imported = { engines: enginesLoaded() }
  const rendered = {}
  for (const format of ["mustache", "jinja", "nunjucks"]) {
    const out = core.Template.renderEither("hi {{ x }}", { x: "<y>" }, { format, strict: true })
    rendered[format] = out._tag === "Right" ? out.right : "error: " + out.left.message
  }
  const ids = { uuid: core.Ids.uuid(), span: core.Ids.spanId(), hash: core.Json.contentId({ a: 1 }) }
  const used = { engines: [...new Set(enginesLoaded().map((k) => k.match(${ENGINES})[1]))] }
  process.stdout.write(JSON.stringify({ imported, rendered, ids, used }))
})()
`

interface Report {
  readonly imported: { readonly engines: ReadonlyArray<string> }
  readonly rendered: Record<string, string>
  readonly ids: { readonly uuid: string; readonly span: string; readonly hash: string }
  readonly used: { readonly engines: ReadonlyArray<string> }
}

const run = (args: ReadonlyArray<string>): Effect.Effect<{ readonly report: Report; readonly stderr: string }> =>
  Effect.async((resume) => {
    const child = execFile(process.execPath, [...args], { encoding: "utf8" }, (error, stdout, stderr) => {
      if (error !== null) resume(Effect.die(new Error(`child failed: ${error.message}\n${stderr}`)))
      else resume(Effect.succeed({ report: JSON.parse(stdout) as Report, stderr }))
    })
    return Effect.sync(() => child.kill())
  })

const withHooks = <A, E>(f: (register: string) => Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.acquireUseRelease(
    Effect.sync(() => NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "promptops-lazy-"))),
    (dir) => {
      const hooks = NodePath.join(dir, "hooks.mjs")
      const register = NodePath.join(dir, "register.mjs")
      NodeFs.writeFileSync(hooks, HOOKS)
      NodeFs.writeFileSync(
        register,
        `import { register } from "node:module"\nregister(${JSON.stringify(pathToFileURL(hooks).href)})\n`
      )
      return f(register)
    },
    (dir) => Effect.sync(() => NodeFs.rmSync(dir, { recursive: true, force: true }))
  )

const assertRendersOnUse = (report: Report): void => {
  assert.deepStrictEqual(report.rendered, { mustache: "hi <y>", jinja: "hi <y>", nunjucks: "hi &lt;y&gt;" })
  assert.match(report.ids.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  assert.match(report.ids.span, /^[0-9a-f]{16}$/)
  assert.match(report.ids.hash, /^[0-9a-f]{32}$/)
  // Loaded by the first render, from this package's dependencies.
  assert.deepStrictEqual([...report.used.engines].sort(), ["@huggingface/jinja", "mustache", "nunjucks"])
}

describe("lazy imports", () => {
  it.effect("the ESM build loads no template engine and not node:crypto at import; each loads on first use", () =>
    withHooks((register) =>
      Effect.gen(function*() {
        const { report, stderr } = yield* run([
          "--import",
          pathToFileURL(register).href,
          "-e",
          child(`import(${JSON.stringify(pathToFileURL(esm).href)})`)
        ])
        const importTime = stderr.slice(0, stderr.indexOf("IMPORTED"))
        const loaded = importTime.split("\n").filter((line) => line.startsWith("LOADED ")).map((line) => line.slice(7))
        // The hook saw the import (so an empty result below is not a broken hook).
        assert.isTrue(loaded.some((url) => url.endsWith("/dist/index.js")))
        // `node:crypto` too: the ESM loader sees it only when a module imports it statically.
        assert.deepStrictEqual(loaded.filter((url) => ENGINES.test(url) || url === "node:crypto"), [])
        assert.deepStrictEqual(report.imported.engines, [])
        assertRendersOnUse(report)
      })
    ))

  it.effect("the CJS build loads no template engine at require; each loads on first use", () =>
    Effect.gen(function*() {
      const { report } = yield* run(["-e", child(`Promise.resolve(require(${JSON.stringify(cjs)}))`)])
      assert.deepStrictEqual(report.imported.engines, [])
      assertRendersOnUse(report)
    }))
})
