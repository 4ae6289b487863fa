// KeyIndex: the keys of a set in order from a cursor, under adds and removals, against a model.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KeyIndex } from '../../../protocol/key-index.js'

/** A set of keys and its index, told of every change the way LwwState tells it. */
class Indexed {
  readonly keys = new Set<string>()
  readonly index = new KeyIndex(k => this.keys.has(k))
  add (k: string): void { if (!this.keys.has(k)) { this.keys.add(k); this.index.add(k) } }
  remove (k: string): void { if (this.keys.delete(k)) this.index.removed() }
  read (prefix: string, after?: string): string[] { return [...this.index.from(prefix, after)] }
  model (prefix: string, after?: string): string[] {
    return [...this.keys].filter(k => k.startsWith(prefix) && (after === undefined || k > after)).sort()
  }
}

const keyArb = fc.stringMatching(/^[ab/é😀]{0,4}$/)

describe('KeyIndex', () => {
  it('yields keys in order from a cursor and within a prefix', () => {
    const s = new Indexed()
    for (const k of ['b/2', 'a', 'b/1', 'c', 'b/10', 'b']) s.add(k)
    expect(s.read('')).toEqual(['a', 'b', 'b/1', 'b/10', 'b/2', 'c'])
    expect(s.read('b/')).toEqual(['b/1', 'b/10', 'b/2'])
    expect(s.read('b/', 'b/1')).toEqual(['b/10', 'b/2'])
    expect(s.read('b/', 'a')).toEqual(['b/1', 'b/10', 'b/2']) // a cursor before the prefix starts it
    expect(s.read('b/', 'b/2')).toEqual([])
    expect(s.read('b/', 'c')).toEqual([])
    expect(s.read('', 'b/10')).toEqual(['b/2', 'c'])
  })

  it('a key removed and added again is read once, and stale slots go', () => {
    const s = new Indexed()
    for (let i = 0; i < 100; i++) s.add(`k${String(i).padStart(3, '0')}`)
    expect(s.read('')).toHaveLength(100)
    s.remove('k050')
    s.add('k050')
    s.remove('k051')
    expect(s.read('k05')).toEqual(['k050', 'k052', 'k053', 'k054', 'k055', 'k056', 'k057', 'k058', 'k059'])
    for (let i = 0; i < 100; i++) s.remove(`k${String(i).padStart(3, '0')}`)
    expect(s.read('')).toEqual([])
  })

  it('keeps at most about two slots per key under churn, without reads', () => {
    const s = new Indexed()
    for (let i = 0; i < 5000; i++) s.add(`k${i}`)
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 5000; i++) { s.remove(`k${i}`); s.add(`k${i}`) }
    }
    expect(s.index.slots).toBeLessThanOrEqual(2 * 5000 + 1024 + 1)
    expect(s.read('')).toHaveLength(5000)
  })

  it('property: any mix of adds, removals and reads reads as the sorted set', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), key: keyArb }),
      fc.record({ kind: fc.constant('remove' as const), key: keyArb }),
      fc.record({ kind: fc.constant('read' as const), key: keyArb, after: fc.option(keyArb, { nil: undefined }) })
    )
    fc.assert(fc.property(fc.array(op, { maxLength: 200 }), ops => {
      const s = new Indexed()
      for (const o of ops) {
        if (o.kind === 'add') s.add(o.key)
        else if (o.kind === 'remove') s.remove(o.key)
        else expect(s.read(o.key.slice(0, 1), o.after)).toEqual(s.model(o.key.slice(0, 1), o.after))
      }
      expect(s.read('')).toEqual(s.model(''))
    }), { numRuns: 500 })
  })

  it('reads a page of a large index without a rebuild once settled', () => {
    const keys = new Set<string>()
    let asked = 0
    const index = new KeyIndex(k => { asked++; return keys.has(k) })
    for (let i = 0; i < 20_000; i++) { keys.add(`key/${(i * 7919) % 20_000}`); index.add(`key/${(i * 7919) % 20_000}`) }
    expect([...index.from('key/1999')]).toHaveLength(11) // the first read sorts them all once
    asked = 0
    const page: string[] = []
    for (const k of index.from('', 'key/5')) { page.push(k); if (page.length === 10) break }
    expect(page[0]).toBe('key/50')
    expect(asked).toBe(10) // the page read what it yields, nothing else
  })
})
