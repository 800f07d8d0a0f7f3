/**
 * JSON columns and files: encoding that fails with a typed error naming the
 * value (a BigInt or a cycle never crashes a write), and decoding that names
 * the column it read.
 */
import { type DecodeError, invalidInput, type InvalidInput } from "@promptops/core/PromptOpsError"
import { Either } from "effect"
import { decodeError, PROVIDER } from "./errors.js"

/** `value` as JSON text; `null` (SQL NULL) when it is `undefined`. */
export const encode = (
  value: unknown,
  operation: string,
  path: string
): Either.Either<string | null, InvalidInput> => {
  if (value === undefined) return Either.right(null)
  try {
    const text = JSON.stringify(value)
    // Functions and symbols have no JSON form: refuse rather than store nothing.
    return text === undefined
      ? Either.left(invalidInput({ provider: PROVIDER, operation, path, description: `${typeof value} is not JSON` }))
      : Either.right(text)
  } catch (cause) {
    return Either.left(
      invalidInput({
        provider: PROVIDER,
        operation,
        path,
        description: `is not serialisable as JSON (${cause instanceof Error ? cause.message : String(cause)})`
      })
    )
  }
}

/** Parses a stored JSON column; SQL NULL is `undefined`. */
export const decode = (
  text: unknown,
  operation: string,
  path: string
): Either.Either<unknown, DecodeError> => {
  if (text === null || text === undefined) return Either.right(undefined)
  if (typeof text !== "string") return Either.left(decodeError(operation, path, `expected JSON text, got ${typeof text}`))
  try {
    return Either.right(JSON.parse(text))
  } catch (cause) {
    return Either.left(decodeError(operation, path, `is not valid JSON (${(cause as Error).message})`))
  }
}

/**
 * The 1-based line and column of a character offset, for error messages.
 */
export const lineColumn = (text: string, offset: number): { readonly line: number; readonly column: number } => {
  let line = 1
  let start = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      start = i + 1
    }
  }
  return { line, column: offset - start + 1 }
}

/**
 * The offset of the first character that makes `text` invalid JSON (or
 * `text.length` when it ends too early); `undefined` when it is valid. V8's
 * messages give a position for only some errors, so this finds it itself.
 */
export const syntaxErrorOffset = (text: string): number | undefined => {
  let i = 0
  const space = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++
  }
  const literal = (word: string): boolean => {
    if (text.startsWith(word, i)) {
      i += word.length
      return true
    }
    return false
  }
  const string = (): boolean => {
    if (text[i] !== "\"") return false
    i++
    while (i < text.length) {
      const char = text[i]!
      if (char === "\"") {
        i++
        return true
      }
      if (char < " ") return false
      if (char === "\\") {
        const next = text[i + 1]
        if (next === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false
          i += 6
        } else if (next !== undefined && "\"\\/bfnrt".includes(next)) {
          i += 2
        } else {
          i++
          return false
        }
      } else {
        i++
      }
    }
    return false
  }
  const number = (): boolean => {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400))
    if (match === null) return false
    i += match[0].length
    return true
  }
  const value = (depth: number): boolean => {
    if (depth > 10_000) return false
    space()
    const char = text[i]
    if (char === "{") {
      i++
      space()
      if (text[i] === "}") {
        i++
        return true
      }
      for (;;) {
        space()
        if (!string()) return false
        space()
        if (text[i] !== ":") return false
        i++
        if (!value(depth + 1)) return false
        space()
        if (text[i] === ",") {
          i++
          continue
        }
        if (text[i] === "}") {
          i++
          return true
        }
        return false
      }
    }
    if (char === "[") {
      i++
      space()
      if (text[i] === "]") {
        i++
        return true
      }
      for (;;) {
        if (!value(depth + 1)) return false
        space()
        if (text[i] === ",") {
          i++
          continue
        }
        if (text[i] === "]") {
          i++
          return true
        }
        return false
      }
    }
    if (char === "\"") return string()
    if (char === "-" || (char !== undefined && char >= "0" && char <= "9")) return number()
    return literal("true") || literal("false") || literal("null")
  }
  if (!value(0)) return Math.min(i, text.length)
  space()
  return i < text.length ? i : undefined
}

/** Where `text` stops being JSON, as `line:column`. */
export const syntaxErrorLocation = (text: string): string | undefined => {
  const offset = syntaxErrorOffset(text)
  if (offset === undefined) return undefined
  const { column, line } = lineColumn(text, offset)
  return `${line}:${column}`
}
