// The two ends of an HTTP server's life that the daemon's servers (the local
// API, metrics, the container and npm registries) share: listening, with the
// address actually bound as a URL, and closing, which ends keep-alive and
// streaming connections too (server.close() alone waits for them); and an
// error answer that does not race the client's upload of its body.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** Listens on host:port (0: any free port) and resolves with `http://host:port` as bound. */
export async function listenHttp (server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  })
  const bound = server.address() as AddressInfo
  return `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`
}

/** Stops accepting and closes every connection, idle or not; resolves once the server is closed. */
export async function closeHttp (server: Server): Promise<void> {
  await new Promise<void>(resolve => {
    server.close(() => { resolve() })
    server.closeAllConnections()
  })
}

/** Whether the client went away (mid-upload, mid-download): then there is nothing to answer, and nothing wrong here. */
export function clientGone (req: IncomingMessage, res: ServerResponse): boolean {
  return res.destroyed || (req.socket as Socket | null)?.destroyed === true
}

/**
 * Sends an error answer to a request whose body may not have been read (a refusal before the upload,
 * a 416 for a chunk out of order). A client still sending its body when the server answers and closes
 * may see the connection reset instead of the answer, depending on timing; so the rest of a body of at
 * most `smallBytes` (as declared) is read and dropped first, and the connection kept. A larger or
 * undeclared body is not read: the answer goes at once, with `Connection: close`. An answer already
 * begun (a stream that failed midway) cannot become an error answer: the connection is cut instead.
 */
export function answerAfterBody (req: IncomingMessage, res: ServerResponse, smallBytes: number, answer: (close: boolean) => void): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  if (req.complete) {
    answer(false)
    return
  }
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (!Number.isSafeInteger(declared) || declared > smallBytes || req.destroyed) {
    answer(true)
    return
  }
  let size = 0
  const onData = (chunk: Buffer): void => {
    size += chunk.byteLength
    if (size > smallBytes) res.destroy() // more than it declared: not worth an answer
  }
  req.on('data', onData)
  req.once('end', () => { req.off('data', onData); if (!res.destroyed) answer(false) })
  req.once('error', () => { res.destroy() })
  req.resume()
}
