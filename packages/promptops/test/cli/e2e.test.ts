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
import * as NodeFs from "node:fs"
import * as NodeNet from "node:net"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as SpawnCli from "./spawnCli.js"
import { outputs } from "./spawnCli.js"


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

/** The backends' settings; PROMPTOPS_LOCAL_DIR is `work/.promptops`. */
const environment: Record<string, string> = {
  BRAINTRUST_API_KEY: braintrustKey,
  BRAINTRUST_API_URL: braintrust.url,
  BRAINTRUST_PROJECT: "cli-e2e",
  BASALT_API_KEY: basaltKey,
  BASALT_API_URL: basalt.url,
  BASALT_FEATURE: "support"
}

/** `promptops <args>` in `work`, with the environment above plus `env`. */
const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  SpawnCli.cli(work, args, { env: { ...environment, ...env } })

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

const scoringFile = NodePath.join(work, "scoring.eval.ts")
NodeFs.writeFileSync(
  scoringFile,
  `import * as Eval from "@promptops/core/Eval"
import { Effect } from "effect"
import * as Evaluator from "promptops/Evaluator"

// SCORING_VARIANT: "bad" adds four scorers failing on every case; "no-length" drops the length score;
// "regressed" greets Bob wrongly; "task-fails" fails the task for Cy.
const variant = process.env.SCORING_VARIANT ?? ""
export default Evaluator.make({
  name: process.env.SCORING_NAME ?? "scoring",
  data: [
    { id: "ada", input: "Ada", expected: "Hello Ada" },
    { id: "bob", input: "Bob", expected: "Hello Bob" },
    { id: "cy", input: "Cy", expected: "Hello Cy" }
  ],
  task: (name: string) =>
    variant === "task-fails" && name === "Cy"
      ? Effect.fail(new Error("the greeter is down"))
      : Effect.succeed(variant === "regressed" && name === "Bob" ? "Hi " + name : "Hello " + name),
  scorers: [
    Eval.scorer("exact", ({ output, expected }) => (output === expected ? 1 : 0)),
    ...(variant === "no-length" ? [] : [Eval.scorer("length", ({ output }) => (String(output).length > 3 ? 1 : 0))]),
    ...(variant === "bad"
      ? [
        Eval.scorer("throws", () => { throw new Error("the judge is out") }),
        Eval.scorer("nan", () => Number.NaN),
        Eval.scorer("two", () => 2),
        Eval.scorer("negative", () => -0.5)
      ]
      : [])
  ]
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
      assert.include(first.stdout, "baseline: none (no earlier run of \"greeting\" on local that completed and passed its gate)")
      assert.include(first.stderr, `local: ${localDir}`)

      const second = yield* cli(["eval", "--fail-on-regression", evalFile], { GREETING_VARIANT: "broken" })
      assert.strictEqual(second.code, 1, second.stderr)
      assert.include(second.stdout, "(vs greeting)")
      assert.match(second.stdout, /exact\s+66\.7%\s+-33\.3%\s+0\s+1/)
      assert.include(second.stderr, "regressions against the baseline in: greeting")
      const secondId = /experiment: (\S+)/.exec(second.stdout)![1]!
      const firstId = /experiment: (\S+)/.exec(first.stdout)![1]!
      assert.include(second.stdout, `baseline: greeting (${firstId}, the last complete run that passed its gate)`)

      const [list, show, spans] = yield* Effect.all([
        cli(["experiments", "list", "--name", "greeting"]),
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
      // Other scenarios make experiments of other names on the same emulator at the same time.
      const greetings = [...braintrust.store.experiments.values()].filter((e) => String(e.data["name"]).startsWith("greeting"))
      assert.strictEqual(greetings.length, 2)

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

  it.live("pull, push and diff agree: a prompt Braintrust keeps without its provider and variables is unchanged for all three", () =>
    Effect.gen(function*() {
      const env = { BRAINTRUST_PROJECT: "agree-e2e" }
      const dir = NodePath.join(work, "agree")
      const base = promptFile("welcome", "Welcome, {{name}}.")
      // Braintrust stores neither the model provider nor the declared variables: they come back absent.
      const file: PromptFile.PromptFile = {
        ...base,
        versions: [{
          ...base.versions[0]!,
          model: { provider: "openai", name: "gpt-4o-mini", params: { temperature: 0.2 } },
          variables: [{ name: "name", type: "string" }, { name: "company", type: "string" }]
        }]
      }
      writePrompt(dir, file)
      const pushed = yield* cli(["prompts", "push", "--provider", "braintrust", "--dir", "agree"], env)
      assert.strictEqual(pushed.code, 0, pushed.stderr)
      assert.include(pushed.stdout, "pushed 1 of 1 prompts to braintrust")

      const pulled = yield* cli(["prompts", "pull", "--provider", "braintrust", "--dir", "agree"], env)
      assert.strictEqual(pulled.code, 0, pulled.stderr)
      assert.include(pulled.stdout, "  = welcome  unchanged")
      assert.include(pulled.stdout, "(0 written)")
      assert.strictEqual(NodeFs.readFileSync(PromptFile.pathFor(dir, "welcome"), "utf8"), PromptFile.format(file))

      const [again, diff] = yield* Effect.all([
        cli(["prompts", "push", "--provider", "braintrust", "--dir", "agree"], env),
        cli(["prompts", "diff", "--provider", "braintrust", "--dir", "agree"], env)
      ], { concurrency: "unbounded" })
      assert.strictEqual(again.code, 0, again.stderr)
      assert.include(again.stdout, "  = welcome  unchanged")
      assert.include(again.stdout, "pushed 0 of 1 prompts to braintrust")
      assert.strictEqual(diff.code, 0, `${diff.stdout}\n${diff.stderr}`)
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

describe.concurrent("promptops executable: failures, gates, references, help, exit", () => {
  it.live("local: scorer failures in the table and under it, --fail-on-error exits 1; list shows states; ids by prefix", () =>
    Effect.gen(function*() {
      const env = { SCORING_NAME: "scoring-local" }
      const bad = yield* cli(["eval", "--fail-on-error", "scoring.eval.ts"], { ...env, SCORING_VARIANT: "bad" })
      assert.strictEqual(bad.code, 1, bad.stderr)
      assert.include(bad.stdout, "scoring-local: 3 results, 0 errors, 12 scorer errors")
      assert.include(bad.stdout, "failures (12):")
      assert.match(bad.stdout, /\n  ada#0 {2}"Ada" {2}scorer throws: .*the judge is out/)
      assert.match(bad.stdout, /\n  ada#0 {2}"Ada" {2}scorer nan: /)
      assert.match(bad.stdout, /\n  ada#0 {2}"Ada" {2}scorer two: /)
      assert.match(bad.stdout, /\n  ada#0 {2}"Ada" {2}scorer negative: /)
      assert.match(bad.stdout, /\n  … and 7 more \(promptops experiments show \S+ --results\)/)
      assert.include(bad.stderr, "scorer errors in: scoring-local (12)")
      const badId = /experiment: (\S+)/.exec(bad.stdout)![1]!

      const good = yield* cli(["eval", "--fail-on-error", "scoring.eval.ts"], env)
      assert.strictEqual(good.code, 0, good.stderr)
      const goodId = /experiment: (\S+)/.exec(good.stdout)![1]!
      const failing = yield* cli(["eval", "--fail-on-error", "scoring.eval.ts"], { ...env, SCORING_VARIANT: "task-fails" })
      assert.strictEqual(failing.code, 1, failing.stderr)
      assert.include(failing.stdout, "scoring-local: 3 results, 1 errors, 0 scorer errors")
      assert.match(failing.stdout, /\n  cy#0 {2}"Cy" {2}.*the greeter is down/)

      // The text shows 8-character prefixes; they are accepted wherever an experiment is named.
      const prefix = goodId.slice(0, 8)
      const [list, show, unknown] = yield* Effect.all([
        cli(["experiments", "list", "--name", "scoring-local"]),
        cli(["experiments", "show", prefix]),
        cli(["experiments", "show", "zzzz-no-such-experiment"])
      ], { concurrency: "unbounded" })
      assert.strictEqual(list.code, 0, list.stderr)
      const rows = list.stdout.trim().split("\n")
      assert.match(rows[0]!, /^id\s+name\s+created\s+state\s+gate\s+dataset$/)
      assert.match(rows.find((row) => row.startsWith(badId))!, /\scomplete\s+failed$/)
      assert.match(rows.find((row) => row.startsWith(/experiment: (\S+)/.exec(failing.stdout)![1]!))!, /\scomplete\s+failed$/)
      assert.match(rows.find((row) => row.startsWith(goodId))!, /\scomplete\s+passed$/)
      assert.strictEqual(show.code, 0, show.stderr)
      assert.include(show.stdout, `experiment ${goodId}: scoring-local`)
      assert.include(show.stdout, "state complete: 3/3 results, 0 errors, 0 scorer errors, gate passed")
      // A name stands for its newest complete run whose gate did not fail: the task-fails run is newer, but failed its gate.
      const byName = yield* cli(["eval", "--baseline", "scoring-local", "--jsonl", "scoring.eval.ts"], { ...env, SCORING_VARIANT: "regressed" })
      assert.strictEqual(byName.code, 0, byName.stderr)
      const started = jsonLines(byName.stdout).find((line) => line.type === "started")!
      assert.strictEqual(started.baseline.id, goodId)
      assert.isTrue(jsonLines(byName.stdout).find((line) => line.type === "summary")!.regressed)
      const byPrefix = yield* cli(["eval", "--baseline", prefix, "scoring.eval.ts"], { ...env, SCORING_VARIANT: "regressed" })
      assert.strictEqual(byPrefix.code, 0, byPrefix.stderr)
      assert.include(byPrefix.stdout, `baseline: scoring-local (${goodId}, from --baseline)`)
      assert.strictEqual(unknown.code, 2)
      assert.include(unknown.stderr, "experiment \"zzzz-no-such-experiment\" not found on local")
    }), { timeout: 240_000 })

  it.live("Braintrust: a missing score and regressions fail --fail-on-regression, twice in a row; jsonl carries scorer errors", () =>
    Effect.gen(function*() {
      const env = { SCORING_NAME: "scoring-bt" }
      const args = ["eval", "--provider", "braintrust", "--fail-on-regression", scoringFile]
      const first = yield* cli(args, env)
      assert.strictEqual(first.code, 0, first.stderr)
      const firstId = /experiment: (\S+)/.exec(first.stdout)![1]!

      const missing = yield* cli(args, { ...env, SCORING_VARIANT: "no-length" })
      assert.strictEqual(missing.code, 1, missing.stderr)
      assert.include(missing.stdout, "missing scores (in the baseline, absent from this run): length")
      assert.include(missing.stderr, "regressions against the baseline in: scoring-bt (missing scores: length)")

      // Each regressed run fails its gate, so the next run still compares with the first (passing) run.
      for (let i = 0; i < 2; i++) {
        const regressed = yield* cli(args, { ...env, SCORING_VARIANT: "regressed" })
        assert.strictEqual(regressed.code, 1, `run ${i}: ${regressed.stdout}\n${regressed.stderr}`)
        assert.include(regressed.stdout, `baseline: scoring-bt (${firstId}, the last complete run that passed its gate)`)
        assert.include(regressed.stdout, "regressed: exact")
      }

      const jsonl = yield* cli(["eval", "--provider", "braintrust", "--jsonl", scoringFile], { ...env, SCORING_VARIANT: "bad" })
      assert.strictEqual(jsonl.code, 0, jsonl.stderr)
      const lines = jsonLines(jsonl.stdout)
      const results = lines.filter((line) => line.type === "result")
      assert.strictEqual(results.length, 3)
      for (const line of results) {
        assert.deepStrictEqual(Object.keys(line.result.scorerErrors).sort(), ["nan", "negative", "throws", "two"])
      }
      assert.strictEqual(lines.find((line) => line.type === "summary")!.failures, 12)
      assert.strictEqual(lines.find((line) => line.type === "summary")!.summary.scorerErrors, 12)
    }), timeout)

  it.live("--help into a pipe and with NO_COLOR: plain text naming promptops, no boilerplate, environment and an example", () =>
    Effect.gen(function*() {
      const [piped, noColor, forced, show] = yield* Effect.all([
        cli(["eval", "--help"]),
        cli(["--help"], { NO_COLOR: "1", FORCE_COLOR: "1" }),
        cli(["eval", "--help"], { FORCE_COLOR: "1" }),
        cli(["experiments", "show", "--help"], { NO_COLOR: "1" })
      ], { concurrency: "unbounded" })
      for (const help of [piped, noColor, show]) {
        assert.strictEqual(help.code, 0, help.stderr)
        assert.notInclude(help.stdout, "\x1b[")
        assert.notInclude(help.stdout, "A user-defined piece of text.")
        assert.notInclude(help.stdout, "This setting is optional.")
        assert.notMatch(help.stdout, /^\$ /m)
        assert.match(help.stdout, /^EXAMPLE\n\n {2}(\S+=\S+ )?promptops /m)
      }
      assert.include(piped.stdout, "USAGE\n\n  promptops eval [--provider")
      for (const variable of ["PROMPTOPS_PROVIDER", "PROMPTOPS_LOCAL_DIR", "BRAINTRUST_API_KEY", "BASALT_FEATURE"]) {
        assert.match(piped.stdout, new RegExp(`^  ${variable} `, "m"))
      }
      assert.include(noColor.stdout, "USAGE\n\n  promptops <command> [options]")
      assert.include(noColor.stdout, "  promptops experiments show ")
      assert.include(show.stdout, "USAGE\n\n  promptops experiments show ")
      assert.match(show.stdout, /^  BRAINTRUST_PROJECT /m)
      // FORCE_COLOR (without NO_COLOR) styles it: the checks above are about colour being off, not absent.
      assert.include(forced.stdout, "\x1b[")
      // A usage error into a pipe is plain too.
      const bad = yield* cli(["eval", "--trials"])
      assert.strictEqual(bad.code, 2)
      assert.notInclude(bad.stderr, "\x1b[")
    }), timeout)

  it.live("a vendor that cannot be reached: the error, then the exit at once", () =>
    Effect.gen(function*() {
      // A port that was just free: connections are refused.
      const port = yield* Effect.promise(() =>
        new Promise<number>((resolve) => {
          const server = NodeNet.createServer()
          server.listen(0, "127.0.0.1", () => {
            const address = server.address() as NodeNet.AddressInfo
            server.close(() => resolve(address.port))
          })
        })
      )
      const run = yield* cli(["eval", "--provider", "braintrust", scoringFile], {
        BRAINTRUST_API_URL: `http://127.0.0.1:${port}`,
        SCORING_NAME: "unreachable"
      })
      assert.strictEqual(run.code, 1, run.stderr)
      assert.include(run.stderr, "eval \"unreachable\" failed")
      assert.include(run.stderr, "promptops: 1 of 1 evals failed")
      // Before: ~61 s (the spans' export retries toward the closed port, then the shutdown deadline).
      assert.isBelow(run.ms, 30_000, run.stderr)
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
