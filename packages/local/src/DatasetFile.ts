/**
 * Datasets as files: `<datasetsDir>/<name>.jsonl` or `<name>.csv`, parsed
 * whole (a bad line fails the read before any case runs) into
 * `DatasetRecord`s.
 *
 * **JSONL**: one JSON object per line, `{ "id"?, "input", "expected"?,
 * "metadata"?, "tags"? }`. Blank lines are skipped; any other key is an error
 * (a misspelt `expect` is never silently dropped).
 *
 * **CSV** (RFC 4180): a header row, then one record per row; fields may be
 * quoted (`"a, b"`, `"say ""hi"""`, newlines inside quotes); `\n` or `\r\n`;
 * a leading BOM is ignored; blank lines are skipped. Columns:
 * - `id`: the record id, as text (never parsed: `007` stays `"007"`).
 * - `input`, `expected`: a cell that parses as JSON is that JSON value
 *   (`42`, `true`, `{"a":1}`, `"quoted"`), otherwise the text itself.
 *   An empty `expected` is absent; an empty `input` is `""`.
 * - `metadata`: a JSON object (empty: absent).
 * - `tags`: a JSON array of strings, or text split on commas (`a, b` →
 *   `["a","b"]`) (empty: absent).
 * - Any other column: when there is **no `input` column**, the other columns
 *   together are the input, an object `{ column: value }` (values parsed as
 *   above, empty cells `""`). When there **is** an `input` column, the other
 *   columns go into `metadata` (the `metadata` column's keys win).
 *
 * A record without an id gets the id `Eval.run` would derive from its input
 * (`Eval.caseId`, with `-2`, `-3`, … for repeated inputs), so results match
 * across runs and baselines. Every error is a `DecodeError` whose `path` is
 * `<file>:<line>` (the line the record starts on).
 *
 * @since 0.1.0
 */
import * as Path from "node:path"
import type { DatasetRecord } from "@promptops/core/Dataset"
import { DatasetRecordInput } from "@promptops/core/Dataset"
import * as Json from "@promptops/core/Json"
import * as Records from "@promptops/core/Records"
import type { DecodeError, PromptOpsError } from "@promptops/core/PromptOpsError"
import { Effect, Either, Option, ParseResult, Schema } from "effect"
import { decodeError } from "./internal/errors.js"
import * as Files from "./internal/files.js"
import { formatPath } from "./PromptFile.js"

/**
 * The formats, by file extension.
 *
 * @since 0.1.0
 */
export type Format = "jsonl" | "csv"

/**
 * @since 0.1.0
 */
export const extensions: Readonly<Record<Format, string>> = { jsonl: ".jsonl", csv: ".csv" }

const OPERATION = "Datasets.records"

/**
 * The dataset name and format of a file name, if it is a dataset file.
 *
 * @since 0.1.0
 */
export const nameOf = (fileName: string): Option.Option<{ readonly name: string; readonly format: Format }> => {
  if (fileName.startsWith(".")) return Option.none()
  for (const format of ["jsonl", "csv"] as const) {
    const extension = extensions[format]
    if (fileName.endsWith(extension) && fileName.length > extension.length) {
      return Option.some({ name: fileName.slice(0, -extension.length), format })
    }
  }
  return Option.none()
}

/**
 * Whether `name` can be a file name in the datasets directory (no separators,
 * not `.` or `..`, no leading dot): other names live in the store only.
 *
 * @since 0.1.0
 */
export const isFileName = (name: string): boolean =>
  name.length > 0 && !name.startsWith(".") && !/[/\\\0]/.test(name)

/**
 * The candidate files of a dataset name, in lookup order.
 *
 * @since 0.1.0
 */
export const candidates = (
  dir: string,
  name: string
): ReadonlyArray<{ readonly path: string; readonly format: Format }> =>
  isFileName(name)
    ? (["jsonl", "csv"] as const).map((format) => ({ path: Path.join(dir, `${name}${extensions[format]}`), format }))
    : []

// -----------------------------------------------------------------------------
// Ids
// -----------------------------------------------------------------------------

