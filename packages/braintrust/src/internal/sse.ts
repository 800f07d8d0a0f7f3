/**
 * A Server-Sent Events reader (the WHATWG event-stream format) over
 * `eventsource-parser`: LF, CRLF and lone CR line endings, `event:`, `data:`
 * (several lines joined by `\n`), comments and blank-line dispatch. Event ids
 * are not reported: Braintrust's streams set none and nothing here resumes a
 * stream (the parser forgets an `id:` in a block without data, which the
 * format would keep).
 * @effect/platform 0.97 has no Sse module. @effect/experimental has an `Sse`
 * parser, but it would bring that whole package into the adapter for one parser
 * (and measured slower on large streams); `eventsource-parser` is maintained,
 * small and has no dependencies.
 *
 * As the format says, an event the body leaves unterminated (no blank line
 * after it) is discarded, never dispatched.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser"
import { Stream } from "effect"

/** One dispatched event. `event` is `message` when the server named none. */
export interface SseEvent {
  readonly event: string
  readonly data: string
}

/** Parses a byte stream into events, in order. Each run of the stream gets its own parser. */
export const parse = <E, R>(body: Stream.Stream<Uint8Array, E, R>): Stream.Stream<SseEvent, E, R> =>
  Stream.suspend(() => {
    let ready: Array<SseEvent> = []
    // A CR that ends a chunk is held back here and fed with the next chunk (or as CR LF at the end):
    // eventsource-parser 3.1 holds a chunk's final CR until it sees whether an LF follows, and
    // appends a next chunk without any line end behind it unread, so the line the CR ended would
    // wait for a later line end, or be lost at the end of the body.
    let heldCr = false
    const parser = createParser({
      onEvent: (message: EventSourceMessage) => {
        ready.push({
          event: message.event === undefined || message.event === "" ? "message" : message.event,
          data: message.data
        })
      }
      // Unknown fields and a bad `retry:` are ignored, as the format says: no `onError`.
    })
    const take = (): Array<SseEvent> => {
      const out = ready
      ready = []
      return out
    }
    return body.pipe(
      Stream.decodeText(),
      Stream.mapConcat((decoded) => {
        if (decoded === "") return []
        let text = heldCr ? `\r${decoded}` : decoded
        heldCr = text.endsWith("\r")
        if (heldCr) text = text.slice(0, -1)
        if (text !== "") parser.feed(text)
        return take()
      }),
      Stream.concat(Stream.suspend(() => {
        // The held CR ended a line; as CR LF it ends exactly one, even after a CR the parser holds.
        if (heldCr) parser.feed("\r\n")
        return Stream.fromIterable(take())
      }))
    )
  })
