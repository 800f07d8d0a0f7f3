/**
 * Deterministic execution of Braintrust functions, for `invoke` and `eval`. Nothing is sent to a model and no
 * user code runs:
 *
 * - **prompt** functions (`function_data.type = "prompt"`, inline prompts): the messages are rendered with mustache
 *   or nunjucks as Braintrust's SDK renders them (`internal/Templates.ts`) against `{input, ...input}` (tasks) or `{input, output, expected, metadata}` (scorers). The
 *   "model" answers with the rendered text of the last user message (or the completion text). When
 *   `response_format` asks for JSON, that text is parsed if it is JSON, else wrapped as `{"output": text}`. A prompt
 *   with an `llm_classifier` parser scores with the first `choice_scores` entry whose choice occurs in the
 *   rendered text (case-insensitive), else the first entry.
 * - **code** functions and `global` functions run one of a fixed set of builtins, picked by an
 *   `@emulator:<builtin>` marker anywhere in the code, else by the function's name/slug. Builtins: scorers
 *   `exact_match` (ExactMatch), `levenshtein` (Levenshtein, LevenshteinScorer), `contains`, `numeric_diff`
 *   (NumericDiff); tasks `identity` (echo), `uppercase`. Anything else is refused with a 400.
 */
import { canonicalJson, getPath, isPlainObject, type JsonObject } from "../Json.js"
import { renderTemplate, TemplateRenderError } from "../Templates.js"
import type { BraintrustDeps } from "./Context.js"
import { failBadRequest, failNotFound } from "./Errors.js"
import type { FunctionRecord } from "./Store.js"
import { parseVersion } from "./XactId.js"

/** A task or scorer failed while running (becomes a row `error`, or a 400 for invoke). */
export class FunctionRunError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "FunctionRunError"
  }
}

export interface CallArgs {
  readonly input: unknown
  readonly output?: unknown
  readonly expected?: unknown
  readonly metadata?: unknown
  readonly messages?: ReadonlyArray<unknown>
  readonly strict?: boolean
}

export type CallableKind = "prompt" | "code" | "global"

export interface Callable {
  readonly name: string
  readonly kind: CallableKind
  /** `scorer` callables return `{name, score}`; others return their output. */
  readonly role: "task" | "scorer"
  readonly run: (args: CallArgs) => unknown
}

// ---------------------------------------------------------------------------------------------------------------
// Builtins
// ---------------------------------------------------------------------------------------------------------------

const asText = (u: unknown): string => (typeof u === "string" ? u : u === undefined || u === null ? "" : canonicalJson(u))

const levenshteinDistance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}

interface Builtin {
  readonly name: string
  readonly role: "task" | "scorer"
  readonly run: (args: CallArgs) => unknown
}

const BUILTIN_LIST: ReadonlyArray<Builtin> = [
  {
    name: "exact_match",
    role: "scorer",
    run: ({ expected, output }) => (canonicalJson(output) === canonicalJson(expected) ? 1 : 0)
  },
  {
    name: "levenshtein",
    role: "scorer",
    run: ({ expected, output }) => {
      const a = asText(output)
      const b = asText(expected)
      const longest = Math.max(a.length, b.length)
      return longest === 0 ? 1 : 1 - levenshteinDistance(a, b) / longest
    }
  },
  {
    name: "contains",
    role: "scorer",
    run: ({ expected, output }) => (asText(output).includes(asText(expected)) ? 1 : 0)
  },
  {
    name: "numeric_diff",
    role: "scorer",
    run: ({ expected, output }) => {
      const o = Number(output)
      const e = Number(expected)
      if (!Number.isFinite(o) || !Number.isFinite(e)) return 0
      const scale = Math.max(Math.abs(o), Math.abs(e))
      return scale === 0 ? 1 : Math.max(0, 1 - Math.abs(o - e) / scale)
    }
  },
  { name: "identity", role: "task", run: ({ input }) => input },
  { name: "uppercase", role: "task", run: ({ input }) => asText(input).toUpperCase() }
]

