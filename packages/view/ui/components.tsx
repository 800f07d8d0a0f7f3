/**
 * The pieces every page uses: the history-API router, links, safe value
 * rendering (text nodes only, JSON folded in `<details>`), uPlot charts and
 * jsdiff word diffs.
 */
import { diffWordsWithSpace } from "diff"
import type { ComponentChildren, JSX } from "preact"
import { useEffect, useRef, useState } from "preact/hooks"
import uPlot from "uplot"
import "uplot/dist/uPlot.min.css"
import { ApiError } from "./api.js"

// ---------------------------------------------------------------------------------------------------------------
// Routing

type Listener = () => void
const listeners = new Set<Listener>()

/** Goes to a page of this app (a path with its query) without reloading. */
export const navigate = (to: string, replace = false): void => {
  if (replace) history.replaceState(null, "", to)
  else history.pushState(null, "", to)
  for (const listener of listeners) listener()
}

addEventListener("popstate", () => {
  for (const listener of listeners) listener()
})

/** The current location; re-renders on every navigation. */
export const useLocation = (): { readonly path: string; readonly query: URLSearchParams } => {
  const [, setTick] = useState(0)
  useEffect(() => {
    const listener = () => setTick((n) => n + 1)
    listeners.add(listener)
    return () => void listeners.delete(listener)
  }, [])
  return { path: location.pathname, query: new URLSearchParams(location.search) }
}

export const Link = (
  { href, children, ...rest }: { readonly href: string; readonly children: ComponentChildren } & JSX.HTMLAttributes<HTMLAnchorElement>
) => (
  <a
    {...rest}
    href={href}
    onClick={(event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
      event.preventDefault()
      navigate(href)
    }}
  >
    {children}
  </a>
)

// ---------------------------------------------------------------------------------------------------------------
// Data

export interface Loaded<A> {
  readonly data: A | undefined
  readonly error: Error | undefined
  readonly loading: boolean
  readonly reload: () => void
  readonly set: (data: A) => void
}

/** Loads `load()` whenever `key` changes; a stale answer never overwrites a newer one. */
export const useLoad = <A,>(key: string, load: () => Promise<A>): Loaded<A> => {
  const [state, setState] = useState<{ data: A | undefined; error: Error | undefined; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true
  })
  const [tick, setTick] = useState(0)
  useEffect(() => {
    let current = true
    setState((s) => ({ ...s, loading: true }))
    load().then(
      (data) => current && setState({ data, error: undefined, loading: false }),
      (error: Error) => current && setState({ data: undefined, error, loading: false })
    )
    return () => {
      current = false
    }
  }, [key, tick])
  return {
    ...state,
    reload: () => setTick((n) => n + 1),
    set: (data) => setState({ data, error: undefined, loading: false })
  }
}

export const Failure = ({ error }: { readonly error: Error }) => (
  <p class="error" role="alert">
    {error instanceof ApiError ? `${error.tag}: ${error.message}` : error.message}
  </p>
)

/** The loading line, the error, or the page. */
export const Show = <A,>({ loaded, children }: { readonly loaded: Loaded<A>; readonly children: (data: A) => ComponentChildren }) =>
  loaded.error !== undefined
    ? <Failure error={loaded.error} />
    : loaded.data === undefined
    ? <p class="muted">Loading…</p>
    : <>{children(loaded.data)}</>

// ---------------------------------------------------------------------------------------------------------------
// Values: always text

export const fmt = (value: number | null | undefined, digits = 3): string =>
  value === null || value === undefined || Number.isNaN(value) ? "–" : Number(value.toFixed(digits)).toString()

export const signed = (value: number | undefined): string =>
  value === undefined ? "" : `${value > 0 ? "+" : value < 0 ? "−" : "±"}${fmt(Math.abs(value))}`

export const time = (millis: number | undefined): string =>
  millis === undefined ? "–" : new Date(millis).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z")

export const duration = (millis: number): string =>
  millis < 1000 ? `${Math.round(millis)} ms` : `${(millis / 1000).toFixed(2)} s`

