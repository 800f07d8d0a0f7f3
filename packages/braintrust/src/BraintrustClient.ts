/**
 * The Braintrust REST client: every endpoint this package uses, over the
 * shared `ProviderHttp` plumbing of core (base URL rule, bearer auth with a
 * `Redacted` key, timeout, retries honouring `Retry-After`, and the mapping of
 * statuses and Braintrust error bodies into `PromptOpsError`s).
 *
 * ```ts
 * const client = BraintrustClient.layerConfig({
 *   apiKey: Config.redacted("BRAINTRUST_API_KEY"),
 *   project: Config.string("BRAINTRUST_PROJECT")
 * })
 * ```
 *
 * Writes are safe to retry: rows get client-side ids before the first attempt
 * (a re-sent row replaces itself), `POST` creates are get-or-create, and the
 * calls a retry could repeat (a new experiment with `ensure_new`, eval launch,
 * invoke, feedback carrying a comment) are sent once.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Ids from "@promptops/core/Ids"
import { DecodeError, invalidInput, type InvalidInput, NotFound, type PromptOpsError } from "@promptops/core/PromptOpsError"
import * as ProviderHttp from "@promptops/core/ProviderHttp"
import type * as RetryPolicy from "@promptops/core/RetryPolicy"
import {
  Chunk,
  Config,
  type ConfigError,
  Context,
  Duration,
  Effect,
  Layer,
  Option,
  ParseResult,
  type Redacted,
  Schema,
  Stream
} from "effect"
import {
  EvalStart,
  InvokeRequest,
  RunEval,
  type StreamEvent
} from "./BraintrustEvalSchema.js"
import {
  CreateDataset,
  CreateEnvironment,
  CreateExperiment,
  CreateFunction,
  CreatePrompt,
  CreateProject,
  CrossObjectInsertRequest,
  CrossObjectInsertResponse,
  Dataset,
  DatasetEvent,
  Environment,
  Experiment,
  ExperimentEvent,
  FeedbackDatasetItem,
  FeedbackItem,
  FeedbackResponse,
  FetchEventsRequest,
  FetchEventsResponse,
  type FetchPage,
  FunctionFeedbackItem,
  FunctionObject,
  InsertDatasetEvent,
  InsertEventsResponse,
  InsertExperimentEvent,
  InsertProjectLogsEvent,
  isObjectId,
  ListDatasetsQuery,
  ListEnvironmentsQuery,
  ListExperimentsQuery,
  ListFunctionsQuery,
  ListProjectsQuery,
  ListPromptsQuery,
  ListResponse,
  ObjectReference,
  PatchEnvironment,
  PatchFunction,
  PatchPrompt,
  Project,
  ProjectLogsEvent,
  Prompt,
  SummarizeDatasetQuery,
  SummarizeDatasetResponse,
  SummarizeExperimentQuery,
  SummarizeExperimentResponse,
  VersionQuery
} from "./BraintrustSchema.js"
import * as BraintrustVersion from "./BraintrustVersion.js"
import * as Sse from "./internal/sse.js"

/**
 * The provider name every error from this package carries.
 *
 * @since 0.1.0
 */
export const provider = "braintrust"

/**
 * The US data plane. The EU one is `https://api-eu.braintrust.dev`.
 *
 * @since 0.1.0
 */
export const defaultApiUrl = "https://api.braintrust.dev"

/**
 * The page size of list streams when the query sets no `limit`.
 *
 * @since 0.1.0
 */
export const defaultPageSize = 100

/**
 * Traces per page of `fetchAll` when the request sets no `limit`.
 *
 * @since 0.1.0
 */
export const defaultFetchLimit = 1000

/**
 * How long `eval.launch` waits for the summary when neither the call nor the
 * body's `timeout` says: the server runs the whole eval before answering.
 *
 * @since 0.1.0
 */
export const defaultEvalTimeout: Duration.Duration = Duration.minutes(10)

/**
 * @since 0.1.0
 */
