// What the emulator itself sustains: ready-made `POST /v1/insert` bodies of
// 100 project-log rows (the rows promptops' span sink writes), 4 requests in
// flight (the pipeline's default concurrency), no client work beyond fetch.
// An upper bound for any client's end-to-end spans/s in these benchmarks.
const SPANS = Number(process.env.SPANS ?? 20_000)
const url = process.env.EMULATOR_URL
const headers = { authorization: `Bearer ${process.env.BRAINTRUST_API_KEY}`, "content-type": "application/json" }

const project = await (await fetch(`${url}/v1/project`, { method: "POST", headers, body: JSON.stringify({ name: "bench-ceiling" }) })).json()
const row = (i) => ({
  id: `s${i}`,
  span_id: `s${i}`,
  root_span_id: `t${Math.floor(i / 5)}`,
  ...(i % 5 === 0 ? {} : { span_parents: [`s${i - (i % 5 === 1 || i % 5 === 3 ? 1 : 2)}`] }),
  span_attributes: { name: i % 5 === 0 ? "request" : "child", type: "task" },
  created: new Date().toISOString(),
  input: i % 5 === 0 ? { question: "hi", n: i } : undefined,
  metadata: { "app.user": "u-42" },
  metrics: { start: 1795341600, end: 1795341600.001 }
})
const bodies = []
for (let i = 0; i < SPANS; i += 100) {
  const events = Array.from({ length: 100 }, (_, j) => row(i + j))
  bodies.push(JSON.stringify({ project_logs: { [project.id]: { events } } }))
}
const started = performance.now()
let next = 0
const worker = async () => {
  while (next < bodies.length) {
    const body = bodies[next++]
    const response = await fetch(`${url}/v1/insert`, { method: "POST", headers, body })
    if (response.status !== 200) throw new Error(`insert: ${response.status} ${await response.text()}`)
    await response.arrayBuffer()
  }
}
await Promise.all([worker(), worker(), worker(), worker()])
const seconds = (performance.now() - started) / 1000
console.log(JSON.stringify({ emitted: SPANS, spansPerS: SPANS / seconds }))
