/**
 * Programmable fault injection for the emulators.
 *
 * A test queues rules; each incoming request is offered to the rules in the order they were added, and the first
 * rule that matches the request (method + path pattern), is still active (count not used up, time window not
 * over) and whose condition holds (body size, seeded coin flip) fires and is consumed once. A request gets at most
 * one fault. Everything is deterministic: time comes from an injectable clock and probabilities from a seeded PRNG.
 *
 * @since 0.1.0
 */

/**
 * What a fault does to the request it hits.
 *
 * - `status`: answer with this status instead of handling the request (429 carries `Retry-After` when given).
 * - `reset`: destroy the TCP socket without answering (the client sees a connection reset / "other side closed").
 * - `delay`: wait `ms` (through the emulator's sleep function) and then handle the request normally.
 * - `payloadTooLarge`: answer 413 when the request body is larger than `maxBytes`; smaller bodies pass untouched
 *   and do not consume the rule.
 *
 * @since 0.1.0
 */
export type FaultAction =
  | {
    readonly kind: "status"
    readonly status: number
    /** Seconds, sent as the `Retry-After` header. */
    readonly retryAfter?: number
    /** Overrides the emulator's default body for this status. */
    readonly body?: unknown
    readonly headers?: { readonly [name: string]: string }
  }
  | { readonly kind: "reset" }
  | { readonly kind: "delay"; readonly ms: number }
  | { readonly kind: "payloadTooLarge"; readonly maxBytes: number }

/**
 * Which requests a rule applies to. `path` is a template (`/v1/function/{function_id}`), a glob where `*` matches
 * one segment and a trailing `**` matches the rest, or a RegExp tested against the path. A string of the form
 * `"POST /v1/experiment/*\/insert"` sets both method and path.
 *
 * @since 0.1.0
 */
export type FaultMatch =
  | string
  | {
    readonly method?: string
    readonly path?: string | RegExp
  }

/**
 * @since 0.1.0
 */
export interface FaultTrigger {
  readonly match?: FaultMatch
  /**
   * How many matching requests the rule hits before it is used up. Defaults to 1, or to unlimited when `forMs`
   * or `probability` is given and for `payloadTooLarge`. Use `Infinity` for "until cleared".
   */
  readonly times?: number
  /** The rule is active for this many milliseconds from the moment it is added (by the faults clock). */
  readonly forMs?: number
  /** Each matching request is hit with this probability, drawn from a PRNG seeded with `seed`. */
  readonly probability?: number
  readonly seed?: number
}

/**
 * @since 0.1.0
 */
export interface FaultRule extends FaultTrigger {
  readonly action: FaultAction
}

/**
 * The facts about a request that rules look at.
 *
 * @since 0.1.0
 */
export interface FaultRequest {
  readonly method: string
  readonly path: string
  readonly bodyBytes: number
}

/**
 * A record of a fault that fired.
 *
 * @since 0.1.0
 */
export interface FiredFault {
  readonly ruleId: number
  readonly action: FaultAction
  readonly method: string
  readonly path: string
  readonly at: number
}

/**
 * A rule still waiting in the queue.
 *
 * @since 0.1.0
 */
export interface PendingFault {
  readonly id: number
  readonly action: FaultAction
  readonly remaining: number
  readonly activeUntil: number | undefined
}

/**
 * @since 0.1.0
 */
export interface FaultsOptions {
  /** Milliseconds clock for `forMs` windows; defaults to `Date.now`. */
  readonly now?: () => number
}

/**
 * A small, fast, seedable PRNG (mulberry32). Returns floats in [0, 1).
 *
 * @since 0.1.0
 */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface CompiledMatch {
  readonly method: string | undefined
  readonly test: (path: string) => boolean
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

const compilePathPattern = (pattern: string | RegExp | undefined): ((path: string) => boolean) => {
  if (pattern === undefined || pattern === "*" || pattern === "**") return () => true
  if (pattern instanceof RegExp) return (path) => pattern.test(path)
  const segments = pattern.split("/").map((segment, index, all) => {
    if (segment === "**" && index === all.length - 1) return "(?:/.*)?"
    const body = segment === "*" || /^\{[^}]+\}$/.test(segment) ? "[^/]+" : escapeRegExp(segment)
    return index === 0 ? body : `/${body}`
  })
  const regex = new RegExp(`^${segments.join("")}$`)
  return (path) => regex.test(path)
}

const compileMatch = (match: FaultMatch | undefined): CompiledMatch => {
  if (match === undefined) return { method: undefined, test: () => true }
  if (typeof match === "string") {
    const m = /^([A-Za-z]+)\s+(\S+)$/.exec(match.trim())
    return m
      ? { method: m[1]!.toUpperCase(), test: compilePathPattern(m[2]!) }
      : { method: undefined, test: compilePathPattern(match.trim()) }
  }
  return { method: match.method?.toUpperCase(), test: compilePathPattern(match.path) }
}

interface LiveRule {
  readonly id: number
  readonly action: FaultAction
  readonly match: CompiledMatch
  remaining: number
  readonly activeUntil: number | undefined
  readonly probability: number | undefined
  readonly random: () => number
}

