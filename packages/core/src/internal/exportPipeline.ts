/**
 * The export pipeline behind the promptops tracer: the bounded queue spans
 * land in when they end (caller side, synchronous, never throws), the worker
 * that batches them by count, JSON bytes and time and calls the `SpanSink`
 * with retries (a 413 splits a batch in halves), `flush`, the counters, and
 * the shutdown that drains within a deadline.
 *
 * One `Pipeline` serves one destination. The `Exporter` in front of them
 * builds each span's record once and offers it to every pipeline, so each
 * destination has its own queue, limits, retries and counters, and a slow or
 * failing one never holds up another: a single-sink tracer is the
 * one-destination case. `Tracing.make` / `Tracing.makeFanOut` start it.
 */
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { PromptOpsError } from "../PromptOpsError.js"
import type { SpanRecord } from "../SpanRecord.js"
import type { SpanSink } from "../SpanSink.js"
import type { DestinationStats, TracingStats } from "../Tracing.js"
import * as Sanitize from "./sanitize.js"
import { buildRecord, type PromptOpsSpan, RECORD_OVERHEAD, type SpanRecorder } from "./spanRecordBuilder.js"

/** One destination's `Tracing.PipelineOptions` (and its sink's limits), resolved and checked. */
export interface Settings {
  readonly capacity: number
  readonly maxQueueBytes: number
  readonly maxRows: number
  readonly maxBytes: number
  readonly interval: Duration.Duration
  readonly concurrency: number
  readonly schedule: Schedule.Schedule<unknown, PromptOpsError>
  readonly shutdownTimeout: Duration.Duration
}

/** How records are built, shared by every destination: `Tracing.Options`' redaction hook and data bounds. */
export interface RecordSettings {
  readonly redact: ((record: SpanRecord) => SpanRecord | undefined) | undefined
  readonly bounds: Sanitize.Bounds
}

const jsonBytes = (record: SpanRecord): number => Buffer.byteLength(JSON.stringify(record), "utf8")

/**
 * A batch handed to the sink. `startSeq` is the sequence number of its first
 * record: every record before the smallest in-flight `startSeq` is settled.
 */
interface Batch {
  readonly records: ReadonlyArray<SpanRecord>
  readonly startSeq: number
  /** The records' approximate bytes, released from `heldApproxBytes` when the batch settles. */
  readonly approxBytes: number
}

interface Waiter {
  readonly target: number
  readonly deferred: Deferred.Deferred<void>
}

/**
 * One destination. Records flow queue → staging → batch → sink. Each accepted
 * record has a sequence number (its position in `accepted`); `flush` waits
 * for the "watermark", the first sequence number not yet exported or dropped.
 */
export class Pipeline {
  // Counters (see TracingStats).
  accepted = 0
  exported = 0
  retries = 0
  batches = 0
  droppedQueueFull = 0
  droppedRedaction = 0
  droppedExportFailed = 0
  droppedTooLarge = 0
  droppedShutdown = 0
  /** Accepted records dropped before reaching the sink (their serialisation failed). */
  droppedUnserialisable = 0
  /** Part of `droppedShutdown` that had been accepted (the rest ended after shutdown). */
  droppedShutdownAccepted = 0

  // The queue: records from the callers, not yet looked at by the worker.
  items: Array<SpanRecord | undefined> = []
  approxBytes: Array<number> = []
  worstBytes: Array<number> = []
  head = 0
  queuedApproxBytes = 0
  /**
   * Approximate bytes of every accepted record not yet settled: queued,
   * staged or in a batch still being sent (or retried). `maxQueueBytes`
   * bounds this, so a destination that is down holds no more than that
   * however many batches wait on it.
   */
  heldApproxBytes = 0

  // Staging: records being gathered into the next batch. `stagingBytes` is an
  // upper bound of the batch's JSON bytes: exact sizes where a record was
  // measured, the sanitiser's upper bound where it was not (stored negated in
  // `stagingSizes`; never 0). Small spans are never serialised here at all.
  staging: Array<SpanRecord> = []
  stagingSizes: Array<number> = []
  stagingEstimated = 0
  stagingBytes = 0
  stagingStart = 0
  /** The staged records' approximate bytes (as `offer` counted them). */
  stagingApprox = 0
  /** Records moved out of the queue so far. */
  taken = 0