export interface Options {
  readonly apiKey: Redacted.Redacted
  /** Default `https://api.braintrust.dev`; the EU data plane, a self-hosted one, or an emulator. */
  readonly apiUrl?: string | undefined
  /** Sent as `x-bt-org-name`, for credentials that belong to several organisations. */
  readonly orgName?: string | undefined
  /** The project the neutral layers use, get-or-created on first use. */
  readonly project?: string | undefined
  /** Per attempt, up to the response headers. Default 30 s. */
  readonly timeout?: Duration.DurationInput | undefined
  /** One call's total over all its attempts (`ProviderHttp.Options.deadline`); `false` for none. Default 10 s. */
  readonly deadline?: Duration.DurationInput | false | undefined
  /** Default `RetryPolicy.defaults`; `false` for one attempt per call. */
  readonly retry?: RetryPolicy.RetryOptions | false | undefined
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/**
 * Options of the cross-object insert.
 *
 * @since 0.1.0
 */
export interface InsertOptions {
  /**
   * The rows are already in wire form, built by promptops itself from
   * sanitised records (the span sink): skip the schema pass over the body,
   * which was the largest client cost per exported span. Caller input should
   * never set it.
   */
  readonly prevalidated?: boolean | undefined
}

/**
 * Per-call options of the long-running calls (invoke, eval launch).
 *
 * @since 0.1.0
 */
export interface CallOptions {
  /** Overrides the per-attempt timeout for this call. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 */
export interface ProjectsApi {
  /** Get-or-create by name: an existing project comes back unmodified. */
  readonly create: (
    body: CreateProject
  ) => Effect.Effect<{ readonly project: Project; readonly foundExisting: boolean }, PromptOpsError>
  readonly get: (projectId: string) => Effect.Effect<Project, PromptOpsError>
  /** One page, newest first. */
  readonly list: (query?: ListProjectsQuery) => Effect.Effect<ReadonlyArray<Project>, PromptOpsError>
  /**
   * Every page, lazily, `limit` (default 100) per request. Without
   * `ending_before` it walks from `starting_after` (or the newest) toward
   * older objects; with `ending_before` it walks from that cursor toward
   * newer ones, each page emitted oldest first. It stops at a short page.
   */
  readonly stream: (query?: ListProjectsQuery) => Stream.Stream<Project, PromptOpsError>
}

/**
 * @since 0.1.0
 */
export interface PromptsApi {
  /** One page; by slug with `project_id`/`project_name` + `slug` (+ `version` or `environment`). */
  readonly list: (query?: ListPromptsQuery) => Effect.Effect<ReadonlyArray<Prompt>, PromptOpsError>
  /** Every page, lazily; the direction follows the cursor, as for `projects.stream`. */
  readonly stream: (query?: ListPromptsQuery) => Stream.Stream<Prompt, PromptOpsError>
  readonly get: (promptId: string, query?: VersionQuery) => Effect.Effect<Prompt, PromptOpsError>
  /** `POST`: get-or-create by slug; an existing prompt comes back unmodified. */
  readonly create: (
    body: CreatePrompt
  ) => Effect.Effect<{ readonly prompt: Prompt; readonly foundExisting: boolean }, PromptOpsError>
  /** `PUT`: create, or replace the prompt with that slug (a new version). */
  readonly replace: (
    body: CreatePrompt
  ) => Effect.Effect<{ readonly prompt: Prompt; readonly foundExisting: boolean }, PromptOpsError>
  /** `PATCH`: deep merge; nothing can be removed or nulled. */
  readonly update: (promptId: string, body: PatchPrompt) => Effect.Effect<Prompt, PromptOpsError>
  readonly delete: (promptId: string) => Effect.Effect<Prompt, PromptOpsError>
}

/**
 * `/environment` (the OpenAPI file serves it without the `/v1` prefix):
 * organisation-level environments. A prompt version is put in an
 * environment with `environment_slugs` on `prompts.replace` / `create`, and
 * read back with `environment` on `prompts.list` / `get`.
 *
 * @since 0.1.0
 */
export interface EnvironmentsApi {
  /** Every environment, newest first (the API does not page this list); `name` filters by name, not slug. */
  readonly list: (query?: ListEnvironmentsQuery) => Effect.Effect<ReadonlyArray<Environment>, PromptOpsError>
  /** Creates an environment. Not get-or-create: a slug already in use is a `BadRequest`. */
  readonly create: (body: CreateEnvironment) => Effect.Effect<Environment, PromptOpsError>
  readonly get: (environmentId: string) => Effect.Effect<Environment, PromptOpsError>
  /** `PATCH`: deep merge; nothing can be nulled. */
  readonly update: (environmentId: string, body: PatchEnvironment) => Effect.Effect<Environment, PromptOpsError>
  readonly delete: (environmentId: string) => Effect.Effect<Environment, PromptOpsError>
}

/**
 * `/v1/function`, as seed 001 documents it.
 *
 * @since 0.1.0
 */
export interface FunctionsApi {
  readonly list: (query?: ListFunctionsQuery) => Effect.Effect<ReadonlyArray<FunctionObject>, PromptOpsError>
  /** Every page, lazily; the direction follows the cursor, as for `projects.stream`. */
  readonly stream: (query?: ListFunctionsQuery) => Stream.Stream<FunctionObject, PromptOpsError>
  /** `POST`: get-or-create by slug; `foundExisting` when the function came back unmodified. */
  readonly create: (
    body: CreateFunction
  ) => Effect.Effect<{ readonly function: FunctionObject; readonly foundExisting: boolean }, PromptOpsError>
  /** `PUT`: create, or replace the function with that slug. */
  readonly replace: (
    body: CreateFunction
  ) => Effect.Effect<{ readonly function: FunctionObject; readonly foundExisting: boolean }, PromptOpsError>
  readonly get: (functionId: string, query?: VersionQuery) => Effect.Effect<FunctionObject, PromptOpsError>
  /** `PATCH`: deep merge; nothing can be removed or nulled. */
  readonly update: (functionId: string, body: PatchFunction) => Effect.Effect<FunctionObject, PromptOpsError>
  readonly delete: (functionId: string) => Effect.Effect<FunctionObject, PromptOpsError>
  /** `POST /v1/function/{id}/feedback`, as seed 001 documents it. */
  readonly feedback: (
    functionId: string,
    items: ReadonlyArray<FunctionFeedbackItem>
  ) => Effect.Effect<void, PromptOpsError>
  /** Runs the function and returns its output (any JSON). Sent once: it may have side effects. */
  readonly invoke: (
    functionId: string,
    request: InvokeRequest,
    options?: CallOptions
  ) => Effect.Effect<unknown, PromptOpsError>
  /** Runs the function with `stream: true`: its Server-Sent Events, as they arrive. */
  readonly invokeStream: (
    functionId: string,
    request: InvokeRequest,
    options?: CallOptions
  ) => Stream.Stream<StreamEvent, PromptOpsError>
}

/**
 * The row operations experiments, datasets and project logs share.
 *
 * @since 0.1.0
 */
export interface EventsApi<Insert, Event, Feedback> {
  /**
   * Inserts rows; rows without an `id` get a UUID first, so a retry replaces
   * rather than duplicates. Returns the row ids in input order.
   */
  readonly insert: (objectId: string, events: ReadonlyArray<Insert>) => Effect.Effect<ReadonlyArray<string>, PromptOpsError>
  /** One page (`POST …/fetch`), newest transactions first. */
  readonly fetch: (objectId: string, request?: FetchEventsRequest) => Effect.Effect<FetchPage<Event>, PromptOpsError>
  /**
   * Every page, following `cursor`, each row once: the version with the
   * highest `_xact_id` (compared as `bigint`), in order of first appearance.
   */
  readonly fetchAll: (objectId: string, request?: FetchEventsRequest) => Effect.Effect<ReadonlyArray<Event>, PromptOpsError>
  readonly feedback: (objectId: string, items: ReadonlyArray<Feedback>) => Effect.Effect<FeedbackResponse, PromptOpsError>
}

/**
 * @since 0.1.0
 */
export interface ExperimentsApi extends EventsApi<InsertExperimentEvent, ExperimentEvent, FeedbackItem> {
  /**
   * Get-or-create by name; with `ensure_new: true` a conflicting name gets a
   * unique suffix instead (then the call is sent once, never retried).
   */
  readonly create: (
    body: CreateExperiment
  ) => Effect.Effect<{ readonly experiment: Experiment; readonly foundExisting: boolean }, PromptOpsError>
  readonly get: (experimentId: string) => Effect.Effect<Experiment, PromptOpsError>
  readonly list: (query?: ListExperimentsQuery) => Effect.Effect<ReadonlyArray<Experiment>, PromptOpsError>
  /** Every page, lazily; the direction follows the cursor, as for `projects.stream`. */
  readonly stream: (query?: ListExperimentsQuery) => Stream.Stream<Experiment, PromptOpsError>
  /** Pass `summarize_scores: true` for scores and metrics; diffs are against `comparison_experiment_id`. */
  readonly summarize: (
    experimentId: string,
    query?: SummarizeExperimentQuery
  ) => Effect.Effect<SummarizeExperimentResponse, PromptOpsError>
}

/**
 * @since 0.1.0
 */
export interface DatasetsApi extends EventsApi<InsertDatasetEvent, DatasetEvent, FeedbackDatasetItem> {
  /** Get-or-create by name within the project. */
  readonly create: (
    body: CreateDataset
  ) => Effect.Effect<{ readonly dataset: Dataset; readonly foundExisting: boolean }, PromptOpsError>
  readonly get: (datasetId: string) => Effect.Effect<Dataset, PromptOpsError>
  readonly list: (query?: ListDatasetsQuery) => Effect.Effect<ReadonlyArray<Dataset>, PromptOpsError>
  /** Every page, lazily; the direction follows the cursor, as for `projects.stream`. */
  readonly stream: (query?: ListDatasetsQuery) => Stream.Stream<Dataset, PromptOpsError>
  readonly summarize: (
    datasetId: string,
    query?: SummarizeDatasetQuery
  ) => Effect.Effect<SummarizeDatasetResponse, PromptOpsError>
}

/**
 * `/v1/project_logs/{project_id}/…`: the object id is the project id.
 *
 * @since 0.1.0
 */
export interface ProjectLogsApi extends EventsApi<InsertProjectLogsEvent, ProjectLogsEvent, FeedbackItem> {}

/**
 * `POST /v1/eval`, as seed 002 documents it.
 *
 * @since 0.1.0
 */
export interface EvalApi {
  /**
   * Runs the eval on the server and returns its summary. Sent once. Waits up
   * to `options.timeout`, else the body's `timeout` + 30 s, else 10 minutes.
   */
  readonly launch: (body: RunEval, options?: CallOptions) => Effect.Effect<SummarizeExperimentResponse, PromptOpsError>
  /** The same with `stream: true`: `Start`, progress, `Summary`, `Done`. */
  readonly launchStream: (body: RunEval, options?: CallOptions) => Stream.Stream<StreamEvent, PromptOpsError>
}

/**
 * @since 0.1.0
 */
export declare namespace BraintrustClient {
  /**
   * @since 0.1.0
   */
  export interface Service {
    /** The shared plumbing, for a request this client does not describe. */
    readonly http: ProviderHttp.ProviderHttp
    readonly apiUrl: string
    readonly orgName: string | undefined
    /** The configured default project name. */
    readonly project: string | undefined
    /**
     * The project named `name` (default: the configured one), get-or-created
     * on first use and cached for the life of this client. For writes only
     * (push, insert, create, log, export): reads use `findProject`.
     */
    readonly resolveProject: (name?: string) => Effect.Effect<Project, PromptOpsError>
    /**
     * The project named `name` (default: the configured one), looked up with
     * a read (`GET /v1/project?project_name=…`) and cached once found. Never
     * creates it: a missing project is `NotFound` naming it, so a mistyped
     * name fails a read instead of silently making a project.
     */
    readonly findProject: (name?: string) => Effect.Effect<Project, PromptOpsError>
    readonly projects: ProjectsApi
    readonly prompts: PromptsApi
    readonly environments: EnvironmentsApi
    readonly functions: FunctionsApi
    readonly experiments: ExperimentsApi
    readonly datasets: DatasetsApi
    readonly projectLogs: ProjectLogsApi
    /** `POST /v1/insert`: rows and feedback for several objects at once. Rows get ids first. */
    readonly insert: (
      request: CrossObjectInsertRequest,
      options?: InsertOptions
    ) => Effect.Effect<CrossObjectInsertResponse, PromptOpsError>
    readonly eval: EvalApi
    /**
     * The reference to row `rowId` of dataset `datasetId` as this client last
     * read it with `datasets.fetchAll` (`object_type: "dataset"`, the row's
     * `id`, `_xact_id` and `created`), or `undefined` when it has not read
     * that row. Experiment rows made from dataset rows carry it as `origin`,
     * as the Braintrust SDK's `Eval` sets it, without reading the rows again.
     */
    readonly datasetRowOrigin: (datasetId: string, rowId: string) => typeof ObjectReference.Type | undefined
  }
}

/**
 * @since 0.1.0
 */
export class BraintrustClient extends Context.Tag("@promptops/braintrust/BraintrustClient")<
  BraintrustClient,
  BraintrustClient.Service
>() {}

// -----------------------------------------------------------------------------
// Helpers
// -----------------------------------------------------------------------------

const opName = (method: string): string => `BraintrustClient.${method}`

const fail = (operation: string, path: string, description: string): Effect.Effect<never, InvalidInput> =>
  Effect.fail(invalidInput({ provider, operation: opName(operation), path, description }))

const fromParseError = (operation: string, root: string, error: ParseResult.ParseError): InvalidInput => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  const path = ProviderHttp.formatPath([root, ...(issue?.path ?? [])])
  return invalidInput({ provider, operation: opName(operation), path, description: issue?.message ?? error.message })
}

/** Validates `value` against `schema` and returns its JSON form. */
const encode = <A, I>(
  operation: string,
  root: string,
  schema: Schema.Schema<A, I>,
  value: A
): Effect.Effect<I, InvalidInput> =>
  Effect.mapError(Schema.encodeUnknown(schema)(value), (error) => fromParseError(operation, root, error))

const objectId = (operation: string, path: string, id: string): Effect.Effect<string, InvalidInput> =>
  typeof id === "string" && isObjectId(id)
    ? Effect.succeed(id)
    : fail(operation, path, `${path} must be a Braintrust object id (a UUID), got ${JSON.stringify(id)}`)

const withBody = (
  operation: string,
  request: HttpClientRequest.HttpClientRequest,
  body: unknown
): Effect.Effect<HttpClientRequest.HttpClientRequest, InvalidInput> =>
  Effect.mapError(HttpClientRequest.bodyJson(request, body), () =>
    invalidInput({
      provider,
      operation: opName(operation),
      path: "body",
      description: "the body cannot be written as JSON (a BigInt, or a circular structure?)"
    }))

type QueryValue = string | number | boolean | ReadonlyArray<string> | undefined

/** Query parameters in order; arrays become repeated parameters (`ids=a&ids=b`). */
const urlParams = (query: Readonly<Record<string, QueryValue>>): Array<[string, string]> => {
  const params: Array<[string, string]> = []
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const item of value) params.push([key, String(item)])
    else params.push([key, String(value)])
  }
  return params
}

