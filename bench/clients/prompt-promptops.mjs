// GETS gets of one prompt by slug through core's `PromptCache` (defaults: 60 s
// TTL) over the Braintrust `Prompts` backend, from CONCURRENCY fibers at once;
// the emulator answers `GET /v1/prompt` after 50 ms. Each get is timed.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Braintrust from "@promptops/braintrust/Braintrust"
import * as PromptCache from "@promptops/core/PromptCache"
import { Effect, Layer, Redacted } from "effect"
import { SLUG, PROJECT } from "../lib/prompt-seed.mjs"

const GETS = Number(process.env.GETS ?? 10_000)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 50)

const backend = Braintrust.layer({
  apiKey: Redacted.make(process.env.BRAINTRUST_API_KEY),
  apiUrl: process.env.EMULATOR_URL,
  project: PROJECT
}).pipe(Layer.provide(FetchHttpClient.layer))

const latencies = []
const program = Effect.gen(function*() {
  let next = 0
  const worker = Effect.gen(function*() {
    while (next < GETS) {
      next++
      const started = performance.now()
      const { prompt } = yield* PromptCache.get(SLUG)
      latencies.push(performance.now() - started)
      if (prompt.slug !== SLUG) throw new Error(`got ${prompt.slug}`)
    }
  })
  const started = performance.now()
  yield* Effect.all(Array.from({ length: CONCURRENCY }, () => worker), { concurrency: "unbounded", discard: true })
  const wall = performance.now() - started
  return { wallMs: wall, stats: yield* PromptCache.stats }
})

const { stats, wallMs } = await Effect.runPromise(Effect.provide(program, PromptCache.layer().pipe(Layer.provideMerge(backend))))
console.log(JSON.stringify({ latencies, wallMs, hits: stats.hits, misses: stats.misses, peakRssMb: process.resourceUsage().maxRSS / 1024 }))
