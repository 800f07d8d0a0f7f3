/**
 * Schema models of the Braintrust REST objects, requests and responses this
 * package uses, checked against the official OpenAPI file
 * (`braintrust-openapi.json`, components.schemas of the same names).
 *
 * They are lenient where the API is: optional and nullable fields are
 * `optional(NullOr(…))`, enums the server may extend are plain strings, and
 * every object keeps fields it does not declare (an index signature), so a
 * newer server's additions survive a decode and a caller may send fields the
 * file does not list yet (e.g. `environment_slugs` on a prompt).
 *
 * Requests are snake_case, as on the wire.
 *
 * @since 0.1.0
 */
import * as Records from "@promptops/core/Records"
import { Schema } from "effect"

// -----------------------------------------------------------------------------
// Building blocks
// -----------------------------------------------------------------------------

/**
 * Extra fields an object may carry beyond those declared.
 *
 * @since 0.1.0
 */
export const Extra: Schema.Record$<typeof Schema.String, typeof Schema.Unknown> = Schema.Record({
  key: Schema.String,
  value: Schema.Unknown
})

const open = <Fields extends Schema.Struct.Fields>(fields: Fields) => Schema.Struct(fields, Extra)

const nullish = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

/**
 * A free-form JSON object (`metadata`, `context`, …).
 *
 * @since 0.1.0
 */
export const JsonObject: Records.Of<typeof Schema.Unknown> = Records.Unknown
/** @since 0.1.0 */
export type JsonObject = typeof JsonObject.Type

/** @since 0.1.0 */
export const Tags: Schema.Array$<typeof Schema.String> = Schema.Array(Schema.String)

/**
 * A non-empty string (`minLength: 1` in the file).
 *
 * @since 0.1.0
 */
export const NonEmptyString: Schema.filter<typeof Schema.String> = Schema.String.pipe(
  Schema.minLength(1, { message: () => "must be a non-empty string" })
)

/**
 * A score: a number from 0 to 1, or `null` (skipped).
 *
 * @since 0.1.0
 */
export const Score: Schema.NullOr<Schema.filter<typeof Schema.Number>> = Schema.NullOr(
  Schema.Number.pipe(Schema.between(0, 1, { message: () => "a score must be a number from 0 to 1" }))
)

/** @since 0.1.0 */
export const Scores: Records.Of<typeof Score> = Records.of(Score)
/** @since 0.1.0 */
export type Scores = typeof Scores.Type

/**
 * The `{ objects: [...] }` envelope of every list endpoint.
 *
 * @since 0.1.0
 */
export const ListResponse = <S extends Schema.Schema.Any>(item: S): Schema.Struct<{ objects: Schema.Array$<S> }> =>
  Schema.Struct({ objects: Schema.Array(item) })

const uuidPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

/**
 * Whether `id` has the UUID form Braintrust requires of object ids (projects,
 * experiments, datasets, prompts, functions). Row ids are any string.
 *
 * @since 0.1.0
 */
export const isObjectId = (id: string): boolean => uuidPattern.test(id)

// -----------------------------------------------------------------------------
// List queries
// -----------------------------------------------------------------------------

const Limit = Schema.Int.pipe(Schema.greaterThanOrEqualTo(0))

/**
 * `ids`: one object id, or several (sent as a repeated query parameter).
 *
 * @since 0.1.0
 */
export const IdsFilter: Schema.Union<[typeof Schema.String, Schema.Array$<typeof Schema.String>]> = Schema.Union(
  Schema.String,
  Schema.Array(Schema.String)
)

const listFields = {
  /** Most objects in one page. */
  limit: Schema.optional(Limit),
  /** The last id of the previous page: the next (older) page. */
  starting_after: Schema.optional(Schema.String),
  /** The first id of the previous page: the page before it (newer). */
  ending_before: Schema.optional(Schema.String),
  ids: Schema.optional(IdsFilter),
  org_name: Schema.optional(Schema.String)
} as const

/** @since 0.1.0 */
export const ListProjectsQuery = Schema.Struct({ ...listFields, project_name: Schema.optional(Schema.String) })
/** @since 0.1.0 */
export type ListProjectsQuery = typeof ListProjectsQuery.Type

/**
 * `GET /v1/function`: every query parameter seed 001 and the file list.
 *
 * @since 0.1.0
 */