/**
 * The query parameters the OpenAPI file declares `format: uuid` on the
 * endpoints this client calls (`ids` may repeat). The API answers 400 to any
 * other string, so they are checked like path ids before a request is made.
 */
const uuidQueryParameters = ["starting_after", "ending_before", "ids", "project_id", "comparison_experiment_id"] as const

/** Validates a query and normalises its `version` to a transaction id. */
const readQuery = <A extends Readonly<Record<string, QueryValue>>, I>(
  operation: string,
  schema: Schema.Schema<A, I>,
  query: A | undefined
): Effect.Effect<A, InvalidInput> =>
  Effect.gen(function*() {
    const value = yield* Effect.mapError(
      Schema.decodeUnknown(schema)(query ?? {}),
      (error) => fromParseError(operation, "query", error)
    )
    const record = value as Readonly<Record<string, QueryValue>>
    for (const key of uuidQueryParameters) {
      const given = record[key]
      if (Array.isArray(given)) {
        for (const [index, id] of given.entries()) yield* objectId(operation, `query.${key}[${index}]`, id)
      } else if (typeof given === "string") yield* objectId(operation, `query.${key}`, given)
    }
    if (record["starting_after"] !== undefined && record["ending_before"] !== undefined) {
      return yield* fail(operation, "query", "pass at most one of starting_after and ending_before")
    }
    if (record["version"] !== undefined && record["environment"] !== undefined) {
      return yield* fail(operation, "query", "pass at most one of version and environment")
    }
    if (typeof record["version"] === "string") {
      const version = yield* BraintrustVersion.toTransactionId(record["version"], {
        operation: opName(operation),
        path: "query.version"
      })
      return { ...value, version } as A
    }
    return value
  })

