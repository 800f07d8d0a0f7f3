/**
 * The shapes of the viewer's JSON API: the query and body schemas it
 * validates, the responses it encodes, and its error body. The front end
 * decodes with the same schemas.
 *
 * @since 0.1.0
 */
import { EvalResult, Experiment, ExperimentState, ExperimentSummary } from "@promptops/core/Experiment"
import { SpanRecord } from "@promptops/core/SpanRecord"
import { Schema } from "effect"

/**
 * The most items a list returns in one page.
 *
 * @since 0.1.0
 */
export const maxLimit = 200

/**
 * Items per page when `limit` is not given.
 *
 * @since 0.1.0
 */
export const defaultLimit = 50

const Limit = Schema.optional(
  Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, maxLimit, { message: () => `must be an integer from 1 to ${maxLimit}` }))
)
const Cursor = Schema.optional(Schema.String.pipe(Schema.pattern(/^\d{1,15}$/, { message: () => "must be a cursor from a previous page" })))
const Millis = Schema.optional(Schema.NumberFromString.pipe(Schema.finite({ message: () => "must be epoch milliseconds" })))
const BooleanString = Schema.optional(Schema.transform(Schema.Literal("true", "false"), Schema.Boolean, {
  strict: true,
  decode: (text) => text === "true",
  encode: (value) => (value ? "true" : "false")
}))

/**
 * `GET /api/experiments` query.
 *
 * @since 0.1.0
 */
export const ExperimentsQuery = Schema.Struct({
  name: Schema.optional(Schema.String),
  cursor: Cursor,
  limit: Limit,
  /** How many previous runs of the same name the trend holds (1..50, default 10). */
  trend: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 50)))
})

/**
 * `GET /api/experiments/:id` query.
 *
 * @since 0.1.0
 */
export const ExperimentQuery = Schema.Struct({
  /** Compare with this experiment instead of the experiment's own baseline. */
  baseline: Schema.optional(Schema.String),
  /** Histogram bins per score (1..50, default 10). */
  bins: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 50)))
})

/**
 * `GET /api/experiments/:id/cases` query.
 *
 * @since 0.1.0
 */
export const CasesQuery = Schema.Struct({
  filter: Schema.optional(Schema.Literal("all", "regressions", "improvements", "errors")),
  baseline: Schema.optional(Schema.String),
  cursor: Cursor,
  limit: Limit
})

/**
 * `GET /api/compare` query: `ids` is a comma-separated list of 2 to 10 experiment ids.
 *
 * @since 0.1.0
 */
export const CompareQuery = Schema.Struct({
  ids: Schema.String.pipe(
    Schema.pattern(/^[^,]+(,[^,]+){1,9}$/, { message: () => "must be 2 to 10 comma-separated experiment ids" })
  ),
  cursor: Cursor,
  limit: Limit
})

/**
 * `GET /api/traces` query.
 *
 * @since 0.1.0
 */
export const TracesQuery = Schema.Struct({
  name: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.Literal("llm", "task", "tool", "retrieval", "function", "eval", "score", "span")),
  error: BooleanString,
  from: Millis,
  to: Millis,
  experiment: Schema.optional(Schema.String),
  cursor: Cursor,
  limit: Limit
})

/**
 * `GET /api/prompts/:slug/diff` query.
 *
 * @since 0.1.0
 */
export const DiffQuery = Schema.Struct({
  from: Schema.NonEmptyString,
  to: Schema.NonEmptyString
})

/**
 * `POST /api/prompts/:slug/render` body.
 *
 * @since 0.1.0
 */
export const RenderBody = Schema.Struct({
  version: Schema.optional(Schema.NonEmptyString),
  tag: Schema.optional(Schema.NonEmptyString),
  variables: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})

/**
 * `POST /api/feedback` body: a score or a comment (or both) about a span.
 *
 * @since 0.1.0
 */
