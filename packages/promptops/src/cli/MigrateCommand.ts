/**
 * `promptops migrate --from A --to B`: copies prompts (their latest version,
 * with the tags that point at it: Basalt's deployment tags, Braintrust's
 * environments, the local files' tags; a tag on an older version is named
 * with a `!` line and not copied) and datasets (every record, keeping record ids) from one backend to
 * another. A dry run by default: it prints what it would create or update.
 * `--apply` does it and writes an id map (source id → target id).
 *
 * Re-runs are idempotent: content is compared before anything is written,
 * so a second `--apply` creates nothing. A prompt whose latest target
 * version has the same messages, model and template format is left alone;
 * a record whose id (or, for backends that assign their own ids, whose
 * content) is already in the target dataset is too.
 *
 * Templates are converted only when they render the same: Braintrust stores
 * no `jinja` (Basalt's format), so a jinja prompt migrated to Braintrust
 * becomes `nunjucks` when every template in it renders the same there, and is
 * otherwise an error that lists what differs, before anything is written;
 * `--convert-templates` converts it anyway and prints each difference as a
 * warning.
 *
 * The two backends are never live at once: the source is read first with its
 * own layer, then the target is written with its own, so each side keeps its
 * own tracer and its own configuration. Reads never write: the source is
 * opened for reading, and so is the target in a dry run.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type { DatasetRecord, DatasetRecordInput } from "@promptops/core/Dataset"
import { Datasets } from "@promptops/core/Datasets"
import * as Json from "@promptops/core/Json"
import { formatDifferences, type Prompt, type TemplateFormat } from "@promptops/core/Prompt"
import * as PromptDiff from "@promptops/core/PromptDiff"
import { Prompts } from "@promptops/core/Prompts"
import * as PromptFile from "@promptops/local/PromptFile"
import { Chunk, Console, type Context, Effect, Option, Stream } from "effect"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import * as PromptOps from "../PromptOps.js"
import { type CliFailure, usage } from "./CliError.js"
import * as CliOptions from "./CliOptions.js"
import * as RemotePrompts from "./RemotePrompts.js"

/** @since 0.1.0 */
export type What = "prompts" | "datasets"

const allWhat: ReadonlyArray<What> = ["prompts", "datasets"]

/**
 * @since 0.1.0
 */
export const parseWhat = (text: string): Effect.Effect<ReadonlyArray<What>, CliFailure> => {
  const items = text.split(",").map((item) => item.trim()).filter((item) => item.length > 0)
  const unknown = items.filter((item) => !(allWhat as ReadonlyArray<string>).includes(item))
  if (items.length === 0 || unknown.length > 0) {
    return Effect.fail(usage(`--what takes a comma-separated list of ${allWhat.join(", ")}; got "${text}"`))
  }
  return Effect.succeed([...new Set(items as Array<What>)])
}

/** What the source holds. */
interface SourceData {
  readonly backend: Context.Tag.Service<PromptOps.Backend>
  readonly prompts: ReadonlyArray<RemotePrompts.RemotePrompt>
  readonly datasets: ReadonlyArray<{ readonly name: string; readonly records: ReadonlyArray<DatasetRecord> }>
}

const readSource = (what: ReadonlyArray<What>): Effect.Effect<SourceData, unknown, PromptOps.Services> =>
  Effect.gen(function*() {
    const backend = yield* PromptOps.Backend
    // Each prompt with its tags, its body from the listing where the listing holds it.
    const prompts = what.includes("prompts") ? yield* RemotePrompts.readAll : []
    const datasets: Array<{ name: string; records: ReadonlyArray<DatasetRecord> }> = []
    if (what.includes("datasets")) {
      const service = yield* Datasets
      for (const dataset of Chunk.toReadonlyArray(yield* Stream.runCollect(service.list()))) {
        const records = Chunk.toReadonlyArray(yield* Stream.runCollect(service.records(dataset.name)))
        datasets.push({ name: dataset.name, records })
      }
    }
    return { backend, prompts, datasets }
  })

/**
 * The plan for one prompt.
 *
 * @since 0.1.0
 */
