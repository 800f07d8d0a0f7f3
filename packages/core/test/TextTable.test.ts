import { assert, describe, it } from "@effect/vitest"
import * as TextTable from "../src/TextTable.js"

describe("TextTable", () => {
  it("pads every column to its widest cell, two spaces apart; right-aligned columns pad on the left", () => {
    const rows = [["", "mean", "diff"], ["accuracy", "0.75", "+0.10"], ["latency", "1.2s", ""]]
    assert.deepStrictEqual(TextTable.lines(rows, { align: ["left", "right", "right"] }), [
      "          mean   diff",
      "accuracy  0.75  +0.10",
      "latency   1.2s       "
    ])
  })

  it("indent and trimEnd: no trailing spaces, short rows get empty cells", () => {
    const rows = [["PROMPTOPS_PROVIDER", "which backend"], ["X", "short"], ["only"]]
    assert.strictEqual(
      TextTable.render(rows, { indent: "  ", trimEnd: true }),
      "  PROMPTOPS_PROVIDER  which backend\n  X                   short\n  only"
    )
    assert.deepStrictEqual(TextTable.lines([]), [])
  })
})
