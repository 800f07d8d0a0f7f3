import * as AiError from "@effect/ai/AiError"
import * as JudgePolicy from "../src/JudgePolicy.js"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Option, TestClock } from "effect"

const usage = (inputTokens: number, outputTokens: number) => ({
  inputTokens,
  outputTokens,
  totalTokens: inputTokens + outputTokens
})

const httpError = (status: number, headers: Record<string, string> = {}) =>
  new AiError.HttpResponseError({
    module: "Test",
    method: "generateObject",
    request: { method: "POST", url: "http://127.0.0.1/v1/chat", urlParams: [], hash: Option.none(), headers: {} },
    response: { status, headers },
    reason: "StatusCode"
  })

/** A call that fails with `errors` in turn, then succeeds; counts its attempts. */
const scripted = (errors: ReadonlyArray<AiError.AiError>) => {
  let attempts = 0
  const call = Effect.suspend(() => {
    const error = errors[attempts++]
    return error === undefined ? Effect.succeed("ok") : Effect.fail(error)
  })
  return { call, attempts: () => attempts }
}

const account = () => ({ usage: usage(10, 5), model: "m" })

describe("JudgePolicy", () => {
  it.effect("waits what a 429's Retry-After asks (7 s of test time), then succeeds", () =>
    Effect.gen(function*() {
      const policy = yield* JudgePolicy.make({ retry: { base: "1 second" } })
      const { attempts, call } = scripted([httpError(429, { "retry-after": "7" })])
      const fiber = yield* Effect.fork(policy.call(call, account))
      yield* TestClock.adjust(Duration.millis(6999))
      assert.strictEqual(attempts(), 1)
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "still waiting before 7 s")
      yield* TestClock.adjust(Duration.millis(1))
      const charged = yield* Fiber.join(fiber)
      assert.strictEqual(charged.value, "ok")
      assert.strictEqual(attempts(), 2)
    }))

  it.effect("honours Retry-After as an HTTP date and backs off exponentially without one", () =>
    Effect.gen(function*() {
      const policy = yield* JudgePolicy.make({ retry: { base: "1 second", times: 3 } })
      // The test clock starts at the epoch: this date is 5 s later.
      const { attempts, call } = scripted([
        httpError(429, { "Retry-After": "Thu, 01 Jan 1970 00:00:05 GMT" }),
        httpError(503),
        httpError(500)
      ])
      const fiber = yield* Effect.fork(policy.call(call, account))
      yield* TestClock.adjust(Duration.seconds(5))
      assert.strictEqual(attempts(), 2, "the date's 5 s")
      yield* TestClock.adjust(Duration.seconds(2))
      assert.strictEqual(attempts(), 3, "then base × 2 = 2 s")
      yield* TestClock.adjust(Duration.millis(3999))
      assert.strictEqual(attempts(), 3)
      yield* TestClock.adjust(Duration.millis(1))
      assert.strictEqual((yield* Fiber.join(fiber)).value, "ok", "then base × 4 = 4 s")
    }))

  it.effect("does not retry a 400, and gives up after `times` retries", () =>
    Effect.gen(function*() {
      const policy = yield* JudgePolicy.make({ retry: { times: 1, base: "1 second" } })
      const bad = scripted([httpError(400)])
      const error = yield* Effect.flip(policy.call(bad.call, account))
      assert.strictEqual(bad.attempts(), 1)
      assert.strictEqual((error as AiError.HttpResponseError).response.status, 400)
      const busy = scripted([httpError(429), httpError(429), httpError(429)])
      const fiber = yield* Effect.fork(Effect.flip(policy.call(busy.call, account)))
      yield* TestClock.adjust(Duration.seconds(10))
      yield* Fiber.join(fiber)
      assert.strictEqual(busy.attempts(), 2)
    }))

  it.effect("never runs more than `concurrency` calls at once", () =>
    Effect.gen(function*() {
      const policy = yield* JudgePolicy.make({ concurrency: 3 })
      let inFlight = 0
      let peak = 0
      const call = Effect.acquireUseRelease(
        Effect.sync(() => {
          inFlight++
          peak = Math.max(peak, inFlight)
        }),
        () => Effect.sleep(Duration.seconds(1)),
        () => Effect.sync(() => inFlight--)
      )
      const fiber = yield* Effect.fork(
        Effect.forEach(Array.from({ length: 10 }), () => policy.call(call, account), { concurrency: "unbounded" })
      )
      yield* TestClock.adjust(Duration.seconds(1))
      assert.strictEqual(peak, 3)
      yield* TestClock.adjust(Duration.seconds(5))
      const results = yield* Fiber.join(fiber)
      assert.strictEqual(results.length, 10)
      assert.strictEqual(peak, 3)
      assert.strictEqual((yield* policy.spent).calls, 10)
    }))

  it.effect("refuses every call past the cost ceiling at once, saying the ceiling, the spend and the refusals", () =>
    Effect.gen(function*() {
      // 1,000 input tokens at $10/M + 500 output tokens at $20/M = $0.02 a call.
      const policy = yield* JudgePolicy.make({ maxCost: 0.05, pricing: { m: { input: 10, output: 20 } } })
      let made = 0
      const call = Effect.sync(() => made++)
      const priced = () => ({ usage: usage(1000, 500), model: "m" })
      for (let i = 0; i < 3; i++) yield* policy.call(call, priced)
      const first = yield* Effect.flip(policy.call(call, priced))
      const second = yield* Effect.flip(policy.call(call, priced))
      assert.strictEqual(made, 3, "refused calls are never made")
      assert.strictEqual(first._tag, "JudgeBudgetExceeded")
      assert.strictEqual(
        second.message,
        "judge budget exceeded: the run's judges spent $0.0600 and 4500 tokens, reaching the ceiling of $0.0500; " +
          "2 judge calls refused so far"
      )
      assert.deepStrictEqual(yield* policy.spent, { calls: 3, tokens: 4500, cost: 0.06, refused: 2 })
    }))

  it.effect("a token ceiling refuses too", () =>
    Effect.gen(function*() {
      const policy = yield* JudgePolicy.make({ maxTokens: 20 })
      yield* policy.call(Effect.void, account)
      yield* policy.call(Effect.void, account)
      const error = yield* Effect.flip(policy.call(Effect.void, account))
      assert.include(error.message, "ceiling of 20 tokens; 1 judge call refused so far")
    }))

  it("prices tokens per million, input and output apart, by model or its longest prefix", () => {
    const pricing = { "gpt-4o": { input: 2.5, output: 10 }, "gpt-4o-mini": { input: 0.15, output: 0.6 } }
    const cost = (model: string | undefined) =>
      JudgePolicy.costOf({ inputTokens: 1_000_000, outputTokens: 2_000_000 }, pricing, model)
    assert.closeTo(cost("gpt-4o-mini")!, 1.35, 1e-12)
    assert.closeTo(cost("gpt-4o-mini-2024-07-18")!, 1.35, 1e-12)
    assert.closeTo(cost("gpt-4o-2024-08-06")!, 22.5, 1e-12)
    assert.strictEqual(cost("claude-3-5-haiku"), undefined)
    assert.strictEqual(cost(undefined), undefined)
    assert.closeTo(JudgePolicy.costOf({ inputTokens: 1234, outputTokens: 56 }, pricing, "gpt-4o")!, 0.003645, 1e-12)
  })

  it.effect("rejects bad options with InvalidInput naming the option", () =>
    Effect.gen(function*() {
      const pathOf = (options: JudgePolicy.Options) =>
        Effect.map(Effect.flip(JudgePolicy.make(options)), (error) => error.path)
      assert.strictEqual(yield* pathOf({ concurrency: 0 }), "JudgePolicy.concurrency")
      assert.strictEqual(yield* pathOf({ maxCost: -1 }), "JudgePolicy.maxCost")
      assert.strictEqual(yield* pathOf({ pricing: { m: { input: 1, output: Number.NaN } } }), "JudgePolicy.pricing.m.output")
      assert.strictEqual(yield* pathOf({ retry: { times: 1.5 } }), "JudgePolicy.retry.times")
    }))
})
