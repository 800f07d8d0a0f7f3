/**
 * The queries `promptops view` needs that the neutral services do not offer,
 * answered by SQL on the store so a page stays fast on a large one (100,000
 * spans, 1,000 experiments):
 *
 * - `rootSpans`: the traces list — root spans only, newest first, filtered
 *   by name, kind, error and start time, paged by a keyset cursor (`seq`).
 *   The partial indexes of schema version 4 hold only the roots.
 * - `experiments`: the experiments list — newest first (`Experiments.list`'s
 *   order, by `seq`), optionally the runs of one name, paged by a keyset
 *   cursor (`seq`) instead of reading every experiment.
 * - `trendRuns`: for the experiments of a page, the last runs of each one's
 *   name up to it (the trend), in one statement over `experiments_by_name`.
 * - `experimentStats`: each experiment's result count, errored count and
 *   score means in two grouped statements (the means are `Summary.compute`'s:
 *   the mean of every non-null value of a score).
 * - `promptVersions`: every version and tag of a prompt file.
 *
 * The viewer uses this service when the backend is local and falls back to
 * the neutral services otherwise.
 *
 * @since 0.1.0
 */
import type { Experiment } from "@promptops/core/Experiment"
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import type { SpanRecord } from "@promptops/core/SpanRecord"
import { Context, Effect, Layer, Option } from "effect"
import * as ExperimentRows from "./internal/experimentRows.js"
import { COLUMNS, decode, type SpanRow } from "./internal/spanRows.js"
import { LocalStore } from "./LocalStore.js"
import * as PromptFile from "./PromptFile.js"

/**
 * The filter of `rootSpans`. Times are epoch milliseconds on the span's start.
 *
 * @since 0.1.0
 */
export interface RootSpanFilter {
  /** Only the root spans of this experiment (otherwise: the project logs). */
  readonly experimentId?: string | undefined
  /** Exact span name. */
  readonly name?: string | undefined
  readonly kind?: string | undefined
  /** `true`: only roots with an error; `false`: only roots without. */
  readonly error?: boolean | undefined
  /** Started at or after. */
  readonly from?: number | undefined
  /** Started before. */
  readonly to?: number | undefined
  /** Keyset cursor: only spans stored before this `seq`. */
  readonly before?: number | undefined
  readonly limit: number
}

/**
 * A root span and its place in the store (`seq`, the next page's `before`).
 *
 * @since 0.1.0
 */
export interface RootSpan {
  readonly seq: number
  readonly span: SpanRecord
}

/**
 * The filter of `experiments`.
 *
 * @since 0.1.0
 */
export interface ExperimentFilter {
  /** Only the runs of this name: `name` itself and `name-<n>` (core's `Experiments.isRunOf`). */
  readonly name?: string | undefined
  /** Keyset cursor: only experiments stored before this `seq`. */
  readonly before?: number | undefined
  readonly limit: number
}

/**
 * An experiment and its place in the store (`seq`, the next page's `before`).
 *
 * @since 0.1.0
 */
export interface ExperimentEntry {
  readonly seq: number
  readonly experiment: Experiment
}

/**
 * An experiment's counts and score means.
 *
 * @since 0.1.0
 */
export interface ExperimentStats {
  readonly total: number
  readonly errored: number
  readonly means: Readonly<Record<string, number>>
}

/**
 * @since 0.1.0
 */
