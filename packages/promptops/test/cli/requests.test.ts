/**
 * No request whose answer the CLI already had, end to end: the built
 * `promptops` executable (run `npx tsup` in packages/promptops first) spawned
 * against the Braintrust and Basalt emulators, whose request logs are read
 * back and counted per path.
 *
 * - `prompts pull` uses the prompts the listing returned (Braintrust lists
 *   whole prompts) and asks only for each tag; Basalt's pull keeps the name
 *   and description of `GET /prompts` and brings its deployment tags back.
 * - An eval on a named dataset looks the dataset up once.
 * - `experiments show` reads the experiment once (the listing that resolves
 *   it), then only its results and the vendor's summary.
 * - An eval's summary comes from the results it holds: it never reads its own
 *   experiment's rows back (only the baseline's).
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Datasets } from "@promptops/core/Datasets"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import * as Braintrust from "@promptops/braintrust/Braintrust"
import { BasaltEmulator, BraintrustEmulator } from "@promptops/emulators"
import * as PromptFile from "@promptops/local/PromptFile"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Effect, Either, Layer, Redacted } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as SpawnCli from "./spawnCli.js"
import { freshDirs, outputs, type Run } from "./spawnCli.js"


const key = "bt-requests-secret-key-0123456789"
const basaltKey = "basalt-requests-secret-key-0123456789"
const project = "requests-e2e"
const braintrust = await BraintrustEmulator.start({ apiKeys: [key] })
const basalt = await BasaltEmulator.start({
  apiKeys: [basaltKey],
  features: ["support"],
  prompts: [{
    slug: "welcome",
    name: "Welcome message",
    description: "Greets a new customer",
    featureSlugs: ["support"],
    versions: [
      { version: "1.0.0", text: "Hello {{ name }}", systemText: "Be brief." },
      { version: "1.1.0", text: "Hi {{ name }}!", systemText: "Be brief." }
    ],
    tags: { production: "1.0.0", staging: "1.1.0" }
  }],
  datasets: [{
    slug: "names",
    name: "Names",
    columns: [{ name: "input", type: "text" }],
    rows: [{ values: { input: "Ada" }, idealOutput: "Hello Ada" }]
  }]
})
const root = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "promptops-requests-"))

afterAll(async () => {
  await Promise.all([braintrust.close(), basalt.close()])
  NodeFs.rmSync(root, { recursive: true, force: true })
})

/** `promptops <args>` in `cwd` against both emulators, plus `env`. */
const cli = (cwd: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): Effect.Effect<Run> =>
  SpawnCli.cli(cwd, args, {
    env: {
      BRAINTRUST_API_KEY: key,
      BRAINTRUST_API_URL: braintrust.url,
      BRAINTRUST_PROJECT: project,
      BASALT_API_KEY: basaltKey,
      BASALT_API_URL: basalt.url,
      BASALT_FEATURE: "support",
      ...env
    }
  })

const freshDir = freshDirs(root)

type Logged = { readonly method: string; readonly path: string; readonly query: URLSearchParams }

/** `METHOD path?query` of each request after `mark`, the query's keys sorted (ids are left as they are). */
const since = (log: ReadonlyArray<Logged>, mark: number): Array<string> =>
  log.slice(mark).map((request) => {
    const query = [...request.query.entries()].sort(([a], [b]) => a.localeCompare(b))
    return `${request.method} ${request.path}${query.length === 0 ? "" : `?${new URLSearchParams(query).toString()}`}`
  })

/** How many times each line occurs. */
const counts = (lines: ReadonlyArray<string>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const line of lines) out[line] = (out[line] ?? 0) + 1
  return out
}

const braintrustLayer = Braintrust.layer({ apiKey: Redacted.make(key), apiUrl: braintrust.url, project }).pipe(
  Layer.provide(FetchHttpClient.layer)
)

const projectId = (): string => [...braintrust.store.projects.values()].find((p) => p.data["name"] === project)!.id

// Two prompts, one of them with a version in the "production" environment, and a dataset of two rows.
await Effect.runPromise(
  Effect.gen(function*() {
    const registry = yield* PromptRegistry
    yield* registry.push({
      slug: "alpha",
      templateFormat: "mustache",
      messages: [{ role: "user", content: "Alpha {{x}}" }],
      tag: "production"
    })
    yield* registry.push({ slug: "beta", templateFormat: "mustache", messages: [{ role: "user", content: "Beta {{x}}" }] })
    yield* (yield* Datasets).insert("greetings", [
      { id: "ada", input: "Ada", expected: "Hello Ada" },
      { id: "bob", input: "Bob", expected: "Hello Bob" }
    ])
  }).pipe(Effect.provide(braintrustLayer))
)

