/**
 * A span's error as Braintrust's SDK logs it (`logError`): one string, the
 * message, a blank line, then the stack — what Braintrust's UI shows.
 *
 * @internal
 */
import type { SpanError } from "@promptops/core/SpanRecord"

/** The SDK's format. Without a stack the SDK still writes the blank line. */
export const format = (error: SpanError): string => `${error.message}\n\n${error.stack ?? ""}`

/** `Name: message` or `Name` alone on the stack's first line. */
const stackHead = /^([A-Za-z_$][\w$.]*)(?::[ \n]|\n|$)/

/**
 * Reads `format` back. The message may itself hold blank lines, so the split
 * taken is the first after which the rest is empty or is a stack whose first
 * line names the message (`Cause.pretty` and `Error.stack` both start
 * `Name: message`); the type is that name. Any other string is a message.
 */
export const parse = (text: string): SpanError => {
  for (let at = text.indexOf("\n\n"); at !== -1; at = text.indexOf("\n\n", at + 1)) {
    const message = text.slice(0, at)
    const stack = text.slice(at + 2)
    if (stack === "") return { message }
    const head = stackHead.exec(stack)
    if (head !== null && stack.slice(head[1]!.length).replace(/^: /, "").startsWith(message)) {
      return { message, type: head[1]!, stack }
    }
  }
  return { message: text }
}
