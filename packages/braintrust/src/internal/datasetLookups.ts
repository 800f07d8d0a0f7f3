/**
 * A dataset looked up by name, handed from one service to the next on the
 * same client: an eval on a named dataset looks it up once (to link the
 * experiment to it), and reading its rows then uses that answer rather than
 * asking again.
 *
 * An answer is handed over once and then forgotten, so nothing here grows or
 * goes stale for long; a reader that gets a `NotFound` for a handed-over id
 * (the dataset was deleted meanwhile) looks the name up again.
 *
 * @internal
 */
import type * as BraintrustSchema from "../BraintrustSchema.js"

/** client → `project id \0 dataset name` → the dataset as last looked up. */
const handed = new WeakMap<object, Map<string, BraintrustSchema.Dataset>>()

const keyOf = (projectId: string, name: string): string => `${projectId}\u0000${name}`

/** Keeps `dataset` (found by its name in `projectId` through `client`) for the next `take`. */
export const remember = (client: object, projectId: string, dataset: BraintrustSchema.Dataset): void => {
  let byName = handed.get(client)
  if (byName === undefined) handed.set(client, byName = new Map())
  byName.set(keyOf(projectId, dataset.name), dataset)
}

/** The dataset `remember` kept for this client, project and name, if any, forgotten as it is taken. */
export const take = (client: object, projectId: string, name: string): BraintrustSchema.Dataset | undefined => {
  const byName = handed.get(client)
  const key = keyOf(projectId, name)
  const dataset = byName?.get(key)
  if (dataset !== undefined) byName!.delete(key)
  return dataset
}
