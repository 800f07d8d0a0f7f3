// The import time promptops adds to an app that already loads its peers:
// `effect`, `effect/Schema` and `@effect/platform`'s HttpClient are imported
// first (untimed), then `@promptops/core` and `@promptops/braintrust` (their
// built dist, as an app gets them) are timed: wall time, and this process's
// CPU time (user + system), which other processes on a shared machine do not inflate.
await import("effect")
await import("effect/Schema")
await import("@effect/platform/HttpClient")
const started = performance.now()
const cpu = process.cpuUsage()
await import("@promptops/core")
await import("@promptops/braintrust")
const ms = performance.now() - started
const { system, user } = process.cpuUsage(cpu)
console.log(JSON.stringify({ ms, cpuMs: (user + system) / 1000 }))
