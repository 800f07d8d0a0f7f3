/**
 * The built `promptops` executable (`dist/bin.js`, run `npx tsup` in
 * packages/promptops first) spawned as a user would: configured by
 * environment variables, against the Braintrust and Basalt emulators started
 * here on 127.0.0.1:0 and a local backend in a temporary directory.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Datasets } from "@promptops/core/Datasets"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import { BasaltEmulator, BraintrustEmulator } from "@promptops/emulators"
import * as Local from "@promptops/local/Local"
import * as PromptFile from "@promptops/local/PromptFile"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../../dist/bin.js", import.meta.url))
const nodeModules = fileURLToPath(new URL("../../../../node_modules", import.meta.url))
if (!NodeFs.existsSync(bin)) {
  throw new Error(`${bin} is missing: build the CLI first (cd packages/promptops && npx tsup)`)
}

const braintrustKey = "bt-e2e-secret-key-0123456789"
const basaltKey = "basalt-e2e-secret-key-0123456789"
const braintrust = await BraintrustEmulator.start({ apiKeys: [braintrustKey] })
const basalt = await BasaltEmulator.start({ apiKeys: [basaltKey], features: ["support"] })
const work = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "promptops-e2e-"))
const localDir = NodePath.join(work, ".promptops")

afterAll(async () => {
  await Promise.all([braintrust.close(), basalt.close()])
  NodeFs.rmSync(work, { recursive: true, force: true })
})

const environment: Record<string, string> = {
  PATH: process.env["PATH"] ?? "",
  HOME: work,
  // The eval files import promptops, @promptops/core and effect as an app would.
  NODE_PATH: nodeModules,
  PROMPTOPS_LOCAL_DIR: localDir,
  BRAINTRUST_API_KEY: braintrustKey,
  BRAINTRUST_API_URL: braintrust.url,
  BRAINTRUST_PROJECT: "cli-e2e",
  BASALT_API_KEY: basaltKey,
  BASALT_API_URL: basalt.url,
  BASALT_FEATURE: "support"
}

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const outputs: Array<Run> = []

// A spawn is mostly CPU (a Node start and an Effect import): at most two at once on this 2-core machine.
let running = 0
const waiting: Array<() => void> = []
const limited = async <A>(f: () => Promise<A>): Promise<A> => {
  if (running >= 2) await new Promise<void>((resolve) => waiting.push(resolve))
  running++
  try {
    return await f()
  } finally {
    running--
    waiting.shift()?.()
  }
}

/** `promptops <args>` in `work`, with the environment above plus `env`. */
const promptops = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<Run> =>
  limited(() => spawnCli(args, env))

const spawnCli = (args: ReadonlyArray<string>, env: Record<string, string>): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: work, env: { ...environment, ...env } })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += String(chunk)))
    child.stderr.on("data", (chunk) => (stderr += String(chunk)))
    child.on("error", reject)
    child.on("close", (code) => {
      const run = { code, stdout, stderr }
      outputs.push(run)
      resolve(run)
    })
  })

const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => Effect.promise(() => promptops(args, env))

const jsonLines = (text: string): Array<Record<string, any>> =>
  text.split("\n").filter((line) => line.length > 0).map((line) => JSON.parse(line))

const evalFile = NodePath.join(work, "greeting.eval.ts")
NodeFs.writeFileSync(
  evalFile,
  `import * as Eval from "@promptops/core/Eval"
import { Effect } from "effect"
import * as Evaluator from "promptops/Evaluator"

export default Evaluator.make({
  name: "greeting",
  data: [
    { id: "ada", input: "Ada", expected: "Hello Ada" },
    { id: "bob", input: "Bob", expected: "Hello Bob" },
    { id: "cy", input: "Cy", expected: "Hello Cy" }
  ],
  task: (name: string) =>
    Effect.succeed(process.env.GREETING_VARIANT === "broken" && name === "Bob" ? "Hi " + name : "Hello " + name),
  scorers: [Eval.scorer("exact", ({ output, expected }) => (output === expected ? 1 : 0))]
})
`
)

const promptFile = (slug: string, content: string): PromptFile.PromptFile => ({
  slug,
  name: slug,
  tags: {},
  versions: [{
    version: "1",
    templateFormat: "mustache",
    model: { name: "gpt-4o-mini", params: { temperature: 0.2, maxTokens: 64 } },
    messages: [{ role: "system", content: "You help customers of {{company}}." }, { role: "user", content }]
  }]
})

const writePrompt = (dir: string, file: PromptFile.PromptFile) => {
  NodeFs.mkdirSync(dir, { recursive: true })
  NodeFs.writeFileSync(PromptFile.pathFor(dir, file.slug), PromptFile.format(file))
}

// Generous: the scenarios share two spawn slots, and a loaded machine slows each spawn down.
const timeout = { timeout: 120_000 }