export interface PromptPlan {
  readonly slug: string
  readonly sourceVersion: string
  readonly action: "create" | "update" | "unchanged"
  /** The target's latest version (before the migration), when there is one. */
  readonly targetVersion: string | undefined
  readonly changes: ReadonlyArray<PromptDiff.Change>
  /** The source's tags on its latest version, which go with it. */
  readonly tags: ReadonlyArray<string>
  /** Those of `tags` that do not point at the target's latest version yet. */
  readonly tagsToMove: ReadonlyArray<string>
}

/**
 * The plan for one dataset.
 *
 * @since 0.1.0
 */
export interface DatasetPlan {
  readonly name: string
  /** Records to insert: new ones, and changed ones under their own id. */
  readonly insert: ReadonlyArray<DatasetRecordInput & { readonly id: string }>
  readonly created: number
  readonly updated: number
  readonly unchanged: number
  /** Source record id → target record id, for the records already there. */
  readonly existing: Readonly<Record<string, string>>
}

const recordContent = (record: DatasetRecordInput): string =>
  Json.canonical({ input: record.input, expected: record.expected, metadata: record.metadata, tags: record.tags })

const toInput = (record: DatasetRecord): DatasetRecordInput & { readonly id: string } => ({
  id: record.id,
  input: record.input,
  ...(record.expected !== undefined ? { expected: record.expected } : {}),
  ...(record.metadata !== undefined ? { metadata: record.metadata } : {}),
  ...(record.tags !== undefined ? { tags: record.tags } : {})
})

/** The tags of a source prompt that point at its latest version, sorted. */
const latestTags = (prompt: RemotePrompts.RemotePrompt): ReadonlyArray<string> =>
  [...new Set(prompt.tagged.filter((tagged) => tagged.version === prompt.latest.version).map((tagged) => tagged.tag))]
    .sort()

const planPrompts = (
  prompts: ReadonlyArray<RemotePrompts.RemotePrompt>
): Effect.Effect<ReadonlyArray<PromptPlan>, unknown, PromptOps.Services> =>
  Effect.gen(function*() {
    const target = yield* Prompts
    const plans: Array<PromptPlan> = []
    for (const source of prompts) {
      const prompt = source.latest
      const tags = latestTags(source)
      const existing = yield* target.get(prompt.slug).pipe(
        Effect.map(Option.some),
        Effect.catchTag("NotFound", () => Effect.succeed(Option.none<Prompt>()))
      )
      if (Option.isNone(existing)) {
        plans.push({
          slug: prompt.slug,
          sourceVersion: prompt.version,
          action: "create",
          targetVersion: undefined,
          changes: [],
          tags,
          tagsToMove: tags
        })
        continue
      }
      const changes = PromptDiff.diff(existing.value, prompt)
      const tagsToMove = yield* RemotePrompts.tagsToMove(prompt.slug, tags, existing.value.version)
      plans.push({
        slug: prompt.slug,
        sourceVersion: prompt.version,
        action: changes.length === 0 && tagsToMove.length === 0 ? "unchanged" : "update",
        targetVersion: existing.value.version,
        changes,
        tags,
        tagsToMove
      })
    }
    return plans
  })

const planDatasets = (
  datasets: SourceData["datasets"]
): Effect.Effect<ReadonlyArray<DatasetPlan>, unknown, PromptOps.Services> =>
  Effect.gen(function*() {
    const target = yield* Datasets
    const plans: Array<DatasetPlan> = []
    for (const dataset of datasets) {
      const existing = Chunk.toReadonlyArray(
        yield* Stream.runCollect(target.records(dataset.name)).pipe(
          Effect.catchTag("NotFound", () => Effect.succeed(Chunk.empty<DatasetRecord>()))
        )
      )
      const byId = new Map(existing.map((record) => [record.id, record]))
      const byContent = new Map<string, string>()
      for (const record of existing) if (!byContent.has(recordContent(record))) byContent.set(recordContent(record), record.id)
      const insert: Array<DatasetRecordInput & { readonly id: string }> = []
      const mapped: Record<string, string> = {}
      let created = 0
      let updated = 0
      let unchanged = 0
      for (const record of dataset.records) {
        const content = recordContent(record)
        const sameId = byId.get(record.id)
        if (sameId !== undefined) {
          if (recordContent(sameId) === content) {
            unchanged++
            mapped[record.id] = record.id
          } else {
            updated++
            insert.push(toInput(record))
          }
          continue
        }
        // Backends that assign their own record ids: the same content is the same record.
        const sameContent = byContent.get(content)
        if (sameContent !== undefined) {
          unchanged++
          mapped[record.id] = sameContent
          continue
        }
        created++
        insert.push(toInput(record))
      }
      plans.push({ name: dataset.name, insert, created, updated, unchanged, existing: mapped })
    }
    return plans
  })

