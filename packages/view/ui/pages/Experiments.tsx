import { useState } from "preact/hooks"
import { type ExperimentRow, get, type Page, qs } from "../api.js"
import { fmt, Link, navigate, Show, time, Trend, useLoad } from "../components.js"

const StateBadge = ({ state, gate }: { readonly state: string; readonly gate?: string | undefined }) => (
  <span class={`state state-${state}`}>{gate === undefined ? state : `${state} · gate ${gate}`}</span>
)

export { StateBadge }

/** The experiments, grouped by name (newest group first), each with a trend. */
export const Experiments = () => {
  const [pages, setPages] = useState<Array<ExperimentRow>>([])
  const [cursor, setCursor] = useState<string | undefined>(undefined)
  const [selected, setSelected] = useState<ReadonlyArray<string>>([])
  const loaded = useLoad(`experiments:${cursor ?? ""}`, () =>
    get<Page<ExperimentRow>>(`/api/experiments${qs({ limit: 200, cursor })}`).then((page) => {
      setPages((rows) => (cursor === undefined ? [...page.items] : [...rows, ...page.items]))
      return page
    }))
  const toggle = (id: string) => setSelected((ids) => (ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id]))
  return (
    <section>
      <h1>Experiments</h1>
      <p class="toolbar">
        <button
          type="button"
          id="compare-selected"
          disabled={selected.length < 2 || selected.length > 10}
          onClick={() => navigate(`/compare${qs({ ids: selected.join(",") })}`)}
        >
          Compare selected ({selected.length})
        </button>
      </p>
      <Show loaded={loaded}>
        {(page) => {
          const groups = new Map<string, Array<ExperimentRow>>()
          for (const row of pages) groups.set(row.name, [...(groups.get(row.name) ?? []), row])
          if (groups.size === 0) return <p class="muted">No experiments yet. Run an eval, then reload.</p>
          return (
            <>
              {[...groups].map(([name, rows]) => (
                <article class="group" key={name} data-name={name}>
                  <header>
                    <h2>{name}</h2>
                    <Trend trend={rows[0]!.trend} />
                  </header>
                  <table>
                    <thead>
                      <tr><th /><th>run</th><th>created</th><th>state</th><th>cases</th><th>errors</th><th>score means</th></tr>
                    </thead>
                    <tbody>
                      {rows.map((row) => (
                        <tr key={row.id} data-id={row.id}>
                          <td>
                            <input
                              type="checkbox"
                              aria-label={`select ${row.id}`}
                              checked={selected.includes(row.id)}
                              onChange={() => toggle(row.id)}
                            />
                          </td>
                          <td><Link href={`/experiments/${encodeURIComponent(row.id)}`}>{row.id}</Link></td>
                          <td>{time(row.created)}</td>
                          <td><StateBadge state={row.state} gate={row.gate} /></td>
                          <td class="num">{row.cases.total}</td>
                          <td class="num">{row.cases.errored}</td>
                          <td>
                            {Object.entries(row.means).map(([score, mean]) => (
                              <span class="chip" key={score}>{score} {fmt(mean)}</span>
                            ))}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </article>
              ))}
              {page.cursor !== null && (
                <p class="pager"><button type="button" onClick={() => setCursor(page.cursor!)}>More</button></p>
              )}
            </>
          )
        }}
      </Show>
    </section>
  )
}
