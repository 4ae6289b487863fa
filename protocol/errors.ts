// One error class with a closed set of codes (hypercore-errors style). Operating
// errors — bad input, timeouts, refusals — are MycelErrors and handled; broken
// invariants are assertions and fail loudly.

export type ErrorCode =
  | 'DECODE_FAILED' // bytes are not a well-formed frame/event/message
  | 'UNSUPPORTED_VERSION' // a version field this build does not speak
  | 'TOO_LARGE' // a field, frame or batch exceeds its limit
  | 'INVALID_EVENT' // well-formed but not acceptable (bad signature, bad author, ...)
  | 'NOT_FOUND' // no such key or digest in this federation
  | 'UNAVAILABLE' // known, but the bytes could not be had
  | 'PERMISSION_DENIED' // the author/peer lacks the role for this
  | 'USAGE' // the caller asked for something malformed
  | 'CONFLICT' // the key holds other bytes and may not change (an immutable key)
  | 'TIMEOUT'
  | 'CLOSED'
  | 'INTERNAL'

/** Every code, once (a record, so that adding a code to the union without listing it here fails to compile). */
const CODE_SET: Record<ErrorCode, true> = {
  DECODE_FAILED: true, UNSUPPORTED_VERSION: true, TOO_LARGE: true, INVALID_EVENT: true, NOT_FOUND: true, UNAVAILABLE: true,
  PERMISSION_DENIED: true, USAGE: true, CONFLICT: true, TIMEOUT: true, CLOSED: true, INTERNAL: true
}
export const ERROR_CODES = Object.keys(CODE_SET) as ErrorCode[]

export class MycelError extends Error {
  readonly code: ErrorCode
  readonly details?: Record<string, unknown>

  constructor (code: ErrorCode, message: string, options: { cause?: unknown, details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause })
    this.name = 'MycelError'
    this.code = code
    this.details = options.details
  }

  static decode (message = 'malformed input', cause?: unknown): MycelError {
    return new MycelError('DECODE_FAILED', message, { cause })
  }

  static version (got: unknown): MycelError {
    return new MycelError('UNSUPPORTED_VERSION', `unsupported version ${String(got)}`)
  }

  static tooLarge (what: string, size: number, limit: number): MycelError {
    return new MycelError('TOO_LARGE', `${what} is ${size} bytes, over the limit of ${limit}`, { details: { size, limit } })
  }

  static invalid (message: string): MycelError {
    return new MycelError('INVALID_EVENT', message)
  }

  static usage (message: string): MycelError {
    return new MycelError('USAGE', message)
  }
}

export function isMycelError (err: unknown, code?: ErrorCode): err is MycelError {
  return err instanceof MycelError && (code === undefined || err.code === code)
}

/** A broken invariant: a bug, never an input error. */
export function assert (condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`)
}
