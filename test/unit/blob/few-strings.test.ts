// Few (daemon/blob/few-strings.ts): a set of strings that holds one as a bare string, behaving as a Set
// would through every change of shape.
import { describe, expect, it } from 'vitest'
import { fewAdd, fewDelete, fewHas, fewSize, fewValues, type Few } from '../../../daemon/blob/few-strings.js'

describe('Few', () => {
  it('adds, finds, deletes and iterates like a Set, from none to one to several and back', () => {
    let s: Few
    const look = (): [number, string[], boolean] => [fewSize(s), [...fewValues(s)].sort(), fewHas(s, 'a')]
    expect(look()).toEqual([0, [], false])
    s = fewAdd(s, 'a')
    s = fewAdd(s, 'a')
    expect(s).toBe('a') // one member is the bare string
    expect([...look(), fewHas(s, 'b')]).toEqual([1, ['a'], true, false])
    s = fewAdd(s, 'b')
    s = fewAdd(s, 'c')
    expect([...look(), fewHas(s, 'b')]).toEqual([3, ['a', 'b', 'c'], true, true])
    s = fewDelete(s, 'a')
    s = fewDelete(s, 'zz')
    s = fewDelete(s, 'c')
    expect(s).toBe('b') // back to the bare string once one is left
    expect(look()).toEqual([1, ['b'], false])
    s = fewDelete(s, 'x')
    expect(fewSize(s)).toBe(1)
    s = fewDelete(s, 'b')
    expect(look()).toEqual([0, [], false])
    expect(fewDelete(s, 'b')).toBeUndefined()
  })

  it('matches a Set over random operations', () => {
    let seed = 7
    const next = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed }
    let few: Few
    const set = new Set<string>()
    for (let i = 0; i < 2000; i++) {
      const v = `k${next() % 4}`
      if (next() % 2 === 0) { few = fewAdd(few, v); set.add(v) } else { few = fewDelete(few, v); set.delete(v) }
      expect(fewSize(few)).toBe(set.size)
      expect([...fewValues(few)].sort()).toEqual([...set].sort())
      for (const k of ['k0', 'k1', 'k2', 'k3']) expect(fewHas(few, k)).toBe(set.has(k))
    }
  })
})
