/**
 * Draws the progress of an eval from its events: a bar redrawn in place on a
 * TTY, plain lines at most once a second otherwise (CI logs).
 *
 * @since 0.1.0
 */
import type { EvalEvent } from "@promptops/core/Eval"
import { Clock, Console, Effect } from "effect"
import { CliTerminal } from "./CliTerminal.js"

/**
 * @since 0.1.0
 */
export interface Progress {
  readonly onEvent: (event: EvalEvent) => Effect.Effect<void>
  /** Ends the display (clears the bar). */
  readonly end: Effect.Effect<void>
}

/** Redraws of the bar are at least this far apart. */
const redrawMillis = 80
/** Plain lines are at least this far apart. */
const lineMillis = 1000

const formatSeconds = (millis: number): string => `${(millis / 1000).toFixed(1)}s`

/**
 * The text of one progress line (without the bar).
 *
 * @since 0.1.0
 */
export const describe = (options: {
  readonly completed: number
  readonly failed: number
  readonly total: number | undefined
  readonly elapsedMillis: number
}): string => {
  const count = options.total === undefined ? `${options.completed} done` : `${options.completed}/${options.total}`
  const failed = options.failed === 0 ? "" : `, ${options.failed} failed`
  return `${count}${failed}, ${formatSeconds(options.elapsedMillis)}`
}

/**
 * A bar of `width` cells for a fraction in 0..1.
 *
 * @since 0.1.0
 */
export const bar = (fraction: number, width: number): string => {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)))
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`
}

/**
 * A progress display for the eval named `name`.
 *
 * @since 0.1.0
 */
export const make = (name: string): Effect.Effect<Progress, never, CliTerminal> =>
  Effect.gen(function*() {
    const terminal = yield* CliTerminal
    let started = yield* Clock.currentTimeMillis
    let last = Number.NEGATIVE_INFINITY
    let completed = 0
    let failed = 0
    let total: number | undefined
    let drawn = false

    const text = (now: number) => describe({ completed, failed, total, elapsedMillis: now - started })

    const draw = (now: number): Effect.Effect<void> => {
      last = now
      if (terminal.isTTY) {
        const status = text(now)
        const room = terminal.columns - name.length - status.length - 6
        const width = Math.min(30, room)
        const shown = total === undefined || total === 0 || width < 5 ? "" : ` ${bar(completed / total, width)}`
        drawn = true
        return terminal.write(`\r\x1b[2K${name}${shown} ${status}`)
      }
      return Console.error(`${name}: ${text(now)}`)
    }

    const end: Effect.Effect<void> = Effect.suspend(() => {
      if (!drawn) return Effect.void
      drawn = false
      return terminal.write("\n")
    })

    const onEvent = (event: EvalEvent): Effect.Effect<void> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        switch (event._tag) {
          case "Started": {
            started = now
            total = event.total
            const of = total === undefined ? "" : ` (${total} runs)`
            return terminal.isTTY
              ? draw(now)
              : Console.error(`${name}: experiment ${event.experiment.id} started${of}`)
          }
          case "CaseCompleted": {
            completed = event.completed
            failed = event.failed
            total = event.total ?? total
            const interval = terminal.isTTY ? redrawMillis : lineMillis
            const finished = total !== undefined && completed >= total
            return now - last >= interval || (finished && terminal.isTTY) ? draw(now) : Effect.void
          }
          case "Finished": {
            if (!terminal.isTTY) return Console.error(`${name}: finished, ${text(now)}`)
            return Effect.zipRight(draw(now), end)
          }
        }
      })

    return { onEvent, end }
  })