  inflight: Set<Batch> = new Set()
  /** Records with a sequence number below this go out even in a partial batch. */
  forceUntil = 0
  /** No more records are accepted. */
  closed = false
  /** Shutdown is over: everything is settled one way or the other. */
  finished = false
  waiting: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  /** The ticker, parked while no accepted record waits for a tick (see `makeTicker`). */
  tickerWaiting: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  waiters: Array<Waiter> = []

  readonly awaitWork: Effect.Effect<void>
  readonly worker: Effect.Effect<never>
  readonly ticker: Effect.Effect<never>
  readonly flush: Effect.Effect<void>
  readonly stats: Effect.Effect<DestinationStats>

  constructor(readonly name: string, readonly sink: SpanSink.Service, readonly settings: Settings) {
    // Built here rather than as field initialisers, which would run before `settings` is set.
    this.awaitWork = this.makeAwaitWork()
    this.worker = this.makeWorker()
    this.ticker = this.makeTicker()
    this.flush = this.makeFlush()
    this.stats = this.makeStats()
  }

  // --- caller side (synchronous, never throws) -------------------------------

  /**
   * `approx` is the estimate the queue's byte bound uses; `worst` an upper
   * bound of the record's JSON bytes, or -1 when unknown.
   */
  offer(record: SpanRecord, approx: number, worst: number): void {
    if (this.closed) {
      this.droppedShutdown++
      return
    }
    const settings = this.settings
    if (
      this.accepted - this.settledCount() >= settings.capacity ||
      this.heldApproxBytes + approx > settings.maxQueueBytes
    ) {
      this.droppedQueueFull++
      return
    }
    this.items.push(record)
    this.approxBytes.push(approx)
    this.worstBytes.push(worst)
    this.queuedApproxBytes += approx
    this.heldApproxBytes += approx
    this.accepted++
    const tick = this.tickerWaiting
    if (tick !== undefined) {
      this.tickerWaiting = undefined
      tick(Effect.void)
    }
    if (
      this.waiting !== undefined &&
      (this.items.length - this.head + this.staging.length >= settings.maxRows ||
        this.queuedApproxBytes >= settings.maxBytes)
    ) {
      this.signal()
    }
  }

  settledCount(): number {
    return this.exported + this.droppedExportFailed + this.droppedTooLarge + this.droppedUnserialisable +
      this.droppedShutdownAccepted
  }

  signal(): void {
    const resume = this.waiting
    if (resume !== undefined) {
      this.waiting = undefined
      resume(Effect.void)
    }
  }

  // --- worker side -------------------------------------------------------------

  pendingStart(): number {
    return this.staging.length > 0 ? this.stagingStart : this.taken
  }

  watermark(): number {
    if (this.finished) return Number.POSITIVE_INFINITY
    let mark = this.pendingStart()
    for (const batch of this.inflight) if (batch.startSeq < mark) mark = batch.startSeq
    return mark
  }

  hasWork(): boolean {
    const queued = this.items.length - this.head
    if (
      queued > 0 &&
      (queued + this.staging.length >= this.settings.maxRows || this.queuedApproxBytes >= this.settings.maxBytes)
    ) return true
    return (queued > 0 || this.staging.length > 0) && this.forceUntil > this.pendingStart()
  }

  /** Moves queued records into batches; a partial batch only when forced (interval, flush, shutdown). */
  step(): Array<Batch> {
    const out: Array<Batch> = []
    const maxRows = this.settings.maxRows
    const items = this.items
    while (this.head < items.length) {
      const index = this.head++
      const record = items[index]!
      items[index] = undefined
      const approx = this.approxBytes[index]!
      this.queuedApproxBytes -= approx
      const seq = this.taken++
      let size = this.worstBytes[index]!
      let exact = false
      if (size < 0 || !this.fits(size)) {
        // The bound is not good enough: measure (serialisation happens here, never in `end`).
        try {
          size = jsonBytes(record)
          exact = true
        } catch {
          // Only a redaction hook's output can fail here: sanitised data always serialises.
          this.droppedRedaction++
          this.droppedUnserialisable++
          this.heldApproxBytes -= approx
          continue
        }
        if (!this.fits(size) && this.stagingEstimated > 0) this.measureStaging()
      }
      if (!this.fits(size)) out.push(this.emit())
      if (this.staging.length === 0) {
        this.stagingStart = seq
        this.stagingBytes = 2 + size
      } else {
        this.stagingBytes += 1 + size
      }
      this.staging.push(record)
      this.stagingApprox += approx
      this.stagingSizes.push(exact ? size : -size)
      if (!exact) this.stagingEstimated++
      if (this.staging.length >= maxRows) out.push(this.emit())
    }
    if (this.head === items.length) {
      this.items = []
      this.approxBytes = []
      this.worstBytes = []
      this.head = 0
    }
    if (this.staging.length > 0 && this.forceUntil > this.stagingStart) out.push(this.emit())
    return out
  }

