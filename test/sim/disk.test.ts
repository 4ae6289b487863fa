// The virtual disk applies a batch's removes before its puts (cheaper: the
// usual batch replaces a key's one version). That must give exactly the image
// — the same events in the same order, as a restarted replica loads them — that
// the plain reading of a batch gives: store every put, then delete every remove.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Event } from '../../protocol/event.js'
import type { PersistBatch } from '../../protocol/replica-api.js'
import { VirtualDisk } from '../../sim/disk.js'

/** The plain reading, kept as the reference. */
class PlainImage {
  readonly events = new Map<string, Event[]>()
  apply (batch: PersistBatch): void {
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
const batchShape = fc.record({ put: fc.array(ref, { maxLength: 12 }), remove: fc.array(ref, { maxLength: 12 }) })

describe('VirtualDisk image', () => {
  it('equals "all puts, then all removes", event for event and in the same order', () => {
    fc.assert(fc.property(fc.array(batchShape, { minLength: 1, maxLength: 30 }), shapes => {
      const disk = new VirtualDisk()
      const plain = new PlainImage()
      let n = 0
      for (const s of shapes) {
        // A fresh object per put: equal (author, seq) need not mean the same object.
        const put = s.put.map(r => ({ author: r.author, seq: r.seq, body: { kind: 'delete', key: r.key } }) as unknown as Event)
        const batch: PersistBatch = { n: ++n, put, remove: s.remove, winners: [], vv: [], highWater: BigInt(n) }
        disk.write(batch)
        disk.flushThrough(n)
        plain.apply(batch)
        const got = disk.snapshot().events
        const want = plain.snapshot()
        expect(got.length).toBe(want.length)
        for (let i = 0; i < want.length; i++) expect(got[i]).toBe(want[i])
        expect(disk.eventCount()).toBe(want.length)
      }
    }), { numRuns: 500 })
  })
})
