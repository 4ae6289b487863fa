// API errors: JSON `{ error: { code, message } }` where code is one of the
// closed set in protocol/errors.ts (the CLI maps it to an exit code). Bad
// credentials are PERMISSION_DENIED with HTTP 401.

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
  TIMEOUT: 504,
  CLOSED: 503,
  INTERNAL: 500
}

export function sendJson (res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const text = JSON.stringify(body) + '\n'
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  res.end(text)
}

export function sendError (res: ServerResponse, code: ErrorCode, message: string, status = STATUS[code], details?: Record<string, unknown>): void {
  sendJson(res, status, { error: { code, message, ...(details ?? {}) } })
}

/** Maps anything thrown by a handler; unexpected errors become INTERNAL without leaking internals. */
export function sendThrown (res: ServerResponse, err: unknown): void {
  if (isMycelError(err)) sendError(res, err.code, err.message, undefined, err.details)
  else sendError(res, 'INTERNAL', 'internal error (see the daemon log)')
}
