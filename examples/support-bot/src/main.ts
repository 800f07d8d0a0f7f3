/**
 * The main job: a support bot on the memory backend.
 *
 * 1. answers a question with the managed prompt (traced: task → llm spans),
 * 2. records a user's thumbs-up on that answer as feedback,
 * 3. runs an eval of the production prompt, then of a candidate prompt against
 *    it as the baseline, and prints both summaries,
 * 4. says where the traces went.
 */
import { Effect } from "effect"
import { App, program } from "./Demo.js"

Effect.runPromise(program.pipe(Effect.provide(App))).catch((error) => {
  console.error(String(error))
  process.exitCode = 1
})
