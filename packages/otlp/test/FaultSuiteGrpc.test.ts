/**
 * The fault suite of the OTLP destination over gRPC, against the independent
 * `OtlpReceiver.startGrpc` (a `@grpc/grpc-js` server on the official protos):
 * UNAVAILABLE storms, RESOURCE_EXHAUSTED with RetryInfo, calls that hang past
 * their deadline, messages over the server's limit, INVALID_ARGUMENT, random
 * mixes of them, and a long outage. The invariant everywhere: every span the
 * tracer accepted arrives exactly once among the calls the receiver answered
 * OK (or is counted as dropped, under its reason), and `Tracing.stats` says
 * what happened.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as SpanSink from "@promptops/core/SpanSink"
import * as Tracing from "@promptops/core/Tracing"
import * as Receiver from "@promptops/emulators/OtlpReceiver"
import { Effect, FastCheck as fc } from "effect"
import * as net from "node:net"
import protobuf from "protobufjs"
import * as OtlpSpanSink from "../src/OtlpSpanSink.js"
import { encodeRetryInfo } from "../src/internal/grpcStatus.js"

// Short backoffs so a storm is over in milliseconds; RetryInfo is honoured over them.
const retry = { base: "1 millis", maxDelay: "5 millis", maxRetries: 4, jitter: false } as const

const noDrops: Tracing.DroppedStats = { queueFull: 0, redaction: 0, exportFailed: 0, tooLarge: 0, shutdown: 0 }

// grpc-js's status codes.
const INVALID_ARGUMENT = 3
const DEADLINE_EXCEEDED = 4
const RESOURCE_EXHAUSTED = 8
const ABORTED = 10
const UNAVAILABLE = 14

const unavailable: Receiver.GrpcReply = { code: UNAVAILABLE, details: "collector restarting" }
const hang: Receiver.GrpcReply = { code: 0, hang: true }

/** RESOURCE_EXHAUSTED with a RetryInfo of `delayMs` in `grpc-status-details-bin` (a throttling Collector). */
const throttled = (delayMs: number): Receiver.GrpcReply => ({
  code: RESOURCE_EXHAUSTED,
  details: "slow down",
  trailers: { "grpc-status-details-bin": encodeRetryInfo(protobuf, RESOURCE_EXHAUSTED, "slow down", delayMs) }
})

/** A tracer exporting over gRPC to `receiver`, started in the current scope; `emit` ends spans under it and returns their ids. */
const tracerTo = (
  receiver: Receiver.GrpcReceiver,
  options: { readonly tracing?: Tracing.Options; readonly sink?: OtlpSpanSink.Options } = {}
) =>
  Effect.gen(function*() {
    const sink = yield* OtlpSpanSink.make({ endpoint: receiver.url, protocol: "grpc", ...options.sink }).pipe(
      Effect.provide(FetchHttpClient.layer)
    )
    const tracing = yield* Effect.provideService(
      Tracing.make({ retry, interval: "10 millis", ...options.tracing }),
      SpanSink.SpanSink,
      sink
    )
    return { ...tracing, emit: (count: number, prefix = "s") => Effect.withTracer(emit(count, prefix), tracing.tracer) }
  })

/** `count` root spans named `<prefix>0…`; their span ids, in order. */
const emit = (count: number, prefix: string) =>
  Effect.forEach(
    Array.from({ length: count }, (_, i) => `${prefix}${i}`),
    (name) => Effect.withSpan(Effect.map(Effect.orDie(Effect.currentSpan), (span) => span.spanId), name)
  )

const spanIds = (received: ReadonlyArray<Receiver.Received>): Array<string> =>
  received.flatMap((request) => request.exports.flatMap((each) => each.spans.map((span) => span.spanId)))

const spanCount = (received: Receiver.Received): number =>
  received.exports.reduce((n, each) => n + each.spans.length, 0)

/** Every id arrived among the OK-answered calls, none twice, nothing else. */
const assertExactlyOnce = (receiver: Receiver.GrpcReceiver, ids: ReadonlyArray<string>) => {
  const delivered = spanIds(receiver.accepted())
  assert.strictEqual(new Set(ids).size, ids.length, "the tracer's span ids are distinct")
  assert.deepStrictEqual([...delivered].sort(), [...ids].sort(), "delivered exactly once")
}

/** Calls the receiver's handler saw and did not answer OK (error statuses, hangs). */
const failed = (receiver: Receiver.GrpcReceiver): number => receiver.requests.length - receiver.accepted().length

/**
 * A port with nothing listening on it (a Collector that is down: connections refused) until `up`
 * starts a TCP proxy there to `target`; stopped with the scope.
 */
