// A joiner whose inviter is full. The inviter holds maxPeers sessions (1 here), admits a second joiner,
// and must still accept that joiner's first sync session: the joiner knows no other member, and without
// that session it never receives its own grant. Found by `npm run sites` at 24 sites with the default
// maxPeers of 8: every site after the ninth stayed "not a member (yet)" (docs/sites.md).
import { afterAll, describe, expect, it } from 'vitest'
import { Node, until } from '../../helpers/daemons.js'

describe('joining through a full inviter', () => {
  const nodes: Node[] = []
  afterAll(async () => { await Promise.all(nodes.map(async n => { await n.destroy() })) })

  it('the joiner becomes a member, publishes, and the federation sees it', async () => {
    const founder = await Node.create({ maxPeers: 1 })
    nodes.push(founder)
    await founder.start()
    const a = await Node.create()
    nodes.push(a)
    await a.start(['--join', await founder.invite()])
    await until('the founder holds its one session, with a', async () => (await founder.api<Array<{ connected: boolean }>>('GET', '/v1/peers')).body.filter(p => p.connected).length === 1)

    const b = await Node.create()
    nodes.push(b)
    await b.start(['--join', await founder.invite()])
    await until('b sees its own grant (it is a writer)', async () => (await b.api<{ role: string | null }>('GET', '/v1/status')).body.role === 'writer', 30_000)
    const published = await b.publish('from-b', 'b was admitted through a full inviter')
    expect(published.status).toBe(201)
    await until('the founder and a see b\'s key', async () => {
      const seen = await Promise.all([founder, a].map(async n => (await n.keys()).some(k => k.key === 'from-b')))
      return seen.every(Boolean)
    }, 30_000)
  }, 90_000)
})
