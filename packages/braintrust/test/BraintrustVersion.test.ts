import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, FastCheck } from "effect"
import * as BraintrustVersion from "../src/BraintrustVersion.js"

// The vector of the OpenAPI file (`PromptVersion`): the same version in both forms.
const XACT = "1000192656880881099"
const PRETTY = "81cd05ee665fdfb3"

describe("BraintrustVersion", () => {
  it("converts the OpenAPI vector both ways", () => {
    assert.strictEqual(BraintrustVersion.toPretty(BigInt(XACT)), PRETTY)
    assert.strictEqual(BraintrustVersion.fromPretty(PRETTY).toString(), XACT)
    assert.strictEqual(BraintrustVersion.fromPretty(PRETTY.toUpperCase()).toString(), XACT)
  })

  it("keeps precision a JS number would lose", () => {
    // Both are the same double; only exact integer arithmetic tells them apart.
    assert.strictEqual(Number("1000192656880881099"), Number("1000192656880881100"))
    const a = BraintrustVersion.toPretty(1000192656880881099n)
    const b = BraintrustVersion.toPretty(1000192656880881100n)
    assert.notStrictEqual(a, b)
    assert.strictEqual(BraintrustVersion.compare("1000192656880881100", "1000192656880881099"), 1)
    assert.strictEqual(BraintrustVersion.compare(PRETTY, XACT), 0)
    assert.strictEqual(BraintrustVersion.compare("garbage", XACT), -1)
  })

  it.prop(
    "transaction id → pretty → transaction id is the identity over valid ids",
    [FastCheck.bigInt({ min: BraintrustVersion.MIN_TRANSACTION_ID, max: BraintrustVersion.MAX_TRANSACTION_ID })],
    ([xact]) => {
      const pretty = BraintrustVersion.toPretty(xact)
      assert.match(pretty, /^[0-9a-f]{16}$/)
      assert.strictEqual(BraintrustVersion.fromPretty(pretty), xact)
      // Either form parses to the same transaction id.
      assert.deepStrictEqual(BraintrustVersion.parse(pretty), Either.right(xact))
      assert.deepStrictEqual(BraintrustVersion.parse(xact.toString()), Either.right(xact))
    }
  )

  it.prop(
    "pretty → transaction id → pretty is the identity over the ids real transactions have",
    [FastCheck.bigInt({ min: BraintrustVersion.MIN_TRANSACTION_ID, max: BraintrustVersion.MAX_TRANSACTION_ID })],
    ([xact]) => {
      const pretty = BraintrustVersion.toPretty(xact)
      assert.strictEqual(BraintrustVersion.toPretty(BraintrustVersion.fromPretty(pretty)), pretty)
    }
  )

  it("rejects what is neither form", () => {
    for (const bad of ["", "abc", "81cd05ee665fdfb", "81cd05ee665fdfb3a", "-1", "1.5", "18446744073709551616", "0x10"]) {
      assert.isTrue(Either.isLeft(BraintrustVersion.parse(bad)), bad)
    }
    assert.isTrue(Either.isRight(BraintrustVersion.parse("18446744073709551615")))
  })

  it.effect("toTransactionId normalises either form and fails with InvalidInput naming the path", () =>
    Effect.gen(function*() {
      const where = { operation: "Test.op", path: "query.version" }
      assert.strictEqual(yield* BraintrustVersion.toTransactionId(PRETTY, where), XACT)
      assert.strictEqual(yield* BraintrustVersion.toTransactionId(XACT, where), XACT)
      const error = yield* Effect.flip(BraintrustVersion.toTransactionId("v2", where))
      assert.strictEqual(error._tag, "InvalidInput")
      assert.strictEqual(error.path, "query.version")
      assert.strictEqual(error.provider, "braintrust")
    }))
})
