/**
 * Braintrust's SDK (`braintrust` 3.35.0) with its nunjucks plugin
 * (`@braintrust/templates-nunjucks-js` 1.0.0) registered, as a Braintrust user
 * sets it up, and small wrappers that turn its throws into values.
 */
import { nunjucksPlugin } from "@braintrust/templates-nunjucks-js"
import { Prompt as SdkPrompt, registerTemplatePlugin, renderTemplateContent } from "braintrust"

registerTemplatePlugin(nunjucksPlugin)

export type Outcome<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: string }

const attempt = <A>(f: () => A): Outcome<A> => {
  try {
    return { ok: true, value: f() }
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) }
  }
}

/** The escape `Prompt.build` hands the renderers: strings as they are, anything else as JSON. */
const escape = (value: unknown): string => {
  if (value === undefined) throw new Error("Missing!")
  return typeof value === "string" ? value : JSON.stringify(value)
}

/** One template, through the SDK's renderer registry, with the variables `build` would give it. */
export const renderTemplate = (
  template: string,
  variables: Record<string, unknown>,
  format: "mustache" | "nunjucks",
  strict: boolean
): Outcome<string> =>
  attempt(() =>
    renderTemplateContent(template, { input: variables, ...variables }, escape, { templateFormat: format, strict })
  )

/** A stored prompt (`prompt_data`), built by the SDK's `Prompt.build`. */
export const build = (
  promptData: Record<string, unknown>,
  args: unknown,
  strict: boolean,
  flavor: "chat" | "completion" = "chat"
): Outcome<Record<string, unknown>> =>
  attempt(() => {
    const prompt = new SdkPrompt(
      {
        id: "00000000-0000-4000-8000-000000000001",
        _xact_id: "1000192656880881099",
        project_id: "00000000-0000-4000-8000-000000000002",
        name: "parity",
        slug: "parity",
        prompt_data: promptData
      } as never,
      {},
      true // no tracing metadata in the result
    )
    return prompt.build(args as never, { strict, flavor }) as unknown as Record<string, unknown>
  })
