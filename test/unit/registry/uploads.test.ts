import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isRegistryError } from '../../../daemon/registry/errors.js'
import { parseContentRange, parseRange } from '../../../daemon/registry/http.js'
import { createMemoryBackend, type MemoryBackend } from '../../../daemon/registry/memory-backend.js'
import { rangeHeader, UploadSessions } from '../../../daemon/registry/uploads.js'

async function * body (...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield p
}

function digestOf (bytes: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex')
}

async function rejection (p: Promise<unknown>): Promise<{ code: string, status: number, headers: Record<string, string> }> {
  try {
    await p
  } catch (err) {
    if (isRegistryError(err)) return { code: err.code, status: err.status, headers: err.headers }
    throw err
  }
  throw new Error('resolved')
}

describe('upload sessions', () => {
  let dir: string
  let backend: MemoryBackend
  let now: number
  let ids: number
  let sessions: UploadSessions
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mycel-uploads-'))
    backend = await createMemoryBackend({ dir })
    now = 1000
    ids = 0
    sessions = new UploadSessions({ maxSessions: 3, maxBytesTotal: 10_000, maxBlobBytes: 8000, idleMs: 60_000 }, { backend, now: () => now, newId: () => `id${++ids}` })
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('appends chunks in order and commits under the client\'s digest', async () => {
    const bytes = randomBytes(3000)
    const s = await sessions.open('app')
    await sessions.append(s, body(bytes.subarray(0, 1000)), { start: 0, end: 999 }, 1000)
    expect(rangeHeader(s.writer.size)).toBe('0-999')
    await sessions.append(s, body(bytes.subarray(1000, 2000), bytes.subarray(2000)), { start: 1000, end: 2999 })
    const done = await sessions.finish(s, digestOf(bytes))
    expect(done).toEqual({ ok: true, digest: digestOf(bytes), size: 3000 })
    expect(await readFile(backend.pathOf(digestOf(bytes)))).toEqual(bytes)
    expect(sessions.size).toBe(0)
  })

  it('refuses an out-of-order chunk with 416 and the Range to resume from, keeping the session', async () => {
    const s = await sessions.open('app')
    await sessions.append(s, body(new Uint8Array(500)), { start: 0, end: 499 })
    const e = await rejection(sessions.append(s, body(new Uint8Array(10)), { start: 600, end: 609 }))
    expect(e).toMatchObject({ code: 'BLOB_UPLOAD_INVALID', status: 416, headers: { range: '0-499' } })
    expect(sessions.get('app', s.id).writer.size).toBe(500)
    const again = await rejection(sessions.append(s, body(new Uint8Array(10)), { start: 0, end: 9 }))
    expect(again.status).toBe(416)
  })

  it('keeps what arrived when a body breaks off, so the client resumes after it', async () => {
    const s = await sessions.open('app')
    async function * broken (): AsyncIterable<Uint8Array> {
      yield new Uint8Array(700)
      throw new Error('socket hang up')
    }
    await expect(sessions.append(s, broken())).rejects.toThrow(/hang up/)
    expect(s.writer.size).toBe(700)
    await sessions.append(s, body(new Uint8Array(300)), { start: 700, end: 999 })
    expect((await sessions.finish(s, digestOf(new Uint8Array(1000)))).ok).toBe(true)
  })

  it('a wrong digest stores nothing and ends the session', async () => {
    const s = await sessions.open('app')
    await sessions.append(s, body(Buffer.from('hello')))
    const done = await sessions.finish(s, digestOf(Buffer.from('other')))
    expect(done).toEqual({ ok: false, digest: digestOf(Buffer.from('hello')), size: 5 })
    expect(await readdir(join(backend.dir, 'sha256'))).toEqual([])
    expect(await readdir(join(backend.dir, 'tmp'))).toEqual([])
    expect((await rejection(Promise.resolve().then(() => sessions.get('app', s.id)))).code).toBe('BLOB_UPLOAD_UNKNOWN')
  })

  it('bounds sessions, bytes, blob size and idle time', async () => {
    const s1 = await sessions.open('app')
    await sessions.open('app')
    await sessions.open('app')
    expect((await rejection(sessions.open('app'))).code).toBe('TOOMANYREQUESTS')
    // Over the blob limit: 413, the session and its bytes dropped.
    const over = await rejection(sessions.append(s1, body(new Uint8Array(5000), new Uint8Array(5000))))
    expect(over).toMatchObject({ code: 'SIZE_INVALID', status: 413 })
    expect(sessions.size).toBe(2)
    // Idle past the timeout: gone, bytes deleted.
    now += 60_000
    expect(await sessions.sweep()).toBe(2)
    expect(await readdir(join(backend.dir, 'tmp'))).toEqual([])
    // A session is only found under its own repository.
    const s = await sessions.open('app')
    expect((await rejection(Promise.resolve().then(() => sessions.get('other', s.id)))).code).toBe('BLOB_UPLOAD_UNKNOWN')
  })

  it('refuses a second writer on the same session', async () => {
    const s = await sessions.open('app')
    let release: () => void = () => {}
    async function * slow (): AsyncIterable<Uint8Array> {
      yield new Uint8Array(10)
      await new Promise<void>(resolve => { release = resolve })
    }
    const first = sessions.append(s, slow())
    await new Promise(resolve => setImmediate(resolve))
    expect((await rejection(sessions.append(s, body(new Uint8Array(1))))).status).toBe(409)
    release()
    await first
  })
})

describe('ranges', () => {
  it('Range: a satisfiable range, whole, or 416', () => {
    expect(parseRange(undefined, 100)).toBeUndefined()
    expect(parseRange('bytes=10-19', 100)).toEqual({ start: 10, end: 20 })
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 100 })
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 100 })
    expect(parseRange('bytes=50-500', 100)).toEqual({ start: 50, end: 100 })
    expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined()
    expect(() => parseRange('bytes=100-', 100)).toThrow(/not satisfiable/)
    expect(() => parseRange('bytes=50-10', 100)).toThrow(/not satisfiable/)
  })

  it('Content-Range: the spec form, inclusive, also with a bytes prefix', () => {
    expect(parseContentRange('0-99')).toEqual({ start: 0, end: 99 })
    expect(parseContentRange('bytes 100-199/*')).toEqual({ start: 100, end: 199 })
    expect(() => parseContentRange('10-5')).toThrow(/end before start/)
    expect(() => parseContentRange('x')).toThrow(/malformed/)
  })
})
