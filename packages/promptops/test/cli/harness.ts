/**
 * Running the CLI in-process for tests: backends that live across commands
 * (memory states named after providers, so a test can play "local",
 * "braintrust" and a registry-less "basalt"), a console that captures
 * standard output and error, and a capturing terminal for progress.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Datasets } from "@promptops/core/Datasets"
import { Experiments } from "@promptops/core/Experiments"
import * as Memory from "@promptops/core/Memory"
import { Prompts } from "@promptops/core/Prompts"
import { SpanSink } from "@promptops/core/SpanSink"
import * as Tracing from "@promptops/core/Tracing"
import { Console, Context, Duration, Effect, Layer, Option } from "effect"
import * as Cli from "../../src/cli/Cli.js"
import { CliBackends } from "../../src/cli/CliBackends.js"
import * as CliTerminal from "../../src/cli/CliTerminal.js"
import * as PromptOps from "../../src/PromptOps.js"

export interface FakeBackend {
  readonly state: Memory.State
  readonly services: ReturnType<typeof Memory.makeServices>
}

/**
 * One memory state per provider name, kept across commands. "basalt" has no
 * registry, no feedback and no trace reader, as the real one.
 */
export const makeBackends = (
  options: {
    readonly defaultProvider?: PromptOps.Provider
    /** A span sink that never answers (a vendor that accepts connections and hangs); closing gives up after 1 s, as the CLI's. */
    readonly blackHoleSpans?: boolean
  } = {}
) => {
  const backends = new Map<PromptOps.Provider, FakeBackend>()
  const get = (provider: PromptOps.Provider): FakeBackend => {
    let backend = backends.get(provider)
    if (backend === undefined) {
      const state = Memory.makeState()
      // Built once: the deterministic experiment ids keep counting across commands.
      backend = { state, services: Memory.makeServices(state, { deterministicIds: true }) }
      backends.set(provider, backend)
    }
    return backend
  }
  const layer = (provider: Option.Option<PromptOps.Provider>) => {
    const name = Option.getOrElse(provider, () => options.defaultProvider ?? "memory")
    const { services } = get(name)
    const limited = name === "basalt"
    const context = Context.make(Prompts, services.prompts).pipe(
      Context.add(Datasets, services.datasets),
      Context.add(Experiments, services.experiments),
      Context.add(SpanSink, options.blackHoleSpans === true ? { ...services.spanSink, export: () => Effect.never } : services.spanSink),
      Context.add(PromptOps.Backend, {
        provider: name,
        location: `memory:${name}`,
        registry: limited ? Option.none() : Option.some(services.registry),
        feedback: limited ? Option.none() : Option.some(services.feedback),
        traceReader: limited ? Option.none() : Option.some(services.traceReader)
      })
    )
    const tracing = Tracing.layer(options.blackHoleSpans === true ? { shutdownTimeout: Duration.seconds(1) } : {})
    return Layer.provideMerge(tracing, Layer.succeedContext(context))
  }
  return { get, service: CliBackends.of({ layer }) }
}

/** A console writing into arrays (one entry per call, arguments joined by spaces). */
export const captureConsole = (stdout: Array<string>, stderr: Array<string>): Console.Console => {
  const text = (args: ReadonlyArray<unknown>) => args.map(String).join(" ")
  const out = (...args: ReadonlyArray<unknown>) => void stdout.push(text(args))
  const err = (...args: ReadonlyArray<unknown>) => void stderr.push(text(args))
  const noop = () => {}
  const unsafe: Console.UnsafeConsole = {
    assert: noop,
    clear: noop,
    count: noop,
    countReset: noop,
    debug: err,
    dir: out,
    dirxml: out,
    error: err,
    group: noop,
    groupCollapsed: noop,
    groupEnd: noop,
    info: out,
    log: out,
    table: out,
    time: noop,
    timeEnd: noop,
    timeLog: noop,
    trace: err,
    warn: err
  }
  const lift = <A extends ReadonlyArray<any>>(f: (...args: A) => void) => (...args: A) => Effect.sync(() => f(...args))
  return {
    [Console.TypeId]: Console.TypeId,
    assert: lift(unsafe.assert),
    clear: Effect.void,
    count: lift(unsafe.count),
    countReset: lift(unsafe.countReset),
    debug: lift(unsafe.debug),
    dir: lift(unsafe.dir),
    dirxml: lift(unsafe.dirxml),
    error: lift(unsafe.error),
    group: () => Effect.void,
    groupEnd: Effect.void,
    info: lift(unsafe.info),
    log: lift(unsafe.log),
    table: lift(unsafe.table),
    time: lift(unsafe.time),
    timeEnd: lift(unsafe.timeEnd),
    timeLog: lift(unsafe.timeLog),
    trace: lift(unsafe.trace),
    warn: lift(unsafe.warn),
    unsafe
  }
}

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  /** What the progress display wrote to the (fake) terminal. */
  readonly terminal: string
}

/**
 * Runs `promptops <args>` in-process with the given backends and returns its
 * exit code and output.
 */
export const run = (
  backends: ReturnType<typeof makeBackends>,
  args: ReadonlyArray<string>,
  options: { readonly isTTY?: boolean; readonly color?: boolean } = {}
): Effect.Effect<CliResult> =>
  Effect.gen(function*() {
    const stdout: Array<string> = []
    const stderr: Array<string> = []
    const terminal: Array<string> = []
    const code = yield* Cli.runArgs(args).pipe(
      Effect.withConsole(captureConsole(stdout, stderr)),
      Effect.provide(
        Layer.mergeAll(
          NodeContext.layer,
          Layer.succeed(CliBackends, backends.service),
          CliTerminal.layerCapture(terminal, { isTTY: options.isTTY ?? false, columns: 100, color: options.color ?? false })
        )
      )
    )
    return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n"), terminal: terminal.join("") }
  })
