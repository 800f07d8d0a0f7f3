/**
 * The CLI run in-process, argument list in, exit code and output out,
 * against memory backends that live across commands.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Testing from "@promptops/core/Testing"
import * as PromptFile from "@promptops/local/PromptFile"
import { Effect, Fiber, TestClock } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"
import * as Harness from "./harness.js"

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
const greeting = fixture("greeting.eval.ts")

const tempDirs: Array<string> = []
const tempDir = () => {
  const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "promptops-cli-"))
  tempDirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of tempDirs) NodeFs.rmSync(dir, { recursive: true, force: true })
})

/** Runs `f` with an environment variable set, restoring it after. */
const withEnv = <A, E, R>(name: string, value: string, effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const previous = process.env[name]
      process.env[name] = value
      return previous
    }),
    () => effect,
    (previous) =>
      Effect.sync(() => {
        if (previous === undefined) delete process.env[name]
        else process.env[name] = previous
      })
  )

const jsonLines = (text: string): Array<Record<string, any>> =>
  text.split("\n").filter((line) => line.length > 0).map((line) => JSON.parse(line))

describe("promptops CLI", () => {
  describe("usage", () => {
    it.effect("--help of the root and of every command exits 0 and documents the options", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const root = yield* Harness.run(backends, ["--help"])
        assert.strictEqual(root.code, 0)
        for (const name of ["eval", "prompts", "migrate", "experiments", "traces"]) assert.include(root.stdout, name)
        const expectations: ReadonlyArray<readonly [ReadonlyArray<string>, ReadonlyArray<string>]> = [
          [["eval"], ["--fail-on-regression", "--fail-on-error", "--baseline", "--jsonl", "--trials", "--concurrency", "--provider"]],
          [["prompts", "pull"], ["--dir", "--provider"]],
          [["prompts", "push"], ["--dir"]],
          [["prompts", "diff"], ["--dir"]],
          [["migrate"], ["--from", "--to", "--what", "--apply", "--id-map"]],
          [["experiments", "list"], ["--limit", "--name"]],
          [["experiments", "show"], ["--results", "--baseline"]],
          [["traces", "tail"], ["--follow", "--limit", "--trace", "--experiment", "--max-polls"]]
        ]
        for (const [command, options] of expectations) {
          const help = yield* Harness.run(backends, [...command, "--help"])
          assert.strictEqual(help.code, 0, command.join(" "))
          for (const option of options) assert.include(help.stdout, option, `${command.join(" ")} --help`)
        }
      }))

    it.effect("usage errors exit 2: no command, an unknown option, a missing argument, a bad number", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const none = yield* Harness.run(backends, [])
        assert.strictEqual(none.code, 2)
        assert.include(none.stderr, "choose a command")
        const option = yield* Harness.run(backends, ["eval", "--no-such-option", greeting])
        assert.strictEqual(option.code, 2)
        assert.include(option.stderr, "unknown option --no-such-option")
        assert.strictEqual((yield* Harness.run(backends, ["eval"])).code, 2)
        const trials = yield* Harness.run(backends, ["eval", "--trials", "0", greeting])
        assert.strictEqual(trials.code, 2)
        assert.include(trials.stderr, "--trials must be a whole number ≥ 1")
        const provider = yield* Harness.run(backends, ["eval", "--provider", "nowhere", greeting])
        assert.strictEqual(provider.code, 2)
      }))
  })

  describe("eval", () => {
    it.effect("runs, stores an experiment, then compares the next run with the previous one; --fail-on-regression exits 1", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const first = yield* Harness.run(backends, ["eval", greeting])
        assert.strictEqual(first.code, 0, first.stderr)
        assert.include(first.stdout, "greeting: 3 results, 0 errors")
        assert.include(first.stdout, "baseline: none (no earlier run of \"greeting\" on memory that completed and passed its gate)")
        assert.include(first.stdout, "experiment: exp-1")
        assert.include(first.stderr, "memory: memory:memory")

        // Same output: compared with exp-1, nothing regressed, the gate passes.
        const second = yield* Harness.run(backends, ["eval", "--fail-on-regression", greeting])
        assert.strictEqual(second.code, 0, second.stderr)
        assert.include(second.stdout, "(vs greeting)")
        assert.include(second.stdout, "baseline: greeting (exp-1, the last complete run that passed its gate)")

        // Bob is greeted wrongly: one case regressed against exp-2.
        const broken = yield* withEnv("GREETING_VARIANT", "broken", Harness.run(backends, ["eval", greeting]))
        assert.strictEqual(broken.code, 0, "without --fail-on-regression a regression is reported, not failed")
        assert.include(broken.stdout, "baseline: greeting (exp-2, the last complete run that passed its gate)")
        assert.match(broken.stdout, /exact\s+66\.7%\s+-33\.3%\s+0\s+1/)
        assert.include(broken.stdout, "regressed: exact")

        const gated = yield* withEnv(
          "GREETING_VARIANT",
          "broken",
          Harness.run(backends, ["eval", "--fail-on-regression", "--baseline", "exp-2", greeting])
        )
        assert.strictEqual(gated.code, 1)
        assert.include(gated.stderr, "regressions against the baseline in: greeting")
        assert.include(gated.stdout, "baseline: greeting (exp-2, from --baseline)")

        const noBaseline = yield* withEnv(
          "GREETING_VARIANT",
          "broken",
          Harness.run(backends, ["eval", "--fail-on-regression", "--baseline", "none", greeting])
        )
        assert.strictEqual(noBaseline.code, 0)
        assert.include(noBaseline.stdout, "baseline: none (--baseline none)")

        const unknown = yield* Harness.run(backends, ["eval", "--baseline", "exp-404", greeting])
        assert.strictEqual(unknown.code, 2)
        assert.include(unknown.stderr, "experiment \"exp-404\" not found on memory")

        // Every run is an experiment of the backend, with its results.
        const { state } = backends.get("memory")
        assert.deepStrictEqual([...state.experiments.keys()], ["exp-1", "exp-2", "exp-3", "exp-4", "exp-5"])
        assert.strictEqual(state.experiments.get("exp-3")!.results.size, 3)
      }))

    it.effect("a failed task is an error in the results; --fail-on-error exits 1 on it, --fail-on-regression does not", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const failing = (args: ReadonlyArray<string>) => withEnv("GREETING_VARIANT", "failing", Harness.run(backends, args))
        const reported = yield* failing(["eval", greeting])
        assert.strictEqual(reported.code, 0, "without --fail-on-error a failed task is reported, not failed")
        assert.include(reported.stdout, "greeting: 3 results, 1 errors")

        const gated = yield* failing(["eval", "--fail-on-error", greeting])
        assert.strictEqual(gated.code, 1)
        assert.include(gated.stderr, "results with a failed task in: greeting (1 of 3)")

        // With both gates only the one that trips is named: a failed case has no score, so nothing regressed.
        const both = yield* failing(["eval", "--fail-on-error", "--fail-on-regression", "--baseline", "exp-1", greeting])
        assert.strictEqual(both.code, 1)
        assert.include(both.stderr, "results with a failed task in: greeting (1 of 3)")
        assert.notInclude(both.stderr, "regressions against the baseline")
        const regressionOnly = yield* failing(["eval", "--fail-on-regression", "--baseline", "exp-1", greeting])
        assert.strictEqual(regressionOnly.code, 0, regressionOnly.stderr)

        const clean = yield* Harness.run(backends, ["eval", "--fail-on-error", greeting])
        assert.strictEqual(clean.code, 0, clean.stderr)
      }))

    it.effect("the eval spans are exported (flushed) before the command returns", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const result = yield* Harness.run(backends, ["eval", greeting])
        assert.strictEqual(result.code, 0)
        const spans = [...backends.get("memory").state.spans.values()]
        const roots = spans.filter((span) => span.kind === "eval")
        assert.strictEqual(roots.length, 3)
        assert.isTrue(roots.every((span) => span.destination._tag === "Experiment" && span.destination.experimentId === "exp-1"))
        assert.strictEqual(spans.filter((span) => span.kind === "task").length, 3)
      }))

    it.effect("--jsonl prints one parseable object per event, and nothing else on stdout", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        yield* Harness.run(backends, ["eval", greeting])
        const result = yield* withEnv("GREETING_VARIANT", "broken", Harness.run(backends, ["eval", "--jsonl", greeting]))
        assert.strictEqual(result.code, 0)
        const lines = jsonLines(result.stdout)
        assert.deepStrictEqual(lines.map((line) => line.type), ["backend", "started", "result", "result", "result", "summary"])
        assert.strictEqual(lines[0]!.provider, "memory")
        assert.deepStrictEqual(lines[1]!.baseline, { id: "exp-1", name: "greeting" })
        assert.strictEqual(lines[1]!.total, 3)
        assert.deepStrictEqual(lines.filter((l) => l.type === "result").map((l) => l.result.caseId).sort(), ["ada", "bob", "cy"])
        const summary = lines[5]!
        assert.isTrue(summary.regressed)
        assert.strictEqual(summary.summary.scores.exact.regressions, 1)
        assert.strictEqual(result.terminal, "", "no progress drawing in --jsonl mode")
      }))

    it.effect("progress: plain lines on stderr when not a TTY, a bar redrawn in place on a TTY", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const plain = yield* Harness.run(backends, ["eval", greeting])
        assert.include(plain.stderr, "greeting: experiment exp-1 started (3 runs)")
        assert.include(plain.stderr, "greeting: finished, 3/3")
        assert.strictEqual(plain.terminal, "")

        const tty = yield* Harness.run(backends, ["eval", greeting], { isTTY: true })
        assert.strictEqual(tty.code, 0)
        assert.include(tty.terminal, "\r\u001b[2Kgreeting [")
        assert.include(tty.terminal, "##############################] 3/3")
        assert.isTrue(tty.terminal.endsWith("\n"), "the bar's line is ended before the table is printed")
        assert.notInclude(tty.stderr, "started")
      }))

    it.effect("a dataset name as data, a task using Prompts, several evaluators per file, --trials", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const { services } = backends.get("memory")
        yield* Effect.forEach(Testing.fixturePrompts, (draft) => services.registry.push(draft))
        yield* services.datasets.insert("greetings", Testing.fixtureDataset)
        const result = yield* Harness.run(backends, ["eval", "--trials", "3", "--concurrency", "2", fixture("dataset.eval.ts")])
        assert.strictEqual(result.code, 0, result.stderr)
        assert.include(result.stdout, "rendered-greeting: 9 results, 0 errors")
        assert.match(result.stdout, /mentions-name\s+100\.0%/)
        assert.include(result.stdout, "length: 6 results, 0 errors")
        const experiments = [...backends.get("memory").state.experiments.values()].map((entry) => entry.experiment)
        // The default export first, then named exports in name order (as a module namespace lists them).
        assert.deepStrictEqual(experiments.map((e) => [e.name, e.dataset]), [["length", undefined], ["rendered-greeting", "greetings"]])
      }))

    it.effect("a missing dataset fails that eval (exit 1) and the others still run", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const result = yield* Harness.run(backends, ["eval", fixture("dataset.eval.ts"), greeting])
        assert.strictEqual(result.code, 1)
        assert.include(result.stderr, "eval \"rendered-greeting\" failed")
        assert.include(result.stderr, "dataset \"greetings\" does not exist")
        assert.include(result.stdout, "length: 4 results")
        assert.include(result.stdout, "greeting: 3 results")
      }))

    it.effect("a directory stands for every *.eval.* file under it, other files are not loaded", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const result = yield* Harness.run(backends, ["eval", fixture("suite")])
        assert.strictEqual(result.code, 0, result.stderr)
        assert.include(result.stdout, "greeting: 3 results")
        assert.include(result.stdout, "length: 4 results")
        const empty = yield* Harness.run(backends, ["eval", tempDir()])
        assert.strictEqual(empty.code, 2)
        assert.include(empty.stderr, "no eval files (*.eval.ts, *.eval.js, …) under the directory")
      }))

    it.effect("files that cannot be used are usage errors naming the file (exit 2), before any backend starts", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const missing = yield* Harness.run(backends, ["eval", "nowhere/missing.eval.ts"])
        assert.strictEqual(missing.code, 2)
        assert.include(missing.stderr, "eval file not found: nowhere/missing.eval.ts")
        const empty = yield* Harness.run(backends, ["eval", fixture("empty.eval.ts")])
        assert.strictEqual(empty.code, 2)
        assert.include(empty.stderr, "empty.eval.ts exports no evaluator")
        const throws = yield* Harness.run(backends, ["eval", fixture("throws.eval.ts")])
        assert.strictEqual(throws.code, 2)
        assert.include(throws.stderr, "could not load")
        assert.include(throws.stderr, "the fixture refuses to load")
        assert.strictEqual(backends.get("memory").state.experiments.size, 0)
      }))
  })

  describe("eval failures, gates and experiment states", () => {
    const scoring = fixture("scoring.eval.ts")
    const variant = (name: string, backends: ReturnType<typeof Harness.makeBackends>, args: ReadonlyArray<string>) =>
      withEnv("SCORING_VARIANT", name, Harness.run(backends, args))

    it.effect("scorer failures are counted in the table, listed under it (first 5), and fail --fail-on-error", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const reported = yield* variant("bad", backends, ["eval", scoring])
        assert.strictEqual(reported.code, 0, "without --fail-on-error a scorer failure is reported, not failed")
        assert.include(reported.stdout, "scoring: 3 results, 0 errors, 12 scorer errors")
        assert.include(reported.stdout, "failures (12):")
        assert.match(reported.stdout, /\n  ada#0 {2}"Ada" {2}scorer throws: .*the judge is out/)
        assert.match(reported.stdout, /\n  ada#0 {2}"Ada" {2}scorer nan: \S/)
        assert.match(reported.stdout, /\n  ada#0 {2}"Ada" {2}scorer two: \S/)
        assert.match(reported.stdout, /\n  ada#0 {2}"Ada" {2}scorer negative: \S/)
        assert.include(reported.stdout, "  … and 7 more (promptops experiments show exp-1 --results)")

        const gated = yield* variant("bad", backends, ["eval", "--fail-on-error", scoring])
        assert.strictEqual(gated.code, 1)
        assert.include(gated.stderr, "scorer errors in: scoring (12)")
        const state = backends.get("memory").state.experiments.get("exp-2")!.experiment.state
        assert.strictEqual(state?.gate, "failed")
        assert.strictEqual(state?.scorerErrors, 12)

        // --jsonl: each result line carries its scorer errors; the summary counts the failures.
        const jsonl = yield* variant("bad", backends, ["eval", "--jsonl", scoring])
        const lines = jsonLines(jsonl.stdout)
        const results = lines.filter((line) => line.type === "result")
        assert.strictEqual(results.length, 3)
        for (const line of results) {
          assert.deepStrictEqual(Object.keys(line.result.scorerErrors).sort(), ["nan", "negative", "throws", "two"])
        }
        const summary = lines.find((line) => line.type === "summary")!
        assert.strictEqual(summary.failures, 12)
        assert.strictEqual(summary.gate, null)
      }))

    it.effect("a failed task is listed under the table: case, a one-line input excerpt, the error", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const result = yield* variant("task-fails", backends, ["eval", scoring])
        assert.include(result.stdout, "scoring: 3 results, 1 errors, 0 scorer errors")
        const line = result.stdout.split("\n").find((l) => l.startsWith("  cy#0  "))!
        assert.isDefined(line)
        assert.include(line, "the greeter is down")
        // One line, no control characters (an ANSI escape in the input is not replayed), the input cut at ~60 characters.
        assert.notMatch(line, /[\u0000-\u001f]/)
        const excerpt = line.slice("  cy#0  ".length, line.indexOf("  ", "  cy#0  ".length))
        assert.isAtMost(excerpt.length, 60)
        assert.isTrue(excerpt.startsWith("\"Cy\\nwho writes") && excerpt.endsWith("…"), excerpt)
        const jsonl = yield* variant("task-fails", backends, ["eval", "--jsonl", scoring])
        const failed = jsonLines(jsonl.stdout).filter((l) => l.type === "result" && l.result.error !== undefined)
        assert.deepStrictEqual(failed.map((l) => l.result.caseId), ["cy"])
        assert.include(failed[0]!.result.error, "the greeter is down")
      }))

    it.effect("a score the baseline has and this run lacks is reported and fails --fail-on-regression", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        assert.strictEqual((yield* variant("", backends, ["eval", scoring])).code, 0)
        const missing = yield* variant("no-length", backends, ["eval", "--fail-on-regression", scoring])
        assert.strictEqual(missing.code, 1)
        assert.include(missing.stdout, "missing scores (in the baseline, absent from this run): length")
        assert.strictEqual(missing.stdout.split("missing scores").length - 1, 1, "named once, by the table")
        assert.include(missing.stderr, "regressions against the baseline in: scoring (missing scores: length)")
      }))

    it.live("a failed eval does not wait on its spans: a short grace, the counted report, then the exit", () =>
      Effect.gen(function*() {
        // The sink never answers: without the grace the flush after the run would wait forever.
        const backends = Harness.makeBackends({ blackHoleSpans: true })
        const result = yield* Harness.run(backends, ["eval", fixture("black-hole.eval.ts")])
        assert.strictEqual(result.code, 1, result.stderr)
        assert.include(result.stderr, "the data source broke")
        assert.match(result.stderr, /warning: \d+ spans could not be exported to memory \(.*"unsent":[1-9]/)
      }), { timeout: 20_000 })

    it.effect("a regressed run under --fail-on-regression is never the next default baseline: run twice, both exit 1", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        assert.strictEqual((yield* variant("", backends, ["eval", "--fail-on-regression", scoring])).code, 0)
        const first = yield* variant("regressed", backends, ["eval", "--fail-on-regression", scoring])
        assert.strictEqual(first.code, 1)
        const second = yield* variant("regressed", backends, ["eval", "--fail-on-regression", scoring])
        assert.strictEqual(second.code, 1, "compared with exp-1 (passed), not exp-2 (regressed)")
        assert.include(second.stdout, "baseline: scoring (exp-1, the last complete run that passed its gate)")

        // experiments list shows each run's state and gate; --baseline takes a name (the same rule).
        const list = yield* Harness.run(backends, ["experiments", "list"])
        assert.strictEqual(list.code, 0, list.stderr)
        const rows = list.stdout.split("\n")
        assert.match(rows[0]!, /^id\s+name\s+created\s+state\s+gate\s+dataset$/)
        assert.match(rows.find((row) => row.startsWith("exp-3 "))!, /\scomplete\s+failed$/)
        assert.match(rows.find((row) => row.startsWith("exp-1 "))!, /\scomplete\s+passed$/)
        const byName = yield* variant("regressed", backends, ["eval", "--baseline", "scoring", scoring])
        assert.include(byName.stdout, "baseline: scoring (exp-1, from --baseline)")
        const show = yield* Harness.run(backends, ["experiments", "show", "exp-3"])
        assert.include(show.stdout, "state complete: 3/3 results, 0 errors, 0 scorer errors, gate failed")

        // An ambiguous id prefix is a usage error listing the candidates, wherever an experiment is named.
        const ambiguous = yield* Harness.run(backends, ["experiments", "show", "exp-"])
        assert.strictEqual(ambiguous.code, 2)
        assert.include(ambiguous.stderr, "\"exp-\" is the prefix of 4 experiment ids: exp-4 (scoring), exp-3 (scoring)")
        const ambiguousBaseline = yield* Harness.run(backends, ["eval", "--baseline", "exp-", scoring])
        assert.strictEqual(ambiguousBaseline.code, 2)
        assert.include(ambiguousBaseline.stderr, "--baseline: \"exp-\" is the prefix of 4 experiment ids")
      }))
  })

  describe("prompts", () => {
    it.effect("push a directory, push again (nothing new), diff clean, edit, diff exits 1, pull round-trips", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const dir = tempDir()
        const files = PromptFile.fromPrompts(
          Testing.fixturePrompts.map((draft) => ({ ...draft, version: "1", source: { provider: "test" } }))
        ).map((file) => ({ ...file, tags: {} }))
        for (const file of files) NodeFs.writeFileSync(PromptFile.pathFor(dir, file.slug), PromptFile.format(file))

        const pushed = yield* Harness.run(backends, ["prompts", "push", "--dir", dir])
        assert.strictEqual(pushed.code, 0, pushed.stderr)
        assert.include(pushed.stdout, "+ greeting  pushed as version 1")
        assert.include(pushed.stdout, "pushed 2 of 2 prompts")
        const { state } = backends.get("memory")
        assert.strictEqual(state.prompts.get("greeting")!.length, 1)

        const again = yield* Harness.run(backends, ["prompts", "push", "--dir", dir])
        assert.include(again.stdout, "= greeting  unchanged (version 1)")
        assert.include(again.stdout, "pushed 0 of 2 prompts")
        assert.strictEqual(state.prompts.get("greeting")!.length, 1)

        const clean = yield* Harness.run(backends, ["prompts", "diff", "--dir", dir])
        assert.strictEqual(clean.code, 0)
        assert.include(clean.stdout, "no differences")

        // Edit the user message and the temperature, add a prompt only in the directory.
        const edited = files[0]!
        const latest = PromptFile.latest(edited)
        NodeFs.writeFileSync(
          PromptFile.pathFor(dir, edited.slug),
          PromptFile.format({
            ...edited,
            versions: [{
              ...latest,
              messages: [latest.messages[0]!, { role: "user", content: "Greet {{user.name}} warmly." }],
              model: { ...latest.model!, params: { ...latest.model!.params, temperature: 0.7 } }
            }]
          })
        )
        NodeFs.writeFileSync(
          PromptFile.pathFor(dir, "brand-new"),
          PromptFile.format({
            slug: "brand-new",
            tags: {},
            versions: [{ version: "1", templateFormat: "none", messages: [{ role: "user", content: "hi" }] }]
          })
        )
        const dirty = yield* Harness.run(backends, ["prompts", "diff", "--dir", dir])
        assert.strictEqual(dirty.code, 1)
        assert.include(dirty.stdout, "+ brand-new  only in")
        assert.include(dirty.stdout, "~ greeting  memory version 1 →")
        assert.include(dirty.stdout, "messages[1].content: Say hello to {{user.name}}. → Greet {{user.name}} warmly.")
        assert.include(dirty.stdout, "model.params.temperature: 0.2 → 0.7")
        assert.notInclude(dirty.stdout, "support-answer")
        assert.include(dirty.stderr, "2 prompts differ")

        const pushedEdit = yield* Harness.run(backends, ["prompts", "push", "--dir", dir])
        assert.include(pushedEdit.stdout, "~ greeting  pushed as version 2")
        assert.include(pushedEdit.stdout, "+ brand-new  pushed as version 1")
        assert.strictEqual((yield* Harness.run(backends, ["prompts", "diff", "--dir", dir])).code, 0)

        // A prompt only on the backend shows as removed; pull brings everything into a new directory.
        yield* backends.get("memory").services.registry.push({
          slug: "remote-only",
          templateFormat: "mustache",
          messages: [{ role: "user", content: "{{x}}" }]
        })
        const removed = yield* Harness.run(backends, ["prompts", "diff", "--dir", dir])
        assert.strictEqual(removed.code, 1)
        assert.include(removed.stdout, "- remote-only  only on memory (version 1)")

        const pulledDir = NodePath.join(tempDir(), "pulled")
        const pulled = yield* Harness.run(backends, ["prompts", "pull", "--dir", pulledDir])
        assert.strictEqual(pulled.code, 0, pulled.stderr)
        assert.include(pulled.stdout, "pulled 4 prompts")
        assert.deepStrictEqual(
          NodeFs.readdirSync(pulledDir).sort(),
          ["brand-new.json", "greeting.json", "remote-only.json", "support-answer.json"]
        )
        assert.strictEqual((yield* Harness.run(backends, ["prompts", "diff", "--dir", pulledDir])).code, 0)
        const repull = yield* Harness.run(backends, ["prompts", "pull", "--dir", pulledDir])
        assert.include(repull.stdout, "(0 written)")
      }))

    it.effect("push to a backend without a registry is Unsupported (exit 2); push of an empty directory is a usage error", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const dir = tempDir()
        const basalt = yield* Harness.run(backends, ["prompts", "push", "--provider", "basalt", "--dir", dir])
        assert.strictEqual(basalt.code, 2)
        assert.include(basalt.stderr, "the basalt backend cannot push or delete prompts")
        const empty = yield* Harness.run(backends, ["prompts", "push", "--dir", dir])
        assert.strictEqual(empty.code, 2)
        assert.include(empty.stderr, "no prompt files (*.json) in")
      }))

    it.effect("a broken prompt file is reported with its path (exit 2, nothing pushed)", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const dir = tempDir()
        NodeFs.writeFileSync(NodePath.join(dir, "bad.json"), "{ \"slug\": \"bad\", \"versions\": [ }")
        const result = yield* Harness.run(backends, ["prompts", "push", "--dir", dir])
        assert.strictEqual(result.code, 2)
        assert.include(result.stderr, "bad.json")
        assert.strictEqual(backends.get("memory").state.prompts.size, 0)
      }))
  })

  describe("migrate", () => {
    it.effect("dry run writes nothing, --apply copies and writes the id map, a second --apply creates nothing", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const source = backends.get("local").services
        yield* Effect.forEach(Testing.fixturePrompts, (draft) => source.registry.push(draft))
        yield* source.datasets.insert("greetings", Testing.fixtureDataset)
        const target = backends.get("braintrust")
        const idMap = NodePath.join(tempDir(), "ids.json")
        // support-answer is jinja, which Braintrust stores as nunjucks (see the next test).
        const args = ["migrate", "--from", "local", "--to", "braintrust", "--id-map", idMap, "--convert-templates"]

        const dry = yield* Harness.run(backends, args)
        assert.strictEqual(dry.code, 0, dry.stderr)
        assert.include(dry.stdout, "dry run")
        assert.include(dry.stdout, "+ greeting  to create from version 1")
        assert.include(dry.stdout, "+ greetings  3 records to create")
        assert.include(dry.stdout, "dry run: 2 prompts to create, 0 to update; 3 records to create, 0 to update")
        assert.strictEqual(target.state.prompts.size, 0)
        assert.strictEqual(target.state.datasets.size, 0)
        assert.isFalse(NodeFs.existsSync(idMap))

        const applied = yield* Harness.run(backends, [...args, "--apply"])
        assert.strictEqual(applied.code, 0, applied.stderr)
        assert.include(applied.stdout, "done: 2 prompts created, 0 updated; 3 records created, 0 updated")
        assert.strictEqual(target.state.prompts.get("greeting")!.length, 1)
        assert.deepStrictEqual(
          [...target.state.datasets.get("greetings")!.records.keys()].sort(),
          ["case-ada", "case-alan", "case-grace"]
        )
        const map = JSON.parse(NodeFs.readFileSync(idMap, "utf8"))
        assert.deepStrictEqual(map.prompts.greeting, { sourceVersion: "1", targetVersion: "1" })
        assert.deepStrictEqual(map.datasets.greetings.records, { "case-ada": "case-ada", "case-alan": "case-alan", "case-grace": "case-grace" })
        assert.strictEqual(map.from.provider, "local")
        assert.strictEqual(map.to.provider, "braintrust")

        const again = yield* Harness.run(backends, [...args, "--apply"])
        assert.strictEqual(again.code, 0, again.stderr)
        assert.include(again.stdout, "= greeting  unchanged (target version 1)")
        assert.include(again.stdout, "= greetings  3 records unchanged")
        assert.include(again.stdout, "done: 0 prompts created, 0 updated; 0 records created, 0 updated")
        assert.strictEqual(target.state.prompts.get("greeting")!.length, 1, "no second version")
        assert.deepStrictEqual(JSON.parse(NodeFs.readFileSync(idMap, "utf8")).prompts, map.prompts)

        // A changed prompt and a changed record are updated, the rest left alone.
        yield* source.registry.push({ ...Testing.fixturePrompts[0]!, messages: [{ role: "user", content: "Hey {{user.name}}" }] })
        yield* source.datasets.insert("greetings", [{ id: "case-ada", input: { user: { name: "Ada" } }, expected: "Hey, Ada!" }])
        const changed = yield* Harness.run(backends, [...args, "--apply"])
        assert.include(changed.stdout, "~ greeting  updated from version 2 → version 2")
        assert.include(changed.stdout, "messages[1] removed")
        assert.include(changed.stdout, "~ greetings  1 record updated, 2 records unchanged")
        assert.strictEqual(target.state.datasets.get("greetings")!.records.get("case-ada")!.expected, "Hey, Ada!")
      }))

    it.effect("a jinja prompt goes to Braintrust as nunjucks only when it renders the same; else an error, or warnings", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const source = backends.get("local").services
        yield* source.registry.push({ slug: "plain", templateFormat: "jinja", messages: [{ role: "user", content: "Hello" }] })
        yield* source.registry.push(Testing.fixturePrompts[1]!) // support-answer: outputs and a for block
        const target = backends.get("braintrust")
        const args = ["migrate", "--from", "local", "--to", "braintrust", "--what", "prompts", "--apply", "--id-map", NodePath.join(tempDir(), "ids.json")]

        const refused = yield* Harness.run(backends, args)
        assert.strictEqual(refused.code, 2)
        assert.include(refused.stderr, "braintrust stores no jinja templates (Basalt's format), and its nunjucks renders these differently:")
        assert.include(refused.stderr, `support-answer: messages[1].content: "{{ question }}": nunjucks HTML-escapes output`)
        assert.include(refused.stderr, "pass --convert-templates")
        assert.notInclude(refused.stderr, "plain:")
        assert.strictEqual(target.state.prompts.size, 0, "nothing written")

        const converted = yield* Harness.run(backends, [...args, "--convert-templates"])
        assert.strictEqual(converted.code, 0, converted.stderr)
        assert.include(converted.stderr, "warning: support-answer: converted from jinja to nunjucks, which renders these differently:")
        assert.notInclude(converted.stderr, "warning: plain")
        assert.strictEqual(target.state.prompts.get("plain")!.at(-1)!.templateFormat, "nunjucks")
        assert.strictEqual(target.state.prompts.get("support-answer")!.at(-1)!.templateFormat, "nunjucks")
      }))

    it.effect("--what, same backend twice, and a target without a registry are usage errors", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const what = yield* Harness.run(backends, ["migrate", "--from", "local", "--to", "memory", "--what", "traces"])
        assert.strictEqual(what.code, 2)
        assert.include(what.stderr, "--what takes a comma-separated list of prompts, datasets")
        const same = yield* Harness.run(backends, ["migrate", "--from", "local", "--to", "local"])
        assert.strictEqual(same.code, 2)
        const basalt = yield* Harness.run(backends, ["migrate", "--from", "local", "--to", "basalt", "--what", "prompts"])
        assert.strictEqual(basalt.code, 2)
        assert.include(basalt.stderr, "cannot push or delete prompts")
        // Datasets alone go to a registry-less backend.
        yield* backends.get("local").services.datasets.insert("d", [{ id: "r1", input: 1 }])
        const datasets = yield* Harness.run(backends, ["migrate", "--from", "local", "--to", "basalt", "--what", "datasets", "--apply", "--id-map", NodePath.join(tempDir(), "m.json")])
        assert.strictEqual(datasets.code, 0, datasets.stderr)
        assert.strictEqual(backends.get("basalt").state.datasets.get("d")!.records.size, 1)
      }))
  })

  describe("experiments", () => {
    it.effect("list (newest first, --name, --limit), show with the summary and --results, Unsupported on basalt", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        yield* Harness.run(backends, ["eval", greeting])
        yield* withEnv("GREETING_VARIANT", "broken", Harness.run(backends, ["eval", greeting]))
        yield* Harness.run(backends, ["eval", fixture("dataset.eval.ts")]).pipe(Effect.ignore)

        const list = yield* Harness.run(backends, ["experiments", "list"])
        assert.strictEqual(list.code, 0)
        const rows = list.stdout.split("\n").slice(1).map((line) => line.split(/\s+/).slice(0, 2))
        assert.deepStrictEqual(rows, [["exp-4", "rendered-greeting"], ["exp-3", "length"], ["exp-2", "greeting"], ["exp-1", "greeting"]])
        const named = yield* Harness.run(backends, ["experiments", "list", "--name", "greeting", "--limit", "1"])
        assert.deepStrictEqual(named.stdout.split("\n").slice(1).map((line) => line.split(/\s+/)[0]), ["exp-2"])

        const show = yield* Harness.run(backends, ["experiments", "show", "exp-2", "--baseline", "exp-1", "--results"])
        assert.strictEqual(show.code, 0, show.stderr)
        assert.include(show.stdout, "experiment exp-2: greeting")
        assert.match(show.stdout, /exact\s+66\.7%\s+-33\.3%/)
        assert.include(show.stdout, "results (3):")
        assert.include(show.stdout, "bob#0  exact=0.00  output: \"Hi Bob\"")

        const jsonl = yield* Harness.run(backends, ["experiments", "show", "exp-1", "--jsonl"])
        assert.deepStrictEqual(jsonLines(jsonl.stdout).map((line) => line.type), ["experiment", "result", "result", "result", "summary"])

        const missing = yield* Harness.run(backends, ["experiments", "show", "exp-99"])
        assert.strictEqual(missing.code, 2)
        assert.include(missing.stderr, "experiment \"exp-99\" not found on memory")

        const basalt = yield* Harness.run(backends, ["experiments", "list", "--provider", "basalt"])
        assert.strictEqual(basalt.code, 2)
        assert.include(basalt.stderr, "basalt backend cannot read experiments back")
      }))
  })

  describe("traces tail", () => {
    it.effect("prints the newest spans, filters by experiment and trace, and Unsupported on basalt", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        yield* Harness.run(backends, ["eval", greeting])
        const spans = [...backends.get("memory").state.spans.values()]

        const all = yield* Harness.run(backends, ["traces", "tail", "--experiment", "exp-1", "--limit", "100", "--jsonl"])
        assert.strictEqual(all.code, 0, all.stderr)
        const printed = jsonLines(all.stdout).map((line) => line.span.spanId)
        const expected = spans.filter((s) => s.destination._tag === "Experiment").map((s) => s.spanId)
        assert.deepStrictEqual(printed, expected)

        const last = yield* Harness.run(backends, ["traces", "tail", "--experiment", "exp-1", "-n", "2"])
        const lines = last.stdout.split("\n")
        assert.strictEqual(lines.length, 2)
        assert.include(lines[1]!, expected[expected.length - 1]!)

        const root = spans.find((s) => s.kind === "eval")!
        const trace = yield* Harness.run(backends, ["traces", "tail", "--experiment", "exp-1", "--trace", root.traceId, "--jsonl"])
        const traceSpans = jsonLines(trace.stdout).map((line) => line.span)
        assert.isTrue(traceSpans.length >= 3 && traceSpans.every((s) => s.traceId === root.traceId))

        // Reading traces back writes no spans of its own: the project logs stay as the eval left them.
        const before = backends.get("memory").state.spans.size
        const logs = yield* Harness.run(backends, ["traces", "tail", "--limit", "1000"])
        // The eval's own library calls are not traced into the logs (no app span opened them).
        assert.strictEqual(logs.code, 0, logs.stderr)
        const again = yield* Harness.run(backends, ["traces", "tail", "--limit", "1000"])
        assert.strictEqual(again.stdout, logs.stdout)
        assert.strictEqual(backends.get("memory").state.spans.size, before)

        const basalt = yield* Harness.run(backends, ["traces", "tail", "--provider", "basalt"])
        assert.strictEqual(basalt.code, 2)
        assert.include(basalt.stderr, "the basalt backend cannot read traces back")
      }))

    it.effect("--follow polls the cursor on a schedule and prints only new spans", () =>
      Effect.gen(function*() {
        const backends = Harness.makeBackends()
        const memory = backends.get("memory")
        const span = (id: string) => ({
          traceId: "a".repeat(32),
          spanId: id.padStart(16, "0"),
          name: `span-${id}`,
          kind: "span" as const,
          startTime: 1_700_000_000_000,
          endTime: 1_700_000_000_005,
          metadata: {},
          metrics: {},
          destination: { _tag: "ProjectLogs" as const }
        })
        yield* memory.services.spanSink.export([span("1")])
        const fiber = yield* Effect.fork(
          Harness.run(backends, ["traces", "tail", "--follow", "--max-polls", "2", "--interval", "1000", "--jsonl"])
        )
        const waitForSleep = Effect.gen(function*() {
          while ((yield* TestClock.sleeps()).length === 0) yield* Effect.yieldNow()
        })
        yield* waitForSleep
        yield* memory.services.spanSink.export([span("2"), span("3")])
        yield* TestClock.adjust("1 second")
        yield* waitForSleep
        yield* memory.services.spanSink.export([span("4")])
        yield* TestClock.adjust("1 second")
        const result = yield* Fiber.join(fiber)
        assert.strictEqual(result.code, 0, result.stderr)
        assert.deepStrictEqual(jsonLines(result.stdout).map((line) => line.span.name), ["span-1", "span-2", "span-3", "span-4"])
        const misuse = yield* Harness.run(backends, ["traces", "tail", "--max-polls", "1"])
        assert.strictEqual(misuse.code, 2)
      }))
  })
})
