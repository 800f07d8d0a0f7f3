// The prompt both prompt-fetch clients load, seeded through the documented API
// before the emulator is slowed down.
import { EMULATOR_KEY } from "./compare.mjs"

export const PROJECT = "bench-prompts"
export const SLUG = "support-answer"

export const seedPrompt = async (emulator) => {
  const headers = { authorization: `Bearer ${EMULATOR_KEY}`, "content-type": "application/json" }
  const post = async (path, body) => {
    const response = await fetch(`${emulator.url}${path}`, { method: "POST", headers, body: JSON.stringify(body) })
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`)
    return response.json()
  }
  const project = await post("/v1/project", { name: PROJECT })
  await post("/v1/prompt", {
    project_id: project.id,
    name: "Support answer",
    slug: SLUG,
    prompt_data: {
      prompt: {
        type: "chat",
        messages: [
          { role: "system", content: "You answer support questions for {{product}}. Be brief." },
          { role: "user", content: "{{question}}" }
        ]
      },
      options: { model: "gpt-4o-mini", params: { temperature: 0 } }
    }
  })
}
