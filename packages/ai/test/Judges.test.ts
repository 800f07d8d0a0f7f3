import * as LanguageModel from "@effect/ai/LanguageModel"
import type * as Prompt from "@effect/ai/Prompt"
import * as Judges from "../src/Judges.js"
import * as JudgePolicy from "../src/JudgePolicy.js"
import * as Eval from "@promptops/core/Eval"
import * as Memory from "@promptops/core/Memory"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import * as Tracing from "@promptops/core/Tracing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"

/** The text of every message of a prompt, joined: what the mock judge reads. */
const textOf = (prompt: Prompt.Prompt): string =>
  prompt.content.map((message) =>
    typeof message.content === "string"
      ? message.content
      : message.content.map((part) => (part.type === "text" ? part.text : "")).join("")
  ).join("\n")

/**
 * A deterministic judge model: answers `decide(prompt text)` as the
 * structured `{ reasoning, choice }`, with a model id and usage, and keeps
 * the prompts it was given.
 */
const mockJudge = (decide: (text: string) => string) => {
  const prompts: Array<string> = []
  const layer = Layer.effect(
    LanguageModel.LanguageModel,
    LanguageModel.make({
      generateText: (options) =>
        Effect.sync(() => {
          const text = textOf(options.prompt)
          prompts.push(text)
          const choice = decide(text)
          return [
            { type: "response-metadata", modelId: "judge-model-1" },
            { type: "text", text: JSON.stringify({ reasoning: `because ${choice}`, choice }) },
            { type: "finish", reason: "stop", usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120 } }
          ]
        }),
      streamText: () => Stream.die("not used")
    })
  )
  return { layer, prompts }
}

/** The memory backend under the promptops tracer, whose spans go to the memory sink. */
const traced = (options: Memory.Options = {}) =>
  Tracing.layer().pipe(Layer.provideMerge(Memory.layer({ deterministicIds: true, ...options })))

const spans = Effect.gen(function*() {
  yield* Tracing.flush
  const state = yield* Memory.MemoryState
  return [...state.spans.values()]
})

const childrenOf = (all: ReadonlyArray<SpanRecord>, parent: SpanRecord) =>
  all.filter((span) => span.parentSpanId === parent.spanId)

describe("Judges.factuality", () => {
  it.effect("scores through the LanguageModel, keeps the reasoning, traces an llm span under the score span", () =>
    Effect.gen(function*() {
      const judge = mockJudge((text) => (text.includes("<answer>\nParis\n</answer>") ? "C" : "D"))
      const run = yield* Eval.run({
        name: "facts",
        data: [
          { id: "right", input: "Capital of France?", expected: "Paris" },
          { id: "wrong", input: "Capital of France?", expected: "Paris" },
          { id: "no-reference", input: "Anything?" }
        ],
        task: (input: string, { caseId }) =>
          Effect.succeed(caseId === "right" ? "Paris" : caseId === "wrong" ? "Lyon" : input),
        scorers: [Judges.factuality()],
        layer: judge.layer
      })
      const byId = Object.fromEntries(run.results!.map((result) => [result.caseId, result]))
      assert.deepStrictEqual(byId["right"]!.scores, { factuality: 1 })
      assert.deepStrictEqual(byId["wrong"]!.scores, { factuality: 0 })
      // No expected: skipped, and the model was never asked.
      assert.deepStrictEqual(byId["no-reference"]!.scores, { factuality: null })
      assert.strictEqual(judge.prompts.length, 2)
      assert.include(judge.prompts[0]!, "<reference>\nParis\n</reference>")
      assert.deepStrictEqual((byId["right"]!.metadata["scoreMetadata"] as any)["factuality"], {
        choice: "C",
        reasoning: "because C",
        judge: { model: "judge-model-1" }
      })

      // Judge usage is the scorers', not the task's.
      assert.deepStrictEqual(byId["right"]!.scorerUsage, { promptTokens: 100, completionTokens: 20, totalTokens: 120 })
      assert.isUndefined(byId["right"]!.usage)
      assert.isUndefined(byId["no-reference"]!.scorerUsage)
      assert.strictEqual(run.summary.metrics["scorerTotalTokens"]!.mean, 120)
      assert.strictEqual(run.summary.metrics["scorerTotalTokens"]!.unit, "tokens")
      assert.isUndefined(run.summary.metrics["totalTokens"])

      // The judge's call: an `llm` span, child of the `factuality` score span, with input, output and usage.
      const all = yield* spans
      const evalSpan = all.find((span) => span.kind === "eval" && span.spanId === byId["right"]!.spanId)!
      const scoreSpan = childrenOf(all, evalSpan).find((span) => span.kind === "score")!
      assert.strictEqual(scoreSpan.name, "factuality")
      const [llm, ...others] = childrenOf(all, scoreSpan)
      assert.strictEqual(others.length, 0)
      assert.strictEqual(llm!.kind, "llm")
      assert.include(JSON.stringify(llm!.input), "<reference>")
      assert.include(JSON.stringify(llm!.output), "because C")
      assert.strictEqual(llm!.metrics["totalTokens"], 120)
    }).pipe(Effect.provide(traced())))

  it.effect("an answer outside the choices is a scorer error naming the choice", () =>
    Effect.gen(function*() {
      const judge = mockJudge(() => "Z")
      const run = yield* Eval.run({
        name: "bad-choice",
        data: [{ input: "q", expected: "a" }],
        task: (input: string) => Effect.succeed(input),
        scorers: [Judges.factuality()],
        layer: judge.layer
      })
      const error = run.results![0]!.scorerErrors?.["factuality"]
      assert.strictEqual(error, `judge "factuality" answered choice "Z", which is not one of A, B, C, D, E`)
      assert.strictEqual(run.summary.scorerErrors, 1)
    }).pipe(Effect.provide(traced())))
})

