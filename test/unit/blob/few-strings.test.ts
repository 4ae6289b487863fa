// FewStrings (daemon/blob/few-strings.ts): a set of strings that holds one as a bare string, behaving as
// a Set would through every change of shape.
import { describe, expect, it } from 'vitest'
import { FewStrings } from '../../../daemon/blob/few-strings.js'

describe('FewStrings', () => {
  it('adds, finds, deletes and iterates like a Set, from none to one to several and back', () => {
    const s = new FewStrings()
    expect([s.size, [...s], s.has('a')]).toEqual([0, [], false])
    s.add('a')
    s.add('a')
    expect([s.size, [...s], s.has('a'), s.has('b')]).toEqual([1, ['a'], true, false])
    s.add('b')
    s.add('c')
    expect([s.size, [...s].sort(), s.has('b')]).toEqual([3, ['a', 'b', 'c'], true])
    s.delete('a')
    s.delete('zz')
    s.delete('c')
    expect([s.size, [...s], s.has('a')]).toEqual([1, ['b'], false])
    s.delete('x')
    expect(s.size).toBe(1)
    s.delete('b')
    expect([s.size, [...s]]).toEqual([0, []])
    s.delete('b')
    expect(FewStrings.of(['x', 'y', 'x']).size).toBe(2)
  })

  it('matches a Set over random operations', () => {
    let seed = 7
    const next = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed }
    const few = new FewStrings()
    const set = new Set<string>()
    for (let i = 0; i < 2000; i++) {
      const v = `k${next() % 4}`
      if (next() % 2 === 0) { few.add(v); set.add(v) } else { few.delete(v); set.delete(v) }
      expect(few.size).toBe(set.size)
      expect([...few].sort()).toEqual([...set].sort())
      for (const k of ['k0', 'k1', 'k2', 'k3']) expect(few.has(k)).toBe(set.has(k))
    }
  })
})
