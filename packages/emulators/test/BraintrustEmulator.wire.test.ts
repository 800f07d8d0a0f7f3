/**
 * Issue 11 point 7, the emulator's side of the wire: it refuses (400, as the real API) a query value the OpenAPI
 * file forbids, and renders inline prompts as Braintrust does: the `mustache` package with Braintrust's escape
 * (standalone tags, comments and delimiter changes included), and nunjucks with HTML autoescape.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as BraintrustEmulator from "../src/BraintrustEmulator.js"
import { type Client, client } from "./helpers.js"

let handle: BraintrustEmulator.BraintrustEmulatorHandle
let api: Client
let projectId: string

beforeAll(async () => {
  handle = await BraintrustEmulator.start({ apiKeys: ["test-key"] })
  api = client(handle)
  projectId = (await api.post("/v1/project", { name: "wire" })).body.id
})

afterAll(async () => {
  await handle.close()
})

const uuid = "aaaaaaaa-aaaa-4aaa-8aaa-000000000001"

describe("uuid query parameters", () => {
  it("a non-uuid project_id, cursor or id is a 400 naming the parameter; uuids pass", async () => {
    const cases: ReadonlyArray<readonly [string, Record<string, string | ReadonlyArray<string>>, string]> = [
      ["/v1/experiment", { project_id: "nope" }, "project_id"],
      ["/v1/dataset", { starting_after: "nope" }, "starting_after"],
      ["/v1/prompt", { ending_before: "nope" }, "ending_before"],
      ["/v1/project", { ids: "nope" }, "ids"],
      ["/v1/function", { ids: [uuid, "nope"] }, "ids/1"],
      ["/environment", { ids: ["nope"] }, "ids"]
    ]
    for (const [path, query, parameter] of cases) {
      const response = await api.get(path, { query })
      assert.strictEqual(response.status, 400, `${path} ${JSON.stringify(query)}`)
      assert.strictEqual(response.body.Code, "BadRequestError")
      assert.include(response.body.Message, `query/${parameter} must match format \\"uuid\\"`)
    }
    const fine = await api.get("/v1/experiment", { query: { project_id: projectId, ids: [uuid, uuid] } })
    assert.strictEqual(fine.status, 200)
    assert.deepStrictEqual(fine.body.objects, [])
    // The refused requests are the client's fault: no contract violation on the emulator's side.
    assert.deepStrictEqual(handle.violations, [])
  })
})

/** Invokes an inline prompt function whose one user message is `template`; the emulator answers with its text. */
const render = async (
  template: string,
  input: Record<string, unknown>,
  options: { readonly format?: string; readonly strict?: boolean } = {}
): Promise<{ readonly status: number; readonly text: string }> => {
  const created = await api.post("/v1/function", {
    project_id: projectId,
    name: `render ${crypto.randomUUID()}`,
    slug: `render-${crypto.randomUUID()}`,
    function_data: { type: "prompt" },
    prompt_data: {
      prompt: { type: "chat", messages: [{ role: "user", content: template }] },
      options: { model: "gpt-4o-mini" },
      ...(options.format !== undefined ? { template_format: options.format } : {})
    }
  })
  assert.strictEqual(created.status, 200, created.text)
  const out = await api.post(`/v1/function/${created.body.id}/invoke`, {
    input,
    ...(options.strict !== undefined ? { strict: options.strict } : {})
  })
  return { status: out.status, text: out.status === 200 ? out.body : out.body.Message }
}

describe("inline prompts render as Braintrust renders them", () => {
  it("mustache: standalone section lines, comments and delimiter changes as the mustache package", async () => {
    assert.strictEqual((await render("{{#items}}\n- {{.}}\n{{/items}}\n", { items: ["a", "b"] })).text, "- a\n- b\n")
    assert.strictEqual((await render("A {{! a comment }}B\n{{! standalone }}\nC", {})).text, "A B\nC")
    assert.strictEqual((await render("{{=<% %>=}}\nHi <%name%> {{name}}", { name: "Ada" })).text, "Hi Ada {{name}}")
    assert.strictEqual((await render("{{^none}}\nempty\n{{/none}}\n", { none: [] })).text, "empty\n")
  })

  it("mustache: Braintrust's escape (strings verbatim, others JSON), raw tags as mustache, no HTML escaping", async () => {
    const input = { html: "<b>Tom & \"Jerry\"</b>", obj: { a: 1 }, list: [1, "x"], n: 5, flag: true, nothing: null }
    assert.strictEqual(
      (await render("{{html}}|{{obj}}|{{list}}|{{n}}|{{flag}}|{{nothing}}|{{{obj}}}|{{& html}}", input)).text,
      "<b>Tom & \"Jerry\"</b>|{\"a\":1}|[1,\"x\"]|5|true||[object Object]|<b>Tom & \"Jerry\"</b>"
    )
    assert.strictEqual((await render("{{input.obj.a}} {{list.1}}", input)).text, "1 x")
  })

  it("mustache strict mode: Braintrust's lint of the top-level variables", async () => {
    const missing = await render("Hi {{name}} {{profile.age}}", { name: "Ada", profile: {} }, { strict: true })
    assert.strictEqual(missing.status, 400)
    assert.include(missing.text, "Variable 'profile.age' does not exist.")
    // As in the SDK, a path whose parent is missing reads as `null`, which the lint counts as present.
    assert.deepStrictEqual(await render("Hi {{name}} {{profile.age}}", { name: "Ada" }, { strict: true }), {
      status: 200,
      text: "Hi Ada "
    })
    // The lint reads `items.3` as `items.0`, and does not look inside sections.
    const lenient = await render("{{items.3}}{{#items}}{{nope}}{{/items}}", { items: ["a"] }, { strict: true })
    assert.deepStrictEqual(lenient, { status: 200, text: "" })
    const unclosed = await render("{{#open}}x", {}, {})
    assert.strictEqual(unclosed.status, 400)
    assert.include(unclosed.text, "Unclosed section")
  })

  it("nunjucks: HTML autoescape, block newlines, loops over nothing, raw blocks; strict fails on undefined", async () => {
    const format = "nunjucks"
    assert.strictEqual(
      (await render("Say {{ html }}", { html: "<b>Tom & \"Jerry\"</b>" }, { format })).text,
      "Say &lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;"
    )
    assert.strictEqual((await render("{{ q }}", { q: "It's 5 > 3" }, { format })).text, "It&#39;s 5 &gt; 3")
    assert.strictEqual(
      (await render("{% for i in items %}\n- {{ i }}\n{% endfor %}\n{{ obj }} {{ list }}", {
        items: [1, 2],
        obj: { a: 1 },
        list: ["a", "b"]
      }, { format })).text,
      "\n- 1\n\n- 2\n\n[object Object] a,b"
    )
    assert.strictEqual((await render("[{% for x in nothing %}{{ x }}{% endfor %}]", {}, { format })).text, "[]")
    assert.strictEqual((await render("{% raw %}{{ kept }}{% endraw %}", {}, { format })).text, "{{ kept }}")
    const strict = await render("Hi {{ who }}", {}, { format, strict: true })
    assert.strictEqual(strict.status, 400)
    const code = await render("{{ range.constructor(\"return 1\")() }}", {}, { format })
    assert.strictEqual(code.status, 400)
    assert.include(code.text, "constructor")
    assert.deepStrictEqual(handle.violations, [])
  })
})
