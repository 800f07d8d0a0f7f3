// The view workload's server: `@promptops/view`'s `ViewServer` (built dist)
// over the local backend in VIEW_DIR (`Local.layer`, as `promptops view`
// serves it), on 127.0.0.1:0, in a process of its own so its RSS and CPU are
// its own. Prints one JSON line when it listens: the URL and how long after
// the process started (node boot, module load, store open, listen). Each line
// "stats" on stdin answers a JSON line of its CPU and memory; SIGTERM stops it.
import { Local } from "@promptops/local"
import { ViewServer } from "@promptops/view"
import { Cause, Effect } from "effect"

const DIR = process.env.VIEW_DIR
if (DIR === undefined || DIR === "") throw new Error("view-server: VIEW_DIR is required")

const stats = () => {
  const usage = process.resourceUsage()
  return {
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    rssMb: process.memoryUsage.rss() / 1024 / 1024,
    peakRssMb: usage.maxRSS / 1024
  }
}

process.stdin.setEncoding("utf8")
let input = ""
process.stdin.on("data", (chunk) => {
  input += chunk
  let newline
  while ((newline = input.indexOf("\n")) >= 0) {
    const line = input.slice(0, newline).trim()
    input = input.slice(newline + 1)
    if (line === "stats") process.stdout.write(JSON.stringify({ stats: stats() }) + "\n")
  }
})
process.stdin.on("end", () => process.exit(0))
process.on("SIGTERM", () => process.exit(0))

const program = Effect.scoped(Effect.gen(function*() {
  const server = yield* ViewServer.make({ port: 0 })
  process.stdout.write(JSON.stringify({ url: server.url, readyMs: performance.now(), ...stats() }) + "\n")
  return yield* Effect.never
}))

Effect.runFork(program.pipe(Effect.provide(Local.layer({ dir: DIR }))))
  .addObserver((exit) => {
    if (exit._tag === "Failure") {
      console.error(Cause.pretty(exit.cause))
      process.exit(1)
    }
  })
