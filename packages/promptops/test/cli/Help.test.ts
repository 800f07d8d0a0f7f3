/**
 * `--help` of every command, in-process: plain text unless colours are on,
 * usage lines naming promptops, no type boilerplate, every option described,
 * environment variables, exit codes and an example.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as CliHelp from "../../src/cli/CliHelp.js"
import * as Cli from "../../src/cli/Cli.js"
import * as Harness from "./harness.js"

const commands: ReadonlyArray<readonly [ReadonlyArray<string>, ReadonlyArray<string>]> = [
  [[], ["PROMPTOPS_PROVIDER", "BRAINTRUST_API_KEY", "BASALT_API_KEY", "NO_COLOR"]],
  [["eval"], ["PROMPTOPS_PROVIDER", "PROMPTOPS_LOCAL_DIR", "BRAINTRUST_API_KEY", "BRAINTRUST_API_URL", "BRAINTRUST_ORG_NAME", "BRAINTRUST_PROJECT", "BASALT_API_KEY", "BASALT_API_URL", "BASALT_FEATURE"]],
  [["prompts"], ["PROMPTOPS_PROVIDER", "BASALT_API_KEY"]],
  [["prompts", "pull"], ["PROMPTOPS_PROVIDER", "BRAINTRUST_PROJECT", "BASALT_FEATURE"]],
  [["prompts", "push"], ["PROMPTOPS_PROVIDER", "BRAINTRUST_PROJECT"]],
  [["prompts", "diff"], ["PROMPTOPS_PROVIDER", "BRAINTRUST_PROJECT"]],
  [["migrate"], ["PROMPTOPS_LOCAL_DIR", "BRAINTRUST_API_KEY", "BASALT_API_KEY"]],
  [["experiments"], ["PROMPTOPS_PROVIDER", "BRAINTRUST_PROJECT"]],
  [["experiments", "list"], ["PROMPTOPS_PROVIDER", "PROMPTOPS_LOCAL_DIR", "BRAINTRUST_PROJECT"]],
  [["experiments", "show"], ["PROMPTOPS_PROVIDER", "BRAINTRUST_PROJECT"]],
  [["traces"], ["PROMPTOPS_PROVIDER", "BRAINTRUST_PROJECT"]],
  [["traces", "tail"], ["PROMPTOPS_PROVIDER", "BRAINTRUST_PROJECT"]],
  [["view"], ["PROMPTOPS_PROVIDER", "PROMPTOPS_LOCAL_DIR", "BRAINTRUST_PROJECT"]]
]

describe("promptops --help", () => {
  it.effect("every command: plain text, usage naming promptops, no boilerplate, environment, exit codes, an example", () =>
    Effect.gen(function*() {
      const backends = Harness.makeBackends()
      for (const [path, variables] of commands) {
        const shown = ["promptops", ...path].join(" ")
        const help = yield* Harness.run(backends, [...path, "--help"])
        assert.strictEqual(help.code, 0, shown)
        assert.notInclude(help.stdout, "\x1b[", `${shown}: no ANSI codes when colours are off`)
        assert.match(help.stdout, new RegExp(`USAGE\\n\\n  ${shown}( |\\n|$)`), `${shown}: usage names promptops`)
        assert.notMatch(help.stdout, /^\s*\$ /m, `${shown}: no "$ " usage lines`)
        assert.notInclude(help.stdout, "A user-defined piece of text.", shown)
        assert.notInclude(help.stdout, "This setting is optional.", shown)
        assert.notInclude(help.stdout, "A true or false value.", shown)
        for (const variable of variables) assert.match(help.stdout, new RegExp(`^  ${variable} `, "m"), `${shown} lists ${variable}`)
        assert.include(help.stdout, "EXIT CODES", shown)
        assert.match(help.stdout, /^  2 +usage or configuration error/m, shown)
        assert.match(help.stdout, /EXAMPLE\n\n  (\S+=\S+ )?promptops /, `${shown} has an example`)
      }
      // -h works as --help, also after arguments.
      const short = yield* Harness.run(backends, ["eval", "some.eval.ts", "-h"])
      assert.strictEqual(short.code, 0)
      assert.include(short.stdout, "USAGE\n\n  promptops eval [--provider")
    }))

  it.effect("with colours on (a terminal, or FORCE_COLOR), help is styled", () =>
    Effect.gen(function*() {
      const help = yield* Harness.run(Harness.makeBackends(), ["eval", "--help"], { color: true })
      assert.include(help.stdout, "\x1b[")
      assert.include(CliHelp.stripAnsi(help.stdout), "USAGE\n\n  promptops eval [--provider")
    }))

  it("every option and argument of every command has a description of its own", () => {
    for (const [path] of commands) {
      const found = CliHelp.find(Cli.command, Cli.subcommands, path)
      assert.deepStrictEqual(found.path, path)
      assert.deepStrictEqual(CliHelp.undocumented(found.help), [], ["promptops", ...path].join(" "))
    }
  })

  it("colours: off with NO_COLOR, on with FORCE_COLOR, else only on a terminal", () => {
    assert.isTrue(CliHelp.colorEnabled(true, {}))
    assert.isFalse(CliHelp.colorEnabled(false, {}))
    assert.isFalse(CliHelp.colorEnabled(true, { NO_COLOR: "1" }))
    assert.isFalse(CliHelp.colorEnabled(true, { NO_COLOR: "1", FORCE_COLOR: "1" }))
    assert.isTrue(CliHelp.colorEnabled(false, { FORCE_COLOR: "1" }))
    assert.isFalse(CliHelp.colorEnabled(false, { FORCE_COLOR: "0" }))
    assert.isTrue(CliHelp.colorEnabled(true, { NO_COLOR: "" }))
  })
})
