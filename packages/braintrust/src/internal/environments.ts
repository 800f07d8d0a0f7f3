/**
 * `/environment` (served without the `/v1` prefix).
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Effect } from "effect"
import type { EnvironmentsApi } from "../BraintrustClient.js"
import { CreateEnvironment, Environment, ListEnvironmentsQuery, PatchEnvironment } from "../BraintrustSchema.js"
import { objectId, type Requests } from "./request.js"

/** The environments group. */
export const makeEnvironments = ({ getJson, json, list, sendJson }: Requests): EnvironmentsApi => {
  const environmentList = list("environments.list", "/environment", ListEnvironmentsQuery, Environment)
  const environments: EnvironmentsApi = {
    list: environmentList.one,
    create: (body) =>
      Effect.map(
        sendJson("environments.create", "POST", "/environment", { schema: CreateEnvironment, value: body }, Environment),
        (response) => response.value
      ),
    get: (id) =>
      Effect.flatMap(objectId("environments.get", "environmentId", id), (valid) =>
        getJson("environments.get", `/environment/${valid}`, Environment)),
    update: (id, body) =>
      Effect.flatMap(objectId("environments.update", "environmentId", id), (valid) =>
        Effect.map(
          sendJson(
            "environments.update",
            "PATCH",
            `/environment/${valid}`,
            { schema: PatchEnvironment, value: body },
            Environment
          ),
          (response) => response.value
        )),
    delete: (id) =>
      Effect.flatMap(objectId("environments.delete", "environmentId", id), (valid) =>
        json("environments.delete", HttpClientRequest.del(`/environment/${valid}`), Environment))
  }
  return environments
}
