/**
 * The request plumbing of `BraintrustClient`: operation names, input
 * validation (ids, bodies, queries), request building over `ProviderHttp`,
 * and list paging. The resource groups (`internal/<group>.ts`) describe their
 * endpoints with it.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Ids from "@promptops/core/Ids"
import { invalidInput, type InvalidInput, type PromptOpsError } from "@promptops/core/PromptOpsError"
import * as ProviderHttp from "@promptops/core/ProviderHttp"
import { Chunk, Effect, Option, ParseResult, Schema, Stream } from "effect"
import { isObjectId, ListResponse } from "../BraintrustSchema.js"
import * as BraintrustVersion from "../BraintrustVersion.js"

/** The provider name every error from this package carries (`BraintrustClient.provider`). */
export const provider = "braintrust"

/** The page size of list streams when the query sets no `limit` (`BraintrustClient.defaultPageSize`). */
export const defaultPageSize = 100

export const opName = (method: string): string => `BraintrustClient.${method}`

export const fail = (operation: string, path: string, description: string): Effect.Effect<never, InvalidInput> =>
  Effect.fail(invalidInput({ provider, operation: opName(operation), path, description }))

export const fromParseError = (operation: string, root: string, error: ParseResult.ParseError): InvalidInput => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  const path = ProviderHttp.formatPath([root, ...(issue?.path ?? [])])
  return invalidInput({ provider, operation: opName(operation), path, description: issue?.message ?? error.message })
}

/** Validates `value` against `schema` and returns its JSON form. */
export const encode = <A, I>(
  operation: string,
  root: string,
  schema: Schema.Schema<A, I>,
  value: A
): Effect.Effect<I, InvalidInput> =>
  Effect.mapError(Schema.encodeUnknown(schema)(value), (error) => fromParseError(operation, root, error))

export const objectId = (operation: string, path: string, id: string): Effect.Effect<string, InvalidInput> =>
  typeof id === "string" && isObjectId(id)
    ? Effect.succeed(id)
    : fail(operation, path, `${path} must be a Braintrust object id (a UUID), got ${JSON.stringify(id)}`)

export const withBody = (
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

export type QueryValue = string | number | boolean | ReadonlyArray<string> | undefined

/** Query parameters in order; arrays become repeated parameters (`ids=a&ids=b`). */
export const urlParams = (query: Readonly<Record<string, QueryValue>>): Array<[string, string]> => {
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
export const readQuery = <A extends Readonly<Record<string, QueryValue>>, I>(
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
export const withRowIds = <A extends { readonly id?: string | null | undefined }>(events: ReadonlyArray<A>): Array<A> =>
  events.map((event) => (typeof event.id === "string" && event.id !== "" ? event : { ...event, id: Ids.uuid() }))

export const isFoundExisting = (headers: Readonly<Record<string, string>>): boolean => {
  const value = headers["x-bt-found-existing"]
  return value !== undefined && value !== "false" && value !== "0"
}

/**
 * Walks list pages as a stream. With `ending_before` the walk goes toward
 * newer objects (each page is emitted oldest first, so the stream moves away
 * from the cursor); otherwise it starts at `starting_after` (or the newest)
 * and goes toward older ones. It stops at a page shorter than the page size.
 */
export const walkPages = <A extends { readonly id: string }>(
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
 * The request builders over one `ProviderHttp`, shared by every resource
 * group. `operation` is the method name after `BraintrustClient.`
 * (`prompts.get`); errors name it in full.
 */
export type Requests = ReturnType<typeof makeRequests>

/** One list endpoint: a page, or every page as a stream. */
export interface ListEndpoint<Q, A> {
  readonly one: (query: Q | undefined) => Effect.Effect<ReadonlyArray<A>, PromptOpsError>
  readonly stream: (query: Q | undefined) => Stream.Stream<A, PromptOpsError>
}

/** The request builders over `http` (see `Requests`). */
export const makeRequests = (http: ProviderHttp.ProviderHttp) => {
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

  /** A get-or-create `POST`/`PUT`: the value, and whether it existed (`x-bt-found-existing`). */
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

  /** A list endpoint: one page (`one`) or every page (`stream`). */
  const list = <Q extends Readonly<Record<string, QueryValue>>, QI, A extends { readonly id: string }, I>(
    operation: string,
    path: string,
    querySchema: Schema.Schema<Q, QI>,
    schema: Schema.Schema<A, I>
  ): ListEndpoint<Q, A> => {
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

  return { http, json, getJson, sendJson, created, list }
}