  /** Whether a record of `size` bytes can join the staged batch (a lone record always can). */
  fits(size: number): boolean {
    return this.staging.length === 0 || this.stagingBytes + 1 + size <= this.settings.maxBytes
  }

  /** Replaces the staged records' upper bounds by their exact sizes. */
  measureStaging(): void {
    const sizes = this.stagingSizes
    let total = 1 + sizes.length
    for (let i = 0; i < sizes.length; i++) {
      let size = sizes[i]!
      if (size < 0) {
        try {
          size = jsonBytes(this.staging[i]!)
        } catch {
          size = -size
        }
        sizes[i] = size
      }
      total += size
    }
    this.stagingBytes = total
    this.stagingEstimated = 0
  }

  emit(): Batch {
    const batch: Batch = { records: this.staging, startSeq: this.stagingStart, approxBytes: this.stagingApprox }
    this.staging = []
    this.stagingApprox = 0
    this.stagingSizes = []
    this.stagingEstimated = 0
    this.stagingBytes = 0
    this.inflight.add(batch)
    return batch
  }

  settle(batch: Batch): void {
    this.inflight.delete(batch)
    this.heldApproxBytes -= batch.approxBytes
    this.resolveWaiters()
  }

  resolveWaiters(): void {
    if (this.waiters.length === 0) return
    const mark = this.watermark()
    const remaining: Array<Waiter> = []
    for (const waiter of this.waiters) {
      if (waiter.target <= mark) Deferred.unsafeDone(waiter.deferred, Exit.void)
      else remaining.push(waiter)
    }
    this.waiters = remaining
  }

