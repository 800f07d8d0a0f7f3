/**
 * Schema models of function invocation and eval launch: `FunctionId` (the
 * seven ways to name a task or scorer), `InvokeApi`, `RunEval` (every body
 * field of seed 002 and the OpenAPI file), and the events their streaming
 * forms send.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { ChatMessage, Extra, JsonObject, PromptData, RepoInfo, SummarizeExperimentResponse } from "./BraintrustSchema.js"

const open = <Fields extends Schema.Struct.Fields>(fields: Fields) => Schema.Struct(fields, Extra)
const nullish = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

// -----------------------------------------------------------------------------
// FunctionId: untagged, told apart by which key is present
// -----------------------------------------------------------------------------

/**
 * A saved function by id, optionally at a version (transaction id or 16-hex).
 *
 * @since 0.1.0
 */
export const FunctionById = open({
  function_id: Schema.String,
  version: Schema.optional(Schema.String)
})

/**
 * A saved function by project name and slug.
 *
 * @since 0.1.0
 */
export const FunctionByProjectSlug = open({
  project_name: Schema.String,
  slug: Schema.String,
  version: Schema.optional(Schema.String)
})

/**
 * A built-in function (an autoevals scorer such as `Factuality`).
 *
 * @since 0.1.0
 */
export const GlobalFunction = open({
  global_function: Schema.String,
  function_type: nullish(Schema.String)
})

/**
 * A function of a playground (prompt session).
 *
 * @since 0.1.0
 */
export const PromptSessionFunction = open({
  prompt_session_id: Schema.String,
  prompt_session_function_id: Schema.String,
  version: Schema.optional(Schema.String)
})

/**
 * Code run by the server: `inline_context.runtime` is `node`, `python`,
 * `browser` or `quickjs`.
 *
 * @since 0.1.0
 */
export const InlineCode = open({
  inline_context: open({ runtime: Schema.String, version: Schema.String }),
  code: Schema.String,
  function_type: nullish(Schema.String),
  name: nullish(Schema.String)
})

/**
 * An inline function definition (optionally with an inline prompt).
 *
 * @since 0.1.0
 */
export const InlineFunction = open({
  inline_function: JsonObject,
  inline_prompt: Schema.optional(PromptData),
  function_type: nullish(Schema.String),
  name: nullish(Schema.String)
})

/**
 * An inline prompt, run as an LLM function.
 *
 * @since 0.1.0
 */
export const InlinePrompt = open({
  inline_prompt: PromptData,
  function_type: nullish(Schema.String),
  name: nullish(Schema.String)
})

/**
 * How an eval names its task and scorers. The variants carry no tag on the
 * wire; the key present decides (`function_id`, `project_name` + `slug`,
 * `global_function`, `prompt_session_id`, `inline_context` + `code`,
 * `inline_function`, `inline_prompt`).
 *
 * @since 0.1.0
 */
export const FunctionId: Schema.Union<[
  typeof FunctionById,
  typeof FunctionByProjectSlug,
  typeof GlobalFunction,
  typeof PromptSessionFunction,
  typeof InlineCode,
  typeof InlineFunction,
  typeof InlinePrompt
]> = Schema.Union(
  FunctionById,
  FunctionByProjectSlug,
  GlobalFunction,
  PromptSessionFunction,
  InlineCode,
  InlineFunction,
  InlinePrompt
)
/** @since 0.1.0 */
export type FunctionId = typeof FunctionId.Type

// -----------------------------------------------------------------------------
// Invoke
// -----------------------------------------------------------------------------

/**
 * Where an invocation or an eval logs its spans: an object's row, or an
 * exported span slug (a string).
 *
 * @since 0.1.0
 */
export const InvokeParent: Schema.Union<[
  Schema.TypeLiteral<{
    object_type: Schema.Literal<["project_logs", "experiment", "playground_logs"]>
    object_id: typeof Schema.String
    row_ids: Schema.optional<
      Schema.NullOr<
        Schema.Struct<{ id: typeof Schema.String; span_id: typeof Schema.String; root_span_id: typeof Schema.String }>
      >
    >
    propagated_event: Schema.optional<Schema.NullOr<typeof JsonObject>>
  }, [typeof Extra]>,
  typeof Schema.String
]> = Schema.Union(
  open({
    object_type: Schema.Literal("project_logs", "experiment", "playground_logs"),
    object_id: Schema.String,
    row_ids: nullish(Schema.Struct({ id: Schema.String, span_id: Schema.String, root_span_id: Schema.String })),
    propagated_event: nullish(JsonObject)
  }),
  Schema.String
)
/** @since 0.1.0 */
export type InvokeParent = typeof InvokeParent.Type

/** @since 0.1.0 */
export const McpAuth = Schema.Record({
  key: Schema.String,
  value: open({ oauth_token: Schema.optional(Schema.String) })
})

/**
 * `POST /v1/function/{id}/invoke` (`InvokeApi`). `stream` is set by the
 * client: `invoke` sends `false`, `invokeStream` sends `true`.
 *
 * @since 0.1.0
 */
