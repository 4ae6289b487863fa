// Random and mutated frames thrown at a live daemon's protocol handlers over
// real libp2p streams: /mycel/join/1.0.0 from strangers, /mycel/sync/1.0.0
// from strangers (the hello) and from admitted members (after the hello). The
// daemon runs in this process, so a crash or an unhandled rejection fails the
// test; afterwards it must still admit and replicate with a good peer, and its
// heap must not have grown without bound.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../daemon/config.js'
import { Daemon, type ReadyInfo } from '../../daemon/daemon.js'
import { JOIN_PROTOCOL } from '../../daemon/federation/join/limits.js'
import { encodeJoinRequest } from '../../daemon/federation/join/wire.js'
import { encodeFrame, encodeVarint } from '../../daemon/net/frame.js'
import { encodeHello } from '../../daemon/net/hello.js'
import { SYNC_PROTOCOL } from '../../daemon/net/limits.js'
import { Logger } from '../../daemon/log.js'
import { encodeMessage } from '../../protocol/codec.js'
import { inviteFromText, type SignedInvite } from '../../protocol/invite.js'
import { putBody, Rogue } from '../helpers/rogue.js'
import { until } from '../helpers/daemons.js'
import { concat, hostile } from './mutate.js'

const RUNS = 40
const MiB = 1024 * 1024
/** Retained heap growth allowed over the whole run (measured ~7 MiB for 120 sessions): far below one 4 MiB frame cap per run. */
const HEAP_GROWTH_MAX = 32 * MiB

/** A full collection before each heap reading, so the figure is what is retained, not garbage. */
function collectedHeap (): number {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  return process.memoryUsage().heapUsed
}

interface Running { daemon: Daemon, ready: ReadyInfo, dir: string, token: string }

async function startDaemon (join?: string): Promise<Running> {
  const dir = await mkdtemp(join_(tmpdir(), 'mycel-fuzz-'))
  const config = { ...DEFAULT_CONFIG, listen: ['/ip4/127.0.0.1/tcp/0'], antiEntropyIntervalMs: 200 }
  const daemon = new Daemon({ dir, config, join, version: 'fuzz' }, {
    log: new Logger({ level: 'error', write: () => {} }),
    onFatal: err => { throw err }
  })
  const ready = await daemon.start()
  const token = (await readFile(join_(dir, 'api.token'), 'utf8')).trim()
  return { daemon, ready, dir, token }
}
const join_ = join

async function api<T> (n: Running, method: string, path: string, body?: string): Promise<{ status: number, body: T }> {
  const res = await fetch(`${n.ready.api}${path}`, { method, headers: { authorization: `Bearer ${n.token}` }, body })
  return { status: res.status, body: await res.json() as T }
}

/** Sends the bytes, closes our side, and leaves the stream to the daemon; bounded by a short wait. */
async function throwAt (stream: Stream, chunks: Uint8Array[]): Promise<void> {
  for (const c of chunks) if (c.length > 0 && !stream.send(c)) await Promise.race([stream.onDrain(), new Promise(resolve => setTimeout(resolve, 500))])
  await Promise.race([stream.close().catch(() => {}), new Promise(resolve => setTimeout(resolve, 200))])
  stream.abort(new Error('fuzz run over'))
}

