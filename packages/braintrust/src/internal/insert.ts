/**
 * `POST /v1/insert`: rows and feedback for several objects at once.
 */
import type { PromptOpsError } from "@promptops/core/PromptOpsError"
import { Effect } from "effect"
import type { BraintrustClient } from "../BraintrustClient.js"
import { CrossObjectInsertRequest, CrossObjectInsertResponse } from "../BraintrustSchema.js"
import { objectId, type Requests, withRowIds } from "./request.js"

/** The cross-object insert; rows get ids first. */
export const makeInsert = ({ sendJson }: Requests): BraintrustClient.Service["insert"] =>
(
  request: CrossObjectInsertRequest,
  insertOptions
): Effect.Effect<CrossObjectInsertResponse, PromptOpsError> =>
  Effect.gen(function*() {
    const operation = "insert"
    const withIds: Record<string, unknown> = {}
    let retry = true
    for (const section of ["experiment", "dataset", "project_logs"] as const) {
      const objects = request[section]
      if (objects === undefined || objects === null) continue
      const out: Record<string, unknown> = {}
      for (const [id, writes] of Object.entries(objects)) {
        yield* objectId(operation, `${section}.${id}`, id)
        if (writes.feedback?.some((item) => typeof item.comment === "string" && item.comment !== "")) retry = false
        out[id] = {
          ...writes,
          ...(writes.events === undefined || writes.events === null
            ? {}
            : { events: withRowIds(writes.events as ReadonlyArray<{ readonly id?: string | null | undefined }>) })
        }
      }
      withIds[section] = out
    }
    const response = yield* sendJson(
      operation,
      "POST",
      "/v1/insert",
      {
        schema: CrossObjectInsertRequest,
        value: withIds as CrossObjectInsertRequest,
        prevalidated: insertOptions?.prevalidated
      },
      CrossObjectInsertResponse,
      { retry }
    )
    return response.value
  })