const downThenUp = (target: string) =>
  Effect.acquireRelease(
    Effect.async<{ url: string; up: Effect.Effect<void>; sockets: Set<net.Socket>; servers: Array<net.Server> }>(
      (resume) => {
        const probe = net.createServer()
        probe.listen(0, "127.0.0.1", () => {
          const { port } = probe.address() as net.AddressInfo
          probe.close(() => {
            const sockets = new Set<net.Socket>()
            const servers: Array<net.Server> = []
            const up = Effect.async<void>((done) => {
              const server = net.createServer((socket) => {
                const upstream = net.connect(Number(new URL(target).port), "127.0.0.1")
                for (const each of [socket, upstream]) {
                  sockets.add(each)
                  each.on("close", () => sockets.delete(each))
                }
                socket.pipe(upstream).pipe(socket)
                socket.on("error", () => upstream.destroy())
                upstream.on("error", () => socket.destroy())
              })
              servers.push(server)
              server.listen(port, "127.0.0.1", () => done(Effect.void))
            })
            resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, up, sockets, servers }))
          })
        })
      }
    ),
    ({ servers, sockets }) =>
      Effect.sync(() => {
        for (const socket of sockets) socket.destroy()
        for (const server of servers) server.close()
      })
  )

describe("OTLP fault suite over gRPC (OtlpReceiver.startGrpc)", () => {
  it.live("an UNAVAILABLE storm over several batches, then recovery: exactly once, every failure a retry", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      // Mostly UNAVAILABLE, with the other retryable statuses a Collector answers.
      const storm = Array.from({ length: 16 }, (_, i): Receiver.GrpcReply =>
        i % 5 === 4 ? { code: i % 2 === 0 ? ABORTED : DEADLINE_EXCEEDED } : unavailable
      )
      receiver.replies.push(...storm)
      const tracing = yield* tracerTo(receiver, {
        tracing: { retry: { ...retry, maxRetries: 20 }, concurrency: 2 },
        sink: { limits: { maxRows: 10 } }
      })
      const ids = yield* tracing.emit(50)
      yield* tracing.flush

      assertExactlyOnce(receiver, ids)
      assert.strictEqual(receiver.replies.length, 0, "the whole storm was answered")
      assert.strictEqual(failed(receiver), 16)
      for (const request of receiver.accepted()) assert.isAtMost(spanCount(request), 10)
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.exported, stats.retries, stats.batches, stats.pending], [50, 16, 5, 0])
      assert.deepStrictEqual(stats.dropped, noDrops)
    }).pipe(Effect.scoped))

  it.live("RESOURCE_EXHAUSTED with RetryInfo: each wait is the server's; every span exactly once", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      receiver.replies.push(throttled(150), throttled(150))
      const tracing = yield* tracerTo(receiver)
      const ids = yield* tracing.emit(7)
      yield* tracing.flush

      assertExactlyOnce(receiver, ids)
      assert.strictEqual(receiver.requests.length, 3)
      // 150 ms asked for, against a 1 ms backoff.
      assert.isAtLeast(receiver.requests[1]!.at - receiver.requests[0]!.at, 130)
      assert.isAtLeast(receiver.requests[2]!.at - receiver.requests[1]!.at, 130)
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.exported, stats.retries, stats.pending], [7, 2, 0])
      assert.deepStrictEqual(stats.dropped, noDrops)
    }).pipe(Effect.scoped))

  it.live("calls that hang past their deadline: the deadline ends each, the retry delivers exactly once", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      receiver.replies.push(hang, hang)
      const tracing = yield* tracerTo(receiver, { sink: { timeout: "300 millis" } })
      const ids = yield* tracing.emit(4)
      const started = Date.now()
      yield* tracing.flush
      const took = Date.now() - started

      assertExactlyOnce(receiver, ids)
      assert.isAtLeast(receiver.requests.length, 3)
      assert.isAtLeast(receiver.requests[1]!.at - receiver.requests[0]!.at, 280, "the first call waited its deadline")
      assert.isAtLeast(receiver.requests[2]!.at - receiver.requests[1]!.at, 280, "and the second")
      assert.isBelow(took, 5000, "bounded by the deadlines, not the hangs")
      const stats = yield* tracing.stats
      // On a loaded machine a retry may miss its deadline too: each failed call is one retry all the same.
      assert.strictEqual(stats.retries, failed(receiver))
      assert.isAtLeast(stats.retries, 2)
      assert.deepStrictEqual([stats.exported, stats.pending], [4, 0])
      assert.deepStrictEqual(stats.dropped, noDrops)
    }).pipe(Effect.scoped))

  it.live("an OK the server gives after the client's deadline is not a delivery: the retry is, exactly once", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      let calls = 0
      receiver.reply = () => {
        // A Collector stalled past the deadline (a long GC pause), then answering OK to a client that gave up.
        if (calls++ === 0) for (const until = Date.now() + 400; Date.now() < until;);
        return undefined
      }
      const tracing = yield* tracerTo(receiver, { sink: { timeout: "300 millis" } })
      const ids = yield* tracing.emit(3)
      yield* tracing.flush

      assert.isAtLeast(receiver.requests.length, 2)
      assert.notInclude(receiver.accepted(), receiver.requests[0], "the late OK reached no one")
      assertExactlyOnce(receiver, ids)
      const stats = yield* tracing.stats
      assert.strictEqual(stats.retries, failed(receiver))
      assert.deepStrictEqual([stats.exported, stats.pending], [3, 0])
      assert.deepStrictEqual(stats.dropped, noDrops)
    }).pipe(Effect.scoped))

  it.live("a batch over the server's max message size splits until it fits: exactly once, each call within the limit", () =>
    Effect.gen(function*() {
      const maxReceiveMessageLength = 1500
      const receiver = yield* Receiver.startGrpc({ maxReceiveMessageLength })
      const tracing = yield* tracerTo(receiver)
      const ids = yield* tracing.emit(40)
      yield* tracing.flush

      assertExactlyOnce(receiver, ids)
      assert.isAbove(receiver.accepted().length, 2, "split into several calls")
      for (const request of receiver.accepted()) assert.isAtMost(request.rawBytes, maxReceiveMessageLength)
      // grpc-js refuses an oversized message before the handler: every call the handler saw was answered OK.
      assert.strictEqual(failed(receiver), 0)
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.exported, stats.retries, stats.pending], [40, 0, 0])
      assert.deepStrictEqual(stats.dropped, noDrops)
    }).pipe(Effect.scoped))

  it.live("INVALID_ARGUMENT is not retried: that batch is counted as dropped, the others delivered exactly once", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      receiver.replies.push({ code: 0 }, { code: INVALID_ARGUMENT, details: "bad span" })
      const tracing = yield* tracerTo(receiver, { tracing: { concurrency: 1 }, sink: { limits: { maxRows: 5 } } })
      const ids = yield* tracing.emit(15)
      yield* tracing.flush

      assert.strictEqual(receiver.requests.length, 3, "one call a batch: the rejected one was not sent again")
      const rejected = spanIds([receiver.requests[1]!])
      assert.strictEqual(rejected.length, 5)
      assertExactlyOnce(receiver, ids.filter((id) => !rejected.includes(id)))
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.exported, stats.retries, stats.pending], [10, 0, 0])
      assert.deepStrictEqual(stats.dropped, { ...noDrops, exportFailed: 5 })
    }).pipe(Effect.scoped))

  it.live("a long outage: what is held stays within capacity; the excess is dropped and counted; recovery is exactly once", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      receiver.reply = () => unavailable
      const capacity = 40
      const tracing = yield* tracerTo(receiver, {
        tracing: { capacity, retry: { base: "5 millis", maxDelay: "10 millis", maxRetries: 10_000, jitter: false } },
        sink: { limits: { maxRows: 10 } }
      })
      const ids: Array<string> = []
      for (let burst = 0; burst < 10; burst++) {
        ids.push(...(yield* tracing.emit(30, `b${burst}-`)))
        yield* Effect.sleep("5 millis")
        const stats = yield* tracing.stats
        assert.isAtMost(stats.pending, capacity)
        assert.strictEqual(stats.enqueued + stats.dropped.queueFull, ids.length, "each span accepted or counted")
        assert.strictEqual(stats.exported, 0)
      }
      assert.strictEqual(receiver.accepted().length, 0)
      const down = yield* tracing.stats
      assert.strictEqual(down.enqueued, capacity)
      assert.strictEqual(down.dropped.queueFull, 300 - capacity)
      assert.isAbove(down.retries, 0)

      receiver.reply = undefined
      yield* tracing.flush
      const delivered = spanIds(receiver.accepted())
      assert.strictEqual(new Set(delivered).size, delivered.length, "no span twice")
      // The first spans were kept; the ones that found the queue full were dropped.
      assert.deepStrictEqual([...delivered].sort(), ids.slice(0, capacity).sort())
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.exported, stats.pending], [capacity, 0])
      assert.deepStrictEqual(stats.dropped, { ...noDrops, queueFull: 300 - capacity })
      assert.strictEqual(stats.retries, failed(receiver))
    }).pipe(Effect.scoped))

  it.live("the Collector down (connections refused): capacity respected, the excess counted; back up, exactly once", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.startGrpc()
      const collector = yield* downThenUp(receiver.url)
      const capacity = 40
      const tracing = yield* tracerTo(receiver, {
        tracing: { capacity, retry: { base: "5 millis", maxDelay: "20 millis", maxRetries: 10_000, jitter: false } },
        sink: { endpoint: collector.url, limits: { maxRows: 10 } }
      })
      const ids: Array<string> = []
      for (let burst = 0; burst < 10; burst++) {
        ids.push(...(yield* tracing.emit(30, `b${burst}-`)))
        yield* Effect.sleep("5 millis")
        const stats = yield* tracing.stats
        assert.isAtMost(stats.pending, capacity)
        assert.strictEqual(stats.enqueued + stats.dropped.queueFull, ids.length, "each span accepted or counted")
        assert.strictEqual(stats.exported, 0)
      }
      const down = yield* tracing.stats
      assert.deepStrictEqual([down.enqueued, down.dropped.queueFull], [capacity, 300 - capacity])
      assert.isAbove(down.retries, 0)
      assert.strictEqual(receiver.requests.length, 0, "nothing reached the receiver")

      yield* collector.up
      yield* tracing.flush
      const delivered = spanIds(receiver.accepted())
      assert.strictEqual(new Set(delivered).size, delivered.length, "no span twice")
      assert.deepStrictEqual([...delivered].sort(), ids.slice(0, capacity).sort())
      const stats = yield* tracing.stats
      assert.deepStrictEqual([stats.exported, stats.pending], [capacity, 0])
      assert.deepStrictEqual(stats.dropped, { ...noDrops, queueFull: 300 - capacity })
    }).pipe(Effect.scoped))

  // Random fault sequences, bounded in length (and so in time: at most two hangs of 300 ms).
  const fault = fc.constantFrom<Receiver.GrpcReply>(
    { code: 0 },
    unavailable,
    { code: ABORTED },
    { code: DEADLINE_EXCEEDED },
    throttled(0),
    throttled(10),
    { code: INVALID_ARGUMENT, details: "bad span" }
  )
  it.live.prop(
    "random mixes of faults: every span exactly once or counted as rejected, stats consistent",
    {
      faults: fc.array(fault, { maxLength: 8 }),
      hangs: fc.integer({ min: 0, max: 2 }),
      spans: fc.integer({ min: 1, max: 30 }),
      maxRows: fc.integer({ min: 1, max: 12 }),
      // The server's max message size (undefined: grpc-js's 4 MiB); one span is a few hundred bytes.
      maxReceiveMessageLength: fc.option(fc.integer({ min: 1000, max: 3000 }), { nil: undefined })
    },
    ({ faults, hangs, maxReceiveMessageLength, maxRows, spans }) =>
      Effect.gen(function*() {
        const receiver = yield* Receiver.startGrpc({ maxReceiveMessageLength })
        const script = [...faults]
        for (let i = 0; i < hangs; i++) script.splice(Math.floor(script.length / (i + 2)), 0, hang)
        const rejected: Array<Receiver.Received> = []
        receiver.reply = (received) => {
          const reply = script.shift()
          if (reply?.code === INVALID_ARGUMENT) rejected.push(received)
          return reply
        }
        const failures = script.filter((reply) => reply.code !== 0 || reply.hang === true).length
        const tracing = yield* tracerTo(receiver, {
          // Enough retries that no batch can run out: at most `failures` scripted failures in all.
          tracing: { retry: { ...retry, maxRetries: failures + 2 }, concurrency: 2 },
          sink: { limits: { maxRows }, timeout: "300 millis" }
        })
        const ids = yield* tracing.emit(spans)
        yield* tracing.flush

        const dropped = spanIds(rejected)
        assertExactlyOnce(receiver, ids.filter((id) => !dropped.includes(id)))
        const stats = yield* tracing.stats
        assert.deepStrictEqual(stats.dropped, { ...noDrops, exportFailed: dropped.length })
        assert.deepStrictEqual([stats.exported, stats.pending], [spans - dropped.length, 0])
        // Every other call the handler did not answer OK was retried once; INVALID_ARGUMENT never.
        assert.strictEqual(stats.retries, failed(receiver) - rejected.length)
        assert.isAtMost(rejected.length, faults.filter((reply) => reply.code === INVALID_ARGUMENT).length)
      }).pipe(Effect.scoped),
    { timeout: 120_000, fastCheck: { numRuns: 12 } }
  )
})
