// A member that speaks garbage on /mycel/sync loses its stream (its frame checked: undecodable, or
// announcing more than the cap before any of it is buffered), and a stranger's hello is refused; the
// daemon, its other sessions and replication carry on. The members here are hand-built libp2p
// clients admitted with a token (test/helpers/rogue.ts): a stranger never gets past the hello.
import { noise } from '@chainsafe/libp2p-noise'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeFrame, encodeVarint } from '../../daemon/net/frame.js'
import { encodeHello } from '../../daemon/net/hello.js'
import { SYNC_PROTOCOL } from '../../daemon/net/limits.js'
import { inviteFromText } from '../../protocol/invite.js'
import { Node, until, view } from '../helpers/daemons.js'
import { Rogue } from '../helpers/rogue.js'

async function client (): Promise<Libp2p> {
  return await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
}

/**
 * Reads what the daemon sends (the welcome; then it closes its write side, as
 * the handshake says) and waits up to timeoutMs for the stream to be torn down.
 * Returns the stream's final status: 'open' if it survived, 'reset' or
 * 'aborted' if the daemon killed it. (Iteration alone cannot tell: it ends
 * quietly on both a clean close and a reset.)
 */
async function fate (stream: Stream, timeoutMs: number): Promise<string> {
  void (async () => { try { for await (const _chunk of stream) { /* welcome */ } } catch {} })()
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && stream.status === 'open') await new Promise(resolve => setTimeout(resolve, 20))
  return stream.status
}

describe('malformed frames', () => {
  let a: Node, b: Node
  const clients: Libp2p[] = []
  const rogues: Rogue[] = []

  beforeAll(async () => {
    a = await Node.create(); b = await Node.create()
    await a.start()
    await b.start(['--join', await a.invite()])
    await until('A and B connected', async () => (await a.api<{ peers: unknown[] }>('GET', '/v1/status')).body.peers.length === 1)
  })
  afterAll(async () => {
    await Promise.all(clients.map(async c => { await c.stop() }))
    await Promise.all(rogues.map(async r => { await r.stop() }))
    await Promise.all([a.destroy(), b.destroy()])
  })

  const openSync = async (): Promise<Stream> => {
    const c = await client()
    clients.push(c)
    return await c.dialProtocol(multiaddr(a.ready?.listen[0] ?? ''), SYNC_PROTOCOL)
  }

  /** A member's sync stream, welcomed: a hand-built client admitted with a token (a stranger's hello is refused before any frame is read). */
  const memberSession = async (): Promise<Stream> => {
    const rogue = await Rogue.create()
    rogues.push(rogue)
    const addr = a.ready?.listen[0] ?? ''
    expect(await rogue.join(inviteFromText(await a.invite()), addr)).toMatchObject({ ok: true })
    await until('A knows the new member', async () => (await a.api<Array<{ peerId: string }>>('GET', '/v1/members')).body.some(m => m.peerId === rogue.peerId))
    const { stream, welcome } = await rogue.session(addr, a.ready?.federation ?? '')
    expect(welcome.ok).toBe(true)
    return stream
  }

  const netStats = async (): Promise<{ decodeFailures: number, oversizedFrames: number }> =>
    (await a.api<{ stats: { net: { decodeFailures: number, oversizedFrames: number } } }>('GET', '/v1/status')).body.stats.net

  it('control: a member\'s stream with a good hello and no garbage stays open', async () => {
    const stream = await memberSession()
    expect(await fate(stream, 1_000)).toBe('open')
  })

  it('a stranger\'s hello is refused and its stream ends, whatever it sends after', async () => {
    const stream = await openSync()
    stream.send(encodeFrame(encodeHello(a.ready?.federation ?? '')))
    stream.send(encodeFrame(Uint8Array.from([0xff, 0xfe, 0x00, 0x13, 0x37])))
    // Ended either way: aborted by the refused stream's linger ('reset'), or closed with the connection when
    // the stranger's slot deadline comes first (seen once on a loaded machine). Never left open.
    expect(['reset', 'aborted', 'closed']).toContain(await fate(stream, 15_000))
  })

  it('an undecodable frame from a member closes that stream only, counted as a decode failure', async () => {
    const before = await netStats()
    const stream = await memberSession()
    stream.send(encodeFrame(Uint8Array.from([0xff, 0xfe, 0x00, 0x13, 0x37])))
    expect(await fate(stream, 10_000)).toBe('reset')
    expect((await netStats()).decodeFailures).toBeGreaterThan(before.decodeFailures)
  })

  it('a frame announcing more than the size cap closes a member\'s stream before buffering it', async () => {
    const before = await netStats()
    const stream = await memberSession()
    stream.send(encodeVarint(1024 * 1024 * 1024)) // 1 GiB announced, none of it sent
    stream.send(new Uint8Array(16))
    expect(await fate(stream, 10_000)).toBe('reset')
    expect((await netStats()).oversizedFrames).toBeGreaterThan(before.oversizedFrames)
  })

  it('the daemon, its session with B and replication are unaffected', async () => {
    expect(a.proc?.exitCode).toBeNull()
    const status = (await a.api<{ peers: Array<{ peerId: string }> }>('GET', '/v1/status')).body
    expect(status.peers.map(p => p.peerId)).toContain(b.ready?.peerId)
    expect((await b.publish('after/garbage', 'still replicating')).status).toBe(201)
    await until('A has B\'s publish', async () => (await view(a)).includes('after/garbage='))
  })
})