export const FeedbackBody = Schema.Struct({
  spanId: Schema.NonEmptyString,
  /** The experiment the span belongs to; absent for the project logs. */
  experimentId: Schema.optional(Schema.NonEmptyString),
  scores: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.Number.pipe(Schema.between(0, 1))) })),
  comment: Schema.optional(Schema.String.pipe(Schema.maxLength(10_000)))
}).pipe(Schema.filter((body) => body.scores !== undefined || body.comment !== undefined || "needs scores or a comment"))

/**
 * A list page: the items and the cursor of the next page (`null` at the end).
 *
 * @since 0.1.0
 */
export const Page = <A, I, R>(item: Schema.Schema<A, I, R>) =>
  Schema.Struct({ items: Schema.Array(item), cursor: Schema.NullOr(Schema.String) })

/**
 * One row of the experiments list.
 *
 * @since 0.1.0
 */
export const ExperimentRow = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  created: Schema.optional(Schema.Number),
  /** `complete`, `partial`, `failed`, `running`; `complete` for runs made before states were recorded. */
  state: Schema.String,
  gate: Schema.optional(Schema.String),
  cases: Schema.Struct({ total: Schema.Number, errored: Schema.Number }),
  means: Schema.Record({ key: Schema.String, value: Schema.Number }),
  /** Per score, the means of this run and the runs of the same name before it, oldest first. */
  trend: Schema.Record({ key: Schema.String, value: Schema.Array(Schema.NullOr(Schema.Number)) })
})

/**
 * @since 0.1.0
 */
export const Histogram = Schema.Struct({
  score: Schema.String,
  /** `bins` + 1 edges from 0 to 1; the last bin includes 1. */
  edges: Schema.Array(Schema.Number),
  counts: Schema.Array(Schema.Number)
})

/**
 * `GET /api/experiments/:id`.
 *
 * @since 0.1.0
 */
export const ExperimentPage = Schema.Struct({
  experiment: Experiment,
  state: Schema.optional(ExperimentState),
  summary: ExperimentSummary,
  histograms: Schema.Array(Histogram)
})

/**
 * One case of an experiment, beside the baseline's scores of the same case.
 *
 * @since 0.1.0
 */
export const CaseRow = Schema.Struct({
  result: EvalResult,
  baselineScores: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.Number) })),
  change: Schema.Literal("regression", "improvement", "same", "new"),
  traceId: Schema.NullOr(Schema.String),
  rootSpanId: Schema.NullOr(Schema.String)
})

/**
 * `GET /api/compare`.
 *
 * @since 0.1.0
 */
export const ComparePage = Schema.Struct({
  experiments: Schema.Array(Schema.Struct({
    id: Schema.String,
    name: Schema.String,
    scores: Schema.Record({
      key: Schema.String,
      value: Schema.Struct({ mean: Schema.Number, spread: Schema.Number, count: Schema.Number })
    })
  })),
  rows: Page(Schema.Struct({
    caseId: Schema.String,
    input: Schema.Unknown,
    /** One entry per experiment, in the order of `ids`; `null` where that run has no such case. */
    runs: Schema.Array(Schema.NullOr(Schema.Struct({
      output: Schema.Unknown,
      scores: Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.Number) }),
      error: Schema.optional(Schema.String),
      traceId: Schema.optional(Schema.String)
    })))
  }))
})

/**
 * `GET /api/traces/:traceId`: every span of the trace, oldest first.
 *
 * @since 0.1.0
 */
export const TracePage = Schema.Struct({ traceId: Schema.String, spans: Schema.Array(SpanRecord) })

/**
 * @since 0.1.0
 */
export const PromptVersions = Schema.Struct({
  slug: Schema.String,
  tags: Schema.Record({ key: Schema.String, value: Schema.String }),
  versions: Schema.Array(Schema.Unknown)
})

/**
 * The body of every error response.
 *
 * @since 0.1.0
 */
export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    /** `BadParameter`, `NotFound`, `Unsupported`, `Forbidden`, … */
    _tag: Schema.String,
    message: Schema.String,
    /** The query parameter, path parameter or body field at fault. */
    field: Schema.optional(Schema.String)
  })
})
