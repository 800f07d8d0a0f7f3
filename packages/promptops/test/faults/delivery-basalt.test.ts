/**
 * Exactly-once delivery under faults, against the Basalt emulator (the suite
 * is `delivery.ts`; one file per vendor so the vendors run in parallel).
 */
import { deliverySuite } from "./delivery.js"
import { vendors } from "./harness.js"

deliverySuite(vendors.find((vendor) => vendor.name === "basalt")!)
