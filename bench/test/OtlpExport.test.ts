/**
 * The otlp-export workload's parts in a tiny mode: the receiver process and
 * each exporter's client (promptops, @effect/opentelemetry, the OTel JS SDK),
 * 100 spans each. What is checked is that the figures are well formed and the
 * counting is right (every span delivered when nothing fails, lost = emitted −
 * received, a fault answered and survived), never how fast anything is.
 * The clients are plain Node processes over the packages' built `dist`
 * (`npx turbo run build --filter=@promptops/otlp...` first).
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { type Figures, otlpScenario, type Receiver, startReceiver } from "../lib/otlp-receiver.mjs"

const SPANS = "100"
const clients = {
  promptops: "clients/otlp-promptops.mjs",
  effect: "clients/otlp-effect.mjs",
  sdk: "clients/otlp-sdk.mjs"
} as const

let receiver: Receiver
beforeAll(async () => {
  receiver = await startReceiver()
})
afterAll(async () => {
  await receiver?.close()
})

const run = (script: string, env: Record<string, string>, fault?: string): Promise<Figures> =>
  otlpScenario(receiver, script, env, fault)

const assertWellFormed = (figures: Figures, mode: string) => {
  assert.strictEqual(figures.mode, mode)
  assert.strictEqual(figures.emitted, 100)
  for (
    const key of ["callerCpuUsPerSpan", "callerCpuUsPerSpanMedian", "cpuMs", "peakRssMb", "flushMs", "endToEndMs"] as const
  ) {
    assert.isTrue(Number.isFinite(figures[key]) && figures[key] >= 0, `${key} = ${figures[key]}`)
  }
  assert.isAbove(figures.peakRssMb, 10)
  assert.isAbove(figures.cpuMs, 0)
  assert.strictEqual(figures.lost, figures.emitted - figures.delivered)
  assert.strictEqual(figures.received.duplicates, 0)
}

describe("otlp-export workload (tiny mode)", () => {
  for (const [name, script] of Object.entries(clients)) {
    it(`${name}: steady, every span reaches the receiver, figures well formed`, { timeout: 60_000 }, async () => {
      const figures = await run(script, { MODE: "steady", SPANS, YIELD_EVERY: "20", NOOP_SPANS: "100" })
      assertWellFormed(figures, "steady")
      assert.strictEqual(figures.delivered, 100)
      assert.strictEqual(figures.lost, 0)
      assert.isAbove(figures.received.accepted, 0)
      assert.strictEqual(figures.received.rejected, 0)
      if (name !== "sdk") {
        // The Effect clients also measure Effect's own span machinery under a no-op tracer.
        assert.isTrue(Number.isFinite(figures.noopCpuUsPerSpanMedian) && figures.noopCpuUsPerSpanMedian! >= 0)
      }
    })

    it(`${name}: burst, figures well formed`, { timeout: 60_000 }, async () => {
      const figures = await run(script, { MODE: "burst", SPANS })
      assertWellFormed(figures, "burst")
      assert.isAtMost(figures.delivered, 100)
    })
  }

  it("promptops: the receiver's 413 fault is played and survived (the batch is split)", { timeout: 60_000 }, async () => {
    // 100 spans are ~16 KB: every request over 4 KiB is refused, so the pipeline has to split down.
    const figures = await run(clients.promptops, { MODE: "steady", SPANS, YIELD_EVERY: "100", NOOP_SPANS: "0" }, "max-bytes:4096")
    assertWellFormed(figures, "steady")
    assert.isAbove(figures.received.rejected, 0)
    assert.strictEqual(figures.delivered, 100)
  })

  it("promptops: the receiver's outage (503 with Retry-After) is played and survived (retried)", { timeout: 60_000 }, async () => {
    const figures = await run(clients.promptops, { MODE: "steady", SPANS, YIELD_EVERY: "100", NOOP_SPANS: "0" }, "outage:300")
    assertWellFormed(figures, "steady")
    assert.isAbove(figures.received.rejected, 0)
    assert.strictEqual(figures.delivered, 100)
  })

  it("the OTel SDK: the same 413 fault loses the refused batch (the counting sees a loss)", { timeout: 60_000 }, async () => {
    const figures = await run(clients.sdk, { MODE: "steady", SPANS, YIELD_EVERY: "100" }, "max-bytes:4096")
    assertWellFormed(figures, "steady")
    assert.isAbove(figures.received.rejected, 0)
    assert.strictEqual(figures.lost, 100)
  })

  it("the whole workload in a tiny mode prints every metric as a number (or null when nothing arrived)", { timeout: 180_000 }, async () => {
    const bench = fileURLToPath(new URL("..", import.meta.url))
    const { stdout } = await promisify(execFile)(process.execPath, ["--expose-gc", "workloads/otlp-export.mjs"], {
      cwd: bench,
      env: {
        ...process.env,
        OTLP_SPANS: "100",
        OTLP_BURST: "100",
        OTLP_FAULT_SPANS: "100",
        OTLP_OUTAGE_MS: "300",
        OTLP_MAX_BYTES: "4096"
      }
    })
    const line = stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1)!
    const { metrics } = JSON.parse(line) as { metrics: Record<string, number | null> }
    for (const exporter of ["promptops", "effect", "sdk"]) {
      for (const row of ["caller_us_per_span", "cpu_us_per_span", "peak_rss_mb", "burst_lost", "outage_lost", "413_lost"]) {
        const value = metrics[`${exporter}_${row}`]
        assert.isTrue(typeof value === "number" && Number.isFinite(value) && value >= 0, `${exporter}_${row} = ${value}`)
      }
    }
    for (const ratio of ["caller_vs_best", "cpu_vs_best", "rss_vs_best", "burst_rss_vs_best"]) {
      assert.isTrue(typeof metrics[ratio] === "number" && metrics[ratio]! > 0, `${ratio} = ${metrics[ratio]}`)
    }
    // Zero loss for promptops in every scenario, faults included (the budget's row).
    assert.strictEqual(metrics.promptops_all_lost, 0)
    assert.strictEqual(metrics.promptops_413_lost, 0)
    assert.isAbove(metrics.sdk_413_lost!, 0)
  })
})
