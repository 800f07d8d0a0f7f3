// vitest 3 reads this file; each package owns its vitest.config.ts (STYLE.md §A.4).
export default ["packages/*/vitest.config.ts", "examples/*/vitest.config.ts", "bench/vitest.config.ts"]
