// Exit codes are a contract with scripts (README, "Exit codes").
import type { ErrorCode } from '../protocol/errors.js'

export const EXIT = {
  OK: 0,
  FAILURE: 1, // anything else; also "an invariant was violated" for mycel sim
  USAGE: 2,
  NOT_FOUND: 3, // no such key or digest in this federation
  UNAVAILABLE: 4, // known, but the bytes could not be had in time
  PERMISSION_DENIED: 5,
  PUBLISHED_PARTIAL: 6, // publish: the key is published, but its release barrier timed out (not every site named holds the bytes)
  CONFLICT: 7 // the key holds other bytes and may not change (an immutable key), or this write lost to a concurrent one
} as const

export function exitCodeFor (code: ErrorCode | string | undefined): number {
  switch (code) {
    case 'USAGE': return EXIT.USAGE
    case 'NOT_FOUND': return EXIT.NOT_FOUND
    case 'UNAVAILABLE': case 'TIMEOUT': return EXIT.UNAVAILABLE
    case 'PERMISSION_DENIED': return EXIT.PERMISSION_DENIED
    case 'CONFLICT': return EXIT.CONFLICT
    default: return EXIT.FAILURE
  }
}
