// settleFederation: found, joined (pending) or already belonging to a federation.
import { describe, expect, it } from 'vitest'
import { settleFederation, type GenesisStore } from '../../../daemon/federation/settle.js'
import { federationIdOf, signInvite, type Genesis, type SignedInvite } from '../../../protocol/invite.js'
import { fakeSigner } from '../../helpers/fake-crypto.js'

function memStore (initial?: Genesis): GenesisStore & { g?: Genesis, id?: string } {
  const s: GenesisStore & { g?: Genesis, id?: string } = {
    g: initial,
    genesis: async () => s.g,
    setGenesis: async (g, id) => { s.g = g; s.id = id }
  }
  return s
}

function token (genesis: Genesis): SignedInvite {
  return signInvite({ v: 2, federation: federationIdOf(genesis), genesis, inviter: genesis.founder, addrs: ['/ip4/127.0.0.1/tcp/1'], role: 'writer', expiresMs: 1e13, uses: 1, nonce: new Uint8Array(16), key: 'key-test' }, fakeSigner(genesis.founder))
}

describe('settleFederation', () => {
  it('founds a federation on an empty store with this node as founder, once', async () => {
    const store = memStore()
    const first = await settleFederation(store, 'P', undefined)
    expect(first).toMatchObject({ founded: true, pending: false })
    expect(first.genesis.founder).toBe('P')
    expect(first.id).toBe(federationIdOf(first.genesis))
    expect(first.id).toMatch(/^fed1/)
    expect(store.id).toBe(first.id)
    expect(await settleFederation(store, 'P', undefined)).toMatchObject({ id: first.id, founded: false, pending: false })
    expect((await settleFederation(memStore(), 'P', undefined)).id).not.toBe(first.id)
  })

  it('a joiner takes the genesis from the token but stores nothing until admitted', async () => {
    const g: Genesis = { founder: 'F', nonce: new Uint8Array(16).fill(7) }
    const store = memStore()
    const s = await settleFederation(store, 'P', token(g))
    expect(s).toMatchObject({ id: federationIdOf(g), founded: false, pending: true })
    expect(store.g).toBeUndefined()
  })

  it('an admitted node given the same federation again is not pending; another federation is refused', async () => {
    const g: Genesis = { founder: 'F', nonce: new Uint8Array(16).fill(7) }
    const store = memStore(g)
    expect(await settleFederation(store, 'P', token(g))).toMatchObject({ pending: false, founded: false })
    const other: Genesis = { founder: 'F', nonce: new Uint8Array(16).fill(8) }
    await expect(settleFederation(store, 'P', token(other))).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/already belongs/) })
    expect(store.g).toBe(g)
  })
})
