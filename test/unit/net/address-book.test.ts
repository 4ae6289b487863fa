// AddressBook: peers.json kept across restarts, bounded, a bad file moved aside.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AddressBook, PEERS_FILE } from '../../../daemon/net/address-book.js'

describe('AddressBook', () => {
  const dirs: string[] = []
  afterEach(async () => { await Promise.all(dirs.map(async d => await rm(d, { recursive: true, force: true }))) })
  const book = async (dir?: string, errors: unknown[] = []) => {
    const d = dir ?? await mkdtemp(join(tmpdir(), 'mycel-book-'))
    if (dir === undefined) dirs.push(d)
    return { dir: d, book: new AddressBook({ dir: d, maxPeers: 3, maxAddrsPerPeer: 2, onError: e => errors.push(e) }) }
  }

  it('persists peers and their addresses, merging and capping', async () => {
    const { dir, book: b } = await book()
    b.upsert('p1', ['/ip4/10.0.0.1/tcp/1'], 5)
    b.upsert('p1', ['/ip4/10.0.0.2/tcp/1', '/ip4/10.0.0.1/tcp/1', '/ip4/10.0.0.3/tcp/1'], 7)
    b.upsert('p2', [], 1)
    await b.flush()
    const { book: again } = await book(dir)
    await again.load()
    expect(again.get('p1')).toEqual({ peerId: 'p1', addrs: ['/ip4/10.0.0.2/tcp/1', '/ip4/10.0.0.1/tcp/1'], lastSeenMs: 7 })
    expect(again.get('p2')).toEqual({ peerId: 'p2', addrs: [], lastSeenMs: 1 })
    expect((await stat(join(dir, PEERS_FILE))).mode & 0o777).toBe(0o600)
  })

  it('forgets the peer seen longest ago past its bound', async () => {
    const { book: b } = await book()
    b.upsert('old', [], 1)
    b.upsert('mid', [], 5)
    b.upsert('new', [], 9)
    b.upsert('newest', [], 10)
    expect(b.list().map(r => r.peerId).sort()).toEqual(['mid', 'new', 'newest'])
    await b.flush()
  })

  it('moves a corrupt file aside and starts empty', async () => {
    const errors: unknown[] = []
    const { dir, book: b } = await book(undefined, errors)
    await writeFile(join(dir, PEERS_FILE), '{ not json')
    await b.load()
    expect(b.list()).toEqual([])
    expect(await readFile(join(dir, `${PEERS_FILE}.bad`), 'utf8')).toBe('{ not json')
    expect(errors).toHaveLength(1)
  })
})
