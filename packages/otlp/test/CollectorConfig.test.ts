/**
 * The Collector files of docs/COLLECTOR.md, checked against the Collector's
 * documented configuration (no Collector binary can be installed here: see
 * that page) and against our own presets, so the docs and the code cannot
 * drift apart.
 */
import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"
import { parse } from "yaml"
import * as OtlpConfig from "../src/OtlpConfig.js"

const docs = fileURLToPath(new URL("../../../docs/collector/", import.meta.url))
const load = (file: string): any => parse(fs.readFileSync(`${docs}${file}`, "utf8"))

// Component types of the otelcol-contrib distribution these files may use.
const known: Record<string, ReadonlyArray<string>> = {
  receivers: ["otlp"],
  processors: ["memory_limiter", "batch", "tail_sampling", "filter", "attributes", "resource", "transform"],
  exporters: ["otlp", "otlphttp", "loadbalancing", "debug"],
  extensions: ["file_storage", "health_check"]
}

const typeOf = (id: string): string => id.split("/")[0]!

const checkWiring = (config: any): void => {
  for (const kind of Object.keys(known)) {
    for (const id of Object.keys(config[kind] ?? {})) {
      assert.include(known[kind], typeOf(id), `${kind}.${id} is a component type of otelcol-contrib`)
    }
  }
  for (const id of config.service.extensions ?? []) assert.property(config.extensions, id)
  for (const [name, pipeline] of Object.entries<any>(config.service.pipelines)) {
    assert.match(name, /^traces(\/|$)/)
    for (const kind of ["receivers", "processors", "exporters"]) {
      for (const id of pipeline[kind] ?? []) assert.property(config[kind], id, `pipeline ${name} uses ${kind}.${id}`)
    }
    assert.isAbove(pipeline.receivers.length, 0)
    assert.isAbove(pipeline.exporters.length, 0)
    // The limiter must see data before anything that holds it.
    assert.strictEqual(typeOf(pipeline.processors[0]), "memory_limiter", `pipeline ${name} starts with memory_limiter`)
  }
  for (const [id, exporter] of Object.entries<any>(config.exporters)) {
    const storage = exporter.sending_queue?.storage
    if (storage !== undefined) {
      assert.property(config.extensions, storage, `exporters.${id} queues in ${storage}`)
      assert.include(config.service.extensions, storage, `${storage} is enabled`)
    }
  }
}

const port = (endpoint: string): string => endpoint.slice(endpoint.lastIndexOf(":") + 1)

describe("docs/collector", () => {
  it("loadbalancer.yaml routes by trace id over OTLP, on the ports promptops sends to", () => {
    const config = load("loadbalancer.yaml")
    checkWiring(config)
    const lb = config.exporters.loadbalancing
    assert.strictEqual(lb.routing_key, "traceID")
    assert.property(lb.protocol, "otlp")
    assert.isAbove(lb.resolver.static.hostnames.length, 1)
    const protocols = config.receivers.otlp.protocols
    assert.strictEqual(port(protocols.http.endpoint), new URL(OtlpConfig.defaultEndpoint).port)
    assert.strictEqual(port(protocols.grpc.endpoint), "4317")
    assert.deepStrictEqual(config.service.pipelines.traces.exporters, ["loadbalancing"])
  })

  it("gateway.yaml exports to the same URLs as the OtlpConfig presets, with a queue on disk each", () => {
    const config = load("gateway.yaml")
    checkWiring(config)
    // The otlphttp exporter appends /v1/traces to its endpoint.
    const urlOf = (id: string) => `${config.exporters[id].endpoint}/v1/traces`
    const apiKey = Redacted.make("k")
    assert.strictEqual(urlOf("otlphttp/braintrust"), OtlpConfig.braintrust({ apiKey, project: "p" }).endpoint)
    assert.strictEqual(
      urlOf("otlphttp/langfuse"),
      OtlpConfig.langfuse({ publicKey: "pk", secretKey: apiKey }).endpoint
    )
    const braintrust = config.exporters["otlphttp/braintrust"].headers
    assert.match(braintrust.authorization, /^Bearer \$\{env:[A-Z_]+\}$/)
    assert.match(braintrust["x-bt-parent"], /^project_name:\$\{env:[A-Z_]+\}$/)
    assert.match(config.exporters["otlphttp/langfuse"].headers.authorization, /^Basic \$\{env:[A-Z_]+\}$/)
    for (const id of ["otlphttp/braintrust", "otlphttp/langfuse"]) {
      assert.strictEqual(config.exporters[id].sending_queue.storage, "file_storage/queue")
      assert.isTrue(config.exporters[id].retry_on_failure.enabled)
    }
    // Tail sampling needs whole traces: it is what the load balancer's traceID routing is for.
    assert.include(config.service.pipelines.traces.processors, "tail_sampling")
    assert.strictEqual(port(config.receivers.otlp.protocols.grpc.endpoint), "4317")
  })

  it("no secret is written into the files: every credential comes from the environment", () => {
    for (const file of ["loadbalancer.yaml", "gateway.yaml"]) {
      const text = fs.readFileSync(`${docs}${file}`, "utf8")
      for (const line of text.split("\n").filter((each) => /authorization|api[-_]?key|token/i.test(each) && !/^\s*#/.test(each))) {
        assert.match(line, /\$\{env:[A-Z_]+\}/, `${file}: ${line.trim()}`)
      }
    }
  })
})
