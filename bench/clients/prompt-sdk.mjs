// GETS `loadPrompt` calls of one prompt by slug with the official SDK (its
// prompt cache on, by default memory + disk, the disk part in a temporary
// directory), from CONCURRENCY callers at once; the emulator answers
// `GET /v1/prompt` after 50 ms. The SDK fetches on every call and uses its
// cache only when the server fails. Each call is timed.
import { loadPrompt } from "braintrust"
import { SLUG, PROJECT } from "../lib/prompt-seed.mjs"

const GETS = Number(process.env.GETS ?? 10_000)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 50)

const latencies = []
let next = 0
const worker = async () => {
  while (next < GETS) {
    next++
    const started = performance.now()
    const prompt = await loadPrompt({ projectName: PROJECT, slug: SLUG })
    latencies.push(performance.now() - started)
    if (prompt.slug !== SLUG) throw new Error(`got ${prompt.slug}`)
  }
}
const started = performance.now()
await Promise.all(Array.from({ length: CONCURRENCY }, worker))
const wallMs = performance.now() - started
console.log(JSON.stringify({ latencies, wallMs, peakRssMb: process.resourceUsage().maxRSS / 1024 }))
process.exit(0)
