// The virtual disk applies a batch's removes before its puts (cheaper: the
// usual batch replaces a key's one version). That must give exactly the image
// — the same events in the same order, as a restarted replica loads them — that
// the plain reading of a batch gives: store every put, then delete every remove.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Event } from '../../protocol/event.js'
import type { PersistBatch } from '../../protocol/replica-api.js'
import { VirtualDisk } from '../../sim/disk.js'
import { Interner } from '../../sim/interner.js'

/** The plain reading, kept as the reference. */
class PlainImage {
  readonly events = new Map<string, Event[]>()
  readonly vv = new Map<string, number>()
  apply (batch: PersistBatch): void {
    for (const [author, seq] of batch.vv) this.vv.set(author, seq)
    for (const e of batch.put) {
      const versions = this.events.get(e.body.key)
      if (versions === undefined) { this.events.set(e.body.key, [e]); continue }
      const i = versions.findIndex(v => v.seq === e.seq && v.author === e.author)
      if (i < 0) versions.push(e)
      else versions[i] = e
    }
    for (const r of batch.remove) {
      const versions = this.events.get(r.key)
      if (versions === undefined) continue
      const i = versions.findIndex(v => v.seq === r.seq && v.author === r.author)
      if (i < 0) continue
      if (versions.length === 1) this.events.delete(r.key)
      else versions.splice(i, 1)
    }
  }

  snapshot (): Event[] {
    return [...this.events.values()].flat()
  }
}

const ref = fc.record({ key: fc.constantFrom('k0', 'k1', 'k2'), author: fc.constantFrom('a', 'b'), seq: fc.integer({ min: 1, max: 3 }) })
// Up to 12 removes, so both ways a put looks itself up among a batch's removes (scan, set) are exercised.
const batchShape = fc.record({
  put: fc.array(ref, { maxLength: 12 }),
  remove: fc.array(ref, { maxLength: 12 }),
  vv: fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.nat(5)), { maxLength: 3 })
})

const events = (s: { put: Array<{ key: string, author: string, seq: number }> }): Event[] =>
  // A fresh object per put: equal (author, seq) need not mean the same object.
  s.put.map(r => ({ author: r.author, seq: r.seq, body: { kind: 'delete', key: r.key } }) as unknown as Event)

describe('VirtualDisk image', () => {
  it('equals "all puts, then all removes", event for event and in the same order; the vv in first-seen order', () => {
    fc.assert(fc.property(batchShape, fc.array(batchShape, { minLength: 1, maxLength: 30 }), (other, shapes) => {
      // Another disk of the run numbers keys and authors first, in its own order.
      const names = { keys: new Interner(), authors: new Interner() }
      const sibling = new VirtualDisk(names)
      sibling.write({ n: 1, put: events(other), remove: [], winners: [], vv: other.vv, highWater: 1n })
      sibling.flushThrough(1)
      const disk = new VirtualDisk(names)
      const plain = new PlainImage()
      let n = 0
      for (const s of shapes) {
        const batch: PersistBatch = { n: ++n, put: events(s), remove: s.remove, winners: [], vv: s.vv, highWater: BigInt(n) }
        disk.write(batch)
        disk.flushThrough(n)
        plain.apply(batch)
        const got = disk.snapshot().events
        const want = plain.snapshot()
        expect(got.length).toBe(want.length)
        for (let i = 0; i < want.length; i++) expect(got[i]).toBe(want[i])
        expect(disk.eventCount()).toBe(want.length)
        expect(disk.snapshot().vv).toEqual([...plain.vv.entries()])
        for (const a of ['a', 'b', 'c', 'z']) expect(disk.durableSeq(a)).toBe(plain.vv.get(a) ?? 0)
      }
    }), { numRuns: 500 })
  })
})
