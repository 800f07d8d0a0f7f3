// The official SDK's import time in a fresh process (it shares no dependency
// with Effect, so there is no margin to take).
const started = performance.now()
await import("braintrust")
const ms = performance.now() - started
console.log(JSON.stringify({ ms }))
process.exit(0)
