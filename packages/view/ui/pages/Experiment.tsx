import { useEffect, useState } from "preact/hooks"
import { type CaseRow, type ExperimentPage, type ExperimentSummary, get, type Page, qs } from "../api.js"
import { duration, fmt, Histogram, Link, navigate, Show, signed, useLoad, Value } from "../components.js"
import { StateBadge } from "./Experiments.js"

const FILTERS = ["all", "regressions", "improvements", "errors"] as const
type Filter = typeof FILTERS[number]

const Summary = ({ summary }: { readonly summary: ExperimentSummary }) => (
  <table class="summary">
    <thead>
      <tr><th>score</th><th>mean</th><th>vs baseline</th><th>improvements</th><th>regressions</th><th>missing</th><th>count</th></tr>
    </thead>
    <tbody>
      {Object.values(summary.scores).map((score) => (
        <tr key={score.name} data-score={score.name}>
          <td>{score.name}</td>
          <td class="num">{fmt(score.mean)}</td>
          <td class={`num ${score.diff === undefined ? "" : score.diff < 0 ? "worse" : score.diff > 0 ? "better" : ""}`}>
            {signed(score.diff)}
          </td>
          <td class="num better">{score.improvements}</td>
          <td class="num worse">{score.regressions}</td>
          <td class="num">{score.missing}</td>
          <td class="num">{score.count}</td>
        </tr>
      ))}
      {Object.values(summary.metrics).map((metric) => (
        <tr key={`metric:${metric.name}`} class="metric">
          <td>{metric.name}{metric.unit === undefined ? "" : ` (${metric.unit})`}</td>
          <td class="num">{fmt(metric.mean)}</td>
          <td class="num">{signed(metric.diff)}</td>
          <td class="num">{metric.improvements}</td>
          <td class="num">{metric.regressions}</td>
          <td />
          <td />
        </tr>
      ))}
    </tbody>
  </table>
)

const tokens = (row: CaseRow): string => {
  const usage = row.result.usage
  if (usage === undefined) return "–"
  const total = usage.totalTokens ?? ((usage.promptTokens ?? 0) + (usage.completionTokens ?? 0))
  return `${total}${usage.cost === undefined ? "" : ` · $${fmt(usage.cost, 5)}`}`
}