export const InvokeRequest = open({
  input: Schema.optional(Schema.Unknown),
  expected: Schema.optional(Schema.Unknown),
  metadata: nullish(JsonObject),
  tags: nullish(Schema.Array(Schema.String)),
  messages: Schema.optional(Schema.Array(ChatMessage)),
  parent: Schema.optional(InvokeParent),
  stream: nullish(Schema.Boolean),
  mode: nullish(Schema.Literal("auto", "parallel", "json", "text")),
  strict: nullish(Schema.Boolean),
  mcp_auth: Schema.optional(McpAuth),
  overrides: nullish(JsonObject),
  /** A transaction id or a 16-hex version id. */
  version: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type InvokeRequest = typeof InvokeRequest.Type

// -----------------------------------------------------------------------------
// Eval launch
// -----------------------------------------------------------------------------

/**
 * Eval data from a dataset, by id.
 *
 * @since 0.1.0
 */
export const DataByDatasetId = open({
  dataset_id: Schema.String,
  dataset_version: nullish(Schema.String),
  dataset_environment: nullish(Schema.String),
  _internal_btql: nullish(JsonObject)
})

/**
 * Eval data from a dataset, by project and dataset name.
 *
 * @since 0.1.0
 */
export const DataByProjectDatasetName = open({
  project_name: Schema.String,
  dataset_name: Schema.String,
  dataset_version: nullish(Schema.String),
  dataset_environment: nullish(Schema.String),
  _internal_btql: nullish(JsonObject)
})

/**
 * Eval data given inline: each row `{ input, expected?, metadata?, … }`.
 *
 * @since 0.1.0
 */
export const DataRows = open({ data: Schema.Array(Schema.Unknown) })

/** @since 0.1.0 */
export const EvalData: Schema.Union<[typeof DataByDatasetId, typeof DataByProjectDatasetName, typeof DataRows]> = Schema
  .Union(DataByDatasetId, DataByProjectDatasetName, DataRows)
/** @since 0.1.0 */
export type EvalData = typeof EvalData.Type

/**
 * Which git metadata the server collects for the experiment.
 *
 * @since 0.1.0
 */
export const GitMetadataSettings = Schema.Struct({
  collect: Schema.Literal("all", "none", "some"),
  fields: Schema.optional(
    Schema.Array(
      Schema.Literal(
        "commit",
        "branch",
        "tag",
        "dirty",
        "author_name",
        "author_email",
        "commit_message",
        "commit_time",
        "git_diff"
      )
    )
  )
})
/** @since 0.1.0 */
export type GitMetadataSettings = typeof GitMetadataSettings.Type

const runEvalFields = {
  data: EvalData,
  task: FunctionId,
  scores: Schema.Array(FunctionId),
  /** Which eval to run, when the source defines several (remote evals). */
  name: Schema.optional(Schema.String),
  parameters: Schema.optional(JsonObject),
  /** Suffixed with a unique id when it conflicts. */
  experiment_name: Schema.optional(Schema.String),
  metadata: Schema.optional(JsonObject),
  parent: Schema.optional(InvokeParent),
  stream: Schema.optional(Schema.Boolean),
  trial_count: nullish(Schema.Number),
  is_public: nullish(Schema.Boolean),
  /** Milliseconds. */
  timeout: nullish(Schema.Number),
  /** Default 10 on the server; `null` means unlimited. */
  max_concurrency: nullish(Schema.Number),
  base_experiment_name: nullish(Schema.String),
  base_experiment_id: nullish(Schema.String),
  git_metadata_settings: nullish(GitMetadataSettings),
  repo_info: nullish(RepoInfo),
  strict: nullish(Schema.Boolean),
  stop_token: nullish(Schema.String),
  extra_messages: Schema.optional(Schema.String),
  tags: Schema.optional(Schema.Array(Schema.String)),
  mcp_auth: Schema.optional(McpAuth)
} as const

/**
 * `POST /v1/eval` (`RunEval`): every field seed 002 documents. `stream` is
 * set by the client: `launch` sends `false`, `launchStream` sends `true`.
 *
 * @since 0.1.0
 */
export const RunEval = open({ project_id: Schema.String, ...runEvalFields })
/** @since 0.1.0 */
export type RunEval = typeof RunEval.Type

/**
 * What `BraintrustEval.launch` takes: `RunEval` whose `project_id` defaults
 * to the configured project.
 *
 * @since 0.1.0
 */
export const EvalLaunchRequest = open({ project_id: Schema.optional(Schema.String), ...runEvalFields })
/** @since 0.1.0 */
export type EvalLaunchRequest = typeof EvalLaunchRequest.Type

// -----------------------------------------------------------------------------
// Streamed events
// -----------------------------------------------------------------------------

/**
 * The experiment a streamed eval started.
 *
 * @since 0.1.0
 */
export const EvalStart = open({
  experiment_id: Schema.optional(Schema.String),
  experiment_name: Schema.optional(Schema.String),
  project_id: Schema.optional(Schema.String),
  project_name: Schema.optional(Schema.String),
  project_url: Schema.optional(Schema.String),
  experiment_url: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type EvalStart = typeof EvalStart.Type

/**
 * One event of a streamed invocation or eval, from its Server-Sent Event
 * (`event:` name and `data:`): `text_delta`, `reasoning_delta`, `json_delta`,
 * `progress`, `console`, `start`, `summary`, `error`, `done`, and any other
 * event as `Other`.
 *
 * @since 0.1.0
 */
export type StreamEvent =
  | { readonly _tag: "TextDelta"; readonly text: string }
  | { readonly _tag: "ReasoningDelta"; readonly text: string }
  /** A chunk of JSON text; concatenate the chunks and parse. */
  | { readonly _tag: "JsonDelta"; readonly chunk: string }
  | { readonly _tag: "Progress"; readonly data: unknown }
  | { readonly _tag: "Console"; readonly data: unknown }
  | { readonly _tag: "Start"; readonly start: EvalStart }
  | { readonly _tag: "Summary"; readonly summary: SummarizeExperimentResponse }
  /** The function or the eval failed; `message` is the vendor's. */
  | { readonly _tag: "Error"; readonly message: string }
  | { readonly _tag: "Done" }
  | { readonly _tag: "Other"; readonly event: string; readonly data: string }