export const ListFunctionsQuery = Schema.Struct({
  ...listFields,
  function_name: Schema.optional(Schema.String),
  project_name: Schema.optional(Schema.String),
  project_id: Schema.optional(Schema.String),
  slug: Schema.optional(Schema.String),
  /** A transaction id or a 16-hex version id. */
  version: Schema.optional(Schema.String),
  environment: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type ListFunctionsQuery = typeof ListFunctionsQuery.Type

/**
 * `GET /v1/prompt`.
 *
 * @since 0.1.0
 */
export const ListPromptsQuery = Schema.Struct({
  ...listFields,
  prompt_name: Schema.optional(Schema.String),
  project_name: Schema.optional(Schema.String),
  project_id: Schema.optional(Schema.String),
  slug: Schema.optional(Schema.String),
  /** A transaction id or a 16-hex version id. Not with `environment`. */
  version: Schema.optional(Schema.String),
  /** An environment slug. Not with `version`; the filters must match one prompt. */
  environment: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type ListPromptsQuery = typeof ListPromptsQuery.Type

/** @since 0.1.0 */
export const ListExperimentsQuery = Schema.Struct({
  ...listFields,
  experiment_name: Schema.optional(Schema.String),
  project_name: Schema.optional(Schema.String),
  project_id: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type ListExperimentsQuery = typeof ListExperimentsQuery.Type

/** @since 0.1.0 */
export const ListDatasetsQuery = Schema.Struct({
  ...listFields,
  dataset_name: Schema.optional(Schema.String),
  project_name: Schema.optional(Schema.String),
  project_id: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type ListDatasetsQuery = typeof ListDatasetsQuery.Type

/**
 * `version` / `environment` on `GET /v1/prompt/{id}` and `GET /v1/function/{id}`.
 *
 * @since 0.1.0
 */
export const VersionQuery = Schema.Struct({
  version: Schema.optional(Schema.String),
  environment: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type VersionQuery = typeof VersionQuery.Type

// -----------------------------------------------------------------------------
// Projects
// -----------------------------------------------------------------------------

/** @since 0.1.0 */
export const Project = open({
  id: Schema.String,
  org_id: Schema.String,
  name: Schema.String,
  description: nullish(Schema.String),
  created: nullish(Schema.String),
  deleted_at: nullish(Schema.String),
  user_id: nullish(Schema.String),
  settings: nullish(JsonObject)
})
/** @since 0.1.0 */
export type Project = typeof Project.Type

/**
 * `POST /v1/project`: get-or-create by name.
 *
 * @since 0.1.0
 */
export const CreateProject = open({
  name: NonEmptyString,
  org_name: nullish(Schema.String)
})
/** @since 0.1.0 */
export type CreateProject = typeof CreateProject.Type

// -----------------------------------------------------------------------------
// Environments (`/environment`, without the `/v1` prefix in the file)
// -----------------------------------------------------------------------------

/**
 * `GET /environment`: newest first, filtered by `ids` and `name`. The file
 * gives this list no pagination.
 *
 * @since 0.1.0
 */
export const ListEnvironmentsQuery = Schema.Struct({
  ids: Schema.optional(IdsFilter),
  /** The environment's name (not its slug). */
  name: Schema.optional(Schema.String),
  org_name: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type ListEnvironmentsQuery = typeof ListEnvironmentsQuery.Type

/**
 * An organisation-level environment. Its `slug` is what `environment=` on
 * prompt reads and `environment_slugs` on prompt writes name.
 *
 * @since 0.1.0
 */
export const Environment = open({
  id: Schema.String,
  org_id: Schema.String,
  name: Schema.String,
  slug: Schema.String,
  description: nullish(Schema.String),
  created: nullish(Schema.String),
  deleted_at: nullish(Schema.String)
})
/** @since 0.1.0 */
export type Environment = typeof Environment.Type

/**
 * `POST /environment`: creates; the file documents no get-or-create.
 *
 * @since 0.1.0
 */
export const CreateEnvironment = open({
  name: NonEmptyString,
  slug: NonEmptyString,
  description: nullish(Schema.String),
  org_name: nullish(Schema.String)
})
/** @since 0.1.0 */
export type CreateEnvironment = typeof CreateEnvironment.Type

/**
 * `PATCH /environment/{id}`.
 *
 * @since 0.1.0
 */
export const PatchEnvironment = open({
  name: nullish(Schema.String),
  slug: nullish(Schema.String),
  description: nullish(Schema.String)
})
/** @since 0.1.0 */
export type PatchEnvironment = typeof PatchEnvironment.Type

// -----------------------------------------------------------------------------
// Prompt data
// -----------------------------------------------------------------------------

/** @since 0.1.0 */
export const ChatContentPartText = open({
  type: Schema.Literal("text"),
  text: Schema.String,
  cache_control: Schema.optional(Schema.Unknown)
})

/** @since 0.1.0 */
export const ChatContentPartImage = open({
  type: Schema.Literal("image_url"),
  image_url: open({
    url: Schema.String,
    detail: Schema.optional(Schema.String)
  })
})

/** @since 0.1.0 */
export const ChatContentPartFile = open({
  type: Schema.Literal("file"),
  file: open({
    file_data: Schema.optional(Schema.String),
    filename: Schema.optional(Schema.String),
    file_id: Schema.optional(Schema.String)
  })
})

/** @since 0.1.0 */
export const ChatContentPart: Schema.Union<
  [typeof ChatContentPartText, typeof ChatContentPartImage, typeof ChatContentPartFile]
> = Schema.Union(ChatContentPartText, ChatContentPartImage, ChatContentPartFile)
/** @since 0.1.0 */
export type ChatContentPart = typeof ChatContentPart.Type

/**
 * `ChatCompletionMessageParam`, one struct for every role (the file's union
 * differs by role only in which optional fields exist).
 *
 * @since 0.1.0
 */
export const ChatMessage = open({
  role: Schema.Literal("system", "user", "assistant", "tool", "function", "developer", "model"),
  content: Schema.optional(Schema.NullOr(Schema.Union(Schema.String, Schema.Array(ChatContentPart)))),
  name: nullish(Schema.String),
  tool_call_id: Schema.optional(Schema.String),
  tool_calls: nullish(Schema.Array(Schema.Unknown)),
  function_call: nullish(Schema.Unknown),
  reasoning: nullish(Schema.Array(Schema.Unknown)),
  reasoning_signature: nullish(Schema.String)
})
/** @since 0.1.0 */
export type ChatMessage = typeof ChatMessage.Type

/**
 * A chat prompt. `tools` is a JSON-encoded string holding an array of
 * OpenAI tool definitions, not an array.
 *
 * @since 0.1.0
 */
export const PromptBlockChat = open({
  type: Schema.Literal("chat"),
  messages: Schema.Array(ChatMessage),
  tools: Schema.optional(Schema.String)
})

/** @since 0.1.0 */
export const PromptBlockCompletion = open({
  type: Schema.Literal("completion"),
  content: Schema.String
})

/** @since 0.1.0 */
export const PromptBlock: Schema.Union<[typeof PromptBlockChat, typeof PromptBlockCompletion]> = Schema.Union(
  PromptBlockChat,
  PromptBlockCompletion
)
/** @since 0.1.0 */
export type PromptBlock = typeof PromptBlock.Type

/**
 * `ModelParams`: an untagged union of open objects in the file (OpenAI,
 * Anthropic, Google, …); kept as an open record.
 *
 * @since 0.1.0
 */
export const ModelParams: Records.Of<typeof Schema.Unknown> = Records.Unknown
/** @since 0.1.0 */
export type ModelParams = typeof ModelParams.Type

/** @since 0.1.0 */
export const PromptOptions = open({
  model: Schema.optional(Schema.String),
  params: nullish(ModelParams),
  position: Schema.optional(Schema.String)
})

/** @since 0.1.0 */
export const PromptParser = open({
  type: Schema.Literal("llm_classifier"),
  use_cot: Schema.Boolean,
  choice_scores: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Number })),
  choice: Schema.optional(Schema.Array(Schema.String)),
  allow_no_match: Schema.optional(Schema.Boolean)
})

/**
 * `llm, scorer, task, tool, custom_view, preprocessor, facet, classifier,
 * tag, parameters, sandbox` in the current file; a plain string so a new
 * value does not break a decode.
 *
 * @since 0.1.0
 */
export const FunctionType: typeof Schema.String = Schema.String

/** @since 0.1.0 */
export const SavedFunctionId: Schema.Union<[
  Schema.TypeLiteral<{
    type: Schema.Literal<["function"]>
    id: typeof Schema.String
    version: Schema.optional<typeof Schema.String>
  }, [typeof Extra]>,
  Schema.TypeLiteral<{
    type: Schema.Literal<["global"]>
    name: typeof Schema.String
    function_type: Schema.optional<Schema.NullOr<typeof Schema.String>>
  }, [typeof Extra]>
]> = Schema.Union(
  open({ type: Schema.Literal("function"), id: Schema.String, version: Schema.optional(Schema.String) }),
  open({ type: Schema.Literal("global"), name: Schema.String, function_type: nullish(FunctionType) })
)

/**
 * `mustache` (the default when absent), `nunjucks` or `none`.
 *
 * @since 0.1.0
 */
export const TemplateFormat: Schema.Literal<["mustache", "nunjucks", "none"]> = Schema.Literal(
  "mustache",
  "nunjucks",
  "none"
)

/**
 * The prompt, model and parameters of a prompt or an LLM function.
 *
 * @since 0.1.0
 */
export const PromptData = open({
  prompt: nullish(PromptBlock),
  options: nullish(PromptOptions),
  parser: nullish(PromptParser),
  tool_functions: nullish(Schema.Array(Schema.NullOr(SavedFunctionId))),
  template_format: nullish(TemplateFormat),
  mcp: nullish(JsonObject),
  origin: nullish(open({
    prompt_id: Schema.optional(Schema.String),
    project_id: Schema.optional(Schema.String),
    prompt_version: Schema.optional(Schema.String)
  }))
})
/** @since 0.1.0 */
export type PromptData = typeof PromptData.Type

// -----------------------------------------------------------------------------
// Prompts and functions (one store, `log_id: "p"`)
// -----------------------------------------------------------------------------

/** @since 0.1.0 */
export const Prompt = open({
  id: Schema.String,
  /** The version: a transaction id. */
  _xact_id: Schema.String,
  project_id: Schema.String,
  log_id: Schema.String,
  org_id: Schema.String,
  name: Schema.String,
  slug: Schema.String,
  description: nullish(Schema.String),
  created: nullish(Schema.String),
  prompt_data: nullish(PromptData),
  tags: nullish(Tags),
  metadata: nullish(JsonObject),
  function_type: nullish(FunctionType)
})
/** @since 0.1.0 */
export type Prompt = typeof Prompt.Type

/**
 * `POST /v1/prompt` (get-or-create by slug) and `PUT /v1/prompt` (create or
 * replace). `environment_slugs` points each named environment (which must
 * exist) at the version written: documented by Braintrust's knowledge base,
 * not yet in the OpenAPI file.
 *
 * @since 0.1.0
 */
export const CreatePrompt = open({
  project_id: Schema.String,
  name: NonEmptyString,
  slug: NonEmptyString,
  description: nullish(Schema.String),
  prompt_data: nullish(PromptData),
  tags: nullish(Tags),
  function_type: nullish(FunctionType),
  environment_slugs: Schema.optional(Schema.Array(Schema.String))
})
/** @since 0.1.0 */
export type CreatePrompt = typeof CreatePrompt.Type

/**
 * `PATCH /v1/prompt/{id}`: object fields are deep-merged; nothing can be nulled.
 *
 * @since 0.1.0
 */
export const PatchPrompt = open({
  name: nullish(Schema.String),
  slug: nullish(Schema.String),
  description: nullish(Schema.String),
  prompt_data: nullish(PromptData),
  tags: nullish(Tags)
})
/** @since 0.1.0 */
export type PatchPrompt = typeof PatchPrompt.Type

/** @since 0.1.0 */
export const RuntimeContext = open({
  runtime: Schema.String,
  version: Schema.String
})

/**
 * `FunctionData`, discriminated on `type`: `prompt`, `code` (inline or
 * bundle), `global`, `remote_eval`, `parameters`, and any other type the
 * server knows (graph, facet, topic_map, …) as an open object.
 *
 * @since 0.1.0
 */
export const FunctionData = Schema.Union(
  open({ type: Schema.Literal("prompt") }),
  open({
    type: Schema.Literal("code"),
    data: Schema.Union(
      open({
        type: Schema.Literal("inline"),
        runtime_context: RuntimeContext,
        code: Schema.String,
        code_hash: Schema.optional(Schema.String)
      }),
      open({
        type: Schema.Literal("bundle"),
        runtime_context: RuntimeContext,
        location: Schema.Unknown,
        bundle_id: nullish(Schema.String),
        preview: nullish(Schema.String)
      })
    )
  }),
  open({
    type: Schema.Literal("global"),
    name: Schema.String,
    function_type: nullish(FunctionType),
    config: nullish(JsonObject)
  }),
  open({
    type: Schema.Literal("remote_eval"),
    endpoint: Schema.String,
    eval_name: Schema.String,
    parameters: JsonObject,
    parameters_version: nullish(Schema.String)
  }),
  open({ type: Schema.String })
)
/** @since 0.1.0 */
export type FunctionData = typeof FunctionData.Type

/** @since 0.1.0 */
export const FunctionOrigin = open({
  object_type: Schema.String,
  object_id: Schema.String,
  internal: nullish(Schema.Boolean)
})

/** @since 0.1.0 */
export const FunctionSchema = open({
  parameters: Schema.optional(Schema.Unknown),
  returns: Schema.optional(Schema.Unknown)
})

/**
 * A function (`Function` in the file): a prompt, code, a global scorer, …
 *
 * @since 0.1.0
 */
export const FunctionObject = open({
  id: Schema.String,
  _xact_id: Schema.String,
  project_id: Schema.String,
  log_id: Schema.String,
  org_id: Schema.String,
  name: Schema.String,
  slug: Schema.String,
  description: nullish(Schema.String),
  created: nullish(Schema.String),
  prompt_data: nullish(PromptData),
  tags: nullish(Tags),
  metadata: nullish(JsonObject),
  function_type: nullish(FunctionType),
  function_data: FunctionData,
  origin: nullish(FunctionOrigin),
  function_schema: nullish(FunctionSchema)
})
/** @since 0.1.0 */
export type FunctionObject = typeof FunctionObject.Type

/**
 * `POST /v1/function` (get-or-create by slug) and `PUT /v1/function`
 * (create or replace), as seed 001 documents them.
 *
 * @since 0.1.0
 */
export const CreateFunction = open({
  project_id: Schema.String,
  name: NonEmptyString,
  slug: NonEmptyString,
  description: nullish(Schema.String),
  prompt_data: nullish(PromptData),
  tags: nullish(Tags),
  function_type: nullish(FunctionType),
  function_data: FunctionData,
  origin: nullish(FunctionOrigin),
  function_schema: nullish(FunctionSchema),
  /** As on `CreatePrompt`: the environments that should point at the version written. */
  environment_slugs: Schema.optional(Schema.Array(Schema.String))
})
/** @since 0.1.0 */
export type CreateFunction = typeof CreateFunction.Type

/**
 * `PATCH /v1/function/{id}`: object fields are deep-merged; nothing can be nulled.
 *
 * @since 0.1.0
 */
export const PatchFunction = open({
  name: nullish(Schema.String),
  description: nullish(Schema.String),
  prompt_data: nullish(PromptData),
  function_data: nullish(FunctionData),
  tags: nullish(Tags)
})
/** @since 0.1.0 */
export type PatchFunction = typeof PatchFunction.Type

// -----------------------------------------------------------------------------
// Experiments and datasets
// -----------------------------------------------------------------------------

/** @since 0.1.0 */
export const RepoInfo = open({
  commit: nullish(Schema.String),
  branch: nullish(Schema.String),
  tag: nullish(Schema.String),
  dirty: nullish(Schema.Boolean),
  author_name: nullish(Schema.String),
  author_email: nullish(Schema.String),
  commit_message: nullish(Schema.String),
  commit_time: nullish(Schema.String),
  git_diff: nullish(Schema.String)
})
/** @since 0.1.0 */
export type RepoInfo = typeof RepoInfo.Type

/** @since 0.1.0 */
export const Experiment = open({
  id: Schema.String,
  project_id: Schema.String,
  name: Schema.String,
  description: nullish(Schema.String),
  created: nullish(Schema.String),
  repo_info: nullish(RepoInfo),
  commit: nullish(Schema.String),
  base_exp_id: nullish(Schema.String),
  deleted_at: nullish(Schema.String),
  dataset_id: nullish(Schema.String),
  dataset_version: nullish(Schema.String),
  internal_metadata: nullish(JsonObject),
  parameters_id: nullish(Schema.String),
  parameters_version: nullish(Schema.String),
  public: Schema.Boolean,
  user_id: nullish(Schema.String),
  metadata: nullish(JsonObject),
  tags: nullish(Tags)
})
/** @since 0.1.0 */
export type Experiment = typeof Experiment.Type

/**
 * `POST /v1/experiment`: get-or-create by name, unless `ensure_new` (then a
 * name conflict gets a generated unique name).
 *
 * @since 0.1.0
 */
export const CreateExperiment = open({
  project_id: Schema.String,
  name: nullish(NonEmptyString),
  description: nullish(Schema.String),
  repo_info: nullish(RepoInfo),
  base_exp_id: nullish(Schema.String),
  dataset_id: nullish(Schema.String),
  dataset_version: nullish(Schema.String),
  internal_metadata: nullish(JsonObject),
  parameters_id: nullish(Schema.String),
  parameters_version: nullish(Schema.String),
  public: nullish(Schema.Boolean),
  metadata: nullish(JsonObject),
  tags: nullish(Tags),
  ensure_new: nullish(Schema.Boolean)
})
/** @since 0.1.0 */
export type CreateExperiment = typeof CreateExperiment.Type

/** @since 0.1.0 */
export const Dataset = open({
  id: Schema.String,
  project_id: Schema.String,
  name: Schema.String,
  description: nullish(Schema.String),
  created: nullish(Schema.String),
  deleted_at: nullish(Schema.String),
  user_id: nullish(Schema.String),
  tags: nullish(Tags),
  metadata: nullish(JsonObject),
  url_slug: Schema.String
})
/** @since 0.1.0 */
export type Dataset = typeof Dataset.Type

/**
 * `POST /v1/dataset`: get-or-create by name within the project.
 *
 * @since 0.1.0
 */
export const CreateDataset = open({
  project_id: Schema.String,
  name: NonEmptyString,
  description: nullish(Schema.String),
  tags: nullish(Tags),
  metadata: nullish(JsonObject)
})
/** @since 0.1.0 */
export type CreateDataset = typeof CreateDataset.Type

// -----------------------------------------------------------------------------
// Event rows
// -----------------------------------------------------------------------------

/**
 * `llm, score, function, eval, task, tool, automation, facet, preprocessor,
 * classifier, review`: the values `span_attributes.type` may take.
 *
 * @since 0.1.0
 */
export const SpanType: Schema.Literal<[
  "llm",
  "score",
  "function",
  "eval",
  "task",
  "tool",
  "automation",
  "facet",
  "preprocessor",
  "classifier",
  "review"
]> = Schema.Literal(
  "llm",
  "score",
  "function",
  "eval",
  "task",
  "tool",
  "automation",
  "facet",
  "preprocessor",
  "classifier",
  "review"
)
/** @since 0.1.0 */
export type SpanType = typeof SpanType.Type

/** @since 0.1.0 */
export const SpanAttributes = open({
  name: nullish(Schema.String),
  type: nullish(Schema.String),
  purpose: nullish(Schema.String)
})
/** @since 0.1.0 */
export type SpanAttributes = typeof SpanAttributes.Type

/**
 * A row copied from another object, e.g. an experiment row made from a dataset row.
 *
 * @since 0.1.0
 */
export const ObjectReference = open({
  object_type: Schema.String,
  object_id: Schema.String,
  id: Schema.String,
  _xact_id: nullish(Schema.String),
  created: nullish(Schema.String)
})

/**
 * Metrics of an inserted row: numbers only (a boolean gets a 400). `start`
 * and `end` are unix seconds; `prompt_tokens`, `completion_tokens` and
 * `tokens` are integers.
 *
 * @since 0.1.0
 */
export const InsertMetrics: Records.Of<Schema.NullOr<typeof Schema.Number>> = Records.of(Schema.NullOr(Schema.Number))

const controlFields = {
  id: nullish(Schema.String),
  created: nullish(Schema.String),
  origin: nullish(ObjectReference),
  facets: nullish(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.String) })),
  _object_delete: nullish(Schema.Boolean),
  _is_merge: nullish(Schema.Boolean),
  _merge_paths: nullish(Schema.Array(Schema.Array(Schema.String))),
  _array_delete: nullish(Schema.Array(open({ path: Schema.Array(Schema.String), delete: Schema.Array(Schema.Unknown) }))),
  _parent_id: nullish(Schema.String),
  span_id: nullish(Schema.String),
  root_span_id: nullish(Schema.String),
  span_parents: nullish(Schema.Array(Schema.String))
} as const

const spanEventFields = {
  input: Schema.optional(Schema.Unknown),
  output: Schema.optional(Schema.Unknown),
  expected: Schema.optional(Schema.Unknown),
  error: Schema.optional(Schema.Unknown),
  scores: nullish(Scores),
  metadata: nullish(JsonObject),
  tags: nullish(Tags),
  metrics: nullish(InsertMetrics),
  context: nullish(JsonObject),
  span_attributes: nullish(SpanAttributes),
  ...controlFields
} as const

/**
 * A row to insert into an experiment. Give every row an `id`: re-sending a
 * row with the same id makes a new version of it instead of a duplicate.
 *
 * @since 0.1.0
 */
export const InsertExperimentEvent = open(spanEventFields)
/** @since 0.1.0 */
export type InsertExperimentEvent = typeof InsertExperimentEvent.Type

/** @since 0.1.0 */
export const InsertProjectLogsEvent = open(spanEventFields)
/** @since 0.1.0 */
export type InsertProjectLogsEvent = typeof InsertProjectLogsEvent.Type

/** @since 0.1.0 */
export const InsertDatasetEvent = open({
  input: Schema.optional(Schema.Unknown),
  expected: Schema.optional(Schema.Unknown),
  metadata: nullish(JsonObject),
  tags: nullish(Tags),
  ...controlFields
})
/** @since 0.1.0 */
export type InsertDatasetEvent = typeof InsertDatasetEvent.Type

/** @since 0.1.0 */
export const InsertEventsResponse = Schema.Struct({ row_ids: Schema.Array(Schema.String) })
/** @since 0.1.0 */
export type InsertEventsResponse = typeof InsertEventsResponse.Type

const fetchedFields = {
  id: Schema.String,
  /** The version of this row: a transaction id. Compare as `bigint`. */
  _xact_id: Schema.String,
  created: Schema.String,
  _pagination_key: nullish(Schema.String),
  project_id: Schema.String,
  input: Schema.optional(Schema.Unknown),
  expected: Schema.optional(Schema.Unknown),
  metadata: nullish(JsonObject),
  tags: nullish(Tags),
  span_id: Schema.String,
  root_span_id: Schema.String,
  is_root: nullish(Schema.Boolean),
  origin: nullish(ObjectReference),
  comments: nullish(Schema.Array(Schema.Unknown)),
  audit_data: nullish(Schema.Array(Schema.Unknown)),
  facets: nullish(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.String) })),
  classifications: nullish(JsonObject)
} as const

const fetchedSpanFields = {
  ...fetchedFields,
  output: Schema.optional(Schema.Unknown),
  error: Schema.optional(Schema.Unknown),
  scores: nullish(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.Number) })),
  metrics: nullish(JsonObject),
  context: nullish(JsonObject),
  span_parents: nullish(Schema.Array(Schema.String)),
  span_attributes: nullish(SpanAttributes)
} as const

