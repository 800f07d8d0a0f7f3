// The judges' overhead per call (issue 13): an `@promptops/ai` judge scorer
// beside the same model call written by hand. A stand-in `LanguageModel`
// answers at once (the `{ reasoning, choice }` JSON and its usage), so the
// figures are the library's own CPU, not a model's latency:
//   direct_us        `LanguageModel.generateObject` with the verdict's Schema, by hand:
//                    the floor, what any judge has to do;
//   judge_us         `Judges.closedQa(...).score(args)`: the judge's prompt built, the call
//                    under the run's `JudgePolicy` (permit, retry, tokens and cost counted),
//                    `AiTracing`'s span transformer, the choice mapped to a score;
//   judge_traced_us  the same inside a `score` span with the promptops Tracer exporting
//                    every span (the score's and the judge's `llm` span) to the memory sink.
// overhead_us = judge_traced_us − direct_us (median of the rounds' differences): what
// promptops adds to one judge call.
// A real judge call takes hundreds of milliseconds; the budget keeps the overhead
// below 0.2 ms, under 0.1% of a 200 ms call. (By hand, `@effect/ai`'s own
// `generateObject` costs ~450 µs of CPU here, most of it building the Schema
// transformations and JSON Schema of the structured output on every call.)
import { Effect, Layer, Schema, Stream } from "effect"

const CALLS = Number(process.env.JUDGE_CALLS ?? 5_000)
const LanguageModel = await import("@effect/ai/LanguageModel")
const { JudgePolicy, Judges } = await import("@promptops/ai")
const Memory = await import("@promptops/core/Memory")
const Trace = await import("@promptops/core/Trace")
const Tracing = await import("@promptops/core/Tracing")

const verdict = JSON.stringify({ reasoning: "The answer names the reset link, as asked.", choice: "Y" })
const model = Layer.effect(
  LanguageModel.LanguageModel,
  LanguageModel.make({
    generateText: () =>
      Effect.succeed([
        { type: "response-metadata", modelId: "stand-in-judge" },
        { type: "text", text: verdict },
        { type: "finish", reason: "stop", usage: { inputTokens: 120, outputTokens: 18, totalTokens: 138 } }
      ]),
    streamText: () => Stream.die("not used")
  })
)

const args = {
  input: { question: "How do I reset my password?" },
  output: "Use the reset link on the sign-in page.",
  expected: "reset link",
  metadata: {},
  tags: [],
  caseId: "reset-password",
  trial: 0
}
const criteria = "The answer tells the user how to reset the password."
const judge = Judges.closedQa({ criteria })
const Verdict = Schema.Struct({ reasoning: Schema.String, choice: Schema.Literal("Y", "N") })

/** Process CPU (user + system) per call of `calls` sequential runs of `effect`, in µs. */
const cpuPerCall = (effect, calls) =>
  Effect.gen(function*() {
    const before = process.cpuUsage()
    for (let i = 0; i < calls; i++) yield* effect
    const cpu = process.cpuUsage(before)
    return (cpu.user + cpu.system) / calls
  })

const direct = LanguageModel.generateObject({
  prompt: [
    { role: "system", content: "You grade answers. Reply with Y or N and your reasoning." },
    { role: "user", content: `Criteria: ${criteria}\nQuestion: ${args.input.question}\nAnswer: ${args.output}` }
  ],
  schema: Verdict
})
const judged = Effect.flatMap(judge.score(args), (score) =>
  score?.score === 1 ? Effect.void : Effect.die(new Error(`unexpected score ${JSON.stringify(score)}`)))
const judgedInSpan = judged.pipe(Trace.span("score")("closed-qa"))

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

// The three are measured in alternating rounds and each figure is the median
// of its rounds: on a shared machine a neighbour's burst then touches one
// round of each, not all of one side.
const ROUNDS = 10
const program = Effect.gen(function*() {
  // Warm-up, so the figures are the steady state, not the JIT.
  yield* cpuPerCall(direct, 1000)
  yield* cpuPerCall(judged, 1000)
  yield* cpuPerCall(judgedInSpan, 1000)
  const rounds = { direct: [], judged: [], traced: [], overhead: [] }
  for (let round = 0; round < ROUNDS; round++) {
    const d = yield* cpuPerCall(direct, CALLS / ROUNDS)
    const j = yield* cpuPerCall(judged, CALLS / ROUNDS)
    const t = yield* cpuPerCall(judgedInSpan, CALLS / ROUNDS)
    rounds.direct.push(d)
    rounds.judged.push(j)
    rounds.traced.push(t)
    rounds.overhead.push(t - d)
  }
  yield* Tracing.flush
  const stats = yield* Tracing.stats
  const spent = yield* JudgePolicy.spent
  const dropped = Object.values(stats.dropped).reduce((total, count) => total + count, 0)
  return {
    direct_us: median(rounds.direct),
    judge_us: median(rounds.judged),
    judge_traced_us: median(rounds.traced),
    overhead_us: median(rounds.overhead),
    spans_exported: stats.exported,
    spans_dropped: dropped,
    judge_calls_counted: spent.calls
  }
})

const metrics = await Effect.runPromise(Effect.scoped(Effect.provide(
  program,
  Layer.mergeAll(model, JudgePolicy.layer({ concurrency: 4 }), Tracing.layer().pipe(Layer.provideMerge(Memory.layer())))
)))
console.log(JSON.stringify({ metrics }))
