// Blob transfer between real daemons on 127.0.0.1 (small blobs, 64 KiB chunks):
// A publishes; B mirrors eagerly; C is on-demand. C fetches while A is offline;
// a lying holder's chunks are caught; a fetch resumes after the fetcher is
// killed; exit codes 3 and 4; collection of unreferenced blobs.
import { execFileSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'

const CHUNK = 64 * 1024
const config = { blobChunkBytes: CHUNK, blobGraceMs: 500 }

interface Status { local: string, bytesHave: number, size: number, holders: string[], transfer?: { bytesReceived: number, badChunks: number, holders: Record<string, { chunks: number, badChunks: number }> } }

async function blobFile (node: Node, size: number, name: string): Promise<{ path: string, bytes: Buffer }> {
  const bytes = randomBytes(size)
  const path = join(node.dir, name)
  await writeFile(path, bytes)
  return { path, bytes }
}

async function stored (node: Node, digest: string): Promise<boolean> {
  return (await readdir(join(node.dir, 'blobs', 'sha256'))).includes(digest.slice('sha256:'.length))
}

async function status (node: Node, ref: string): Promise<Status> {
  return (await node.api<Status>('GET', `/v1/blobs/${encodeURIComponent(ref)}`)).body
}

describe('blob transfer', () => {
  const nodes: Node[] = []
  let a: Node, b: Node, c: Node
  let first: { digest: string, bytes: Buffer }

  beforeAll(async () => {
    a = await Node.create(config); b = await Node.create(config); c = await Node.create(config)
    nodes.push(a, b, c)
    await a.start()
    const token = await a.invite({ uses: 2 })
    await Promise.all([b.start(['--join', token]), c.start(['--join', token, '--replicate', 'on-demand'])])
    await until('B and C connected to each other', async () => {
      const peers = (await c.api<{ peers: Array<{ peerId: string }> }>('GET', '/v1/status')).body.peers.map(p => p.peerId)
      return peers.includes(b.ready?.peerId as string) && peers.includes(a.ready?.peerId as string)
    })
  })
  afterAll(async () => { await Promise.all(nodes.map(async n => { await n.destroy() })) })

  it('publish prints the sha256sum digest; B mirrors eagerly; on-demand C keeps the bytes off', async () => {
    const { path, bytes } = await blobFile(a, 3 * 1024 * 1024 + 123, 'one.bin')
    const pub = await cli(['publish', path, 'art/one.bin', '--dir', a.dir, '--json'])
    expect(pub.code).toBe(0)
    const published = JSON.parse(pub.stdout) as { digest: string, cid: string }
    const sum = execFileSync('sha256sum', [path]).toString().split(' ')[0]
    expect(published.digest).toBe(`sha256:${sum}`)
    expect(published.cid).toMatch(/^bafkrei/)
    first = { digest: published.digest, bytes }
    await until('B mirrored the bytes', async () => await stored(b, published.digest))
    await until('C has the metadata', async () => (await c.keys()).some(k => k.key === 'art/one.bin'))
    expect(await stored(c, published.digest)).toBe(false)
    expect((await status(c, 'art/one.bin')).local).toBe('absent')
    const ls = JSON.parse((await cli(['ls', '--dir', c.dir, '--json'])).stdout) as Array<{ digest: string, cid: string }>
    expect(ls[0]).toMatchObject({ digest: published.digest, cid: published.cid })
  })

  it('C fetches from B while A is offline; the file and its digest match', async () => {
    await a.stop()
    const out = join(c.dir, 'got.bin')
    const res = await cli(['fetch', 'art/one.bin', '-o', out, '--dir', c.dir, '--json', '--wait', '20'])
    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    const report = JSON.parse(res.stdout) as { key: string, digest: string, cid: string, size: number, path: string, holders: string[], ms: number }
    expect(report).toMatchObject({ key: 'art/one.bin', digest: first.digest, size: first.bytes.length, path: out })
    expect(report.holders).toContain(b.ready?.peerId)
    expect(Buffer.compare(await readFile(out), first.bytes)).toBe(0)
    expect(`sha256:${execFileSync('sha256sum', [out]).toString().split(' ')[0]}`).toBe(first.digest)
    const s = await status(c, first.digest)
    expect(s.transfer?.holders[b.ready?.peerId as string]?.chunks).toBe(Math.ceil(first.bytes.length / CHUNK))
  })

  it('fetch -o: a missing directory is a usage error; a directory gets the default name; a named pipe is written in place', async () => {
    const missing = await cli(['fetch', 'art/one.bin', '-o', join(c.dir, 'no', 'such', 'dir', 'f'), '--dir', c.dir, '--json'])
    expect(missing.code).toBe(2)
    expect(JSON.parse(missing.stdout).error.message).toContain('ENOENT')
    const into = join(c.dir, 'into')
    await mkdir(into)
    expect((await cli(['fetch', 'art/one.bin', '-o', into, '--dir', c.dir])).code).toBe(0)
    expect(await readdir(into)).toEqual(['one.bin'])
    expect(Buffer.compare(await readFile(join(into, 'one.bin')), first.bytes)).toBe(0)
    // Renaming a temp file over a pipe or device would replace it with a regular file.
    const fifo = join(c.dir, 'pipe')
    execFileSync('mkfifo', [fifo])
    const [res, piped] = await Promise.all([cli(['fetch', 'art/one.bin', '-o', fifo, '--dir', c.dir]), readFile(fifo)])
    expect(res.code).toBe(0)
    expect(Buffer.compare(piped, first.bytes)).toBe(0)
    expect((await stat(fifo)).isFIFO()).toBe(true)
    expect((await readdir(c.dir)).filter(n => n.includes('.mycel-'))).toEqual([])
  })

  it('publish refuses a key that reads as a digest or a CID (fetch would take it as one)', async () => {
    const { path } = await blobFile(c, 1000, 'small.bin')
    for (const key of [first.digest, 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku']) {
      const res = await cli(['publish', path, key, '--dir', c.dir, '--json'])
      expect(res.code).toBe(2)
      expect(JSON.parse(res.stdout).error.message).toContain('reads as a digest or CID')
    }
    expect((await cli(['publish', path, 'sha256:not-a-digest', '--dir', c.dir])).code).toBe(0)
  })

  it('exit 4 names the digest and holders when no holder is reachable; exit 3 for an unknown key', async () => {
    const { path } = await blobFile(b, 200_000, 'two.bin')
    const pub = JSON.parse((await cli(['publish', path, 'art/two.bin', '--dir', b.dir, '--json'])).stdout) as { digest: string }
    await until('C has the metadata', async () => (await c.keys()).some(k => k.key === 'art/two.bin'))
    await b.stop()
    const res = await cli(['fetch', 'art/two.bin', '-o', join(c.dir, 'two.bin'), '--dir', c.dir, '--json', '--wait', '1'])
    expect(res.code).toBe(4)
    const err = JSON.parse(res.stdout) as { error: { code: string, message: string, digest: string, holders: string[], publishers: Array<{ peerId: string, state: string }> } }
    expect(err.error).toMatchObject({ code: 'UNAVAILABLE', digest: pub.digest, holders: [] })
    expect(err.error.message).toContain(pub.digest)
    // It says where the bytes should be and that that site is offline.
    expect(err.error.publishers).toEqual([expect.objectContaining({ peerId: b.ready?.peerId, state: expect.stringMatching(/unreachable|not connected/) })])
    expect(err.error.message).toMatch(/published by \S+ \(offline\)/)
    const missing = await cli(['fetch', 'no/such/key', '--dir', c.dir, '--json'])
    expect(missing.code).toBe(3)
    const catMissing = await cli(['cat', `sha256:${'ab'.repeat(32)}`, '--dir', c.dir])
    expect(catMissing.code).toBe(3)
  })

  it('a holder serving corrupted chunks is caught and the chunks come from elsewhere', async () => {
    // A honest but slow (so the liar surely gets ranges too), B flips a byte in every chunk it serves.
    await Promise.all([
      a.start([], 20_000, { MYCEL_TEST_SERVE_DELAY_MS: '20' }),
      b.start([], 20_000, { MYCEL_TEST_CORRUPT_CHUNKS: '1' })
    ])
    const { path, bytes } = await blobFile(a, 2 * 1024 * 1024, 'three.bin')
    const pub = JSON.parse((await cli(['publish', path, 'art/three.bin', '--dir', a.dir, '--json'])).stdout) as { digest: string }
    await until('B mirrored it', async () => await stored(b, pub.digest))
    await until('C sees both as connected', async () => (await c.api<{ peers: unknown[] }>('GET', '/v1/status')).body.peers.length === 2)
    const res = await cli(['cat', 'art/three.bin', '--dir', c.dir])
    expect(res.code).toBe(0)
    const s = await status(c, 'art/three.bin')
    expect(s.local).toBe('complete')
    expect(Buffer.compare(await readFile(join(c.dir, 'blobs', 'sha256', pub.digest.slice(7))), bytes)).toBe(0)
    const liar = s.transfer?.holders[b.ready?.peerId as string]
    expect(liar?.badChunks).toBeGreaterThan(0)
    expect(liar?.chunks).toBe(0)
    expect(s.transfer?.holders[a.ready?.peerId as string]?.chunks).toBe(2 * 1024 * 1024 / CHUNK)
  })

  it('a fetch resumes after the fetcher is killed and restarted', async () => {
    await b.stop()
    const { path, bytes } = await blobFile(a, 4 * 1024 * 1024, 'four.bin')
    const pub = JSON.parse((await cli(['publish', path, 'art/four.bin', '--dir', a.dir, '--json'])).stdout) as { digest: string }
    await until('C has the metadata', async () => (await c.keys()).some(k => k.key === 'art/four.bin'))
    const fetching = cli(['fetch', 'art/four.bin', '-o', join(c.dir, 'four.bin'), '--dir', c.dir])
    await until('C is halfway', async () => (await status(c, 'art/four.bin')).bytesHave >= bytes.length / 2, 20_000, 20)
    await c.kill()
    expect((await fetching).code).not.toBe(0)
    await c.start(['--replicate', 'on-demand'])
    const res = await cli(['fetch', 'art/four.bin', '-o', join(c.dir, 'four.bin'), '--dir', c.dir, '--json', '--wait', '30'])
    expect(res.code).toBe(0)
    expect(Buffer.compare(await readFile(join(c.dir, 'four.bin')), bytes)).toBe(0)
    const s = await status(c, pub.digest)
    expect(s.transfer?.bytesReceived).toBeGreaterThan(0)
    // At most the progress of one bitmap interval (200 ms ≈ 10 chunks at this holder's pace) is fetched again.
    expect(s.transfer?.bytesReceived).toBeLessThanOrEqual(bytes.length / 2 + CHUNK * 16)
  })

  it('Ctrl-C during a fetch exits 130 and leaves no file behind; the daemon still gets the bytes', async () => {
    const { path } = await blobFile(a, 4 * 1024 * 1024, 'five.bin')
    const pub = JSON.parse((await cli(['publish', path, 'art/five.bin', '--dir', a.dir, '--json'])).stdout) as { digest: string }
    await until('C has the metadata', async () => (await c.keys()).some(k => k.key === 'art/five.bin'))
    let child: ChildProcess | undefined
    const fetching = cli(['fetch', 'art/five.bin', '-o', join(c.dir, 'five.bin'), '--dir', c.dir], process.env, p => { child = p })
    await until('C is fetching', async () => (await status(c, 'art/five.bin')).bytesHave > 0, 20_000, 20)
    child?.kill('SIGINT')
    const res = await fetching
    expect(res.code).toBe(130)
    expect(res.stderr).toContain('interrupted: nothing written to')
    expect((await readdir(c.dir)).filter(n => n.includes('five.bin'))).toEqual([])
    await until('C has the bytes all the same', async () => await stored(c, pub.digest))
  })

  it('a blob whose last key is deleted is collected after the grace period', async () => {
    expect(await stored(a, first.digest)).toBe(true)
    expect((await cli(['rm', 'art/one.bin', '--dir', a.dir])).code).toBe(0)
    await until('A and C collected it', async () => !await stored(a, first.digest) && !await stored(c, first.digest), 10_000)
  })
})
