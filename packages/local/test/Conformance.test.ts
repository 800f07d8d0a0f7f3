/**
 * The neutral contract (core's conformance suites) against the local layer,
 * on a fresh directory.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { afterAll } from "@effect/vitest"
import * as Conformance from "@promptops/core/Conformance"
import * as TraceReader from "@promptops/core/TraceReader"
import { Effect } from "effect"
import * as Local from "../src/Local.js"

const dir = mkdtempSync(Path.join(tmpdir(), "promptops-local-conformance-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const backend = Local.layer({ dir })

Conformance.promptRegistry("local", backend)
Conformance.datasets("local", backend)
Conformance.experiments("local", backend)
Conformance.spanSink("local", backend, (traceId) =>
  Effect.flatMap(TraceReader.TraceReader, (reader) => Effect.map(reader.read({ traceId, limit: 1000 }), (page) => page.spans)))
Conformance.feedback("local", backend, () => "span-1")
Conformance.traceReader("local", backend)