describe("Judges.closedQa and Judges.make", () => {
  it.effect("closed QA maps Y/N to 1/0 with the criteria in the prompt; a custom judge maps its own choices", () =>
    Effect.gen(function*() {
      const judge = mockJudge((text) =>
        text.includes("Grade the tone") ? (text.includes("please") ? "polite" : "rude") : text.includes("sorry") ? "Y" : "N"
      )
      const run = yield* Eval.run({
        name: "qa",
        data: [{ id: "kind", input: "help" }, { id: "curt", input: "help!" }],
        task: (input: string) => Effect.succeed(input === "help" ? "sorry, please wait" : "wait"),
        scorers: [
          Judges.closedQa({ criteria: "The answer apologises." }),
          Judges.make({
            name: "tone",
            prompt: ({ output }) => `Grade the tone of: ${String(output)}`,
            choices: { polite: 1, neutral: 0.5, rude: 0 },
            model: "my-judge"
          })
        ],
        layer: judge.layer
      })
      const byId = Object.fromEntries(run.results!.map((result) => [result.caseId, result]))
      assert.deepStrictEqual(byId["kind"]!.scores, { "closed-qa": 1, tone: 1 })
      assert.deepStrictEqual(byId["curt"]!.scores, { "closed-qa": 0, tone: 0 })
      assert.isTrue(judge.prompts.some((text) => text.includes("<criteria>\nThe answer apologises.\n</criteria>")))
      // Two judges' usage summed per case.
      assert.strictEqual(byId["kind"]!.scorerUsage!.totalTokens, 240)
    }).pipe(Effect.provide(traced())))
})

describe("Judges.make with bad choices", () => {
  it.effect("a choice mapped outside 0..1 is an InvalidInput scorer error naming it, before any call", () =>
    Effect.gen(function*() {
      const judge = mockJudge(() => "great")
      const run = yield* Eval.run({
        name: "bad-choices",
        data: [{ input: "q" }],
        task: (input: string) => Effect.succeed(input),
        scorers: [Judges.make({ name: "odd", prompt: () => "grade", choices: { great: 2, bad: 0 } })],
        layer: judge.layer
      })
      assert.strictEqual(
        run.results![0]!.scorerErrors?.["odd"],
        `promptops Judges.make: judge "odd" maps choice "great" to 2, not a score in 0..1 (at Judges.make.choices.great)`
      )
      assert.strictEqual(judge.prompts.length, 0)
    }).pipe(Effect.provide(traced())))
})

