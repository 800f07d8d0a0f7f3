// The export path's floor: the rows promptops' span sink writes (built before
// the clock starts), JSON-encoded and written with one request per batch of
// 100, 4 requests in flight (the pipeline's defaults), through one of:
//   HTTP=node          a plain `node:http` request with a keep-alive agent (the floor);
//   HTTP=fetch         global `fetch` (undici);
//   HTTP=effect-fetch  @effect/platform's HttpClient over fetch (what the adapters use);
//   HTTP=effect-node   @effect/platform-node's HttpClient over `node:http`;
//   HTTP=promptops     `BraintrustClient.insert` (prevalidated, over fetch): the call
//                      the span sink makes, so the gap to `effect-fetch` is promptops' own request path.
// Client CPU per delivered span is process CPU from the first encode until the
// last response, divided by the spans; the row building is outside it.
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as BraintrustClient from "@promptops/braintrust/BraintrustClient"
import { Effect, Layer, Redacted } from "effect"
import * as Http from "node:http"
import { emulatorProject, logRow } from "../lib/log-rows.mjs"

const SPANS = Number(process.env.SPANS ?? 100_000)
const HTTP = process.env.HTTP ?? "node"
const BATCH = 100
const { url, headers, project } = await emulatorProject("bench-floor")
const batches = []
for (let i = 0; i < SPANS; i += BATCH) batches.push(Array.from({ length: BATCH }, (_, j) => logRow(i + j)))
const encode = (events) => JSON.stringify({ project_logs: { [project.id]: { events } } })

const agent = new Http.Agent({ keepAlive: true, maxSockets: 4 })
const target = new URL(`${url}/v1/insert`)
const viaNode = (body) =>
  new Promise((resolve, reject) => {
    const request = Http.request(target, { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (response) => {
      response.resume()
      response.on("end", () => (response.statusCode === 200 ? resolve() : reject(new Error(`insert: ${response.statusCode}`))))
    })
    request.on("error", reject)
    request.end(body)
  })
const viaFetch = async (body) => {
  const response = await fetch(target, { method: "POST", headers, body })
  await response.arrayBuffer()
  if (response.status !== 200) throw new Error(`insert: ${response.status}`)
}
const viaEffect = async (layer) => {
  // Without http.client spans, as the adapters run it (ProviderHttp disables them).
  const client = HttpClient.withTracerDisabledWhen(await Effect.runPromise(HttpClient.HttpClient.pipe(Effect.provide(layer))), () => true)
  const authorization = headers.authorization
  return (body) =>
    Effect.runPromise(
      HttpClientRequest.post(target.href).pipe(
        HttpClientRequest.setHeader("authorization", authorization),
        HttpClientRequest.bodyText(body, "application/json"),
        client.execute,
        Effect.flatMap((response) =>
          Effect.flatMap(response.arrayBuffer, () =>
            response.status === 200 ? Effect.void : Effect.die(new Error(`insert: ${response.status}`)))
        ),
        Effect.scoped
      )
    )
}
const viaPromptops = async () => {
  const client = await Effect.runPromise(BraintrustClient.BraintrustClient.pipe(Effect.provide(
    BraintrustClient.layer({ apiKey: Redacted.make(process.env.BRAINTRUST_API_KEY), apiUrl: url, project: "bench-floor" }).pipe(
      Layer.provide(FetchHttpClient.layer)
    )
  )))
  // The same rows as a request object (the sink hands `insert` an object, not a string).
  return (events) => Effect.runPromise(client.insert({ project_logs: { [project.id]: { events } } }, { prevalidated: true }))
}
const send = HTTP === "node"
  ? viaNode
  : HTTP === "fetch"
  ? viaFetch
  : HTTP === "effect-fetch"
  ? await viaEffect(FetchHttpClient.layer)
  : HTTP === "promptops"
  ? await viaPromptops()
  : await viaEffect(NodeHttpClient.layer)

const cpu0 = process.cpuUsage()
const started = performance.now()
let next = 0
const worker = async () => {
  while (next < batches.length) await send(HTTP === "promptops" ? batches[next++] : encode(batches[next++]))
}
await Promise.all([worker(), worker(), worker(), worker()])
const cpu = process.cpuUsage(cpu0)
const seconds = (performance.now() - started) / 1000
agent.destroy()
console.log(JSON.stringify({ http: HTTP, emitted: SPANS, cpuUsPerSpan: (cpu.user + cpu.system) / SPANS, spansPerS: SPANS / seconds }))
