import { fileURLToPath } from "node:url"
import type { ViteUserConfig } from "vitest/config"

const packages = fileURLToPath(new URL("./packages", import.meta.url))

const config: ViteUserConfig = {
  resolve: {
    // Tests run against the sources of sibling packages, so a change in core is
    // seen by the adapters' tests without a build in between.
    alias: [
      { find: /^@promptops\/(core|emulators|braintrust|basalt|local|ai|otlp|view)$/, replacement: `${packages}/$1/src/index.ts` },
      { find: /^@promptops\/(core|emulators|braintrust|basalt|local|ai|otlp|view)\/(?!specs\/)(.*)$/, replacement: `${packages}/$1/src/$2.ts` },
      { find: /^promptops$/, replacement: `${packages}/promptops/src/index.ts` }
    ]
  },
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: [fileURLToPath(new URL("./vitest.setup.ts", import.meta.url))],
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
}

export default config