  awaitSettled(target: number): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.watermark() >= target) return Effect.void
      return Effect.flatMap(Deferred.make<void>(), (deferred) => {
        this.waiters.push({ target, deferred })
        return Deferred.await(deferred)
      })
    })
  }

  makeAwaitWork(): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      // Checked here, atomically with registering, so a signal cannot slip in between.
      if (this.hasWork()) {
        resume(Effect.void)
        return
      }
      this.waiting = resume
      return Effect.sync(() => {
        this.waiting = undefined
      })
    })
  }

  makeWorker(): Effect.Effect<never> {
    return Effect.gen(this, function*() {
      const semaphore = yield* Effect.makeSemaphore(this.settings.concurrency)
      while (true) {
        yield* this.awaitWork
        const batches = this.step()
        for (const batch of batches) {
          yield* semaphore.take(1)
          yield* Effect.fork(
            Effect.ensuring(
              this.exportRecords(batch.records),
              Effect.zipRight(Effect.sync(() => this.settle(batch)), semaphore.release(1))
            )
          )
        }
      }
    })
  }

  /**
   * Forces out partial batches: once a record is accepted that no tick or
   * flush has forced yet, it waits one `interval` from now and forces
   * everything accepted by then. With nothing waiting it is parked, not
   * sleeping, so it never replays missed intervals: a clock that jumps ahead
   * (`TestClock.setTime` to a real date, a machine waking up) costs at most
   * one tick rather than one per interval skipped, and an idle tracer makes
   * no wake-ups at all.
   */
  makeTicker(): Effect.Effect<never> {
    const awaitUnforced = Effect.async<void>((resume) => {
      // Checked here, atomically with registering, so an `offer` cannot slip in between.
      if (this.accepted > this.forceUntil) {
        resume(Effect.void)
        return
      }
      this.tickerWaiting = resume
      return Effect.sync(() => {
        this.tickerWaiting = undefined
      })
    })
    return Effect.forever(
      awaitUnforced.pipe(
        Effect.zipRight(Effect.sleep(this.settings.interval)),
        Effect.zipRight(Effect.sync(() => {
          if (this.forceUntil < this.accepted) this.forceUntil = this.accepted
          this.signal()
        }))
      )
    )
  }

  exportRecords(records: ReadonlyArray<SpanRecord>): Effect.Effect<void> {
    return Effect.suspend(() => {
      let attempts = 0
      return Effect.suspend(() => {
        // Counted as each retry starts, so `stats` shows a destination retrying through an outage.
        if (attempts++ > 0) this.retries++
        return this.sink.export(records)
      }).pipe(
        Effect.withTracerEnabled(false),
        Effect.retry(this.settings.schedule),
        Effect.matchCauseEffect({
          onSuccess: () =>
            Effect.sync(() => {
              this.exported += records.length
              this.batches++
            }),
          onFailure: (cause) => {
            // Shutdown interrupted the call: `shutdown` counts these records.
            if (Cause.isInterrupted(cause)) return Effect.failCause(Cause.stripFailures(cause))
            const failure = Cause.failureOption(cause)
            if (failure._tag === "Some" && failure.value._tag === "PayloadTooLarge") {
              if (records.length > 1) {
                const half = Math.ceil(records.length / 2)
                return Effect.zipRight(
                  this.exportRecords(records.slice(0, half)),
                  this.exportRecords(records.slice(half))
                )
              }
              this.droppedTooLarge++
              return Effect.logWarning("promptops tracing: a span is too large for the sink on its own; dropped").pipe(
                Effect.annotateLogs({ destination: this.name, provider: this.sink.provider, dropped: 1 })
              )
            }
            this.droppedExportFailed += records.length
            return Effect.logWarning("promptops tracing: export failed; spans dropped").pipe(
              Effect.annotateLogs({
                destination: this.name,
                provider: this.sink.provider,
                dropped: records.length,
                attempts,
                error: failure._tag === "Some"
                  ? `${failure.value._tag}${failure.value.status === undefined ? "" : ` ${failure.value.status}`}`
                  : "defect"
              })
            )
          }
        })
      )
    })
  }

  makeFlush(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const target = this.accepted
      if (this.forceUntil < target) this.forceUntil = target
      this.signal()
      return Effect.zipRight(this.awaitSettled(target), this.flushSink)
    })
  }

  /** The sink's own hold-back (e.g. Basalt's traces waiting for their root); a failure is logged, never raised. */
  get flushSink(): Effect.Effect<void> {
    const flush = this.sink.flush
    if (flush === undefined) return Effect.void
    return Effect.withTracerEnabled(flush, false).pipe(
      Effect.catchAllCause((cause) =>
        Effect.logWarning("promptops tracing: the sink's flush failed").pipe(
          Effect.annotateLogs({ destination: this.name, provider: this.sink.provider, cause: Cause.pretty(cause) })
        )
      )
    )
  }

  makeStats(): Effect.Effect<DestinationStats> {
    return Effect.sync(() => this.snapshot())
  }

  snapshot(): DestinationStats {
    return {
      enqueued: this.accepted,
      exported: this.exported,
      pending: this.accepted - this.settledCount(),
      dropped: {
        queueFull: this.droppedQueueFull,
        redaction: this.droppedRedaction,
        exportFailed: this.droppedExportFailed,
        tooLarge: this.droppedTooLarge,
        shutdown: this.droppedShutdown
      },
      retries: this.retries,
      batches: this.batches
    }
  }

  /** Sends what is queued within the deadline, then stops and reports what could not be sent. */
  shutdown(worker: Fiber.RuntimeFiber<never>, ticker: Fiber.RuntimeFiber<never>): Effect.Effect<void> {
    const drainAll: Effect.Effect<void> = Effect.suspend(() => {
      const target = this.accepted
      this.forceUntil = Number.POSITIVE_INFINITY
      this.signal()
      return Effect.flatMap(
        this.awaitSettled(target),
        // Spans may have ended while we waited: go again until nothing is left.
        () => (this.accepted > target ? drainAll : Effect.void)
      )
    })
    return Effect.gen(this, function*() {
      // Finalizers run uninterruptibly; the drain must be interruptible for the deadline to cut it short.
      yield* Effect.timeoutOption(
        Effect.interruptible(Effect.zipRight(drainAll, this.flushSink)),
        this.settings.shutdownTimeout
      )
      this.closed = true
      yield* Fiber.interrupt(worker)
      yield* Fiber.interrupt(ticker)
      const unsent = this.accepted - this.settledCount()
      this.droppedShutdown += unsent
      this.droppedShutdownAccepted += unsent
      this.finished = true
      this.resolveWaiters()
      if (unsent > 0) {
        yield* Effect.logWarning("promptops tracing: shutdown deadline passed; spans not sent").pipe(
          Effect.annotateLogs({ destination: this.name, provider: this.sink.provider, dropped: unsent })
        )
      }
    })
  }
}

/**
 * The front of the pipelines: what the tracer's spans call when they end.
 * It builds the record once (sanitised, bounded, redacted) and offers the
 * same read-only record to every destination's queue, each of which accepts
 * or drops it on its own terms.
 */
