/**
 * The official OTLP `.proto` files (shipped in the package's `proto/`)
 * through `protobufjs`, loaded once on first use: an app that never receives
 * OTLP pays neither the module nor the parse (DESIGN §7 import budget).
 */
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type * as Protobuf from "protobufjs"

// `import.meta.url` first; the CJS build may leave `import.meta` empty, where `__filename` is the module's path.
const here = (): string => (typeof import.meta.url === "string" ? fileURLToPath(import.meta.url) : __filename)

const SERVICE_PROTO = "opentelemetry/proto/collector/trace/v1/trace_service.proto"

/**
 * The package's `proto/` directory: one level up from the bundled
 * `dist/*.js`, two from `src/internal/` (tests run the sources).
 */
export const protoDir = (): string => {
  let dir = path.dirname(here())
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, "proto")
    if (fs.existsSync(path.join(candidate, SERVICE_PROTO))) return candidate
    dir = path.dirname(dir)
  }
  throw new Error(`the OTLP .proto files were not found above ${path.dirname(here())}`)
}

export interface Types {
  readonly request: Protobuf.Type
  readonly response: Protobuf.Type
  /** `google.rpc.Status` (code 1, message 2), the body of an OTLP/HTTP error reply; `details` is never sent. */
  readonly status: Protobuf.Type
}

let types: Types | undefined

/** Loads the definitions (synchronously, once); throws if the files are missing. */
export const load = (): Types => {
  if (types !== undefined) return types
  const protobuf = createRequire(here())("protobufjs") as typeof Protobuf
  const root = new protobuf.Root()
  const dir = protoDir()
  root.resolvePath = (_origin, target) => path.join(dir, target)
  root.loadSync(SERVICE_PROTO)
  // google/rpc/status.proto is not among the OTLP files; its two scalar fields, by their official numbers.
  const rpc = protobuf.Root.fromJSON({
    nested: {
      google: {
        nested: {
          rpc: {
            nested: {
              Status: { fields: { code: { type: "int32", id: 1 }, message: { type: "string", id: 2 } } }
            }
          }
        }
      }
    }
  })
  types = {
    request: root.lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"),
    response: root.lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse"),
    status: rpc.lookupType("google.rpc.Status")
  }
  return types
}

/**
 * A request body as a plain object in the OTLP/JSON field names: 64-bit
 * integers as decimal strings, enums as numbers, bytes as `Uint8Array`,
 * unset fields absent. Throws on a malformed body.
 */
export const decodeRequest = (body: Uint8Array): unknown => {
  const { request } = load()
  return request.toObject(request.decode(body), { longs: String, enums: Number, defaults: false })
}
