// SIGKILL in the middle of a stream of publishes: nothing acknowledged is
// lost, the store reopens consistent, and the node catches up on what it
// missed through anti-entropy alone (no --join on restart).
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeEvent } from '../../protocol/codec.js'
import { LevelStore } from '../../daemon/store/level-store.js'
import { cli, Node, until, view } from '../helpers/daemons.js'

/**
 * Publishes `prefix/0..` on `node` with `inFlight` requests at a time until
 * `stop()` says so; returns key → digest of every acknowledged (201) write.
 * Requests cut off by a kill simply fail: they were never acknowledged.
 */
async function publishStream (node: Node, prefix: string, inFlight: number, stop: () => boolean, acked = new Map<string, string>()): Promise<{ acked: Map<string, string>, cut: number }> {
  let cut = 0
  let next = 0
  const worker = async (): Promise<void> => {
    while (!stop()) {
      const key = `${prefix}/${next++}`
      try {
        const res = await node.publish(key, `payload of ${key}`)
        if (res.status === 201) acked.set(key, res.body.digest)
      } catch {
        cut++ // the daemon died with this request in flight
        return
      }
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  return { acked, cut }
}

async function checkStore (dir: string): Promise<{ ok: boolean, problems: string[], keys: Map<string, string> }> {
  const store = new LevelStore({ location: join(dir, 'store') }, { decodeEvent })
  await store.open()
  try {
    const report = await store.check()
    const keys = new Map<string, string>()
    for (const e of (await store.loadSnapshot()).events) {
      if (e.body.kind === 'put') keys.set(e.body.key, `sha256:${Buffer.from(e.body.digest).toString('hex')}`)
    }
    return { ok: report.ok, problems: report.problems, keys }
  } finally {
    await store.close()
  }
}

describe('crash and catch-up', () => {
  const nodes: Node[] = []
  afterAll(async () => { await Promise.all(nodes.map(async n => { await n.destroy() })) })

  it('a node SIGKILLed during publishes restarts consistent, keeps every acknowledged write, and catches up', async () => {
    const a = await Node.create(); const b = await Node.create(); const c = await Node.create()
    nodes.push(a, b, c)
    await a.start()
    const token = await a.invite({ uses: 2 })
    await Promise.all([b.start(['--join', token]), c.start(['--join', token])])

    // Kill B while 8 publishes are in flight, after at least 40 were acknowledged.
    let killed = false
    const acks = new Map<string, string>()
    const stream = publishStream(b, 'b', 8, () => killed, acks)
    await until('40 acknowledged publishes on B', () => acks.size >= 40, 30_000, 2)
    await b.kill()
    killed = true
    const { acked: ackedOnB, cut } = await stream
    expect(ackedOnB.size).toBeGreaterThanOrEqual(40)
    expect(cut).toBeGreaterThan(0) // the kill really landed mid-stream

    // The killed daemon left api.json behind; the CLI sees through it.
    const stale = await cli(['ls', '--dir', b.dir])
    expect(stale.code).toBe(1)
    expect(stale.stderr).toMatch(/no mycel daemon is running/)

    // Offline: the store opens consistent and holds every acknowledged write.
    const offline = await checkStore(b.dir)
    expect(offline.problems).toEqual([])
    for (const [key, digest] of ackedOnB) expect(offline.keys.get(key), key).toBe(digest)

    // While B is down, A and C keep writing.
    for (let i = 0; i < 15; i++) expect((await a.publish(`a/${i}`, `a ${i}`)).status).toBe(201)
    for (let i = 0; i < 15; i++) expect((await c.publish(`c/${i}`, `c ${i}`)).status).toBe(201)
    await a.api('DELETE', '/v1/keys/a%2F0')

    await b.start() // no --join: it remembers its members
    await until('all three converge', async () => {
      const views = await Promise.all([a, b, c].map(view))
      return views.every(v => v === views[0])
    }, 30_000)
    const final = new Map((await a.keys()).map(e => [e.key, e.digest]))
    for (const [key, digest] of ackedOnB) expect(final.get(key), key).toBe(digest)
    for (let i = 1; i < 15; i++) expect(final.has(`a/${i}`) && final.has(`c/${i}`)).toBe(true)
    expect(final.has('a/0')).toBe(false)
  })

  it('a store reopened after repeated kills mid-write is consistent every time', async () => {
    const solo = await Node.create()
    nodes.push(solo)
    const acked = new Map<string, string>()
    for (let round = 0; round < 3; round++) {
      await solo.start()
      let stop = false
      const acks = new Map<string, string>()
      const stream = publishStream(solo, `r${round}`, 6, () => stop, acks)
      await until('some acknowledged writes', () => acks.size >= 15 + round * 7, 30_000, 2)
      await solo.kill()
      stop = true
      const { acked: now, cut } = await stream
      expect(cut).toBeGreaterThan(0)
      for (const [k, d] of now) acked.set(k, d)
      const report = await checkStore(solo.dir)
      expect(report.problems).toEqual([])
      for (const [key, digest] of acked) expect(report.keys.get(key), key).toBe(digest)
    }
    // And a clean stop: SIGTERM exits 0 and removes api.json.
    await solo.start()
    expect((await solo.keys()).length).toBeGreaterThanOrEqual(acked.size) // plus any write durable but cut before its answer
    expect(await solo.stop()).toBe(0)
    await expect(access(join(solo.dir, 'api.json'))).rejects.toThrow()
    expect((await checkStore(solo.dir)).problems).toEqual([])
  })
})
