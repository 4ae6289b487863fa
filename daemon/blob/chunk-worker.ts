// The disk side of a download, on its own thread. The fetcher's main thread
// is the bottleneck of a transfer (it decrypts every byte of the stream), so
// everything else a received chunk costs runs here instead: its sha-256
// against the manifest, the positional write into the partial file, and the
// whole-blob sha-256 fed in chunk order. One worker per PartialBlob owns the
// partial file's descriptor; requests are handled one at a time, in order.
//
// Chunks arrive as transferred ArrayBuffers (no copy); a chunk whose turn in
// the whole-blob hash has not come yet is kept (at most `aheadMax`) or read
// back from the file later. Buffers the worker is done with are transferred
// back in the reply for the next frames (`free`).
//
// The source is plain CommonJS run with `eval: true`, so the same code loads
// from the compiled daemon and from the TypeScript sources under vitest.

/** What the worker is started with (workerData). */
export interface ChunkWorkerData {
  path: string
  size: number
  chunkSize: number
  /** sha-256 of every chunk, 32 bytes each, in order. */
  hashes: Uint8Array
  digest: Uint8Array
  /** Chunks kept in memory for the in-order whole-blob hash. */
  aheadMax: number
  /** Bytes written after which the file is flushed to disk in the background (see writeAll). */
  flushEveryBytes: number
}

export type ChunkWorkerRequest =
  | { seq: number, op: 'open', claimed: Uint8Array }
  | { seq: number, op: 'chunk', index: number, data: Uint8Array }
  | { seq: number, op: 'finish' }
  | { seq: number, op: 'close' }

export interface ChunkWorkerReply {
  seq: number
  error?: string
  /** open: chunks on disk that still verify. */
  have?: Uint8Array
  /** chunk: it verified and is written; finish: the whole digest matched. */
  ok?: boolean
  free?: ArrayBuffer[]
}

export const CHUNK_WORKER_SOURCE = String.raw`
'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const fs = require('node:fs')
const { createHash } = require('node:crypto')
const { path, size, chunkSize, aheadMax, flushEveryBytes } = workerData
const hashes = Buffer.from(workerData.hashes)
const digest = Buffer.from(workerData.digest)
const n = hashes.byteLength / 32
const have = new Uint8Array(n)
const whole = createHash('sha256')
const ahead = new Map()
let hashed = 0
let fd
let scratch
let unflushed = 0
let flushing

function range (i) { const s = i * chunkSize; return [s, Math.min(size, s + chunkSize)] }
function verifies (i, view) {
  const [s, e] = range(i)
  if (view.byteLength !== e - s) return false
  return createHash('sha256').update(view).digest().equals(hashes.subarray(i * 32, i * 32 + 32))
}
// Every flushEveryBytes written, an fdatasync runs on the thread pool while this thread goes on
// writing, so the fsync before the rename (finish) finds little left to write instead of the whole
// blob: on this disk that last fsync was ~0.5 s per GiB of dead time at the end of a fetch.
function writeAll (view, pos) {
  let off = 0
  while (off < view.byteLength) off += fs.writeSync(fd, view, off, view.byteLength - off, pos + off)
  unflushed += view.byteLength
  if (flushing === undefined && unflushed >= flushEveryBytes) {
    unflushed = 0
    flushing = new Promise(resolve => { fs.fdatasync(fd, () => { flushing = undefined; resolve() }) })
  }
}
function readChunk (i) {
  const [s, e] = range(i)
  scratch ??= Buffer.allocUnsafeSlow(chunkSize)
  let off = 0
  while (off < e - s) {
    const got = fs.readSync(fd, scratch, off, e - s - off, s + off)
    if (got === 0) throw new Error('partial file is shorter than chunk ' + i)
    off += got
  }
  return scratch.subarray(0, e - s)
}
/** Feeds the whole-blob hash with every chunk on disk that is next in order. */
function advance (free) {
  while (hashed < n && have[hashed] === 1) {
    const held = ahead.get(hashed)
    if (held !== undefined) {
      ahead.delete(hashed)
      whole.update(held)
      free.push(held.buffer)
    } else {
      whole.update(readChunk(hashed))
    }
    hashed++
  }
}

const ops = {
  open (msg) {
    try {
      fd = fs.openSync(path, 'r+')
    } catch (err) {
      if (err.code !== 'ENOENT') throw err
      fd = fs.openSync(path, 'w+', 0o644)
    }
    // Restart: believe the bitmap only for chunks whose bytes still hash right.
    const claimed = msg.claimed
    for (let i = 0; claimed !== undefined && i < n && i < claimed.byteLength; i++) {
      if (claimed[i] !== 1) continue
      let view
      try { view = readChunk(i) } catch { continue }
      if (!verifies(i, view)) continue
      have[i] = 1
      if (i === hashed) { whole.update(view); hashed++ }
    }
    advance([])
    return { have: Uint8Array.from(have) }
  },
  chunk (msg) {
    const i = msg.index
    const data = msg.data
    if (have[i] === 1) return { ok: true, free: [data.buffer] }
    if (!verifies(i, data)) return { ok: false, free: [data.buffer] }
    writeAll(data, range(i)[0])
    have[i] = 1
    const free = []
    if (i === hashed) {
      whole.update(data)
      hashed++
      free.push(data.buffer)
      advance(free)
    } else if (i > hashed && ahead.size < aheadMax) {
      ahead.set(i, data)
    } else {
      free.push(data.buffer)
    }
    return { ok: true, free }
  },
  async finish () {
    await flushing
    fs.ftruncateSync(fd, size)
    fs.fsyncSync(fd)
    advance([])
    return { ok: hashed === n && whole.digest().equals(digest) }
  },
  async close () {
    await flushing
    if (fd !== undefined) fs.closeSync(fd)
    fd = undefined
    ahead.clear()
    return {}
  }
}

// One request at a time, in order (finish and close may wait for a background flush).
let queue = Promise.resolve()
parentPort.on('message', msg => {
  queue = queue.then(async () => {
    let reply
    try {
      reply = { seq: msg.seq, ...(await ops[msg.op](msg)) }
    } catch (err) {
      reply = { seq: msg.seq, error: String(err && err.stack || err) }
    }
    parentPort.postMessage(reply, reply.free ?? [])
  })
})
`
