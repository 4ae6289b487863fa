// Registry errors: one class with the closed set of codes the OCI distribution
// spec names (its error-codes table), each with its HTTP status, and the JSON
// body clients parse: `{ errors: [{ code, message, detail }] }`. Handlers throw
// RegistryError; the server turns it into a response in one place. Anything
// else thrown is a bug or a backend failure: 500 without internals.

export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS' // the spec's spelling (code-14), without underscores
  // The spec's closed list governs 4xx answers; these two are for 5xx only.
  | 'UNAVAILABLE' // the bytes could not be had from any holder in time
  | 'INTERNAL' // a bug or a failing disk: see the log

const DEFAULT_STATUS: Record<RegistryErrorCode, number> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500
}

export interface RegistryErrorOptions {
  /** HTTP status when not the code's usual one (413 for an oversized manifest, 416 for a range). */
  status?: number
  detail?: unknown
  /** Extra response headers (Retry-After, Range, Location). */
  headers?: Record<string, string>
  cause?: unknown
}

export class RegistryError extends Error {
  readonly code: RegistryErrorCode
  readonly status: number
  readonly detail?: unknown
  readonly headers: Record<string, string>

  constructor (code: RegistryErrorCode, message: string, options: RegistryErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'RegistryError'
    this.code = code
    this.status = options.status ?? DEFAULT_STATUS[code]
    this.detail = options.detail
    this.headers = options.headers ?? {}
  }

  static nameInvalid (name: string, why: string): RegistryError {
    return new RegistryError('NAME_INVALID', `invalid repository name: ${why}`, { detail: { name: name.slice(0, 300) } })
  }

  static digestInvalid (message: string, detail?: unknown): RegistryError {
    return new RegistryError('DIGEST_INVALID', message, { detail })
  }

  static manifestInvalid (message: string, status?: number): RegistryError {
    return new RegistryError('MANIFEST_INVALID', `manifest invalid: ${message}`, { status })
  }

  static manifestUnknown (reference: string): RegistryError {
    return new RegistryError('MANIFEST_UNKNOWN', `manifest unknown: ${reference}`, { detail: { reference } })
  }

  static blobUnknown (digest: string): RegistryError {
    return new RegistryError('BLOB_UNKNOWN', `blob unknown: ${digest}`, { detail: { digest } })
  }

  static uploadUnknown (): RegistryError {
    return new RegistryError('BLOB_UPLOAD_UNKNOWN', 'blob upload unknown (expired, finished, cancelled, or started at another site)')
  }

  static uploadInvalid (message: string, status?: number, headers?: Record<string, string>): RegistryError {
    return new RegistryError('BLOB_UPLOAD_INVALID', message, { status, headers })
  }

  static sizeInvalid (message: string, status?: number): RegistryError {
    return new RegistryError('SIZE_INVALID', message, { status })
  }

  static unsupported (message: string, status = 405): RegistryError {
    return new RegistryError('UNSUPPORTED', message, { status })
  }

  static denied (message: string): RegistryError {
    return new RegistryError('DENIED', message)
  }

  static tooMany (message: string, retryAfterS: number): RegistryError {
    return new RegistryError('TOOMANYREQUESTS', message, { headers: { 'retry-after': String(retryAfterS) } })
  }
}

export function isRegistryError (err: unknown, code?: RegistryErrorCode): err is RegistryError {
  return err instanceof RegistryError && (code === undefined || err.code === code)
}

/** The spec's JSON error body. */
export function errorBody (err: RegistryError): string {
  const entry: Record<string, unknown> = { code: err.code, message: err.message }
  if (err.detail !== undefined) entry.detail = err.detail
  return JSON.stringify({ errors: [entry] }) + '\n'
}
