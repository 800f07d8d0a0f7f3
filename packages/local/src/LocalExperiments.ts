/**
 * `Experiments` in the SQLite store. Results are keyed by experiment, case id
 * and trial: logging the same (caseId, trial) again replaces the stored
 * result in place, so a retried `log` never duplicates. Every `log` is one
 * transaction. `list` is newest first (the default baseline is the newest
 * complete run of a name whose gate passed: see `Experiments.latestBaseline`).
 * The run's state is a JSON column of the experiment, the scorer errors a JSON
 * column of each result (schema version 2). The summary is core's, computed
 * from the stored results.
 *
 * @since 0.1.0
 */
import type { Metadata } from "@promptops/core/Dataset"
import type { EvalResult, Experiment, ExperimentState } from "@promptops/core/Experiment"
import * as Experiments from "@promptops/core/Experiments"
import * as Ids from "@promptops/core/Ids"
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import { Clock, Effect, Layer, Stream } from "effect"
import { notFound, PROVIDER } from "./internal/errors.js"
import { decodeExperiment, type ExperimentRow } from "./internal/experimentRows.js"
import { encode } from "./internal/json.js"
import { chunks, decodeRow, encodeAll, INSERT_CHUNK, PAGE_SIZE, pages, upsertAll } from "./internal/rows.js"
import { LocalStore } from "./LocalStore.js"

interface ResultRow {
  readonly seq: number
  readonly case_id: string
  readonly trial: number
  readonly input: string | null
  readonly output: string | null
  readonly expected: string | null
  readonly scores: string
  readonly error: string | null
  readonly metadata: string
  readonly tags: string | null
  readonly duration_ms: number
  readonly usage: string | null
  readonly scorer_usage: string | null
  readonly scorer_errors: string | null
  readonly trace_id: string | null
  readonly span_id: string | null
}

const decodeResult = (experimentId: string) => (row: ResultRow) =>
  decodeRow(
    "Experiments.results",
    `experiment ${experimentId} result ${row.case_id}/${row.trial}`,
    (columns): EvalResult => {
      const expected = columns.json(row.expected, "expected")
      const tags = columns.json(row.tags, "tags") as ReadonlyArray<string> | undefined
      const usage = columns.json(row.usage, "usage") as EvalResult["usage"]
      const scorerUsage = columns.json(row.scorer_usage, "scorer_usage") as EvalResult["scorerUsage"]
      const scorerErrors = columns.json(row.scorer_errors, "scorer_errors") as EvalResult["scorerErrors"]
      return {
        caseId: row.case_id,
        trial: row.trial,
        input: columns.json(row.input, "input"),
        output: columns.json(row.output, "output"),
        ...(expected !== undefined ? { expected } : {}),
        scores: columns.json(row.scores, "scores") as EvalResult["scores"],
        ...(row.error !== null ? { error: row.error } : {}),
        ...(scorerErrors !== undefined ? { scorerErrors } : {}),
        metadata: columns.json(row.metadata, "metadata") as Metadata,
        ...(tags !== undefined ? { tags } : {}),
        durationMs: row.duration_ms,
        ...(usage !== undefined ? { usage } : {}),
        ...(scorerUsage !== undefined ? { scorerUsage } : {}),
        ...(row.trace_id !== null ? { traceId: row.trace_id } : {}),
        ...(row.span_id !== null ? { spanId: row.span_id } : {})
      }
    }
  )

/**
 * The service over the store in context.
 *
 * @since 0.1.0
 */
