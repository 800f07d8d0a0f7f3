/**
 * The wire model of the Basalt REST API (`https://api.getbasalt.ai`, OpenAPI
 * "Basalt API" 0.2.1), one schema per request and response.
 *
 * Responses are decoded leniently where Basalt's own documents and SDKs
 * disagree with the OpenAPI file:
 * - every response may carry `warning` (a string, or `null`): it is kept,
 *   never dropped, and `null` decodes as absent;
 * - a prompt's `systemText`, `tag`, `slug` and most model fields may be absent
 *   or `null`;
 * - dataset columns arrive as objects `{ name, type }` (the OpenAPI file, the
 *   Python SDK) or as plain strings (the JS SDK's fixtures); both decode to
 *   `{ name, type? }`;
 * - `POST /monitor/trace` answers `{ trace: { id } }` (the OpenAPI file) or
 *   `{ id }` (Basalt's raw-REST example);
 * - `POST /monitor/experiments` answers the experiment at the top level.
 *
 * Objects keep the fields this module does not name (`Schema.Record` index
 * signatures), so a prompt's `source.raw` is the whole vendor object.
 *
 * @since 0.1.0
 */
import * as Records from "@promptops/core/Records"
import { Schema } from "effect"

/** @since 0.1.0 */
export const JsonObject: Records.Of<typeof Schema.Unknown> = Records.Unknown

/**
 * The fields an object carries beyond those named here, as an index signature.
 * (`Schema.Struct` takes only a `Schema.Record` there, which does not keep a
 * `__proto__` key; objects that must keep every key are `JsonObject`s.)
 */
const OtherFields = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** A string that may be absent or `null`; `null` decodes as absent. */
const optionalString = Schema.optionalWith(Schema.String, { nullable: true })

/**
 * The `warning` a successful response may carry.
 *
 * @since 0.1.0
 */
export const Warning: Schema.optionalWith<typeof Schema.String, { nullable: true }> = optionalString

// -----------------------------------------------------------------------------
// Shared request fields
// -----------------------------------------------------------------------------

/**
 * What `input`, `output` and `idealOutput` take: a string, an object, an
 * array or `null`.
 *
 * @since 0.1.0
 */
export const IoValue: Schema.Union<[
  typeof Schema.String,
  Records.Of<typeof Schema.Unknown>,
  Schema.Array$<typeof Schema.Unknown>,
  typeof Schema.Null
]> = Schema.Union(Schema.String, JsonObject, Schema.Array(Schema.Unknown), Schema.Null)
/** @since 0.1.0 */
export type IoValue = typeof IoValue.Type

/**
 * A point in time: an ISO-8601 string (what we send), a positive number
 * (accepted, unit undocumented) or `null`.
 *
 * @since 0.1.0
 */
export const TimeValue: Schema.Union<[
  typeof Schema.String,
  Schema.filter<typeof Schema.Number>,
  typeof Schema.Null
]> = Schema.Union(Schema.String, Schema.Number.pipe(Schema.greaterThan(0)), Schema.Null)
/** @since 0.1.0 */
export type TimeValue = typeof TimeValue.Type

/** @since 0.1.0 */
export const Identity = Schema.Struct({ id: Schema.String, name: Schema.String })
/** @since 0.1.0 */
export type Identity = typeof Identity.Type

/** @since 0.1.0 */
export const EvaluatorRef = Schema.Struct({ slug: Schema.String })
/** @since 0.1.0 */
export type EvaluatorRef = typeof EvaluatorRef.Type

/** @since 0.1.0 */
export const VariableValue = Schema.Struct({ label: Schema.String, value: Schema.optional(Schema.NullOr(Schema.String)) })
/** @since 0.1.0 */
export type VariableValue = typeof VariableValue.Type

// -----------------------------------------------------------------------------
// Prompts
// -----------------------------------------------------------------------------

