// Footprint, promptops vs the official SDK (DESIGN.md §7: importing promptops
// into an app that already loads `effect`, `effect/Schema` and
// `@effect/platform`'s HttpClient adds ≤ 50 ms; promptops installs ≤ 5 MB
// beyond those peers).
//
// Import time: each figure is the median of IMPORT_RUNS fresh processes
// (clients/import-*.mjs): promptops at the margin (peers loaded first,
// untimed), the SDK and the peers themselves from cold. Wall time (budgeted)
// and the client process's CPU time, which a busy shared machine inflates less.
// Installed size: @promptops/core + @promptops/braintrust (their dist, as the
// budget states; also everything their `files` ship, src included) plus their
// non-peer dependencies, transitively; the SDK's package plus its
// dependencies and installed optional dependencies, transitively (its `zod`
// peer is reported apart). Apparent bytes, as `du -sb`.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { benchDir, median, runClient } from "../lib/compare.mjs"
import { bytesOf, dependencyClosure, MB, resolvePackage } from "../lib/install-size.mjs"

const IMPORT_RUNS = Number(process.env.IMPORT_RUNS ?? 5)

const importMs = async (script) => {
  const runs = []
  for (let i = 0; i < IMPORT_RUNS; i++) runs.push(await runClient(script))
  return { ms: median(runs.map((run) => run.ms)), cpuMs: median(runs.map((run) => run.cpuMs)) }
}

const { cpuMs: promptopsImportCpu, ms: promptopsImport } = await importMs("clients/import-promptops.mjs")
const { cpuMs: sdkImportCpu, ms: sdkImport } = await importMs("clients/import-sdk.mjs")
const { cpuMs: peersImportCpu, ms: peersImport } = await importMs("clients/import-peers.mjs")

// --- installed size ---------------------------------------------------------
const ours = ["@promptops/core", "@promptops/braintrust"].map((name) => resolvePackage(name, benchDir))
const peers = new Set(["effect", "@effect/platform", "@effect/vitest", "@promptops/core"])
const ourDeps = dependencyClosure(ours, peers)
const depBytes = ourDeps.packages.reduce((sum, p) => sum + p.bytes, 0)
const distBytes = ours.reduce((sum, dir) => sum + bytesOf(join(dir, "dist")), 0)
const mapBytes = ours.reduce((sum, dir) => sum + bytesOf(join(dir, "dist"), (path) => !path.endsWith(".map") && !path.endsWith("dist")), 0)
// What `files` ships (dist, src, README.md) plus package.json.
const shippedBytes = ours.reduce((sum, dir) => {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
  const files = [...(manifest.files ?? []), "package.json"]
  return sum + files.reduce((s, f) => {
    try {
      return s + bytesOf(dir, (path) => !(path === join(dir, f) || path.startsWith(join(dir, f) + "/")))
    } catch {
      return s
    }
  }, 0)
}, 0)

const sdkDir = resolvePackage("braintrust", benchDir)
const sdkDeps = dependencyClosure([sdkDir])
const sdkBytes = bytesOf(sdkDir) + sdkDeps.packages.reduce((sum, p) => sum + p.bytes, 0)
const zodDir = resolvePackage("zod", sdkDir)
const binary = sdkDeps.packages.filter((p) => p.name.startsWith("@braintrust/bt-")).reduce((sum, p) => sum + p.bytes, 0)
if (sdkDeps.missing.length > 0 || ourDeps.missing.length > 0) {
  console.error(`missing dependencies: ${[...sdkDeps.missing, ...ourDeps.missing].join(", ")}`)
}

console.log(JSON.stringify({
  metrics: {
    promptops_import_ms: promptopsImport,
    sdk_import_ms: sdkImport,
    peers_import_ms: peersImport,
    sdk_vs_promptops_import: sdkImport / promptopsImport,
    promptops_import_cpu_ms: promptopsImportCpu,
    sdk_import_cpu_ms: sdkImportCpu,
    peers_import_cpu_ms: peersImportCpu,
    promptops_installed_mb: (distBytes + depBytes) / MB,
    promptops_installed_without_maps_mb: (distBytes - mapBytes + depBytes) / MB,
    promptops_source_maps_mb: mapBytes / MB,
    promptops_shipped_mb: (shippedBytes + depBytes) / MB,
    promptops_packages: ours.length + ourDeps.packages.length,
    sdk_installed_mb: sdkBytes / MB,
    sdk_bt_binary_mb: binary / MB,
    sdk_packages: 1 + sdkDeps.packages.length,
    sdk_zod_peer_mb: zodDir === undefined ? 0 : bytesOf(zodDir) / MB
  }
}))