export class Exporter implements SpanRecorder {
  readonly flush: Effect.Effect<void>
  readonly stats: Effect.Effect<TracingStats>
  /** Forks each pipeline's worker and ticker in the current scope, and shuts them all down when it closes. */
  readonly start: Effect.Effect<void, never, Scope.Scope>

  constructor(readonly pipelines: ReadonlyArray<Pipeline>, readonly settings: RecordSettings) {
    // In parallel: a destination that is slow to drain must not hold up the others.
    this.flush = Effect.forEach(pipelines, (pipeline) => pipeline.flush, { concurrency: "unbounded", discard: true })
    this.stats = Effect.sync(() => this.snapshot())
    this.start = this.makeStart()
  }

  // --- caller side (synchronous, never throws) -------------------------------

  record(span: PromptOpsSpan, endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    const pipelines = this.pipelines
    let open = false
    for (let i = 0; i < pipelines.length; i++) {
      if (!pipelines[i]!.closed) {
        open = true
        break
      }
    }
    if (!open) {
      for (let i = 0; i < pipelines.length; i++) pipelines[i]!.droppedShutdown++
      return
    }
    let record: SpanRecord | undefined
    let approx: number
    let worst: number
    try {
      const budget = new Sanitize.Budget(this.settings.bounds)
      record = buildRecord(span, endTime, exit, budget)
      approx = budget.bytes + RECORD_OVERHEAD
      worst = budget.worst
      const redact = this.settings.redact
      if (redact !== undefined) {
        record = redact(record)
        if (typeof record !== "object" || record === null) {
          this.dropRedacted()
          return
        }
        // The hook may have changed anything: each worker measures this record.
        worst = -1
      }
    } catch {
      this.dropRedacted()
      return
    }
    for (let i = 0; i < pipelines.length; i++) pipelines[i]!.offer(record, approx, worst)
  }

  /** Every destination counts the span it will never see, under the reason that applies to it. */
  dropRedacted(): void {
    for (const pipeline of this.pipelines) {
      if (pipeline.closed) pipeline.droppedShutdown++
      else pipeline.droppedRedaction++
    }
  }

  // --- the service -------------------------------------------------------------

  /** Totals are sums over the destinations: a span offered to two destinations counts twice. */
  snapshot(): TracingStats {
    let enqueued = 0
    let exported = 0
    let pending = 0
    let retries = 0
    let batches = 0
    let queueFull = 0
    let redaction = 0
    let exportFailed = 0
    let tooLarge = 0
    let shutdown = 0
    const destinations: Array<readonly [string, DestinationStats]> = []
    for (const pipeline of this.pipelines) {
      const stats = pipeline.snapshot()
      destinations.push([pipeline.name, stats])
      enqueued += stats.enqueued
      exported += stats.exported
      pending += stats.pending
      retries += stats.retries
      batches += stats.batches
      queueFull += stats.dropped.queueFull
      redaction += stats.dropped.redaction
      exportFailed += stats.dropped.exportFailed
      tooLarge += stats.dropped.tooLarge
      shutdown += stats.dropped.shutdown
    }
    return {
      enqueued,
      exported,
      pending,
      dropped: { queueFull, redaction, exportFailed, tooLarge, shutdown },
      retries,
      batches,
      // `fromEntries` defines own properties: any destination name, even `__proto__`, is a plain key.
      destinations: Object.fromEntries(destinations)
    }
  }

  makeStart(): Effect.Effect<void, never, Scope.Scope> {
    return Effect.gen(this, function*() {
      const fibers: Array<readonly [Fiber.RuntimeFiber<never>, Fiber.RuntimeFiber<never>]> = []
      for (const pipeline of this.pipelines) {
        const worker = yield* Effect.forkScoped(Effect.withTracerEnabled(pipeline.worker, false))
        const ticker = yield* Effect.forkScoped(Effect.withTracerEnabled(pipeline.ticker, false))
        fibers.push([worker, ticker])
      }
      // Added after the forks, so it runs before their interruption: the fibers are still there to drain.
      // Each destination drains against its own deadline, all at once: one that hangs cannot eat another's.
      yield* Effect.addFinalizer(() =>
        Effect.withTracerEnabled(
          Effect.forEach(this.pipelines, (pipeline, i) => pipeline.shutdown(fibers[i]![0], fibers[i]![1]), {
            concurrency: "unbounded",
            discard: true
          }),
          false
        )
      )
    })
  }
}
