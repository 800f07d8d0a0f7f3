import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.shared.js"

export default defineConfig([
  // The library: ESM + CJS + d.ts of each top-level module.
  { ...packageBuild, entry: ["src/*.ts", "!src/bin.ts"], clean: false },
  // The CLI: one ESM file with its shebang; the commands under src/cli are bundled into it.
  {
    entry: { bin: "src/bin.ts" },
    format: ["esm"],
    banner: { js: "#!/usr/bin/env node" },
    sourcemap: true,
    clean: false,
    target: "es2022",
    outDir: "dist"
  }
])
