// For reference: what the peers themselves cost to import in a fresh process
// (wall and process CPU time, as import-promptops.mjs).
const started = performance.now()
const cpu = process.cpuUsage()
await import("effect")
await import("effect/Schema")
await import("@effect/platform/HttpClient")
const ms = performance.now() - started
const { system, user } = process.cpuUsage(cpu)
console.log(JSON.stringify({ ms, cpuMs: (user + system) / 1000 }))
