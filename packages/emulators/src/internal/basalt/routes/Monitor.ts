/**
 * `/monitor`: experiments, traces and single logs.
 */
import { json, type Route, type RouteContext } from "../../../EmulatorServer.js"
import type { BasaltDeps } from "../Context.js"
import { fail } from "../Errors.js"
import { messages, resolvePrompt } from "../Resolution.js"
import { type BasaltStore, isRecord, type StoredExperiment } from "../Store.js"
import { promptOf, str } from "./Prompts.js"

const featureOf = (context: RouteContext, store: BasaltStore, slug: string): string =>
  store.features.has(slug) ? slug : fail(context, 404, messages.noFeature(slug))

/** Checks a trace's logs: unique ids, and every `parentId` names a log of the payload, without cycles. */
const checkLogs = (context: RouteContext, logs: ReadonlyArray<Record<string, unknown>>): void => {
  const ids = new Map<string, Record<string, unknown>>()
  for (const log of logs) {
    const id = str(log["id"])!
    if (ids.has(id)) fail(context, 400, `Duplicate log id "${id}" in the trace`)
    ids.set(id, log)
  }
  for (const log of logs) {
    const parentId = log["parentId"]
    if (parentId === undefined || parentId === null) continue
    if (typeof parentId !== "string" || !ids.has(parentId)) {
      fail(context, 400, `Log "${String(log["id"])}" has parentId "${String(parentId)}", which is not a log of this trace`)
    }
    // Walk up: a cycle never reaches a root.
    const seen = new Set<string>([String(log["id"])])
    let current: unknown = parentId
    while (typeof current === "string") {
      if (seen.has(current)) fail(context, 400, `The logs' parentId links form a cycle at "${current}"`)
      seen.add(current)
      current = ids.get(current)?.["parentId"]
    }
  }
}

export const monitorRoutes = (deps: BasaltDeps): ReadonlyArray<Route> => {
  const { store } = deps
  return [
    {
      method: "POST",
      path: "/monitor/experiments",
      write: true,
      handle: (context) => {
        const body = context.body as { featureSlug: string; name: string }
        const featureSlug = featureOf(context, store, body.featureSlug)
        const experiment: StoredExperiment = {
          id: store.uuid(),
          name: body.name,
          featureSlug,
          createdAt: new Date(store.now()).toISOString()
        }
        store.experiments.set(experiment.id, experiment)
        return json(experiment)
      }
    },
    {
      method: "POST",
      path: "/monitor/trace",
      write: true,
      handle: (context) => {
        const body = context.body as Record<string, unknown>
        const featureSlug = str(body["featureSlug"]) ?? str(body["chainSlug"])
        if (featureSlug === undefined) fail(context, 400, "featureSlug is required")
        featureOf(context, store, featureSlug!)
        const logs = Array.isArray(body["logs"]) ? (body["logs"] as Array<Record<string, unknown>>) : []
        checkLogs(context, logs)
        const experimentRef = body["experiment"]
        let experimentId: string | undefined
        if (isRecord(experimentRef)) {
          const experiment = store.experiments.get(String(experimentRef["id"]))
          if (experiment === undefined) fail(context, 404, `No experiment with id "${String(experimentRef["id"])}" exists.`)
          if (experiment!.featureSlug !== featureSlug) {
            fail(context, 400, `Experiment "${experiment!.id}" belongs to feature "${experiment!.featureSlug}", not "${featureSlug}"`)
          }
          experimentId = experiment!.id
        }
        let warning: string | undefined
        for (const log of logs) {
          const prompt = log["prompt"]
          if (log["type"] !== "generation" || !isRecord(prompt)) continue
          const stored = store.prompts.get(String(prompt["slug"]))
          const resolution = stored === undefined
            ? undefined
            : resolvePrompt(stored, { version: str(prompt["version"]), tag: str(prompt["tag"]) })
          if (resolution === undefined || resolution._tag === "Missing") warning = messages.promptNotFoundForLog
        }
        const id = store.uuid()
        const hasGeneration = logs.some((log) => log["type"] === "generation")
        // Basalt's raw-REST example says such traces may be dropped silently: answered, never stored.
        if (!(deps.dropGenerationTraces && hasGeneration)) {
          store.traces.push({ id, source: "trace", featureSlug, experimentId, body, warning, receivedAt: store.now() })
        }
        return json({ trace: { id }, ...(warning !== undefined ? { warning } : {}) })
      }
    },
    {
      method: "POST",
      path: "/monitor/log",
      write: true,
      handle: (context) => {
        const body = context.body as Record<string, unknown>
        const slug = String(body["slug"])
        const prompt = promptOf(context, store, slug)
        const resolution = resolvePrompt(prompt, { version: str(body["version"]), tag: str(body["tag"]) })
        const warning = resolution._tag === "Missing" ? messages.promptNotFoundForLog : resolution.warning
        const id = store.uuid()
        const logId = store.uuid()
        store.traces.push({
          id,
          source: "log",
          featureSlug: undefined,
          experimentId: undefined,
          body,
          logId,
          warning,
          receivedAt: store.now()
        })
        return json({ trace: { id }, log: { id: logId }, ...(warning !== undefined ? { warning } : {}) })
      }
    }
  ]
}
