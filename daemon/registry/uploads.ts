// Upload sessions: the state machine behind POST / PATCH / PUT / GET / DELETE
// on `/v2/<name>/blobs/uploads/<id>`. A session owns one BlobWriter of the
// backend; bytes go straight into it as request bodies arrive (no copy of the
// registry's own), in order: a chunk must start where the last one ended, or
// it is refused with 416 and the Range the client should resume from. A
// client cut off mid-chunk keeps what arrived; the status GET says how much.
// Sessions are this site's only (not federation state): a push split across
// sites must upload each blob at one site, which is what clients do.
//
//   open ──append*──► finish(digest) ──► blob committed (or DIGEST_INVALID, session gone)
//     └──────────────► cancel / idle timeout ──► bytes dropped
//
// Bounded: sessions open at once, bytes they hold together, idle time.

import type { BlobWriter, RegistryBackend } from './backend.js'
import { isMycelError } from '../../protocol/errors.js'
import { RegistryError } from './errors.js'

/** Bytes gathered from a request body before one write to the backend (request chunks are ~64 KiB). */
const WRITE_BATCH_BYTES = 1024 * 1024

export interface UploadSession {
  readonly id: string
  readonly name: string
  readonly writer: BlobWriter
  /** When a request last touched it (the idle timeout's clock). */
  touchedMs: number
  /** A request is writing into it now. */
  busy: boolean
}

export interface UploadSessionsInit {
  /** Sessions open at once. */
  maxSessions: number
  /** Bytes all open sessions may hold together. */
  maxBytesTotal: number
  /** Largest blob. */
  maxBlobBytes: number
  /** A session untouched this long is dropped. */
  idleMs: number
}

export interface UploadSessionsComponents {
  backend: Pick<RegistryBackend, 'beginBlob'>
  now: () => number
  newId: () => string
}

export type FinishResult = { ok: true, digest: string, size: number } | { ok: false, digest: string, size: number }

export class UploadSessions {
  private readonly init: UploadSessionsInit
  private readonly c: UploadSessionsComponents
  private readonly sessions = new Map<string, UploadSession>()

  constructor (init: UploadSessionsInit, components: UploadSessionsComponents) {
    this.init = init
    this.c = components
  }

  get size (): number { return this.sessions.size }

  /** Bytes held by open sessions. */
  get bytesHeld (): number {
    let total = 0
    for (const s of this.sessions.values()) total += s.writer.size
    return total
  }

  /** A new session, or 429 when the site holds too many (or too many bytes in them). */
  async open (name: string): Promise<UploadSession> {
    await this.sweep()
    if (this.sessions.size >= this.init.maxSessions) {
      throw RegistryError.tooMany(`${this.sessions.size} uploads are open at this site, its limit; finish or cancel some`, 30)
    }
    if (this.bytesHeld >= this.init.maxBytesTotal) {
      throw RegistryError.tooMany(`open uploads at this site hold ${this.bytesHeld} bytes, its limit`, 30)
    }
    const writer = await this.c.backend.beginBlob({ maxBytes: this.init.maxBlobBytes })
    const session: UploadSession = { id: this.c.newId(), name, writer, touchedMs: this.c.now(), busy: false }
    this.sessions.set(session.id, session)
    return session
  }

  /** The session of `id` in repository `name`, or BLOB_UPLOAD_UNKNOWN. */
  get (name: string, id: string): UploadSession {
    const session = this.sessions.get(id)
    if (session === undefined || session.name !== name || this.idle(session)) throw RegistryError.uploadUnknown()
    session.touchedMs = this.c.now()
    return session
  }

