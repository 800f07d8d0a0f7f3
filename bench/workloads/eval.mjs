// Eval runner overhead (DESIGN.md §7): 10,000 cases × a 5 ms task
// (`Effect.sleep("5 millis")`) at concurrency 100, one scorer, against the
// in-memory Experiments, with the promptops Tracer installed (spans exported
// to the in-memory SpanSink). Ideal: 10,000 / 100 × 5 ms = 0.5 s. The
// official SDK takes ~7 s (7% efficiency) on the same workload.
//
// Where the time goes, as a chain of floors measured in the same process:
//   ideal → raw_promise_s   bare Promises + setTimeout, same pool: Node's timers
//                           fire at ≥ 5 ms, so this is the floor of any runner;
//         → effect_sleep_s  100 Effect fibers looping `Effect.sleep`: Effect's own floor;
//         → span_tree_s     the same, each case in the eval → task → scorer spans, nothing else;
//         → wall_no_tracer_s the eval runner, spans on Effect's native tracer;
//         → wall_s          the eval runner with the promptops Tracer exporting every span.
// The *_loss_s metrics are the steps between them.
import { Context, Effect, Exit, FiberRef, Layer, Tracer } from "effect"

const CASES = Number(process.env.EVAL_CASES ?? 10_000)
const CONCURRENCY = 100
const TASK_MS = 5
const ideal = (CASES / CONCURRENCY) * TASK_MS / 1000

const { run: runEval, scorer } = await import("@promptops/core/Eval")
const Memory = await import("@promptops/core/Memory")
const Tracing = await import("@promptops/core/Tracing").catch(() => undefined)

const seconds = (since) => (performance.now() - since) / 1000

/**
 * Process CPU (user + system) of `f`, in µs per case: on a shared machine the
 * wall time of a step moves with the neighbours' load, its CPU much less.
 */
const withCpu = async (cases, f) => {
  const before = process.cpuUsage()
  const value = await f()
  const cpu = process.cpuUsage(before)
  return { value, cpuUsPerCase: (cpu.user + cpu.system) / cases }
}

