// Issue #17, blobs at rest, against real daemons (64 KiB chunks): a copy corrupted on A's disk is
// never served — a member fetching it gets the chunk refused, the local API answers an error, `mycel
// cat` exits 4 with a message that says so, and a chunk damaged midway cuts the bytes short instead
// of sending it — and A's scrub finds a damaged copy and repairs it from another holder (B).
import { createHash, randomBytes } from 'node:crypto'
import { open, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'

const CHUNK = 64 * 1024
const config = { blobChunkBytes: CHUNK }

interface Integrity { found: number, repaired: number, repairFailures: number, pending: number }
interface BlobStats { integrity: Integrity, scrub: { passes: number, damagedFound: number }, damagedChunksRefused: number }

async function blobStats (n: Node): Promise<BlobStats> {
  return (await n.api<{ stats: { blob: BlobStats } }>('GET', '/v1/status')).body.stats.blob
}

async function localOf (n: Node, ref: string): Promise<string> {
  return (await n.api<{ local: string }>('GET', `/v1/blobs/${encodeURIComponent(ref)}`)).body.local
}

/** Flips one byte of the stored copy, as a failing disk would. */
async function corrupt (n: Node, digest: string, offset: number): Promise<void> {
  const file = await open(join(n.dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), 'r+')
  try {
    const b = Buffer.alloc(1)
    await file.read(b, 0, 1, offset)
    b[0] = (b[0] as number) ^ 0x5a
    await file.write(b, 0, 1, offset)
  } finally {
    await file.close()
  }
}

async function sha256Of (n: Node, digest: string): Promise<string> {
  const bytes = await readFile(join(n.dir, 'blobs', 'sha256', digest.slice('sha256:'.length))).catch(() => Buffer.alloc(0))
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

describe('abuse: blob copies damaged at rest', () => {
  let a: Node, b: Node, c: Node
  const blobs: Record<string, { digest: string, text: string }> = {}

  async function publish (key: string, size: number): Promise<void> {
    // Printable bytes, so `mycel cat`'s stdout can be compared as text.
    const text = randomBytes(size).toString('base64').slice(0, size)
    const path = join(a.dir, `${key.replace(/\W/g, '_')}.txt`)
    await writeFile(path, text)
    const out = await cli(['publish', path, key, '--dir', a.dir, '--json'])
    expect(out.code).toBe(0)
    blobs[key] = { digest: (JSON.parse(out.stdout) as { digest: string }).digest, text }
  }

  beforeAll(async () => {
    a = await Node.create(config); b = await Node.create(config); c = await Node.create(config)
    await a.start()
    const token = await a.invite({ uses: 2 })
    await Promise.all([b.start(['--join', token]), c.start(['--join', token, '--replicate', 'on-demand'])])
    await publish('rot/x', 8 * CHUNK + 100)
    await publish('rot/y', 6 * CHUNK)
    await publish('rot/z', 5 * CHUNK + 7)
    for (const key of Object.keys(blobs)) await until(`B mirrored ${key}`, async () => await localOf(b, key) === 'complete', 30_000)
    await until('C knows the keys', async () => (await c.keys()).length >= 3)
  }, 120_000)
  afterAll(async () => { await Promise.all([a, b, c].map(async n => { await n?.destroy() })) })

  it('a member fetching a damaged copy gets the chunk refused; the API and `mycel cat` answer an error that says why', async () => {
    await b.stop() // A is the only holder online
    const x = blobs['rot/x'] as { digest: string, text: string }
    await corrupt(a, x.digest, 10)
    const fetched = await cli(['fetch', 'rot/x', '-o', join(c.dir, 'x.txt'), '--dir', c.dir, '--wait', '4'])
    expect(fetched.code).toBe(4)
    await until('A refused the damaged chunk and removed its copy', async () => {
      const s = await blobStats(a)
      return s.damagedChunksRefused >= 1 && s.integrity.found >= 1
    })
    expect(await localOf(a, 'rot/x')).not.toBe('complete')

    const api = await a.api<{ error: { code: string, message: string } }>('GET', `/v1/blobs/${encodeURIComponent('rot/x')}/content?wait=0`)
    expect(api.status).toBe(503)
    expect(api.body.error).toMatchObject({ code: 'UNAVAILABLE' })
    expect(api.body.error.message).toMatch(/damaged/)
    const cat = await cli(['cat', 'rot/x', '--wait', '0', '--dir', a.dir])
    expect(cat.code).toBe(4)
    expect(cat.stderr).toMatch(/damaged/)
    expect(cat.stdout).toBe('')
  })

  it('a chunk damaged midway cuts `mycel cat` short: only the verified chunks before it are written', async () => {
    const y = blobs['rot/y'] as { digest: string, text: string }
    await corrupt(a, y.digest, 3 * CHUNK + 17)
    const cat = await cli(['cat', 'rot/y', '--wait', '0', '--dir', a.dir])
    expect(cat.code).toBe(4)
    expect(cat.stderr).toMatch(/stopped sending|damaged/)
    expect(cat.stdout.length).toBeLessThanOrEqual(3 * CHUNK)
    expect(cat.stdout).toBe(y.text.slice(0, cat.stdout.length))
    await until('A removed the damaged copy of Y', async () => await localOf(a, 'rot/y') !== 'complete')
  })

  it('the scrub finds a damaged copy and repairs it from another holder', async () => {
    await b.start()
    // A restarted with a scrub every second; its damaged X and Y come back from B meanwhile.
    await a.stop()
    await writeFile(join(a.dir, 'config.json'), JSON.stringify({ ...config, antiEntropyIntervalMs: 200, blobScrubIntervalMs: 1_000 }))
    await a.start()
    for (const key of ['rot/x', 'rot/y']) await until(`A has ${key} again`, async () => await localOf(a, key) === 'complete', 30_000)
    const z = blobs['rot/z'] as { digest: string, text: string }
    const before = await blobStats(a)
    await corrupt(a, z.digest, 4 * CHUNK + 3)
    await until('the scrub found the damaged copy and repaired it', async () => {
      const s = await blobStats(a)
      return s.scrub.damagedFound > before.scrub.damagedFound && s.integrity.repaired > before.integrity.repaired
    }, 60_000)
    // On a timeout, A's log says why the repair did not come (kept: this wait failed on a loaded machine).
    await until('A holds Z again', async () => await localOf(a, 'rot/z') === 'complete', 30_000)
      .catch(err => { throw new Error(`${String(err)}\nA's log:\n${a.log.slice(-6000)}`) })
    for (const [key, blob] of Object.entries(blobs)) {
      expect(await sha256Of(a, blob.digest), key).toBe(blob.digest)
      const got = await a.api('GET', `/v1/blobs/${encodeURIComponent(key)}`)
      expect(got.status).toBe(200)
    }
    const cat = await cli(['cat', 'rot/z', '--dir', a.dir])
    expect(cat.code).toBe(0)
    expect(cat.stdout).toBe(z.text)
  })
})
