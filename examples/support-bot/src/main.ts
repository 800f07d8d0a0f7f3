/**
 * The main job: a support bot on the backend `PROMPTOPS_PROVIDER` names
 * (default: the embedded local store in ./.promptops, no key needed).
 *
 * Its model is called through `@effect/ai`: a deterministic stand-in when
 * `OPENAI_API_KEY` is not set (offline, no key), OpenAI when it is
 * (`OPENAI_BASE_URL` points it elsewhere, e.g. at an emulator).
 *
 * 1. answers a question with the managed prompt (traced: task → llm spans),
 * 2. records a user's thumbs-up on that answer as feedback,
 * 3. evaluates the production prompt against its previous run, then a
 *    candidate prompt against production, with deterministic scorers and an
 *    LLM judge, and prints both summaries,
 * 4. says where the traces went.
 */
import { Cause, Effect, Exit, Option } from "effect"
import { PromptOps } from "promptops"
import { program } from "./Demo.js"
import * as Model from "./Model.js"

Effect.runPromiseExit(Model.fromConfig.pipe(Effect.flatMap(program), Effect.provide(PromptOps.layer))).then((exit) => {
  if (Exit.isSuccess(exit)) return
  const failure = Cause.failureOption(exit.cause)
  console.error(Option.isSome(failure) ? failure.value.message : Cause.pretty(exit.cause))
  // 2 for a configuration to fix, 1 for anything that went wrong while running.
  process.exitCode = Option.isSome(failure) && failure.value._tag === "ConfigurationError" ? 2 : 1
})