describe("Judges.rubric", () => {
  it.effect("renders a managed prompt with input, output, expected and metadata, and records its slug and version", () =>
    Effect.gen(function*() {
      const judge = mockJudge((text) => (text.includes("answer: 42 (expected 42, topic math)") ? "pass" : "fail"))
      const run = yield* Eval.run({
        name: "rubric",
        data: [{ input: "6 × 7", expected: "42", metadata: { topic: "math" } }],
        task: () => Effect.succeed("42"),
        scorers: [Judges.rubric({ slug: "grader", tag: "production", choices: { pass: 1, fail: 0 } })],
        layer: judge.layer
      })
      const result = run.results![0]!
      assert.deepStrictEqual(result.scores, { grader: 1 })
      assert.deepStrictEqual((result.metadata["scoreMetadata"] as any)["grader"].judge, {
        model: "judge-model-1",
        promptSlug: "grader",
        promptVersion: "1"
      })
      assert.include(judge.prompts[0]!, "Question: 6 × 7")
      // The judge's llm span is linked to the managed prompt it ran.
      const llm = (yield* spans).filter((span) => span.kind === "llm")
      assert.strictEqual(llm.length, 1)
      assert.strictEqual(llm[0]!.metadata["gen_ai.prompt.name"], "grader")
      assert.strictEqual(llm[0]!.metadata["gen_ai.prompt.version"], "1")
    }).pipe(Effect.provide(traced({
      prompts: [{
        slug: "grader",
        tag: "production",
        templateFormat: "mustache",
        messages: [
          { role: "system", content: "Grade the answer: pass or fail." },
          {
            role: "user",
            content: "Question: {{input}}\nanswer: {{output}} (expected {{expected}}, topic {{metadata.topic}})"
          }
        ]
      }]
    }))))

  it.effect("a missing managed prompt is a scorer error", () =>
    Effect.gen(function*() {
      const judge = mockJudge(() => "pass")
      const run = yield* Eval.run({
        name: "rubric-missing",
        data: [{ input: "q" }],
        task: (input: string) => Effect.succeed(input),
        scorers: [Judges.rubric({ slug: "nope", choices: { pass: 1 } })],
        layer: judge.layer
      })
      assert.include(run.results![0]!.scorerErrors?.["nope"], "nope")
      assert.strictEqual(judge.prompts.length, 0)
    }).pipe(Effect.provide(traced())))
})

describe("judges under a JudgePolicy", () => {
  it.effect("past the cost ceiling the remaining judge calls are scorer errors the summary counts", () =>
    Effect.gen(function*() {
      const judge = mockJudge(() => "C")
      // 100 input tokens at $100/M + 20 output at $500/M = $0.02 a call; the ceiling is two calls.
      const policy = JudgePolicy.layer({
        concurrency: 1,
        maxCost: 0.04,
        pricing: { "judge-model": { input: 100, output: 500 } }
      })
      const run = yield* Eval.run({
        name: "budget",
        data: Array.from({ length: 5 }, (_, i) => ({ id: `c${i}`, input: `q${i}`, expected: `a${i}` })),
        task: (input: string) => Effect.succeed(input),
        scorers: [Judges.factuality()],
        concurrency: 1,
        layer: Layer.merge(judge.layer, policy)
      })
      assert.strictEqual(judge.prompts.length, 2)
      assert.strictEqual(run.summary.scorerErrors, 3)
      const last = run.results![4]!
      assert.strictEqual(
        last.scorerErrors?.["factuality"],
        "judge budget exceeded: the run's judges spent $0.0400 and 240 tokens, reaching the ceiling of $0.0400; " +
          "3 judge calls refused so far"
      )
      // The priced cost reaches the scorers' usage too.
      assert.closeTo(run.results![0]!.scorerUsage!.cost!, 0.02, 1e-12)
      // The mean is over the results that report the metric: the two judged cases.
      assert.closeTo(run.summary.metrics["scorerCost"]!.mean, 0.02, 1e-12)
      assert.strictEqual(run.summary.metrics["scorerCost"]!.unit, "usd")
    }).pipe(Effect.provide(traced())))
})
