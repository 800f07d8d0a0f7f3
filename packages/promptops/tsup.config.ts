import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.shared.js"

export default defineConfig([
  // The library: ESM + CJS + d.ts of each top-level module.
  { ...packageBuild, entry: ["src/*.ts", "!src/bin.ts"], clean: false },
  // The CLI: one ESM file (bin/promptops.js, committed, imports it); the commands under src/cli are bundled into it.
  {
    entry: { bin: "src/bin.ts" },
    format: ["esm"],
    sourcemap: false,
    clean: false,
    target: "es2022",
    outDir: "dist"
  }
])