/**
 * `prompt.model.parameters`. Only `maxLength` and `responseFormat` are
 * required by the OpenAPI file; both SDKs tolerate their absence, so do we.
 *
 * @since 0.1.0
 */
export const PromptModelParameters = Schema.Struct({
  temperature: Schema.optionalWith(Schema.Number, { nullable: true }),
  topP: Schema.optionalWith(Schema.Number, { nullable: true }),
  topK: Schema.optionalWith(Schema.Number, { nullable: true }),
  frequencyPenalty: Schema.optionalWith(Schema.Number, { nullable: true }),
  presencePenalty: Schema.optionalWith(Schema.Number, { nullable: true }),
  maxLength: Schema.optionalWith(Schema.Number, { nullable: true }),
  responseFormat: optionalString,
  jsonObject: Schema.optionalWith(JsonObject, { nullable: true }),
  reasoningEffort: optionalString,
  verbosity: optionalString,
  tools: Schema.optionalWith(
    Schema.Struct({
      tools: Schema.optionalWith(Schema.Array(Schema.Unknown), { nullable: true }),
      toolChoice: Schema.optional(Schema.Unknown)
    }, OtherFields),
    { nullable: true }
  )
}, OtherFields)
/** @since 0.1.0 */
export type PromptModelParameters = typeof PromptModelParameters.Type

/**
 * `prompt.model`. `model` is Basalt's short model id (`gpt-4o`, `3.5-sonnet`),
 * not the vendor's.
 *
 * @since 0.1.0
 */
export const PromptModel = Schema.Struct({
  provider: optionalString,
  /** `open-ai`, `anthropic`, `hugging-face`, `mistral`, `gemini`, `azure`, `bedrock`, `xai`, `deepseek` (kept open). */
  client: optionalString,
  model: Schema.String,
  version: optionalString,
  parameters: Schema.optionalWith(PromptModelParameters, { nullable: true })
}, OtherFields)
/** @since 0.1.0 */
export type PromptModel = typeof PromptModel.Type

/**
 * `GET /prompts/{slug}` → `prompt`: the raw (unrendered) Jinja templates.
 *
 * @since 0.1.0
 */
export const BasaltPrompt = Schema.Struct({
  slug: optionalString,
  version: Schema.String,
  tag: optionalString,
  text: Schema.String,
  systemText: optionalString,
  model: Schema.optionalWith(PromptModel, { nullable: true })
}, OtherFields)
/** @since 0.1.0 */
export type BasaltPrompt = typeof BasaltPrompt.Type

/**
 * `GET /prompts/{slug}`.
 *
 * @since 0.1.0
 */
export const GetPromptResponse = Schema.Struct({ warning: Warning, prompt: BasaltPrompt })
/** @since 0.1.0 */
export type GetPromptResponse = typeof GetPromptResponse.Type

/**
 * One line of `GET /prompts`.
 *
 * @since 0.1.0
 */
export const PromptListItem = Schema.Struct({
  slug: optionalString,
  name: Schema.String,
  /** `live` or `draft` (kept open). */
  status: optionalString,
  description: optionalString,
  availableVersions: Schema.optionalWith(Schema.Array(Schema.String), { nullable: true, default: () => [] }),
  availableTags: Schema.optionalWith(Schema.Array(Schema.String), { nullable: true, default: () => [] })
}, OtherFields)
/** @since 0.1.0 */
export type PromptListItem = typeof PromptListItem.Type

/**
 * `GET /prompts`.
 *
 * @since 0.1.0
 */
export const ListPromptsResponse = Schema.Struct({ warning: Warning, prompts: Schema.Array(PromptListItem) })
/** @since 0.1.0 */
export type ListPromptsResponse = typeof ListPromptsResponse.Type

/**
 * A variable a prompt declares (`GET /prompts/{slug}/describe`).
 *
 * @since 0.1.0
 */
export const PromptVariable = Schema.Struct({
  label: Schema.String,
  type: optionalString,
  description: optionalString
}, OtherFields)
/** @since 0.1.0 */
export type PromptVariable = typeof PromptVariable.Type

