// The span workload every tracing benchmark runs: trees of request → 2 × child
// → 1 leaf each (5 spans), with attributes on every level and a small
// `promptops.input` object on the request. The same tree is built through
// Effect (`tree`) and straight through a tracer's API (`emitTree`).
import { Context, Effect, Exit, Option } from "effect"

export const SPANS_PER_TREE = 5

const defaultInput = (i) => ({ question: "hi", n: i })

const leaf = (i) => Effect.void.pipe(Effect.withSpan("leaf", { attributes: { "app.index": i, "app.step": "lookup" } }))
const child = (i) => leaf(i).pipe(Effect.withSpan("child", { attributes: { "app.user": "u-42" } }))

/** One tree of nested `Effect.withSpan`; `input` builds the request's `promptops.input`. */
export const tree = (i, input = defaultInput) =>
  Effect.zipRight(child(i), child(i + 1)).pipe(
    Effect.withSpan("request", { attributes: { "promptops.kind": "task", "promptops.input": input(i) } })
  )

const context = Context.empty()

/** The same tree driven through `tracer.span` / `attribute` / `end`, starting at `t` (bigint ns). */
export const emitTree = (tracer, i, t) => {
  const request = tracer.span("request", Option.none(), context, [], t, "internal")
  request.attribute("promptops.kind", "task")
  request.attribute("promptops.input", defaultInput(i))
  for (let c = 0; c < 2; c++) {
    const child = tracer.span("child", Option.some(request), context, [], t, "internal")
    child.attribute("app.user", "u-42")
    const leaf = tracer.span("leaf", Option.some(child), context, [], t, "internal")
    leaf.attribute("app.index", i)
    leaf.attribute("app.step", "lookup")
    leaf.end(t + 1000n, Exit.void)
    child.end(t + 2000n, Exit.void)
  }
  request.end(t + 3000n, Exit.void)
}