  /**
   * Appends a request body. `range` (from Content-Range) must start at the
   * session's offset (else 416 with the Range to resume from) and, with
   * `declared` (Content-Length), agree on the length. A body cut off midway
   * keeps what arrived. Too large: the session is dropped, 413.
   */
  async append (session: UploadSession, body: AsyncIterable<Uint8Array>, range?: { start: number, end: number }, declared?: number): Promise<void> {
    if (session.busy) throw RegistryError.uploadInvalid('another request is writing to this upload', 409)
    if (range !== undefined) {
      if (range.start !== session.writer.size) {
        throw RegistryError.uploadInvalid(`chunk starts at ${range.start}, but the upload has ${session.writer.size} bytes`, 416, { range: rangeHeader(session.writer.size) })
      }
      if (declared !== undefined && declared !== range.end - range.start + 1) {
        throw RegistryError.sizeInvalid(`Content-Range ${range.start}-${range.end} is ${range.end - range.start + 1} bytes but Content-Length is ${declared}`)
      }
    }
    const before = session.writer.size
    session.busy = true
    try {
      await this.copy(session, body)
    } catch (err) {
      if (err instanceof OverLimit || isMycelError(err, 'TOO_LARGE')) {
        await this.drop(session)
        throw RegistryError.sizeInvalid(`the blob is over this registry's limit of ${this.init.maxBlobBytes} bytes`, 413)
      }
      throw err
    } finally {
      session.busy = false
      session.touchedMs = this.c.now()
    }
    const got = session.writer.size - before
    const expected = range !== undefined ? range.end - range.start + 1 : declared
    if (expected !== undefined && got !== expected) {
      // The client sent other than it declared: what the upload holds is no longer what it thinks.
      await this.drop(session)
      throw RegistryError.sizeInvalid(`declared ${expected} bytes, received ${got}; the upload is cancelled`)
    }
  }

  /** Closes the session: commits its bytes under `digest` (DIGEST_INVALID on a mismatch, nothing kept). The session is gone either way. */
  async finish (session: UploadSession, digest: string): Promise<FinishResult> {
    if (session.busy) throw RegistryError.uploadInvalid('another request is writing to this upload', 409)
    this.sessions.delete(session.id)
    try {
      return await session.writer.commit(digest)
    } finally {
      await session.writer.abort()
    }
  }

  async cancel (session: UploadSession): Promise<void> {
    await this.drop(session)
  }

  /** Drops sessions idle past the timeout (their bytes deleted). */
  async sweep (): Promise<number> {
    const idle = [...this.sessions.values()].filter(s => this.idle(s))
    for (const s of idle) await this.drop(s)
    return idle.length
  }

  /** Drops every session (the server stops). */
  async close (): Promise<void> {
    for (const s of [...this.sessions.values()]) await this.drop(s)
  }

  private idle (s: UploadSession): boolean {
    return !s.busy && this.c.now() - s.touchedMs >= this.init.idleMs
  }

  private async drop (s: UploadSession): Promise<void> {
    this.sessions.delete(s.id)
    await s.writer.abort()
  }

  /** Body → writer in batches of ~1 MiB; what arrived before a failure is still written. */
  private async copy (session: UploadSession, body: AsyncIterable<Uint8Array>): Promise<void> {
    let batch: Uint8Array[] = []
    let batched = 0
    const flush = async (): Promise<void> => {
      if (batched === 0) return
      const bytes = batch.length === 1 ? batch[0] : Buffer.concat(batch, batched)
      batch = []
      batched = 0
      await session.writer.write(bytes)
    }
    try {
      for await (const chunk of body) {
        if (session.writer.size + batched + chunk.byteLength > this.init.maxBlobBytes) throw new OverLimit()
        batch.push(chunk)
        batched += chunk.byteLength
        if (batched >= WRITE_BATCH_BYTES) await flush()
      }
    } catch (err) {
      // The body failed (the client went away): keep what arrived, so the client can resume after it.
      if (!(err instanceof OverLimit) && !isMycelError(err)) await flush().catch(() => {})
      throw err
    }
    await flush()
  }
}

class OverLimit extends Error {
  constructor () {
    super('over the blob size limit')
  }
}

/** The spec's `Range: 0-<last byte>` of an upload holding `size` bytes (`0-0` when empty, as registries answer). */
export function rangeHeader (size: number): string {
  return `0-${Math.max(0, size - 1)}`
}
