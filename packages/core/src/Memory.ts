/**
 * The `memory` backend: every neutral service held in process memory. It is the
 * reference implementation of the service contracts, the backend of unit tests,
 * and `PROMPTOPS_PROVIDER=memory`.
 *
 * State lives in plain Maps mutated inside `Effect.sync`: JavaScript runs one
 * fiber step at a time, so each operation is atomic without locks.
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, Layer, Option, Stream } from "effect"
import type { Dataset, DatasetRecord, DatasetRecordInput } from "./Dataset.js"
import * as Datasets from "./Datasets.js"
import type { EvalResult, Experiment } from "./Experiment.js"
import * as Experiments from "./Experiments.js"
import * as Feedback from "./Feedback.js"
import * as Ids from "./Ids.js"
import type { Prompt, PromptDraft, PromptSummary } from "./Prompt.js"
import { invalidInput, NotFound, type PromptOpsError } from "./PromptOpsError.js"
import * as PromptRegistry from "./PromptRegistry.js"
import * as Prompts from "./Prompts.js"
import type { SpanRecord } from "./SpanRecord.js"
import * as SpanSink from "./SpanSink.js"
import * as TraceReader from "./TraceReader.js"

const PROVIDER = "memory"

/**
 * Everything the memory backend holds, for tests to inspect.
 *
 * @since 0.1.0
 */
export interface State {
  /** Every version of every prompt, oldest first. */
  readonly prompts: Map<string, Array<Prompt>>
  /** slug → tag → version. */
  readonly tags: Map<string, Map<string, string>>
  readonly datasets: Map<string, { readonly dataset: Dataset; readonly records: Map<string, DatasetRecord> }>
  readonly experiments: Map<string, { readonly experiment: Experiment; readonly results: Map<string, EvalResult> }>
  /** Exported spans by span id (a re-export replaces, so retries never duplicate). */
  readonly spans: Map<string, SpanRecord>
  /** Feedback by id, in arrival order. */
  readonly feedback: Map<string, Feedback.FeedbackItem & { readonly id: string }>
  /** Number of `SpanSink.export` calls, and their sizes. */
  readonly exportBatches: Array<number>
}

/**
 * @since 0.1.0
 */
export class MemoryState extends Context.Tag("@promptops/core/MemoryState")<MemoryState, State>() {}

/**
 * @since 0.1.0
 */
export interface Options {
  /** Prompts to start with; each draft becomes version 1 (and moves its tag). */
  readonly prompts?: ReadonlyArray<PromptDraft> | undefined
  /** Datasets to start with, by name. */
  readonly datasets?: Readonly<Record<string, ReadonlyArray<DatasetRecordInput>>> | undefined
  /** Experiment ids `exp-1`, `exp-2`, … instead of UUIDs, for snapshot-friendly tests. */
  readonly deterministicIds?: boolean | undefined
  /** Limits the memory `SpanSink` advertises to the tracing pipeline. */
  readonly spanLimits?: Partial<SpanSink.Limits> | undefined
}

/**
 * A fresh, empty state.
 *
 * @since 0.1.0
 */
export const makeState = (): State => ({
  prompts: new Map(),
  tags: new Map(),
  datasets: new Map(),
  experiments: new Map(),
  spans: new Map(),
  feedback: new Map(),
  exportBatches: []
})

const notFound = (operation: string, resource: string): NotFound =>
  new NotFound({ provider: PROVIDER, operation, description: `${resource} does not exist`, resource, status: 404 })

const resultKey = (result: EvalResult): string => `${result.caseId}\u0000${result.trial}`

const pushPrompt = (state: State, draft: PromptDraft): Prompt => {
  const versions = state.prompts.get(draft.slug) ?? []
  const version = String(versions.length + 1)
  const { tags: draftTags, ...rest } = draft
  const prompt: Prompt = {
    ...rest,
    version,
    source: { provider: PROVIDER, id: `${draft.slug}@${version}` }
  }
  versions.push(prompt)
  state.prompts.set(draft.slug, versions)
  for (const tag of [...(draft.tag !== undefined ? [draft.tag] : []), ...(draftTags ?? [])]) {
    const tags = state.tags.get(draft.slug) ?? new Map<string, string>()
    tags.set(tag, version)
    state.tags.set(draft.slug, tags)
  }
  return prompt
}

