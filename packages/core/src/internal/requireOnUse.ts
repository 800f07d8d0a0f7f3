/**
 * Loads a dependency on first use instead of at import. The template engines
 * (`nunjucks`, `mustache`, `@huggingface/jinja`) cost ~50 ms of CPU to load;
 * an app that imports `promptops` and never renders that format should not
 * pay it (DESIGN §7: import ≤ 50 ms at the margin of the peers). Rendering is
 * synchronous, so this is a synchronous `require`; all three packages ship a
 * CommonJS build.
 *
 * @internal
 */
import { createRequire } from "node:module"

// `import.meta.url` first: in an ESM module `__filename` may still be a global string (`node -e`
// defines it as "[eval]"). The CJS build gets `import.meta.url` shimmed; if a bundler leaves
// `import.meta` empty there, its own `__filename` is the module's path.
const requireHere = (): NodeJS.Require =>
  createRequire(typeof import.meta.url === "string" ? import.meta.url : __filename)

/**
 * A thunk that `require`s `id` the first time it is called and returns the
 * same module after.
 *
 * @internal
 */
export const requireOnUse = <A>(id: string): () => A => {
  let loaded: { readonly module: A } | undefined
  return () => {
    if (loaded === undefined) loaded = { module: requireHere()(id) as A }
    return loaded.module
  }
}
