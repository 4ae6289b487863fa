// @ts-check
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
// JavaScript checked by tsc (// @ts-check, the message types of
// chunk-worker-protocol.ts), not TypeScript: a worker thread is a fresh Node
// process-within-a-process that neither Node 20 nor vitest would compile, so
// partial.ts starts this very file by URL, from the sources and from dist/
// (tsc copies it there).

import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'

/** @typedef {import('./chunk-worker-protocol.js').ChunkWorkerData} ChunkWorkerData */
/** @typedef {import('./chunk-worker-protocol.js').ChunkWorkerRequest} ChunkWorkerRequest */
/** @typedef {import('./chunk-worker-protocol.js').ChunkWorkerReply} ChunkWorkerReply */

const data = /** @type {ChunkWorkerData} */ (workerData)
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort)
const { path, size, chunkSize, aheadMax, flushEveryBytes } = data
const hashes = Buffer.from(data.hashes)
const digest = Buffer.from(data.digest)
const n = hashes.byteLength / 32
const have = new Uint8Array(n)
const whole = createHash('sha256')
/** @type {Map<number, Uint8Array>} */
const ahead = new Map()
let hashed = 0
/** @type {number | undefined} */
let fd
/** @type {Buffer | undefined} */
let scratch
let unflushed = 0
/** @type {Promise<void> | undefined} */
let flushing

/** @param {number} i @returns {[number, number]} */
function range (i) { const s = i * chunkSize; return [s, Math.min(size, s + chunkSize)] }

/** @param {number} i @param {Uint8Array} view */
function verifies (i, view) {
  const [s, e] = range(i)
  if (view.byteLength !== e - s) return false
  return createHash('sha256').update(view).digest().equals(hashes.subarray(i * 32, i * 32 + 32))
}

/** The open file; an assertion, since every op but open runs after open. */
function file () {
  if (fd === undefined) throw new Error('assertion failed: the partial file is not open')
  return fd
}

/**
 * Every flushEveryBytes written, an fdatasync runs on the thread pool while this thread goes on
 * writing, so the fsync before the rename (finish) finds little left to write instead of the whole
 * blob: on this disk that last fsync was ~0.5 s per GiB of dead time at the end of a fetch.
 * @param {Uint8Array} view @param {number} pos
 */
function writeAll (view, pos) {
  let off = 0
  while (off < view.byteLength) off += fs.writeSync(file(), view, off, view.byteLength - off, pos + off)
  unflushed += view.byteLength
  if (flushing === undefined && unflushed >= flushEveryBytes) {
    unflushed = 0
    const f = file()
    flushing = new Promise(resolve => { fs.fdatasync(f, () => { flushing = undefined; resolve() }) })
  }
}

/** @param {number} i */
function readChunk (i) {
  const [s, e] = range(i)
  scratch ??= Buffer.allocUnsafeSlow(chunkSize)
  let off = 0
  while (off < e - s) {
    const got = fs.readSync(file(), scratch, off, e - s - off, s + off)
    if (got === 0) throw new Error('partial file is shorter than chunk ' + i)
    off += got
  }
  return scratch.subarray(0, e - s)
}

/**
 * Feeds the whole-blob hash with every chunk on disk that is next in order.
 * @param {ArrayBuffer[]} free
 */
function advance (free) {
  while (hashed < n && have[hashed] === 1) {
    const held = ahead.get(hashed)
    if (held !== undefined) {
      ahead.delete(hashed)
      whole.update(held)
      free.push(/** @type {ArrayBuffer} */ (held.buffer))
    } else {
      whole.update(readChunk(hashed))
    }
    hashed++
  }
}

/** @type {{ [Op in ChunkWorkerRequest['op']]: (msg: Extract<ChunkWorkerRequest, { op: Op }>) => Omit<ChunkWorkerReply, 'seq'> | Promise<Omit<ChunkWorkerReply, 'seq'>> }} */
const ops = {
  open (msg) {
    try {
      fd = fs.openSync(path, 'r+')
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'ENOENT') throw err
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
    const buffer = /** @type {ArrayBuffer} */ (data.buffer)
    if (have[i] === 1) return { ok: true, free: [buffer] }
    if (!verifies(i, data)) return { ok: false, free: [buffer] }
    writeAll(data, range(i)[0])
    have[i] = 1
    /** @type {ArrayBuffer[]} */
    const free = []
    if (i === hashed) {
      whole.update(data)
      hashed++
      free.push(buffer)
      advance(free)
    } else if (i > hashed && ahead.size < aheadMax) {
      ahead.set(i, data)
    } else {
      free.push(buffer)
    }
    return { ok: true, free }
  },
  async finish () {
    await flushing
    fs.ftruncateSync(file(), size)
    fs.fsyncSync(file())
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

/**
 * @param {ChunkWorkerRequest} msg
 * @returns {Promise<Omit<ChunkWorkerReply, 'seq'>>}
 */
async function run (msg) {
  switch (msg.op) {
    case 'open': return await ops.open(msg)
    case 'chunk': return await ops.chunk(msg)
    case 'finish': return await ops.finish(msg)
    case 'close': return await ops.close(msg)
  }
}

// One request at a time, in order (finish and close may wait for a background flush).
let queue = Promise.resolve()
port.on('message', (/** @type {ChunkWorkerRequest} */ msg) => {
  queue = queue.then(async () => {
    /** @type {ChunkWorkerReply} */
    let reply
    try {
      reply = { seq: msg.seq, ...(await run(msg)) }
    } catch (err) {
      reply = { seq: msg.seq, error: String((err instanceof Error && err.stack) || err) }
    }
    port.postMessage(reply, reply.free ?? [])
  })
})
