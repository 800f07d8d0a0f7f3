/**
 * `/v1/project`, and the configured project resolved once per name: with a
 * write (get-or-create) or a read (lookup, never creating it).
 */
import { NotFound, type PromptOpsError } from "@promptops/core/PromptOpsError"
import { Effect } from "effect"
import type { ProjectsApi } from "../BraintrustClient.js"
import { CreateProject, ListProjectsQuery, Project } from "../BraintrustSchema.js"
import { fail, objectId, opName, provider, type Requests } from "./request.js"

/** The projects group, and the project resolution the neutral services use. */
export interface Projects {
  readonly projects: ProjectsApi
  readonly resolveProject: (name?: string) => Effect.Effect<Project, PromptOpsError>
  readonly findProject: (name?: string) => Effect.Effect<Project, PromptOpsError>
}

/** `project` and `orgName` are the client's trimmed settings. */
export const makeProjects = (
  { created, getJson, list }: Requests,
  { orgName, project }: { readonly project: string | undefined; readonly orgName: string | undefined }
): Effect.Effect<Projects> =>
  Effect.gen(function*() {
    const projectList = list("projects.list", "/v1/project", ListProjectsQuery, Project)
    const projects: ProjectsApi = {
      create: (body) =>
        Effect.map(
          created("projects.create", "POST", "/v1/project", CreateProject, body, Project),
          ({ foundExisting, value }) => ({ project: value, foundExisting })
        ),
      get: (id) =>
        Effect.flatMap(objectId("projects.get", "projectId", id), (valid) =>
          getJson("projects.get", `/v1/project/${valid}`, Project)),
      list: projectList.one,
      stream: projectList.stream
    }

    // Both resolutions share one cache: a project found or created once exists for either.
    const projectCache = new Map<string, Project>()
    const projectLock = yield* Effect.makeSemaphore(1)
    const cachedProject = (
      operation: string,
      name: string | undefined,
      resolve: (wanted: string) => Effect.Effect<Project, PromptOpsError>
    ): Effect.Effect<Project, PromptOpsError> =>
      Effect.suspend(() => {
        const wanted = name?.trim() || project
        if (wanted === undefined) {
          return fail(
            operation,
            "project",
            "no Braintrust project is configured: set the `project` option (e.g. from BRAINTRUST_PROJECT)"
          )
        }
        const hit = projectCache.get(wanted)
        if (hit !== undefined) return Effect.succeed(hit)
        // One request per name, however many callers race for it.
        return projectLock.withPermits(1)(
          Effect.suspend(() => {
            const again = projectCache.get(wanted)
            if (again !== undefined) return Effect.succeed(again)
            return resolve(wanted).pipe(Effect.tap((resolved) => Effect.sync(() => projectCache.set(wanted, resolved))))
          })
        )
      })

    const resolveProject = (name?: string): Effect.Effect<Project, PromptOpsError> =>
      cachedProject("resolveProject", name, (wanted) =>
        Effect.map(
          projects.create({ name: wanted, ...(orgName !== undefined ? { org_name: orgName } : {}) }),
          ({ project: resolved }) => resolved
        ))

    // A miss is not cached: a later write may create the project.
    const findProject = (name?: string): Effect.Effect<Project, PromptOpsError> =>
      cachedProject("findProject", name, (wanted) =>
        Effect.flatMap(
          projects.list({ project_name: wanted, ...(orgName !== undefined ? { org_name: orgName } : {}) }),
          (found): Effect.Effect<Project, PromptOpsError> => {
            const match = found.find((candidate) => candidate.name === wanted)
            return match !== undefined
              ? Effect.succeed(match)
              : Effect.fail(
                new NotFound({
                  provider,
                  operation: opName("findProject"),
                  description: `Braintrust project "${wanted}" does not exist${
                    orgName !== undefined ? ` in organization "${orgName}"` : ""
                  }: check the project name (BRAINTRUST_PROJECT); reads never create a project, only writes do`,
                  resource: `project "${wanted}"`
                })
              )
          }
        ))

    return { projects, resolveProject, findProject }
  })
