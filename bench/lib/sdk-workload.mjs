// The span workload of lib/workload.mjs written with the official SDK: trees of
// request → 2 × child → 1 leaf (5 spans), the request a `task` span with a small
// input, the attributes of the Effect version as metadata.

/** One tree through `traced` (the SDK's equivalent of nested `Effect.withSpan`). */
export const sdkTree = (logger, i) =>
  logger.traced((request) => {
    request.log({ input: { question: "hi", n: i } })
    for (let c = 0; c < 2; c++) {
      request.traced((child) => {
        child.log({ metadata: { "app.user": "u-42" } })
        child.traced((leaf) => leaf.log({ metadata: { "app.index": i, "app.step": "lookup" } }), { name: "leaf" })
      }, { name: "child" })
    }
  }, { name: "request", type: "task" })
