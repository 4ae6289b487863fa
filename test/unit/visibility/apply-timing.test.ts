// ApplyTiming: first and last remote apply, and the count.
import { describe, expect, it } from 'vitest'
import { ApplyTiming } from '../../../daemon/visibility/apply-timing.js'

describe('ApplyTiming', () => {
  it('reports nothing before the first remote apply, then the count and the first and last times', () => {
    let now = 1000
    const t = new ApplyTiming(() => now)
    expect(t.snapshot()).toEqual({ count: 0, firstAtMs: null, lastAtMs: null })
    t.remote()
    now = 1500
    t.remote()
    now = 4000
    t.remote()
    expect(t.snapshot()).toEqual({ count: 3, firstAtMs: 1000, lastAtMs: 4000 })
  })
})