const ensureDataset = (state: State, name: string) => {
  let entry = state.datasets.get(name)
  if (entry === undefined) {
    entry = { dataset: { id: `dataset-${name}`, name, source: { provider: PROVIDER } }, records: new Map() }
    state.datasets.set(name, entry)
  }
  return entry
}

/**
 * Builds every service over one state.
 *
 * @since 0.1.0
 */
export const makeServices = (state: State, options: Options = {}): {
  readonly prompts: Prompts.Prompts.Service
  readonly registry: PromptRegistry.PromptRegistry.Service
  readonly datasets: Datasets.Datasets.Service
  readonly experiments: Experiments.Experiments.Service
  readonly spanSink: SpanSink.SpanSink.Service
  readonly feedback: Feedback.Feedback.Service
  readonly traceReader: TraceReader.TraceReader.Service
} => {
  let experimentCounter = 0
  const getPrompt = (slug: string, request: Prompts.GetOptions): Effect.Effect<Prompt, NotFound> =>
    Effect.suspend(() => {
      const versions = state.prompts.get(slug)
      if (versions === undefined || versions.length === 0) {
        return Effect.fail(notFound("Prompts.get", `prompt "${slug}"`))
      }
      if (request.version !== undefined) {
        const found = versions.find((prompt) => prompt.version === request.version)
        return found === undefined
          ? Effect.fail(notFound("Prompts.get", `prompt "${slug}" version ${request.version}`))
          : Effect.succeed(found)
      }
      if (request.tag !== undefined) {
        const version = state.tags.get(slug)?.get(request.tag)
        const found = version === undefined ? undefined : versions.find((prompt) => prompt.version === version)
        return found === undefined
          ? Effect.fail(notFound("Prompts.get", `prompt "${slug}" tag "${request.tag}"`))
          : Effect.succeed({ ...found, tag: request.tag })
      }
      return Effect.succeed(versions[versions.length - 1]!)
    })

  const getExperiment = (id: string) =>
    Effect.suspend(() => {
      const entry = state.experiments.get(id)
      return entry === undefined
        ? Effect.fail(notFound("Experiments.get", `experiment ${id}`))
        : Effect.succeed(entry)
    })

  return {
    prompts: Prompts.make({
      provider: PROVIDER,
      get: getPrompt,
      list: () =>
        Stream.suspend(() =>
          Stream.fromIterable(
            [...state.prompts.values()].flatMap((versions): Array<PromptSummary> => {
              const latest = versions[versions.length - 1]
              if (latest === undefined) return []
              const tags = [...(state.tags.get(latest.slug)?.keys() ?? [])]
              return [{
                slug: latest.slug,
                version: latest.version,
                ...(latest.name !== undefined ? { name: latest.name } : {}),
                ...(latest.description !== undefined ? { description: latest.description } : {}),
                ...(tags.length > 0 ? { tags } : {}),
                source: latest.source
              }]
            })
          )
        )
    }),
    registry: PromptRegistry.make({
      provider: PROVIDER,
      push: (draft) => Effect.sync(() => pushPrompt(state, draft)),
      delete: (slug) =>
        Effect.suspend(() => {
          if (!state.prompts.delete(slug)) return Effect.fail(notFound("PromptRegistry.delete", `prompt "${slug}"`))
          state.tags.delete(slug)
          return Effect.void
        })
    }),
    datasets: Datasets.make({
      provider: PROVIDER,
      list: () => Stream.suspend(() => Stream.fromIterable([...state.datasets.values()].map((entry) => entry.dataset))),
      records: (name) =>
        Stream.suspend(() => {
          const entry = state.datasets.get(name)
          return entry === undefined
            ? Stream.fail(notFound("Datasets.records", `dataset "${name}"`))
            : Stream.fromIterable([...entry.records.values()])
        }),
      insert: (name, records) =>
        Effect.sync(() => {
          const entry = ensureDataset(state, name)
          for (const record of records) entry.records.set(record.id, record)
        })
    }),
    experiments: Experiments.make({
      provider: PROVIDER,
      create: (request) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          if (request.baseline !== undefined && !state.experiments.has(request.baseline)) {
            return yield* Effect.fail(notFound("Experiments.create", `baseline experiment ${request.baseline}`))
          }
          const id = options.deterministicIds === true ? `exp-${++experimentCounter}` : Ids.uuid()
          const experiment: Experiment = {
            id,
            name: request.name,
            createdAt: now,
            ...(request.baseline !== undefined ? { baseline: request.baseline } : {}),
            ...(request.dataset !== undefined ? { dataset: request.dataset } : {}),
            ...(request.metadata !== undefined ? { metadata: request.metadata } : {}),
            source: { provider: PROVIDER }
          }
          state.experiments.set(id, { experiment, results: new Map() })
          return experiment
        }),
      get: (id) => Effect.map(getExperiment(id), (entry) => entry.experiment),
      list: () =>
        Stream.suspend(() =>
          Stream.fromIterable(
            // Insertion order is creation order; newest first like the vendors.
            [...state.experiments.values()].map((entry) => entry.experiment).reverse()
          )
        ),
      log: (experimentId, results) =>
        Effect.map(getExperiment(experimentId), (entry) => {
          for (const result of results) entry.results.set(resultKey(result), result)
        }),
      results: (experimentId) =>
        Stream.unwrap(Effect.map(getExperiment(experimentId), (entry) => Stream.fromIterable([...entry.results.values()]))),
      setState: (experimentId, experimentState) =>
        Effect.map(getExperiment(experimentId), (entry) => {
          state.experiments.set(experimentId, { ...entry, experiment: { ...entry.experiment, state: experimentState } })
        }),
      providerSummary: () => Effect.succeed(Option.none())
    }),
    spanSink: SpanSink.make({
      provider: PROVIDER,
      limits: options.spanLimits,
      export: (batch) =>
        Effect.sync(() => {
          state.exportBatches.push(batch.length)
          for (const record of batch) state.spans.set(record.spanId, record)
        })
    }),
    feedback: Feedback.make({
      provider: PROVIDER,
      log: (items) =>
        Effect.sync(() => {
          for (const item of items) state.feedback.set(item.id, item)
        })
    }),
    traceReader: TraceReader.make({
      provider: PROVIDER,
      // The cursor is a position in export order; a re-export keeps its place.
      read: (options) => {
        const start = options.after === undefined ? 0 : Number(options.after)
        if (!Number.isSafeInteger(start) || start < 0) {
          return Effect.fail(invalidInput({
            provider: PROVIDER,
            operation: "TraceReader.read",
            path: "after",
            description: `is not a cursor this backend returned: ${JSON.stringify(options.after)}`
          }))
        }
        const wanted = (span: SpanRecord): boolean =>
          TraceReader.matchesTrace(options, span.traceId) &&
          (span.destination._tag === "Experiment" ? span.destination.experimentId : undefined) === options.experimentId
        return Effect.sync(() => {
          const all = [...state.spans.values()]
          const spans: Array<SpanRecord> = []
          if (options.order === "newest") {
            // From the end back to the cursor; the cursor returned is past the newest match.
            let cursor: string | undefined
            for (let position = all.length - 1; position >= start && spans.length < options.limit; position--) {
              const span = all[position]!
              if (!wanted(span)) continue
              cursor ??= String(position + 1)
              spans.push(span)
            }
            return { spans, cursor: cursor ?? options.after }
          }
          let position = start
          for (; position < all.length && spans.length < options.limit; position++) {
            const span = all[position]!
            if (wanted(span)) spans.push(span)
          }
          return { spans, cursor: String(position) }
        })
      }
    })
  }
}

/**
 * Every neutral service in memory, plus `MemoryState` for inspection.
 *
 * @since 0.1.0
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  | Prompts.Prompts
  | PromptRegistry.PromptRegistry
  | Datasets.Datasets
  | Experiments.Experiments
  | SpanSink.SpanSink
  | Feedback.Feedback
  | TraceReader.TraceReader
  | MemoryState,
  PromptOpsError
> =>
  Layer.effectContext(
    Effect.gen(function*() {
      const state = makeState()
      const services = makeServices(state, options)
      for (const draft of options.prompts ?? []) yield* services.registry.push(draft)
      for (const [name, records] of Object.entries(options.datasets ?? {})) {
        yield* services.datasets.insert(name, records)
      }
      return Context.make(MemoryState, state).pipe(
        Context.add(Prompts.Prompts, services.prompts),
        Context.add(PromptRegistry.PromptRegistry, services.registry),
        Context.add(Datasets.Datasets, services.datasets),
        Context.add(Experiments.Experiments, services.experiments),
        Context.add(SpanSink.SpanSink, services.spanSink),
        Context.add(Feedback.Feedback, services.feedback),
        Context.add(TraceReader.TraceReader, services.traceReader)
      )
    })
  )
