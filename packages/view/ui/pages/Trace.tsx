import { useState } from "preact/hooks"
import { get, post, qs, type SpanRecord, type TracePage } from "../api.js"
import { duration, Failure, fmt, navigate, Show, time, useLoad, Value } from "../components.js"
import { tokensOf } from "./Traces.js"

interface Row {
  readonly span: SpanRecord
  readonly depth: number
}

/** The spans depth first from the roots (a span whose parent is missing counts as a root). */
const tree = (spans: ReadonlyArray<SpanRecord>): ReadonlyArray<Row> => {
  const ids = new Set(spans.map((span) => span.spanId))
  const children = new Map<string | undefined, Array<SpanRecord>>()
  for (const span of spans) {
    const parent = span.parentSpanId !== undefined && ids.has(span.parentSpanId) ? span.parentSpanId : undefined
    children.set(parent, [...(children.get(parent) ?? []), span])
  }
  const rows: Array<Row> = []
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => a.startTime - b.startTime)) {
      rows.push({ span, depth })
      if (depth < 100) walk(span.spanId, depth + 1)
    }
  }
  walk(undefined, 0)
  return rows
}

const Feedback = ({ span, experiment }: { readonly span: SpanRecord; readonly experiment: string | undefined }) => {
  const [score, setScore] = useState<string>("")
  const [comment, setComment] = useState("")
  const [status, setStatus] = useState<{ readonly ok: string } | { readonly error: Error } | undefined>(undefined)
  const send = (value: number | undefined) => {
    const scores = value === undefined ? undefined : { feedback: value }
    post<{ id: string }>("/api/feedback", {
      spanId: span.spanId,
      ...(experiment !== undefined ? { experimentId: experiment } : {}),
      ...(scores !== undefined ? { scores } : {}),
      ...(comment !== "" ? { comment } : {})
    }).then(
      (reply) => setStatus({ ok: reply.id }),
      (error: Error) => setStatus({ error })
    )
  }
  return (
    <form
      class="feedback"
      aria-label="feedback"
      onSubmit={(event) => {
        event.preventDefault()
        send(score === "" ? undefined : Number(score))
      }}
    >
      <h3>Feedback</h3>
      <p>
        <button type="button" class="thumb" aria-label="thumbs up" onClick={() => send(1)}>Good (1)</button>
        <button type="button" class="thumb" aria-label="thumbs down" onClick={() => send(0)}>Bad (0)</button>
        <label>
          score (0–1){" "}
          <input name="score" type="number" min="0" max="1" step="0.05" value={score} onInput={(e) => setScore(e.currentTarget.value)} />
        </label>
      </p>
      <p>
        <textarea name="comment" rows={2} placeholder="comment" value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
      </p>
      <button type="submit">Send</button>
      {status !== undefined && ("ok" in status
        ? <span class="saved" role="status">Saved ({status.ok})</span>
        : <Failure error={status.error} />)}
    </form>
  )
}

/** A metadata value that is text (the GenAI fields), if there is one under any of `keys`. */
const textOf = (metadata: Readonly<Record<string, unknown>>, ...keys: ReadonlyArray<string>): string | undefined => {
  for (const key of keys) {
    const value = metadata[key]
    if (typeof value === "string" && value !== "") return value
  }
  return undefined
}

/** The input and output tokens beside the total, when the span has them. */
const tokenSplit = (span: SpanRecord): string => {
  const prompt = span.metrics["promptTokens"]
  const completion = span.metrics["completionTokens"]
  return prompt === undefined && completion === undefined ? "" : ` (${prompt ?? 0} in, ${completion ?? 0} out)`
}

