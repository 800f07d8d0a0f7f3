/**
 * Aligned plain-text tables, for terminals and logs: one helper behind the
 * eval summary (`Summary.toTable`) and the CLI's tables (experiment lists,
 * help sections), so they align the same way.
 *
 * @since 0.1.0
 */

/**
 * How a column's cells are padded to its width: `left` pads on the right
 * (text), `right` on the left (numbers).
 *
 * @since 0.1.0
 */
export type Alignment = "left" | "right"

/**
 * @since 0.1.0
 */
export interface Options {
  /** Per column; columns without an entry are `left`. */
  readonly align?: ReadonlyArray<Alignment> | undefined
  /** Put before every line, e.g. `"  "`. Default none. */
  readonly indent?: string | undefined
  /** Remove trailing spaces of every line (left by padding a short last cell). Default `false`. */
  readonly trimEnd?: boolean | undefined
}

/**
 * The rows as lines, each cell padded to the widest cell of its column
 * (measured in UTF-16 code units, as `padEnd` does) and cells separated by
 * two spaces. A row shorter than the others gets empty cells.
 *
 * @since 0.1.0
 */
export const lines = (rows: ReadonlyArray<ReadonlyArray<string>>, options?: Options): Array<string> => {
  const columns = rows.reduce((max, row) => (row.length > max ? row.length : max), 0)
  const widths: Array<number> = []
  for (let column = 0; column < columns; column++) {
    widths.push(rows.reduce((max, row) => Math.max(max, (row[column] ?? "").length), 0))
  }
  const indent = options?.indent ?? ""
  return rows.map((row) => {
    const cells: Array<string> = []
    for (let column = 0; column < columns; column++) {
      const cell = row[column] ?? ""
      cells.push(options?.align?.[column] === "right" ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))
    }
    const line = `${indent}${cells.join("  ")}`
    return options?.trimEnd === true ? line.trimEnd() : line
  })
}

/**
 * {@link lines} joined with newlines.
 *
 * @since 0.1.0
 */
export const render = (rows: ReadonlyArray<ReadonlyArray<string>>, options?: Options): string =>
  lines(rows, options).join("\n")
