// The otlp-export workload's receiver (clients/otlp-receiver.mjs) as a child
// process, and the scenarios run against it: reset (with a fault), one client
// in its own process (lib/compare.mjs `runClient`, loopback-only), then what the
// receiver counted. Shared by the workload and its test.
import { spawn } from "node:child_process"
import { join } from "node:path"
import { benchDir, runClient } from "./compare.mjs"

/** Starts the receiver process; resolves when it listens. `close()` stops it. */
export const startReceiver = () =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(benchDir, "clients/otlp-receiver.mjs")], {
      cwd: benchDir,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stderr.on("data", (chunk) => { stderr += chunk })
    child.on("error", reject)
    child.on("exit", (code) => reject(new Error(`otlp receiver exited (${code}):\n${stderr.slice(-2000)}`)))
    child.stdout.on("data", (chunk) => {
      stdout += chunk
      const line = stdout.split("\n").find((l) => l.startsWith("{"))
      if (line === undefined) return
      const { url } = JSON.parse(line)
      resolve({
        url,
        control: async (path) => {
          const response = await fetch(`${url}/control/${path}`, { method: path.startsWith("reset") ? "POST" : "GET" })
          if (!response.ok) throw new Error(`otlp receiver ${path}: ${response.status} ${await response.text()}`)
          return response.status === 204 ? undefined : response.json()
        },
        close: () =>
          new Promise((done) => {
            child.removeAllListeners("exit")
            child.once("exit", () => done())
            child.kill("SIGTERM")
          })
      })
    })
  })

/**
 * One client run against the receiver: `fault` is the receiver's
 * (`none`, `outage:<ms>`, `max-bytes:<n>`). Returns the client's figures with
 * `received` (what the receiver counted) and `delivered` / `lost` (exact:
 * emitted − distinct span ids received).
 */
export const otlpScenario = async (receiver, script, env, fault = "none") => {
  await receiver.control(`reset?fault=${encodeURIComponent(fault)}`)
  const result = await runClient(script, { emulatorUrl: receiver.url, env })
  const received = await receiver.control("count")
  return { ...result, received, delivered: received.spans, lost: result.emitted - received.spans }
}
