// The serving side of /mycel/blob/1.0.0: answers have / manifest / get
// requests on streams other members open, one request at a time per stream,
// reading each chunk from disk straight into its frame and waiting on the
// stream's write buffer before reading the next. Every chunk read is checked
// against its manifest hash before it is sent (chunk-check.ts, on the thread
// pool, overlapped with the send of the one before): a chunk rotted on disk
// is never sent — the request is answered `error` UNAVAILABLE and the blob
// layer is told (integrity.ts). Memory per stream: one chunk
// plus the write buffer's high-water mark. Complete blobs are served, and so
// are the verified chunks of a blob this node is downloading (see wire.ts). A
// failing stream is counted and rejects; the host (daemon/net/host.ts) aborts it, and nothing
// goes beyond that stream.

import type { Stream } from '@libp2p/interface'
import { open as openFile, type FileHandle } from 'node:fs/promises'
import { isMycelError } from '../../protocol/errors.js'
import { readFrames } from '../net/frame.js'
import { sendFrame } from '../net/stream-io.js'
import { chunkIntact, damagedChunk, isDamaged } from './chunk-check.js'
import type { BlobStore } from './store.js'
import { MAX_HAVE_DIGESTS, MAX_QUEUED_REQUESTS, MAX_REQUEST_FRAME_BYTES, SERVE_WRITE_BUFFER_BYTES } from './constants.js'
import { chunkCount, chunkRange, decodeManifest, readFully, type Manifest, type ManifestStore } from './manifest.js'
import type { TrafficLedger } from './peer-traffic.js'
import type { PartialView } from './types.js'
import { allocChunkFrame, checkRequest, decodePayload, encodeControl, packBits, type Request } from './wire.js'

export interface BlobServerComponents {
  /** Told of the bytes of every chunk served (metrics). */
  onServed?: (bytes: number) => void
  /** The node's cap on bytes served (upload-rate.ts): each chunk frame waits for its turn. */
  rate?: { take: (bytes: number, dropped?: () => boolean) => Promise<void> }
  blobs: BlobStore
  manifests: ManifestStore
  /** A download under way here (its file and which chunks are verified in it), by digest hex. */
  partials?: (hex: string) => PartialView | undefined
  /** A chunk read to be served did not match its manifest (`partial`: it was a download's file). */
  onDamaged?: (digest: Uint8Array, chunk: number, partial: boolean) => void
  /** Chunks sent per peer and its streams being served (peer-traffic.ts), for the status page. */
  traffic?: TrafficLedger
  /** Keeps a stored blob from eviction while a stream serves it (the disk quota: quota.ts); the returned function ends that. */
  pin?: (digest: Uint8Array) => () => void
}

export interface BlobServerInit {
  /** Test-only: flip one byte of every chunk served (env MYCEL_TEST_CORRUPT_CHUNKS=1). */
  corruptChunks?: boolean
  /** Test-only: awaited before chunk i is sent (a delay, a gate: daemon/testing/serve-gate.ts). */
  beforeChunk?: (i: number) => Promise<void>
}

interface OpenBlob {
  hex?: string
  manifest?: Manifest
  file?: FileHandle
  /** Set when the file is a download under way here: only the chunks it has verified are served. */
  view?: PartialView
  /** Ends the quota's pin on a stored blob being served. */
  unpin?: () => void
  /** Chunk frames sent per request id, until the client acks that request (see wire.ts `ack`). */
  sent: Map<number, Uint8Array[]>
  /** Frames the client has acked: read the next chunks into these instead of fresh buffers. */
  spare: Uint8Array[]
  /** The member this stream serves (unknown: counted nowhere), and whether it has asked for chunks. */
  peer?: string
  serving?: boolean
}

/**
 * Acked frames kept for reuse per stream (and frames remembered per unacked request are bounded by
 * the client's requests in flight, MAX_QUEUED_REQUESTS at most). Reusing them spares the sender a
 * fresh 1 MiB buffer per chunk, whose garbage cost it ~90 full GCs per GiB served.
 */
const SPARE_FRAMES_MAX = 8

export interface ServerStats {
  streams: number
  refused: number
  chunksServed: number
  bytesServed: number
  badRequests: number
  /** Chunks read to be served that did not match their manifest: refused, never sent. */
  damagedChunksRefused: number
}