const Cases = (
  { id, filter, version }: { readonly id: string; readonly filter: Filter; readonly version: number }
) => {
  const [cursor, setCursor] = useState<string | undefined>(undefined)
  useEffect(() => setCursor(undefined), [id, filter])
  const loaded = useLoad(`cases:${id}:${filter}:${cursor ?? ""}:${version}`, () =>
    get<Page<CaseRow>>(`/api/experiments/${encodeURIComponent(id)}/cases${qs({ filter, cursor, limit: 50 })}`))
  return (
    <Show loaded={loaded}>
      {(page) => (
        <>
          <table class="cases" id="cases">
            <thead>
              <tr>
                <th>case</th><th>change</th><th>input</th><th>expected</th><th>output</th><th>scores</th><th>duration</th>
                <th>tokens</th><th>error</th><th>trace</th>
              </tr>
            </thead>
            <tbody>
              {page.items.length === 0 && <tr><td colSpan={10} class="muted">No cases.</td></tr>}
              {page.items.map((row) => (
                <tr key={`${row.result.caseId}:${row.result.trial}`} data-case={row.result.caseId} class={`row-${row.change}`}>
                  <td>{row.result.caseId}{row.result.trial > 0 ? ` #${row.result.trial}` : ""}</td>
                  <td><span class={`change change-${row.change}`}>{row.change}</span></td>
                  <td><Value value={row.result.input} /></td>
                  <td><Value value={row.result.expected} /></td>
                  <td><Value value={row.result.output} /></td>
                  <td>
                    {Object.entries(row.result.scores).map(([name, value]) => {
                      const before = row.baselineScores?.[name]
                      return (
                        <div key={name} class="score">
                          {name} {fmt(value)}
                          {before !== undefined && before !== null && <span class="muted"> (was {fmt(before)})</span>}
                        </div>
                      )
                    })}
                  </td>
                  <td class="num">{duration(row.result.durationMs)}</td>
                  <td class="num">{tokens(row)}</td>
                  <td>
                    {row.result.error !== undefined && <span class="error-text">{row.result.error}</span>}
                    {row.result.scorerErrors !== undefined && <Value value={row.result.scorerErrors} />}
                  </td>
                  <td>
                    {row.traceId === null ? <span class="muted">–</span> : (
                      <Link
                        class="trace-link"
                        href={`/traces/${encodeURIComponent(row.traceId)}${qs({ experiment: id, span: row.rootSpanId })}`}
                      >
                        trace
                      </Link>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="pager">
            {cursor !== undefined && <button type="button" onClick={() => setCursor(undefined)}>First page</button>}
            {page.cursor !== null && <button type="button" onClick={() => setCursor(page.cursor!)}>Next page</button>}
          </p>
        </>
      )}
    </Show>
  )
}

const TERMINAL = new Set(["complete", "partial", "failed"])

/** One experiment: summary vs baseline, histograms, cases; live while it runs. */
export const ExperimentView = ({ id, query }: { readonly id: string; readonly query: URLSearchParams }) => {
  const filterParam = query.get("filter")
  const filter: Filter = FILTERS.includes(filterParam as Filter) ? (filterParam as Filter) : "all"
  const [version, setVersion] = useState(0)
  const [live, setLive] = useState<"off" | "on">("off")
  const loaded = useLoad(`experiment:${id}:${version}`, () =>
    get<ExperimentPage>(`/api/experiments/${encodeURIComponent(id)}`))
  const running = loaded.data !== undefined && !TERMINAL.has(loaded.data.state?.status ?? "complete")
  useEffect(() => {
    if (!running) return
    // Live: the server pushes `results` / `summary` / `state`; each change reloads the page's numbers.
    const source = new EventSource(`/api/experiments/${encodeURIComponent(id)}/live`)
    let first = true
    source.addEventListener("open", () => setLive("on"))
    const refresh = () => setVersion((n) => n + 1)
    source.addEventListener("summary", () => {
      if (first) first = false
      else refresh()
    })
    source.addEventListener("results", refresh)
    source.addEventListener("state", (event) => {
      refresh()
      const state = JSON.parse((event as MessageEvent<string>).data) as { status?: string } | null
      if (state !== null && TERMINAL.has(state.status ?? "")) {
        source.close()
      }
    })
    return () => {
      source.close()
      setLive("off")
    }
  }, [id, running])
  return (
    <section>
      <Show loaded={loaded}>
        {(page) => (
          <>
            <h1>
              <span class="muted">Experiment</span> {page.experiment.name}
            </h1>
            <p class="meta">
              <span>id {page.experiment.id}</span>
              <StateBadge state={page.state?.status ?? "complete"} gate={page.state?.gate} />
              {live === "on" && <span class="live" id="live">● live</span>}
              <span id="result-count">{page.summary.results} results</span>
              <span>{page.summary.errors} errors</span>
              {page.summary.comparison !== undefined && (
                <span>
                  baseline{" "}
                  <Link href={`/experiments/${encodeURIComponent(page.summary.comparison.id)}`}>
                    {page.summary.comparison.name} ({page.summary.comparison.id})
                  </Link>{" "}
                  <Link href={`/compare${qs({ ids: `${page.summary.comparison.id},${page.experiment.id}` })}`}>compare</Link>
                </span>
              )}
            </p>
            {page.state?.reason !== undefined && <p class="error-text">{page.state.reason}</p>}
            <Summary summary={page.summary} />
            <div class="histograms">
              {page.histograms.map((h) => <Histogram key={h.score} score={h.score} edges={h.edges} counts={h.counts} />)}
            </div>
            <h2>Cases</h2>
            <nav class="filters" aria-label="filter cases">
              {FILTERS.map((name) => (
                <button
                  type="button"
                  key={name}
                  data-filter={name}
                  aria-pressed={name === filter}
                  onClick={() =>
                    navigate(`/experiments/${encodeURIComponent(id)}${qs({ filter: name === "all" ? undefined : name })}`, true)}
                >
                  {name}
                </button>
              ))}
            </nav>
            <Cases id={id} filter={filter} version={version} />
          </>
        )}
      </Show>
    </section>
  )
}
