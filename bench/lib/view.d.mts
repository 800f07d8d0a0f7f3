// Types of lib/view.mjs, for the bench's TypeScript tests.

/** What the seeder (clients/view-seed.mjs) printed. */
export interface Seeded {
  readonly seedSpansMs: number
  readonly seedExperimentsMs: number
  readonly seedWallMs: number
  readonly batches: number
  readonly storeBytes: number
  readonly peakRssMb: number
  /** Read back from the store. */
  readonly counts: {
    readonly spans: number
    readonly logRoots: number
    readonly experimentSpans: number
    readonly experiments: number
    readonly results: number
  }
  readonly fixtures: {
    readonly experiment: string
    readonly baseline: string | undefined
    readonly name: string
    readonly traced: boolean
    readonly logName: string
  }
}

/** One timed GET. */
export interface Response {
  readonly path: string
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
  readonly ms: number
}

export interface ServerStats {
  readonly cpuMs: number
  readonly rssMb: number
  readonly peakRssMb: number
}

export interface Server {
  readonly url: string
  readonly readyMs: number
  readonly request: (path: string) => Promise<Response>
  readonly stats: () => Promise<ServerStats>
  readonly close: () => Promise<void>
}

export interface Deep {
  readonly cursor: string
  readonly seen: number
  readonly first: ReadonlySet<string>
  readonly traceId: string
}

export interface Endpoint {
  readonly name: string
  readonly budgeted: boolean
  /** Times the request(s) and checks the answer (throws on a wrong one); resolves with the milliseconds. */
  readonly run: (server: Pick<Server, "request">) => Promise<number>
}

export declare const uiDir: string

export declare const seed: (dir: string, env?: Record<string, string>) => Promise<Seeded>

export declare const startServer: (dir: string) => Promise<Server>

export declare const deepCursor: (server: Pick<Server, "request">, depth: number, limit?: number) => Promise<Deep>

export declare const probePage: (server: Pick<Server, "request">) => Promise<{ readonly served: boolean; readonly why: string }>

export declare const endpoints: (
  fixtures: Seeded["fixtures"] & { readonly deep: Deep; readonly cases: number; readonly page: boolean }
) => ReadonlyArray<Endpoint>
