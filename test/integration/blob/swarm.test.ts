// A member still downloading a blob serves the chunks it has verified. C is cut off from the origin A
// (the test-only link-fault hook), so everything C gets comes through B, which is itself fetching
// from A: C's fetch finishes shortly after B's, taking chunks as B verifies them. A serves through
// the test-only serve gate (daemon/testing/serve-gate.ts), which holds back every chunk from a given
// index on: B is partway because it cannot be further, not because A happened to be slow enough.
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'

const CHUNK = 64 * 1024
const config = { blobChunkBytes: CHUNK }

interface Status { local: string, bytesHave: number, transfer?: { holders: Record<string, { chunks: number, partialChunks?: number }> } }

async function status (node: Node, ref: string): Promise<Status> {
  return (await node.api<Status>('GET', `/v1/blobs/${encodeURIComponent(ref)}`)).body
}

async function peersOf (node: Node): Promise<string[]> {
  return (await node.api<{ peers: Array<{ peerId: string }> }>('GET', '/v1/status')).body.peers.map(p => p.peerId)
}

describe('partial holders serve what they have verified', () => {
  const nodes: Node[] = []
  let a: Node, b: Node, c: Node
  let cutFile: string
  let gateFile: string
  /** A sends only chunks below `n` of any blob from now on (undefined: all of them). */
  const openGateTo = async (n?: number): Promise<void> => { await writeFile(gateFile, n === undefined ? '' : String(n)) }

  beforeAll(async () => {
    a = await Node.create(config); b = await Node.create(config); c = await Node.create(config)
    nodes.push(a, b, c)
    cutFile = join(c.dir, 'cut-links')
    await writeFile(cutFile, '')
    gateFile = join(a.dir, 'serve-gate')
    await openGateTo()
    await a.start([], 20_000, { MYCEL_TEST_SERVE_GATE: gateFile })
    const token = await a.invite({ uses: 2 })
    await b.start(['--join', token, '--replicate', 'on-demand'])
    await c.start(['--join', token, '--replicate', 'on-demand'], 20_000, { MYCEL_TEST_LINK_FAULTS: cutFile })
    await until('C connected to B', async () => (await peersOf(c)).includes(b.ready?.peerId as string))
    await writeFile(cutFile, `${a.ready?.peerId as string}\n`)
    await until('C cut off from A', async () => !(await peersOf(c)).includes(a.ready?.peerId as string))
  })
  afterAll(async () => { await Promise.all(nodes.map(async n => { await n.destroy() })) })

  /** A publishes 32 chunks under art/NAME; once C has the metadata, B starts fetching and gets the first `chunks`, and no more. */
  async function bPartway (name: string, chunks: number): Promise<{ bytes: Buffer, bFetch: ReturnType<typeof cli> }> {
    await openGateTo(chunks)
    const bytes = randomBytes(32 * CHUNK)
    const path = join(a.dir, name)
    await writeFile(path, bytes)
    expect((await cli(['publish', path, `art/${name}`, '--dir', a.dir])).code).toBe(0)
    await until('C has the metadata (through B)', async () => (await c.keys()).some(k => k.key === `art/${name}`))
    const bFetch = cli(['fetch', `art/${name}`, '-o', join(b.dir, name), '--dir', b.dir, '--wait', '60'])
    await until('B has the chunks A lets through', async () => (await status(b, `art/${name}`)).bytesHave >= chunks * CHUNK, 20_000, 20)
    return { bytes, bFetch }
  }

  it('C, cut off from A, gets every chunk from B while B is still downloading it', async () => {
    const { bytes, bFetch } = await bPartway('swarm.bin', 4)
    expect((await status(b, 'art/swarm.bin')).local).toBe('partial')
    // What C's `where` says of B meanwhile: fetching (its have answer says partial), and no holder.
    const where = JSON.parse((await cli(['where', 'art/swarm.bin', '--dir', c.dir, '--json'])).stdout) as Array<{ peerId: string, bytes: string }>
    expect(where.find(m => m.peerId === b.ready?.peerId)?.bytes).toBe('fetching')

    const cFetch = cli(['fetch', 'art/swarm.bin', '-o', join(c.dir, 'swarm.bin'), '--dir', c.dir, '--json', '--wait', '60'])
    await until('C has what B has', async () => (await status(c, 'art/swarm.bin')).bytesHave >= 4 * CHUNK, 20_000, 20)
    // B gets all but the last chunk, and C takes each from B as B verifies it; then A lets the last one through.
    await openGateTo(31)
    await until('C has all but the last chunk, from B, still partial', async () => (await status(c, 'art/swarm.bin')).bytesHave >= 31 * CHUNK, 20_000, 20)
    expect((await status(b, 'art/swarm.bin')).local).toBe('partial')
    await openGateTo()
    const res = await cFetch
    expect(res.code).toBe(0)
    expect(Buffer.compare(await readFile(join(c.dir, 'swarm.bin')), bytes)).toBe(0)
    const holders = (await status(c, 'art/swarm.bin')).transfer?.holders ?? {}
    expect(Object.keys(holders)).toEqual([b.ready?.peerId])
    const fromB = holders[b.ready?.peerId as string]
    expect(fromB?.chunks).toBe(32)
    // C asked when B had 4 chunks, and had 31 before B could have the last: most came while B was partial.
    expect(fromB?.partialChunks).toBeGreaterThanOrEqual(16)
    expect((await bFetch).code).toBe(0)
  })

  it('when A goes away mid-fetch, B, waiting for a holder, still serves what it has to C', async () => {
    const { bytes, bFetch } = await bPartway('orphan.bin', 8)
    await a.kill()
    // C can get only what B has: its fetch runs out of time (exit 4), with every one of B's chunks.
    const res = await cli(['fetch', 'art/orphan.bin', '-o', join(c.dir, 'orphan.bin'), '--dir', c.dir, '--json', '--wait', '5'])
    expect(res.code).toBe(4)
    const [atB, atC] = [await status(b, 'art/orphan.bin'), await status(c, 'art/orphan.bin')]
    expect(atB.local).toBe('partial')
    expect(atB.bytesHave).toBeLessThan(bytes.length)
    expect(atC.bytesHave).toBe(atB.bytesHave)
    expect(atC.transfer?.holders[b.ready?.peerId as string]?.partialChunks).toBe(atB.bytesHave / CHUNK)
    await b.kill() // ends B's fetch, which would wait for A until its deadline
    await bFetch
  })
})

