import { describe, expect, it } from 'vitest'
import { settleFederation } from '../../daemon/federation.js'

function memStore (initial?: string): { federation: () => Promise<string | undefined>, setFederation: (id: string) => Promise<void>, id?: string } {
  const s = { id: initial, federation: async () => s.id, setFederation: async (id: string) => { s.id = id } }
  return s
}

const token = (federation: string) => ({ v: 1 as const, federation, peer: 'P', addrs: ['/ip4/127.0.0.1/tcp/1'] })

describe('settleFederation', () => {
  it('founds a random federation on an empty store, once', async () => {
    const store = memStore()
    const first = await settleFederation(store, undefined)
    expect(first.founded).toBe(true)
    expect(first.id).toMatch(/^[0-9a-f]{32}$/)
    expect(await settleFederation(store, undefined)).toEqual({ id: first.id, founded: false })
    expect((await settleFederation(memStore(), undefined)).id).not.toBe(first.id)
  })

  it('a joiner adopts the token\'s federation; the same token again is fine', async () => {
    const store = memStore()
    expect(await settleFederation(store, token('a'.repeat(32)))).toEqual({ id: 'a'.repeat(32), founded: false })
    expect(store.id).toBe('a'.repeat(32))
    expect(await settleFederation(store, token('a'.repeat(32)))).toEqual({ id: 'a'.repeat(32), founded: false })
  })

  it('never switches federation silently', async () => {
    const store = memStore('b'.repeat(32))
    await expect(settleFederation(store, token('a'.repeat(32)))).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/already belongs/) })
    expect(store.id).toBe('b'.repeat(32))
  })
})
