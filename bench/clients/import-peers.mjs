// For reference: what the peers themselves cost to import in a fresh process.
const started = performance.now()
await import("effect")
await import("effect/Schema")
await import("@effect/platform/HttpClient")
const ms = performance.now() - started
console.log(JSON.stringify({ ms }))