export declare namespace LocalView {
  /**
   * @since 0.1.0
   */
  export interface Service {
    readonly rootSpans: (filter: RootSpanFilter) => Effect.Effect<ReadonlyArray<RootSpan>, PromptOpsError>
    /** Experiments newest first (the order of `Experiments.list`). */
    readonly experiments: (filter: ExperimentFilter) => Effect.Effect<ReadonlyArray<ExperimentEntry>, PromptOpsError>
    /**
     * For each id: the ids of the last `depth` experiments of exactly its
     * name stored up to it, oldest first, ending with the id itself. An
     * unknown id is absent from the map.
     */
    readonly trendRuns: (
      ids: ReadonlyArray<string>,
      depth: number
    ) => Effect.Effect<ReadonlyMap<string, ReadonlyArray<string>>, PromptOpsError>
    /** Stats of each id that has results; an id without any is absent from the map. */
    readonly experimentStats: (
      ids: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyMap<string, ExperimentStats>, PromptOpsError>
    /** The prompt's file (every version, its tags), if there is one. */
    readonly promptVersions: (slug: string) => Effect.Effect<Option.Option<PromptFile.PromptFile>, PromptOpsError>
  }
}

/**
 * @since 0.1.0
 */
export class LocalView extends Context.Tag("@promptops/local/LocalView")<LocalView, LocalView.Service>() {}

/**
 * @since 0.1.0
 */
export interface Options {
  /** The prompts directory of the backend. */
  readonly promptsDir: string
}

/**
 * The queries over the store in context.
 *
 * @since 0.1.0
 */
export const make = (options: Options): Effect.Effect<LocalView.Service, never, LocalStore> =>
  Effect.map(LocalStore, (store) => {
    const sql = store.sql
    const rootSpans = (filter: RootSpanFilter): Effect.Effect<ReadonlyArray<RootSpan>, PromptOpsError> =>
      Effect.gen(function*() {
        const where = [
          sql`parent_span_id IS NULL`,
          filter.experimentId === undefined ? sql`experiment_id IS NULL` : sql`experiment_id = ${filter.experimentId}`,
          ...(filter.before !== undefined ? [sql`seq < ${filter.before}`] : []),
          ...(filter.name !== undefined ? [sql`name = ${filter.name}`] : []),
          ...(filter.kind !== undefined ? [sql`kind = ${filter.kind}`] : []),
          ...(filter.error === true ? [sql`error IS NOT NULL`] : filter.error === false ? [sql`error IS NULL`] : []),
          ...(filter.from !== undefined ? [sql`start_time >= ${filter.from}`] : []),
          ...(filter.to !== undefined ? [sql`start_time < ${filter.to}`] : [])
        ]
        const rows = yield* store.read(
          "LocalView.rootSpans",
          sql<SpanRow>`SELECT ${sql.literal(COLUMNS)} FROM spans WHERE ${sql.and(where)}
            ORDER BY seq DESC LIMIT ${filter.limit}`
        )
        const out: Array<RootSpan> = []
        for (const row of rows) out.push({ seq: row.seq, span: yield* decode(row) })
        return out
      })

    const experiments = (filter: ExperimentFilter): Effect.Effect<ReadonlyArray<ExperimentEntry>, PromptOpsError> =>
      Effect.gen(function*() {
        const name = filter.name
        const where = [
          ...(filter.before !== undefined ? [sql`seq < ${filter.before}`] : []),
          // `isRunOf` in SQL: the name, or `name-` and digits. The range (between `name-` and `name.`, the
          // next byte) keeps the prefix on `experiments_by_name`; GLOB checks the rest is only digits.
          ...(name !== undefined
            ? [sql`(name = ${name} OR (name > ${`${name}-`} AND name < ${`${name}.`}
                AND substr(name, length(${name}) + 2) GLOB '[0-9]*'
                AND substr(name, length(${name}) + 2) NOT GLOB '*[^0-9]*'))`]
            : [])
        ]
        const rows = yield* store.read(
          "LocalView.experiments",
          sql<ExperimentRows.ExperimentRow>`SELECT ${sql.literal(ExperimentRows.COLUMNS)} FROM experiments
            WHERE ${sql.and(where)} ORDER BY seq DESC LIMIT ${filter.limit}`
        )
        const out: Array<ExperimentEntry> = []
        for (const row of rows) out.push({ seq: row.seq, experiment: yield* ExperimentRows.decodeExperiment(row) })
        return out
      })

    const trendRuns = (
      ids: ReadonlyArray<string>,
      depth: number
    ): Effect.Effect<ReadonlyMap<string, ReadonlyArray<string>>, PromptOpsError> =>
      Effect.gen(function*() {
        const runs = new Map<string, Array<string>>()
        if (ids.length === 0) return runs
        // Each page row's window: its name's runs from the depth-th before it (the lower `seq`, found
        // through the index) up to it. MATERIALIZED: the window is computed once per page row, not per run.
        const rows = yield* store.read(
          "LocalView.trendRuns",
          sql<{ readonly of_id: string; readonly id: string }>`
            WITH page AS MATERIALIZED (
              SELECT p.id, p.name, p.seq, coalesce((
                SELECT x.seq FROM experiments x WHERE x.name = p.name AND x.seq <= p.seq
                ORDER BY x.seq DESC LIMIT 1 OFFSET ${depth - 1}
              ), 0) AS low
              FROM experiments p WHERE ${sql.in("p.id", ids)}
            )
            SELECT page.id AS of_id, e.id AS id FROM page
            JOIN experiments e ON e.name = page.name AND e.seq >= page.low AND e.seq <= page.seq
            ORDER BY page.seq, e.seq`
        )
        for (const row of rows) {
          const list = runs.get(row.of_id)
          if (list === undefined) runs.set(row.of_id, [row.id])
          else list.push(row.id)
        }
        return runs
      })

    const experimentStats = (
      ids: ReadonlyArray<string>
    ): Effect.Effect<ReadonlyMap<string, ExperimentStats>, PromptOpsError> =>
      Effect.gen(function*() {
        const stats = new Map<string, { total: number; errored: number; means: Record<string, number> }>()
        if (ids.length === 0) return stats
        const [counts, means] = yield* store.read(
          "LocalView.experimentStats",
          Effect.all([
            sql<{ readonly experiment_id: string; readonly total: number; readonly errored: number }>`
              SELECT experiment_id, count(*) AS total, sum(error IS NOT NULL) AS errored
              FROM results WHERE ${sql.in("experiment_id", ids)} GROUP BY experiment_id`,
            // json_each over the scores object: a null (skipped) score has type 'null' and is left out, as in Summary.
            sql<{ readonly experiment_id: string; readonly name: string; readonly mean: number }>`
              SELECT r.experiment_id AS experiment_id, j.key AS name, avg(j.value) AS mean
              FROM results r, json_each(r.scores) j
              WHERE ${sql.in("r.experiment_id", ids)} AND j.type IN ('integer', 'real')
              GROUP BY r.experiment_id, j.key`
          ])
        )
        for (const row of counts) {
          stats.set(row.experiment_id, { total: Number(row.total), errored: Number(row.errored), means: {} })
        }
        for (const row of means) {
          const entry = stats.get(row.experiment_id)
          if (entry !== undefined) entry.means[row.name] = Number(row.mean)
        }
        return stats
      })

    return {
      rootSpans,
      experiments,
      trendRuns,
      experimentStats,
      promptVersions: (slug) => PromptFile.read(options.promptsDir, slug)
    }
  })

/**
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<LocalView, never, LocalStore> =>
  Layer.effect(LocalView, make(options))
