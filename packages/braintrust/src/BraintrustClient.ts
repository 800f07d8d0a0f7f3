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
 * // or the documented variables:
 * const fromEnv = BraintrustClient.layerConfig(BraintrustConfig.config)
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
import type { InvalidInput, PromptOpsError } from "@promptops/core/PromptOpsError"
import * as ProviderHttp from "@promptops/core/ProviderHttp"
import type * as RetryPolicy from "@promptops/core/RetryPolicy"
import { Config, type ConfigError, Context, type Duration, Effect, Layer, type Redacted, type Stream } from "effect"
import * as BraintrustConfig from "./BraintrustConfig.js"
import type { InvokeRequest, RunEval, StreamEvent } from "./BraintrustEvalSchema.js"
import {
  type CreateDataset,
  type CreateEnvironment,
  type CreateExperiment,
  type CreateFunction,
  type CreatePrompt,
  type CreateProject,
  type CrossObjectInsertRequest,
  type CrossObjectInsertResponse,
  type Dataset,
  type DatasetEvent,
  type Environment,
  type Experiment,
  type ExperimentEvent,
  type FeedbackDatasetItem,
  FeedbackItem,
  type FeedbackResponse,
  type FetchEventsRequest,
  type FetchPage,
  type FunctionFeedbackItem,
  type FunctionObject,
  type InsertDatasetEvent,
  type InsertExperimentEvent,
  InsertProjectLogsEvent,
  type ListDatasetsQuery,
  type ListEnvironmentsQuery,
  type ListExperimentsQuery,
  type ListFunctionsQuery,
  type ListProjectsQuery,
  type ListPromptsQuery,
  type ObjectReference,
  type PatchEnvironment,
  type PatchFunction,
  type PatchPrompt,
  type Project,
  ProjectLogsEvent,
  type Prompt,
  type SummarizeDatasetQuery,
  type SummarizeDatasetResponse,
  type SummarizeExperimentQuery,
  type SummarizeExperimentResponse,
  type VersionQuery
} from "./BraintrustSchema.js"
import { makeDatasets } from "./internal/datasets.js"
import { makeEnvironments } from "./internal/environments.js"
import { errorFormat } from "./internal/errors.js"
import * as Eval from "./internal/eval.js"
import * as Events from "./internal/events.js"
import { makeExperiments } from "./internal/experiments.js"
import { makeFunctions } from "./internal/functions.js"
import { makeInsert } from "./internal/insert.js"
import { makeProjects } from "./internal/projects.js"
import { makePrompts } from "./internal/prompts.js"
import * as Requests from "./internal/request.js"

/**
 * The provider name every error from this package carries.
 *
 * @since 0.1.0
 */
export const provider: "braintrust" = Requests.provider

/**
 * The US data plane. The EU one is `https://api-eu.braintrust.dev`.
 *
 * @since 0.1.0
 */
export const defaultApiUrl: string = BraintrustConfig.defaultApiUrl

/**
 * The page size of list streams when the query sets no `limit`.
 *
 * @since 0.1.0
 */
export const defaultPageSize: number = Requests.defaultPageSize

/**
 * Traces per page of `fetchAll` when the request sets no `limit`.
 *
 * @since 0.1.0
 */
export const defaultFetchLimit: number = Events.defaultFetchLimit

/**
 * How long `eval.launch` waits for the summary when neither the call nor the
 * body's `timeout` says: the server runs the whole eval before answering.
 *
 * @since 0.1.0
 */
export const defaultEvalTimeout: Duration.Duration = Eval.defaultEvalTimeout

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

/**
 * Keeps one version of each row: the one with the highest `_xact_id`,
 * compared as `bigint` (never as a JS number), at the position where the row
 * first appeared.
 *
 * @since 0.1.0
 */
export const latestVersions: <A extends { readonly id: string; readonly _xact_id: string }>(
  events: Iterable<A>
) => Array<A> = Events.latestVersions

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
      transformClient: options.transformClient,
      errorFormat
    })

    const requests = Requests.makeRequests(http)
    const { findProject, projects, resolveProject } = yield* makeProjects(requests, { orgName, project })
    const { datasetRowOrigin, datasets } = makeDatasets(requests)
    return {
      http,
      apiUrl: http.apiUrl,
      orgName,
      project,
      resolveProject,
      findProject,
      projects,
      prompts: makePrompts(requests),
      environments: makeEnvironments(requests),
      functions: makeFunctions(requests),
      experiments: makeExperiments(requests),
      datasets,
      projectLogs: Events.makeEventsApi(requests, "project_logs", InsertProjectLogsEvent, ProjectLogsEvent, FeedbackItem),
      insert: makeInsert(requests),
      eval: Eval.makeEval(requests),
      datasetRowOrigin
    }
  })

/**
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<BraintrustClient, InvalidInput, HttpClient.HttpClient> =>
  Layer.effect(BraintrustClient, make(options))

/**
 * The settings `layerConfig` reads (see `BraintrustConfig.ConfigOptions`).
 *
 * @since 0.1.0
 */
export interface ConfigOptions extends BraintrustConfig.ConfigOptions {}

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
      deadline: options.deadline,
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
