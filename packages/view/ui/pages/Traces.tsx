import { useState } from "preact/hooks"
import { get, type Page, qs, type SpanRecord } from "../api.js"
import { duration, Link, navigate, Show, time, useLoad } from "../components.js"

const KINDS = ["llm", "task", "tool", "retrieval", "function", "eval", "score", "span"] as const

const toMillis = (local: string): string | undefined => {
  if (local === "") return undefined
  const millis = new Date(local).getTime()
  return Number.isNaN(millis) ? undefined : String(millis)
}

const toLocal = (millis: string | null): string => {
  if (millis === null || millis === "") return ""
  const date = new Date(Number(millis))
  const offset = date.getTimezoneOffset() * 60_000
  return new Date(date.getTime() - offset).toISOString().slice(0, 16)
}

export const tokensOf = (span: SpanRecord): string => {
  const total = span.metrics["totalTokens"] ??
    ((span.metrics["promptTokens"] ?? 0) + (span.metrics["completionTokens"] ?? 0) || undefined)
  return total === undefined ? "–" : String(total)
}

/** The project logs' root spans (or an experiment's), filtered, paged by cursor. */
export const Traces = ({ query }: { readonly query: URLSearchParams }) => {
  const filters = {
    name: query.get("name") ?? undefined,
    kind: query.get("kind") ?? undefined,
    error: query.get("error") ?? undefined,
    from: query.get("from") ?? undefined,
    to: query.get("to") ?? undefined,
    experiment: query.get("experiment") ?? undefined
  }
  const cursor = query.get("cursor") ?? undefined
  const [form, setForm] = useState({
    name: filters.name ?? "",
    kind: filters.kind ?? "",
    error: filters.error ?? "",
    from: toLocal(query.get("from")),
    to: toLocal(query.get("to"))
  })
  const key = qs({ ...filters, cursor })
  const loaded = useLoad(`traces:${key}`, () => get<Page<SpanRecord>>(`/api/traces${qs({ ...filters, cursor, limit: 50 })}`))
  const apply = (event: Event) => {
    event.preventDefault()
    navigate(`/traces${qs({
      name: form.name,
      kind: form.kind,
      error: form.error,
      from: toMillis(form.from),
      to: toMillis(form.to),
      experiment: filters.experiment
    })}`)
  }
  return (
    <section>
      <h1>Traces</h1>
      <form class="filters" onSubmit={apply} aria-label="filter traces">
        <label>name <input name="name" value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} /></label>
        <label>
          kind{" "}
          <select name="kind" value={form.kind} onChange={(e) => setForm({ ...form, kind: e.currentTarget.value })}>
            <option value="">any</option>
            {KINDS.map((kind) => <option key={kind} value={kind}>{kind}</option>)}
          </select>
        </label>
        <label>
          error{" "}
          <select name="error" value={form.error} onChange={(e) => setForm({ ...form, error: e.currentTarget.value })}>
            <option value="">any</option>
            <option value="true">with error</option>
            <option value="false">without</option>
          </select>
        </label>
        <label>from <input type="datetime-local" name="from" value={form.from} onInput={(e) => setForm({ ...form, from: e.currentTarget.value })} /></label>
        <label>to <input type="datetime-local" name="to" value={form.to} onInput={(e) => setForm({ ...form, to: e.currentTarget.value })} /></label>
        <button type="submit">Filter</button>
      </form>
      {filters.experiment !== undefined && <p class="muted">Spans of experiment {filters.experiment}.</p>}
      <Show loaded={loaded}>
        {(page) => (
          <>
            <table class="traces" id="traces">
              <thead>
                <tr><th>name</th><th>kind</th><th>started</th><th>duration</th><th>tokens</th><th>error</th></tr>
              </thead>
              <tbody>
                {page.items.length === 0 && <tr><td colSpan={6} class="muted">No traces match.</td></tr>}
                {page.items.map((span) => (
                  <tr key={span.spanId} data-trace={span.traceId}>
                    <td>
                      <Link href={`/traces/${encodeURIComponent(span.traceId)}${qs({ experiment: filters.experiment })}`}>
                        {span.name}
                      </Link>
                    </td>
                    <td><span class={`kind kind-${span.kind}`}>{span.kind}</span></td>
                    <td>{time(span.startTime)}</td>
                    <td class="num">{duration(span.endTime - span.startTime)}</td>
                    <td class="num">{tokensOf(span)}</td>
                    <td>{span.error === undefined ? "" : <span class="error-text">{span.error.message}</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p class="pager">
              {cursor !== undefined && (
                <button type="button" onClick={() => navigate(`/traces${qs(filters)}`)}>First page</button>
              )}
              {page.cursor !== null && (
                <button type="button" onClick={() => navigate(`/traces${qs({ ...filters, cursor: page.cursor })}`)}>Next page</button>
              )}
            </p>
          </>
        )}
      </Show>
    </section>
  )
}
