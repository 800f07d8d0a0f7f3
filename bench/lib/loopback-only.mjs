// Preloaded (`node --import`) into every client process of the side-by-side
// benchmarks: requests may only go to loopback, so neither promptops nor the
// official SDK can reach a real Braintrust host whatever their defaults are.
import http from "node:http"
import https from "node:https"

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"])

const check = (url) => {
  const host = new URL(String(url)).hostname
  if (!LOOPBACK.has(host)) throw new Error(`bench: refused a request to ${host}; only loopback is allowed`)
}

const realFetch = globalThis.fetch
globalThis.fetch = (input, init) => {
  check(typeof input === "string" || input instanceof URL ? input : input.url)
  return realFetch(input, init)
}

for (const module of [http, https]) {
  for (const name of ["request", "get"]) {
    const real = module[name]
    module[name] = (...args) => {
      const first = args[0]
      if (typeof first === "string" || first instanceof URL) check(first)
      else if (first && typeof first === "object") check(`http://${first.hostname ?? first.host ?? "localhost"}`)
      return real.apply(module, args)
    }
  }
}
