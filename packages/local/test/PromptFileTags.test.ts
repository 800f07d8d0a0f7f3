/**
 * Tags through a prompt file: a pull merges the backend's versions and tags
 * into the file already there, and a push moves every tag of the draft.
 */
import { assert, describe, it } from "@effect/vitest"
import type { PromptDraft } from "@promptops/core/Prompt"
import * as PromptFile from "../src/PromptFile.js"

const version = (id: string, text: string): PromptFile.PromptVersion => ({
  version: id,
  templateFormat: "mustache",
  messages: [{ role: "user", content: text }]
})

const file = (versions: ReadonlyArray<PromptFile.PromptVersion>, tags: Record<string, string>): PromptFile.PromptFile => ({
  slug: "greeting",
  tags,
  versions
})

describe("PromptFile.mergePulled", () => {
  it("a new file is the pulled one", () => {
    const pulled = file([version("10", "a"), version("20", "b")], { staging: "10", production: "20" })
    assert.deepStrictEqual(PromptFile.mergePulled(undefined, pulled), { file: pulled, changed: true })
  })

  it("the same content under the backend's ids adds nothing: the tags point at the file's versions", () => {
    const existing = file([version("1", "a"), version("2", "b")], {})
    const pulled = file([version("10", "a"), version("20", "b")], { staging: "10", production: "20" })
    const merged = PromptFile.mergePulled(existing, pulled)
    assert.isTrue(merged.changed)
    assert.deepStrictEqual(merged.file.versions, existing.versions)
    assert.deepStrictEqual(merged.file.tags, { staging: "1", production: "2" })
    // Merged again: nothing left to change.
    assert.isFalse(PromptFile.mergePulled(merged.file, pulled).changed)
  })

  it("a new older version goes before the file's latest, which stays latest; a new latest goes last", () => {
    const existing = file([version("1", "a")], { production: "1" })
    const olderOnly = PromptFile.mergePulled(existing, file([version("5", "old"), version("9", "a")], { staging: "5" }))
    assert.deepStrictEqual(olderOnly.file.versions.map((entry) => entry.version), ["5", "1"])
    assert.deepStrictEqual(olderOnly.file.tags, { production: "1", staging: "5" })
    const newLatest = PromptFile.mergePulled(existing, file([version("5", "old"), version("9", "new")], { production: "9" }))
    assert.deepStrictEqual(newLatest.file.versions.map((entry) => entry.version), ["1", "5", "9"])
    assert.deepStrictEqual(newLatest.file.tags, { production: "9" })
  })

  it("a reverted latest is a new version, not the older one with the same content", () => {
    const existing = file([version("1", "a"), version("2", "b")], {})
    const merged = PromptFile.mergePulled(existing, file([version("30", "a")], {}))
    assert.deepStrictEqual(merged.file.versions.map((entry) => entry.version), ["1", "2", "30"])
  })

  it("keeps the file's own tags and takes the pulled name and description", () => {
    const existing = { ...file([version("1", "a")], { mine: "1" }), name: "Old" }
    const merged = PromptFile.mergePulled(existing, { ...file([version("1", "a")], {}), name: "New", description: "D" })
    assert.deepStrictEqual(merged.file.tags, { mine: "1" })
    assert.strictEqual(merged.file.name, "New")
    assert.strictEqual(merged.file.description, "D")
  })
})

describe("PromptFile.addVersion with tags", () => {
  const draft: PromptDraft = {
    slug: "greeting",
    templateFormat: "mustache",
    messages: [{ role: "user", content: "a" }],
    tag: "production",
    tags: ["canary", "production"]
  }

  it("moves `tag` and every one of `tags` to the stored version", () => {
    const result = PromptFile.addVersion(undefined, draft)
    assert.deepStrictEqual(result.file.tags, { canary: "1", production: "1" })
    // The same draft again: nothing new.
    assert.isFalse(PromptFile.addVersion(result.file, draft).changed)
  })

  it("a tag missing from the latest version is a change without a new version", () => {
    const first = PromptFile.addVersion(undefined, { ...draft, tag: undefined, tags: ["canary"] }).file
    const again = PromptFile.addVersion(first, draft)
    assert.isTrue(again.changed)
    assert.isFalse(again.created)
    assert.deepStrictEqual(again.file.tags, { canary: "1", production: "1" })
  })
})
