/**
 * The delivery suite, written once and run per vendor (one test file each,
 * so they run in parallel wherever vitest has more than one worker):
 *
 * - each fault on its own, with a moderate load (5,000 spans, 200 cases);
 * - the full load (50,000 spans and an eval of 2,000 cases) with every fault
 *   in turn, one phase each.
 *
 * Every run is checked on the emulator side: every workload span and every
 * (case, trial) stored, no span id or (case, trial) stored twice, counts
 * equal to what was emitted, nothing dropped on either side of the sink, the
 * OpenAPI contract held, and the key only ever in the `Authorization` header.
 *
 * One allowance, for a vendor without idempotent writes (Basalt): a request
 * it handled after the client had given up on it (a timeout) is stored,
 * and the client, not knowing, sends it again. Such extra copies are
 * accepted only if the client saw exactly one success for every item stored,
 * so any duplicate the client itself made still fails (see `resentCopies`).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  duplicateIds,
  keyLeaksInRequests,
  keyLeaksInText,
  resultDelivery,
  SPANS_PER_TRACE,
  type Vendor,
  workloadDelivery
} from "./harness.js"
import { CLIENT_TIMEOUT_MS, type FaultCase, runScenario, type ScenarioOutcome } from "./scenario.js"

/** Seconds a 429 asks the client to wait. */
const RETRY_AFTER_S = 1
/** A request body above this gets 413 (a 100-span batch is ~60 KB, a 50-span Basalt trace over 8 KB, one result < 1 KB). */
const PAYLOAD_LIMIT = 8_000
/** The slow-response delay: well past the client's timeout. */
const SLOW_MS = CLIENT_TIMEOUT_MS + 1_500

const firedOf = (outcome: ScenarioOutcome, kind: string, status?: number) =>
  outcome.handle.faults.fired.filter((fault) =>
    fault.action.kind === kind && (status === undefined || (fault.action.kind === "status" && fault.action.status === status))
  ).length

/** The faults, each with what must hold of what the emulator saw under it. */
export const faultCases: ReadonlyArray<FaultCase> = [
  {
    name: `429 with Retry-After: ${RETRY_AFTER_S} s`,
    inject: (faults, match) => faults.rateLimit({ match, retryAfter: RETRY_AFTER_S, probability: 0.2, seed: 11, times: 10 }),
    check: (outcome) => {
      const requests = outcome.handle.requests
      const limited = requests.filter((request) => request.status === 429)
      assert.isAbove(limited.length, 0, "no 429 was answered")
      // Each refused request was sent again, with the same body, no sooner than Retry-After said.
      for (const request of limited) {
        const again = requests.find((later) => later.id > request.id && later.body === request.body)
        assert.isDefined(again, `request #${request.id} answered 429 was never sent again`)
        assert.isAtLeast(again!.receivedAt - request.receivedAt, RETRY_AFTER_S * 1000 - 10)
      }
    }
  },
  {
    name: "a 3 s storm of 500s and 503s",
    inject: (faults, match) => {
      // Every request in the window fails: half with 500, the rest with 503.
      faults.status(500, { match, forMs: 3_000, probability: 0.5, seed: 10 })
      faults.storm({ match, status: 503, forMs: 3_000 })
    },
    check: (outcome) => {
      assert.isAbove(firedOf(outcome, "status", 500), 0)
      assert.isAbove(firedOf(outcome, "status", 503), 0)
    }
  },
  {
    name: "connection resets",
    inject: (faults, match) => faults.reset({ match, probability: 0.3, seed: 12, times: 30 }),
    check: (outcome) => assert.isAbove(firedOf(outcome, "reset"), 0)
  },
  {
    name: `responses slower than the ${CLIENT_TIMEOUT_MS} ms timeout`,
    inject: (faults, match) => faults.delay(SLOW_MS, { match, probability: 0.2, seed: 13, times: 6 }),
    check: (outcome) => {
      const requests = outcome.handle.requests
      const delayed = requests.filter((request) => request.fault === "delay")
      assert.isAbove(delayed.length, 0)
      // The client gave up on them and sent the same request again before the slow answer came.
      const resent = delayed.filter((request) =>
        requests.some((later) => later.id > request.id && later.body === request.body && later.receivedAt < request.receivedAt + SLOW_MS)
      )
      assert.isAbove(resent.length, 0, "no delayed request was sent again after the timeout")
    }
  },
  {
    name: `413 for batches over ${PAYLOAD_LIMIT / 1000} KB`,
    inject: (faults, match) => faults.payloadLimit(PAYLOAD_LIMIT, { match }),
    check: (outcome) => {
      assert.isAbove(firedOf(outcome, "payloadTooLarge"), 0)
      assert.strictEqual(outcome.stats.dropped.tooLarge, 0)
    }
  }
]