/**
 * `GET /prompts/{slug}/describe` → `prompt`.
 *
 * @since 0.1.0
 */
export const PromptDescription = Schema.Struct({
  slug: optionalString,
  name: Schema.String,
  status: optionalString,
  description: optionalString,
  availableVersions: Schema.optionalWith(Schema.Array(Schema.String), { nullable: true, default: () => [] }),
  availableTags: Schema.optionalWith(Schema.Array(Schema.String), { nullable: true, default: () => [] }),
  variables: Schema.optionalWith(Schema.Array(PromptVariable), { nullable: true, default: () => [] }),
  /** Not in the OpenAPI file; the JS SDK's type declares them. */
  version: optionalString,
  tag: optionalString
}, OtherFields)
/** @since 0.1.0 */
export type PromptDescription = typeof PromptDescription.Type

/**
 * `GET /prompts/{slug}/describe`.
 *
 * @since 0.1.0
 */
export const DescribePromptResponse = Schema.Struct({ warning: Warning, prompt: PromptDescription })
/** @since 0.1.0 */
export type DescribePromptResponse = typeof DescribePromptResponse.Type

/**
 * `POST /prompts/{slug}/publish`: point `newTag` at the version selected by
 * `version` or `tag` (Basalt's resolution rules).
 *
 * @since 0.1.0
 */
export const PublishPromptRequest = Schema.Struct({
  newTag: Schema.String.pipe(Schema.minLength(1)),
  version: Schema.optional(Schema.String),
  tag: Schema.optional(Schema.String)
})
/** @since 0.1.0 */
export type PublishPromptRequest = typeof PublishPromptRequest.Type

/**
 * `POST /prompts/{slug}/publish` (201).
 *
 * @since 0.1.0
 */
export const PublishPromptResponse = Schema.Struct({
  warning: Warning,
  deploymentTag: Schema.Struct({ id: Schema.String, label: Schema.String }, OtherFields)
})
/** @since 0.1.0 */
export type PublishPromptResponse = typeof PublishPromptResponse.Type

// -----------------------------------------------------------------------------
// Datasets
// -----------------------------------------------------------------------------

const ColumnObject = Schema.Struct({
  name: Schema.String,
  /** `text`, `image`, `file` or `json` (kept open). */
  type: optionalString
})

/**
 * A dataset column: `{ name, type }` per the OpenAPI file, or a bare name as
 * in the JS SDK's fixtures. Both decode to `{ name, type? }`.
 *
 * @since 0.1.0
 */
export const DatasetColumn: Schema.Union<[
  typeof ColumnObject,
  Schema.transform<typeof Schema.String, Schema.SchemaClass<DatasetColumn>>
]> = Schema.Union(
  ColumnObject,
  Schema.transform(Schema.String, Schema.typeSchema(ColumnObject), {
    strict: true,
    decode: (name) => ({ name }),
    encode: (column) => column.name
  })
)
/** @since 0.1.0 */
export type DatasetColumn = { readonly name: string; readonly type?: string | undefined }

/**
 * One line of `GET /datasets`.
 *
 * @since 0.1.0
 */
export const DatasetSummary = Schema.Struct({
  slug: Schema.String,
  name: Schema.String,
  columns: Schema.optionalWith(Schema.Array(DatasetColumn), { nullable: true, default: () => [] })
}, OtherFields)
/** @since 0.1.0 */
export type DatasetSummary = typeof DatasetSummary.Type

/**
 * `GET /datasets`.
 *
 * @since 0.1.0
 */
export const ListDatasetsResponse = Schema.Struct({ warning: Warning, datasets: Schema.Array(DatasetSummary) })
/** @since 0.1.0 */
export type ListDatasetsResponse = typeof ListDatasetsResponse.Type

