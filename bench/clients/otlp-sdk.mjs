// The official OpenTelemetry JS SDK: `@opentelemetry/sdk-trace-base` 2.12.1
// `BasicTracerProvider` with a `BatchSpanProcessor` over
// `@opentelemetry/exporter-trace-otlp-proto` 0.223.1's `OTLPTraceExporter`,
// every option at its default (queue of 2,048, batches of 512 every 5 s, the
// exporter's retries). Spans are made through the OTel API tracer, the same
// tree as lib/workload.mjs (request → 2 × child → leaf, same attributes;
// `promptops.input` as the JSON string the other two exporters send), parents
// passed as contexts (no context manager needed); the flush is
// `provider.shutdown()` (force-flushes the processor, then shuts the exporter).
import { context, trace } from "@opentelemetry/api"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { ENDPOINT, measure } from "../lib/otlp-client.mjs"

const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: ENDPOINT }))
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ "service.name": "bench" }),
  spanProcessors: [processor]
})
const tracer = provider.getTracer("bench")
const root = context.active()

const otelTree = (i) => {
  const request = tracer.startSpan("request", {
    attributes: { "promptops.kind": "task", "promptops.input": JSON.stringify({ question: "hi", n: i }) }
  }, root)
  const requestContext = trace.setSpan(root, request)
  for (let c = 0; c < 2; c++) {
    const child = tracer.startSpan("child", { attributes: { "app.user": "u-42" } }, requestContext)
    const leaf = tracer.startSpan("leaf", { attributes: { "app.index": i + c, "app.step": "lookup" } }, trace.setSpan(requestContext, child))
    leaf.end()
    child.end()
  }
  request.end()
}

// A failed final export rejects the shutdown (e.g. a 413): the spans are lost, which the receiver counts.
let flushError
await measure({
  runChunk: (from, trees) => {
    for (let i = from; i < from + trees; i++) otelTree(i)
  },
  flush: () => provider.shutdown().catch((error) => { flushError = String(error?.code ?? error?.message ?? error) }),
  extra: async () => (flushError === undefined ? {} : { flushError })
})
