// A tracer whose spans do nothing: what Effect's own span machinery costs
// with any tracer. The tracing workloads measure promptops against it.
import { Tracer } from "effect"

export class NoopSpan {
  constructor(name, parent, context, links, startTime, kind) {
    this._tag = "Span"
    this.name = name
    this.parent = parent
    this.context = context
    this.links = links
    this.kind = kind
    this.spanId = "0000000000000000"
    this.traceId = parent._tag === "Some" ? parent.value.traceId : "00000000000000000000000000000000"
    this.sampled = true
    this.status = { _tag: "Started", startTime }
    this.attributes = new Map()
  }
  end(endTime, exit) {
    this.status = { _tag: "Ended", startTime: this.status.startTime, endTime, exit }
  }
  attribute() {}
  event() {}
  addLinks() {}
}
export const noopTracer = Tracer.make({ span: (...args) => new NoopSpan(...args), context: (f) => f() })