/**
 * The id map `--apply` writes.
 *
 * @since 0.1.0
 */
export interface IdMap {
  readonly from: { readonly provider: string; readonly location: string }
  readonly to: { readonly provider: string; readonly location: string }
  /** slug → source version and target version. */
  readonly prompts?: Record<string, { readonly sourceVersion: string; readonly targetVersion: string }>
  /** dataset name → source record id → target record id. */
  readonly datasets?: Record<string, { readonly records: Record<string, string> }>
}

const readIdMap = (path: string): Effect.Effect<Partial<IdMap>, CliFailure> =>
  Effect.suspend(() => {
    if (!NodeFs.existsSync(path)) return Effect.succeed({})
    try {
      const parsed: unknown = JSON.parse(NodeFs.readFileSync(path, "utf8"))
      return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
        ? Effect.succeed(parsed as Partial<IdMap>)
        : Effect.fail(usage(`--id-map: ${path} is not a JSON object; move it away or name another file`))
    } catch (error) {
      return Effect.fail(usage(`--id-map: ${path} is not valid JSON (${String(error)}); move it away or name another file`))
    }
  })

/** Replaces the file atomically (a temporary file renamed over it): a crash leaves the old map or the new one. */
const writeIdMap = (path: string, map: IdMap): Effect.Effect<void, CliFailure> =>
  Effect.try({
    try: () => {
      NodeFs.mkdirSync(NodePath.dirname(path), { recursive: true })
      const temporary = `${path}.${process.pid}.tmp`
      NodeFs.writeFileSync(temporary, `${JSON.stringify(map, null, 2)}\n`)
      NodeFs.renameSync(temporary, path)
    },
    catch: (error) => usage(`--id-map: cannot write ${path}: ${String(error)}`)
  })

/**
 * Merges `entries` into the id map under a cross-process lock (the prompt
 * files' lock, `.<file name>.lock` beside it), so two migrations applied at
 * once each keep their entries.
 */
const mergeIdMap = (
  path: string,
  entries: Pick<IdMap, "from" | "to"> & {
    readonly prompts: NonNullable<IdMap["prompts"]>
    readonly datasets: NonNullable<IdMap["datasets"]>
  }
) =>
  PromptFile.withLock(
    NodePath.dirname(path),
    NodePath.basename(path, ".json"),
    Effect.flatMap(readIdMap(path), (previous) =>
      writeIdMap(path, {
        from: entries.from,
        to: entries.to,
        prompts: { ...previous.prompts, ...entries.prompts },
        datasets: { ...previous.datasets, ...entries.datasets }
      }))
  )

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`

/** The format a prompt takes on a target that cannot store its own; `undefined` when it can. */
const storedFormat = (to: string, format: TemplateFormat): TemplateFormat | undefined =>
  to === "braintrust" && format === "jinja" ? "nunjucks" : undefined

/**
 * The source prompts as the target will store them: relabelled where the
 * target needs another format and every template renders the same; with
 * `convert`, relabelled anyway and each difference printed as a warning;
 * otherwise an error listing every difference.
 */
const convertPrompts = (
  prompts: ReadonlyArray<RemotePrompts.RemotePrompt>,
  to: string,
  convert: boolean
): Effect.Effect<ReadonlyArray<RemotePrompts.RemotePrompt>, CliFailure> =>
  Effect.gen(function*() {
    const out: Array<RemotePrompts.RemotePrompt> = []
    const problems: Array<string> = []
    // Only the latest version is written, so only it is converted.
    for (const source of prompts) {
      const prompt = source.latest
      const format = storedFormat(to, prompt.templateFormat)
      if (format === undefined) {
        out.push(source)
        continue
      }
      const differences = formatDifferences(prompt, format)
      if (differences.length > 0 && convert) {
        yield* Console.error(
          `warning: ${prompt.slug}: converted from ${prompt.templateFormat} to ${format}, which renders these differently:`
        )
        for (const difference of differences) yield* Console.error(`  ${difference}`)
      } else if (differences.length > 0) {
        for (const difference of differences) problems.push(`  ${prompt.slug}: ${difference}`)
      }
      out.push({ ...source, latest: { ...prompt, templateFormat: format } })
    }
    if (problems.length > 0) {
      return yield* Effect.fail(usage(
        `${to} stores no jinja templates (Basalt's format), and its nunjucks renders these differently:\n` +
          `${problems.join("\n")}\n` +
          `Rewrite those templates, or pass --convert-templates to convert them anyway (each difference is then a warning).`
      ))
    }
    return out
  })

