/**
 * The browser build of the viewer's pages: `ui/main.tsx` bundled with Preact,
 * uPlot and jsdiff into `dist/ui/assets/app.js` + `app.css`, and
 * `ui/index.html` copied to `dist/ui/index.html`. Nothing is loaded from
 * elsewhere at run time.
 */
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"
import type { Options } from "tsup"

const at = (path: string): string => fileURLToPath(new URL(path, import.meta.url))

/** The tsup options of the front end (also used by the browser tests to build it fresh). */
export const uiBuild: Options = {
  name: "ui",
  entry: { app: at("./main.tsx") },
  outDir: at("../dist/ui/assets"),
  tsconfig: at("./tsconfig.json"),
  format: ["iife"],
  outExtension: () => ({ js: ".js" }),
  platform: "browser",
  target: "es2020",
  // Everything is bundled: the page must work offline, with nothing from a CDN.
  noExternal: [/.*/],
  minify: true,
  sourcemap: false,
  dts: false,
  clean: true,
  treeshake: true,
  esbuildOptions(options) {
    options.jsx = "automatic"
    options.jsxImportSource = "preact"
    options.legalComments = "none"
  },
  onSuccess: async () => {
    fs.copyFileSync(at("./index.html"), at("../dist/ui/index.html"))
  }
}
