import { assert, describe, it } from "@effect/vitest"
import { Faults, seededRandom } from "../src/Faults.js"

const req = (path: string, method = "GET", bodyBytes = 0) => ({ method, path, bodyBytes })

describe("Faults", () => {
  it("fires queued rules in order and consumes them", () => {
    const faults = new Faults()
    faults.rateLimit({ retryAfter: 2 })
    faults.storm({ status: 503, times: 2 })
    const kinds = [1, 2, 3, 4].map(() => {
      const a = faults.next(req("/v1/project"))
      return a?.kind === "status" ? a.status : undefined
    })
    assert.deepStrictEqual(kinds, [429, 503, 503, undefined])
    assert.strictEqual(faults.fired.length, 3)
    assert.strictEqual(faults.pending.length, 0)
  })

  it("matches by method and path pattern, leaving other requests alone", () => {
    const faults = new Faults()
    faults.reset({ match: "POST /v1/experiment/*/insert", times: Infinity })
    faults.delay(10, { match: { path: "/v1/function/{function_id}" } })
    assert.isUndefined(faults.next(req("/v1/experiment/abc/insert", "GET")))
    assert.isUndefined(faults.next(req("/v1/experiment/abc/fetch", "POST")))
    assert.strictEqual(faults.next(req("/v1/experiment/abc/insert", "POST"))?.kind, "reset")
    assert.strictEqual(faults.next(req("/v1/experiment/xyz/insert", "POST"))?.kind, "reset")
    assert.isUndefined(faults.next(req("/v1/function/1/invoke", "POST")))
    assert.strictEqual(faults.next(req("/v1/function/1", "PATCH"))?.kind, "delay")
  })

  it("supports ** globs and RegExps", () => {
    const faults = new Faults()
    faults.status(500, { match: "/v1/dataset/**", times: 2 })
    faults.status(502, { match: { path: /summarize$/ } })
    assert.isUndefined(faults.next(req("/v1/datasetx")))
    assert.strictEqual((faults.next(req("/v1/dataset")) as { status: number }).status, 500)
    assert.strictEqual((faults.next(req("/v1/dataset/1/fetch")) as { status: number }).status, 500)
    assert.strictEqual((faults.next(req("/v1/experiment/1/summarize")) as { status: number }).status, 502)
  })

  it("keeps a duration storm active until its window closes", () => {
    let now = 1_000
    const faults = new Faults({ now: () => now })
    faults.storm({ status: 503, forMs: 500 })
    assert.strictEqual(faults.next(req("/v1"))?.kind, "status")
    now += 499
    assert.strictEqual(faults.next(req("/v1"))?.kind, "status")
    now += 1
    assert.isUndefined(faults.next(req("/v1")))
    assert.strictEqual(faults.fired.length, 2)
  })

  it("payload limits only hit large bodies and stay until removed", () => {
    const faults = new Faults()
    const id = faults.payloadLimit(100)
    assert.isUndefined(faults.next(req("/v1/insert", "POST", 100)))
    assert.strictEqual(faults.next(req("/v1/insert", "POST", 101))?.kind, "payloadTooLarge")
    assert.strictEqual(faults.next(req("/v1/insert", "POST", 5000))?.kind, "payloadTooLarge")
    faults.remove(id)
    assert.isUndefined(faults.next(req("/v1/insert", "POST", 5000)))
  })

  it("probabilistic faults are deterministic for a seed", () => {
    const run = (seed: number) => {
      const faults = new Faults()
      faults.status(500, { probability: 0.3, seed })
      return Array.from({ length: 200 }, () => faults.next(req("/v1")) !== undefined)
    }
    const a = run(42)
    assert.deepStrictEqual(run(42), a)
    assert.notDeepEqual(run(43), a)
    const hits = a.filter(Boolean).length
    assert.isTrue(hits > 30 && hits < 90, `hits=${hits}`)
    const random = seededRandom(7)
    const values = Array.from({ length: 100 }, random)
    assert.isTrue(values.every((v) => v >= 0 && v < 1))
  })

  it("rejects nonsense", () => {
    const faults = new Faults()
    assert.throws(() => faults.status(500, { times: 0 }))
    assert.throws(() => faults.status(500, { probability: 2 }))
  })
})