const evalOn = (data: string) =>
  `import * as Eval from "@promptops/core/Eval"
import { Effect } from "effect"
import * as Evaluator from "promptops/Evaluator"

export default Evaluator.make({
  name: "hello",
  data: ${data},
  task: (input: unknown) => Effect.succeed("Hello " + String(input)),
  scorers: [Eval.scorer("exact", ({ output, expected }) => (output === expected ? 1 : 0))]
})
`

const timeout = { timeout: 180_000 }

/** The prompt file `name` in `dir`, parsed. */
const readFile = (dir: string, name: string): PromptFile.PromptFile =>
  Either.getOrThrow(PromptFile.parse(NodeFs.readFileSync(NodePath.join(dir, name), "utf8"), name))

describe("Braintrust", () => {
  it.live("prompts pull reads the listing, the environments and each environment's version: no prompt twice", () =>
    Effect.gen(function*() {
      const cwd = freshDir()
      const mark = braintrust.requests.length
      const run = yield* cli(cwd, ["prompts", "pull", "--provider", "braintrust", "--dir", "pulled"])
      assert.strictEqual(run.code, 0, run.stderr)
      const id = projectId()
      assert.deepStrictEqual(since(braintrust.requests, mark).sort(), [
        "GET /environment",
        `GET /v1/project?project_name=${project}`,
        `GET /v1/prompt?environment=production&limit=1&project_id=${id}&slug=alpha`,
        `GET /v1/prompt?environment=production&limit=1&project_id=${id}&slug=beta`,
        `GET /v1/prompt?limit=100&project_id=${id}`
      ].sort())
      const alpha = readFile(NodePath.join(cwd, "pulled"), "alpha.json")
      assert.deepStrictEqual(alpha.tags, { production: alpha.versions[0]!.version })
      const beta = readFile(NodePath.join(cwd, "pulled"), "beta.json")
      assert.deepStrictEqual(beta.tags, {})
      assert.include(run.stdout, "tags production → ")
    }), timeout)

  it.live("an eval on a named dataset looks the dataset up once, and never reads its own results back", () =>
    Effect.gen(function*() {
      const cwd = freshDir()
      NodeFs.writeFileSync(NodePath.join(cwd, "hello.eval.ts"), evalOn(`"greetings"`))
      const first = yield* cli(cwd, ["eval", "--provider", "braintrust", "hello.eval.ts"])
      assert.strictEqual(first.code, 0, first.stderr)
      const firstId = /experiment: (\S+)/.exec(first.stdout)![1]!

      const mark = braintrust.requests.length
      const second = yield* cli(cwd, ["eval", "--provider", "braintrust", "hello.eval.ts"])
      assert.strictEqual(second.code, 0, second.stderr)
      assert.include(second.stdout, ": 2 results, 0 errors")
      const secondId = /experiment: (\S+)/.exec(second.stdout)![1]!
      const lines = since(braintrust.requests, mark)
      const lookups = lines.filter((line) => line.startsWith("GET /v1/dataset?"))
      assert.deepStrictEqual(lookups, [`GET /v1/dataset?dataset_name=greetings&limit=1&project_id=${projectId()}`])
      const datasetId = [...braintrust.store.datasets.values()].find((d) => d.data["name"] === "greetings")!.id
      assert.strictEqual(counts(lines)[`POST /v1/dataset/${datasetId}/fetch`], 1)
      // The summary: the baseline's rows are read, the run's own rows never are (they were just written).
      assert.isUndefined(counts(lines)[`POST /v1/experiment/${secondId}/fetch`])
      assert.strictEqual(counts(lines)[`POST /v1/experiment/${firstId}/fetch`], 1)
      // The summary is the one a read-back gives.
      const show = yield* cli(cwd, ["experiments", "show", secondId, "--provider", "braintrust", "--jsonl"])
      assert.strictEqual(show.code, 0, show.stderr)
      const stored = JSON.parse(show.stdout.trim().split("\n").at(-1)!).summary
      assert.match(second.stdout, /exact\s+100(\.0)?%/)
      assert.strictEqual(stored.scores.exact.mean, 1)
      assert.strictEqual(stored.scores.exact.count, 2)
    }), timeout)

  it.live("experiments show reads the experiment once: from the listing that resolves it", () =>
    Effect.gen(function*() {
      const cwd = freshDir()
      NodeFs.writeFileSync(NodePath.join(cwd, "hello.eval.ts"), evalOn(`[{ id: "a", input: "A", expected: "Hello A" }]`))
      const made = yield* cli(cwd, ["eval", "--provider", "braintrust", "hello.eval.ts"], { BRAINTRUST_PROJECT: `${project}-show` })
      assert.strictEqual(made.code, 0, made.stderr)
      const id = /experiment: (\S+)/.exec(made.stdout)![1]!
      const mark = braintrust.requests.length
      const show = yield* cli(cwd, ["experiments", "show", id, "--provider", "braintrust"], { BRAINTRUST_PROJECT: `${project}-show` })
      assert.strictEqual(show.code, 0, show.stderr)
      assert.include(show.stdout, `experiment ${id}: hello`)
      const lines = since(braintrust.requests, mark)
      // Read once, by the listing; never again by id.
      assert.strictEqual(lines.filter((line) => line.startsWith("GET /v1/experiment?")).length, 1)
      assert.deepStrictEqual(lines.filter((line) => line.startsWith(`GET /v1/experiment/${id}`) && !line.includes("/summarize")), [])
      assert.strictEqual(counts(lines)[`POST /v1/experiment/${id}/fetch`], 1)
    }), timeout)
})