/** @since 0.1.0 */
export const ExperimentEvent = open({ ...fetchedSpanFields, experiment_id: Schema.String })
/** @since 0.1.0 */
export type ExperimentEvent = typeof ExperimentEvent.Type

/** @since 0.1.0 */
export const ProjectLogsEvent = open({ ...fetchedSpanFields, org_id: Schema.String, log_id: Schema.String })
/** @since 0.1.0 */
export type ProjectLogsEvent = typeof ProjectLogsEvent.Type

/** @since 0.1.0 */
export const DatasetEvent = open({ ...fetchedFields, dataset_id: Schema.String })
/** @since 0.1.0 */
export type DatasetEvent = typeof DatasetEvent.Type

/**
 * `POST /v1/{object}/{id}/fetch`. `limit` counts traces, not rows; pass the
 * previous response's `cursor` back for the next page.
 *
 * @since 0.1.0
 */
export const FetchEventsRequest = Schema.Struct({
  limit: nullish(Limit),
  cursor: nullish(Schema.String),
  max_xact_id: nullish(Schema.String),
  max_root_span_id: nullish(Schema.String),
  /** A snapshot as of this transaction id. */
  version: nullish(Schema.String)
})
/** @since 0.1.0 */
export type FetchEventsRequest = typeof FetchEventsRequest.Type

