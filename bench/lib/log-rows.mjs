// Project-log rows of the shape promptops' span sink writes (5-span trees: a
// root with input, children with parents), for the benchmarks that measure the
// export path without a tracer: the emulator's ceiling and the export floor.
export const logRow = (i) => ({
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

/** The bearer headers of the emulator's key, and a project to write into. */
export const emulatorProject = async (name) => {
  const url = process.env.EMULATOR_URL
  const headers = { authorization: `Bearer ${process.env.BRAINTRUST_API_KEY}`, "content-type": "application/json" }
  const response = await fetch(`${url}/v1/project`, { method: "POST", headers, body: JSON.stringify({ name }) })
  return { url, headers, project: await response.json() }
}