describe('fuzz: protocol handlers of a live daemon', () => {
  let a: Running
  let memberToken: Uint8Array
  let holderToken: SignedInvite
  let rejections = 0
  const onRejection = (): void => { rejections++ }

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection)
    a = await startDaemon()
    const inv = await api<{ token: string }>(a, 'POST', '/v1/invite?uses=1000&role=writer')
    holderToken = inviteFromText(inv.body.token)
    memberToken = holderToken.bytes
  })
  afterAll(async () => {
    process.off('unhandledRejection', onRejection)
    await a.daemon.stop()
    await rm(a.dir, { recursive: true, force: true })
  })

  it('survives hostile join requests, hellos and member frames, then serves a good peer; heap bounded', async () => {
    const addr = a.ready.listen[0]
    const heapBefore = collectedHeap()
    const joinBases = [encodeFrame(encodeJoinRequest({ invite: memberToken, claim: new Uint8Array(64) })), encodeFrame(encodeJoinRequest({ invite: new Uint8Array(40), claim: new Uint8Array(64) }))]
    const helloBases = [encodeFrame(encodeHello(a.ready.federation)), encodeFrame(encodeHello('fed1other'))]
    const seed = Date.now()
    // Printed so a failure can be replayed: fc's own report names the seed too.
    console.log(`fuzz seed ${seed}`)

    await fc.assert(fc.asyncProperty(fc.array(hostile(joinBases, 512), { minLength: 1, maxLength: 3 }), async chunks => {
      const x = await Rogue.create()
      try {
        const stream = await x.node.dialProtocol(multiaddr(addr), JOIN_PROTOCOL)
        await throwAt(stream, chunks)
      } catch { /* refused or reset: fine */ } finally { await x.stop() }
    }), { numRuns: RUNS, seed })

    await fc.assert(fc.asyncProperty(fc.array(hostile(helloBases, 512), { minLength: 1, maxLength: 3 }), async chunks => {
      const x = await Rogue.create()
      try {
        const stream = await x.node.dialProtocol(multiaddr(addr), SYNC_PROTOCOL)
        await throwAt(stream, chunks)
      } catch { /* refused or reset: fine */ } finally { await x.stop() }
    }), { numRuns: RUNS, seed })

    // Members: admitted with a real token, past the hello, then hostile frames.
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 2 }), fc.nat(), async (kind, junk, salt) => {
      const x = await Rogue.create()
      try {
        expect(await x.join(holderToken, addr)).toMatchObject({ ok: true })
        const { stream, welcome } = await x.session(addr, a.ready.federation)
        expect(welcome.ok).toBe(true)
        const good = encodeMessage({ type: 'push', events: [x.event(putBody(`fuzz/${salt}`))], ttl: 1 })
        const frames = [
          encodeFrame(concat(good.subarray(0, Math.max(1, good.length - 1 - (salt % 16))), ...junk)), // truncated or mangled message
          concat(encodeVarint(1024 * MiB), ...junk), // a length prefix far over the cap
          encodeFrame(encodeMessage({ type: 'push', events: [x.event(putBody(`forged/${salt}`), a.ready.peerId, 1_000_000 + salt)], ttl: 1 })), // forged author
          encodeFrame(concat(...junk, good)) // junk before a good message
        ]
        await throwAt(stream, [frames[kind]])
      } catch (err) {
        if ((err as Error).name === 'AssertionError') throw err
      } finally { await x.stop() }
    }), { numRuns: RUNS, seed })

    expect(rejections).toBe(0)
    const heapAfter = collectedHeap()
    console.log(`fuzz heap before ${(heapBefore / MiB).toFixed(1)} MiB, after ${(heapAfter / MiB).toFixed(1)} MiB`)
    expect(heapAfter - heapBefore).toBeLessThan(HEAP_GROWTH_MAX)

    // A good peer afterwards: joins, and a publish reaches it.
    const inv = await api<{ token: string }>(a, 'POST', '/v1/invite')
    const b = await startDaemon(inv.body.token)
    try {
      expect((await api(a, 'PUT', '/v1/keys/after%2Ffuzz', 'still here')).status).toBe(201)
      await until('B has A\'s publish', async () => (await api<Array<{ key: string }>>(b, 'GET', '/v1/keys')).body.some(e => e.key === 'after/fuzz'))
      const keys = (await api<Array<{ key: string }>>(a, 'GET', '/v1/keys')).body.map(e => e.key)
      expect(keys.filter(k => k.startsWith('forged/'))).toEqual([])
    } finally {
      await b.daemon.stop()
      await rm(b.dir, { recursive: true, force: true })
    }
  }, 120_000)
})
