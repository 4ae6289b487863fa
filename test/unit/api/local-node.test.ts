// The acknowledgement contract: publish and rm answer only once the persist
// batch holding their event is durable, and fail if the store fails.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BlobStore } from '../../../daemon/blob/store.js'
import { LocalNode } from '../../../daemon/api/local-node.js'
import { PeerLagTracker } from '../../../daemon/visibility/peer-lag.js'
import { DurableWaits } from '../../../daemon/store/durable-waits.js'
import { ReplicaHost } from '../../../protocol/driver.js'
import { Replica } from '../../../protocol/replica.js'
import type { PersistBatch } from '../../../protocol/replica-api.js'
import { fakeSigner, fakeVerifier } from '../../helpers/fake-crypto.js'

async function * bytes (text: string): AsyncIterable<Uint8Array> { yield Buffer.from(text) }

describe('LocalNode acknowledgements', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mycel-node-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  async function build (write: (b: PersistBatch[]) => Promise<void>): Promise<{ node: LocalNode, written: PersistBatch[] }> {
    const written: PersistBatch[] = []
    const blobs = new BlobStore({ dir, maxBlobBytes: 1 << 20 })
    await blobs.start()
    let t = 1_000_000
    // As the daemon's runtime wires it: the host group-commits to the store, then tells the waits.
    const waits = new DurableWaits()
    const host: ReplicaHost<Replica> = new ReplicaHost({ tickAfterInput: 'soon' }, {
      timers: { monoMs: () => t, after: () => () => {}, at: () => () => {} }, // never started: no tick is needed here
      store: { commit: (b, done) => { write(b).then(() => { written.push(...b); done() }, err => { done(err as Error) }) } },
      durable: n => { host.markDurable(n); waits.durableThrough(n) },
      failed: err => { waits.fail(err) },
      replica: persist => new Replica({ id: 'n0' }, {
        clock: { nowMs: () => t++, monoMs: () => t },
        random: { float: () => 0.5, int: () => 0 },
        signer: fakeSigner('n0'),
        verifier: fakeVerifier,
        send: () => {},
        persist
      })
    })
    const replica = host.replica
    const lag = new PeerLagTracker({ ourDigest: () => replica.digest(), ourVv: () => replica.versionVector() })
    const mesh = { listenAddrs: () => ['/ip4/127.0.0.1/tcp/1/p2p/n0'], connectedPeers: () => [], knownPeers: () => [], stats: () => ({}) }
    const node = new LocalNode({ peerId: 'n0', name: 'site-a', federation: 'f'.repeat(32), dir, version: '0', startedAtMs: 0, apiUrl: () => 'http://x' }, { replica: host, blobs, whenDurable: async n => { await waits.whenDurable(n) }, lag, mesh })
    return { node, written }
  }

  it('publish resolves only after its batch was written', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>(resolve => { release = resolve })
    let writing: () => void = () => {}
    const writeStarted = new Promise<void>(resolve => { writing = resolve })
    const { node, written } = await build(async b => {
      if (b.some(x => x.put.some(e => e.body.key === 'a/b'))) writing()
      await gate
    })
    let done = false
    const publishing = node.publish('a/b', { os: 'linux' }, bytes('hello')).then(r => { done = true; return r })
    await writeStarted // the batch holding the event is on its way to disk, held at the gate
    expect(done).toBe(false)
    expect(node.page('', undefined, 10).entries).toHaveLength(1) // visible locally at once; acknowledged only once durable
    release()
    const result = await publishing
    expect(written.some(b => b.put.some(e => e.body.key === 'a/b'))).toBe(true)
    expect(result).toMatchObject({ key: 'a/b', size: 5, props: { os: 'linux' }, author: 'n0', digest: expect.stringMatching(/^sha256:/) })
  })

  it('rm of a live key writes a tombstone durably; of a missing key is NOT_FOUND', async () => {
    const { node, written } = await build(async () => {})
    await node.publish('k', {}, bytes('x'))
    await expect(node.remove('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' })
    const r = await node.remove('k')
    expect(r.key).toBe('k')
    expect(written.some(b => b.put.some(e => e.body.kind === 'delete' && e.body.key === 'k'))).toBe(true)
    expect(node.get('k')).toBeUndefined()
    expect(node.status()).toMatchObject({ keys: 0, tombstones: 1, digest: expect.stringMatching(/^[0-9a-f]+$/) })
  })

  it('a failing store fails the publish instead of acknowledging it', async () => {
    const { node } = await build(async () => { throw new Error('EIO') })
    await expect(node.publish('k', {}, bytes('x'))).rejects.toMatchObject({ code: 'INTERNAL' })
  })
})
