import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.shared.js"

export default defineConfig({
  ...packageBuild,
  // The emulators locate their bundled OpenAPI files through import.meta.url; shim it in the CJS build.
  shims: true
})
