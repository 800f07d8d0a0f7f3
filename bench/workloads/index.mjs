// The benchmark workloads: every `<name>.mjs` here with a `<name>.budget.json`
// beside it ({ "order", "budgets": { metric: {"max"|"min": n} }, "units", "env", "nodeArgs",
// "missed": { metric: "why a missed target is missed, from a profile" } }).
// Budgets are DESIGN.md §7.
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const dir = fileURLToPath(new URL(".", import.meta.url))

export const workloads = readdirSync(dir)
  .filter((file) => file.endsWith(".budget.json"))
  .map((file) => {
    const name = file.slice(0, -".budget.json".length)
    return { name, file: `workloads/${name}.mjs`, ...JSON.parse(readFileSync(dir + file, "utf8")) }
  })
  .sort((a, b) => (a.order ?? 0) - (b.order ?? 0) || a.name.localeCompare(b.name))