/**
 * One page of a fetch; no `cursor` means the end.
 *
 * @since 0.1.0
 */
export const FetchEventsResponse = <S extends Schema.Schema.Any>(event: S): Schema.Struct<{
  events: Schema.Array$<S>
  cursor: Schema.optional<Schema.NullOr<typeof Schema.String>>
}> => Schema.Struct({ events: Schema.Array(event), cursor: nullish(Schema.String) })

/** @since 0.1.0 */
export interface FetchPage<A> {
  readonly events: ReadonlyArray<A>
  readonly cursor?: string | null | undefined
}

// -----------------------------------------------------------------------------
// Feedback
// -----------------------------------------------------------------------------

/**
 * Feedback on an experiment or project-logs row (`FeedbackExperimentItem`,
 * `FeedbackProjectLogsItem`): `id` is the row's id; scores are merged into
 * the row's scores; `metadata` goes to the audit trail.
 *
 * @since 0.1.0
 */
export const FeedbackItem = open({
  id: Schema.String,
  scores: nullish(Scores),
  expected: Schema.optional(Schema.Unknown),
  comment: nullish(Schema.String),
  metadata: nullish(JsonObject),
  source: nullish(Schema.Literal("app", "api", "external")),
  tags: nullish(Tags)
})
/** @since 0.1.0 */
export type FeedbackItem = typeof FeedbackItem.Type

