import { assert, describe, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import * as Dataset from "../src/Dataset.js"
import * as Experiment from "../src/Experiment.js"
import * as Prompt from "../src/Prompt.js"
import * as Records from "../src/Records.js"

const protoKeyed = (value: unknown): Record<string, unknown> => JSON.parse(`{"a":1,"__proto__":${JSON.stringify(value)}}`)

describe("Records", () => {
  it("keeps a __proto__ key as data, whatever its value, where Schema.Record loses it", () => {
    for (const value of [{ polluted: true }, [1, 2], 0.5, "text", null]) {
      const input = protoKeyed(value)
      const decoded = Schema.decodeUnknownSync(Records.Unknown)(input)
      assert.deepStrictEqual(Object.keys(decoded), ["a", "__proto__"])
      assert.deepStrictEqual(Object.getOwnPropertyDescriptor(decoded, "__proto__")?.value, value)
      assert.strictEqual(Object.getPrototypeOf(decoded), Object.prototype)
      assert.strictEqual(JSON.stringify(decoded), JSON.stringify(input))
      // What the library's record would have done: the reason for this module.
      const lossy = Schema.decodeUnknownSync(Schema.Record({ key: Schema.String, value: Schema.Unknown }))(input)
      assert.notStrictEqual(JSON.stringify(lossy), JSON.stringify(input))
    }
  })

  it("decodes and encodes every value, and names the key of a bad one", () => {
    const Numbers = Records.of(Schema.NumberFromString)
    assert.strictEqual(JSON.stringify(Schema.decodeUnknownSync(Numbers)(JSON.parse('{"x":"1","__proto__":"2"}'))), '{"x":1,"__proto__":2}')
    assert.deepStrictEqual(Schema.encodeSync(Numbers)({ x: 1 }), { x: "1" })
    const bad = Schema.decodeUnknownEither(Numbers, { errors: "all" })({ x: "1", y: "no", z: "nope" })
    assert.isTrue(Either.isLeft(bad))
    const message = Either.isLeft(bad) ? bad.left.message : ""
    assert.include(message, `["y"]`)
    assert.include(message, `["z"]`)
    const first = Schema.decodeUnknownEither(Numbers)({ y: "no", z: "nope" })
    assert.isTrue(Either.isLeft(first) && first.left.message.includes(`["y"]`) && !first.left.message.includes(`["z"]`))
  })

  it("refuses what is not an object", () => {
    for (const input of [null, [], "x", 1, undefined]) {
      assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Records.Unknown)(input)), String(input))
    }
  })

  it("serves the model: metadata, model parameters and scores keep a __proto__ key", () => {
    const record = Schema.decodeUnknownSync(Dataset.DatasetRecordInput)({ input: "q", metadata: protoKeyed({ x: 1 }) })
    assert.deepStrictEqual(JSON.stringify(record.metadata), JSON.stringify(protoKeyed({ x: 1 })))
    const params = Schema.decodeUnknownSync(Prompt.ModelParams)({ extra: protoKeyed([]) })
    assert.deepStrictEqual(JSON.stringify(params.extra), JSON.stringify(protoKeyed([])))
    const scores = Schema.decodeUnknownSync(Experiment.Scores)(JSON.parse('{"__proto__":0.5}'))
    assert.deepStrictEqual(Object.entries(scores), [["__proto__", 0.5]])
  })

  it("set defines __proto__ as an own key", () => {
    const target: Record<string, unknown> = {}
    Records.set(target, "__proto__", { polluted: true })
    Records.set(target, "b", 2)
    assert.deepStrictEqual(Object.keys(target), ["__proto__", "b"])
    assert.strictEqual(Object.getPrototypeOf(target), Object.prototype)
    assert.isUndefined((target as { polluted?: unknown }).polluted)
  })
})
