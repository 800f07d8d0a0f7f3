/**
 * The Braintrust emulator's in-memory state. Plain data, inspectable from tests through `handle.store`.
 */
import { randomUUID } from "node:crypto"
import type { JsonObject } from "../Json.js"
import { FIRST_XACT_ID } from "./XactId.js"

/** A project, experiment, dataset or environment: one mutable record, served as `data`. */
export interface ObjectRecord {
  readonly id: string
  /** Creation order; lists are sorted by it, newest first. */
  readonly seq: number
  data: JsonObject
  deleted: boolean
}

/** One version of a prompt/function; `data` is the full object as served (including `_xact_id`). */
export interface FunctionVersion {
  readonly xactId: bigint
  readonly data: JsonObject
}

/** A prompt or function (they share one store, `log_id: "p"`). */
export interface FunctionRecord {
  readonly id: string
  readonly seq: number
  readonly versions: Array<FunctionVersion>
  deleted: boolean
}

export type ContainerKind = "experiment" | "dataset" | "project_logs"

/** One version of an event row; `row` is undefined for a tombstone (`_object_delete`). */
export interface RowVersion {
  readonly xactId: bigint
  readonly seq: number
  readonly row: JsonObject | undefined
}

/** The event log of one experiment, dataset or project. */
export interface EventContainer {
  readonly kind: ContainerKind
  readonly id: string
  /** Row id → versions, oldest first. */
  readonly rows: Map<string, Array<RowVersion>>
}

/** Feedback sent to the legacy `POST /v1/function/{id}/feedback`. */
export interface FunctionFeedbackRecord {
  readonly functionId: string
  readonly xactId: bigint
  readonly item: JsonObject
}

export interface StoreOptions {
  readonly orgName?: string
  readonly orgId?: string
  readonly now?: () => number
  readonly uuid?: () => string
  readonly firstXactId?: bigint
}

/**
 * @since 0.1.0
 */
export class BraintrustStore {
  readonly org: { readonly id: string; readonly name: string }
  readonly projects: Map<string, ObjectRecord> = new Map()
  readonly functions: Map<string, FunctionRecord> = new Map()
  readonly experiments: Map<string, ObjectRecord> = new Map()
  readonly datasets: Map<string, ObjectRecord> = new Map()
  readonly containers: Map<string, EventContainer> = new Map()
  readonly functionFeedback: Array<FunctionFeedbackRecord> = []
  /** Environments of the organisation (`/environment`), by id. */
  readonly environments: Map<string, ObjectRecord> = new Map()
  /**
   * Environment id → prompt/function id → the `_xact_id` of the version the environment points at for that
   * object. Written by `environment_slugs` on a prompt/function create or replace.
   */
  readonly environmentVersions: Map<string, Map<string, bigint>> = new Map()
  readonly now: () => number
  readonly uuid: () => string
  private xact: bigint
  private seq = 0

  constructor(options: StoreOptions = {}) {
    this.now = options.now ?? Date.now
    this.uuid = options.uuid ?? randomUUID
    this.org = { id: options.orgId ?? this.uuid(), name: options.orgName ?? "emulator-org" }
    this.xact = (options.firstXactId ?? FIRST_XACT_ID) - 1n
  }

  /** A fresh, strictly increasing transaction id; one per write request. */
  nextXact(): bigint {
    this.xact += 1n
    return this.xact
  }

  /** The newest transaction id handed out so far. */
  get currentXact(): bigint {
    return this.xact
  }

  nextSeq(): number {
    return ++this.seq
  }

  isoNow(): string {
    return new Date(this.now()).toISOString()
  }

  container(kind: ContainerKind, id: string): EventContainer {
    const key = `${kind}:${id}`
    let found = this.containers.get(key)
    if (!found) {
      found = { kind, id, rows: new Map() }
      this.containers.set(key, found)
    }
    return found
  }

  liveProject(id: string): ObjectRecord | undefined {
    const record = this.projects.get(id)
    return record && !record.deleted ? record : undefined
  }

  projectByName(name: string): ObjectRecord | undefined {
    for (const record of this.projects.values()) {
      if (!record.deleted && record.data["name"] === name) return record
    }
    return undefined
  }

  liveExperiment(id: string): ObjectRecord | undefined {
    const record = this.experiments.get(id)
    return record && !record.deleted ? record : undefined
  }

  liveDataset(id: string): ObjectRecord | undefined {
    const record = this.datasets.get(id)
    return record && !record.deleted ? record : undefined
  }

  liveEnvironment(id: string): ObjectRecord | undefined {
    const record = this.environments.get(id)
    return record && !record.deleted ? record : undefined
  }

  /** The live environment with that slug (slugs are unique among live environments of the organisation). */
  environmentBySlug(slug: string): ObjectRecord | undefined {
    for (const record of this.environments.values()) {
      if (!record.deleted && record.data["slug"] === slug) return record
    }
    return undefined
  }

  /** The `_xact_id` the environment points at for a prompt/function, if any. */
  environmentVersion(environmentId: string, objectId: string): bigint | undefined {
    return this.environmentVersions.get(environmentId)?.get(objectId)
  }

  /** Points the environment at `xactId` for the object (replacing whatever it pointed at before). */
  assignEnvironment(environmentId: string, objectId: string, xactId: bigint): void {
    let versions = this.environmentVersions.get(environmentId)
    if (!versions) {
      versions = new Map()
      this.environmentVersions.set(environmentId, versions)
    }
    versions.set(objectId, xactId)
  }

  liveFunction(id: string): FunctionRecord | undefined {
    const record = this.functions.get(id)
    return record && !record.deleted ? record : undefined
  }

  /** The newest live row of each id, as of `snapshot` (all versions when undefined). */
  liveRows(container: EventContainer, snapshot?: bigint): Array<{ readonly version: RowVersion; readonly row: JsonObject }> {
    const out: Array<{ version: RowVersion; row: JsonObject }> = []
    for (const versions of container.rows.values()) {
      let chosen: RowVersion | undefined
      for (let i = versions.length - 1; i >= 0; i--) {
        const v = versions[i]!
        if (snapshot === undefined || v.xactId <= snapshot) {
          chosen = v
          break
        }
      }
      if (chosen?.row) out.push({ version: chosen, row: chosen.row })
    }
    return out
  }

  /** Empties everything (the org stays). */
  reset(): void {
    this.projects.clear()
    this.functions.clear()
    this.experiments.clear()
    this.datasets.clear()
    this.containers.clear()
    this.functionFeedback.length = 0
    this.environments.clear()
    this.environmentVersions.clear()
  }
}
