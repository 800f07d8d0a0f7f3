/**
 * `BraintrustEval`: runs an eval on Braintrust's servers (`POST /v1/eval`,
 * as seed 002 documents it): the data (a dataset by id or by project and
 * name, or inline rows), the task and scorers (saved functions, global
 * scorers, prompt-session functions, inline code, functions or prompts), and
 * every option of the launch body. `launch` waits for the summary (scores and
 * metrics with their diffs against the base experiment); `launchStream`
 * streams the `start`, progress and `summary` events.
 *
 * @since 0.1.0
 */
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import { Context, Effect, Layer, Stream } from "effect"
import { BraintrustClient, type CallOptions } from "./BraintrustClient.js"
import type { EvalLaunchRequest, RunEval, StreamEvent } from "./BraintrustEvalSchema.js"
import type { SummarizeExperimentResponse } from "./BraintrustSchema.js"

/**
 * @since 0.1.0
 */
export declare namespace BraintrustEval {
  /**
   * @since 0.1.0
   */
  export interface Service {
    /** Runs the eval and returns its summary. `project_id` defaults to the configured project's. */
    readonly launch: (
      request: EvalLaunchRequest,
      options?: CallOptions
    ) => Effect.Effect<SummarizeExperimentResponse, PromptOpsError>
    /** The same, as its stream of events. */
    readonly launchStream: (
      request: EvalLaunchRequest,
      options?: CallOptions
    ) => Stream.Stream<StreamEvent, PromptOpsError>
  }
}

/**
 * @since 0.1.0
 */
export class BraintrustEval extends Context.Tag("@promptops/braintrust/BraintrustEval")<
  BraintrustEval,
  BraintrustEval.Service
>() {}

/**
 * @since 0.1.0
 */
export const make = (options: { readonly project?: string | undefined } = {}): Effect.Effect<
  BraintrustEval.Service,
  never,
  BraintrustClient
> =>
  Effect.map(BraintrustClient, (client) => {
    const withProject = (request: EvalLaunchRequest): Effect.Effect<RunEval, PromptOpsError> =>
      typeof request.project_id === "string"
        ? Effect.succeed({ ...request, project_id: request.project_id })
        : Effect.map(client.resolveProject(options.project), (project) => ({ ...request, project_id: project.id }))
    return {
      launch: (request, callOptions) =>
        Effect.flatMap(withProject(request), (body) => client.eval.launch(body, callOptions)),
      launchStream: (request, callOptions) =>
        Stream.unwrap(Effect.map(withProject(request), (body) => client.eval.launchStream(body, callOptions)))
    }
  })

/**
 * @since 0.1.0
 */
export const layer = (options: { readonly project?: string | undefined } = {}): Layer.Layer<
  BraintrustEval,
  never,
  BraintrustClient
> => Layer.effect(BraintrustEval, make(options))

/**
 * Launches an eval and waits for its summary.
 *
 * @since 0.1.0
 */
export const launch = (
  request: EvalLaunchRequest,
  options?: CallOptions
): Effect.Effect<SummarizeExperimentResponse, PromptOpsError, BraintrustEval> =>
  Effect.flatMap(BraintrustEval, (service) => service.launch(request, options))

/**
 * Launches an eval and streams its events.
 *
 * @since 0.1.0
 */
export const launchStream = (
  request: EvalLaunchRequest,
  options?: CallOptions
): Stream.Stream<StreamEvent, PromptOpsError, BraintrustEval> =>
  Stream.unwrap(Effect.map(BraintrustEval, (service) => service.launchStream(request, options)))
