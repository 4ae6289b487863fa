// GET /v1/blobs/<ref>/content at a site that does not hold the bytes yet sends them as its fetch verifies
// them (#22), instead of waiting for the whole blob first: A is capped at 4 MB/s of blob upload, so B's
// fetch of 16 MiB takes seconds, and B's first bytes go out while its own status still says the blob is
// not complete. The body is the blob (digest checked); a range is served the same way. `mycel fetch -o`
// of bytes not here lets the daemon fetch them and copies its file when the site keeps them (via copy),
// and streams them as they arrive where the site keeps no copy (via api, and nothing is left here).
import { createHash, randomBytes } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'

const MiB = 1024 * 1024
const BYTES = 16 * MiB

describe('blob content streams while the site fetches', () => {
  let a: Node, b: Node
  let auth: Record<string, string>

  const publishAtA = async (key: string): Promise<{ bytes: Buffer, digest: string }> => {
    const bytes = randomBytes(BYTES)
    const token = (await readFile(join(a.dir, 'api.token'), 'utf8')).trim()
    const res = await fetch(`${a.ready?.api as string}/v1/keys/${encodeURIComponent(key)}`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: bytes })
    expect(res.status).toBe(201)
    await until(`B knows ${key}`, async () => (await b.keys()).some(k => k.key === key), 30_000, 50)
    return { bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` }
  }
  const contentAtB = (key: string): string => `${b.ready?.api as string}/v1/blobs/${encodeURIComponent(key)}/content`
  const localAtB = async (key: string): Promise<string> => (await b.api<{ local: string }>('GET', `/v1/blobs/${encodeURIComponent(key)}`)).body.local

  beforeAll(async () => {
    a = await Node.create({ maxUploadBytesPerSec: 4_000_000 })
    b = await Node.create({ replicate: 'on-demand', replicatePrefixes: { 'pass/': 'none' } })
    await a.start()
    await b.start(['--join', await a.invite({ role: 'writer' })])
    auth = { authorization: `Bearer ${(await readFile(join(b.dir, 'api.token'), 'utf8')).trim()}` }
  }, 60_000)
  afterAll(async () => { await Promise.all([a?.destroy(), b?.destroy()]) })

  it('the first bytes go out before the blob is complete here; the whole body is the blob', async () => {
    const { digest } = await publishAtA('stream/whole.bin')
    expect(await localAtB('stream/whole.bin')).not.toBe('complete')
    const res = await fetch(contentAtB('stream/whole.bin'), { headers: auth })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(BYTES))
    expect(res.headers.get('x-mycel-digest')).toBe(digest)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const hash = createHash('sha256')
    let total = 0
    let localAtFirstByte: string | undefined
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      localAtFirstByte ??= await localAtB('stream/whole.bin')
      hash.update(value)
      total += value.length
    }
    expect(localAtFirstByte).not.toBe('complete')
    expect(total).toBe(BYTES)
    expect(`sha256:${hash.digest('hex')}`).toBe(digest)
    await until('B stored the blob', async () => await localAtB('stream/whole.bin') === 'complete', 30_000, 50)
  }, 60_000)

  it('a range of bytes not here yet: 206 with exactly that slice', async () => {
    const { bytes } = await publishAtA('stream/range.bin')
    const res = await fetch(contentAtB('stream/range.bin'), { headers: { ...auth, range: `bytes=${5 * MiB}-${6 * MiB + 9}` } })
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(`bytes ${5 * MiB}-${6 * MiB + 9}/${BYTES}`)
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(5 * MiB, 6 * MiB + 10))).toBe(true)
  }, 60_000)

  it('mycel fetch -o of bytes not here that the site keeps: the daemon fetches them, its file is copied', async () => {
    const { bytes } = await publishAtA('stream/cli.bin')
    const out = join(b.dir, 'cli.bin')
    const res = await cli(['fetch', 'stream/cli.bin', '-o', out, '--json', '--dir', b.dir])
    expect(res.code).toBe(0)
    expect(JSON.parse(res.stdout).via).toBe('copy')
    expect((await readFile(out)).equals(bytes)).toBe(true)
    expect(await localAtB('stream/cli.bin')).toBe('complete')
  }, 60_000)

  it('mycel fetch --link of bytes not here that the site keeps: fetched, then FILE is a hard link to its copy', async () => {
    const { bytes } = await publishAtA('stream/link.bin')
    const out = join(b.dir, 'link.bin')
    const res = await cli(['fetch', 'stream/link.bin', '-o', out, '--link', '--json', '--dir', b.dir])
    expect(res.code).toBe(0)
    expect(JSON.parse(res.stdout).via).toBe('link')
    expect((await stat(out)).nlink).toBe(2)
    expect((await readFile(out)).equals(bytes)).toBe(true)
  }, 60_000)

  it('mycel fetch -o of bytes not here at a site that keeps no copy: streamed as they arrive, nothing kept', async () => {
    const { bytes } = await publishAtA('pass/cli.bin')
    const out = join(b.dir, 'pass.bin')
    const res = await cli(['fetch', 'pass/cli.bin', '-o', out, '--json', '--dir', b.dir])
    expect(res.code).toBe(0)
    expect(JSON.parse(res.stdout).via).toBe('api')
    expect((await readFile(out)).equals(bytes)).toBe(true)
    await until('B dropped the bytes it served', async () => await localAtB('pass/cli.bin') === 'absent', 30_000, 50)
  }, 60_000)

  it('GET /v1/blobs/<ref>?wait= answers once the bytes are here, with the path of the copy', async () => {
    await publishAtA('stream/wait.bin')
    const status = await b.api<{ local: string, path?: string, keptHere?: boolean }>('GET', `/v1/blobs/${encodeURIComponent('stream/wait.bin')}?wait=60`)
    expect(status.status).toBe(200)
    expect(status.body.local).toBe('complete')
    expect(typeof status.body.path).toBe('string')
    expect(status.body.keptHere).toBe(true)
  }, 60_000)

  // Last: it stops A.
  it('bytes no holder can give within wait: a JSON UNAVAILABLE naming the digest, before any byte', async () => {
    const { digest } = await publishAtA('stream/orphan.bin')
    await a.stop()
    const res = await fetch(`${contentAtB('stream/orphan.bin')}?wait=1`, { headers: auth })
    expect(res.status).toBe(503)
    const body = await res.json() as { error: { code: string, message: string, digest?: string } }
    expect(body.error.code).toBe('UNAVAILABLE')
    expect(JSON.stringify(body.error)).toContain(digest)
  }, 60_000)
})
