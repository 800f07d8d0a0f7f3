// The official SDK's import time in a fresh process (it shares no dependency
// with Effect, so there is no margin to take). Wall and process CPU time, as
// import-promptops.mjs.
const started = performance.now()
const cpu = process.cpuUsage()
await import("braintrust")
const ms = performance.now() - started
const { system, user } = process.cpuUsage(cpu)
console.log(JSON.stringify({ ms, cpuMs: (user + system) / 1000 }))
process.exit(0)
