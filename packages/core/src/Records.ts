/**
 * Record schemas that keep every key.
 *
 * `Schema.Record` builds its output by assignment, so a key named
 * `__proto__` (which `JSON.parse` creates as an ordinary own key) is not
 * kept: an object value becomes the output's prototype, any other value is
 * dropped without a word. A prompt's model parameters, a dataset row's
 * metadata or a score name come from users and vendors, so the schemas here
 * define every key as data instead; `__proto__` included, as the tracer's
 * sanitiser already does for span data.
 *
 * @since 0.1.0
 */
import { Array as Arr, Either, ParseResult, Predicate, Schema } from "effect"
import type * as AST from "effect/SchemaAST"

/**
 * A record of string keys to `Value`s.
 *
 * @since 0.1.0
 */
export interface Of<Value extends Schema.Schema.Any> extends
  Schema.Schema<
    { readonly [key: string]: Schema.Schema.Type<Value> },
    { readonly [key: string]: Schema.Schema.Encoded<Value> },
    Schema.Schema.Context<Value>
  >
{}

/**
 * Sets `target[key] = value` as an own, enumerable data property, also when
 * `key` is `__proto__`, which plain assignment would turn into a prototype
 * change.
 *
 * @since 0.1.0
 */
export const set = <A>(target: Record<string, A>, key: string, value: A): void => {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    target[key] = value
  }
}

/** Parses each value with `parse`, naming the key of every value that fails. */
const parseEntries = <A>(parse: (u: unknown, options?: AST.ParseOptions) => Either.Either<A, ParseResult.ParseIssue>) =>
(
  input: unknown,
  options: AST.ParseOptions,
  ast: AST.Declaration
): Either.Either<{ readonly [key: string]: A }, ParseResult.ParseIssue> => {
  if (!Predicate.isRecord(input)) return Either.left(new ParseResult.Type(ast, input))
  const output: Record<string, A> = {}
  const issues: Array<ParseResult.ParseIssue> = []
  for (const key of Object.keys(input)) {
    const value = parse(input[key], options)
    if (Either.isRight(value)) {
      set(output, key, value.right)
      continue
    }
    const issue = new ParseResult.Pointer(key, input, value.left)
    if (options.errors !== "all") return Either.left(new ParseResult.Composite(ast, input, issue, output))
    issues.push(issue)
  }
  return Arr.isNonEmptyArray(issues)
    ? Either.left(new ParseResult.Composite(ast, input, issues, output))
    : Either.right(output)
}

/**
 * A record of string keys to `value`s that keeps every key of its input,
 * `__proto__` included, as an own data property (never as a prototype).
 * Decoding and encoding name the key of any value that fails.
 *
 * @since 0.1.0
 */
export const of = <Value extends Schema.Schema.AnyNoContext>(value: Value): Of<Value> =>
  Schema.declare(
    [value],
    {
      decode: (value) => parseEntries(ParseResult.decodeUnknownEither(value)),
      encode: (value) => parseEntries(ParseResult.encodeUnknownEither(value))
    },
    { identifier: `Record<string, ${String(value.ast)}>`, description: "an object" }
  )

/**
 * A JSON object: string keys to any values.
 *
 * @since 0.1.0
 */
export const Unknown: Of<typeof Schema.Unknown> = of(Schema.Unknown)
