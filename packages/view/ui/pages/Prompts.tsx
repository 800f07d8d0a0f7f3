import { useState } from "preact/hooks"
import { get, type Page, post, type PromptDiffPage, type PromptSummary, type PromptVersions, qs } from "../api.js"
import { asText, Failure, Link, navigate, Show, useLoad, Value, WordDiff } from "../components.js"

/** Every prompt: slug, name, current version, tags. */
export const Prompts = () => {
  const [cursor, setCursor] = useState<string | undefined>(undefined)
  const loaded = useLoad(`prompts:${cursor ?? ""}`, () => get<Page<PromptSummary>>(`/api/prompts${qs({ cursor, limit: 100 })}`))
  return (
    <section>
      <h1>Prompts</h1>
      <Show loaded={loaded}>
        {(page) => (
          <>
            <table id="prompts">
              <thead><tr><th>slug</th><th>name</th><th>version</th><th>tags</th><th>description</th></tr></thead>
              <tbody>
                {page.items.length === 0 && <tr><td colSpan={5} class="muted">No prompts.</td></tr>}
                {page.items.map((prompt) => (
                  <tr key={prompt.slug}>
                    <td><Link href={`/prompts/${encodeURIComponent(prompt.slug)}`}>{prompt.slug}</Link></td>
                    <td>{prompt.name ?? ""}</td>
                    <td>{prompt.version ?? ""}</td>
                    <td>{(prompt.tags ?? []).map((tag) => <span class="chip" key={tag}>{tag}</span>)}</td>
                    <td>{prompt.description ?? ""}</td>
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
    </section>
  )
}

const versionOf = (entry: unknown): string | undefined => {
  if (typeof entry !== "object" || entry === null) return undefined
  const version = (entry as { version?: unknown }).version
  return typeof version === "string" || typeof version === "number" ? String(version) : undefined
}

const variablesIn = (entry: unknown): ReadonlyArray<string> => {
  const names = new Set<string>()
  for (const match of JSON.stringify(entry ?? null).matchAll(/\{\{\s*[#^/]?\s*([\w.]+)\s*\}\}/g)) names.add(match[1]!.split(".")[0]!)
  return [...names]
}

const Diff = ({ slug, from, to }: { readonly slug: string; readonly from: string; readonly to: string }) => {
  const loaded = useLoad(`diff:${slug}:${from}:${to}`, () =>
    get<PromptDiffPage>(`/api/prompts/${encodeURIComponent(slug)}/diff${qs({ from, to })}`))
  return (
    <Show loaded={loaded}>
      {(diff) =>
        diff.changes.length === 0 ? <p class="muted">No differences.</p> : (
          <table class="prompt-diff" id="prompt-diff">
            <thead><tr><th>path</th><th>change</th><th>difference</th></tr></thead>
            <tbody>
              {diff.changes.map((change) => (
                <tr key={change.path} data-path={change.path}>
                  <td><code>{change.path}</code></td>
                  <td>{change.kind}</td>
                  <td class="output">
                    {change.before !== undefined && change.after !== undefined
                      ? <WordDiff before={asText(change.before)} after={asText(change.after)} />
                      : change.after !== undefined
                      ? <ins>{asText(change.after)}</ins>
                      : <del>{asText(change.before)}</del>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </Show>
  )
}

const Render = ({ slug, versions }: { readonly slug: string; readonly versions: PromptVersions }) => {
  const names = versions.versions.map(versionOf).filter((v): v is string => v !== undefined)
  const latest = versions.versions[versions.versions.length - 1]
  const [version, setVersion] = useState(names[names.length - 1] ?? "")
  const [text, setText] = useState(() =>
    JSON.stringify(Object.fromEntries(variablesIn(latest).map((name) => [name, ""])), null, 2))
  const [result, setResult] = useState<{ readonly rendered: unknown } | { readonly error: Error } | undefined>(undefined)
  const render = (event: Event) => {
    event.preventDefault()
    let variables: unknown
    try {
      variables = JSON.parse(text)
    } catch (error) {
      setResult({ error: new Error(`variables: not JSON (${(error as Error).message})`) })
      return
    }
    post<{ rendered: unknown }>(`/api/prompts/${encodeURIComponent(slug)}/render`, {
      ...(version !== "" ? { version } : {}),
      variables
    }).then((reply) => setResult({ rendered: reply.rendered }), (error: Error) => setResult({ error }))
  }
  return (
    <form class="render" onSubmit={render} aria-label="render preview">
      <h2>Render preview</h2>
      <label>
        version{" "}
        <select name="version" value={version} onChange={(e) => setVersion(e.currentTarget.value)}>
          {names.map((name) => <option key={name} value={name}>{name}</option>)}
        </select>
      </label>
      <p>
        <label>
          variables (JSON)
          <textarea name="variables" rows={5} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
      </p>
      <button type="submit">Render</button>
      {result !== undefined && ("error" in result
        ? <Failure error={result.error} />
        : (
          <div class="rendered" id="rendered">
            {Array.isArray((result.rendered as { messages?: unknown }).messages)
              ? ((result.rendered as { messages: ReadonlyArray<{ role?: string; content?: unknown }> }).messages).map((m, i) => (
                <div class="message" key={i}>
                  <strong>{m.role ?? ""}</strong>
                  <pre>{asText(m.content)}</pre>
                </div>
              ))
              : <Value value={result.rendered} open />}
          </div>
        ))}
    </form>
  )
}

/** One prompt: versions, tags, a diff between any two versions, a render preview. */
export const PromptView = ({ slug, query }: { readonly slug: string; readonly query: URLSearchParams }) => {
  const loaded = useLoad(`versions:${slug}`, () => get<PromptVersions>(`/api/prompts/${encodeURIComponent(slug)}/versions`))
  return (
    <section>
      <h1><span class="muted">Prompt</span> {slug}</h1>
      <Show loaded={loaded}>
        {(versions) => {
          const names = versions.versions.map(versionOf).filter((v): v is string => v !== undefined)
          const from = query.get("from") ?? names[names.length - 2] ?? names[0] ?? ""
          const to = query.get("to") ?? names[names.length - 1] ?? ""
          const pick = (side: "from" | "to", value: string) =>
            navigate(`/prompts/${encodeURIComponent(slug)}${qs({ from: side === "from" ? value : from, to: side === "to" ? value : to })}`, true)
          return (
            <>
              <p class="meta">
                tags:{" "}
                {Object.keys(versions.tags).length === 0 ? <span class="muted">none</span> : Object.entries(versions.tags).map(([tag, v]) => (
                  <span class="chip" key={tag}>{tag} → {v}</span>
                ))}
              </p>
              <h2>Versions</h2>
              <table class="versions">
                <thead><tr><th>version</th><th>content</th></tr></thead>
                <tbody>
                  {versions.versions.map((entry, i) => (
                    <tr key={versionOf(entry) ?? i}>
                      <td>{versionOf(entry) ?? "?"}</td>
                      <td><Value value={entry} /></td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {names.length >= 2 && (
                <>
                  <h2>Diff</h2>
                  <p class="toolbar">
                    <label>
                      from{" "}
                      <select name="from" value={from} onChange={(e) => pick("from", e.currentTarget.value)}>
                        {names.map((n) => <option key={n} value={n}>{n}</option>)}
                      </select>
                    </label>{" "}
                    <label>
                      to{" "}
                      <select name="to" value={to} onChange={(e) => pick("to", e.currentTarget.value)}>
                        {names.map((n) => <option key={n} value={n}>{n}</option>)}
                      </select>
                    </label>
                  </p>
                  <Diff slug={slug} from={from} to={to} />
                </>
              )}
              <Render slug={slug} versions={versions} />
            </>
          )
        }}
      </Show>
    </section>
  )
}
