// The disk quota's decisions (quota-ledger.ts), without files or clocks: the order of evictions
// (on-demand bytes first, least recently used first; eager bytes only for a fetch someone waits on),
// what is never evicted, admission before the bytes arrive, refusals, and trim after a publish.
import { describe, expect, it } from 'vitest'
import { evictableOf, isQuotaRefusal, QuotaLedger, type Evictable } from '../../../daemon/blob/quota-ledger.js'
import { ReplicationPolicy } from '../../../daemon/blob/policy.js'
import { BlobRef, hexOf } from '../../../daemon/blob/refs.js'

const hex = (name: string): string => name.padEnd(64, '0')
const names = (victims: Array<{ hex: string }>): string[] => victims.map(v => v.hex.replace(/0+$/, ''))

/** A ledger whose blobs' kinds are set by name (default `cache`). */
function ledger (quotaBytes: number, kinds: Record<string, Evictable> = {}): QuotaLedger {
  return new QuotaLedger({ quotaBytes }, { evictable: h => kinds[h.replace(/0+$/, '')] ?? 'cache' })
}

describe('QuotaLedger', () => {
  it('evicts on-demand bytes first, least recently used first; eager bytes only for a fetch someone waits on', () => {
    const q = ledger(100, { e: 'mirror', n1: 'no' })
    q.load(hex('e'), 30, true, 1) // eager, the oldest
    q.load(hex('a'), 30, true, 2)
    q.load(hex('b'), 30, true, 3)
    q.touch(hex('a'), 10) // a read: a is now the most recently used
    const first = q.admit(hex('n1'), 40, 'mirror', 11)
    expect(names(first.victims)).toEqual(['b']) // the least recently used on-demand blob, not the older eager one
    first.release()
    q.stored(hex('n1'), 40, 12)
    expect(q.usedBytes).toBe(100)

    // The mirror may not evict eager bytes: with 30 on-demand bytes evictable it cannot make room for 50.
    expect(() => q.admit(hex('n2'), 50, 'mirror', 13)).toThrow(/disk quota is full.*the mirror evicts only on-demand bytes/)
    expect(q.usedBytes).toBe(100) // a refusal evicts nothing
    // A fetch may: on-demand first (a), then eager (e), though e is older.
    const fetch = q.admit(hex('n2'), 50, 'fetch', 14)
    expect(names(fetch.victims)).toEqual(['a', 'e'])
    expect(q.view()).toMatchObject({ usedBytes: 90, downloadingBytes: 50, blobs: 1, evictions: 3, evictedBytes: 90, refusedMirrors: 1, refusedFetches: 0 })
  })

  it('never evicts what the blob layer keeps (published here, placement holders, unreferenced) nor what is pinned', () => {
    const q = ledger(100, { own: 'no' })
    q.load(hex('own'), 40, true, 1)
    q.load(hex('read'), 30, true, 2)
    q.load(hex('c'), 30, true, 3)
    const reading = q.pin(hex('read'))
    expect(names(q.admit(hex('x'), 30, 'fetch', 4).victims)).toEqual(['c'])
    let refusal: unknown
    try { q.admit(hex('y'), 30, 'fetch', 5) } catch (err) { refusal = err }
    expect(isQuotaRefusal(refusal)).toBe(true)
    expect(refusal).toMatchObject({ code: 'UNAVAILABLE', details: { quotaBytes: 100, usedBytes: 100, size: 30 } })
    expect(q.view().lastRefusal).toEqual({ atMs: 5, digest: `sha256:${hex('y')}`, bytes: 30, by: 'fetch' })
    reading() // the read ends: now it may go
    reading() // a second release changes nothing
    expect(names(q.admit(hex('y'), 30, 'fetch', 6).victims)).toEqual(['read'])
  })

  it('refuses a blob larger than the whole quota as TOO_LARGE, and counts it', () => {
    const q = ledger(100)
    expect(() => q.admit(hex('big'), 101, 'fetch', 1)).toThrow(expect.objectContaining({ code: 'TOO_LARGE', message: expect.stringMatching(/more than this site's disk quota of 100 bytes/) }))
    expect(q.view()).toMatchObject({ usedBytes: 0, refusedFetches: 1 })
  })

  it('counts a download from its admission: a second admission meanwhile sees the room taken', () => {
    const q = ledger(100)
    q.load(hex('old'), 50, true, 1)
    const a = q.admit(hex('a'), 50, 'fetch', 2) // fits: nothing evicted
    expect(a.victims).toEqual([])
    // b needs 50 more: `old` goes; `a` is being written (pinned), so it does not.
    expect(names(q.admit(hex('b'), 50, 'fetch', 3).victims)).toEqual(['old'])
    expect(() => q.admit(hex('c'), 10, 'fetch', 4)).toThrow(/disk quota is full/)
    // Joining a download admitted before takes no new room.
    expect(q.admit(hex('a'), 50, 'fetch', 5).victims).toEqual([])
    a.release()
    q.stored(hex('a'), 50, 6)
    expect(q.view()).toMatchObject({ usedBytes: 100, downloadingBytes: 50, blobs: 1 })
  })

  it('forgets a download that left nothing to resume, unless another caller still holds it', () => {
    const q = ledger(100)
    const first = q.admit(hex('d'), 60, 'fetch', 1)
    const joined = q.admit(hex('d'), 60, 'mirror', 2)
    first.release()
    q.forgetDownload(hex('d'))
    expect(q.usedBytes).toBe(60) // still pinned by the joined caller
    joined.release()
    q.forgetDownload(hex('d'))
    expect(q.view()).toMatchObject({ usedBytes: 0, downloadingBytes: 0 })
  })

  it('a download left part-way at a restart is counted at its length, and grows to the blob at its admission', () => {
    const q = ledger(100, { part: 'cache' })
    q.load(hex('c'), 50, true, 1)
    q.load(hex('part'), 20, false, 2)
    expect(q.view()).toMatchObject({ usedBytes: 70, downloadingBytes: 20, blobs: 1 })
    const resumed = q.admit(hex('part'), 80, 'fetch', 3)
    expect(names(resumed.victims)).toEqual(['c']) // 60 more bytes wanted, 30 free
    expect(q.view()).toMatchObject({ usedBytes: 80, downloadingBytes: 80, blobs: 0 })
  })

  it('after a publish over the quota, trim evicts on-demand then eager bytes, and stays over if nothing else may go', () => {
    const q = ledger(100, { e: 'mirror', mine: 'no', mine2: 'no' })
    q.load(hex('e'), 30, true, 1)
    q.load(hex('c'), 30, true, 2)
    q.stored(hex('mine'), 60, 3) // a publish: counted when it lands, never refused
    expect(q.over).toBe(true)
    expect(names(q.trim())).toEqual(['c'])
    expect(q.over).toBe(false)
    q.stored(hex('mine2'), 30, 4)
    expect(names(q.trim())).toEqual(['e'])
    q.stored(hex('mine3'), 30, 5)
    q.pin(hex('mine3'))
    expect(q.trim()).toEqual([])
    expect(q.view()).toMatchObject({ usedBytes: 120, blobs: 3 })
  })

  it('a removed blob is no longer counted; the LRU order is the order of use', () => {
    const q = ledger(1000)
    for (const [i, n] of ['a', 'b', 'c'].entries()) q.stored(hex(n), 10, i)
    q.touch(hex('a'), 5)
    q.removed(hex('b'))
    expect([...q.lastUses()].map(([h, ms]) => [h.replace(/0+$/, ''), ms])).toEqual([['c', 2], ['a', 5]])
    expect(q.view()).toMatchObject({ usedBytes: 20, blobs: 2 })
  })

  it('judges a blob as the blob layer does: own publishes, placement holders, downloads and unreferenced bytes never; eager bytes after on-demand ones', () => {
    const policy = new ReplicationPolicy('on-demand', { 'mirror/': 'eager', 'tmp/': 'none' })
    const ref = (keys: string[], authors: string[], digest = new Uint8Array(32)): BlobRef => {
      const r = new BlobRef(hexOf(digest), 1)
      for (const k of keys) r.addKey(k)
      for (const a of authors) r.addAuthor(a)
      return r
    }
    const held = new Uint8Array(32).fill(7)
    const p = { selfId: 'me', downloading: false, policy, mustKeep: (d: Uint8Array) => d[0] === 7 }
    expect(evictableOf(ref(['a/x'], ['other']), p)).toBe('cache')
    expect(evictableOf(ref(['tmp/x'], ['other']), p)).toBe('cache')
    expect(evictableOf(ref(['mirror/x'], ['other']), p)).toBe('mirror')
    expect(evictableOf(ref(['a/x', 'mirror/y'], ['other']), p)).toBe('mirror') // kept eagerly under one of its keys
    expect(evictableOf(ref(['a/x'], ['other', 'me']), p)).toBe('no') // published here too
    expect(evictableOf(ref(['a/x'], ['other'], held), p)).toBe('no') // a replication factor's holder: mustKeep
    expect(evictableOf(ref(['a/x'], ['other']), { ...p, downloading: true })).toBe('no')
    expect(evictableOf(undefined, p)).toBe('no') // no live key: the collector's
    expect(evictableOf(ref(['a/x'], ['other'], held), { ...p, mustKeep: undefined })).toBe('cache') // the default keeps nothing
  })
})
