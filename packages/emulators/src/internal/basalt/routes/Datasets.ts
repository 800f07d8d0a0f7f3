/**
 * `/datasets`: list, get by slug, add a row (201; unknown columns dropped with a warning, file columns checked).
 */
import { json, type Route } from "../../../EmulatorServer.js"
import type { BasaltDeps } from "../Context.js"
import { fail } from "../Errors.js"
import { messages } from "../Resolution.js"
import { resourceRoutes } from "../../Resources.js"
import type { StoredDataset, StoredDatasetRow } from "../Store.js"

export const datasetRoutes = (deps: BasaltDeps): ReadonlyArray<Route> => {
  const { store } = deps
  return [
    {
      method: "GET",
      path: "/datasets",
      write: false,
      handle: () =>
        json({
          datasets: [...store.datasets.values()].map((dataset) => ({
            slug: dataset.slug,
            name: dataset.name,
            columns: dataset.columns.map((column) => ({ name: column.name, type: column.type }))
          }))
        })
    },
    ...resourceRoutes<StoredDataset>({
      path: "/datasets/{slug}",
      idParam: "slug",
      require: (context, slug) => store.datasets.get(slug) ?? fail(context, 404, messages.datasetNotFound),
      view: (dataset) => ({
        dataset: {
          slug: dataset.slug,
          name: dataset.name,
          columns: dataset.columns.map((column) => ({ name: column.name, type: column.type })),
          rows: dataset.rows.map((row) => ({
            values: row.values,
            idealOutput: row.idealOutput,
            metadata: row.metadata
          }))
        }
      })
    }),
    {
      method: "POST",
      path: "/datasets/{slug}/items",
      write: true,
      handle: (context) => {
        const slug = String(context.params["slug"])
        const body = context.body as {
          values: Record<string, string>
          name?: string | null
          idealOutput?: string | null
          metadata?: Record<string, unknown> | null
        }
        let dataset = store.datasets.get(slug)
        if (dataset === undefined) {
          if (!deps.autoCreateDatasets) return fail(context, 404, messages.datasetNotFound)
          dataset = store.addDataset({ slug, columns: Object.keys(body.values) })
        }
        const known = new Set(dataset.columns.map((column) => column.name))
        const dropped = Object.keys(body.values).filter((column) => !known.has(column))
        const missing = dataset.columns.filter((column) => column.required && !(column.name in body.values))
        if (missing.length > 0) {
          fail(context, 400, `Missing required columns: ${missing.map((column) => column.name).join(", ")}`)
        }
        const values: Record<string, string> = {}
        for (const column of dataset.columns) {
          const value = body.values[column.name]
          if (value === undefined) continue
          if ((column.type === "file" || column.type === "image") && !store.files.has(value)) {
            fail(context, 400, `The value of column "${column.name}" is not the key of an uploaded file`)
          }
          values[column.name] = value
        }
        const row: StoredDatasetRow = {
          name: body.name ?? null,
          values,
          idealOutput: body.idealOutput ?? null,
          metadata: body.metadata ?? null
        }
        dataset.rows.push(row)
        return json({
          ...(dropped.length > 0 ? { warning: messages.droppedColumns(dropped) } : {}),
          datasetRow: row
        }, { status: 201 })
      }
    }
  ]
}
