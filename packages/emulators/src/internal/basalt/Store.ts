/**
 * The Basalt emulator's seeds and in-memory state (prompts with versions and tags, datasets, experiments, traces,
 * uploaded files and pending upload slots).
 */
import type { IncomingHttpHeaders } from "node:http"


/**
 * A prompt's model as Basalt stores it.
 *
 * @since 0.1.0
 */
export interface PromptModel {
  readonly provider: string
  readonly client: "open-ai" | "anthropic" | "hugging-face" | "mistral" | "gemini" | "azure" | "bedrock" | "xai" | "deepseek"
  readonly model: string
  readonly version: string
  readonly parameters: { readonly maxLength: number; readonly responseFormat: string; readonly [key: string]: unknown }
}

/**
 * @since 0.1.0
 */
export interface PromptVariable {
  readonly label: string
  readonly type: string
  readonly description?: string
}

/**
 * One version of a seeded prompt.
 *
 * @since 0.1.0
 */
export interface SeedPromptVersion {
  readonly version: string
  readonly text: string
  readonly systemText?: string
  /** Default: `gpt-4o` on `open-ai`, `maxLength` 4096, `responseFormat` `text`. */
  readonly model?: PromptModel
  /** Default: the `{{ name }}` variables found in the templates, typed `string`. */
  readonly variables?: ReadonlyArray<PromptVariable>
}

/**
 * @since 0.1.0
 */
export interface SeedPrompt {
  readonly slug: string
  readonly name?: string
  readonly description?: string
  readonly status?: "live" | "draft"
  /** The features the prompt belongs to (the `featureSlug` filter of `GET /prompts`). */
  readonly featureSlugs?: ReadonlyArray<string>
  /** Oldest first; the last one is `latest`. */
  readonly versions: ReadonlyArray<SeedPromptVersion>
  /** Tag → version, e.g. `{ production: "1.0.0", staging: "1.1.0" }`. */
  readonly tags?: Readonly<Record<string, string>>
}

/**
 * A dataset column. A bare string is a `text` column.
 *
 * @since 0.1.0
 */
export type SeedColumn =
  | string
  | { readonly name: string; readonly type?: "text" | "image" | "file" | "json"; readonly required?: boolean }

/**
 * @since 0.1.0
 */
export interface SeedDatasetRow {
  readonly name?: string | null
  readonly values: Readonly<Record<string, string>>
  readonly idealOutput?: string | null
  readonly metadata?: Readonly<Record<string, unknown>> | null
}

/**
 * @since 0.1.0
 */
export interface SeedDataset {
  readonly slug: string
  readonly name?: string
  readonly columns: ReadonlyArray<SeedColumn>
  readonly rows?: ReadonlyArray<SeedDatasetRow>
}

/**
 * @since 0.1.0
 */
export interface StoredPromptVersion {
  readonly version: string
  readonly text: string
  readonly systemText: string
  readonly model: PromptModel
  readonly variables: ReadonlyArray<PromptVariable>
}

/**
 * @since 0.1.0
 */
export interface StoredPrompt {
  readonly slug: string
  readonly name: string
  readonly description: string | null
  readonly status: "live" | "draft"
  readonly featureSlugs: Set<string>
  readonly versions: Array<StoredPromptVersion>
  /** Tag → version. `latest` is implicit (the newest version) unless set here. */
  readonly tags: Map<string, string>
  /** Tag → its deployment-tag id (stable across publishes). */
  readonly tagIds: Map<string, string>
}

/**
 * @since 0.1.0
 */
export interface StoredColumn {
  readonly name: string
  readonly type: "text" | "image" | "file" | "json"
  readonly required: boolean
}

/**
 * @since 0.1.0
 */
export interface StoredDatasetRow {
  readonly name: string | null
  readonly values: Record<string, string>
  readonly idealOutput: string | null
  readonly metadata: Record<string, unknown> | null
}

/**
 * @since 0.1.0
 */
export interface StoredDataset {
  readonly slug: string
  readonly name: string
  readonly columns: Array<StoredColumn>
  readonly rows: Array<StoredDatasetRow>
}

/**
 * @since 0.1.0
 */
export interface StoredExperiment {
  readonly id: string
  readonly name: string
  readonly featureSlug: string
  readonly createdAt: string
}

/**
 * A trace Basalt accepted: from `POST /monitor/trace` (`body` is the payload as sent) or `POST /monitor/log`
 * (`body` is the log request; `logId` its log).
 *
 * @since 0.1.0
 */
