// Garbage-collection time that falls inside timed windows (the caller's
// chunks): `PerformanceObserver` reports every GC pause with its start and
// duration; `inside()` sums the parts that overlap a recorded window.
import { PerformanceObserver } from "node:perf_hooks"

export const gcClock = () => {
  const pauses = []
  const windows = []
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push([entry.startTime, entry.startTime + entry.duration])
  })
  observer.observe({ entryTypes: ["gc"] })
  return {
    window: (start, end) => windows.push([start, end]),
    /** Milliseconds of GC inside the windows recorded so far (call after a macrotask, so entries are delivered). */
    inside: () => {
      let total = 0
      let w = 0
      pauses.sort((a, b) => a[0] - b[0])
      for (const [start, end] of pauses) {
        while (w < windows.length && windows[w][1] <= start) w++
        for (let i = w; i < windows.length && windows[i][0] < end; i++) {
          total += Math.max(0, Math.min(end, windows[i][1]) - Math.max(start, windows[i][0]))
        }
      }
      return total
    },
    reset: () => {
      pauses.length = 0
      windows.length = 0
    },
    stop: () => observer.disconnect()
  }
}