const preview = (value: unknown): string => {
  const text = JSON.stringify(value)
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 79)}…` : text
}

/**
 * Any value as text: a short string or number as is, anything else as JSON
 * folded in `<details>`. Rendered as text nodes, so markup in it is shown, never run.
 */
export const Value = ({ value, open = false }: { readonly value: unknown; readonly open?: boolean }) => {
  if (value === undefined) return <span class="muted">–</span>
  if (typeof value === "string" && value.length <= 120 && !value.includes("\n")) return <span class="text">{value}</span>
  if (typeof value === "number" || typeof value === "boolean" || value === null) return <span class="text">{String(value)}</span>
  const full = typeof value === "string" ? value : JSON.stringify(value, null, 2)
  return (
    <details class="json" open={open}>
      <summary>{preview(value)}</summary>
      <pre>{full}</pre>
    </details>
  )
}

/** Words added and removed between two texts, highlighted, as text nodes. */
export const WordDiff = ({ before, after }: { readonly before: string; readonly after: string }) => (
  <span class="diff">
    {diffWordsWithSpace(before, after).map((part, i) =>
      part.added ? <ins key={i}>{part.value}</ins> : part.removed ? <del key={i}>{part.value}</del> : <span key={i}>{part.value}</span>
    )}
  </span>
)

export const asText = (value: unknown): string =>
  typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value, null, 2) ?? String(value)

// ---------------------------------------------------------------------------------------------------------------
// Charts (uPlot)

const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563"]

const Plot = ({ options, data, label }: { readonly options: uPlot.Options; readonly data: uPlot.AlignedData; readonly label: string }) => {
  const ref = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (ref.current === null) return
    const plot = new uPlot(options, data, ref.current)
    return () => plot.destroy()
  }, [JSON.stringify(data)])
  return <div class="plot" ref={ref} role="img" aria-label={label} />
}

/** Per score, the means of the last runs of a name (oldest → newest). */
export const Trend = ({ trend }: { readonly trend: Readonly<Record<string, ReadonlyArray<number | null>>> }) => {
  const names = Object.keys(trend)
  const length = Math.max(0, ...names.map((name) => trend[name]!.length))
  if (names.length === 0 || length < 1) return <span class="muted">no scores</span>
  const xs = Array.from({ length }, (_, i) => i + 1)
  return (
    <Plot
      label={`trend of ${names.join(", ")} over ${length} runs`}
      data={[xs, ...names.map((name) => trend[name]!.map((v) => v ?? null))] as unknown as uPlot.AlignedData}
      options={{
        width: 260,
        height: 90,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [{ show: false }, { size: 30, ticks: { show: false }, splits: [0, 0.5, 1], font: "10px system-ui" }],
        series: [{}, ...names.map((name, i) => ({ label: name, stroke: PALETTE[i % PALETTE.length]!, width: 2, points: { size: 5 } }))]
      }}
    />
  )
}

/** A score's histogram: counts per bin of [0, 1]. */
export const Histogram = (
  { score, edges, counts }: { readonly score: string; readonly edges: ReadonlyArray<number>; readonly counts: ReadonlyArray<number> }
) => {
  const xs = counts.map((_, i) => (edges[i]! + edges[i + 1]!) / 2)
  return (
    <figure class="histogram">
      <figcaption>{score}</figcaption>
      <Plot
        label={`histogram of ${score}: ${counts.join(", ")}`}
        data={[xs, [...counts]]}
        options={{
          width: 280,
          height: 140,
          legend: { show: false },
          cursor: { show: false },
          scales: { x: { time: false, range: [0, 1] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
          axes: [{ font: "10px system-ui", size: 24 }, { font: "10px system-ui", size: 30 }],
          series: [{}, {
            label: "cases",
            fill: "rgba(37, 99, 235, 0.6)",
            stroke: "#2563eb",
            paths: uPlot.paths.bars!({ size: [0.9, 100] }),
            points: { show: false }
          }]
        }}
      />
    </figure>
  )
}

export const Pager = (
  { cursor, onNext, onFirst }: { readonly cursor: string | null; readonly onNext: (cursor: string) => void; readonly onFirst?: (() => void) | undefined }
) => (
  <p class="pager">
    {onFirst !== undefined && <button type="button" onClick={onFirst}>First page</button>}
    {cursor !== null && <button type="button" onClick={() => onNext(cursor)}>Next page</button>}
  </p>
)