/**
 * A dataset row. `values` are strings in practice (a file column holds the
 * `fileKey` of an upload); anything else is kept as it came.
 *
 * @since 0.1.0
 */
export const DatasetRow = Schema.Struct({
  name: optionalString,
  values: JsonObject,
  idealOutput: optionalString,
  metadata: Schema.optionalWith(JsonObject, { nullable: true })
}, OtherFields)
/** @since 0.1.0 */
export type DatasetRow = typeof DatasetRow.Type

/**
 * `GET /datasets/{slug}` → `dataset`, with its rows.
 *
 * @since 0.1.0
 */
export const BasaltDataset = Schema.Struct({
  slug: Schema.String,
  name: Schema.String,
  columns: Schema.optionalWith(Schema.Array(DatasetColumn), { nullable: true, default: () => [] }),
  rows: Schema.optionalWith(Schema.Array(DatasetRow), { nullable: true, default: () => [] })
}, OtherFields)
/** @since 0.1.0 */
export type BasaltDataset = typeof BasaltDataset.Type

/**
 * `GET /datasets/{slug}`.
 *
 * @since 0.1.0
 */
export const GetDatasetResponse = Schema.Struct({ warning: Warning, dataset: BasaltDataset })
/** @since 0.1.0 */
export type GetDatasetResponse = typeof GetDatasetResponse.Type

/**
 * `POST /datasets/{slug}/items`. Values are keyed by column name; unknown
 * columns are dropped by Basalt with a `warning`, missing required ones are
 * a 400.
 *
 * @since 0.1.0
 */
export const CreateDatasetItemRequest = Schema.Struct({
  values: Records.of(Schema.String),
  name: Schema.optional(Schema.NullOr(Schema.String)),
  idealOutput: Schema.optional(Schema.NullOr(Schema.String)),
  metadata: Schema.optional(Schema.NullOr(JsonObject)),
  /** Sent by the JS SDK; not in the OpenAPI file. */
  isPlayground: Schema.optional(Schema.Boolean)
})
/** @since 0.1.0 */
export type CreateDatasetItemRequest = typeof CreateDatasetItemRequest.Type

/**
 * `POST /datasets/{slug}/items` (201). `warning` lists unknown columns that
 * were dropped.
 *
 * @since 0.1.0
 */
export const CreateDatasetItemResponse = Schema.Struct({ warning: Warning, datasetRow: DatasetRow })
/** @since 0.1.0 */
export type CreateDatasetItemResponse = typeof CreateDatasetItemResponse.Type

// -----------------------------------------------------------------------------
// Files (not in the OpenAPI file; both SDKs use it)
// -----------------------------------------------------------------------------

/**
 * `POST /files/generate-upload-url`.
 *
 * @since 0.1.0
 */
export const GenerateUploadUrlRequest = Schema.Struct({
  fileName: Schema.String.pipe(Schema.minLength(1)),
  contentType: Schema.String.pipe(Schema.minLength(1)),
  sizeBytes: Schema.optional(Schema.Number)
})
/** @since 0.1.0 */
export type GenerateUploadUrlRequest = typeof GenerateUploadUrlRequest.Type

/**
 * `POST /files/generate-upload-url`: where to `PUT` the bytes, and the key to
 * store in a file column afterwards.
 *
 * @since 0.1.0
 */
export const GenerateUploadUrlResponse = Schema.Struct({
  warning: Warning,
  uploadUrl: Schema.String,
  fileKey: Schema.String,
  expiresAt: optionalString,
  maxSizeBytes: Schema.optionalWith(Schema.Number, { nullable: true })
})
/** @since 0.1.0 */
export type GenerateUploadUrlResponse = typeof GenerateUploadUrlResponse.Type

// -----------------------------------------------------------------------------
// Experiments and monitoring
// -----------------------------------------------------------------------------

/**
 * `POST /monitor/experiments`.
 *
 * @since 0.1.0
 */
