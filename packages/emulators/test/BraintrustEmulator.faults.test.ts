import { afterAll, assert, beforeAll, beforeEach, describe, it } from "@effect/vitest"
import * as BraintrustEmulator from "../src/BraintrustEmulator.js"
import { type Client, client } from "./helpers.js"

let handle: BraintrustEmulator.BraintrustEmulatorHandle
let api: Client
let now = Date.UTC(2026, 0, 1)

/** A sleep the test releases by hand, so "slow" needs no real waiting. */
const pendingSleeps: Array<{ ms: number; release: () => void }> = []
let sleepCalled: (() => void) | undefined
const controlledSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    pendingSleeps.push({ ms, release: resolve })
    sleepCalled?.()
  })

beforeAll(async () => {
  handle = await BraintrustEmulator.start({ now: () => now, sleep: controlledSleep })
  api = client(handle)
})

beforeEach(() => {
  handle.faults.clear()
})

afterAll(async () => {
  await handle.close()
})

describe("fault injection over HTTP", () => {
  it("429 carries Retry-After and is consumed", async () => {
    handle.faults.rateLimit({ retryAfter: 3 })
    const limited = await api.get("/v1/project")
    assert.strictEqual(limited.status, 429)
    assert.strictEqual(limited.headers.get("retry-after"), "3")
    assert.strictEqual(limited.body.Code, "TooManyRequestsError")
    const ok = await api.get("/v1/project")
    assert.strictEqual(ok.status, 200)
    assert.strictEqual(handle.requests[handle.requests.length - 2]!.fault, "status")
  })

  it("a 503 storm of n requests, then OK; a 500 storm for a duration", async () => {
    handle.faults.storm({ status: 503, times: 3 })
    const statuses: Array<number> = []
    for (let i = 0; i < 4; i++) statuses.push((await api.get("/v1/project")).status)
    assert.deepStrictEqual(statuses, [503, 503, 503, 200])

    handle.faults.storm({ status: 500, forMs: 1_000 })
    const during = await api.get("/v1/project")
    assert.strictEqual(during.status, 500)
    assert.strictEqual(during.body.Code, "InternalServerError")
    now += 999
    assert.strictEqual((await api.get("/v1/project")).status, 500)
    now += 1
    assert.strictEqual((await api.get("/v1/project")).status, 200)
  })

  it("a connection reset makes fetch reject", async () => {
    handle.faults.reset({ match: "POST /v1/project" })
    const error = await api.post("/v1/project", { name: "reset" }).then(() => undefined, (e: unknown) => e)
    assert.instanceOf(error, TypeError)
    assert.isUndefined(handle.store.projectByName("reset"))
    assert.isUndefined(handle.requests[handle.requests.length - 1]!.status)
    // the next request is served normally
    assert.strictEqual((await api.post("/v1/project", { name: "reset" })).status, 200)
  })

  it("a slow response waits for the delay before answering", async () => {
    handle.faults.delay(5_000)
    const called = new Promise<void>((resolve) => {
      sleepCalled = resolve
    })
    let settled = false
    const response = api.get("/v1").then((r) => {
      settled = true
      return r
    })
    await called
    assert.strictEqual(pendingSleeps.length, 1)
    assert.strictEqual(pendingSleeps[0]!.ms, 5_000)
    assert.isFalse(settled)
    pendingSleeps.shift()!.release()
    const answered = await response
    assert.strictEqual(answered.status, 200)
    assert.strictEqual(answered.text, "Hello, World!")
    sleepCalled = undefined
  })

  it("413 when the body exceeds the limit; smaller bodies pass", async () => {
    const projectId = (await api.post("/v1/project", { name: "big" })).body.id
    handle.faults.payloadLimit(1_000, { match: "POST /v1/project_logs/*/insert" })
    const small = await api.post(`/v1/project_logs/${projectId}/insert`, { events: [{ input: "x" }] })
    assert.strictEqual(small.status, 200)
    const big = await api.post(`/v1/project_logs/${projectId}/insert`, { events: [{ input: "x".repeat(2_000) }] })
    assert.strictEqual(big.status, 413)
    assert.deepStrictEqual(big.body, { message: "Request Too Long" })
    assert.strictEqual((await api.post(`/v1/project_logs/${projectId}/fetch`, {})).body.events.length, 1)
  })

  it("seeded probabilistic faults hit the same requests on every run", async () => {
    const run = async () => {
      handle.faults.clear()
      handle.faults.status(503, { probability: 0.5, seed: 1234 })
      const statuses: Array<number> = []
      for (let i = 0; i < 12; i++) statuses.push((await api.get("/v1")).status)
      return statuses
    }
    const first = await run()
    assert.deepStrictEqual(await run(), first)
    assert.isTrue(first.includes(503) && first.includes(200))
  })

  it("faults did not produce contract violations", () => {
    assert.deepStrictEqual(handle.violations, [])
  })
})