export class BlobServer {
  readonly stats: ServerStats = { streams: 0, refused: 0, chunksServed: 0, bytesServed: 0, badRequests: 0, damagedChunksRefused: 0 }
  private readonly c: BlobServerComponents
  private readonly init: BlobServerInit

  constructor (init: BlobServerInit, components: BlobServerComponents) {
    this.init = init
    this.c = components
  }

  /**
   * The stream handler (the host has already refused non-members, counted in `refused`). A failure
   * rejects: the host aborts the stream and logs it.
   */
  async serve (stream: Stream, peer?: string): Promise<void> {
    this.stats.streams++
    try {
      await this.serveRequests(stream, peer)
    } catch (err) {
      if (isMycelError(err, 'DECODE_FAILED') || isMycelError(err, 'TOO_LARGE')) this.stats.badRequests++
      throw err
    }
  }

  private async serveRequests (stream: Stream, peer?: string): Promise<void> {
    // The blob a stream is reading: its manifest and an open file, kept across its range requests
    // (a fetch sends hundreds to one stream; a stat, a manifest read and an open per request stall it).
    const open: OpenBlob = { sent: new Map(), spare: [], peer }
    try {
      for await (const payload of readFrames(stream, MAX_REQUEST_FRAME_BYTES)) {
        const req = checkRequest(decodePayload(payload), MAX_HAVE_DIGESTS)
        await this.answer(stream, req, open)
      }
    } finally {
      open.unpin?.()
      await open.file?.close().catch(() => {})
      if (open.serving === true && peer !== undefined) this.c.traffic?.servingEnded(peer)
    }
    await stream.close().catch(() => {})
  }

  private async answer (stream: Stream, req: Request, open: OpenBlob): Promise<void> {
    const send = async (msg: Parameters<typeof encodeControl>[0]): Promise<void> => { await sendFrame(stream, encodeControl(msg), { highWaterBytes: SERVE_WRITE_BUFFER_BYTES }) }
    switch (req.op) {
      case 'have': {
        const have = await Promise.all(req.digests.map(async d => await this.c.blobs.has(d)))
        const partial = req.digests.map((d, i) => have[i] !== true && (this.partialOf(d)?.chunksHave ?? 0) > 0)
        return await send(partial.includes(true) ? { op: 'have', id: req.id, have, partial } : { op: 'have', id: req.id, have })
      }
      case 'manifest': {
        const held = await this.c.blobs.has(req.digest) || this.partialOf(req.digest) !== undefined
        const bytes = held ? await this.c.manifests.get(req.digest) : undefined
        return await send(bytes === undefined ? { op: 'manifest', id: req.id } : { op: 'manifest', id: req.id, bytes })
      }
      case 'bitmap': {
        if (await this.c.blobs.has(req.digest)) return await send({ op: 'bitmap', id: req.id, complete: true })
        const view = this.partialOf(req.digest)
        if (view === undefined) return await send({ op: 'bitmap', id: req.id })
        const coming = view.coming?.()
        return await send({ op: 'bitmap', id: req.id, bits: packBits(view.have), ...(coming === undefined ? {} : { coming: packBits(coming) }) })
      }
      case 'get': {
        if (req.ack !== undefined) release(open, req.ack)
        // A stream that asks for chunks is a transfer in flight to its peer until it ends (a fetch keeps its stream).
        if (open.serving !== true && open.peer !== undefined) {
          open.serving = true
          this.c.traffic?.servingStarted(open.peer)
        }
        const hex = Buffer.from(req.digest).toString('hex')
        // A partial's download may have ended and another begun (a new file at the same path): reopen.
        const current = open.view === undefined ? undefined : this.partialOf(req.digest)
        const reopen = current !== undefined && current !== open.view
        if (open.hex !== hex || reopen) {
          open.unpin?.()
          await open.file?.close().catch(() => {})
          Object.assign(open, { hex: undefined, manifest: undefined, file: undefined, view: undefined, unpin: undefined })
          open.sent.clear()
          open.spare.length = 0
          const source = await this.sourceOf(req.digest)
          if (source === undefined) return await send({ op: 'error', id: req.id, code: 'NOT_FOUND', message: 'blob not held here' })
          // An open file outlives a later delete (collection, or a download's file renamed into the
          // store), so a fetch under way completes. A stored blob is pinned while served: the quota
          // evicts it only once this stream has moved on or ended.
          const unpin = source.view === undefined ? this.c.pin?.(req.digest) : undefined
          const file = await openFile(source.path, 'r').catch((err: unknown) => { unpin?.(); throw err })
          Object.assign(open, { hex, manifest: source.manifest, view: source.view, file, unpin })
        }
        const manifest = open.manifest as Manifest
        if (req.to > chunkCount(manifest.size, manifest.chunkSize)) return await send({ op: 'error', id: req.id, code: 'USAGE', message: 'chunk range past the end' })
        const view = open.view
        if (view !== undefined) {
          for (let i = req.from; i < req.to; i++) {
            if (view.have[i] !== 1) return await send({ op: 'error', id: req.id, code: 'NOT_FOUND', message: `chunk ${i} not here yet` })
          }
        }
        try {
          await this.sendChunks(stream, req.id, open, manifest, req.from, req.to)
        } catch (err) {
          if (!isDamaged(err)) throw err
          // Rotted on disk: refused, never sent. The fetcher drops us as a holder of it and asks others.
          this.stats.damagedChunksRefused++
          this.c.onDamaged?.(req.digest, Number(err.details?.chunk), view !== undefined)
          return await send({ op: 'error', id: req.id, code: 'UNAVAILABLE', message: err.message })
        }
        return await send({ op: 'end', id: req.id })
      }
    }
  }

