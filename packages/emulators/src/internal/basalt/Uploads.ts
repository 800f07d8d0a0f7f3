/**
 * The upload server (S3's role): a second loopback server that takes one `PUT` of a file's bytes on the URL
 * `POST /files/generate-upload-url` handed out, answering S3's XML errors.
 */
import { randomBytes } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { Faults } from "../../Faults.js"
import type { BasaltStore, UploadRequest } from "./Store.js"

const s3Error = (res: ServerResponse, status: number, code: string, message: string): void => {
  res.writeHead(status, { "content-type": "application/xml" })
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`)
}

const readBytes = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

export const startUploadServer = (
  store: BasaltStore,
  faults: Faults,
  sleep: (ms: number) => Promise<void>,
  requests: Array<UploadRequest>,
  host: string
): Promise<{ readonly url: string; readonly close: () => Promise<void> }> => {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const bytes = await readBytes(req)
    const url = new URL(req.url ?? "/", "http://upload.invalid")
    const captured: UploadRequest = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, bytes: bytes.length, status: undefined }
    requests.push(captured)
    const reply = (status: number, code: string, message: string) => {
      captured.status = status
      s3Error(res, status, code, message)
    }
    const fault = faults.next({ method: captured.method, path: url.pathname, bodyBytes: bytes.length })
    if (fault?.kind === "reset") {
      req.socket.destroy()
      return
    }
    if (fault?.kind === "status") return reply(fault.status, "ServiceUnavailable", "Injected fault")
    if (fault?.kind === "payloadTooLarge") return reply(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
    if (fault?.kind === "delay") await sleep(fault.ms)

    const m = /^\/uploads\/([0-9a-f]+)$/.exec(url.pathname)
    if (captured.method !== "PUT" || m === null) return reply(405, "MethodNotAllowed", "Only PUT to an upload URL")
    if (req.headers.authorization !== undefined) {
      return reply(400, "InvalidArgument", "Only one auth mechanism allowed; the upload URL is already signed")
    }
    const slot = store.uploads.get(m[1]!)
    if (slot === undefined || !url.searchParams.has("X-Amz-Signature")) {
      return reply(403, "AccessDenied", "The upload URL is not valid")
    }
    if (store.now() > slot.expiresAt) return reply(403, "AccessDenied", "Request has expired")
    if ((req.headers["content-type"] ?? "") !== slot.contentType) {
      return reply(403, "SignatureDoesNotMatch", "The Content-Type does not match the one the URL was signed for")
    }
    if (bytes.length > slot.maxSizeBytes) return reply(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
    store.files.set(slot.fileKey, {
      fileKey: slot.fileKey,
      fileName: slot.fileName,
      contentType: slot.contentType,
      bytes: new Uint8Array(bytes),
      uploadedAt: store.now()
    })
    captured.status = 200
    res.writeHead(200, { etag: `"${randomBytes(8).toString("hex")}"` })
    res.end()
  }
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) s3Error(res, 500, "InternalError", "upload failed")
    })
  })
  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, host, () => {
      server.off("error", reject)
      const address = server.address() as AddressInfo
      let closed: Promise<void> | undefined
      resolve({
        url: `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`,
        close: () => {
          closed ??= new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          })
          return closed
        }
      })
    })
  })
}
