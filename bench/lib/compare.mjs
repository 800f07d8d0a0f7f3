// The side-by-side benchmarks' plumbing: a Braintrust emulator on loopback in
// the orchestrating process, each client (promptops or the official SDK) in
// its own child process, and what the emulator received counted afterwards.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { BraintrustEmulator } from "@promptops/emulators"

export const benchDir = fileURLToPath(new URL("..", import.meta.url))
const loopbackOnly = fileURLToPath(new URL("./loopback-only.mjs", import.meta.url))

/** The key the emulator accepts; it is only ever sent to the loopback emulator. */
export const EMULATOR_KEY = "bench-key"

export const startEmulator = () => BraintrustEmulator.start({ apiKeys: [EMULATOR_KEY] })

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]

/**
 * The environment of a client: no inherited BRAINTRUST_* variable, the SDK
 * pointed at the emulator (app and API URL), and its prompt caches in a fresh
 * temporary directory instead of the home directory.
 */
const clientEnv = (emulatorUrl, cacheDir, extra) => {
  const env = {}
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("BRAINTRUST_")) env[name] = value
  return {
    ...env,
    EMULATOR_URL: emulatorUrl ?? "",
    BRAINTRUST_APP_URL: emulatorUrl ?? "http://127.0.0.1:9",
    BRAINTRUST_API_URL: emulatorUrl ?? "http://127.0.0.1:9",
    BRAINTRUST_API_KEY: EMULATOR_KEY,
    BRAINTRUST_PROMPT_CACHE_DIR: join(cacheDir, "prompt_cache"),
    BRAINTRUST_PARAMETERS_CACHE_DIR: join(cacheDir, "parameters_cache"),
    ...extra
  }
}

/**
 * Runs `bench/<script>` in a fresh Node process (loopback-only preload) and
 * returns the last JSON line it printed. The client's stderr is shown only if
 * it fails.
 */
export const runClient = (script, { emulatorUrl, env = {}, nodeArgs = [], timeoutMs = 600_000 } = {}) =>
  new Promise((resolve, reject) => {
    const cacheDir = mkdtempSync(join(tmpdir(), "promptops-bench-"))
    const child = spawn(process.execPath, ["--expose-gc", "--import", loopbackOnly, ...nodeArgs, join(benchDir, script)], {
      cwd: benchDir,
      env: clientEnv(emulatorUrl, cacheDir, env),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => { stdout += chunk })
    child.stderr.on("data", (chunk) => { stderr += chunk })
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    child.on("error", reject)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      rmSync(cacheDir, { recursive: true, force: true })
      const line = stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1)
      if (code !== 0 || line === undefined) {
        reject(new Error(`${script} ${JSON.stringify(env)} failed (${signal ?? code}):\n${stderr.slice(-4000)}\n${stdout.slice(-2000)}`))
        return
      }
      resolve(JSON.parse(line))
    })
  })

/** Distinct span ids among the rows the emulator holds (every container), newest version of each row. */
export const deliveredSpans = (emulator) => {
  const spans = new Set()
  for (const container of emulator.store.containers.values()) {
    for (const versions of container.rows.values()) {
      const row = versions.at(-1).row
      if (row !== undefined) spans.add(row.span_id)
    }
  }
  return spans.size
}

/** Fails loudly if the emulator saw a contract break: a figure from a broken exchange means nothing. */
export const assertClean = (emulator, what) => {
  if (emulator.violations.length > 0 || emulator.rejections.length > 0) {
    throw new Error(`${what}: emulator violations ${JSON.stringify(emulator.violations.slice(0, 3))}, ` +
      `rejections ${JSON.stringify(emulator.rejections.slice(0, 3))}`)
  }
}

/**
 * One scenario: a fresh emulator (`prepare` seeds it), the client, then what
 * the emulator received (`inspect(emulator, clientResult)` reads more of it).
 */
export const scenario = async (script, env, { inspect, prepare, timeoutMs } = {}) => {
  const emulator = await startEmulator()
  try {
    if (prepare !== undefined) await prepare(emulator)
    const cpuBefore = process.cpuUsage()
    const result = await runClient(script, { emulatorUrl: emulator.url, env, timeoutMs })
    const cpu = process.cpuUsage(cpuBefore)
    assertClean(emulator, `${script} ${JSON.stringify(env)}`)
    return {
      ...result,
      delivered: deliveredSpans(emulator),
      requests: emulator.requests.length,
      // This process does nothing but serve the emulator while the client runs.
      emulatorCpuMs: (cpu.user + cpu.system) / 1000,
      ...(inspect !== undefined ? { inspected: inspect(emulator, result) } : {})
    }
  } finally {
    await emulator.close()
  }
}

/** The peak resident set of this process, in MB. */
export const peakRssMb = () => process.resourceUsage().maxRSS / 1024
