import type { Options } from "tsup"

/** Every package builds the same way: ESM + CJS + d.ts from each `src/*.ts` module. */
export const packageBuild: Options = {
  entry: ["src/*.ts"],
  format: ["esm", "cjs"],
  // tsup's d.ts step cannot build a composite project (STYLE.md §A.4).
  dts: { compilerOptions: { composite: false, incremental: false } },
  // No source maps: they were 60% of the installed size (DESIGN §7 budget: ≤ 5 MB beyond the peers).
  sourcemap: false,
  clean: true,
  treeshake: true,
  target: "es2022",
  outDir: "dist"
}
