// What every route handler is handed: the port, the auth check, the upload
// sessions, the limits and a log. One object per server instance.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Auth } from './auth.js'
import type { RegistryBackend } from './backend.js'
import type { UploadSessions } from './uploads.js'

export type RegistryLogLevel = 'debug' | 'info' | 'warn' | 'error'

/** The daemon's Logger.fn() has this shape. */
export type RegistryLog = (level: RegistryLogLevel, msg: string, fields?: Record<string, unknown>) => void

export interface RegistryLimits {
  /** Largest blob one upload may write. Default DEFAULT_MAX_BLOB_BYTES (64 GiB). */
  maxBlobBytes: number
  /** Upload sessions open at once. Default 64. */
  maxUploadSessions: number
  /** Bytes open upload sessions may hold together. Default 256 GiB. */
  maxUploadBytesTotal: number
  /** Idle time after which an upload session is dropped. Default 10 min. */
  uploadIdleMs: number
  /** Tags or repositories per page when the client gives no `n`. Default 1000, at most MAX_PAGE_SIZE. */
  pageSize: number
}

export interface RouteContext {
  backend: RegistryBackend
  auth: Auth
  uploads: UploadSessions
  limits: RegistryLimits
  log: RegistryLog
  now: () => number
}

export interface Request {
  req: IncomingMessage
  res: ServerResponse
  url: URL
}