export interface StoredTrace {
  readonly id: string
  readonly source: "trace" | "log"
  readonly featureSlug: string | undefined
  readonly experimentId: string | undefined
  readonly body: Record<string, unknown>
  readonly logId?: string
  readonly warning: string | undefined
  readonly receivedAt: number
}

/**
 * @since 0.1.0
 */
export interface StoredFile {
  readonly fileKey: string
  readonly fileName: string
  readonly contentType: string
  readonly bytes: Uint8Array
  readonly uploadedAt: number
}

/**
 * An upload URL handed out and not yet expired.
 *
 * @since 0.1.0
 */
export interface UploadSlot {
  readonly token: string
  readonly fileKey: string
  readonly fileName: string
  readonly contentType: string
  readonly maxSizeBytes: number
  readonly expiresAt: number
}

/**
 * A request the upload server received.
 *
 * @since 0.1.0
 */
export interface UploadRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly bytes: number
  status: number | undefined
}

const defaultModel: PromptModel = {
  provider: "open-ai",
  client: "open-ai",
  model: "gpt-4o",
  version: "latest",
  parameters: { maxLength: 4096, responseFormat: "text", temperature: 0.7, topP: 1 }
}

const templateVariables = (...templates: ReadonlyArray<string>): Array<PromptVariable> => {
  const names = new Set<string>()
  for (const template of templates) {
    for (const match of template.matchAll(/\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(match[1]!)
  }
  return [...names].map((label) => ({ label, type: "string" }))
}

export const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * The emulator's in-memory state. Tests read it, and seed it with the `add*` methods.
 *
 * @since 0.1.0
 */
export class BasaltStore {
  readonly features: Set<string> = new Set()
  readonly prompts: Map<string, StoredPrompt> = new Map()
  readonly datasets: Map<string, StoredDataset> = new Map()
  readonly experiments: Map<string, StoredExperiment> = new Map()
  readonly traces: Array<StoredTrace> = []
  readonly files: Map<string, StoredFile> = new Map()
  readonly uploads: Map<string, UploadSlot> = new Map()

  constructor(readonly now: () => number, readonly uuid: () => string) {}

  /** @since 0.1.0 */
  addFeature(slug: string): void {
    this.features.add(slug)
  }

  /** Adds (or replaces) a prompt. @since 0.1.0 */
  addPrompt(seed: SeedPrompt): StoredPrompt {
    if (seed.versions.length === 0) throw new Error(`BasaltEmulator: prompt "${seed.slug}" needs at least one version`)
    const prompt: StoredPrompt = {
      slug: seed.slug,
      name: seed.name ?? seed.slug,
      description: seed.description ?? null,
      status: seed.status ?? "live",
      featureSlugs: new Set(seed.featureSlugs ?? []),
      versions: seed.versions.map((version) => ({
        version: version.version,
        text: version.text,
        systemText: version.systemText ?? "",
        model: version.model ?? defaultModel,
        variables: version.variables ?? templateVariables(version.systemText ?? "", version.text)
      })),
      tags: new Map(Object.entries(seed.tags ?? {})),
      tagIds: new Map()
    }
    for (const [tag, version] of prompt.tags) {
      if (!prompt.versions.some((v) => v.version === version)) {
        throw new Error(`BasaltEmulator: prompt "${seed.slug}" tag "${tag}" names unknown version ${version}`)
      }
      prompt.tagIds.set(tag, this.uuid())
    }
    for (const feature of prompt.featureSlugs) this.features.add(feature)
    this.prompts.set(prompt.slug, prompt)
    return prompt
  }

  /** Adds (or replaces) a dataset. @since 0.1.0 */
  addDataset(seed: SeedDataset): StoredDataset {
    const dataset: StoredDataset = {
      slug: seed.slug,
      name: seed.name ?? seed.slug,
      columns: seed.columns.map((column) =>
        typeof column === "string"
          ? { name: column, type: "text", required: false }
          : { name: column.name, type: column.type ?? "text", required: column.required ?? false }
      ),
      rows: (seed.rows ?? []).map((row) => ({
        name: row.name ?? null,
        values: { ...row.values },
        idealOutput: row.idealOutput ?? null,
        metadata: row.metadata === undefined || row.metadata === null ? null : structuredClone({ ...row.metadata })
      }))
    }
    this.datasets.set(dataset.slug, dataset)
    return dataset
  }

  /** The traces whose `metadata` has `key` set to `value` (e.g. `promptops.traceId`). @since 0.1.0 */
  tracesWithMetadata(key: string, value: unknown): Array<StoredTrace> {
    return this.traces.filter((trace) => isRecord(trace.body["metadata"]) && trace.body["metadata"][key] === value)
  }
}