/** Rows without an id get a UUID before the first attempt, so a retry never duplicates them. */
const withRowIds = <A extends { readonly id?: string | null | undefined }>(events: ReadonlyArray<A>): Array<A> =>
  events.map((event) => (typeof event.id === "string" && event.id !== "" ? event : { ...event, id: Ids.uuid() }))

const isFoundExisting = (headers: Readonly<Record<string, string>>): boolean => {
  const value = headers["x-bt-found-existing"]
  return value !== undefined && value !== "false" && value !== "0"
}

/**
 * Walks list pages as a stream. With `ending_before` the walk goes toward
 * newer objects (each page is emitted oldest first, so the stream moves away
 * from the cursor); otherwise it starts at `starting_after` (or the newest)
 * and goes toward older ones. It stops at a page shorter than the page size.
 */
const walkPages = <A extends { readonly id: string }>(
  query: { readonly limit?: number | undefined; readonly starting_after?: string | undefined; readonly ending_before?: string | undefined },
  fetchPage: (cursor: { readonly starting_after?: string; readonly ending_before?: string }, limit: number) => Effect.Effect<ReadonlyArray<A>, PromptOpsError>
): Stream.Stream<A, PromptOpsError> => {
  const limit = query.limit ?? defaultPageSize
  const backward = query.ending_before !== undefined
  return Stream.paginateChunkEffect(
    backward ? query.ending_before : query.starting_after,
    (cursor: string | undefined) =>
      Effect.map(
        fetchPage(
          cursor === undefined ? {} : backward ? { ending_before: cursor } : { starting_after: cursor },
          limit
        ),
        (page) => {
          const edge = backward ? page[0] : page[page.length - 1]
          const next = page.length === 0 || page.length < limit || edge === undefined || edge.id === cursor
            ? Option.none<string | undefined>()
            : Option.some<string | undefined>(edge.id)
          return [Chunk.fromIterable(backward ? [...page].reverse() : page), next] as const
        }
      )
  )
}

/**
 * Keeps one version of each row: the one with the highest `_xact_id`,
 * compared as `bigint` (never as a JS number), at the position where the row
 * first appeared.
 *
 * @since 0.1.0
 */
export const latestVersions = <A extends { readonly id: string; readonly _xact_id: string }>(
  events: Iterable<A>
): Array<A> => {
  const byId = new Map<string, A>()
  for (const event of events) {
    const previous = byId.get(event.id)
    if (previous === undefined || BraintrustVersion.compare(event._xact_id, previous._xact_id) > 0) {
      // Re-setting an existing key keeps its place in the Map's order.
      byId.set(event.id, event)
    }
  }
  return [...byId.values()]
}

const jsonOr = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const textOf = (data: string): string => {
  const parsed = jsonOr(data)
  return typeof parsed === "string" ? parsed : data
}

const decodeEvalStart = Schema.decodeUnknown(EvalStart)
const decodeSummary = Schema.decodeUnknown(SummarizeExperimentResponse)

const toStreamEvent = (operation: string) => (event: Sse.SseEvent): Effect.Effect<StreamEvent, PromptOpsError> => {
  const decodeError = (error: ParseResult.ParseError) => {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
    return new DecodeError({
      provider,
      operation: opName(operation),
      path: ProviderHttp.formatPath([event.event, ...(issue?.path ?? [])]),
      description: `unexpected ${event.event} event: ${issue?.message ?? error.message}`
    })
  }
  switch (event.event) {
    case "text_delta":
      return Effect.succeed({ _tag: "TextDelta", text: textOf(event.data) })
    case "reasoning_delta":
      return Effect.succeed({ _tag: "ReasoningDelta", text: textOf(event.data) })
    case "json_delta":
      return Effect.succeed({ _tag: "JsonDelta", chunk: event.data })
    case "progress":
      return Effect.succeed({ _tag: "Progress", data: jsonOr(event.data) })
    case "console":
      return Effect.succeed({ _tag: "Console", data: jsonOr(event.data) })
    case "start":
      return event.data.trim() === ""
        ? Effect.succeed({ _tag: "Start", start: {} })
        : Effect.map(Effect.mapError(decodeEvalStart(jsonOr(event.data)), decodeError), (start) => ({
          _tag: "Start" as const,
          start
        }))
    case "summary":
      return Effect.map(Effect.mapError(decodeSummary(jsonOr(event.data)), decodeError), (summary) => ({
        _tag: "Summary" as const,
        summary
      }))
    case "error":
      return Effect.succeed({ _tag: "Error", message: textOf(event.data) })
    case "done":
      return Effect.succeed({ _tag: "Done" })
    default:
      return Effect.succeed({ _tag: "Other", event: event.event, data: event.data })
  }
}

// -----------------------------------------------------------------------------
// make / layer / layerConfig
// -----------------------------------------------------------------------------

/**
 * Builds the client. Fails with `InvalidInput` naming a bad option
 * (`apiUrl`, `apiKey`, `timeout`, `retry`, `orgName`).
 *
 * @since 0.1.0
 */