/**
 * @since 0.1.0
 */
export const command = Command.make(
  "migrate",
  {
    from: Options.choice("from", PromptOps.providers).pipe(Options.withDescription("The backend to copy from.")),
    to: Options.choice("to", PromptOps.providers).pipe(Options.withDescription("The backend to copy to.")),
    what: Options.text("what").pipe(
      Options.withDescription("What to copy: prompts, datasets, or both (comma-separated)."),
      Options.withDefault("prompts,datasets")
    ),
    apply: Options.boolean("apply").pipe(
      Options.withDescription("Write to the target (without it: a dry run that only prints the plan).")
    ),
    convertTemplates: Options.boolean("convert-templates").pipe(
      Options.withDescription(
        "Convert a template the target cannot store (jinja to Braintrust) even when it renders differently there, warning about each difference."
      )
    ),
    idMap: Options.text("id-map").pipe(
      Options.withDescription("Where --apply writes the id map (default promptops-id-map.<from>-<to>.json)."),
      Options.optional
    )
  },
  (args) =>
    Effect.gen(function*() {
      const what = yield* parseWhat(args.what)
      if (args.from === args.to) {
        return yield* Effect.fail(usage(`--from and --to both name ${args.from}: migrate copies between two backends`))
      }
      const idMapPath = NodePath.resolve(Option.getOrElse(args.idMap, () => `promptops-id-map.${args.from}-${args.to}.json`))
      if (args.apply) yield* readIdMap(idMapPath) // a bad file is reported before anything is written

      // The source is only read; the target too in a dry run (a target with nothing yet plans every item as a
      // create, and nothing — no local store, no vendor project — is created until --apply).
      const source = yield* CliOptions.withReadBackend(Option.some(args.from), readSource(what))
      yield* CliOptions.withBackend(
        Option.some(args.to),
        Effect.gen(function*() {
          const target = yield* PromptOps.Backend
          const mode = args.apply ? "" : " (dry run: nothing is written; add --apply to do it)"
          yield* Console.log(`migrate ${args.from} → ${args.to}${mode}`)
          yield* Console.log(`  from ${source.backend.location}`)
          yield* Console.log(`  to   ${target.location}`)
          const registry = what.includes("prompts") ? yield* PromptOps.registry : undefined
          // "3 records created" once applied, "3 records to create" in a dry run.
          const verb = (action: "create" | "update") =>
            args.apply ? (action === "create" ? "created" : "updated") : `to ${action}`

          const promptMap: Record<string, { sourceVersion: string; targetVersion: string }> = {}
          let promptsCreated = 0
          let promptsUpdated = 0
          const prompts = registry !== undefined
            ? yield* convertPrompts(source.prompts, args.to, args.convertTemplates)
            : source.prompts
          if (registry !== undefined) {
            const plans = yield* planPrompts(prompts)
            yield* Console.log(`prompts (${plans.length}):`)
            for (const plan of plans) {
              if (plan.action === "unchanged") {
                promptMap[plan.slug] = { sourceVersion: plan.sourceVersion, targetVersion: plan.targetVersion! }
                yield* Console.log(`  = ${plan.slug}  unchanged (target version ${plan.targetVersion})`)
                continue
              }
              let targetVersion = "(new)"
              if (args.apply) {
                const source_ = prompts.find((prompt) => prompt.latest.slug === plan.slug)!.latest
                const draft = PromptDiff.toDraft(source_)
                // The tags on the source's latest version go with it (Braintrust: environments).
                const pushed = yield* registry.push(plan.tags.length > 0 ? { ...draft, tags: plan.tags } : draft)
                targetVersion = pushed.version
                promptMap[plan.slug] = { sourceVersion: plan.sourceVersion, targetVersion }
              }
              if (plan.action === "create") promptsCreated++
              else promptsUpdated++
              const mark = plan.action === "create" ? "+" : "~"
              const detail = args.apply ? ` → version ${targetVersion}` : ""
              const tags = plan.tags.length > 0 ? ` (tags ${plan.tags.join(", ")})` : ""
              yield* Console.log(`  ${mark} ${plan.slug}  ${verb(plan.action)} from version ${plan.sourceVersion}${detail}${tags}`)
              for (const change of plan.changes) yield* Console.log(PromptDiff.formatChange(change, "      "))
              if (plan.action === "update" && plan.tagsToMove.length > 0) {
                yield* Console.log(`      tags: + ${plan.tagsToMove.join(", ")}`)
              }
            }
            // Tags on older source versions stay behind: only the latest version is written.
            for (const source of prompts) {
              const older = source.tagged.filter((tagged) => tagged.version !== source.latest.version)
              for (const tagged of older) {
                yield* Console.log(
                  `  ! ${source.latest.slug}  tag ${tagged.tag} (version ${tagged.version}) not migrated: ` +
                    `only the latest version (${source.latest.version}) is copied, with the tags that point at it`
                )
              }
            }
          }

          const datasetMap: Record<string, { records: Record<string, string> }> = {}
          let recordsCreated = 0
          let recordsUpdated = 0
          if (what.includes("datasets")) {
            const plans = yield* planDatasets(source.datasets)
            yield* Console.log(`datasets (${plans.length}):`)
            for (const plan of plans) {
              const records: Record<string, string> = { ...plan.existing }
              if (args.apply && plan.insert.length > 0) {
                const ids = yield* (yield* Datasets).insert(plan.name, plan.insert)
                plan.insert.forEach((record, index) => (records[record.id] = ids[index] ?? record.id))
              }
              datasetMap[plan.name] = { records }
              recordsCreated += plan.created
              recordsUpdated += plan.updated
              const mark = plan.insert.length === 0 ? "=" : plan.unchanged === 0 && plan.updated === 0 ? "+" : "~"
              const parts = [
                ...(plan.created > 0 ? [`${plural(plan.created, "record")} ${verb("create")}`] : []),
                ...(plan.updated > 0 ? [`${plural(plan.updated, "record")} ${verb("update")}`] : []),
                ...(plan.unchanged > 0 ? [`${plural(plan.unchanged, "record")} unchanged`] : [])
              ]
              yield* Console.log(`  ${mark} ${plan.name}  ${parts.length === 0 ? "empty" : parts.join(", ")}`)
            }
          }

          const totals = `${plural(promptsCreated, "prompt")} ${verb("create")}, ${promptsUpdated} ${verb("update")}; ` +
            `${plural(recordsCreated, "record")} ${verb("create")}, ${recordsUpdated} ${verb("update")}`
          if (!args.apply) {
            yield* Console.log(`dry run: ${totals}`)
            return
          }
          yield* mergeIdMap(idMapPath, {
            from: { provider: source.backend.provider, location: source.backend.location },
            to: { provider: target.provider, location: target.location },
            prompts: promptMap,
            datasets: datasetMap
          })
          yield* Console.log(`done: ${totals}`)
          yield* Console.log(`id map: ${idMapPath}`)
        }),
        { access: args.apply ? "write" : "read" }
      )
    })
).pipe(
  Command.withDescription(
    "Copy prompts and datasets from one backend to another (a dry run unless --apply). Re-runs create nothing twice."
  )
)