/**
 * Feedback on a dataset row: no scores and no expected.
 *
 * @since 0.1.0
 */
export const FeedbackDatasetItem = open({
  id: Schema.String,
  comment: nullish(Schema.String),
  metadata: nullish(JsonObject),
  source: nullish(Schema.Literal("app", "api", "external")),
  tags: nullish(Tags)
})
/** @since 0.1.0 */
export type FeedbackDatasetItem = typeof FeedbackDatasetItem.Type

/**
 * Feedback on a function event, as seed 001 documents
 * `POST /v1/function/{id}/feedback` (the current OpenAPI file no longer lists it).
 *
 * @since 0.1.0
 */
export const FunctionFeedbackItem = open({
  id: Schema.String,
  scores: nullish(Scores),
  expected: Schema.optional(Schema.Unknown),
  comment: nullish(Schema.String),
  metadata: nullish(JsonObject),
  source: nullish(Schema.Literal("app", "api", "external"))
})
/** @since 0.1.0 */
export type FunctionFeedbackItem = typeof FunctionFeedbackItem.Type

/** @since 0.1.0 */
export const FeedbackResponse = open({ status: Schema.String })
/** @since 0.1.0 */
export type FeedbackResponse = typeof FeedbackResponse.Type

// -----------------------------------------------------------------------------
// Summaries
// -----------------------------------------------------------------------------

