// Types of lib/otlp-receiver.mjs, for the bench's TypeScript tests.

/** What the receiver counted since its last reset. */
export interface Received {
  readonly spans: number
  readonly duplicates: number
  readonly requests: number
  readonly accepted: number
  readonly rejected: number
  readonly bytes: number
  readonly cpuMs: number
}

export interface Receiver {
  readonly url: string
  readonly control: (path: string) => Promise<Received | undefined>
  readonly close: () => Promise<void>
}

/** A client's figures (lib/otlp-client.mjs) with what the receiver counted. */
export interface Figures {
  readonly mode: string
  readonly emitted: number
  readonly callerCpuUsPerSpan: number
  readonly callerCpuUsPerSpanMedian: number
  readonly callerGcUsPerSpan: number
  readonly emitMs: number
  readonly flushMs: number
  readonly endToEndMs: number
  readonly cpuMs: number
  readonly peakRssMb: number
  readonly peakHeapMb: number
  readonly noopCpuUsPerSpan?: number
  readonly noopCpuUsPerSpanMedian?: number
  readonly received: Received
  readonly delivered: number
  readonly lost: number
}

export declare const startReceiver: () => Promise<Receiver>

export declare const otlpScenario: (
  receiver: Receiver,
  script: string,
  env: Record<string, string>,
  fault?: string
) => Promise<Figures>