  private partialOf (digest: Uint8Array): PartialView | undefined {
    return this.c.partials?.(Buffer.from(digest).toString('hex'))
  }

  /** The complete blob, else a download of it under way here. */
  private async sourceOf (digest: Uint8Array): Promise<{ manifest: Manifest, path: string, view?: PartialView } | undefined> {
    if (await this.c.blobs.has(digest)) {
      const bytes = await this.c.manifests.get(digest)
      return bytes === undefined ? undefined : { manifest: decodeManifest(bytes), path: this.c.blobs.pathOf(digest) }
    }
    const view = this.partialOf(digest)
    return view === undefined ? undefined : { manifest: view.manifest, path: view.path, view }
  }

  /**
   * Chunks from..to-1, each read from disk into its own frame. The next chunk is read while the
   * current one is being sent (one read ahead), so a disk round trip does not stall the stream.
   */
  private async sendChunks (stream: Stream, id: number, open: OpenBlob, m: Manifest, from: number, to: number): Promise<void> {
    const file = open.file as FileHandle
    const sent: Uint8Array[] = []
    if (open.sent.size < MAX_QUEUED_REQUESTS) open.sent.set(id, sent) // past that, frames are left to the GC
    const reuse = (bytes: number): Uint8Array | undefined => {
      const k = open.spare.findIndex(b => b.byteLength === bytes)
      return k < 0 ? undefined : open.spare.splice(k, 1)[0]
    }
    const read = async (i: number): Promise<Uint8Array> => {
      const [start, end] = chunkRange(m, i)
      const { frame, data } = allocChunkFrame(id, i, end - start, reuse)
      sent.push(frame)
      await readFully(file, data, end - start, start)
      if (!await chunkIntact(data.subarray(0, end - start), m.chunks[i] as Uint8Array)) throw damagedChunk(m.digest, i)
      // The test switch corrupts in transit, after the check: the fetcher's own check must catch it.
      if (this.init.corruptChunks === true && data.byteLength > 0) data[0] ^= 0xff
      return frame
    }
    let next: Promise<Uint8Array> | undefined
    try {
      next = read(from)
      for (let i = from; i < to; i++) {
        const frame: Uint8Array = await (next as Promise<Uint8Array>)
        next = i + 1 < to ? read(i + 1) : undefined
        await this.init.beforeChunk?.(i)
        await this.c.rate?.take(frame.byteLength, () => stream.status !== 'open')
        await sendFrame(stream, frame, { highWaterBytes: SERVE_WRITE_BUFFER_BYTES })
        this.stats.chunksServed++
        const servedBytes = chunkRange(m, i)[1] - chunkRange(m, i)[0]
        this.stats.bytesServed += servedBytes
        if (open.peer !== undefined) this.c.traffic?.sent(open.peer, servedBytes)
        this.c.onServed?.(servedBytes)
      }
    } finally {
      await next?.catch(() => {})
    }
  }
}

/** The client has read every reply up to request `ack`: their frames are out of every buffer here. */
function release (open: OpenBlob, ack: number): void {
  for (const [id, frames] of open.sent) {
    if (id > ack) continue
    open.sent.delete(id)
    for (const f of frames) if (open.spare.length < SPARE_FRAMES_MAX) open.spare.push(f)
  }
}