/**
 * `score` is the mean over the rows (0..1); `diff` is against the
 * comparison experiment.
 *
 * @since 0.1.0
 */
export const ScoreSummary = open({
  name: Schema.String,
  score: Schema.Number,
  diff: Schema.optional(Schema.Number),
  improvements: Schema.Number,
  regressions: Schema.Number
})
/** @since 0.1.0 */
export type ScoreSummary = typeof ScoreSummary.Type

/** @since 0.1.0 */
export const MetricSummary = open({
  name: Schema.String,
  metric: Schema.Number,
  unit: Schema.String,
  diff: Schema.optional(Schema.Number),
  improvements: Schema.Number,
  regressions: Schema.Number
})
/** @since 0.1.0 */
export type MetricSummary = typeof MetricSummary.Type

/**
 * `GET /v1/experiment/{id}/summarize`, and the response of `POST /v1/eval`.
 *
 * @since 0.1.0
 */
export const SummarizeExperimentResponse = open({
  project_name: Schema.String,
  experiment_name: Schema.String,
  project_url: Schema.String,
  experiment_url: Schema.String,
  comparison_experiment_name: nullish(Schema.String),
  scores: nullish(Schema.Record({ key: Schema.String, value: ScoreSummary })),
  metrics: nullish(Schema.Record({ key: Schema.String, value: MetricSummary }))
})
/** @since 0.1.0 */
export type SummarizeExperimentResponse = typeof SummarizeExperimentResponse.Type

