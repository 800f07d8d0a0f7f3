/**
 * Capabilities at the type level: Basalt has no feedback endpoint and no
 * prompt write API, so the Basalt layer provides neither `Feedback` nor
 * `PromptRegistry`, and a program that needs one does not type-check against
 * it. `tsc -p packages/basalt` checks the `@ts-expect-error` lines below: if
 * the layer ever provided `Feedback`, the expected error would vanish and the
 * typecheck would fail.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Datasets } from "@promptops/core/Datasets"
import { Experiments } from "@promptops/core/Experiments"
import * as Feedback from "@promptops/core/Feedback"
import { PromptRegistry } from "@promptops/core/PromptRegistry"
import { Prompts } from "@promptops/core/Prompts"
import { SpanSink } from "@promptops/core/SpanSink"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import * as Basalt from "../src/Basalt.js"
import { fakeBasalt } from "./fakeBasalt.js"

const basaltLayer = Basalt.layer({ apiKey: Redacted.make("key"), apiUrl: "https://basalt.test", featureSlug: "f" })

/** Runs a program whose only remaining requirement is the HTTP client. */
const runnable = <A, E>(program: Effect.Effect<A, E, HttpClient.HttpClient>) => program

// The neutral app: prompts, datasets, experiments, spans. Runs on Basalt unchanged.
const neutralApp = Effect.gen(function*() {
  const prompts = yield* Prompts
  const datasets = yield* Datasets
  const experiments = yield* Experiments
  const sink = yield* SpanSink
  return [prompts.provider, datasets.provider, experiments.provider, sink.provider]
})
runnable(Effect.provide(neutralApp, basaltLayer))

// Feedback: Basalt has no endpoint for it.
const needsFeedback = Feedback.log([{ targetId: "span-1", scores: { helpful: 1 } }])
// @ts-expect-error Feedback is not provided by the Basalt layer
runnable(Effect.provide(needsFeedback, basaltLayer))

// PromptRegistry: Basalt prompts are written in Basalt's app only.
const needsRegistry = Effect.flatMap(PromptRegistry, (registry) => registry.delete("greeting"))
// @ts-expect-error PromptRegistry is not provided by the Basalt layer
runnable(Effect.provide(needsRegistry, basaltLayer))

describe("capabilities of the Basalt layer", () => {
  it.effect("provides the neutral Prompts, Datasets, Experiments and SpanSink, and neither Feedback nor PromptRegistry", () =>
    Effect.gen(function*() {
      const fake = fakeBasalt(() => ({ status: 200, json: {} }))
      const context = yield* Layer.build(basaltLayer.pipe(Layer.provide(fake.layer)))
      for (const tag of [Prompts, Datasets, Experiments, SpanSink]) {
        assert.isTrue(Option.isSome(Context.getOption(context, tag as Context.Tag<unknown, unknown>)), tag.key)
      }
      assert.isTrue(Option.isNone(Context.getOption(context, Feedback.Feedback as Context.Tag<unknown, unknown>)))
      assert.isTrue(Option.isNone(Context.getOption(context, PromptRegistry as Context.Tag<unknown, unknown>)))
      assert.deepStrictEqual(yield* Effect.provide(neutralApp, context), ["basalt", "basalt", "basalt", "basalt"])
    }).pipe(Effect.scoped))
})