/**
 * The fault queue of one emulator.
 *
 * @since 0.1.0
 */
export class Faults {
  private rules: Array<LiveRule> = []
  private counter = 0
  private readonly now: () => number
  /** Every fault that fired, in order. */
  readonly fired: Array<FiredFault> = []

  constructor(options: FaultsOptions = {}) {
    this.now = options.now ?? Date.now
  }

  /**
   * Queues a rule; returns its id (for `remove`).
   *
   * @since 0.1.0
   */
  add(rule: FaultRule): number {
    const unlimitedByDefault = rule.forMs !== undefined || rule.probability !== undefined ||
      rule.action.kind === "payloadTooLarge"
    const times = rule.times ?? (unlimitedByDefault ? Infinity : 1)
    if (!(times > 0)) throw new RangeError(`Faults: times must be > 0, got ${times}`)
    if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) {
      throw new RangeError(`Faults: probability must be within [0, 1], got ${rule.probability}`)
    }
    const id = ++this.counter
    this.rules.push({
      id,
      action: rule.action,
      match: compileMatch(rule.match),
      remaining: times,
      activeUntil: rule.forMs !== undefined ? this.now() + rule.forMs : undefined,
      probability: rule.probability,
      random: seededRandom(rule.seed ?? 0x5eed)
    })
    return id
  }

  /**
   * Answer `status` (e.g. 429 with `retryAfter` seconds, or a 500) for the matching requests.
   *
   * @since 0.1.0
   */
  status(
    status: number,
    trigger: FaultTrigger & {
      readonly retryAfter?: number
      readonly body?: unknown
      readonly headers?: { readonly [name: string]: string }
    } = {}
  ): number {
    const { body, headers, retryAfter, ...rest } = trigger
    return this.add({
      ...rest,
      action: {
        kind: "status",
        status,
        ...(retryAfter !== undefined ? { retryAfter } : {}),
        ...(body !== undefined ? { body } : {}),
        ...(headers !== undefined ? { headers } : {})
      }
    })
  }

  /**
   * 429 Too Many Requests with a `Retry-After` header (seconds).
   *
   * @since 0.1.0
   */
  rateLimit(trigger: FaultTrigger & { readonly retryAfter?: number } = {}): number {
    return this.status(429, { retryAfter: 1, ...trigger })
  }

  /**
   * A server-error storm: `status` (default 503) for the next `times` matching requests or for `forMs`.
   *
   * @since 0.1.0
   */
  storm(trigger: FaultTrigger & { readonly status?: number }): number {
    const { status, ...rest } = trigger
    return this.status(status ?? 503, rest)
  }

  /**
   * Destroy the connection instead of answering.
   *
   * @since 0.1.0
   */
  reset(trigger: FaultTrigger = {}): number {
    return this.add({ ...trigger, action: { kind: "reset" } })
  }

  /**
   * Answer normally, but only after `ms` milliseconds.
   *
   * @since 0.1.0
   */
  delay(ms: number, trigger: FaultTrigger = {}): number {
    return this.add({ ...trigger, action: { kind: "delay", ms } })
  }

  /**
   * Answer 413 to every matching request whose body exceeds `maxBytes` (until removed, unless `times` is given).
   *
   * @since 0.1.0
   */
  payloadLimit(maxBytes: number, trigger: FaultTrigger = {}): number {
    return this.add({ ...trigger, action: { kind: "payloadTooLarge", maxBytes } })
  }

  /**
   * @since 0.1.0
   */
  remove(id: number): void {
    this.rules = this.rules.filter((r) => r.id !== id)
  }

  /**
   * Drops every queued rule (the `fired` log is kept).
   *
   * @since 0.1.0
   */
  clear(): void {
    this.rules = []
  }

  /**
   * @since 0.1.0
   */
  get pending(): ReadonlyArray<PendingFault> {
    const now = this.now()
    return this.rules
      .filter((r) => r.activeUntil === undefined || now < r.activeUntil)
      .map((r) => ({ id: r.id, action: r.action, remaining: r.remaining, activeUntil: r.activeUntil }))
  }

  /**
   * Picks and consumes the fault for a request, if any.
   *
   * @since 0.1.0
   */
  next(request: FaultRequest): FaultAction | undefined {
    const now = this.now()
    this.rules = this.rules.filter((r) => r.remaining > 0 && (r.activeUntil === undefined || now < r.activeUntil))
    const method = request.method.toUpperCase()
    for (const rule of this.rules) {
      if (rule.match.method !== undefined && rule.match.method !== method) continue
      if (!rule.match.test(request.path)) continue
      if (rule.action.kind === "payloadTooLarge" && request.bodyBytes <= rule.action.maxBytes) continue
      if (rule.probability !== undefined && !(rule.random() < rule.probability)) continue
      rule.remaining -= 1
      if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule)
      this.fired.push({ ruleId: rule.id, action: rule.action, method, path: request.path, at: now })
      return rule.action
    }
    return undefined
  }
}