/** @since 0.1.0 */
export const SummarizeExperimentQuery = Schema.Struct({
  /** Without it, only the names and URLs come back. */
  summarize_scores: Schema.optional(Schema.Boolean),
  comparison_experiment_id: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type SummarizeExperimentQuery = typeof SummarizeExperimentQuery.Type

/** @since 0.1.0 */
export const SummarizeDatasetResponse = open({
  project_name: Schema.String,
  dataset_name: Schema.String,
  project_url: Schema.String,
  dataset_url: Schema.String,
  data_summary: nullish(open({ total_records: Schema.Number }))
})
/** @since 0.1.0 */
export type SummarizeDatasetResponse = typeof SummarizeDatasetResponse.Type

/** @since 0.1.0 */
export const SummarizeDatasetQuery = Schema.Struct({ summarize_data: Schema.optional(Schema.Boolean) })
/** @since 0.1.0 */
export type SummarizeDatasetQuery = typeof SummarizeDatasetQuery.Type

// -----------------------------------------------------------------------------
// Cross-object insert
// -----------------------------------------------------------------------------

const objectWrites = <E extends Schema.Schema.Any, F extends Schema.Schema.Any>(event: E, feedback: F) =>
  nullish(Schema.Record({
    key: Schema.String,
    value: open({ events: nullish(Schema.Array(event)), feedback: nullish(Schema.Array(feedback)) })
  }))

/**
 * `POST /v1/insert`: rows and feedback for several objects in one request,
 * keyed by object id (the project id for project logs).
 *
 * @since 0.1.0
 */
export const CrossObjectInsertRequest = Schema.Struct({
  experiment: objectWrites(InsertExperimentEvent, FeedbackItem),
  dataset: objectWrites(InsertDatasetEvent, FeedbackDatasetItem),
  project_logs: objectWrites(InsertProjectLogsEvent, FeedbackItem)
})
/** @since 0.1.0 */
export type CrossObjectInsertRequest = typeof CrossObjectInsertRequest.Type

const rowIdsByObject = nullish(Schema.Record({ key: Schema.String, value: InsertEventsResponse }))

/** @since 0.1.0 */
export const CrossObjectInsertResponse = Schema.Struct({
  experiment: rowIdsByObject,
  dataset: rowIdsByObject,
  project_logs: rowIdsByObject
})
/** @since 0.1.0 */
export type CrossObjectInsertResponse = typeof CrossObjectInsertResponse.Type
