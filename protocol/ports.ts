// The interfaces through which the core touches the world. The daemon implements
// them with the wall clock, node:crypto, libp2p and LevelDB; the simulator with
// virtual time, a seeded PRNG, an event queue and an in-memory disk.

export interface Clock {
  /** Wall-clock time as this node sees it (may be skewed, may jump backwards). Feeds the HLC. */
  nowMs(): number
  /** Monotonic time for timers (anti-entropy period, push batching). Never goes back. */
  monoMs(): number
}

/** Stops a timer that has not fired yet; does nothing once it has. */
export type Cancel = () => void

/**
 * Timers on the monotonic clock. The daemon's run on Node's timers
 * (daemon/real-time.ts); the simulator's and the tests' on virtual time, so
 * whatever takes its timers from here can be run without waiting.
 */
export interface Timers {
  /** Monotonic time (ms), the time `at` is given in. */
  monoMs(): number
  /** Runs `fn` once, `delayMs` from now. */
  after(delayMs: number, fn: () => void): Cancel
  /** Runs `fn` once at monotonic time `atMs` (soon, if that has passed). */
  at(atMs: number, fn: () => void): Cancel
}

/** A source of randomness; the simulator's is seeded, the daemon's is not. */
export interface Random {
  /** Uniform in [0, 1). */
  float(): number
  /** Uniform integer in [0, n). */
  int(n: number): number
}

/** Signs canonical bytes as this node's author identity. */
export interface Signer {
  sign(bytes: Uint8Array): Uint8Array
}

/** Checks that `sig` over `bytes` was made by `author`. */
export interface Verifier {
  verify(author: string, bytes: Uint8Array, sig: Uint8Array): boolean
}

/**
 * Makes one-time key pairs (an invite token's key, invite.ts). The daemon's
 * are Ed25519 with ids in peer-id form, so the Verifier checks them as it
 * checks authors; the simulator's are its own unforgeable stand-ins.
 */
export interface KeyMaker {
  generate(): { id: string, secret: Uint8Array }
  /** The id of the key pair a secret belongs to; throws on a malformed secret. */
  idOf(secret: Uint8Array): string
  /** Signs with the key pair of `secret`; throws on a malformed secret. */
  signer(secret: Uint8Array): Signer
}
