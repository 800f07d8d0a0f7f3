/**
 * The built `promptops` executable (`npx turbo run build --filter=promptops...`
 * first) with `PROMPTOPS_TRACES`: `promptops eval` on the local backend in a
 * temporary directory sends its spans to an `OtlpReceiver` started here on
 * 127.0.0.1:0, and says so on standard error.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Receiver from "@promptops/emulators/OtlpReceiver"
import { Effect } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as SpawnCli from "./spawnCli.js"

const work = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "promptops-traces-e2e-"))
const fresh = SpawnCli.freshDirs(work)

afterAll(() => NodeFs.rmSync(work, { recursive: true, force: true }))

const evalSource = `import * as Eval from "@promptops/core/Eval"
import { Effect } from "effect"
import * as Evaluator from "promptops/Evaluator"

export default Evaluator.make({
  name: "greeting",
  data: [
    { id: "ada", input: "Ada", expected: "Hello Ada" },
    { id: "bob", input: "Bob", expected: "Hello Bob" }
  ],
  task: (name: string) => Effect.succeed("Hello " + name),
  scorers: [Eval.scorer("exact", ({ output, expected }) => (output === expected ? 1 : 0))]
})
`

/** A working directory with the eval file; its local store is `dir/.promptops`. */
const project = (): { readonly dir: string; readonly file: string } => {
  const dir = fresh()
  const file = NodePath.join(dir, "greeting.eval.ts")
  NodeFs.writeFileSync(file, evalSource)
  return { dir, file }
}

const jsonLines = (text: string): Array<Record<string, any>> =>
  text.split("\n").filter((line) => line.length > 0).map((line) => JSON.parse(line))

const timeout = { timeout: 120_000 }

describe("promptops eval with PROMPTOPS_TRACES (built CLI, OtlpReceiver)", () => {
  it.live("otlp: the spans reach the receiver before the process exits, not the local store", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      const { dir, file } = project()
      const endpoint = `${receiver.url}/v1/traces`
      const run = yield* SpawnCli.cli(dir, ["eval", file], {
        env: { PROMPTOPS_TRACES: "otlp", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint, OTEL_SERVICE_NAME: "cli-e2e" }
      })
      assert.strictEqual(run.code, 0, run.stderr)
      assert.include(run.stderr, `local: ${NodePath.join(dir, ".promptops")}`)
      assert.include(run.stderr, `traces: otlp ${endpoint}`)
      assert.notInclude(run.stderr, "warning:")

      const spans = Receiver.spansOf(receiver)
      const evals = spans.filter((span) => (span.attributes["promptops.kind"] as { string?: string })?.string === "eval")
      assert.strictEqual(evals.length, 2)
      const service = receiver.accepted()[0]!.exports[0]!.resource["service.name"]
      assert.deepStrictEqual(service, { string: "cli-e2e" })

      // The run's experiment is in the local store (traces read it back); none of its spans is. A
      // command that makes no spans ignores PROMPTOPS_TRACES: no OTLP variable is even read.
      const experimentId = (evals[0]!.attributes["promptops.experiment_id"] as { string?: string }).string!
      const stored = yield* SpawnCli.cli(dir, ["traces", "tail", "--experiment", experimentId, "--limit", "100", "--jsonl"], {
        env: { PROMPTOPS_TRACES: "otlp", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_TIMEOUT: "soon" }
      })
      assert.strictEqual(stored.code, 0, stored.stderr)
      assert.notInclude(stored.stderr, "traces:")
      assert.deepStrictEqual(jsonLines(stored.stdout).filter((line) => line.span !== undefined), [])
    }).pipe(Effect.scoped), timeout)

  it.live("provider,otlp with the receiver down (503): the local store has every span; the warning names otlp only", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.start
      receiver.reply = () => ({ status: 503 })
      const { dir, file } = project()
      const run = yield* SpawnCli.cli(dir, ["eval", "--jsonl", file], {
        env: { PROMPTOPS_TRACES: "provider,otlp", OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }
      })
      assert.strictEqual(run.code, 0, run.stderr)
      const lines = jsonLines(run.stdout)
      assert.deepStrictEqual(lines[0]!.traces, [
        { name: "local", location: NodePath.join(dir, ".promptops") },
        { name: "otlp", location: `${receiver.url}/v1/traces` }
      ])
      assert.isAbove(receiver.requests.length, 0)
      // The tracer's own log line is on standard error too: standard output stays JSON lines.
      assert.include(run.stderr, "promptops tracing: export failed")
      const warnings = run.stderr.split("\n").filter((line) => line.startsWith("warning:"))
      assert.strictEqual(warnings.length, 1, run.stderr)
      assert.match(warnings[0]!, new RegExp(`^warning: \\d+ spans could not be exported to otlp \\(${receiver.url}/v1/traces\\)`))

      const experimentId = lines[1]!.experiment.id
      const stored = yield* SpawnCli.cli(dir, ["traces", "tail", "--experiment", experimentId, "--limit", "100", "--jsonl"])
      assert.strictEqual(stored.code, 0, stored.stderr)
      const records = jsonLines(stored.stdout).map((line) => line.span).filter((span) => span !== undefined)
      assert.strictEqual(records.filter((span) => span.kind === "eval").length, 2)
    }).pipe(Effect.scoped), timeout)

  it.live("a bad PROMPTOPS_TRACES: exit 2 and the problem, naming the accepted values", () =>
    Effect.gen(function*() {
      const { dir, file } = project()
      const run = yield* SpawnCli.cli(dir, ["eval", file], { env: { PROMPTOPS_TRACES: "jaeger" } })
      assert.strictEqual(run.code, 2, run.stderr)
      assert.include(run.stderr, "PROMPTOPS_TRACES: must be provider, otlp or provider,otlp (a comma list), got \"jaeger\"")
    }), timeout)
})
