/**
 * The `promptops view` pages: a Preact app with client-side routes on the
 * history API, reading the same-origin JSON API. Every value from spans,
 * prompts and datasets is rendered as text nodes, never as markup.
 */
import { render } from "preact"
import "./style.css"
import { Link, useLocation } from "./components.js"
import { Compare } from "./pages/Compare.js"
import { ExperimentView } from "./pages/Experiment.js"
import { Experiments } from "./pages/Experiments.js"
import { Prompts, PromptView } from "./pages/Prompts.js"
import { Trace } from "./pages/Trace.js"
import { Traces } from "./pages/Traces.js"

const decode = (segment: string): string => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

const NAV = [["/experiments", "Experiments"], ["/compare", "Compare"], ["/traces", "Traces"], ["/prompts", "Prompts"]] as const

const App = () => {
  const { path, query } = useLocation()
  const parts = path.split("/").filter((part) => part !== "").map(decode)
  const [section, id] = parts
  const page = section === undefined || (section === "experiments" && id === undefined)
    ? <Experiments />
    : section === "experiments" && id !== undefined
    ? <ExperimentView key={id} id={id} query={query} />
    : section === "compare"
    ? <Compare query={query} />
    : section === "traces" && id === undefined
    ? <Traces query={query} />
    : section === "traces" && id !== undefined
    ? <Trace key={id} traceId={id} query={query} />
    : section === "prompts" && id === undefined
    ? <Prompts />
    : section === "prompts" && id !== undefined
    ? <PromptView key={id} slug={id} query={query} />
    : <p class="error">No page at {path}.</p>
  const current = `/${section ?? "experiments"}`
  return (
    <>
      <header class="top">
        <Link href="/" class="brand">promptops view</Link>
        <nav aria-label="pages">
          {NAV.map(([href, label]) => (
            <Link key={href} href={href} aria-current={current === href ? "page" : undefined}>{label}</Link>
          ))}
        </nav>
      </header>
      <main>{page}</main>
    </>
  )
}

render(<App />, document.getElementById("app")!)
