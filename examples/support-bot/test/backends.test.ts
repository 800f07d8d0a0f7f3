/**
 * The same program, unchanged, on every backend `PROMPTOPS_PROVIDER` can name:
 * memory, local (twice, so the second run diffs against the first), and both
 * vendors through their emulators over the real Node HTTP stack. Each run's
 * results must land where that backend keeps them.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as BasaltEmulator from "@promptops/emulators/BasaltEmulator"
import * as BraintrustEmulator from "@promptops/emulators/BraintrustEmulator"
import { ConfigProvider, Effect, Stream } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { Experiments, PromptOps } from "promptops"
import { candidateRun, productionRun, program } from "../src/Demo.js"

const runWith = (env: Record<string, string>) =>
  program.pipe(
    Effect.provide(PromptOps.layer),
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
  )

const experimentNames = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const experiments = yield* Experiments.Experiments
    return yield* Stream.runCollect(experiments.list()).pipe(Effect.map((all) => [...all].map((e) => e.name)))
  }).pipe(
    Effect.provide(PromptOps.layer),
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
  )

let braintrust: BraintrustEmulator.BraintrustEmulatorHandle
let basalt: BasaltEmulator.BasaltEmulatorHandle
let localDir: string

beforeAll(async () => {
  localDir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "support-bot-"))
  braintrust = await BraintrustEmulator.start({ apiKeys: ["bt-key"] })
  basalt = await BasaltEmulator.start({
    apiKeys: ["basalt-key"],
    features: ["support-bot"],
    prompts: [{
      slug: "support-answer",
      name: "Support answer",
      featureSlugs: ["support-bot"],
      versions: [
        { version: "1", text: "{{question}}", systemText: "You are the support assistant of {{product}}. Answer briefly." },
        {
          version: "2",
          text: "{{question}}",
          systemText: "You are the support assistant of {{product}}. Answer briefly and name the help-centre article."
        }
      ],
      tags: { production: "1", candidate: "2" }
    }]
  })
})

afterAll(async () => {
  NodeFs.rmSync(localDir, { recursive: true, force: true })
  // Every request and answer on both vendors respected their OpenAPI files.
  for (const emulator of [braintrust, basalt]) {
    assert.deepStrictEqual(emulator.violations, [])
    assert.deepStrictEqual(emulator.rejections, [])
    await emulator.close()
  }
})

describe("the support bot on every backend", () => {
  it.effect("memory", () =>
    Effect.gen(function*() {
      const { candidate, production } = yield* runWith({ PROMPTOPS_PROVIDER: "memory" })
      assert.strictEqual(production.summary.scores["mentions_expected"]!.mean, 7 / 8)
      assert.strictEqual(candidate.summary.comparison?.id, production.experiment.id)
    }))

  it.effect("local (the default): results persist, and the second run diffs against the first", () =>
    Effect.gen(function*() {
      const env = { PROMPTOPS_LOCAL_DIR: localDir }
      const first = yield* runWith(env)
      assert.isUndefined(first.production.summary.comparison)
      const second = yield* runWith(env)
      assert.strictEqual(second.production.summary.comparison?.id, first.production.experiment.id)
      assert.strictEqual(second.production.summary.scores["mentions_expected"]!.diff, 0)
      assert.strictEqual(second.production.summary.scores["mentions_expected"]!.regressions, 0)
      assert.deepStrictEqual(yield* experimentNames(env), [candidateRun, productionRun, candidateRun, productionRun])
      assert.isTrue(NodeFs.existsSync(NodePath.join(localDir, "promptops.sqlite")))
    }))

  it.effect("braintrust (emulator): experiments and spans stored at the vendor", () =>
    Effect.gen(function*() {
      const env = {
        PROMPTOPS_PROVIDER: "braintrust",
        BRAINTRUST_API_KEY: "bt-key",
        BRAINTRUST_API_URL: braintrust.url,
        BRAINTRUST_PROJECT: "support-bot"
      }
      const first = yield* runWith(env)
      const second = yield* runWith(env)
      assert.strictEqual(second.production.summary.comparison?.id, first.production.experiment.id)
      const stored = [...braintrust.store.experiments.values()].map((experiment) => experiment.data["name"])
      // Braintrust keeps experiment names unique: the second run is "…-1", and still the previous run of the third.
      assert.sameMembers(stored, [productionRun, candidateRun, `${productionRun}-1`, `${candidateRun}-1`])
      const third = yield* runWith(env)
      assert.strictEqual(third.production.summary.comparison?.id, second.production.experiment.id)
      assert.strictEqual((yield* experimentNames(env)).length, 6)
      // The two prompt versions were pushed by the first run only.
      const prompt = [...braintrust.store.functions.values()].find((f) => f.versions[0]?.data["slug"] === "support-answer")
      assert.strictEqual(prompt?.versions.length, 2)
    }))

  it.effect("basalt (emulator): experiments and the traces stored at the vendor", () =>
    Effect.gen(function*() {
      const env = {
        PROMPTOPS_PROVIDER: "basalt",
        BASALT_API_KEY: "basalt-key",
        BASALT_API_URL: basalt.url,
        BASALT_FEATURE: "support-bot"
      }
      const { candidate, production } = yield* runWith(env)
      assert.strictEqual(production.summary.scores["mentions_expected"]!.mean, 7 / 8)
      assert.strictEqual(candidate.summary.comparison?.id, production.experiment.id)
      const stored = [...basalt.store.experiments.values()].map((experiment) => experiment.name)
      assert.includeMembers(stored, [productionRun, candidateRun])
      assert.isAbove(basalt.store.traces.length, 0)
    }))
})
