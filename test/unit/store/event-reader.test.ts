// The daemon's reader of cooled events (daemon/store/event-reader.ts): a point read and a decode per
// event, the last few kept within bounds of count and bytes.
import { describe, expect, it } from 'vitest'
import { decodeEvent, signEvent } from '../../../protocol/codec.js'
import { makeStamp } from '../../../protocol/hlc.js'
import { StoredEventReader } from '../../../daemon/store/event-reader.js'
import { fakeSigner } from '../../helpers/fake-crypto.js'

function envelope (seq: number, propBytes = 0): Uint8Array {
  // Props of 1 000 bytes each (a prop's limit is 1 KiB).
  const props = Object.fromEntries(Array.from({ length: Math.ceil(propBytes / 1000) }, (_, i) => [`p${i}`, 'x'.repeat(1000)]))
  return signEvent({ v: 1, author: 'alice', seq, stamp: makeStamp(1_700_000_000_000 + seq, 0), body: { kind: 'put', key: `k${seq}`, digest: new Uint8Array(32), size: 1, props } }, fakeSigner('alice')).bytes
}

describe('stored event reader', () => {
  it('reads an event once while it is kept; an absent one is undefined', () => {
    const gets: number[] = []
    const reader = new StoredEventReader((_author, seq) => { gets.push(seq); return seq <= 3 ? envelope(seq) : undefined }, decodeEvent)
    expect(reader.read('alice', 2)?.body.key).toBe('k2')
    expect(reader.read('alice', 2)?.body.key).toBe('k2')
    expect(reader.read('alice', 9)).toBeUndefined()
    expect(gets).toEqual([2, 9])
    expect(reader.reads).toBe(1)
    // The envelope alone: from what is kept, else one read, undecoded.
    expect(reader.readBytes('alice', 2)).toEqual(envelope(2))
    expect(reader.readBytes('alice', 3)).toEqual(envelope(3))
    expect(gets).toEqual([2, 9, 3])
  })

  it('keeps at most 64 events and 256 KiB of them, the oldest let go first', () => {
    const reader = new StoredEventReader((_author, seq) => envelope(seq), decodeEvent)
    for (let s = 1; s <= 100; s++) reader.read('alice', s)
    const before = reader.reads
    reader.read('alice', 100) // kept
    reader.read('alice', 1) // let go
    expect(reader.reads).toBe(before + 1)
    const big = new StoredEventReader((_author, seq) => envelope(seq, 16_000), decodeEvent)
    for (let s = 1; s <= 20; s++) big.read('alice', s)
    const n = big.reads
    big.read('alice', 20)
    big.read('alice', 2) // 20 events of ~16 KB exceed 256 KiB: the second is gone
    expect(big.reads).toBe(n + 1)
  })
})