/** Fills missing ids as `Eval.run` derives them, and refuses a repeated explicit id. */
const assignIds = (
  path: string,
  rows: ReadonlyArray<{ readonly line: number; readonly record: DatasetRecordInput }>
): Either.Either<ReadonlyArray<DatasetRecord>, DecodeError> => {
  const explicit = new Map<string, number>()
  for (const { line, record } of rows) {
    if (record.id === undefined) continue
    const previous = explicit.get(record.id)
    if (previous !== undefined) {
      return Either.left(
        decodeError(OPERATION, `${path}:${line}`, `${path}:${line}: id "${record.id}" is already used on line ${previous}`)
      )
    }
    explicit.set(record.id, line)
  }
  // `Eval.caseId` is `Json.contentId`, and `Eval.run` counts repeats with `Json.repeatCounter`: the same ids,
  // without loading the eval runner.
  const nextId = Json.repeatCounter()
  const records: Array<DatasetRecord> = []
  for (const { record } of rows) {
    records.push({ ...record, id: record.id ?? nextId(Json.contentId(record.input)) })
  }
  return Either.right(records)
}

// -----------------------------------------------------------------------------
// JSONL
// -----------------------------------------------------------------------------

const decodeLine = Schema.decodeUnknownEither(DatasetRecordInput, { onExcessProperty: "error", errors: "first" })

/**
 * Parses JSONL text; `path` names the file in errors.
 *
 * @since 0.1.0
 */
export const parseJsonl = (text: string, path: string): Either.Either<ReadonlyArray<DatasetRecord>, DecodeError> => {
  const rows: Array<{ readonly line: number; readonly record: DatasetRecordInput }> = []
  const lines = text.split("\n")
  for (let index = 0; index < lines.length; index++) {
    const content = lines[index]!.replace(/\r$/, "").replace(/^\uFEFF/, "")
    if (content.trim() === "") continue
    const line = index + 1
    const where = `${path}:${line}`
    let json: unknown
    try {
      json = JSON.parse(content)
    } catch (cause) {
      return Either.left(decodeError(OPERATION, where, `${where}: not valid JSON (${(cause as Error).message})`))
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      return Either.left(decodeError(OPERATION, where, `${where}: expected a JSON object with an "input"`))
    }
    if (!Object.hasOwn(json, "input")) {
      return Either.left(decodeError(OPERATION, where, `${where}: the record has no "input"`))
    }
    const decoded = decodeLine(json)
    if (Either.isLeft(decoded)) {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]
      const field = issue === undefined || issue.path.length === 0 ? "" : `${formatPath(issue.path)}: `
      return Either.left(decodeError(OPERATION, where, `${where}: ${field}${issue?.message ?? decoded.left.message}`))
    }
    rows.push({ line, record: decoded.right })
  }
  return assignIds(path, rows)
}

// -----------------------------------------------------------------------------
// CSV
// -----------------------------------------------------------------------------

/**
 * One CSV record: its cells and the line it starts on.
 *
 * @since 0.1.0
 */
export interface CsvRow {
  readonly line: number
  readonly cells: ReadonlyArray<string>
}

/**
 * Splits CSV text into rows (RFC 4180, lenient: a quote inside an unquoted
 * field is kept as it is). Blank lines are skipped. An unterminated quoted
 * field, or text after a closing quote, is a `DecodeError`.
 *
 * @since 0.1.0
 */
export const parseCsvRows = (text: string, path: string): Either.Either<ReadonlyArray<CsvRow>, DecodeError> => {
  const rows: Array<CsvRow> = []
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text
  const length = source.length
  let i = 0
  let line = 1
  while (i < length) {
    const start = line
    const cells: Array<string> = []
    let blank = true
    // One record: fields until an unquoted line break or the end.
    for (;;) {
      let cell = ""
      if (source[i] === "\"") {
        blank = false
        const quoteLine = line
        i++
        for (;;) {
          if (i >= length) {
            return Either.left(
              decodeError(OPERATION, `${path}:${quoteLine}`, `${path}:${quoteLine}: a quoted field is never closed`)
            )
          }
          const char = source[i]!
          if (char === "\"") {
            if (source[i + 1] === "\"") {
              cell += "\""
              i += 2
              continue
            }
            i++
            break
          }
          if (char === "\n") line++
          cell += char
          i++
        }
        const next = source[i]
        if (next !== undefined && next !== "," && next !== "\n" && !(next === "\r" && source[i + 1] === "\n")) {
          return Either.left(
            decodeError(OPERATION, `${path}:${line}`, `${path}:${line}: unexpected ${JSON.stringify(next)} after a closing quote`)
          )
        }
      } else {
        while (i < length) {
          const char = source[i]!
          if (char === "," || char === "\n" || (char === "\r" && source[i + 1] === "\n")) break
          cell += char
          i++
        }
        if (cell !== "") blank = false
      }
      cells.push(cell)
      if (source[i] === ",") {
        blank = false
        i++
        continue
      }
      // A line break (or the end) closes the record.
      if (source[i] === "\r") i++
      if (source[i] === "\n") {
        i++
        line++
      }
      break
    }
    if (!blank) rows.push({ line: start, cells })
  }
  return Either.right(rows)
}