/** Exactly-once delivery, on the emulator side. */
const assertDelivered = (vendor: Vendor, outcome: ScenarioOutcome) => {
  const { account, handle, results, spans, stats } = outcome
  // Nothing dropped, nothing left behind, on either side of the sink.
  assert.deepStrictEqual(stats.dropped, { queueFull: 0, redaction: 0, exportFailed: 0, tooLarge: 0, shutdown: 0 })
  assert.strictEqual(stats.pending, 0)
  assert.strictEqual(stats.exported, stats.enqueued)
  assert.deepStrictEqual({ refused: account.refused, pending: account.pending }, { refused: 0, pending: 0 })

  // Copies a vendor without idempotent writes stored from requests the client gave up on (Basalt).
  const resent = vendor.resentCopies(handle, outcome.acks)
  assert.deepStrictEqual(resent.unexplained, [], "items the client got no success, or several, for")
  const unique = new Set(spans.map((span) => span.spanId)).size
  // Every span exported is stored; beyond one copy each, only the resent ones.
  assert.strictEqual(unique, stats.exported - account.skipped, "stored span ids ≠ spans exported")
  assert.strictEqual(spans.length - unique, resent.spans, "span copies beyond the first ≠ resent copies")
  if (resent.spans === 0) assert.deepStrictEqual(duplicateIds(spans), [])
  const workload = workloadDelivery(spans, outcome.traces)
  assert.strictEqual(workload.stored, outcome.traces * SPANS_PER_TRACE)
  assert.strictEqual(workload.missing, 0)
  if (resent.spans === 0) assert.strictEqual(workload.duplicated, 0)

  const delivered = resultDelivery(results, outcome.cases)
  assert.strictEqual(delivered.missing, 0)
  assert.strictEqual(delivered.stored, outcome.cases + resent.results, "stored results ≠ cases (+ resent copies)")
  if (resent.results === 0) assert.strictEqual(delivered.duplicated, 0)

  // The emulator validated every request and response against the vendor's OpenAPI file.
  assert.deepStrictEqual(handle.violations, [])
  assert.deepStrictEqual(handle.rejections, [])
  // The key travelled only as the bearer token, and no log line carries it.
  assert.deepStrictEqual(keyLeaksInRequests(handle.requests), [])
  assert.deepStrictEqual(keyLeaksInText(outcome.logs), [])
}

const report = (vendor: Vendor, name: string, outcome: ScenarioOutcome) => {
  const extra = vendor.resentCopies(outcome.handle, outcome.acks)
  console.log(
    `[faults] ${vendor.name} / ${name}: ${outcome.elapsedMs} ms, ${outcome.stats.enqueued} spans, ` +
      `${outcome.handle.requests.length} requests, ${outcome.handle.faults.fired.length} faults fired, ` +
      `${outcome.stats.batches} batches` +
      (extra.spans + extra.results > 0 ? `, resent copies: ${extra.spans} spans, ${extra.results} results` : "")
  )
}

/** The suite for one vendor. */
export const deliverySuite = (vendor: Vendor) =>
  describe(`${vendor.name}: exactly-once delivery under faults`, () => {
    for (const fault of faultCases) {
      it.live(`${fault.name}: 5,000 spans and 200 eval cases`, () =>
        Effect.gen(function*() {
          const outcome = yield* runScenario(vendor, [fault], { traces: 100, cases: 200 })
          report(vendor, fault.name, outcome)
          assertDelivered(vendor, outcome)
          fault.check(outcome)
        }).pipe(Effect.scoped), 60_000)
    }

    it.live("every fault in turn: 50,000 spans and an eval of 2,000 cases", () =>
      Effect.gen(function*() {
        const outcome = yield* runScenario(vendor, faultCases, { traces: 1_000, cases: 2_000 })
        report(vendor, "every fault in turn", outcome)
        assertDelivered(vendor, outcome)
        for (const fault of faultCases) fault.check(outcome)
      }).pipe(Effect.scoped), 150_000)
  })
