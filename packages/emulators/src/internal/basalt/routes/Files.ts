/**
 * `POST /files/generate-upload-url`: an upload slot on the emulator's upload server (see Uploads.ts).
 */
import { randomBytes } from "node:crypto"
import { json, type Route } from "../../../EmulatorServer.js"
import type { ExtraOperationInput } from "../../../OpenApiValidator.js"
import type { BasaltDeps } from "../Context.js"
import { fail } from "../Errors.js"


/**
 * `POST /files/generate-upload-url`, which the OpenAPI file does not list: the shapes both SDKs use.
 *
 * @since 0.1.0
 */
export const generateUploadUrlOperation: ExtraOperationInput = {
  method: "POST",
  path: "/files/generate-upload-url",
  operationId: "generateUploadUrl",
  requestBody: {
    required: true,
    schema: {
      type: "object",
      properties: {
        fileName: { type: "string", minLength: 1 },
        contentType: { type: "string", minLength: 1 },
        sizeBytes: { type: "integer", minimum: 0 }
      },
      required: ["fileName", "contentType"]
    }
  },
  responses: {
    "200": {
      schema: {
        type: "object",
        properties: {
          uploadUrl: { type: "string" },
          fileKey: { type: "string" },
          expiresAt: { type: "string" },
          maxSizeBytes: { type: "number" }
        },
        required: ["uploadUrl", "fileKey", "expiresAt", "maxSizeBytes"]
      }
    },
    "400": { schema: { type: "object", properties: { error: { type: "string" } }, required: ["error"] } }
  }
}

export const fileRoutes = (deps: BasaltDeps): ReadonlyArray<Route> => {
  const { store } = deps
  return [
    {
      method: "POST",
      path: "/files/generate-upload-url",
      write: true,
      handle: (context) => {
        const body = context.body as { fileName: string; contentType: string; sizeBytes?: number }
        if (body.sizeBytes !== undefined && body.sizeBytes > deps.maxUploadBytes) {
          fail(context, 400, `File too large: ${body.sizeBytes} bytes (at most ${deps.maxUploadBytes})`)
        }
        const token = randomBytes(12).toString("hex")
        const fileKey = `files/${store.uuid()}-${body.fileName.replace(/[^A-Za-z0-9._-]/g, "_")}`
        const expiresAt = store.now() + deps.uploadTtlMs
        store.uploads.set(token, {
          token,
          fileKey,
          fileName: body.fileName,
          contentType: body.contentType,
          maxSizeBytes: deps.maxUploadBytes,
          expiresAt
        })
        const signature = randomBytes(16).toString("hex")
        return json({
          uploadUrl: `${deps.uploadBase}/uploads/${token}?X-Amz-Expires=${Math.floor(deps.uploadTtlMs / 1000)}&X-Amz-Signature=${signature}`,
          fileKey,
          expiresAt: new Date(expiresAt).toISOString(),
          maxSizeBytes: deps.maxUploadBytes
        })
      }
    }
  ]
}