export const make = (options: Options): Effect.Effect<BraintrustClient.Service, InvalidInput, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const orgName = options.orgName?.trim() === "" ? undefined : options.orgName?.trim()
    const project = options.project?.trim() === "" ? undefined : options.project?.trim()
    const http = yield* ProviderHttp.make({
      provider,
      apiUrl: options.apiUrl ?? defaultApiUrl,
      apiKey: options.apiKey,
      headers: orgName === undefined ? undefined : { "x-bt-org-name": orgName },
      timeout: options.timeout,
      deadline: options.deadline,
      retry: options.retry,
      transformClient: options.transformClient
    })

    // --- request plumbing -----------------------------------------------------

    const json = <A, I>(
      operation: string,
      request: HttpClientRequest.HttpClientRequest,
      schema: Schema.Schema<A, I>,
      requestOptions?: ProviderHttp.RequestOptions
    ): Effect.Effect<A, PromptOpsError> => http.json(opName(operation), request, schema, requestOptions)

    const getJson = <A, I>(
      operation: string,
      path: string,
      schema: Schema.Schema<A, I>,
      query: Readonly<Record<string, QueryValue>> = {}
    ): Effect.Effect<A, PromptOpsError> =>
      json(operation, HttpClientRequest.get(path, { urlParams: urlParams(query) }), schema)

    const sendJson = <A, I, B, J>(
      operation: string,
      method: "POST" | "PUT" | "PATCH",
      path: string,
      body: {
        readonly schema: Schema.Schema<B, J>
        readonly value: B
        /** The value is already in wire form, built by promptops itself: skip the schema pass. */
        readonly prevalidated?: boolean | undefined
      },
      schema: Schema.Schema<A, I>,
      requestOptions?: ProviderHttp.RequestOptions & { readonly query?: Readonly<Record<string, QueryValue>> }
    ): Effect.Effect<ProviderHttp.JsonResponse<A>, PromptOpsError> =>
      Effect.gen(function*() {
        const encoded = body.prevalidated === true ? body.value : yield* encode(operation, "body", body.schema, body.value)
        const base = HttpClientRequest.make(method)(path, { urlParams: urlParams(requestOptions?.query ?? {}) })
        const request = yield* withBody(operation, base, encoded)
        return yield* http.jsonResponse(opName(operation), request, schema, requestOptions)
      })

    const created = <A, I, B, J>(
      operation: string,
      method: "POST" | "PUT",
      path: string,
      bodySchema: Schema.Schema<B, J>,
      value: B,
      schema: Schema.Schema<A, I>,
      requestOptions?: ProviderHttp.RequestOptions
    ): Effect.Effect<{ readonly value: A; readonly foundExisting: boolean }, PromptOpsError> =>
      Effect.map(
        sendJson(operation, method, path, { schema: bodySchema, value }, schema, requestOptions),
        (response) => ({ value: response.value, foundExisting: isFoundExisting(response.headers) })
      )

    const list = <Q extends Readonly<Record<string, QueryValue>>, QI, A extends { readonly id: string }, I>(
      operation: string,
      path: string,
      querySchema: Schema.Schema<Q, QI>,
      schema: Schema.Schema<A, I>
    ) => {
      const response = ListResponse(schema) as unknown as Schema.Schema<{ readonly objects: ReadonlyArray<A> }>
      const one = (query: Q | undefined): Effect.Effect<ReadonlyArray<A>, PromptOpsError> =>
        Effect.flatMap(
          readQuery(operation, querySchema, query),
          (valid) => Effect.map(getJson(operation, path, response, valid), (body) => body.objects)
        )
      const stream = (query: Q | undefined): Stream.Stream<A, PromptOpsError> =>
        Stream.unwrap(Effect.map(readQuery(operation, querySchema, query), (valid) => {
          const { ending_before, limit, starting_after, ...filters } = valid as Readonly<Record<string, QueryValue>>
          return walkPages(
            {
              limit: typeof limit === "number" ? limit : undefined,
              starting_after: typeof starting_after === "string" ? starting_after : undefined,
              ending_before: typeof ending_before === "string" ? ending_before : undefined
            },
            (cursor, pageSize) =>
              Effect.map(
                getJson(operation, path, response, { ...filters, limit: pageSize, ...cursor }),
                (body) => body.objects
              )
          )
        }))
      return { one, stream }
    }

    const eventsApi = <Ins extends { readonly id?: string | null | undefined }, InsI, Ev extends { readonly id: string; readonly _xact_id: string }, EvI, Fb extends { readonly comment?: string | null | undefined }, FbI>(
      kind: "experiment" | "dataset" | "project_logs",
      insertSchema: Schema.Schema<Ins, InsI>,
      eventSchema: Schema.Schema<Ev, EvI>,
      feedbackSchema: Schema.Schema<Fb, FbI>,
      onFetchAll?: (objectId: string, events: ReadonlyArray<Ev>) => void
    ): EventsApi<Ins, Ev, Fb> => {
      const label = kind === "project_logs" ? "projectLogs" : `${kind}s`
      const idPath = kind === "project_logs" ? "projectId" : `${kind}Id`
      const page = FetchEventsResponse(eventSchema) as unknown as Schema.Schema<FetchPage<Ev>>
      const fetchPage = (objectIdValue: string, request: FetchEventsRequest): Effect.Effect<FetchPage<Ev>, PromptOpsError> =>
        Effect.gen(function*() {
          const operation = `${label}.fetch`
          const id = yield* objectId(operation, idPath, objectIdValue)
          const version = typeof request.version === "string"
            ? yield* BraintrustVersion.toTransactionId(request.version, { operation: opName(operation), path: "request.version" })
            : request.version
          const response = yield* sendJson(
            operation,
            "POST",
            `/v1/${kind}/${id}/fetch`,
            { schema: FetchEventsRequest, value: version === undefined ? request : { ...request, version } },
            page
          )
          return response.value
        })
      return {
        insert: (objectIdValue, events) =>
          Effect.gen(function*() {
            const operation = `${label}.insert`
            const id = yield* objectId(operation, idPath, objectIdValue)
            if (events.length === 0) return []
            const response = yield* sendJson(
              operation,
              "POST",
              `/v1/${kind}/${id}/insert`,
              { schema: Schema.Struct({ events: Schema.Array(insertSchema) }), value: { events: withRowIds(events) } },
              InsertEventsResponse
            )
            return response.value.row_ids
          }),
        fetch: (id, request = {}) => fetchPage(id, request),
        fetchAll: (id, request = {}) =>
          Effect.gen(function*() {
            const all: Array<Ev> = []
            const seen = new Set<string>()
            let cursor = request.cursor ?? undefined
            while (true) {
              const result = yield* fetchPage(id, { ...request, limit: request.limit ?? defaultFetchLimit, cursor })
              all.push(...result.events)
              const next = result.cursor
              // No cursor, an empty page or a cursor seen before (a server bug) ends the walk.
              if (next === undefined || next === null || next === "" || result.events.length === 0 || seen.has(next)) break
              seen.add(next)
              cursor = next
            }
            const latest = latestVersions(all)
            onFetchAll?.(id, latest)
            return latest
          }),
        feedback: (objectIdValue, items) =>
          Effect.gen(function*() {
            const operation = `${label}.feedback`
            const id = yield* objectId(operation, idPath, objectIdValue)
            // A comment becomes a new comment row on the server: a retry could post it twice.
            const retry = !items.some((item) => typeof item.comment === "string" && item.comment !== "")
            const response = yield* sendJson(
              operation,
              "POST",
              `/v1/${kind}/${id}/feedback`,
              { schema: Schema.Struct({ feedback: Schema.Array(feedbackSchema) }), value: { feedback: items } },
              FeedbackResponse,
              { retry }
            )
            return response.value
          })
      }
    }

    const sse = (
      operation: string,
      path: string,
      body: unknown,
      timeout: Duration.DurationInput | undefined
    ): Stream.Stream<StreamEvent, PromptOpsError> =>
      Stream.unwrap(
        Effect.gen(function*() {
          const base = HttpClientRequest.post(path).pipe(HttpClientRequest.setHeader("accept", "text/event-stream"))
          const request = yield* withBody(operation, base, body)
          const response = yield* http.stream(opName(operation), request, {
            retry: false,
            ...(timeout !== undefined ? { timeout } : {})
          })
          return Stream.mapEffect(Sse.parse(response.body), toStreamEvent(operation))
        })
      )

    // --- projects -----------------------------------------------------------

    const projectList = list("projects.list", "/v1/project", ListProjectsQuery, Project)
    const projects: ProjectsApi = {
      create: (body) =>
        Effect.map(
          created("projects.create", "POST", "/v1/project", CreateProject, body, Project),
          ({ foundExisting, value }) => ({ project: value, foundExisting })
        ),
      get: (id) =>
        Effect.flatMap(objectId("projects.get", "projectId", id), (valid) =>
          getJson("projects.get", `/v1/project/${valid}`, Project)),
      list: projectList.one,
      stream: projectList.stream
    }

    // Both resolutions share one cache: a project found or created once exists for either.
    const projectCache = new Map<string, Project>()
    const projectLock = yield* Effect.makeSemaphore(1)
    const cachedProject = (
      operation: string,
      name: string | undefined,
      resolve: (wanted: string) => Effect.Effect<Project, PromptOpsError>
    ): Effect.Effect<Project, PromptOpsError> =>
      Effect.suspend(() => {
        const wanted = name?.trim() || project
        if (wanted === undefined) {
          return fail(
            operation,
            "project",
            "no Braintrust project is configured: set the `project` option (e.g. from BRAINTRUST_PROJECT)"
          )
        }
        const hit = projectCache.get(wanted)
        if (hit !== undefined) return Effect.succeed(hit)
        // One request per name, however many callers race for it.
        return projectLock.withPermits(1)(
          Effect.suspend(() => {
            const again = projectCache.get(wanted)
            if (again !== undefined) return Effect.succeed(again)
            return resolve(wanted).pipe(Effect.tap((resolved) => Effect.sync(() => projectCache.set(wanted, resolved))))
          })
        )
      })

    const resolveProject = (name?: string): Effect.Effect<Project, PromptOpsError> =>
      cachedProject("resolveProject", name, (wanted) =>
        Effect.map(
          projects.create({ name: wanted, ...(orgName !== undefined ? { org_name: orgName } : {}) }),
          ({ project: resolved }) => resolved
        ))

    // A miss is not cached: a later write may create the project.
    const findProject = (name?: string): Effect.Effect<Project, PromptOpsError> =>
      cachedProject("findProject", name, (wanted) =>
        Effect.flatMap(
          projects.list({ project_name: wanted, ...(orgName !== undefined ? { org_name: orgName } : {}) }),
          (found): Effect.Effect<Project, PromptOpsError> => {
            const match = found.find((candidate) => candidate.name === wanted)
            return match !== undefined
              ? Effect.succeed(match)
              : Effect.fail(
                new NotFound({
                  provider,
                  operation: opName("findProject"),
                  description: `Braintrust project "${wanted}" does not exist${
                    orgName !== undefined ? ` in organization "${orgName}"` : ""
                  }: check the project name (BRAINTRUST_PROJECT); reads never create a project, only writes do`,
                  resource: `project "${wanted}"`
                })
              )
          }
        ))

    // --- prompts ------------------------------------------------------------

    const promptList = list("prompts.list", "/v1/prompt", ListPromptsQuery, Prompt)
    const prompts: PromptsApi = {
      list: promptList.one,
      stream: promptList.stream,
      get: (id, query) =>
        Effect.gen(function*() {
          const valid = yield* objectId("prompts.get", "promptId", id)
          const params = yield* readQuery("prompts.get", VersionQuery, query)
          return yield* getJson("prompts.get", `/v1/prompt/${valid}`, Prompt, params)
        }),
      create: (body) =>
        Effect.map(
          created("prompts.create", "POST", "/v1/prompt", CreatePrompt, body, Prompt),
          ({ foundExisting, value }) => ({ prompt: value, foundExisting })
        ),
      replace: (body) =>
        Effect.map(
          created("prompts.replace", "PUT", "/v1/prompt", CreatePrompt, body, Prompt),
          ({ foundExisting, value }) => ({ prompt: value, foundExisting })
        ),
      update: (id, body) =>
        Effect.flatMap(objectId("prompts.update", "promptId", id), (valid) =>
          Effect.map(
            sendJson("prompts.update", "PATCH", `/v1/prompt/${valid}`, { schema: PatchPrompt, value: body }, Prompt),
            (response) => response.value
          )),
      delete: (id) =>
        Effect.flatMap(objectId("prompts.delete", "promptId", id), (valid) =>
          json("prompts.delete", HttpClientRequest.del(`/v1/prompt/${valid}`), Prompt))
    }

    // --- environments -----------------------------------------------------------

    const environmentList = list("environments.list", "/environment", ListEnvironmentsQuery, Environment)
    const environments: EnvironmentsApi = {
      list: environmentList.one,
      create: (body) =>
        Effect.map(
          sendJson("environments.create", "POST", "/environment", { schema: CreateEnvironment, value: body }, Environment),
          (response) => response.value
        ),
      get: (id) =>
        Effect.flatMap(objectId("environments.get", "environmentId", id), (valid) =>
          getJson("environments.get", `/environment/${valid}`, Environment)),
      update: (id, body) =>
        Effect.flatMap(objectId("environments.update", "environmentId", id), (valid) =>
          Effect.map(
            sendJson(
              "environments.update",
              "PATCH",
              `/environment/${valid}`,
              { schema: PatchEnvironment, value: body },
              Environment
            ),
            (response) => response.value
          )),
      delete: (id) =>
        Effect.flatMap(objectId("environments.delete", "environmentId", id), (valid) =>
          json("environments.delete", HttpClientRequest.del(`/environment/${valid}`), Environment))
    }

    // --- functions ------------------------------------------------------------

    const functionList = list("functions.list", "/v1/function", ListFunctionsQuery, FunctionObject)
    const invokeBody = (operation: string, request: InvokeRequest, stream: boolean) =>
      Effect.gen(function*() {
        const version = request.version === undefined
          ? undefined
          : yield* BraintrustVersion.toTransactionId(request.version, {
            operation: opName(operation),
            path: "request.version"
          })
        return yield* encode(operation, "request", InvokeRequest, {
          ...request,
          stream,
          ...(version !== undefined ? { version } : {})
        })
      })
    const functions: FunctionsApi = {
      list: functionList.one,
      stream: functionList.stream,
      create: (body) =>
        Effect.map(
          created("functions.create", "POST", "/v1/function", CreateFunction, body, FunctionObject),
          ({ foundExisting, value }) => ({ function: value, foundExisting })
        ),
      replace: (body) =>
        Effect.map(
          created("functions.replace", "PUT", "/v1/function", CreateFunction, body, FunctionObject),
          ({ foundExisting, value }) => ({ function: value, foundExisting })
        ),
      get: (id, query) =>
        Effect.gen(function*() {
          const valid = yield* objectId("functions.get", "functionId", id)
          const params = yield* readQuery("functions.get", VersionQuery, query)
          return yield* getJson("functions.get", `/v1/function/${valid}`, FunctionObject, params)
        }),
      update: (id, body) =>
        Effect.flatMap(objectId("functions.update", "functionId", id), (valid) =>
          Effect.map(
            sendJson(
              "functions.update",
              "PATCH",
              `/v1/function/${valid}`,
              { schema: PatchFunction, value: body },
              FunctionObject
            ),
            (response) => response.value
          )),
      delete: (id) =>
        Effect.flatMap(objectId("functions.delete", "functionId", id), (valid) =>
          json("functions.delete", HttpClientRequest.del(`/v1/function/${valid}`), FunctionObject)),
      feedback: (id, items) =>
        Effect.gen(function*() {
          const operation = "functions.feedback"
          const valid = yield* objectId(operation, "functionId", id)
          const encoded = yield* encode(
            operation,
            "body",
            Schema.Struct({ feedback: Schema.Array(FunctionFeedbackItem) }),
            { feedback: items }
          )
          const request = yield* withBody(operation, HttpClientRequest.post(`/v1/function/${valid}/feedback`), encoded)
          const retry = !items.some((item) => typeof item.comment === "string" && item.comment !== "")
          // "No return value": the body, if any, is not read.
          yield* http.execute(opName(operation), request, { retry })
        }),
      invoke: (id, request, callOptions) =>
        Effect.gen(function*() {
          const operation = "functions.invoke"
          const valid = yield* objectId(operation, "functionId", id)
          const body = yield* invokeBody(operation, request, false)
          const httpRequest = yield* withBody(operation, HttpClientRequest.post(`/v1/function/${valid}/invoke`), body)
          return yield* json(operation, httpRequest, Schema.Unknown, {
            retry: false,
            ...(callOptions?.timeout !== undefined ? { timeout: callOptions.timeout } : {})
          })
        }),
      invokeStream: (id, request, callOptions) =>
        Stream.unwrap(
          Effect.gen(function*() {
            const operation = "functions.invokeStream"
            const valid = yield* objectId(operation, "functionId", id)
            const body = yield* invokeBody(operation, request, true)
            return sse(operation, `/v1/function/${valid}/invoke`, body, callOptions?.timeout)
          })
        )
    }

    // --- experiments, datasets, project logs -----------------------------------

    const experimentList = list("experiments.list", "/v1/experiment", ListExperimentsQuery, Experiment)
    const experiments: ExperimentsApi = {
      ...eventsApi("experiment", InsertExperimentEvent, ExperimentEvent, FeedbackItem),
      create: (body) =>
        Effect.map(
          created("experiments.create", "POST", "/v1/experiment", CreateExperiment, body, Experiment, {
            // With ensure_new a retry after a lost response would create a second experiment.
            retry: body.ensure_new !== true
          }),
          ({ foundExisting, value }) => ({ experiment: value, foundExisting })
        ),
      get: (id) =>
        Effect.flatMap(objectId("experiments.get", "experimentId", id), (valid) =>
          getJson("experiments.get", `/v1/experiment/${valid}`, Experiment)),
      list: experimentList.one,
      stream: experimentList.stream,
      summarize: (id, query) =>
        Effect.gen(function*() {
          const operation = "experiments.summarize"
          const valid = yield* objectId(operation, "experimentId", id)
          const params = yield* readQuery(operation, SummarizeExperimentQuery, query)
          return yield* getJson(operation, `/v1/experiment/${valid}/summarize`, SummarizeExperimentResponse, params)
        })
    }

    // dataset id → row id → the row's version as last read in full. Replaced by each full read,
    // so it holds at most one version of each dataset this client has read.
    const datasetRows = new Map<string, Map<string, { readonly _xact_id: string; readonly created: string }>>()
    const rememberDatasetRows = (datasetId: string, events: ReadonlyArray<DatasetEvent>): void => {
      const rows = new Map<string, { readonly _xact_id: string; readonly created: string }>()
      for (const event of events) rows.set(event.id, { _xact_id: event._xact_id, created: event.created })
      datasetRows.set(datasetId, rows)
    }
    const datasetRowOrigin = (datasetId: string, rowId: string): typeof ObjectReference.Type | undefined => {
      const row = datasetRows.get(datasetId)?.get(rowId)
      return row === undefined
        ? undefined
        : { object_type: "dataset", object_id: datasetId, id: rowId, _xact_id: row._xact_id, created: row.created }
    }

    const datasetList = list("datasets.list", "/v1/dataset", ListDatasetsQuery, Dataset)
    const datasets: DatasetsApi = {
      ...eventsApi("dataset", InsertDatasetEvent, DatasetEvent, FeedbackDatasetItem, rememberDatasetRows),
      create: (body) =>
        Effect.map(
          created("datasets.create", "POST", "/v1/dataset", CreateDataset, body, Dataset),
          ({ foundExisting, value }) => ({ dataset: value, foundExisting })
        ),
      get: (id) =>
        Effect.flatMap(objectId("datasets.get", "datasetId", id), (valid) =>
          getJson("datasets.get", `/v1/dataset/${valid}`, Dataset)),
      list: datasetList.one,
      stream: datasetList.stream,
      summarize: (id, query) =>
        Effect.gen(function*() {
          const operation = "datasets.summarize"
          const valid = yield* objectId(operation, "datasetId", id)
          const params = yield* readQuery(operation, SummarizeDatasetQuery, query)
          return yield* getJson(operation, `/v1/dataset/${valid}/summarize`, SummarizeDatasetResponse, params)
        })
    }

    const projectLogs: ProjectLogsApi = eventsApi("project_logs", InsertProjectLogsEvent, ProjectLogsEvent, FeedbackItem)

    // --- cross-object insert ----------------------------------------------------

    const insert = (
      request: CrossObjectInsertRequest,
      insertOptions?: InsertOptions
    ): Effect.Effect<CrossObjectInsertResponse, PromptOpsError> =>
      Effect.gen(function*() {
        const operation = "insert"
        const withIds: Record<string, unknown> = {}
        let retry = true
        for (const section of ["experiment", "dataset", "project_logs"] as const) {
          const objects = request[section]
          if (objects === undefined || objects === null) continue
          const out: Record<string, unknown> = {}
          for (const [id, writes] of Object.entries(objects)) {
            yield* objectId(operation, `${section}.${id}`, id)
            if (writes.feedback?.some((item) => typeof item.comment === "string" && item.comment !== "")) retry = false
            out[id] = {
              ...writes,
              ...(writes.events === undefined || writes.events === null
                ? {}
                : { events: withRowIds(writes.events as ReadonlyArray<{ readonly id?: string | null | undefined }>) })
            }
          }
          withIds[section] = out
        }
        const response = yield* sendJson(
          operation,
          "POST",
          "/v1/insert",
          {
            schema: CrossObjectInsertRequest,
            value: withIds as CrossObjectInsertRequest,
            prevalidated: insertOptions?.prevalidated
          },
          CrossObjectInsertResponse,
          { retry }
        )
        return response.value
      })

    // --- eval -------------------------------------------------------------------

    const evalTimeout = (body: RunEval, callOptions: CallOptions | undefined): Duration.DurationInput =>
      callOptions?.timeout ??
        (typeof body.timeout === "number" && Number.isFinite(body.timeout) && body.timeout > 0
          ? Duration.sum(Duration.millis(body.timeout), Duration.seconds(30))
          : defaultEvalTimeout)

    const evalBody = (operation: string, body: RunEval, stream: boolean) =>
      Effect.gen(function*() {
        yield* objectId(operation, "body.project_id", body.project_id)
        return yield* encode(operation, "body", RunEval, { ...body, stream })
      })

    const evalApi: EvalApi = {
      launch: (body, callOptions) =>
        Effect.gen(function*() {
          const operation = "eval.launch"
          const encoded = yield* evalBody(operation, body, false)
          const request = yield* withBody(operation, HttpClientRequest.post("/v1/eval"), encoded)
          return yield* json(operation, request, SummarizeExperimentResponse, {
            retry: false,
            timeout: evalTimeout(body, callOptions)
          })
        }),
      launchStream: (body, callOptions) =>
        Stream.unwrap(
          Effect.map(
            evalBody("eval.launchStream", body, true),
            (encoded) => sse("eval.launchStream", "/v1/eval", encoded, evalTimeout(body, callOptions))
          )
        )
    }

    return {
      http,
      apiUrl: http.apiUrl,
      orgName,
      project,
      resolveProject,
      findProject,
      projects,
      prompts,
      environments,
      functions,
      experiments,
      datasets,
      projectLogs,
      insert,
      eval: evalApi,
      datasetRowOrigin
    }
  })

