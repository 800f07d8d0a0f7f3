// The import time promptops adds to an app that already loads its peers:
// `effect`, `effect/Schema` and `@effect/platform`'s HttpClient are imported
// first (untimed), then `@promptops/core` and `@promptops/braintrust` (their
// built dist, as an app gets them) are timed.
await import("effect")
await import("effect/Schema")
await import("@effect/platform/HttpClient")
const started = performance.now()
await import("@promptops/core")
await import("@promptops/braintrust")
const ms = performance.now() - started
console.log(JSON.stringify({ ms }))