/** The floor of any runner: a worker pool of bare promises over setTimeout. */
const rawPromises = async (cases) => {
  let next = 0
  const worker = async () => {
    while (next < cases) {
      next++
      await new Promise((resolve) => setTimeout(resolve, TASK_MS))
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return seconds(started)
}

/** Effect's floor: the same pool as fibers, each looping the task. */
const effectSleep = (cases) => {
  let next = 0
  const worker = Effect.gen(function*() {
    while (next < cases) {
      next++
      yield* Effect.sleep(`${TASK_MS} millis`)
    }
  })
  const started = performance.now()
  return Effect.runPromise(
    Effect.all(Array.from({ length: CONCURRENCY }, () => worker), { concurrency: "unbounded", discard: true })
  ).then(() => seconds(started))
}

/**
 * The span tree alone: the same fibers, each case in `eval` → `task` → scorer
 * spans made as the runner makes them (native tracer, explicit parents, the
 * task's span provided to it, spans ended by hand), with none of the runner's
 * work. What Effect's spans cost by themselves. (Nesting `Effect.useSpan`
 * instead costs more than the whole runner.)
 */
const spanTree = (cases) => {
  let next = 0
  const end = (span) => span.end(process.hrtime.bigint(), Exit.void)
  const worker = Effect.gen(function*() {
    while (next < cases) {
      next++
      const root = yield* Effect.makeSpan("eval", { captureStackTrace: false, root: true })
      const task = yield* Effect.makeSpan("task", { captureStackTrace: false, parent: root })
      // Provided as the runner provides it: the context set for the task, then set back.
      const outer = yield* FiberRef.get(FiberRef.currentContext)
      yield* FiberRef.set(FiberRef.currentContext, Context.add(outer, Tracer.ParentSpan, task))
      yield* Effect.sleep(`${TASK_MS} millis`)
      yield* FiberRef.set(FiberRef.currentContext, outer)
      end(task)
      end(yield* Effect.makeSpan("exact", { captureStackTrace: false, parent: root }))
      end(root)
    }
  })
  const started = performance.now()
  return Effect.runPromise(
    Effect.all(Array.from({ length: CONCURRENCY }, () => worker), { concurrency: "unbounded", discard: true })
  ).then(() => seconds(started))
}

const data = Array.from({ length: CASES }, (_, i) => ({ id: `case-${i}`, input: { question: `q${i}` }, expected: `a${i}` }))

const evalProgram = (cases) =>
  Effect.gen(function*() {
    const started = performance.now()
    const { summary } = yield* runEval({
      name: `bench-${cases.length}`,
      data: cases,
      task: (input) => Effect.as(Effect.sleep(`${TASK_MS} millis`), `a${input.question.slice(1)}`),
      scorers: [scorer("exact", ({ expected, output }) => (output === expected ? 1 : 0))],
      concurrency: CONCURRENCY,
      returnResults: false
    })
    const wall = seconds(started)
    if (summary.results !== cases.length || summary.scores.exact.mean !== 1) {
      throw new Error(`unexpected summary: ${JSON.stringify(summary)}`)
    }
    return wall
  })

/** Runs the eval in a fresh in-memory backend; with the tracer, also flushes it and reads its counters. */
const measure = (cases, withTracer) =>
  Effect.runPromise(
    withTracer
      ? Effect.scoped(Effect.provide(
        Effect.gen(function*() {
          const wall = yield* evalProgram(cases)
          yield* Tracing.flush
          return { wall, stats: yield* Tracing.stats }
        }),
        Layer.provideMerge(Tracing.layer(), Memory.layer())
      ))
      : Effect.provide(Effect.map(evalProgram(cases), (wall) => ({ wall })), Memory.layer())
  )

const tracer = Tracing !== undefined

// A short warm-up of everything, so the figures are the steady state, not the JIT.
await rawPromises(1000)
await effectSleep(1000)
await spanTree(1000)
await measure(data.slice(0, 1000), false)
if (tracer) await measure(data.slice(0, 1000), true)

const { value: raw, cpuUsPerCase: rawCpu } = await withCpu(CASES, () => rawPromises(CASES))
const { value: effectFloor, cpuUsPerCase: effectCpu } = await withCpu(CASES, () => effectSleep(CASES))
const { value: spanFloor, cpuUsPerCase: spanCpu } = await withCpu(CASES, () => spanTree(CASES))
// The traced run before the untraced one, so the peak RSS read right after it
// is that of one full traced eval (plus the small floors and warm-ups). No
// forced GC between runs: after one, V8 shrinks the heap and the next run pays
// ~10-20% more in collections.
const { value: traced, cpuUsPerCase: tracedCpu } = await withCpu(CASES, () => measure(data, tracer))
const peakRss = process.resourceUsage().maxRSS / 1024
const { value: native, cpuUsPerCase: nativeCpu } = tracer
  ? await withCpu(CASES, () => measure(data, false))
  : { value: traced, cpuUsPerCase: tracedCpu }

const metrics = {
  wall_s: traced.wall,
  ideal_s: ideal,
  efficiency: ideal / traced.wall,
  raw_promise_s: raw,
  raw_promise_efficiency: ideal / raw,
  effect_sleep_s: effectFloor,
  span_tree_s: spanFloor,
  wall_no_tracer_s: native.wall,
  timer_loss_s: raw - ideal,
  effect_loss_s: effectFloor - raw,
  span_tree_loss_s: spanFloor - effectFloor,
  runner_loss_s: native.wall - spanFloor,
  tracer_loss_s: traced.wall - native.wall,
  // The same chain in client CPU per case (µs): steadier than wall time when the machine is shared.
  raw_promise_cpu_us: rawCpu,
  effect_sleep_cpu_us: effectCpu,
  span_tree_cpu_us: spanCpu,
  no_tracer_cpu_us: nativeCpu,
  cpu_us: tracedCpu,
  runner_cpu_us: nativeCpu - spanCpu,
  tracer_cpu_us: tracedCpu - nativeCpu,
  peak_rss_mb: peakRss
}
if (traced.stats !== undefined) {
  // 3 spans per case (eval, task, scorer), plus the service spans around create and summarize.
  metrics.spans_exported = traced.stats.exported
  metrics.spans_dropped = Object.values(traced.stats.dropped).reduce((a, b) => a + b, 0)
}
console.log(JSON.stringify({ metrics }))
