/**
 * The built front end (`dist/ui`): a fixed map of the files the package
 * build writes, read once when the server starts. A request never names a
 * file: it is looked up in the map, and the client-side routes of the pages
 * (`/experiments/:id`, …) answer `index.html`.
 */
import * as fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"

/** Every response of the front end: scripts and styles only from this origin, no framing. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer"
}

/** URL path → file under `dist/ui` and its content type. */
const FILES: ReadonlyArray<readonly [url: string, file: string, contentType: string]> = [
  ["/", "index.html", "text/html; charset=utf-8"],
  ["/assets/app.js", "assets/app.js", "text/javascript; charset=utf-8"],
  ["/assets/app.css", "assets/app.css", "text/css; charset=utf-8"]
]

/** The pages' client-side routes: each answers `index.html`. */
const PAGES: ReadonlyArray<RegExp> = [
  /^\/experiments\/?$/,
  /^\/experiments\/[^/]+\/?$/,
  /^\/compare\/?$/,
  /^\/traces\/?$/,
  /^\/traces\/[^/]+\/?$/,
  /^\/prompts\/?$/,
  /^\/prompts\/[^/]+\/?$/
]

interface Asset {
  readonly body: Uint8Array
  readonly contentType: string
}

/** The loaded front end; empty when the package was not built with it. */
export interface Assets {
  readonly files: ReadonlyMap<string, Asset>
  readonly dir: string | undefined
}

const here = (): string =>
  typeof __dirname === "string" ? __dirname : Path.dirname(fileURLToPath(import.meta.url))

/**
 * Where `dist/ui` is: beside the built module (`dist/*.js`), or, when the
 * sources run (tests), in the package's `dist` two levels up.
 */
const candidates = (): ReadonlyArray<string> => {
  const dir = here()
  return [Path.join(dir, "ui"), Path.join(dir, "..", "..", "dist", "ui")]
}

/** Reads the fixed set of front-end files once. */
export const load = (): Assets => {
  for (const dir of candidates()) {
    if (!fs.existsSync(Path.join(dir, "index.html"))) continue
    const files = new Map<string, Asset>()
    for (const [url, file, contentType] of FILES) {
      const path = Path.join(dir, file)
      if (fs.existsSync(path)) files.set(url, { body: fs.readFileSync(path), contentType })
    }
    return { files, dir }
  }
  return { files: new Map(), dir: undefined }
}

const NOT_BUILT = "The viewer's front end is not built: run `npm run build` in packages/view (it writes dist/ui).\n"

/** The response to a GET or HEAD outside `/api`, or `undefined` when nothing is there. */
export const respond = (assets: Assets, method: string, url: string): HttpServerResponse.HttpServerResponse | undefined => {
  if (method !== "GET" && method !== "HEAD") return undefined
  const path = url.split(/[?#]/, 1)[0] ?? "/"
  const key = PAGES.some((page) => page.test(path)) ? "/" : path
  if (!FILES.some(([known]) => known === key)) return undefined
  const asset = assets.files.get(key)
  if (asset === undefined) {
    return HttpServerResponse.text(NOT_BUILT, { status: 503, headers: SECURITY_HEADERS })
  }
  return HttpServerResponse.uint8Array(asset.body, {
    contentType: asset.contentType,
    headers: { ...SECURITY_HEADERS, "cache-control": key === "/" ? "no-store" : "no-cache" }
  })
}
