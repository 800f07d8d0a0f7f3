/**
 * `POST /v1/eval`: an eval run on the server, plain or streaming.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Duration, Effect, Stream } from "effect"
import type { CallOptions, EvalApi } from "../BraintrustClient.js"
import { RunEval } from "../BraintrustEvalSchema.js"
import { SummarizeExperimentResponse } from "../BraintrustSchema.js"
import { encode, objectId, type Requests, withBody } from "./request.js"
import { sse } from "./streaming.js"

/**
 * How long `eval.launch` waits for the summary when neither the call nor the
 * body's `timeout` says (`BraintrustClient.defaultEvalTimeout`).
 */
export const defaultEvalTimeout: Duration.Duration = Duration.minutes(10)

/** The eval group. */
export const makeEval = ({ http, json }: Requests): EvalApi => {
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
          (encoded) => sse(http, "eval.launchStream", "/v1/eval", encoded, evalTimeout(body, callOptions))
        )
      )
  }
  return evalApi
}
