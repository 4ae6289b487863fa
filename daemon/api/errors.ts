// API errors: JSON `{ error: { code, message } }` where code is one of the
// closed set in protocol/errors.ts (the CLI maps it to an exit code). Bad
// credentials are PERMISSION_DENIED with HTTP 401. Every error the API sends is
// this shape, whatever its status (405, 416 and malformed requests included).

import type { ServerResponse } from 'node:http'
import { isMycelError, type ErrorCode } from '../../protocol/errors.js'

const STATUS: Record<ErrorCode, number> = {
  DECODE_FAILED: 400,
  UNSUPPORTED_VERSION: 400,
  TOO_LARGE: 413,
  INVALID_EVENT: 400,
  NOT_FOUND: 404,
  UNAVAILABLE: 503,
  PERMISSION_DENIED: 403,
  USAGE: 400,
  CONFLICT: 409,
  TIMEOUT: 504,
  CLOSED: 503,
  INTERNAL: 500
}

export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const text = JSON.stringify(body) + '\n'
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers })
  res.end(text)
}

export function sendError (res: ServerResponse, code: ErrorCode, message: string, status = STATUS[code], details?: Record<string, unknown>, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { code, message, ...(details ?? {}) } }, headers)
}

/** The JSON error for a request Node could not parse, written on the raw socket (no response object exists). */
export function clientErrorText (status: number, message: string): string {
  const body = JSON.stringify({ error: { code: status === 413 || status === 431 ? 'TOO_LARGE' : 'USAGE', message } }) + '\n'
  return `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
}

/** Maps anything thrown by a handler; unexpected errors become INTERNAL without leaking internals. */
export function sendThrown (res: ServerResponse, err: unknown): void {
  if (isMycelError(err)) sendError(res, err.code, err.message, undefined, err.details)
  else sendError(res, 'INTERNAL', 'internal error (see the daemon log)')
}
