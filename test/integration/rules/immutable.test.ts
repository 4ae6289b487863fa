// Artifact rules against real daemons (issue #21): an admin sets them, every site enforces them;
// an immutable key refuses other bytes with exit 7 naming the digest it holds; a concurrent create
// at a cut-off site loses everywhere and its publisher is told (exit 7, and a `conflict` event);
// a write of a mutable key that loses to another site's says so (`overwritten`), an `rm` too.
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm as rmDir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'

const sha = (text: string): string => `sha256:${createHashHex(text)}`

describe('artifact rules on real daemons', () => {
  let a: Node, b: Node, c: Node
  let work: string
  let cutFile: string
  const file = async (name: string, content: string): Promise<string> => { const p = join(work, name); await writeFile(p, content); return p }
  const digestAt = async (n: Node, key: string): Promise<string | undefined> => (await n.keys()).find(k => k.key === key)?.digest
  const cut = async (...nodes: Node[]): Promise<void> => {
    await writeFile(cutFile, nodes.map(n => `${n.ready?.peerId as string}\n`).join(''))
    await until('C cut off', async () => (await c.api<Array<{ connected: boolean }>>('GET', '/v1/peers')).body.every(p => !p.connected))
  }
  const heal = async (): Promise<void> => { await writeFile(cutFile, '') }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mycel-rules-'))
    a = await Node.create(); b = await Node.create(); c = await Node.create()
    cutFile = join(work, 'cut-links')
    await writeFile(cutFile, '')
    await a.start()
    await b.start(['--join', await a.invite()])
    await c.start(['--join', await a.invite()], 20_000, { MYCEL_TEST_LINK_FAULTS: cutFile })
    await until('A, B and C connected', async () => (await Promise.all([a, b, c].map(async n => (await n.api<{ peers: unknown[] }>('GET', '/v1/status')).body.peers.length))).every(k => k >= 2))
  }, 90_000)

  afterAll(async () => {
    for (const n of [a, b, c]) await n.destroy()
    await rmDir(work, { recursive: true, force: true })
  })

  it('an admin sets the rules, a writer cannot; every site shows them', async () => {
    const rules = await file('rules.json', JSON.stringify({ rules: [{ prefix: 'releases/', immutable: true }, { prefix: 'models/', deletes: 'refuse' }] }))
    const denied = await cli(['rules', 'set', rules, '--dir', b.dir])
    expect(denied.code).toBe(5)
    expect(denied.stderr).toContain('only an admin sets the federation\'s rules; this site is a writer')
    const bad = await cli(['rules', 'set', await file('bad.json', '{"rules":[{"prefix":"x/","replicas":0}]}'), '--dir', a.dir])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('rules[0].replicas must be an integer from 1')
    const set = await cli(['rules', 'set', rules, '--dir', a.dir, '--json'])
    expect(set.code).toBe(0)
    expect(JSON.parse(set.stdout)).toMatchObject({ rules: [{ prefix: 'releases/', immutable: true }, { prefix: 'models/', deletes: 'refuse' }], author: a.ready?.peerId })
    for (const n of [b, c]) {
      await until('the rules everywhere', async () => (await n.api<{ rules: unknown[] }>('GET', '/v1/rules')).body.rules.length === 2)
    }
    const shown = await cli(['rules', '--dir', c.dir])
    expect(shown.stdout).toContain('releases/  immutable  deletes: admin')
  }, 60_000)

  it('an immutable key refuses other bytes (exit 7, naming the digest it holds); the same bytes are a no-op; only an admin deletes it', async () => {
    expect((await b.publish('releases/app-1.0', 'release one')).status).toBe(201)
    await until('C has the release', async () => (await digestAt(c, 'releases/app-1.0')) === sha('release one'))
    const other = await cli(['publish', await file('other', 'other bytes'), 'releases/app-1.0', '--dir', c.dir])
    expect(other.code).toBe(7)
    expect(other.stderr).toContain(`releases/app-1.0 is immutable (the rule for releases/) and already holds ${sha('release one')}`)
    const same = await cli(['publish', await file('same', 'release one'), 'releases/app-1.0', '--dir', c.dir, '--json'])
    expect(same.code).toBe(0)
    expect(JSON.parse(same.stdout)).toMatchObject({ key: 'releases/app-1.0', digest: sha('release one'), author: b.ready?.peerId, unchanged: true })
    const writerRm = await cli(['rm', 'releases/app-1.0', '--dir', c.dir])
    expect(writerRm.code).toBe(5)
    expect(writerRm.stderr).toContain('only an admin may delete it')
    expect((await b.publish('models/m1', 'weights')).status).toBe(201)
    await until('A has the model', async () => (await digestAt(a, 'models/m1')) !== undefined)
    const adminRmModel = await cli(['rm', 'models/m1', '--dir', a.dir])
    expect(adminRmModel.code).toBe(5)
    expect(adminRmModel.stderr).toContain('whose rule refuses deletes')
    const adminRm = await cli(['rm', 'releases/app-1.0', '--wait-replicas', 'all', '--dir', a.dir, '--json'])
    expect(adminRm.code).toBe(0)
    expect(JSON.parse(adminRm.stdout)).toMatchObject({ key: 'releases/app-1.0', author: a.ready?.peerId, barrier: { met: true, required: 3, holding: 3 } })
    for (const n of [a, b, c]) await until('the release deleted everywhere', async () => (await digestAt(n, 'releases/app-1.0')) === undefined)
  }, 60_000)

  it('concurrent creates at a cut-off site: the first create wins everywhere, and the loser\'s publish exits 7 and reports a conflict', async () => {
    await cut(a, b)
    try {
      expect((await b.publish('releases/race', 'from B')).status).toBe(201)
      // C cannot see B's create: it writes its own, later, and waits for every site to hold it.
      const losing = cli(['publish', await file('from-c', 'from C'), 'releases/race', '--wait-replicas', 'all', '--timeout', '60s', '--dir', c.dir])
      await until('C wrote its create', async () => (await digestAt(c, 'releases/race')) === sha('from C'))
      await heal()
      const out = await losing
      expect(out.code).toBe(7)
      expect(out.stderr).toContain(`releases/race: this publish lost to a concurrent write at ${(await b.api<{ name: string }>('GET', '/v1/status')).body.name}`)
      expect(out.stderr).toContain(`${sha('from B')} won over ours, ${sha('from C')}`)
    } finally {
      await heal()
    }
    for (const n of [a, b, c]) await until('one winner everywhere', async () => (await digestAt(n, 'releases/race')) === sha('from B'), 30_000)
    const conflict = await eventsOf(c, 'conflict', e => e.key === 'releases/race')
    expect(conflict).toMatchObject({ type: 'conflict', digest: sha('from B'), lostDigest: sha('from C'), author: b.ready?.peerId, peer: b.ready?.peerId })
  }, 90_000)

  it('a mutable key: the site whose publish, or whose rm, lost to another site\'s write is told (overwritten)', async () => {
    expect((await c.publish('snap/y', 'y one')).status).toBe(201)
    await until('B has snap/y', async () => (await digestAt(b, 'snap/y')) !== undefined)
    await cut(a, b)
    try {
      expect((await c.publish('snap/x', 'x from C')).status).toBe(201)
      // C's rm waits for every site to hold its delete, which it cannot while cut off.
      const losingRm = cli(['rm', 'snap/y', '--wait-replicas', 'all', '--timeout', '60s', '--dir', c.dir])
      await until('C deleted snap/y', async () => (await digestAt(c, 'snap/y')) === undefined)
      // Later, at B: these win by last-writer-wins.
      expect((await b.publish('snap/x', 'x from B')).status).toBe(201)
      expect((await b.publish('snap/y', 'y again')).status).toBe(201)
      await heal()
      const rmOut = await losingRm
      expect(rmOut.code).toBe(7)
      expect(rmOut.stderr).toContain(`snap/y: this rm lost to a concurrent write at ${(await b.api<{ name: string }>('GET', '/v1/status')).body.name}: ${sha('y again')} is live`)
    } finally {
      await heal()
    }
    await until('C has B\'s versions', async () => (await digestAt(c, 'snap/x')) === sha('x from B') && (await digestAt(c, 'snap/y')) === sha('y again'), 30_000)
    expect(await eventsOf(c, 'overwritten', e => e.key === 'snap/x')).toMatchObject({ lost: 'put', won: 'put', lostDigest: sha('x from C'), digest: sha('x from B'), author: b.ready?.peerId })
    expect(await eventsOf(c, 'overwritten', e => e.key === 'snap/y')).toMatchObject({ lost: 'delete', won: 'put', digest: sha('y again'), author: b.ready?.peerId })
    const watched = await cli(['watch', '--dir', c.dir, '--type', 'overwritten', '--recent', '10', '--count', '2'])
    expect(watched.stdout).toMatch(/overwritten\s+snap\/x\s+our sha256:\S+ lost to \S+: their sha256:\S+ won/)
    expect(watched.stdout).toMatch(/overwritten\s+snap\/y\s+our rm lost to \S+: their sha256:\S+ won/)
  }, 90_000)
})

function createHashHex (text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** The first of `n`'s recent visibility events of `type` that `match` accepts (awaited as they come). */
async function eventsOf (n: Node, type: string, match: (e: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  const token = (await readFile(join(n.dir, 'api.token'), 'utf8')).trim()
  const ctl = new AbortController()
  const timer = setTimeout(() => { ctl.abort() }, 30_000)
  try {
    const res = await fetch(`${n.ready?.api as string}/v1/events?recent=200&type=${type}`, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal })
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) throw new Error(`no ${type} event matched`)
      text += new TextDecoder().decode(value)
      const lines = text.split('\n')
      text = lines.pop() ?? ''
      for (const line of lines) {
        if (line.trim() === '') continue
        const e = JSON.parse(line) as Record<string, unknown>
        if (match(e)) return e
      }
    }
  } finally {
    clearTimeout(timer)
    ctl.abort()
  }
}