export const make: Effect.Effect<Experiments.Experiments.Service, never, LocalStore> = Effect.map(
  LocalStore,
  (store) => {
    const sql = store.sql
    // Experiments are never deleted, so an id seen to exist needs no check
    // before the next log: one statement instead of four.
    const known = new Set<string>()

    const find = (id: string) =>
      sql<ExperimentRow>`SELECT seq, id, name, baseline, dataset, metadata, created_at, state
        FROM experiments WHERE id = ${id}`

    const get = (id: string, operation = "Experiments.get"): Effect.Effect<Experiment, PromptOpsError> =>
      store.read(operation, find(id)).pipe(
        Effect.flatMap((rows): Effect.Effect<Experiment, PromptOpsError> =>
          rows[0] === undefined ? Effect.fail(notFound(operation, `experiment ${id}`)) : decodeExperiment(rows[0])
        )
      )

    const exists = (id: string, operation: string, resource: string) =>
      Effect.flatMap(
        sql<{ readonly found: number }>`SELECT 1 AS found FROM experiments WHERE id = ${id}`,
        (rows) => rows.length === 0 ? Effect.fail(notFound(operation, resource)) : Effect.void
      )

    const create = (options: Experiments.CreateOptions): Effect.Effect<Experiment, PromptOpsError> =>
      Effect.gen(function*() {
        const operation = "Experiments.create"
        const metadata = yield* encode(options.metadata, operation, "options.metadata")
        const now = yield* Clock.currentTimeMillis
        const id = Ids.uuid()
        yield* store.transaction(
          operation,
          Effect.gen(function*() {
            if (options.baseline !== undefined) {
              yield* exists(options.baseline, operation, `baseline experiment ${options.baseline}`)
            }
            yield* sql`INSERT INTO experiments ${
              sql.insert({
                id,
                name: options.name,
                baseline: options.baseline ?? null,
                dataset: options.dataset ?? null,
                metadata,
                created_at: now
              })
            }`
          })
        )
        known.add(id)
        return {
          id,
          name: options.name,
          ...(options.baseline !== undefined ? { baseline: options.baseline } : {}),
          ...(options.dataset !== undefined ? { dataset: options.dataset } : {}),
          ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
          createdAt: now,
          source: { provider: PROVIDER }
        }
      })

    const list = (): Stream.Stream<Experiment, PromptOpsError> =>
      pages(
        Number.MAX_SAFE_INTEGER,
        (before) =>
          store.read(
            "Experiments.list",
            sql<ExperimentRow>`SELECT seq, id, name, baseline, dataset, metadata, created_at, state FROM experiments
              WHERE seq < ${before} ORDER BY seq DESC LIMIT ${PAGE_SIZE}`
          ),
        decodeExperiment
      )

    const log = (experimentId: string, results: ReadonlyArray<EvalResult>): Effect.Effect<void, PromptOpsError> =>
      Effect.gen(function*() {
        const operation = "Experiments.log"
        const rows = yield* encodeAll(operation, results, (index) => `results[${index}]`, (columns, result) => ({
          experiment_id: experimentId,
          case_id: result.caseId,
          trial: result.trial,
          input: columns.json(result.input, "input"),
          output: columns.json(result.output, "output"),
          expected: columns.json(result.expected, "expected"),
          scores: columns.json(result.scores, "scores") ?? "{}",
          error: result.error ?? null,
          metadata: columns.json(result.metadata, "metadata") ?? "{}",
          tags: columns.json(result.tags, "tags"),
          duration_ms: result.durationMs,
          usage: columns.json(result.usage, "usage"),
          scorer_usage: columns.json(result.scorerUsage, "scorerUsage"),
          scorer_errors: columns.json(result.scorerErrors, "scorerErrors"),
          trace_id: result.traceId ?? null,
          span_id: result.spanId ?? null
        }))
        const upsert = (chunk: ReadonlyArray<(typeof rows)[number]>) =>
          sql`INSERT INTO results ${sql.insert(chunk)}
            ON CONFLICT (experiment_id, case_id, trial) DO UPDATE SET
              input = excluded.input, output = excluded.output, expected = excluded.expected,
              scores = excluded.scores, error = excluded.error, metadata = excluded.metadata,
              tags = excluded.tags, duration_ms = excluded.duration_ms, usage = excluded.usage,
              scorer_usage = excluded.scorer_usage,
              scorer_errors = excluded.scorer_errors, trace_id = excluded.trace_id, span_id = excluded.span_id`
        if (known.has(experimentId)) return yield* upsertAll(store, operation, rows, upsert)
        yield* store.transaction(
          operation,
          Effect.gen(function*() {
            yield* exists(experimentId, operation, `experiment ${experimentId}`)
            for (const chunk of chunks(rows, INSERT_CHUNK)) yield* upsert(chunk)
          })
        )
        known.add(experimentId)
      })

    const results = (experimentId: string): Stream.Stream<EvalResult, PromptOpsError> =>
      Stream.unwrap(
        Effect.as(
          get(experimentId, "Experiments.results"),
          pages(
            0,
            (after) =>
              store.read(
                "Experiments.results",
                sql<ResultRow>`SELECT seq, case_id, trial, input, output, expected, scores, error, metadata, tags,
                    duration_ms, usage, scorer_usage, scorer_errors, trace_id, span_id
                  FROM results WHERE experiment_id = ${experimentId} AND seq > ${after}
                  ORDER BY seq LIMIT ${PAGE_SIZE}`
              ),
            decodeResult(experimentId)
          )
        )
      )

    const setState = (experimentId: string, state: ExperimentState): Effect.Effect<void, PromptOpsError> =>
      Effect.gen(function*() {
        const operation = "Experiments.setState"
        const text = yield* encode(state, operation, "state")
        const updated = yield* store.autocommit(
          operation,
          sql<{ readonly id: string }>`UPDATE experiments SET state = ${text} WHERE id = ${experimentId} RETURNING id`
        )
        if (updated.length === 0) return yield* Effect.fail(notFound(operation, `experiment ${experimentId}`))
      })

    return Experiments.make({ provider: PROVIDER, create, get: (id) => get(id), list, log, results, setState })
  }
)

/**
 * @since 0.1.0
 */
export const layer: Layer.Layer<Experiments.Experiments, never, LocalStore> = Layer.effect(
  Experiments.Experiments,
  make
)
