/**
 * What every Braintrust route handler gets.
 */
import type { OpenApiValidator } from "../../OpenApiValidator.js"
import type { BraintrustStore } from "./Store.js"

export interface ApiKey {
  readonly key: string
  readonly readOnly: boolean
}

export interface BraintrustDeps {
  readonly store: BraintrustStore
  readonly validator: OpenApiValidator
  /** Base of the UI links in summaries (`https://www.braintrust.dev`). */
  readonly appUrl: string
  /** Shown in the `[user_email=…]` suffix of 400 messages. */
  readonly userEmail: string
  readonly apiKeys: ReadonlyArray<ApiKey>
}