export const CreateExperimentRequest = Schema.Struct({
  featureSlug: Schema.String.pipe(Schema.minLength(1)),
  name: Schema.String.pipe(Schema.minLength(1))
})
/** @since 0.1.0 */
export type CreateExperimentRequest = typeof CreateExperimentRequest.Type

/**
 * `POST /monitor/experiments`: the experiment, at the top level.
 *
 * @since 0.1.0
 */
export const BasaltExperiment = Schema.Struct({
  warning: Warning,
  id: Schema.String,
  name: Schema.String,
  featureSlug: optionalString,
  /** ISO-8601. */
  createdAt: optionalString
}, OtherFields)
/** @since 0.1.0 */
export type BasaltExperiment = typeof BasaltExperiment.Type

const logFields = {
  id: Schema.String.pipe(Schema.minLength(1)),
  name: Schema.optional(Schema.NullOr(Schema.String)),
  startTime: Schema.optional(TimeValue),
  endTime: Schema.optional(TimeValue),
  metadata: Schema.optional(Schema.NullOr(JsonObject)),
  /** The id of another log of the same payload; `null` for a top-level log. */
  parentId: Schema.optional(Schema.NullOr(Schema.String)),
  input: Schema.optional(IoValue),
  output: Schema.optional(IoValue),
  idealOutput: Schema.optional(IoValue),
  evaluators: Schema.optional(Schema.NullOr(Schema.Array(EvaluatorRef)))
} as const

/**
 * A log of kind `span`, `function`, `tool`, `retrieval` or `event`.
 *
 * @since 0.1.0
 */
export const SpanLog = Schema.Struct({
  ...logFields,
  type: Schema.Literal("span", "function", "tool", "retrieval", "event")
})
/** @since 0.1.0 */
export type SpanLog = typeof SpanLog.Type

/**
 * A generation log: an LLM call, with tokens, cost, variables and the Basalt
 * prompt it ran (omit `prompt` for a prompt Basalt does not store).
 *
 * @since 0.1.0
 */
export const GenerationLog = Schema.Struct({
  ...logFields,
  type: Schema.Literal("generation"),
  inputTokens: Schema.optional(Schema.NullOr(Schema.Number)),
  outputTokens: Schema.optional(Schema.NullOr(Schema.Number)),
  cost: Schema.optional(Schema.NullOr(Schema.Number)),
  variables: Schema.optional(Schema.NullOr(Schema.Array(VariableValue))),
  prompt: Schema.optional(
    Schema.NullOr(
      Schema.Struct({
        slug: Schema.String,
        version: Schema.optional(Schema.NullOr(Schema.String)),
        tag: Schema.optional(Schema.NullOr(Schema.String))
      })
    )
  )
})
/** @since 0.1.0 */
export type GenerationLog = typeof GenerationLog.Type

/** @since 0.1.0 */
export const Log: Schema.Union<[typeof SpanLog, typeof GenerationLog]> = Schema.Union(SpanLog, GenerationLog)
/** @since 0.1.0 */
export type Log = typeof Log.Type

/**
 * `POST /monitor/trace`: a whole trace, its logs a flat list linked by
 * `parentId`.
 *
 * @since 0.1.0
 */
export const TraceRequest = Schema.Struct({
  featureSlug: Schema.String.pipe(Schema.minLength(1)),
  name: Schema.optional(Schema.NullOr(Schema.String)),
  input: Schema.optional(IoValue),
  output: Schema.optional(IoValue),
  idealOutput: Schema.optional(IoValue),
  metadata: Schema.optional(Schema.NullOr(JsonObject)),
  organization: Schema.optional(Schema.NullOr(Identity)),
  user: Schema.optional(Schema.NullOr(Identity)),
  startTime: Schema.optional(TimeValue),
  endTime: Schema.optional(TimeValue),
  experiment: Schema.optional(Schema.NullOr(Schema.Struct({ id: Schema.String }))),
  logs: Schema.optional(Schema.NullOr(Schema.Array(Log))),
  evaluators: Schema.optional(Schema.NullOr(Schema.Array(EvaluatorRef))),
  evaluationConfig: Schema.optional(
    Schema.NullOr(Schema.Struct({ sampleRate: Schema.optional(Schema.NullOr(Schema.Number.pipe(Schema.between(0, 1)))) }))
  )
})
/** @since 0.1.0 */
export type TraceRequest = typeof TraceRequest.Type

