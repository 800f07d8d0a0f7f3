/**
 * `BraintrustFunctions`: Braintrust functions (prompts, code, scorers, tools)
 * as a service of their own — list, create (get-or-create), replace, get,
 * update (deep merge), delete, feedback and invoke (JSON or streamed) — for
 * programs that use what only Braintrust offers. A program that needs it does
 * not type-check against another backend.
 *
 * @since 0.1.0
 */
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import { Context, Effect, Layer, Stream } from "effect"
import { BraintrustClient, type CallOptions, type FunctionsApi } from "./BraintrustClient.js"
import type { InvokeRequest, StreamEvent } from "./BraintrustEvalSchema.js"

/**
 * @since 0.1.0
 */
export declare namespace BraintrustFunctions {
  /**
   * The same operations as `BraintrustClient.Service["functions"]`.
   *
   * @since 0.1.0
   */
  export interface Service extends FunctionsApi {}
}

/**
 * @since 0.1.0
 */
export class BraintrustFunctions extends Context.Tag("@promptops/braintrust/BraintrustFunctions")<
  BraintrustFunctions,
  BraintrustFunctions.Service
>() {}

/**
 * @since 0.1.0
 */
export const make: Effect.Effect<BraintrustFunctions.Service, never, BraintrustClient> = Effect.map(
  BraintrustClient,
  (client) => client.functions
)

/**
 * @since 0.1.0
 */
export const layer: Layer.Layer<BraintrustFunctions, never, BraintrustClient> = Layer.effect(BraintrustFunctions, make)

/**
 * Invokes a function and returns its output.
 *
 * @since 0.1.0
 */
export const invoke = (
  functionId: string,
  request: InvokeRequest,
  options?: CallOptions
): Effect.Effect<unknown, PromptOpsError, BraintrustFunctions> =>
  Effect.flatMap(BraintrustFunctions, (functions) => functions.invoke(functionId, request, options))

/**
 * Invokes a function with streaming.
 *
 * @since 0.1.0
 */
export const invokeStream = (
  functionId: string,
  request: InvokeRequest,
  options?: CallOptions
): Stream.Stream<StreamEvent, PromptOpsError, BraintrustFunctions> =>
  Stream.unwrap(Effect.map(BraintrustFunctions, (functions) => functions.invokeStream(functionId, request, options)))

/**
 * The text of a streamed invocation: its `text_delta` events joined, or its
 * `json_delta` chunks joined (JSON text). Fails with the stream's error.
 *
 * @since 0.1.0
 */
export const collectText = <E, R>(events: Stream.Stream<StreamEvent, E, R>): Effect.Effect<string, E, R> =>
  Stream.runFold(events, "", (text, event) =>
    event._tag === "TextDelta" ? text + event.text : event._tag === "JsonDelta" ? text + event.chunk : text)
