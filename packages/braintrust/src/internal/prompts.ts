/**
 * `/v1/prompt`.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Effect } from "effect"
import type { PromptsApi } from "../BraintrustClient.js"
import { CreatePrompt, ListPromptsQuery, PatchPrompt, Prompt, VersionQuery } from "../BraintrustSchema.js"
import { objectId, readQuery, type Requests } from "./request.js"

/** The prompts group. */
export const makePrompts = ({ created, getJson, json, list, sendJson }: Requests): PromptsApi => {
  const promptList = list("prompts.list", "/v1/prompt", ListPromptsQuery, Prompt)
  const prompts: PromptsApi = {
    list: promptList.one,
    stream: promptList.stream,
    get: (id, query) =>
      Effect.gen(function*() {
        const valid = yield* objectId("prompts.get", "promptId", id)
        const params = yield* readQuery("prompts.get", VersionQuery, query)
        return yield* getJson("prompts.get", `/v1/prompt/${valid}`, Prompt, params)
      }),
    create: (body) =>
      Effect.map(
        created("prompts.create", "POST", "/v1/prompt", CreatePrompt, body, Prompt),
        ({ foundExisting, value }) => ({ prompt: value, foundExisting })
      ),
    replace: (body) =>
      Effect.map(
        created("prompts.replace", "PUT", "/v1/prompt", CreatePrompt, body, Prompt),
        ({ foundExisting, value }) => ({ prompt: value, foundExisting })
      ),
    update: (id, body) =>
      Effect.flatMap(objectId("prompts.update", "promptId", id), (valid) =>
        Effect.map(
          sendJson("prompts.update", "PATCH", `/v1/prompt/${valid}`, { schema: PatchPrompt, value: body }, Prompt),
          (response) => response.value
        )),
    delete: (id) =>
      Effect.flatMap(objectId("prompts.delete", "promptId", id), (valid) =>
        json("prompts.delete", HttpClientRequest.del(`/v1/prompt/${valid}`), Prompt))
  }
  return prompts
}
