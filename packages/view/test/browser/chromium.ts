/**
 * Finds the Chromium the browser tests drive with `playwright-core`:
 * `CHROMIUM_PATH`, then Debian's `/usr/bin/chromium`, then
 * `/usr/bin/chromium-browser`. On a fresh machine, when the tests run as
 * root with `apt-get`, it installs Debian's `chromium`; otherwise it fails
 * saying how to install it.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]

const executable = (path: string): boolean => {
  try {
    fs.accessSync(path, fs.constants.X_OK)
    return true
  } catch {
    return false
  }
}

const find = (): string | undefined => {
  const fromEnv = process.env["CHROMIUM_PATH"]
  if (fromEnv !== undefined && fromEnv !== "") {
    if (executable(fromEnv)) return fromEnv
    throw new Error(`CHROMIUM_PATH=${fromEnv} is not an executable file`)
  }
  return CANDIDATES.find(executable)
}

const HOW = "Install Debian's Chromium (`sudo apt-get install -y --no-install-recommends chromium`) " +
  "or set CHROMIUM_PATH to a Chromium or Chrome executable."

/** The path of a Chromium executable, installing Debian's package when that is possible. */
export const chromiumPath = (): string => {
  const found = find()
  if (found !== undefined) return found
  const root = typeof process.getuid === "function" && process.getuid() === 0
  const apt = executable("/usr/bin/apt-get")
  if (!root || !apt) {
    throw new Error(`No Chromium for the browser tests (looked at ${CANDIDATES.join(", ")}). ${HOW}`)
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  execFileSync("apt-get", ["update"], { stdio: "inherit", env })
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], { stdio: "inherit", env })
  const installed = find()
  if (installed === undefined) throw new Error(`apt-get installed chromium, but no executable was found. ${HOW}`)
  return installed
}
