import { assert, describe, it } from "@effect/vitest"
import * as Eval from "@promptops/core/Eval"
import { Either, FastCheck as fc } from "effect"
import * as DatasetFile from "../src/DatasetFile.js"

const ok = <A, E>(either: Either.Either<A, E>): A => {
  if (Either.isLeft(either)) return assert.fail(`expected success, got ${String((either.left as Error).message)}`)
  return either.right
}
const error = <A>(either: Either.Either<A, { readonly _tag: string; readonly path: string; readonly description: string }>) => {
  if (Either.isRight(either)) return assert.fail("expected a DecodeError")
  assert.strictEqual(either.left._tag, "DecodeError")
  return either.left
}

describe("DatasetFile JSONL", () => {
  it("parses records; missing ids are Eval's derived case ids, repeats get -2", () => {
    const text = [
      "{\"id\":\"r1\",\"input\":{\"q\":\"one\"},\"expected\":\"1\",\"metadata\":{\"level\":2},\"tags\":[\"smoke\"]}",
      "",
      "{\"input\":\"two\"}\r",
      "{\"input\":\"two\",\"expected\":null}",
      "   "
    ].join("\n")
    const records = ok(DatasetFile.parseJsonl(text, "d.jsonl"))
    assert.deepStrictEqual(records, [
      { id: "r1", input: { q: "one" }, expected: "1", metadata: { level: 2 }, tags: ["smoke"] },
      { id: Eval.caseId("two"), input: "two" },
      { id: `${Eval.caseId("two")}-2`, input: "two", expected: null }
    ])
  })

  it("a bad line fails naming the file and line", () => {
    const bad = (text: string) => error(DatasetFile.parseJsonl(text, "data/qa.jsonl"))
    const syntax = bad("{\"input\":1}\n{\"input\": }")
    assert.strictEqual(syntax.path, "data/qa.jsonl:2")
    assert.include(syntax.description, "not valid JSON")
    assert.strictEqual(bad("{\"input\":1}\n\n[1,2]").path, "data/qa.jsonl:3")
    assert.include(bad("{\"expected\":1}").description, "no \"input\"")
    const unknown = bad("{\"input\":1,\"expect\":2}")
    assert.strictEqual(unknown.path, "data/qa.jsonl:1")
    assert.include(unknown.description, "expect")
    assert.include(bad("{\"input\":1,\"tags\":\"x\"}").description, "tags")
    const twice = bad("{\"id\":\"a\",\"input\":1}\n{\"id\":\"a\",\"input\":2}")
    assert.strictEqual(twice.path, "data/qa.jsonl:2")
    assert.include(twice.description, "line 1")
  })
})

describe("DatasetFile CSV rows (RFC 4180)", () => {
  it("quoted fields with commas, quotes and newlines; CRLF; BOM; blank lines skipped", () => {
    const text = "\uFEFFa,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"line 1\nline 2\"\r\n\r\nplain,,\"\"\n"
    assert.deepStrictEqual(ok(DatasetFile.parseCsvRows(text, "f.csv")), [
      { line: 1, cells: ["a", "b", "c"] },
      { line: 2, cells: ["x, y", "say \"hi\"", "line 1\nline 2"] },
      { line: 5, cells: ["plain", "", ""] }
    ])
  })

  it("no trailing newline; a quote inside an unquoted field is kept", () => {
    assert.deepStrictEqual(ok(DatasetFile.parseCsvRows("a,b\n5\" screen,x", "f.csv")), [
      { line: 1, cells: ["a", "b"] },
      { line: 2, cells: ["5\" screen", "x"] }
    ])
  })

  it("an unclosed quote, or text after a closing quote, names the line", () => {
    const unclosed = error(DatasetFile.parseCsvRows("a\n\"ok\"\n\"never\nclosed", "f.csv"))
    assert.strictEqual(unclosed.path, "f.csv:3")
    const after = error(DatasetFile.parseCsvRows("a,b\n\"x\"y,z", "f.csv"))
    assert.strictEqual(after.path, "f.csv:2")
  })

  it("round-trips any table written with quoting", () => {
    const cell = fc.string({ unit: "grapheme", maxLength: 12 })
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }).chain((width) =>
        fc.array(fc.array(cell, { minLength: width, maxLength: width }), { minLength: 1, maxLength: 6 })
          .filter((rows) => rows.every((row) => row.some((value) => value !== "") || width > 1))
      ), (rows) => {
        const quote = (value: string) => `"${value.replace(/"/g, "\"\"")}"`
        const text = rows.map((row) => row.map(quote).join(",")).join("\r\n")
        assert.deepStrictEqual(ok(DatasetFile.parseCsvRows(text, "f.csv")).map((row) => row.cells), rows)
      })
    )
  })
})

