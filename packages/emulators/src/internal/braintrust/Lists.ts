/**
 * List endpoints (§2.0): newest first, `limit`, `starting_after` / `ending_before` object-id cursors (at most one),
 * `ids` filters (one value or repeated), no `has_more`.
 */
import type { BraintrustDeps } from "./Context.js"
import { failBadRequest } from "./Errors.js"

export interface Listable {
  readonly id: string
  readonly seq: number
}

export const idsFilter = (ids: unknown): ReadonlySet<string> | undefined => {
  if (ids === undefined) return undefined
  return new Set(Array.isArray(ids) ? ids.map(String) : [String(ids)])
}

export const stringParam = (query: { readonly [k: string]: unknown }, name: string): string | undefined => {
  const value = query[name]
  if (value === undefined || value === null) return undefined
  return Array.isArray(value) ? String(value[value.length - 1]) : String(value)
}

/**
 * Sorts newest first and applies the cursors and the limit. `universe` holds every object the cursor may name
 * (deleted ones included), so a page still turns after its last object was deleted.
 */
export const paginate = <A extends Listable>(
  deps: BraintrustDeps,
  path: string,
  items: ReadonlyArray<A>,
  universe: ReadonlyArray<Listable>,
  query: { readonly [k: string]: unknown },
  defaultLimit?: number
): Array<A> => {
  const startingAfter = stringParam(query, "starting_after")
  const endingBefore = stringParam(query, "ending_before")
  if (startingAfter !== undefined && endingBefore !== undefined) {
    failBadRequest(deps, path, "You may only pass one of starting_after and ending_before")
  }
  const limitValue = query["limit"]
  const limit = typeof limitValue === "number" ? limitValue : defaultLimit
  const sorted = [...items].sort((a, b) => b.seq - a.seq)
  const cursorSeq = (id: string): number => {
    const found = universe.find((item) => item.id === id)
    if (!found) return failBadRequest(deps, path, `Pagination cursor ${id} does not name an object`)
    return found.seq
  }
  if (startingAfter !== undefined) {
    const seq = cursorSeq(startingAfter)
    const after = sorted.filter((item) => item.seq < seq)
    return limit === undefined ? after : after.slice(0, limit)
  }
  if (endingBefore !== undefined) {
    const seq = cursorSeq(endingBefore)
    const before = sorted.filter((item) => item.seq > seq)
    return limit === undefined ? before : before.slice(Math.max(0, before.length - limit))
  }
  return limit === undefined ? sorted : sorted.slice(0, limit)
}
