// Visibility tracking keeps per-key marks, one shared bitset and a remembered
// position per (key, node) so that it need not search the open writes again.
// None of that may change what it records: a plain version of the same rules
// (marks per node, a search every time) must mark the same writes seen at the
// same nodes at the same times.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { History, type WriteRecord } from '../../sim/history.js'
import { compareVersion, type Versioned } from '../../sim/version.js'

interface PlainRecord extends Versioned { key: string, audience: number, seen: Set<number>, lastSeenAtMs: number, complete: boolean }

/** The rules without the shortcuts. */
class PlainHistory {
  readonly open = new Map<string, PlainRecord[]>()
  readonly marks = new Map<string, Versioned>()

  issue (r: PlainRecord): void {
    const list = this.open.get(r.key) ?? []
    list.splice(list.filter(w => compareVersion(w, r) <= 0).length, 0, r)
    this.open.set(r.key, list)
  }

  lose (r: PlainRecord): void {
    const list = this.open.get(r.key)
    if (list !== undefined) this.open.set(r.key, list.filter(w => w !== r))
  }

  observe (node: number, key: string, v: Versioned, at: number): void {
    const list = this.open.get(key)
    if (list === undefined || list.length === 0) return
    const prev = this.marks.get(`${node}/${key}`)
    if (prev !== undefined && compareVersion(v, prev) <= 0) return
    this.marks.set(`${node}/${key}`, v)
    let completed = false
    for (const w of list) {
      if (prev !== undefined && compareVersion(w, prev) <= 0) continue
      if (compareVersion(w, v) > 0) break
      if (this.markSeen(w, node, at)) completed = true
    }
    if (completed) this.open.set(key, list.filter(w => !w.complete))
  }

  markSeen (w: PlainRecord, node: number, at: number): boolean {
    if (w.seen.has(node)) return false
    w.seen.add(node)
    w.lastSeenAtMs = at
    if (w.seen.size >= w.audience) w.complete = true
    return w.complete
  }
}

const NODES = 3
type Op = { kind: 'write', node: number, key: number, stamp: number } | { kind: 'observe', node: number, pick: number } | { kind: 'lose', pick: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), node: fc.nat(NODES - 1), key: fc.constant(0), stamp: fc.nat(8) }),
  fc.record({ kind: fc.constant('observe' as const), node: fc.nat(NODES - 1), pick: fc.nat() }),
  fc.record({ kind: fc.constant('observe' as const), node: fc.nat(NODES - 1), pick: fc.nat() }),
  fc.record({ kind: fc.constant('lose' as const), pick: fc.nat() })
)

describe('History visibility', () => {
  it('a write dropped from the middle of the open list does not move where a node resumes', () => {
    const h = new History(3)
    let seq = 0
    const write = (node: number, stamp: number): { record: WriteRecord, v: Versioned } => {
      const v: Versioned = { stamp: BigInt(stamp), author: `n${node}`, id: new Uint8Array([++seq]) }
      h.raiseTop('k', v)
      const record = h.issue({ node, author: v.author, seq, id: v.id, key: 'k', kind: 'put', stamp: v.stamp, issuedAtMs: seq, audienceBelow: 3, audience: 3 })
      h.observe(node, 'k', v, seq)
      h.markSeen(record, node, seq)
      return { record, v }
    }
    const x = write(0, 5)
    h.observe(1, 'k', x.v, 10)
    // Issued below n1's mark and not seen there: observing newer versions later must not mark it at n1.
    const r = write(2, 2)
    const y = write(0, 7)
    h.lose(y.record)
    h.observe(1, 'k', y.v, 11)
    for (const stamp of [9, 10]) {
      const z = write(2, stamp)
      h.lose(z.record)
      h.observe(1, 'k', z.v, 12)
    }
    expect(h.seenAt(r.record, 1)).toBe(false)
  })

  it('marks exactly what the plain rules mark, whatever order versions are issued and observed in', () => {
    // Near 2^60 a double cannot tell stamps 0..8 apart: there every order is decided by the versions themselves.
    fc.assert(fc.property(fc.array(op, { maxLength: 40 }), fc.integer({ min: 1, max: 2 }), fc.constantFrom(0n, 1n << 60n), (ops, trackEvery, base) => {
      const h = new History(NODES, trackEvery)
      const plain = new PlainHistory()
      const issued: Array<{ record: WriteRecord, twin: PlainRecord }> = []
      let seq = 0
      let at = 0
      for (const o of ops) {
        at++
        if (o.kind === 'write') {
          const key = `k${o.key}`
          const id = new Uint8Array([++seq])
          const v: Versioned = { stamp: base + BigInt(o.stamp), author: `n${o.node}`, id }
          h.raiseTop(key, v)
          const record = h.issue({ node: o.node, author: v.author, seq, id, key, kind: 'put', stamp: v.stamp, issuedAtMs: at, audienceBelow: NODES, audience: NODES })
          const twin: PlainRecord = { ...v, key, audience: NODES, seen: new Set(), lastSeenAtMs: at, complete: false }
          if (record.tracked) plain.issue(twin)
          issued.push({ record, twin })
          h.observe(o.node, key, v, at)
          plain.observe(o.node, key, v, at)
          if (record.tracked) {
            h.markSeen(record, o.node, at)
            plain.markSeen(twin, o.node, at)
          }
        } else if (issued.length > 0) {
          const { record, twin } = issued[o.pick % issued.length] as { record: WriteRecord, twin: PlainRecord }
          if (o.kind === 'lose') {
            h.lose(record)
            plain.lose(twin)
          } else {
            h.observe(o.node, record.key, twin, at)
            plain.observe(o.node, record.key, twin, at)
          }
        }
      }
      for (const { record, twin } of issued) {
        if (!record.tracked) continue
        for (let n = 0; n < NODES; n++) expect(h.seenAt(record, n)).toBe(twin.seen.has(n))
        expect(record.seenCount).toBe(twin.seen.size)
        expect(record.complete).toBe(twin.complete)
        expect(record.lastSeenAtMs).toBe(twin.lastSeenAtMs)
      }
    }), { numRuns: 2000 })
  })
})