const ALIASES: { readonly [alias: string]: string } = {
  exactmatch: "exact_match",
  levenshtein: "levenshtein",
  levenshteinscorer: "levenshtein",
  contains: "contains",
  numericdiff: "numeric_diff",
  identity: "identity",
  echo: "identity",
  uppercase: "uppercase"
}

/** The builtin names the emulator runs (canonical names). */
export const BUILTIN_NAMES: ReadonlyArray<string> = BUILTIN_LIST.map((b) => b.name)

export const findBuiltin = (name: string | undefined): Builtin | undefined => {
  if (name === undefined) return undefined
  const canonical = ALIASES[name.toLowerCase().replace(/[^a-z0-9]/g, "")]
  return BUILTIN_LIST.find((b) => b.name === canonical)
}

const builtinFromCode = (code: string): Builtin | undefined => {
  const marker = /@emulator[:\s]+([A-Za-z_][\w]*)/.exec(code)
  return marker ? findBuiltin(marker[1]) : undefined
}

const builtinCallable = (builtin: Builtin, name: string, kind: CallableKind): Callable => ({
  name,
  kind,
  role: builtin.role,
  run: builtin.role === "scorer"
    ? (args) => ({ name, score: builtin.run(args) as number })
    : builtin.run
})

// ---------------------------------------------------------------------------------------------------------------
// Prompts
// ---------------------------------------------------------------------------------------------------------------

const render = (template: string, vars: unknown, format: unknown, strict: boolean): string => {
  try {
    return renderTemplate(template, vars, format, strict)
  } catch (e) {
    if (e instanceof TemplateRenderError) throw new FunctionRunError(e.message)
    throw e
  }
}

const contentText = (content: unknown, renderText: (s: string) => string): string => {
  if (typeof content === "string") return renderText(content)
  if (Array.isArray(content)) {
    return content
      .map((part) => (isPlainObject(part) && part["type"] === "text" && typeof part["text"] === "string" ? renderText(part["text"]) : ""))
      .join("")
  }
  return ""
}

const wantsJson = (promptData: JsonObject): boolean => {
  const options = promptData["options"]
  const params = isPlainObject(options) ? options["params"] : undefined
  const format = isPlainObject(params) ? params["response_format"] : undefined
  return isPlainObject(format) && (format["type"] === "json_object" || format["type"] === "json_schema")
}

/** Renders the prompt and returns the deterministic "completion" text. */
const completePrompt = (promptData: JsonObject, vars: unknown, args: CallArgs): string => {
  const strict = args.strict === true
  const format = promptData["template_format"]
  const renderText = (s: string) => render(s, vars, format, strict)
  const block = promptData["prompt"]
  if (!isPlainObject(block)) throw new FunctionRunError("The prompt has no prompt block")
  if (block["type"] === "completion") return renderText(String(block["content"] ?? ""))
  const messages: Array<JsonObject> = Array.isArray(block["messages"])
    ? (block["messages"] as Array<unknown>).filter(isPlainObject)
    : []
  const rendered = messages.map((m) => ({ role: m["role"], text: contentText(m["content"], renderText) }))
  for (const extra of args.messages ?? []) {
    if (!isPlainObject(extra)) continue
    if (extra["role"] === "system" && rendered.some((m) => m.role === "system")) continue
    rendered.push({ role: extra["role"], text: contentText(extra["content"], (s) => s) })
  }
  const lastUser = [...rendered].reverse().find((m) => m.role === "user") ?? rendered[rendered.length - 1]
  return lastUser?.text ?? ""
}

const classifierScore = (parser: JsonObject, text: string): number => {
  const choices = isPlainObject(parser["choice_scores"]) ? Object.entries(parser["choice_scores"]) : []
  if (choices.length === 0) throw new FunctionRunError("llm_classifier parser without choice_scores")
  const lower = text.toLowerCase()
  const hit = choices.find(([choice]) => lower.includes(choice.toLowerCase())) ?? choices[0]!
  return Number(hit[1])
}

