/**
 * `/v1/function`: CRUD, feedback and invoke (plain and streaming).
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Effect, Schema, Stream } from "effect"
import type { FunctionsApi } from "../BraintrustClient.js"
import { InvokeRequest } from "../BraintrustEvalSchema.js"
import {
  CreateFunction,
  FunctionFeedbackItem,
  FunctionObject,
  ListFunctionsQuery,
  PatchFunction,
  VersionQuery
} from "../BraintrustSchema.js"
import * as BraintrustVersion from "../BraintrustVersion.js"
import { encode, objectId, opName, readQuery, type Requests, withBody } from "./request.js"
import { sse } from "./streaming.js"

/** The functions group. */
export const makeFunctions = ({ created, getJson, http, json, list, sendJson }: Requests): FunctionsApi => {
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
          return sse(http, operation, `/v1/function/${valid}/invoke`, body, callOptions?.timeout)
        })
      )
  }
  return functions
}