/**
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<BraintrustClient, InvalidInput, HttpClient.HttpClient> =>
  Layer.effect(BraintrustClient, make(options))

/**
 * The settings `layerConfig` reads. The app names its own variables, e.g.
 * `apiKey: Config.redacted("BRAINTRUST_API_KEY")`; an optional one is
 * `Config.string("BRAINTRUST_API_URL").pipe(Config.withDefault(undefined))`.
 *
 * @since 0.1.0
 */
export interface ConfigOptions {
  readonly apiKey: Config.Config<Redacted.Redacted>
  readonly apiUrl?: Config.Config<string | undefined> | undefined
  readonly orgName?: Config.Config<string | undefined> | undefined
  readonly project?: Config.Config<string | undefined> | undefined
  readonly timeout?: Config.Config<Duration.Duration | undefined> | undefined
  /** Not read from config: passed as is. */
  readonly retry?: RetryPolicy.RetryOptions | false | undefined
  /** Not read from config: passed as is. */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

const none: Config.Config<undefined> = Config.succeed(undefined)

/**
 * Reads `Options` from `Config` values.
 *
 * @since 0.1.0
 */
export const config = (options: ConfigOptions): Config.Config<Options> =>
  Config.map(
    Config.all({
      apiKey: options.apiKey,
      apiUrl: options.apiUrl ?? none,
      orgName: options.orgName ?? none,
      project: options.project ?? none,
      timeout: options.timeout ?? none
    }),
    (values): Options => ({
      apiKey: values.apiKey,
      apiUrl: values.apiUrl,
      orgName: values.orgName,
      project: values.project,
      timeout: values.timeout,
      retry: options.retry,
      transformClient: options.transformClient
    })
  )

/**
 * @since 0.1.0
 */
export const layerConfig = (
  options: ConfigOptions
): Layer.Layer<BraintrustClient, ConfigError.ConfigError | InvalidInput, HttpClient.HttpClient> =>
  Layer.effect(BraintrustClient, Effect.flatMap(config(options), make))
