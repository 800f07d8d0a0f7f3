// What the emulator itself sustains: ready-made `POST /v1/insert` bodies of
// 100 project-log rows (the rows promptops' span sink writes), 4 requests in
// flight (the pipeline's default concurrency), no client work beyond fetch.
// An upper bound for any client's end-to-end spans/s in these benchmarks.
import { emulatorProject, logRow } from "../lib/log-rows.mjs"

const SPANS = Number(process.env.SPANS ?? 20_000)
const { url, headers, project } = await emulatorProject("bench-ceiling")
const bodies = []
for (let i = 0; i < SPANS; i += 100) {
  const events = Array.from({ length: 100 }, (_, j) => logRow(i + j))
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
