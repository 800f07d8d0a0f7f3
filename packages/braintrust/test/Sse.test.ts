/**
 * The SSE reader against the WHATWG event-stream rules: LF, CRLF and lone CR
 * line ends, comments, multi-line data, ignored fields, an unterminated
 * last event discarded, and the same events whatever the chunking (every byte
 * boundary, multi-byte characters split included). The property tests compare
 * with a small reference parser written from the specification's text.
 */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, FastCheck, Stream } from "effect"
import * as Sse from "../src/internal/sse.js"
import * as BraintrustClient from "../src/BraintrustClient.js"
import { clientLayer, uuid } from "./fakeVendor.js"

const encoder = new TextEncoder()

const parseChunks = (chunks: ReadonlyArray<Uint8Array>): Array<Sse.SseEvent> =>
  Chunk.toArray(Effect.runSync(Stream.runCollect(Sse.parse(Stream.fromIterable(chunks)))))

const parseText = (text: string): Array<Sse.SseEvent> => parseChunks([encoder.encode(text)])

/** Splits bytes at the given (sorted, in-range) offsets. */
const splitAt = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  let start = 0
  for (const cut of cuts) {
    out.push(bytes.subarray(start, cut))
    start = cut
  }
  out.push(bytes.subarray(start))
  return out
}

/**
 * "Interpreting an event stream" (WHATWG HTML §9.2.6), over the whole text:
 * lines end at CRLF, LF or CR; the text after the last line end is an
 * incomplete line and is discarded, with any event not yet dispatched.
 */
const reference = (input: string): Array<Sse.SseEvent> => {
  const text = input.startsWith("\uFEFF") ? input.slice(1) : input
  const lines = text.split(/\r\n|\r|\n/)
  lines.pop()
  const events: Array<Sse.SseEvent> = []
  let data = ""
  let type = ""
  for (const line of lines) {
    if (line === "") {
      if (data === "") {
        type = ""
        continue
      }
      events.push({
        event: type === "" ? "message" : type,
        data: data.endsWith("\n") ? data.slice(0, -1) : data
      })
      data = ""
      type = ""
      continue
    }
    if (line.startsWith(":")) continue
    const colon = line.indexOf(":")
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? "" : line.slice(colon + 1)
    if (value.startsWith(" ")) value = value.slice(1)
    if (field === "event") type = value
    else if (field === "data") data += value + "\n"
    // `id` and `retry` set state the reader does not report; other fields are ignored.
  }
  return events
}

describe("SSE reader", () => {
  it("reads LF, CRLF and lone CR line ends alike", () => {
    const expected = [{ event: "text_delta", data: "a" }, { event: "done", data: "" }]
    assert.deepStrictEqual(parseText("event: text_delta\ndata: a\n\nevent: done\ndata:\n\n"), expected)
    assert.deepStrictEqual(parseText("event: text_delta\r\ndata: a\r\n\r\nevent: done\r\ndata:\r\n\r\n"), expected)
    assert.deepStrictEqual(parseText("event: text_delta\rdata: a\r\revent: done\rdata:\r\r"), expected)
    // A body that ends in a lone CR has ended its line: the event is complete.
    assert.deepStrictEqual(parseText("data: last\r\r"), [{ event: "message", data: "last" }])
  })

  it("skips comments, joins multi-line data, ignores id, retry and unknown fields", () => {
    assert.deepStrictEqual(
      parseText(": keep-alive\nretry: 10\nfoo: bar\nid: 7\ndata: one\ndata:two\ndata\n\n: ping\ndata: next\n\n"),
      [{ event: "message", data: "one\ntwo\n" }, { event: "message", data: "next" }]
    )
    // A blank line with no data dispatches nothing and forgets the event name.
    assert.deepStrictEqual(parseText("event: x\n\ndata: y\n\n"), [{ event: "message", data: "y" }])
  })

  it("never dispatches an unterminated last event", () => {
    assert.deepStrictEqual(parseText("data: complete\n\ndata: cut off"), [{ event: "message", data: "complete" }])
    assert.deepStrictEqual(parseText("data: complete\n\nevent: done\ndata: cut off\n"), [
      { event: "message", data: "complete" }
    ])
    assert.deepStrictEqual(parseText("data: cut off\r\n"), [])
    assert.deepStrictEqual(parseText("data: cut off\r"), [])
  })

  it("gives the same events for a cut at every byte, and for one byte per chunk", () => {
    const text = "\uFEFF: hi\r\nevent: text_delta\rdata: \"héllo 👋\"\r\n\r\nid: 1\ndata: a\ndata: b\r\rdata: tail"
    const bytes = encoder.encode(text)
    const whole = parseText(text)
    assert.deepStrictEqual(whole, reference(text))
    assert.strictEqual(whole.length, 2)
    for (let cut = 0; cut <= bytes.length; cut++) {
      assert.deepStrictEqual(parseChunks(splitAt(bytes, [cut])), whole, `cut at byte ${cut}`)
    }
    assert.deepStrictEqual(parseChunks(Array.from(bytes, (byte) => Uint8Array.of(byte))), whole)
  })

  it("matches the specification's reading of any stream, however it is chunked (property)", () => {
    const piece = FastCheck.constantFrom(
      "data",
      "event",
      "id",
      "retry",
      "foo",
      ":",
      ": ",
      " ",
      "x",
      "é",
      "👋",
      "\0",
      "\n",
      "\r",
      "\r\n",
      "\n\n",
      "\r\r"
    )
    const input = FastCheck.array(piece, { maxLength: 40 }).chain((pieces) => {
      const bytes = encoder.encode(pieces.join(""))
      return FastCheck.tuple(
        FastCheck.constant(pieces.join("")),
        FastCheck.uniqueArray(FastCheck.integer({ min: 0, max: bytes.length }), { maxLength: 8 })
          .map((cuts) => [...cuts].sort((a, b) => a - b))
      )
    })
    FastCheck.assert(
      FastCheck.property(input, ([text, cuts]) => {
        assert.deepStrictEqual(parseChunks(splitAt(encoder.encode(text), cuts)), reference(text))
      }),
      { numRuns: 2000 }
    )
  })

  it.effect("the client's invoke stream reads CR-only events and drops a cut-off last one", () => {
    const body = "event: text_delta\rdata: \"Hi\"\r\revent: done\rdata:\r\revent: text_delta\rdata: \"lost\""
    const { layer } = clientLayer(() =>
      new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } })
    )
    return Effect.gen(function*() {
      const client = yield* BraintrustClient.BraintrustClient
      const events = yield* Stream.runCollect(client.functions.invokeStream(uuid(1), { input: "x" }))
      assert.deepStrictEqual(Chunk.toArray(events), [{ _tag: "TextDelta", text: "Hi" }, { _tag: "Done" }])
    }).pipe(Effect.provide(layer))
  })
})
