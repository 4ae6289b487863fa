// The one port the registry depends on: what it needs from a mycel site, and
// nothing more. The daemon implements it over its blob layer, replica and
// federation; memory-backend.ts implements it in-process for tests. Keeping
// the registry behind this narrow interface is what lets it be built (and
// tested with real clients) while the daemon's internals move.
//
// Two kinds of state: blobs (bytes named by `sha256:<hex>`, held on some
// sites' disks) and keys (LWW metadata every site has). The registry stores
// images entirely as keys naming blobs (see keys.ts), so every mycel feature
// that works on keys works on images.
//
// Expected failures are the project's MycelError (protocol/errors.ts), as the
// daemon's parts already throw them: NOT_FOUND, UNAVAILABLE and TIMEOUT (503),
// TOO_LARGE (413), PERMISSION_DENIED (this site may not write: 403 DENIED).
// Anything else is a 500.

/** A mycel role; the registry maps them: reader pulls, writer pushes, admin deletes. */
export type Role = 'reader' | 'writer' | 'admin'

/** What a key names: a blob's digest and size, and string props. */
export interface KeyValue {
  digest: string
  size: number
  props: Record<string, string>
}

export interface KeyEntry extends KeyValue {
  key: string
}

export interface BlobStat {
  size: number
  /** The bytes are on this site's disk (else they would be fetched from holders). */
  held: boolean
}

/**
 * A blob being uploaded: bytes appended in order as request bodies arrive,
 * then committed under the digest the client names, or aborted. HTTP uploads
 * learn the digest only at the end (the closing PUT), so the port takes it
 * there rather than up front: a stream-in-one-call `putBlob(source,
 * expectedDigest)` would force chunked uploads through a temp file of the
 * registry's own (a second copy of every byte) or store mismatched bytes.
 */
export interface BlobWriter {
  /** Bytes appended so far. */
  readonly size: number
  /** Appends bytes; resolves once they are accepted (the caller waits before reading more: backpressure). Throws MycelError TOO_LARGE past `maxBytes`. */
  write (bytes: Uint8Array): Promise<void>
  /**
   * Checks that the bytes hash to `expectedDigest`. On a match the blob is
   * durable (and announced to members as held here) when this resolves; on a
   * mismatch nothing is kept and it resolves `{ ok: false, digest }` with the
   * digest of what was received. Either way the writer is finished.
   */
  commit (expectedDigest: string): Promise<{ ok: true, digest: string, size: number } | { ok: false, digest: string, size: number }>
  /** Drops the bytes. Safe to call more than once, and after commit. */
  abort (): Promise<void>
}

export interface RegistryBackend {
  /** Starts a blob upload. `maxBytes`: a write past it throws (and the writer is aborted). */
  beginBlob (opts: { maxBytes: number }): Promise<BlobWriter>
  /**
   * What the federation knows of a digest, from metadata: its size and whether
   * this site holds the bytes. Undefined when no live key names it and it is
   * not on this disk. Never fetches.
   */
  statBlob (digest: string): Promise<BlobStat | undefined>
  /**
   * The bytes of a blob (or of `range`, end exclusive), verified: from this
   * disk, or streamed while they are fetched from holders, chunk by chunk, so
   * no unverified byte is ever yielded. Throws MycelError NOT_FOUND /
   * UNAVAILABLE / TIMEOUT before the first byte when it cannot serve it.
   */
  openBlob (digest: string, range?: { start: number, end: number }): Promise<{ size: number, stream: AsyncIterable<Uint8Array> }>
  /** A live key, from this site's metadata. */
  getKey (key: string): KeyValue | undefined
  /** A put event signed by this site, durable (and gossiped) when it resolves. The digest must be a blob the federation knows. */
  putKey (key: string, value: KeyValue): Promise<void>
  /** A delete event (tombstone), durable when it resolves. Absent keys are fine. */
  deleteKey (key: string): Promise<void>
  /** Live keys under `prefix` in byte order of the key, strictly after `after` (a full key) when given, at most `limit`. */
  listKeys (prefix: string, opts: { after?: string, limit: number }): KeyEntry[]
  /** The role credentials map to, or undefined for unknown credentials. Must compare in constant time. */
  roleOf (credential: { user: string, secret: string }): Role | undefined
}

export const ROLE_RANK: Record<Role, number> = { reader: 1, writer: 2, admin: 3 }
