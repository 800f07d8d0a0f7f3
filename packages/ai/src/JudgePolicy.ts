/**
 * One policy for every LLM judge of a run: at most `concurrency` judge calls
 * at once, retries on 429 / 408 / 5xx / transport failures with exponential
 * backoff that honours `Retry-After`, and a ceiling on the judges' tokens and
 * cost. Past the ceiling, every further judge call fails at once with
 * `JudgeBudgetExceeded`, which the eval records as a scorer error (so the
 * summary's `scorerErrors` counts the refused calls).
 *
 * Provide it through `Eval.run`'s `layer` option, which is built once per
 * run, so the limits are the run's:
 *
 * ```ts
 * Eval.run({ …, layer: Layer.merge(model, JudgePolicy.layer({ maxCost: 0.5, pricing })) })
 * ```
 *
 * Without a `JudgePolicy` in context, judges run unlimited: no permit, no
 * ceiling, and no retries beyond the provider client's own.
 *
 * @since 0.1.0
 */
import { InvalidInput } from "@promptops/core/PromptOpsError"
import { Context, Duration, Effect, Layer, Schema } from "effect"
import * as Policy from "./internal/judges/policy.js"

/**
 * USD per million tokens, for input (prompt) and output (completion) tokens.
 *
 * @since 0.1.0
 */
export interface Price {
  readonly input: number
  readonly output: number
}

/**
 * @since 0.1.0
 */
export interface Options {
  /** Judge calls in flight at once (default 4). */
  readonly concurrency?: number | undefined
  /** Ceiling on the judges' cost in USD, priced with `pricing`. */
  readonly maxCost?: number | undefined
  /** Ceiling on the judges' tokens (input and output). */
  readonly maxTokens?: number | undefined
  /**
   * Prices by model name. A model is priced by its own entry, else by the
   * longest key it starts with (`gpt-4o-mini` prices `gpt-4o-mini-2024-07-18`).
   * A call whose model has no price costs nothing towards `maxCost`; its
   * tokens still count towards `maxTokens`.
   */
  readonly pricing?: Readonly<Record<string, Price>> | undefined
  /**
   * Retries of a failed call after the first attempt (`times`, default 4),
   * the first backoff delay (`base`, default 1 s; each next one doubles) and
   * the longest wait, `Retry-After` included (`maxDelay`, default 60 s).
   */
  readonly retry?: {
    readonly times?: number | undefined
    readonly base?: Duration.DurationInput | undefined
    readonly maxDelay?: Duration.DurationInput | undefined
  } | undefined
}

/**
 * What the run's judges have spent so far, and how many calls the ceiling
 * refused.
 *
 * @since 0.1.0
 */
export interface Spent {
  /** Judge calls that completed and were counted. */
  readonly calls: number
  readonly tokens: number
  /** USD, from `pricing`. */
  readonly cost: number
  readonly refused: number
}

/**
 * The run's judges reached their ceiling: this call was refused without
 * being made.
 *
 * @since 0.1.0
 */
export class JudgeBudgetExceeded extends Schema.TaggedError<JudgeBudgetExceeded>(
  "@promptops/ai/JudgePolicy/JudgeBudgetExceeded"
)("JudgeBudgetExceeded", {
  maxCost: Schema.optional(Schema.Number),
  maxTokens: Schema.optional(Schema.Number),
  spentCost: Schema.Number,
  spentTokens: Schema.Number,
  /** Calls refused so far in this run, this one included. */
  refused: Schema.Number
}) {
  /** @since 0.1.0 */
  override get message(): string {
    const ceilings: Array<string> = []
    if (this.maxCost !== undefined) ceilings.push(`$${this.maxCost.toFixed(4)}`)
    if (this.maxTokens !== undefined) ceilings.push(`${this.maxTokens} tokens`)
    const calls = this.refused === 1 ? "1 judge call" : `${this.refused} judge calls`
    return `judge budget exceeded: the run's judges spent $${this.spentCost.toFixed(4)} and ${this.spentTokens} tokens, ` +
      `reaching the ceiling of ${ceilings.join(" or ")}; ${calls} refused so far`
  }
}

/**
 * The settings a policy runs with, defaults filled in.
 *
 * @since 0.1.0
 */
export interface ResolvedOptions {
  readonly concurrency: number
  readonly maxCost: number | undefined
  readonly maxTokens: number | undefined
  readonly pricing: Readonly<Record<string, Price>>
  readonly retryTimes: number
  readonly retryBase: Duration.Duration
  readonly maxDelay: Duration.Duration
}

/**
 * The usage a judge call reports, in `@effect/ai`'s names (its
 * `Response.Usage`).
 *
 * @since 0.1.0
 */
export interface CallUsage {
  readonly inputTokens: number | undefined
  readonly outputTokens: number | undefined
  readonly totalTokens: number | undefined
}

/**
 * A judge call's result with what it was charged.
 *
 * @since 0.1.0
 */
export interface Charged<A> {
  readonly value: A
  readonly tokens: number
  /** USD; `undefined` when the model has no price. */
  readonly cost: number | undefined
  /** The model the call was priced as. */
  readonly model: string | undefined
}

/**
 * @since 0.1.0
 */
export declare namespace JudgePolicy {
  /**
   * @since 0.1.0
   */
  export interface Service {
    readonly options: ResolvedOptions
    /**
     * Runs one judge call under the policy: refused at once past the
     * ceiling, else inside a permit with retries, then charged from the
     * usage `account` reads off its result.
     */
    readonly call: <A, E, R>(
      call: Effect.Effect<A, E, R>,
      account: (value: A) => {
        readonly usage: CallUsage
        readonly model: string | undefined
      }
    ) => Effect.Effect<Charged<A>, E | JudgeBudgetExceeded, R>
    readonly spent: Effect.Effect<Spent>
  }
}