describe("Basalt", () => {
  it.live("prompts pull keeps the listing's name and description and brings the deployment tags back", () =>
    Effect.gen(function*() {
      const cwd = freshDir()
      const mark = basalt.requests.length
      const run = yield* cli(cwd, ["prompts", "pull", "--provider", "basalt", "--dir", "pulled"])
      assert.strictEqual(run.code, 0, run.stderr)
      assert.deepStrictEqual(since(basalt.requests, mark).sort(), [
        "GET /prompts?featureSlug=support",
        "GET /prompts/welcome",
        "GET /prompts/welcome?tag=staging"
      ].sort())
      const file = readFile(NodePath.join(cwd, "pulled"), "welcome.json")
      assert.strictEqual(file.name, "Welcome message")
      assert.strictEqual(file.description, "Greets a new customer")
      // The default (production) is the latest; staging's version comes before it.
      assert.deepStrictEqual(file.versions.map((version) => version.version), ["1.1.0", "1.0.0"])
      assert.deepStrictEqual(file.tags, { production: "1.0.0", staging: "1.1.0" })
      assert.deepStrictEqual(file.versions[1]!.messages, [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello {{ name }}" }
      ])
      // Pulled again: nothing new, nothing written.
      const again = yield* cli(cwd, ["prompts", "pull", "--provider", "basalt", "--dir", "pulled"])
      assert.strictEqual(again.code, 0, again.stderr)
      assert.include(again.stdout, "= welcome  unchanged")
    }), timeout)

  it.live("an eval on a named dataset reads the dataset once", () =>
    Effect.gen(function*() {
      const cwd = freshDir()
      NodeFs.writeFileSync(NodePath.join(cwd, "hello.eval.ts"), evalOn(`"names"`))
      const mark = basalt.requests.length
      const run = yield* cli(cwd, ["eval", "--provider", "basalt", "hello.eval.ts"])
      assert.strictEqual(run.code, 0, run.stderr)
      const lines = since(basalt.requests, mark)
      assert.deepStrictEqual(lines.filter((line) => line.includes("/datasets")), ["GET /datasets/names"])
    }), timeout)
})

describe("after every command", () => {
  it("the emulators saw only valid requests, and no output held an API key", () => {
    assert.deepStrictEqual(braintrust.violations, [])
    assert.deepStrictEqual(braintrust.rejections, [])
    assert.deepStrictEqual(basalt.violations, [])
    assert.deepStrictEqual(basalt.rejections, [])
    for (const run of outputs) {
      for (const secret of [key, basaltKey]) {
        assert.notInclude(run.stdout, secret)
        assert.notInclude(run.stderr, secret)
      }
    }
  })
})