const Panel = ({ span, experiment }: { readonly span: SpanRecord; readonly experiment: string | undefined }) => {
  const cost = span.metrics["cost"]
  // The model and provider as promptops's spans and the OTLP GenAI mapping record them.
  const model = textOf(span.metadata, "model", "gen_ai.response.model", "gen_ai.request.model")
  const provider = textOf(span.metadata, "gen_ai.provider.name", "gen_ai.system", "provider")
  return (
    <aside class="panel" id="span-panel" data-span={span.spanId}>
      <h2>{span.name}</h2>
      <dl>
        <dt>kind</dt><dd>{span.kind}</dd>
        <dt>span</dt><dd>{span.spanId}</dd>
        {span.parentSpanId !== undefined && <><dt>parent</dt><dd>{span.parentSpanId}</dd></>}
        <dt>started</dt><dd>{time(span.startTime)}</dd>
        <dt>duration</dt><dd>{duration(span.endTime - span.startTime)}</dd>
        {model !== undefined && <><dt>model</dt><dd class="model">{model}</dd></>}
        {provider !== undefined && <><dt>provider</dt><dd class="provider">{provider}</dd></>}
        <dt>tokens</dt><dd class="tokens">{tokensOf(span)}{tokenSplit(span)}</dd>
        <dt>cost</dt><dd>{cost === undefined ? "–" : `$${fmt(cost, 6)}`}</dd>
        {span.tags !== undefined && <><dt>tags</dt><dd>{span.tags.join(", ")}</dd></>}
        {span.truncated === true && <><dt>truncated</dt><dd>yes</dd></>}
      </dl>
      {span.error !== undefined && (
        <div class="span-error">
          <h3>Error</h3>
          <p class="error-text">{span.error.type === undefined ? "" : `${span.error.type}: `}{span.error.message}</p>
          {span.error.stack !== undefined && <Value value={span.error.stack} />}
        </div>
      )}
      <h3>Input</h3>
      <Value value={span.input} open />
      <h3>Output</h3>
      <Value value={span.output} open />
      {span.expected !== undefined && <><h3>Expected</h3><Value value={span.expected} /></>}
      <h3>Metadata</h3>
      <Value value={span.metadata} />
      <h3>Metrics</h3>
      <Value value={span.metrics} />
      {span.scores !== undefined && <><h3>Scores</h3><Value value={span.scores} /></>}
      <Feedback key={span.spanId} span={span} experiment={experiment} />
    </aside>
  )
}

/** A trace: the span tree on a timeline, and the chosen span's panel. */
export const Trace = ({ traceId, query }: { readonly traceId: string; readonly query: URLSearchParams }) => {
  const experiment = query.get("experiment") ?? undefined
  const loaded = useLoad(`trace:${traceId}:${experiment ?? ""}`, () =>
    get<TracePage>(`/api/traces/${encodeURIComponent(traceId)}${qs({ experiment })}`))
  const select = (spanId: string) =>
    navigate(`/traces/${encodeURIComponent(traceId)}${qs({ experiment, span: spanId })}`, true)
  return (
    <section>
      <h1><span class="muted">Trace</span> {traceId}</h1>
      <Show loaded={loaded}>
        {(page) => {
          const rows = tree(page.spans)
          const start = Math.min(...page.spans.map((s) => s.startTime))
          const end = Math.max(...page.spans.map((s) => s.endTime))
          const total = Math.max(1, end - start)
          const chosen = page.spans.find((s) => s.spanId === query.get("span")) ?? rows[0]?.span
          return (
            <div class="trace">
              <div class="waterfall" role="tree">
                <div class="waterfall-head">
                  <span>span</span>
                  <span>0 ms — {duration(total)}</span>
                </div>
                {rows.map(({ span, depth }) => (
                  <button
                    type="button"
                    role="treeitem"
                    key={span.spanId}
                    data-span={span.spanId}
                    aria-selected={span === chosen}
                    class={`span-row${span === chosen ? " selected" : ""}${span.error !== undefined ? " failed" : ""}`}
                    onClick={() => select(span.spanId)}
                  >
                    <span class="span-name" style={{ paddingLeft: `${depth * 14}px` }}>
                      <span class={`kind kind-${span.kind}`}>{span.kind}</span> {span.name}
                    </span>
                    <span class="bar-track">
                      <span
                        class={`bar kind-${span.kind}`}
                        style={{
                          left: `${((span.startTime - start) / total) * 100}%`,
                          width: `${Math.max(0.5, ((span.endTime - span.startTime) / total) * 100)}%`
                        }}
                      />
                      <span class="bar-label">{duration(span.endTime - span.startTime)}</span>
                    </span>
                  </button>
                ))}
              </div>
              {chosen !== undefined && <Panel span={chosen} experiment={experiment} />}
            </div>
          )
        }}
      </Show>
    </section>
  )
}
