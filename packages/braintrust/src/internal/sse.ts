/**
 * A Server-Sent Events reader (the WHATWG event-stream format): `event:`,
 * `data:` (several lines joined by `\n`), `id:`, comments and blank-line
 * dispatch. @effect/platform 0.97 has no Sse module, so it lives here.
 */
import { Option, Stream } from "effect"

/** One dispatched event. `event` is `message` when the server named none. */
export interface SseEvent {
  readonly event: string
  readonly data: string
  readonly id?: string | undefined
}

interface State {
  readonly event: string
  readonly data: ReadonlyArray<string>
  readonly hasData: boolean
  readonly id: string | undefined
}

const empty: State = { event: "", data: [], hasData: false, id: undefined }

const step = (state: State, line: string): readonly [State, Option.Option<SseEvent>] => {
  if (line === "") {
    if (!state.hasData) return [{ ...empty, id: state.id }, Option.none()]
    return [
      { ...empty, id: state.id },
      Option.some({
        event: state.event === "" ? "message" : state.event,
        data: state.data.join("\n"),
        ...(state.id !== undefined ? { id: state.id } : {})
      })
    ]
  }
  if (line.startsWith(":")) return [state, Option.none()]
  const colon = line.indexOf(":")
  const field = colon === -1 ? line : line.slice(0, colon)
  let value = colon === -1 ? "" : line.slice(colon + 1)
  if (value.startsWith(" ")) value = value.slice(1)
  switch (field) {
    case "event":
      return [{ ...state, event: value }, Option.none()]
    case "data":
      return [{ ...state, data: [...state.data, value], hasData: true }, Option.none()]
    case "id":
      return [value.includes("\0") ? state : { ...state, id: value }, Option.none()]
    default:
      // `retry:` and unknown fields are ignored, as the format says.
      return [state, Option.none()]
  }
}

/** Parses a byte stream into events. An event left open when the body ends is dispatched too. */
export const parse = <E, R>(body: Stream.Stream<Uint8Array, E, R>): Stream.Stream<SseEvent, E, R> =>
  body.pipe(
    Stream.decodeText(),
    Stream.splitLines,
    Stream.concat(Stream.succeed("")),
    Stream.mapAccum(empty, step),
    Stream.filterMap((event) => event)
  )
