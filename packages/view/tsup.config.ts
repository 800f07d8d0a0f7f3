import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.shared.js"
import { uiBuild } from "./ui/build.js"

export default defineConfig([
  // The server; its clean keeps the front end that the second build writes into `dist/ui`.
  { ...packageBuild, clean: ["!ui/**"] },
  uiBuild
])
