/**
 * `/v1/experiment`: the experiment objects and their rows.
 */
import { Effect } from "effect"
import type { ExperimentsApi } from "../BraintrustClient.js"
import {
  CreateExperiment,
  Experiment,
  ExperimentEvent,
  FeedbackItem,
  InsertExperimentEvent,
  ListExperimentsQuery,
  SummarizeExperimentQuery,
  SummarizeExperimentResponse
} from "../BraintrustSchema.js"
import { makeEventsApi } from "./events.js"
import { objectId, readQuery, type Requests } from "./request.js"

/** The experiments group. */
export const makeExperiments = (requests: Requests): ExperimentsApi => {
  const { created, getJson, list } = requests
  const experimentList = list("experiments.list", "/v1/experiment", ListExperimentsQuery, Experiment)
  const experiments: ExperimentsApi = {
    ...makeEventsApi(requests, "experiment", InsertExperimentEvent, ExperimentEvent, FeedbackItem),
    create: (body) =>
      Effect.map(
        created("experiments.create", "POST", "/v1/experiment", CreateExperiment, body, Experiment, {
          // With ensure_new a retry after a lost response would create a second experiment.
          retry: body.ensure_new !== true
        }),
        ({ foundExisting, value }) => ({ experiment: value, foundExisting })
      ),
    get: (id) =>
      Effect.flatMap(objectId("experiments.get", "experimentId", id), (valid) =>
        getJson("experiments.get", `/v1/experiment/${valid}`, Experiment)),
    list: experimentList.one,
    stream: experimentList.stream,
    summarize: (id, query) =>
      Effect.gen(function*() {
        const operation = "experiments.summarize"
        const valid = yield* objectId(operation, "experimentId", id)
        const params = yield* readQuery(operation, SummarizeExperimentQuery, query)
        return yield* getJson(operation, `/v1/experiment/${valid}/summarize`, SummarizeExperimentResponse, params)
      })
  }
  return experiments
}