const promptCallable = (promptData: JsonObject, name: string, role: "task" | "scorer"): Callable => {
  const parser = promptData["parser"]
  const isClassifier = isPlainObject(parser) && parser["type"] === "llm_classifier"
  const effectiveRole = isClassifier ? "scorer" : role
  return {
    name,
    kind: "prompt",
    role: effectiveRole,
    run: (args) => {
      if (effectiveRole === "scorer") {
        const vars = { input: args.input, output: args.output, expected: args.expected, metadata: args.metadata }
        const text = completePrompt(promptData, vars, args)
        const score = isClassifier ? classifierScore(parser as JsonObject, text) : Number(Number.parseFloat(text) || 0)
        return { name, score: Math.min(1, Math.max(0, score)) }
      }
      const vars = isPlainObject(args.input) ? { input: args.input, ...args.input } : { input: args.input }
      const text = completePrompt(promptData, vars, args)
      if (!wantsJson(promptData)) return text
      try {
        return JSON.parse(text) as unknown
      } catch {
        return { output: text }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Resolution
// ---------------------------------------------------------------------------------------------------------------

/** The stored function object at `version` (as-of), or the current one. */
export const functionAt = (record: FunctionRecord, version: string | undefined): JsonObject | undefined => {
  if (version === undefined) return record.versions[record.versions.length - 1]?.data
  const xact = parseVersion(version)
  if (xact === undefined) return undefined
  for (let i = record.versions.length - 1; i >= 0; i--) {
    const v = record.versions[i]!
    if (v.xactId <= xact) return v.data
  }
  return undefined
}

/** A callable for a stored prompt/function object. */
export const storedCallable = (
  deps: BraintrustDeps,
  path: string,
  fn: JsonObject,
  role: "task" | "scorer"
): Callable => {
  const name = String(fn["name"] ?? fn["slug"] ?? "function")
  const data = isPlainObject(fn["function_data"]) ? fn["function_data"] : { type: "prompt" }
  const effectiveRole = fn["function_type"] === "scorer" ? "scorer" : role
  switch (data["type"]) {
    case "prompt": {
      if (!isPlainObject(fn["prompt_data"])) return failBadRequest(deps, path, `Function ${name} has no prompt_data`)
      return promptCallable(fn["prompt_data"], name, effectiveRole)
    }
    case "code": {
      const inner = data["data"]
      const code = isPlainObject(inner) && typeof inner["code"] === "string" ? inner["code"] : undefined
      const builtin = (code !== undefined ? builtinFromCode(code) : undefined) ?? findBuiltin(String(fn["slug"] ?? "")) ??
        findBuiltin(name)
      if (!builtin) return unsupportedCode(deps, path, name)
      return builtinCallable(builtin, name, "code")
    }
    case "global": {
      const builtin = findBuiltin(String(data["name"] ?? ""))
      if (!builtin) return unsupportedGlobal(deps, path, String(data["name"]))
      return builtinCallable(builtin, name, "global")
    }
    default:
      return failBadRequest(deps, path, `The Braintrust emulator cannot run functions of type ${String(data["type"])}`)
  }
}

const unsupportedCode = (deps: BraintrustDeps, path: string, name: string): never =>
  failBadRequest(
    deps,
    path,
    `The Braintrust emulator does not execute arbitrary code (function ${name}). Mark the code with @emulator:<builtin>; builtins: ${
      BUILTIN_NAMES.join(", ")
    }`
  )

const unsupportedGlobal = (deps: BraintrustDeps, path: string, name: string): never =>
  failBadRequest(deps, path, `Global function ${name} is not available in the Braintrust emulator; builtins: ${BUILTIN_NAMES.join(", ")}`)

/** Resolves a `FunctionId` (one of its seven variants, §2.8) to a callable. */
export const resolveFunctionId = (
  deps: BraintrustDeps,
  path: string,
  ref: JsonObject,
  role: "task" | "scorer",
  index: number
): Callable => {
  const { store } = deps
  const version = typeof ref["version"] === "string" ? ref["version"] : undefined
  const fallbackName = typeof ref["name"] === "string" ? ref["name"] : role === "scorer" ? `scorer_${index}` : "task"
  if (typeof ref["function_id"] === "string") {
    const record = store.liveFunction(ref["function_id"])
    if (!record) return failNotFound(path, `Function ${ref["function_id"]} not found`)
    const fn = functionAt(record, version)
    if (!fn) return failNotFound(path, `Function ${ref["function_id"]} has no version ${version}`)
    return storedCallable(deps, path, fn, role)
  }
  if (typeof ref["project_name"] === "string" && typeof ref["slug"] === "string") {
    const project = store.projectByName(ref["project_name"])
    const record = project &&
      [...store.functions.values()].find((f) =>
        !f.deleted && f.versions[f.versions.length - 1]?.data["project_id"] === project.id &&
        f.versions[f.versions.length - 1]?.data["slug"] === ref["slug"]
      )
    if (!record) return failNotFound(path, `Function ${ref["slug"]} not found in project ${ref["project_name"]}`)
    const fn = functionAt(record, version)
    if (!fn) return failNotFound(path, `Function ${ref["slug"]} has no version ${version}`)
    return storedCallable(deps, path, fn, role)
  }
  if (typeof ref["global_function"] === "string") {
    const builtin = findBuiltin(ref["global_function"])
    if (!builtin) return unsupportedGlobal(deps, path, ref["global_function"])
    return builtinCallable(builtin, ref["global_function"], "global")
  }
  if (typeof ref["prompt_session_id"] === "string") {
    return failBadRequest(deps, path, "Prompt sessions (playgrounds) are not supported by the Braintrust emulator")
  }
  if (typeof ref["code"] === "string" && isPlainObject(ref["inline_context"])) {
    const builtin = builtinFromCode(ref["code"]) ?? findBuiltin(typeof ref["name"] === "string" ? ref["name"] : undefined)
    if (!builtin) return unsupportedCode(deps, path, fallbackName)
    return builtinCallable(builtin, typeof ref["name"] === "string" ? ref["name"] : builtin.name, "code")
  }
  if (isPlainObject(ref["inline_prompt"])) {
    return promptCallable(ref["inline_prompt"], fallbackName, ref["function_type"] === "scorer" ? "scorer" : role)
  }
  if (isPlainObject(ref["inline_function"])) {
    return failBadRequest(deps, path, "inline_function without inline_prompt is not supported by the Braintrust emulator")
  }
  return failBadRequest(deps, path, "Unrecognised function reference")
}

/** `extra_messages`: a path into the template variables whose value is a list of chat messages. */
export const extraMessages = (path: string | undefined, input: unknown): ReadonlyArray<unknown> => {
  if (path === undefined || path === "") return []
  const vars = isPlainObject(input) ? { input, ...input } : { input }
  const value = getPath(vars, path.replace(/^\{\{\s*|\s*\}\}$/g, ""))
  return Array.isArray(value) ? value : []
}

/** Scorer output → named scores (number, `{name?, score}`, a list of those, or null). */
export const normalizeScores = (name: string, result: unknown): Array<{ name: string; score: number | null }> => {
  if (result === null || result === undefined) return []
  if (typeof result === "number") return [{ name, score: result }]
  if (typeof result === "boolean") return [{ name, score: result ? 1 : 0 }]
  if (Array.isArray(result)) return result.flatMap((r) => normalizeScores(name, r))
  if (isPlainObject(result)) {
    const score = result["score"]
    const own = typeof result["name"] === "string" ? result["name"] : name
    return [{ name: own, score: typeof score === "number" ? score : score === null ? null : 0 }]
  }
  return []
}
