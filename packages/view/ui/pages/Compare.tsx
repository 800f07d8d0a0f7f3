import { useState } from "preact/hooks"
import { type ComparePage, type ExperimentRow, get, type Page, qs } from "../api.js"
import { asText, fmt, Link, navigate, Show, useLoad, Value, WordDiff } from "../components.js"

const Picker = () => {
  const [selected, setSelected] = useState<ReadonlyArray<string>>([])
  const loaded = useLoad("compare-picker", () => get<Page<ExperimentRow>>(`/api/experiments${qs({ limit: 200 })}`))
  return (
    <Show loaded={loaded}>
      {(page) => (
        <>
          <p>Pick two to ten runs.</p>
          <ul class="picker">
            {page.items.map((row) => (
              <li key={row.id}>
                <label>
                  <input
                    type="checkbox"
                    checked={selected.includes(row.id)}
                    onChange={() =>
                      setSelected((ids) => (ids.includes(row.id) ? ids.filter((x) => x !== row.id) : [...ids, row.id]))}
                  />{" "}
                  {row.name} <span class="muted">{row.id}</span>
                </label>
              </li>
            ))}
          </ul>
          <button
            type="button"
            disabled={selected.length < 2 || selected.length > 10}
            onClick={() => navigate(`/compare${qs({ ids: selected.join(",") })}`)}
          >
            Compare
          </button>
        </>
      )}
    </Show>
  )
}

/** Two or more runs side by side: per-score mean and spread, per-case outputs diffed against the first run. */
export const Compare = ({ query }: { readonly query: URLSearchParams }) => {
  const ids = query.get("ids") ?? ""
  const [cursor, setCursor] = useState<string | undefined>(undefined)
  const loaded = useLoad(`compare:${ids}:${cursor ?? ""}`, () =>
    ids === "" ? Promise.resolve(undefined) : get<ComparePage>(`/api/compare${qs({ ids, cursor, limit: 50 })}`))
  if (ids === "") {
    return <section><h1>Compare</h1><Picker /></section>
  }
  return (
    <section>
      <h1>Compare</h1>
      <Show loaded={loaded}>
        {(page) => {
          if (page === undefined) return null
          const scores = [...new Set(page.experiments.flatMap((e) => Object.keys(e.scores)))].sort()
          return (
            <>
              <table class="compare-scores">
                <thead>
                  <tr><th>run</th>{scores.map((s) => <th key={s}>{s} (mean ± spread, n)</th>)}</tr>
                </thead>
                <tbody>
                  {page.experiments.map((e) => (
                    <tr key={e.id}>
                      <td><Link href={`/experiments/${encodeURIComponent(e.id)}`}>{e.name}</Link> <span class="muted">{e.id}</span></td>
                      {scores.map((s) => {
                        const score = e.scores[s]
                        return (
                          <td key={s} class="num">
                            {score === undefined ? "–" : `${fmt(score.mean)} ± ${fmt(score.spread)} (${score.count})`}
                          </td>
                        )
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
              <h2>Cases</h2>
              <p class="muted">Outputs are diffed word by word against the first run: <ins>added</ins> <del>removed</del>.</p>
              <table class="compare-rows">
                <thead>
                  <tr><th>case</th><th>input</th>{page.experiments.map((e) => <th key={e.id}>{e.name} <span class="muted">{e.id}</span></th>)}</tr>
                </thead>
                <tbody>
                  {page.rows.items.map((row) => {
                    const first = row.runs[0]
                    return (
                      <tr key={row.caseId} data-case={row.caseId}>
                        <td>{row.caseId}</td>
                        <td><Value value={row.input} /></td>
                        {row.runs.map((run, i) => (
                          <td key={i} class="run">
                            {run === null ? <span class="muted">no such case</span> : (
                              <>
                                <div class="output">
                                  {i === 0 || first === null || first === undefined
                                    ? <span class="text">{asText(run.output)}</span>
                                    : <WordDiff before={asText(first.output)} after={asText(run.output)} />}
                                </div>
                                <div class="scores">
                                  {Object.entries(run.scores).map(([name, value]) => (
                                    <span class="chip" key={name}>{name} {fmt(value)}</span>
                                  ))}
                                </div>
                                {run.error !== undefined && <div class="error-text">{run.error}</div>}
                                {run.traceId !== undefined && (
                                  <Link
                                    href={`/traces/${encodeURIComponent(run.traceId)}${qs({ experiment: page.experiments[i]?.id })}`}
                                  >
                                    trace
                                  </Link>
                                )}
                              </>
                            )}
                          </td>
                        ))}
                      </tr>
                    )
                  })}
                </tbody>
              </table>
              <p class="pager">
                {cursor !== undefined && <button type="button" onClick={() => setCursor(undefined)}>First page</button>}
                {page.rows.cursor !== null && <button type="button" onClick={() => setCursor(page.rows.cursor!)}>Next page</button>}
              </p>
            </>
          )
        }}
      </Show>
    </section>
  )
}