/** @since 0.1.0 */
export const IdObject: Schema.TypeLiteral<{ id: typeof Schema.String }, [{ key: typeof Schema.String; value: typeof Schema.Unknown }]> = Schema.Struct({ id: Schema.String }, OtherFields)

/**
 * `POST /monitor/trace` as it arrives: `{ trace: { id } }` per the OpenAPI
 * file, or `{ id }` as Basalt's raw-REST example reads it.
 *
 * @since 0.1.0
 */
export const TraceResponseWire: Schema.Union<[
  Schema.Struct<{ warning: typeof Warning; trace: typeof IdObject }>,
  Schema.Struct<{ warning: typeof Warning; id: typeof Schema.String }>
]> = Schema.Union(
  Schema.Struct({ warning: Warning, trace: IdObject }),
  Schema.Struct({ warning: Warning, id: Schema.String })
)

/**
 * `POST /monitor/trace`, normalised: `{ traceId, warning? }`.
 *
 * @since 0.1.0
 */
export const TraceResponse: Schema.Schema<TraceResponse, typeof TraceResponseWire.Encoded> = Schema.transform(
  TraceResponseWire,
  Schema.typeSchema(Schema.Struct({ traceId: Schema.String, warning: Schema.optional(Schema.String) })),
  {
    strict: true,
    decode: (response) => ({
      traceId: "trace" in response ? response.trace.id : response.id,
      ...(response.warning !== undefined ? { warning: response.warning } : {})
    }),
    encode: (response) => ({
      trace: { id: response.traceId },
      ...(response.warning !== undefined ? { warning: response.warning } : {})
    })
  }
)
/** @since 0.1.0 */
export type TraceResponse = { readonly traceId: string; readonly warning?: string | undefined }

/**
 * `POST /monitor/log`: one prompt execution; Basalt resolves the prompt
 * (version → tag → production) and creates a trace with one generation log.
 *
 * @since 0.1.0
 */
export const MonitorLogRequest = Schema.Struct({
  slug: Schema.String.pipe(Schema.minLength(1)),
  output: Schema.Union(Schema.String, JsonObject, Schema.Array(Schema.Unknown)),
  name: Schema.optional(Schema.NullOr(Schema.String)),
  version: Schema.optional(Schema.NullOr(Schema.String)),
  tag: Schema.optional(Schema.NullOr(Schema.String)),
  input: Schema.optional(IoValue),
  idealOutput: Schema.optional(IoValue),
  variables: Schema.optional(Schema.NullOr(Schema.Array(VariableValue))),
  startTime: Schema.optional(TimeValue),
  endTime: Schema.optional(TimeValue),
  inputTokens: Schema.optional(Schema.NullOr(Schema.Number)),
  outputTokens: Schema.optional(Schema.NullOr(Schema.Number)),
  cost: Schema.optional(Schema.NullOr(Schema.Number)),
  organization: Schema.optional(Schema.NullOr(Identity)),
  user: Schema.optional(Schema.NullOr(Identity)),
  metadata: Schema.optional(Schema.NullOr(JsonObject))
})
/** @since 0.1.0 */
export type MonitorLogRequest = typeof MonitorLogRequest.Type

/**
 * `POST /monitor/log`.
 *
 * @since 0.1.0
 */
export const MonitorLogResponse = Schema.Struct({ warning: Warning, trace: IdObject, log: IdObject })
/** @since 0.1.0 */
export type MonitorLogResponse = typeof MonitorLogResponse.Type