/** A cell as a JSON value when it parses as one, otherwise its text. */
const cellValue = (cell: string): unknown => {
  if (cell.trim() === "") return cell
  try {
    return JSON.parse(cell)
  } catch {
    return cell
  }
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Parses CSV text with a header row into records (see the module docs for
 * how columns map to fields); `path` names the file in errors.
 *
 * @since 0.1.0
 */
export const parseCsv = (text: string, path: string): Either.Either<ReadonlyArray<DatasetRecord>, DecodeError> =>
  Either.flatMap(parseCsvRows(text, path), (rows) => {
    const [header, ...body] = rows
    if (header === undefined) return Either.right([])
    const columns = header.cells.map((cell) => cell.trim())
    const fail = (line: number, description: string) =>
      Either.left(decodeError(OPERATION, `${path}:${line}`, `${path}:${line}: ${description}`))
    const seen = new Set<string>()
    for (const [index, column] of columns.entries()) {
      if (column === "") return fail(header.line, `header column ${index + 1} has no name`)
      if (seen.has(column)) return fail(header.line, `header column "${column}" appears twice`)
      seen.add(column)
    }
    const hasInput = seen.has("input")
    const records: Array<{ readonly line: number; readonly record: DatasetRecordInput }> = []
    for (const row of body) {
      if (row.cells.length !== columns.length) {
        return fail(row.line, `has ${row.cells.length} fields, the header has ${columns.length}`)
      }
      const extra: Record<string, unknown> = {}
      let id: string | undefined
      let input: unknown = hasInput ? undefined : extra
      let expected: unknown
      let metadata: Record<string, unknown> | undefined
      let tags: ReadonlyArray<string> | undefined
      for (const [index, column] of columns.entries()) {
        const cell = row.cells[index]!
        switch (column) {
          case "id":
            if (cell !== "") id = cell
            break
          case "input":
            input = cellValue(cell)
            break
          case "expected":
            if (cell.trim() !== "") expected = cellValue(cell)
            break
          case "metadata": {
            if (cell.trim() === "") break
            const value = cellValue(cell)
            if (!isRecord(value)) return fail(row.line, `column "metadata" must be a JSON object, got ${JSON.stringify(cell)}`)
            metadata = value
            break
          }
          case "tags": {
            if (cell.trim() === "") break
            const value = cellValue(cell)
            if (Array.isArray(value)) {
              if (!value.every((tag): tag is string => typeof tag === "string")) {
                return fail(row.line, `column "tags" must be an array of strings, got ${cell}`)
              }
              tags = value
            } else if (typeof value === "string") {
              tags = value === cell ? cell.split(",").map((tag) => tag.trim()).filter((tag) => tag !== "") : [value]
            } else {
              return fail(row.line, `column "tags" must be an array of strings or comma-separated text, got ${cell}`)
            }
            break
          }
          default:
            Records.set(extra, column, cellValue(cell))
        }
      }
      if (hasInput && Object.keys(extra).length > 0) metadata = { ...extra, ...metadata }
      records.push({
        line: row.line,
        record: {
          ...(id !== undefined ? { id } : {}),
          input,
          ...(expected !== undefined ? { expected } : {}),
          ...(metadata !== undefined ? { metadata } : {}),
          ...(tags !== undefined ? { tags } : {})
        }
      })
    }
    return assignIds(path, records)
  })

/**
 * The CSV columns that map to record fields; any other column is input (or
 * metadata when there is an `input` column).
 *
 * @since 0.1.0
 */
export const knownColumns: ReadonlySet<string> = new Set(["id", "input", "expected", "metadata", "tags"])

/**
 * Parses a dataset file's text by its format.
 *
 * @since 0.1.0
 */
export const parse = (
  text: string,
  path: string,
  format: Format
): Either.Either<ReadonlyArray<DatasetRecord>, DecodeError> =>
  format === "jsonl" ? parseJsonl(text, path) : parseCsv(text, path)

/**
 * Reads and parses a dataset file; `None` when it does not exist.
 *
 * @since 0.1.0
 */
export const read = (
  path: string,
  format: Format
): Effect.Effect<Option.Option<ReadonlyArray<DatasetRecord>>, PromptOpsError> =>
  Effect.flatMap(Files.readText(path, OPERATION), (text) =>
    Option.match(text, {
      onNone: () => Effect.succeedNone,
      onSome: (text) => Effect.map(parse(text, path, format), Option.some)
    }))
