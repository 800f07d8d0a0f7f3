// Installed size of a package and what it pulls in: its own files plus the
// transitive closure of its `dependencies` and installed `optionalDependencies`
// (not its peers), each package found the way Node finds it (the nearest
// node_modules up the tree) and counted once. Sizes are apparent bytes
// (`du -sb`); a package's own nested node_modules are counted as packages.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join } from "node:path"

const readJson = (file) => JSON.parse(readFileSync(file, "utf8"))

/** Bytes of the files under `dir`, skipping nested node_modules and entries `skip` rejects. */
export const bytesOf = (dir, skip = () => false) => {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules") continue
    const path = join(dir, entry.name)
    if (skip(path)) continue
    if (entry.isDirectory()) total += bytesOf(path, skip)
    else if (entry.isFile()) total += statSync(path).size
  }
  return total
}

/** The directory of `name` as seen from `fromDir`, or undefined. */
export const resolvePackage = (name, fromDir) => {
  let dir = fromDir
  for (;;) {
    const candidate = join(dir, "node_modules", name)
    if (existsSync(join(candidate, "package.json"))) return candidate
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

/**
 * The closure of the dependencies of the packages in `roots` (directories),
 * minus `exclude` (names: peers, or packages counted elsewhere).
 * Returns { packages: [{ name, dir, bytes }], missing: [names] }.
 */
export const dependencyClosure = (roots, exclude = new Set()) => {
  const seen = new Map()
  const missing = []
  const visit = (dir, isRoot) => {
    const manifest = readJson(join(dir, "package.json"))
    const deps = { ...manifest.dependencies }
    const optional = { ...manifest.optionalDependencies }
    for (const name of [...Object.keys(deps), ...Object.keys(optional)]) {
      if (exclude.has(name)) continue
      const found = resolvePackage(name, dir)
      if (found === undefined) {
        if (!(name in optional)) missing.push(name)
        continue
      }
      if (seen.has(found)) continue
      seen.set(found, { name, dir: found, bytes: bytesOf(found) })
      visit(found, false)
    }
    if (isRoot) return
  }
  for (const root of roots) visit(root, true)
  return { packages: [...seen.values()], missing }
}

export const MB = 1024 * 1024
