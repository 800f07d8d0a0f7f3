// The OTLP/HTTP receiver of the otlp-export workload, in its own process so its
// CPU is not the clients': a `node:http` server on 127.0.0.1:0 that decodes
// `http/protobuf` trace exports with protobufjs over the official `.proto` files
// (packages/emulators/specs/opentelemetry-proto, as `@promptops/emulators`'
// OtlpReceiver does) and counts spans, distinct by span id, so a retried
// request that had in fact arrived is not counted twice. Lean on purpose (it
// keeps only the ids): it must keep up with the fastest exporter.
//
// Prints `{"url": ...}` when listening. Control requests (from the workload):
//   POST /control/reset?fault=…  forget what was received, play a fault:
//     none          200 to every export;
//     outage:<ms>   503 (Retry-After: 1) to every export for <ms> after the first one (a Collector restarting);
//     max-bytes:<n> 413 to every export whose body is over <n> bytes (a Collector's request size limit).
//   GET /control/count  {"spans", "duplicates", "requests", "accepted", "rejected", "bytes", "cpuMs"}
import { protoDir } from "@promptops/emulators/OtlpReceiver"
import * as http from "node:http"
import * as path from "node:path"
import * as zlib from "node:zlib"
import protobuf from "protobufjs"

const root = new protobuf.Root()
root.resolvePath = (_origin, target) => path.join(protoDir(), target)
root.loadSync("opentelemetry/proto/collector/trace/v1/trace_service.proto")
const Request = root.lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest")

let seen = new Set()
let counts
let fault = { kind: "none" }
let firstExportAt
let cpuBefore
const reset = (spec) => {
  seen = new Set()
  counts = { duplicates: 0, requests: 0, accepted: 0, rejected: 0, bytes: 0 }
  firstExportAt = undefined
  cpuBefore = process.cpuUsage()
  const [kind, value] = (spec ?? "none").split(":")
  if (kind !== "none" && kind !== "outage" && kind !== "max-bytes") throw new Error(`unknown fault ${spec}`)
  fault = { kind, value: Number(value) }
}
reset("none")

const count = () => {
  const cpu = process.cpuUsage(cpuBefore)
  return { spans: seen.size, ...counts, cpuMs: (cpu.user + cpu.system) / 1000 }
}

/** The reply a fault gives this export, or undefined for 200. */
const faultReply = (bytes, now) => {
  if (fault.kind === "outage" && now - firstExportAt < fault.value) return { status: 503, headers: { "retry-after": "1" } }
  if (fault.kind === "max-bytes" && bytes > fault.value) return { status: 413, headers: {} }
  return undefined
}

const server = http.createServer((req, res) => {
  const chunks = []
  req.on("data", (chunk) => chunks.push(chunk))
  req.on("end", () => {
    const url = new URL(req.url, "http://127.0.0.1")
    if (url.pathname === "/control/reset") {
      try {
        reset(url.searchParams.get("fault") ?? "none")
        res.writeHead(204).end()
      } catch (error) {
        res.writeHead(400).end(String(error))
      }
      return
    }
    if (url.pathname === "/control/count") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(count()))
      return
    }
    if (req.method !== "POST" || url.pathname !== "/v1/traces") {
      res.writeHead(404).end()
      return
    }
    const now = performance.now()
    firstExportAt ??= now
    counts.requests++
    let body = Buffer.concat(chunks)
    counts.bytes += body.length
    const reply = faultReply(body.length, now)
    if (reply !== undefined) {
      counts.rejected++
      res.writeHead(reply.status, reply.headers).end()
      return
    }
    if (req.headers["content-encoding"] === "gzip") body = zlib.gunzipSync(body)
    if (!String(req.headers["content-type"] ?? "").startsWith("application/x-protobuf")) {
      counts.rejected++
      res.writeHead(415).end("this receiver takes http/protobuf only")
      return
    }
    const decoded = Request.decode(body)
    for (const resourceSpans of decoded.resourceSpans) {
      for (const scopeSpans of resourceSpans.scopeSpans) {
        for (const span of scopeSpans.spans) {
          const id = Buffer.from(span.spanId).toString("hex")
          if (seen.has(id)) counts.duplicates++
          else seen.add(id)
        }
      }
    }
    counts.accepted++
    // An empty ExportTraceServiceResponse: full success.
    res.writeHead(200, { "content-type": "application/x-protobuf" }).end()
  })
})
server.keepAliveTimeout = 30_000
server.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }))
})
process.on("SIGTERM", () => server.close(() => process.exit(0)))
