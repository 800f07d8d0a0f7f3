/**
 * Hostile span data on both vendors: circular objects, BigInt, a 10 MB
 * string, lone surrogates, functions, symbols, a getter that throws, and a
 * span failing with a circular error. The app's effects run exactly as they
 * would without tracing (nothing thrown into them, no defect), and what each
 * emulator stored is bounded, well-formed and marked as truncated.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Trace from "@promptops/core/Trace"
import * as Tracing from "@promptops/core/Tracing"
import { Effect, Exit } from "effect"
import { captureLogs, keyLeaksInRequests, vendors, withBackend } from "./harness.js"

/** Default bounds of the tracer: strings of 65,536 code units, 1 MiB of data per span. */
const MAX_STRING = 65_536
const MAX_RECORD_BYTES = 1024 * 1024

const circular: Record<string, unknown> = { name: "loop" }
circular["self"] = circular
circular["list"] = [circular, { back: circular }]

const huge = "x".repeat(10 * 1024 * 1024)
const lone = "a\uD800b\uDC00c"
const throwingGetter = {
  get boom(): string {
    throw new Error("getter exploded")
  }
}

/** One span per hostile value; the span name says which. */
const hostile: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
  ["circular", Trace.annotate({ input: circular, output: { again: circular } })],
  ["bigint", Trace.annotate({ output: 2n ** 100n, metadata: { big: 12345678901234567890n } })],
  ["10 MB string", Trace.annotate({ input: huge, metadata: { also: huge } })],
  ["lone surrogates \uD800", Effect.annotateCurrentSpan("note", lone)],
  ["functions", Trace.annotate({ metadata: { arrow: () => 1, named: function named() {} } })],
  ["symbols", Effect.zipRight(Effect.annotateCurrentSpan("sym", Symbol("secret")), Trace.annotate({ output: Symbol.iterator }))],
  ["throwing getter", Trace.annotate({ input: throwingGetter })],
  ["circular error", Effect.fail(circular)]
]

/** The name the tracer stores: lone surrogates become U+FFFD. */
const storedName = (name: string) => `hostile ${name.replace(/[\uD800-\uDFFF]/g, "\uFFFD")}`

for (const vendor of vendors) {
  describe(`${vendor.name}: hostile span data`, () => {
    it.live("never reaches the caller; what is stored is bounded, well-formed and marked truncated", () =>
      Effect.gen(function*() {
        const handle = yield* vendor.start()
        const logs = captureLogs()
        const exits = yield* withBackend(
          vendor,
          handle,
          Effect.gen(function*() {
            const exits = yield* Effect.forEach(hostile, ([name, effect]) =>
              Effect.exit(effect.pipe(Effect.as(name), Trace.task(`hostile ${name}`))))
            yield* Tracing.flush
            return exits
          }),
          { logs }
        )
        // The app saw its own outcomes: every value, and the one failure it raised itself.
        hostile.forEach(([name], i) => {
          const exit = exits[i]!
          if (name === "circular error") assert.deepStrictEqual(exit, Exit.fail(circular))
          else assert.deepStrictEqual(exit, Exit.succeed(name))
        })

        const stored = vendor.spans(handle)
        for (const [name] of hostile) {
          const copies = stored.filter((span) => span.name === storedName(name))
          assert.strictEqual(copies.length, 1, `span "${name}" stored ${copies.length} times`)
          const span = copies[0]!
          assert.isTrue(span.truncated, `span "${name}" is not marked truncated`)
          // Bounded: well under the 10 MB that went in.
          assert.isBelow(Buffer.byteLength(span.json), MAX_RECORD_BYTES + 64 * 1024, `span "${name}"`)
          // Well-formed: no lone surrogate survives anywhere in it.
          assert.isTrue((span.json as unknown as { isWellFormed(): boolean }).isWellFormed())
          assert.notMatch(span.json, /\\ud[89a-f][0-9a-f]{2}/i)
        }
        const big = JSON.parse(stored.find((span) => span.name === storedName("10 MB string"))!.json)
        const input = JSON.stringify(big["input"])
        assert.isBelow(input.length, MAX_STRING + 100)
        assert.match(input, /…\[truncated \d+ chars\]/)
        const note = stored.find((span) => span.name === storedName("lone surrogates \uD800"))!.json
        assert.include(note, "a\uFFFDb\uFFFDc")
        assert.include(stored.find((span) => span.name === storedName("circular"))!.json, "[Circular]")
        assert.include(stored.find((span) => span.name === storedName("circular error"))!.json, "[Circular]")

        // The vendor accepted every request as valid, and nothing leaked.
        assert.deepStrictEqual(handle.violations, [])
        assert.deepStrictEqual(handle.rejections, [])
        assert.deepStrictEqual(keyLeaksInRequests(handle.requests), [])
      }).pipe(Effect.scoped), 60_000)
  })
}