describe("DatasetFile CSV records", () => {
  it("with an input column: JSON cells are JSON, others text; extra columns go to metadata", () => {
    const text = [
      "id,input,expected,metadata,tags,source",
      "007,\"{\"\"q\"\":\"\"hi\"\"}\",42,\"{\"\"level\"\":1}\",\"smoke, fast\",faq",
      "008,plain question,,,\"[\"\"a\"\"]\",",
      ",\"\",\"\"\"quoted\"\"\",,,x"
    ].join("\n")
    assert.deepStrictEqual(ok(DatasetFile.parseCsv(text, "d.csv")), [
      {
        id: "007",
        input: { q: "hi" },
        expected: 42,
        metadata: { source: "faq", level: 1 },
        tags: ["smoke", "fast"]
      },
      { id: "008", input: "plain question", metadata: { source: "" }, tags: ["a"] },
      { id: Eval.caseId(""), input: "", expected: "quoted", metadata: { source: "x" } }
    ])
  })

  it("without an input column the other columns are the input object", () => {
    const text = "question,context,expected\nWhat is 2+2?,\"math, easy\",4\n\"multi\nline\",,\n"
    assert.deepStrictEqual(ok(DatasetFile.parseCsv(text, "d.csv")), [
      { id: Eval.caseId({ question: "What is 2+2?", context: "math, easy" }), input: { question: "What is 2+2?", context: "math, easy" }, expected: 4 },
      { id: Eval.caseId({ question: "multi\nline", context: "" }), input: { question: "multi\nline", context: "" } }
    ])
  })

  it("a column or metadata key named __proto__ is data like any other", () => {
    const [csv] = ok(DatasetFile.parseCsv("input,__proto__\nq,\"{\"\"x\"\":1}\"\n", "d.csv"))
    assert.strictEqual(JSON.stringify(csv!.metadata), '{"__proto__":{"x":1}}')
    assert.strictEqual(Object.getPrototypeOf(csv!.metadata), Object.prototype)
    const [asInput] = ok(DatasetFile.parseCsv("__proto__,other\n[1],2\n", "d.csv"))
    assert.strictEqual(JSON.stringify(asInput!.input), '{"__proto__":[1],"other":2}')
    const [jsonl] = ok(DatasetFile.parseJsonl('{"input":"q","metadata":{"__proto__":{"x":1},"k":2}}\n', "d.jsonl"))
    assert.strictEqual(JSON.stringify(jsonl!.metadata), '{"__proto__":{"x":1},"k":2}')
  })

  it("bad rows name the file and the line the record starts on", () => {
    const bad = (text: string) => error(DatasetFile.parseCsv(text, "qa.csv"))
    const count = bad("input,expected\n\"two\nlines\",x\nonly-one")
    assert.strictEqual(count.path, "qa.csv:4")
    assert.include(count.description, "has 1 fields, the header has 2")
    assert.strictEqual(bad("input,metadata\nx,[1]").path, "qa.csv:2")
    assert.include(bad("input,metadata\nx,[1]").description, "metadata")
    assert.include(bad("input,tags\nx,5").description, "tags")
    assert.include(bad("input,input\nx,y").description, "twice")
    assert.include(bad("input,\nx,y").description, "no name")
    assert.strictEqual(bad("id,input\na,1\na,2").path, "qa.csv:3")
  })

  it("an empty file or a header only has no records", () => {
    assert.deepStrictEqual(ok(DatasetFile.parseCsv("", "e.csv")), [])
    assert.deepStrictEqual(ok(DatasetFile.parseCsv("input,expected\n", "e.csv")), [])
  })

  it("file names: dataset name and format, and which names can be files", () => {
    assert.deepStrictEqual(DatasetFile.nameOf("qa.v2.jsonl").pipe((o) => o._tag === "Some" ? o.value : undefined), {
      name: "qa.v2",
      format: "jsonl"
    })
    assert.strictEqual(DatasetFile.nameOf("notes.txt")._tag, "None")
    assert.strictEqual(DatasetFile.nameOf(".csv")._tag, "None")
    assert.isFalse(DatasetFile.isFileName("../etc"))
    assert.isFalse(DatasetFile.isFileName("a/b"))
    assert.deepStrictEqual(DatasetFile.candidates("/d", "../x"), [])
  })
})