describe('sites mirroring one blob at once trade chunks instead of each taking all of it from the origin', () => {
  const nodes: Node[] = []
  let a: Node, b: Node, c: Node

  beforeAll(async () => {
    a = await Node.create(config); b = await Node.create(config); c = await Node.create(config)
    nodes.push(a, b, c)
    await a.start(['--max-upload-rate', '2M']) // the origin's uplink is the bound
    const token = await a.invite({ uses: 2 })
    await Promise.all([b.start(['--join', token]), c.start(['--join', token])])
    await until('B and C connected to each other', async () => (await peersOf(c)).includes(b.ready?.peerId as string))
  })
  afterAll(async () => { await Promise.all(nodes.map(async n => { await n.destroy() })) })

  it('A, capped, sends well under two copies for two eager mirrors', async () => {
    const chunks = 128
    const path = join(a.dir, 'fanout.bin')
    await writeFile(path, randomBytes(chunks * CHUNK))
    const pub = JSON.parse((await cli(['publish', path, 'art/fanout.bin', '--dir', a.dir, '--json'])).stdout) as { digest: string }
    const stored = async (n: Node): Promise<boolean> => (await status(n, pub.digest)).local === 'complete'
    await until('B and C mirrored it', async () => await stored(b) && await stored(c), 30_000, 100)
    const fromA = async (n: Node): Promise<number> => (await status(n, pub.digest)).transfer?.holders[a.ready?.peerId as string]?.chunks ?? 0
    const sent = await fromA(b) + await fromA(c)
    // Each takes blocks in an order of its own, the other's verified chunks from it, and leaves to it
    // what it is fetching: here 160–184 chunks (1.25–1.45 copies); 2.0 copies before, each mirror
    // taking everything from A in chunk order. See docs/blobs.md, "Sites mirroring at once".
    expect(sent).toBeGreaterThanOrEqual(chunks)
    expect(sent).toBeLessThanOrEqual(1.6 * chunks)
  })
})
