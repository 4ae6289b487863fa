// The million-key benchmark's generator (tools/bench/many-keys.ts) writes a founder's data dir
// offline. What it promises: the store is consistent, `mycel daemon --dir` starts on it and serves
// the N keys as if they had been published, their blobs are there and readable, and a fresh member
// joining by invite catches up every key and can fetch a blob from it.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeEvent } from '../../../protocol/codec.js'
import { LevelStore } from '../../../daemon/store/level-store.js'
import { writeManyKeys } from '../../../tools/bench/many-keys.js'
import { Node, until } from '../../helpers/daemons.js'

const N = 2_500

async function content (node: Node, key: string): Promise<{ status: number, text: string }> {
  const token = (await readFile(join(node.dir, 'api.token'), 'utf8')).trim()
  const res = await fetch(`${node.ready?.api ?? ''}/v1/blobs/${encodeURIComponent(key)}/content`, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, text: await res.text() }
}

async function keysOf (node: Node): Promise<number> {
  return (await node.api<{ keys: number }>('GET', '/v1/status')).body.keys
}

describe('many keys, written offline', () => {
  const nodes: Node[] = []
  afterAll(async () => { await Promise.all(nodes.map(async n => { await n.destroy() })) })

  it('a founder dir the daemon serves, and a joiner catches up on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mycel-it-'))
    const a = new Node(dir)
    nodes.push(a)
    const made = await writeManyKeys({ dir, keys: N })

    const store = new LevelStore({ location: join(dir, 'store') }, { decodeEvent })
    await store.open()
    const report = await store.check()
    await store.close()
    expect(report).toEqual({ ok: true, events: N, indexed: N, problems: [] })

    await writeFile(join(dir, 'config.json'), JSON.stringify({ antiEntropyIntervalMs: 200 }))
    const ready = await a.start()
    expect(ready.peerId).toBe(made.peerId)
    expect(ready.federation).toBe(made.federation)
    expect(await keysOf(a)).toBe(N)
    const listed = await a.keys()
    expect(listed.length).toBe(N)
    expect(listed.every(k => k.author === made.peerId)).toBe(true)
    expect(await content(a, 'k/7')).toEqual({ status: 200, text: 'meta 7' })
    // It goes on writing after the generated chain: its own site and address events, a new publish.
    expect((await a.publish('after', 'one more')).status).toBe(201)

    const b = await Node.create({ replicate: 'on-demand' })
    nodes.push(b)
    await b.start(['--join', await a.invite()])
    await until(`the joiner holds ${N + 1} keys`, async () => await keysOf(b) === N + 1, 60_000)
    expect(await content(b, `k/${N - 1}`)).toEqual({ status: 200, text: `meta ${N - 1}` })
  })
})
