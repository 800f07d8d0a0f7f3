import { mergeConfig } from "vitest/config"
import shared from "../vitest.shared.js"

// The parity tests run Braintrust's SDK (a dev dependency of this workspace) side by side with promptops.
export default mergeConfig(shared, {})