/**
 * @since 0.1.0
 */
export class JudgePolicy extends Context.Tag("@promptops/ai/JudgePolicy")<JudgePolicy, JudgePolicy.Service>() {}

const invalid = (path: string, description: string): InvalidInput =>
  new InvalidInput({ provider: "promptops", operation: "JudgePolicy.make", description, path: `JudgePolicy.${path}` })

const resolve = (options: Options): Effect.Effect<ResolvedOptions, InvalidInput> =>
  Effect.gen(function*() {
    const concurrency = options.concurrency ?? 4
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      return yield* invalid("concurrency", `concurrency must be a whole number ≥ 1, got ${concurrency}`)
    }
    for (const key of ["maxCost", "maxTokens"] as const) {
      const value = options[key]
      if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
        return yield* invalid(key, `${key} must be a finite number ≥ 0, got ${value}`)
      }
    }
    const pricing = options.pricing ?? {}
    for (const [model, price] of Object.entries(pricing)) {
      for (const side of ["input", "output"] as const) {
        const value = price?.[side]
        if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
          return yield* invalid(
            `pricing.${model}.${side}`,
            `the ${side} price of ${model} must be USD per million tokens (a finite number ≥ 0), got ${String(value)}`
          )
        }
      }
    }
    const times = options.retry?.times ?? 4
    if (!Number.isInteger(times) || times < 0) {
      return yield* invalid("retry.times", `retry.times must be a whole number ≥ 0, got ${times}`)
    }
    return {
      concurrency,
      maxCost: options.maxCost,
      maxTokens: options.maxTokens,
      pricing,
      retryTimes: times,
      retryBase: Duration.decode(options.retry?.base ?? Duration.seconds(1)),
      maxDelay: Duration.decode(options.retry?.maxDelay ?? Duration.seconds(60))
    }
  })

/**
 * Builds a policy: one semaphore and one tally, for the calls that share it.
 *
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<JudgePolicy.Service, InvalidInput> =>
  Effect.gen(function*() {
    const resolved = yield* resolve(options)
    const semaphore = yield* Effect.makeSemaphore(resolved.concurrency)
    // Mutated only inside `Effect.sync`, on one thread: no Ref needed.
    const spent = { calls: 0, tokens: 0, cost: 0, refused: 0 }
    const exceeded = (): boolean =>
      (resolved.maxCost !== undefined && spent.cost >= resolved.maxCost) ||
      (resolved.maxTokens !== undefined && spent.tokens >= resolved.maxTokens)
    const refuse = Effect.suspend(() => {
      spent.refused++
      return Effect.fail(
        new JudgeBudgetExceeded({
          ...(resolved.maxCost !== undefined ? { maxCost: resolved.maxCost } : {}),
          ...(resolved.maxTokens !== undefined ? { maxTokens: resolved.maxTokens } : {}),
          spentCost: spent.cost,
          spentTokens: spent.tokens,
          refused: spent.refused
        })
      )
    })
    const call = <A, E, R>(
      effect: Effect.Effect<A, E, R>,
      account: (value: A) => { readonly usage: CallUsage; readonly model: string | undefined }
    ): Effect.Effect<Charged<A>, E | JudgeBudgetExceeded, R> => {
      const charged = Effect.map(Policy.withRetry(effect, resolved), (value): Charged<A> => {
        const { model, usage } = account(value)
        const tokens = Policy.tokensOf(usage)
        const cost = Policy.costOf(usage, Policy.priceOf(resolved.pricing, model))
        spent.calls++
        spent.tokens += tokens
        if (cost !== undefined) spent.cost += cost
        return { value, tokens, cost, model }
      })
      // Checked before waiting for a permit (fail fast) and again after,
      // since the calls that held the permits may have spent the rest.
      const guarded = Effect.suspend((): Effect.Effect<Charged<A>, E | JudgeBudgetExceeded, R> =>
        exceeded() ? refuse : charged
      )
      return Effect.suspend((): Effect.Effect<Charged<A>, E | JudgeBudgetExceeded, R> =>
        exceeded() ? refuse : semaphore.withPermits(1)(guarded)
      )
    }
    return {
      options: resolved,
      call,
      spent: Effect.sync((): Spent => ({ ...spent }))
    }
  })

/**
 * The policy as a layer: provide it through `Eval.run`'s `layer` option so
 * each run gets its own.
 *
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<JudgePolicy, InvalidInput> =>
  Layer.effect(JudgePolicy, make(options))

/**
 * What the run's judges have spent so far.
 *
 * @since 0.1.0
 */
export const spent: Effect.Effect<Spent, never, JudgePolicy> = Effect.flatMap(JudgePolicy, (policy) => policy.spent)

/**
 * The USD price of a call's tokens: `tokens / 1e6 × price`, input and output
 * apart; `undefined` without a price for `model` (looked up as `Options.pricing`
 * says).
 *
 * @since 0.1.0
 */
export const costOf = (
  usage: { readonly inputTokens?: number | undefined; readonly outputTokens?: number | undefined },
  pricing: Readonly<Record<string, Price>>,
  model: string | undefined
): number | undefined =>
  Policy.costOf(
    { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, totalTokens: undefined },
    Policy.priceOf(pricing, model)
  )