// The four scenarios touch different projects and data, so they run at once (each spawn costs a Node
// start and an Effect import); the checks over every output run after them.
describe.concurrent("promptops executable", () => {
  it.live("eval on local: a first run, a regressed second run gated by --fail-on-regression, experiments and traces read back", () =>
    Effect.gen(function*() {
      const first = yield* cli(["eval", "greeting.eval.ts"])
      assert.strictEqual(first.code, 0, first.stderr)
      assert.include(first.stdout, "greeting: 3 results, 0 errors")
      assert.include(first.stdout, "baseline: none (no previous run of \"greeting\" on local)")
      assert.include(first.stderr, `local: ${localDir}`)

      const second = yield* cli(["eval", "--fail-on-regression", evalFile], { GREETING_VARIANT: "broken" })
      assert.strictEqual(second.code, 1, second.stderr)
      assert.include(second.stdout, "(vs greeting)")
      assert.match(second.stdout, /exact\s+66\.7%\s+-33\.3%\s+0\s+1/)
      assert.include(second.stderr, "regressions against the baseline in: greeting")
      const secondId = /experiment: (\S+)/.exec(second.stdout)![1]!
      const firstId = /experiment: (\S+)/.exec(first.stdout)![1]!
      assert.include(second.stdout, `baseline: greeting (${firstId}, the previous run)`)

      const [list, show, spans] = yield* Effect.all([
        cli(["experiments", "list"]),
        cli(["experiments", "show", secondId, "--results"]),
        cli(["traces", "tail", "--experiment", secondId, "--limit", "100", "--jsonl"])
      ], { concurrency: "unbounded" })
      assert.strictEqual(list.code, 0, list.stderr)
      assert.deepStrictEqual(list.stdout.trim().split("\n").slice(1).map((line) => line.split(/\s+/)[0]), [secondId, firstId])
      assert.strictEqual(show.code, 0, show.stderr)
      assert.include(show.stdout, `experiment ${secondId}: greeting`)
      assert.include(show.stdout, "bob#0  exact=0.00  output: \"Hi Bob\"")
      // The spans of the second run were exported before its process exited.
      assert.strictEqual(spans.code, 0, spans.stderr)
      const records = jsonLines(spans.stdout).map((line) => line.span)
      assert.strictEqual(records.filter((span) => span.kind === "eval").length, 3)
      assert.isTrue(records.every((span) => span.destination.experimentId === secondId))
    }), timeout)

  it.live("eval on Braintrust with --jsonl: parseable, compared with the previous run there", () =>
    Effect.gen(function*() {
      const first = yield* cli(["eval", "--provider", "braintrust", "--jsonl", evalFile])
      assert.strictEqual(first.code, 0, first.stderr)
      const second = yield* cli(["eval", "--provider", "braintrust", "--jsonl", evalFile], { GREETING_VARIANT: "broken" })
      assert.strictEqual(second.code, 0, second.stderr)
      const lines = jsonLines(second.stdout)
      assert.deepStrictEqual(lines.map((line) => line.type), ["backend", "started", "result", "result", "result", "summary"])
      assert.strictEqual(lines[0]!.provider, "braintrust")
      assert.include(lines[0]!.location, braintrust.url)
      const firstExperiment = jsonLines(first.stdout)[1]!.experiment.id
      assert.strictEqual(lines[1]!.baseline.id, firstExperiment)
      assert.isTrue(lines[5]!.regressed)
      assert.strictEqual(lines[5]!.summary.scores.exact.regressions, 1)
      assert.strictEqual(braintrust.store.experiments.size, 2)

      // The spans of the run reached Braintrust before the process exited, and read back.
      const secondExperiment = lines[1]!.experiment.id
      const spans = yield* cli(["traces", "tail", "--provider", "braintrust", "--experiment", secondExperiment, "-n", "100", "--jsonl"])
      assert.strictEqual(spans.code, 0, spans.stderr)
      const records = jsonLines(spans.stdout).map((line) => line.span)
      assert.strictEqual(records.filter((span) => span.kind === "eval").length, 3)
    }), timeout)

  it.live("prompts push / diff / pull round trip through Braintrust; Basalt cannot push nor read traces (exit 2)", () =>
    Effect.gen(function*() {
      const dir = NodePath.join(work, "prompts")
      writePrompt(dir, promptFile("support-answer", "Answer {{question}}"))
      writePrompt(dir, promptFile("greeting", "Say hello to {{name}}."))

      const pushed = yield* cli(["prompts", "push", "--provider", "braintrust"])
      assert.strictEqual(pushed.code, 0, pushed.stderr)
      assert.include(pushed.stdout, "pushed 2 of 2 prompts to braintrust")

      const clean = yield* cli(["prompts", "diff", "--provider", "braintrust"])
      assert.strictEqual(clean.code, 0, `${clean.stdout}\n${clean.stderr}`)

      writePrompt(dir, promptFile("greeting", "Say hello to {{name}}, warmly."))
      const [dirty, basaltPush, basaltTraces, pulled] = yield* Effect.all([
        cli(["prompts", "diff", "--provider", "braintrust", "--dir", "prompts"]),
        cli(["prompts", "push", "--provider", "basalt"]),
        cli(["traces", "tail", "--provider", "basalt"]),
        cli(["prompts", "pull", "--provider", "braintrust", "--dir", "pulled"])
      ], { concurrency: "unbounded" })
      assert.strictEqual(dirty.code, 1)
      assert.include(dirty.stdout, "~ greeting  braintrust version")
      assert.include(dirty.stdout, "messages[1].content: Say hello to {{name}}. → Say hello to {{name}}, warmly.")
      assert.notInclude(dirty.stdout, "support-answer")
      assert.strictEqual(basaltPush.code, 2)
      assert.include(basaltPush.stderr, "the basalt backend cannot push or delete prompts")
      assert.strictEqual(basaltTraces.code, 2)
      assert.include(basaltTraces.stderr, "the basalt backend cannot read traces back")

      assert.strictEqual(pulled.code, 0, pulled.stderr)
      assert.include(pulled.stdout, "pulled 2 prompts from braintrust into pulled (2 written)")
      const file = PromptFile.parse(NodeFs.readFileSync(PromptFile.pathFor(NodePath.join(work, "pulled"), "support-answer"), "utf8"), "pulled")
      assert.strictEqual(file._tag, "Right")
      if (file._tag === "Right") {
        assert.isTrue(PromptFile.sameContent(PromptFile.latest(file.right), PromptFile.latest(promptFile("support-answer", "Answer {{question}}"))))
      }
    }), timeout)

  it.live("migrate local → Braintrust: a dry run writes nothing, --apply copies and maps ids, a second --apply creates nothing", () =>
    Effect.gen(function*() {
      // Seed the local backend as an app would have.
      yield* Effect.gen(function*() {
        const registry = yield* PromptRegistry
        yield* registry.push({
          slug: "triage",
          templateFormat: "mustache",
          messages: [{ role: "user", content: "Classify: {{ticket}}" }],
          model: { name: "gpt-4o-mini", params: { temperature: 0 } }
        })
        const datasets = yield* Datasets
        yield* datasets.insert("tickets", [
          { id: "t1", input: { ticket: "refund please" }, expected: "billing" },
          { id: "t2", input: { ticket: "app crashes" }, expected: "bug" }
        ])
      }).pipe(Effect.provide(Local.layer({ dir: localDir })), Effect.orDie)

      const env = { BRAINTRUST_PROJECT: "migrate-e2e" }
      const idMap = NodePath.join(work, "ids.json")
      const args = ["migrate", "--from", "local", "--to", "braintrust", "--id-map", idMap]
      const triage = () => [...braintrust.store.functions.values()].find((f) => f.versions[0]!.data["slug"] === "triage")
      const dry = yield* cli(args, env)
      assert.strictEqual(dry.code, 0, dry.stderr)
      assert.include(dry.stdout, "+ triage  to create from version 1")
      assert.include(dry.stdout, "+ tickets  2 records to create")
      assert.isUndefined(triage())
      assert.isFalse([...braintrust.store.datasets.values()].some((d) => d.data["name"] === "tickets"))

      const applied = yield* cli([...args, "--apply"], env)
      assert.strictEqual(applied.code, 0, applied.stderr)
      assert.include(applied.stdout, "done: 1 prompt created, 0 updated; 2 records created, 0 updated")
      const map = JSON.parse(NodeFs.readFileSync(idMap, "utf8"))
      assert.strictEqual(map.prompts.triage.sourceVersion, "1")
      assert.match(map.prompts.triage.targetVersion, /^\d{15,}$/)
      assert.deepStrictEqual(map.datasets.tickets.records, { t1: "t1", t2: "t2" })
      const prompt = triage()!
      assert.strictEqual(prompt.versions.length, 1)

      const again = yield* cli([...args, "--apply"], env)
      assert.strictEqual(again.code, 0, again.stderr)
      assert.include(again.stdout, "= triage  unchanged")
      assert.include(again.stdout, "= tickets  2 records unchanged")
      assert.include(again.stdout, "done: 0 prompts created, 0 updated; 0 records created, 0 updated")
      assert.strictEqual(prompt.versions.length, 1, "no new prompt version")
      assert.deepStrictEqual(JSON.parse(NodeFs.readFileSync(idMap, "utf8")).prompts, map.prompts)
    }), timeout)
})

describe("after every command", () => {
  it("the emulators saw only valid requests, and no output ever held an API key", () => {
    assert.deepStrictEqual(braintrust.violations, [])
    assert.deepStrictEqual(braintrust.rejections, [])
    assert.deepStrictEqual(basalt.violations, [])
    assert.deepStrictEqual(basalt.rejections, [])
    assert.isAbove(outputs.length, 10)
    for (const run of outputs) {
      for (const key of [braintrustKey, basaltKey]) {
        assert.notInclude(run.stdout, key)
        assert.notInclude(run.stderr, key)
      }
    }
  })
})
