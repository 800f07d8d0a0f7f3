/**
 * `promptops traces tail`: the newest spans of the project logs (or of an
 * experiment, or of one trace), and with `--follow` the new ones as they
 * arrive, polling the backend's `TraceReader` cursor every second. The tail
 * is read newest first, so only the spans shown are read. Basalt cannot
 * read traces back: a clear `Unsupported` instead.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Experiments from "@promptops/core/Experiments"
import * as Json from "@promptops/core/Json"
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import type { ReadOptions, TraceReader } from "@promptops/core/TraceReader"
import { Console, Duration, Effect, Option } from "effect"
import * as PromptOps from "../PromptOps.js"
import { usage } from "./CliError.js"
import * as CliOptions from "./CliOptions.js"

const pageSize = 1000

const formatDuration = (millis: number): string =>
  millis >= 1000 ? `${(millis / 1000).toFixed(2)} s` : `${millis.toFixed(millis >= 100 ? 0 : 1)} ms`

/**
 * One span as a line: start time, trace, span, kind, name, duration, error.
 *
 * @since 0.1.0
 */
export const formatSpan = (span: SpanRecord): string => {
  const time = Number.isFinite(span.startTime) ? new Date(span.startTime).toISOString() : "?"
  const parent = span.parentSpanId === undefined ? "root" : `← ${span.parentSpanId}`
  const error = span.error === undefined ? "" : `  error: ${span.error.message.replace(/\s+/g, " ").slice(0, 120)}`
  const scores = span.scores === undefined || Object.keys(span.scores).length === 0
    ? ""
    : `  scores: ${Object.entries(span.scores).map(([k, v]) => `${k}=${v === null ? "—" : v}`).join(" ")}`
  return `${time}  ${span.traceId.slice(0, 8)} ${span.spanId} ${parent}  ${span.kind} ${span.name}  ${
    formatDuration(span.endTime - span.startTime)
  }${scores}${error}`
}

/**
 * The newest `limit` spans, oldest first (as `tail` prints them), and the
 * cursor past the newest span stored: one newest-first read, so only what
 * is shown is read.
 *
 * @since 0.1.0
 */
export const readTail = (
  reader: TraceReader.Service,
  filter: Omit<ReadOptions, "after" | "limit" | "order">,
  limit: number
): Effect.Effect<{ readonly spans: ReadonlyArray<SpanRecord>; readonly cursor: string | undefined }, PromptOpsError> =>
  Effect.map(
    reader.read({ ...filter, limit, order: "newest" }),
    (page) => ({ spans: [...page.spans].reverse(), cursor: page.cursor })
  )

const print = (jsonl: boolean) => (span: SpanRecord) =>
  Console.log(jsonl ? Json.stringify({ type: "span", span }) : formatSpan(span))

const tail = Command.make(
  "tail",
  {
    provider: CliOptions.provider,
    follow: Options.boolean("follow").pipe(
      Options.withAlias("f"),
      Options.withDescription("Keep printing new spans as they arrive (polls every second; Ctrl-C stops).")
    ),
    limit: Options.integer("limit").pipe(
      Options.withAlias("n"),
      Options.withDescription("How many of the newest spans to print first."),
      Options.withDefault(20)
    ),
    trace: Options.text("trace").pipe(
      Options.withDescription("Only the spans of this trace: its id, or the first 8 or more characters of it (as printed)."),
      Options.optional
    ),
    experiment: Options.text("experiment").pipe(
      Options.withDescription(
        "The spans of this experiment instead of the project logs: an id, an id prefix, or a name (its latest run)."
      ),
      Options.optional
    ),
    interval: Options.integer("interval").pipe(
      Options.withDescription("Milliseconds between polls with --follow."),
      Options.withDefault(1000)
    ),
    maxPolls: Options.integer("max-polls").pipe(
      Options.withDescription("With --follow, stop after this many polls (for scripts)."),
      Options.optional
    ),
    jsonl: Options.boolean("jsonl").pipe(Options.withDescription("Print one JSON object per span."))
  },
  (args) =>
    Effect.gen(function*() {
      const limit = (yield* CliOptions.positive("limit", Option.some(args.limit)))!
      const interval = (yield* CliOptions.positive("interval", Option.some(args.interval)))!
      const maxPolls = yield* CliOptions.positive("max-polls", args.maxPolls)
      if (maxPolls !== undefined && !args.follow) yield* Effect.fail(usage("--max-polls needs --follow"))
      yield* CliOptions.withReadBackend(
        args.provider,
        Effect.gen(function*() {
          const backend = yield* PromptOps.Backend
          const reader = yield* PromptOps.traceReader
          if (!args.jsonl) yield* CliOptions.announce(backend)
          // A name means its latest run; an id or an id prefix, that experiment.
          const experiment = yield* Option.match(args.experiment, {
            onNone: () => Effect.succeed(undefined),
            onSome: (ref) => Experiments.resolve(ref)
          })
          let filter: Omit<ReadOptions, "after" | "limit" | "order"> = {
            traceId: Option.getOrUndefined(args.trace),
            experimentId: experiment?.id
          }
          const first = yield* readTail(reader, filter, limit)
          yield* Effect.forEach(first.spans, print(args.jsonl), { discard: true })
          if (first.spans.length === 0) {
            const where = experiment === undefined
              ? `project logs of ${backend.location}`
              : `experiment ${experiment.name} (${experiment.id})`
            const trace = filter.traceId === undefined ? "" : ` of trace ${filter.traceId}`
            yield* Console.error(`no spans${trace} in ${where} yet`)
          } else if (filter.traceId !== undefined) {
            // A short id found its trace: follow that trace by its whole id.
            filter = { ...filter, traceId: first.spans[0]!.traceId }
          }
          if (!args.follow) return
          let cursor = first.cursor
          for (let poll = 1; maxPolls === undefined || poll <= maxPolls; poll++) {
            yield* Effect.sleep(Duration.millis(interval))
            // Everything new since the cursor, page by page.
            for (;;) {
              const page = yield* reader.read({ ...filter, after: cursor, limit: pageSize })
              cursor = page.cursor ?? cursor
              yield* Effect.forEach(page.spans, print(args.jsonl), { discard: true })
              if (page.spans.length < pageSize) break
            }
          }
        })
      )
    })
).pipe(Command.withDescription("Print the newest spans, and with --follow the new ones as they arrive."))

/**
 * @since 0.1.0
 */
export const command = Command.make("traces", {}, () => Effect.fail(usage("choose a subcommand: traces tail"))).pipe(
  Command.withDescription("Read traces back (local, braintrust, memory)."),
  Command.withSubcommands([tail])
)
