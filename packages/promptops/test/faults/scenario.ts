/**
 * A delivery scenario: an emulator; a traced load and an eval sent through the
 * vendor's layers in phases, each phase under its own fault on the data path;
 * the tracing scope closed; then what the emulator stored.
 *
 * A phase: clear the faults, inject the phase's, hand the eval its share of
 * the cases, emit the phase's traces, and await `Tracing.flush` (so the
 * phase's spans are delivered under its fault). The eval runs across all
 * phases (its cases arrive phase by phase through a queue) and is joined at
 * the end. No sleeps: only flushes, the eval's completion and scope closing.
 */
import * as Tracing from "@promptops/core/Tracing"
import type { FaultMatch, Faults } from "@promptops/emulators/Faults"
import { Deferred, Effect, Fiber, Queue, Stream } from "effect"
import {
  type Acks,
  captureLogs,
  clientRetry,
  type EmulatorHandle,
  evalCases,
  evalRun,
  SinkAccount,
  type SinkReport,
  type StoredResult,
  type StoredSpan,
  tracedLoad,
  type Vendor,
  withBackend
} from "./harness.js"

/**
 * The per-attempt client timeout of every scenario: well above the loopback
 * latency even on a loaded machine, below the slow-response fault's delay.
 */
export const CLIENT_TIMEOUT_MS = 2_000

export interface ScenarioOutcome<H extends EmulatorHandle = EmulatorHandle> {
  readonly handle: H
  readonly traces: number
  readonly cases: number
  readonly stats: Tracing.TracingStats
  readonly account: SinkReport
  readonly spans: ReadonlyArray<StoredSpan>
  readonly results: ReadonlyArray<StoredResult>
  readonly logs: ReadonlyArray<string>
  /** What Basalt's client learnt was stored, per item. */
  readonly acks: Acks
  readonly elapsedMs: number
}

/** A fault, and what must hold of what the emulator saw under it (beyond exactly-once delivery). */
export interface FaultCase {
  readonly name: string
  readonly inject: (faults: Faults, match: FaultMatch) => void
  readonly check: (outcome: ScenarioOutcome) => void
}

/**
 * Runs `traces` traces (50 spans each) and an eval of `cases` cases, split
 * evenly over `phases`, and returns what the emulator stored once the tracing
 * scope has closed. The emulator stays up until the caller's scope closes.
 */
export const runScenario = <H extends EmulatorHandle>(
  vendor: Vendor<H>,
  phases: ReadonlyArray<FaultCase>,
  size: { readonly traces: number; readonly cases: number }
) =>
  Effect.gen(function*() {
    const tracesPerPhase = Math.ceil(size.traces / phases.length)
    const casesPerPhase = Math.ceil(size.cases / phases.length)
    const handle = yield* vendor.start()
    const logs = captureLogs()
    const acks: Acks = new Map()
    const started = Date.now()
    const program = Effect.gen(function*() {
      const tracing = yield* Tracing.Tracing
      const account = yield* SinkAccount
      // Warm up every code path (project lookup, connections, JIT) so the faults' windows meet the load.
      yield* tracedLoad(0, 4, "warm-up")
      yield* evalRun("warm-up", Stream.fromIterable(evalCases(0, 20)), Effect.void)
      yield* tracing.flush

      const queue = yield* Queue.unbounded<ReturnType<typeof evalCases>[number]>()
      const experimentCreated = yield* Deferred.make<void>()
      const evaluation = yield* Effect.fork(
        evalRun(`faults-${vendor.name}`, Stream.take(Stream.fromQueue(queue), size.cases), Deferred.succeed(experimentCreated, undefined))
      )
      // The experiment is created before any fault: Braintrust's `ensure_new` create is never retried.
      yield* Effect.raceFirst(Deferred.await(experimentCreated), Fiber.join(evaluation))

      for (const [i, phase] of phases.entries()) {
        handle.faults.clear()
        const first = i * tracesPerPhase
        yield* tracedLoad(first, Math.min(tracesPerPhase, size.traces - first))
        // Injected once the spans are emitted (their export lags behind, the caller never waits on it),
        // so a time-boxed fault meets the traffic; then the phase's eval cases run under it too.
        phase.inject(handle.faults, vendor.dataPath)
        const from = i * casesPerPhase
        yield* Queue.offerAll(queue, evalCases(from, Math.min(casesPerPhase, size.cases - from)))
        yield* tracing.flush
      }
      const run = yield* Fiber.join(evaluation)
      yield* tracing.flush
      return { tracing, account, experimentId: run.experiment.id }
    })
    // `withBackend` returns once the layers' scope has closed: the pipeline drained, then the sink's finalizer ran.
    const inner = yield* withBackend(vendor, handle, program, {
      logs,
      client: { timeout: `${CLIENT_TIMEOUT_MS} millis`, retry: clientRetry, acks }
    })
    const outcome: ScenarioOutcome<H> = {
      handle,
      traces: size.traces,
      cases: size.cases,
      stats: yield* inner.tracing.stats,
      account: yield* inner.account,
      spans: vendor.spans(handle),
      results: vendor.results(handle, inner.experimentId),
      logs: logs.lines,
      acks,
      elapsedMs: Date.now() - started
    }
    return outcome
  })
