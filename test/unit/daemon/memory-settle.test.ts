// The memory settler (issue #17) on fake timers: one full collection once bursts have been quiet for
// quietMs, at most one per minIntervalMs, none while the heap is large.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MemorySettler } from '../../../daemon/memory-settle.js'

describe('MemorySettler', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  function settler (heap = 10) {
    let gcs = 0
    const s = new MemorySettler({ gc: () => { gcs++ }, heapUsed: () => heap * 1024 * 1024, now: () => Date.now() }, { quietMs: 1_000, minIntervalMs: 10_000, maxHeapBytes: 100 * 1024 * 1024 })
    return { s, gcs: () => gcs }
  }

  it('collects once the bursts have been quiet for quietMs, and not again within minIntervalMs', () => {
    const { s, gcs } = settler()
    s.note()
    vi.advanceTimersByTime(900)
    s.note() // a later burst pushes it back
    vi.advanceTimersByTime(900)
    expect(gcs()).toBe(0)
    vi.advanceTimersByTime(200)
    expect(gcs()).toBe(1)
    s.note()
    vi.advanceTimersByTime(5_000)
    expect(gcs()).toBe(1)
    vi.advanceTimersByTime(5_000)
    expect(gcs()).toBe(2)
    s.stop()
  })

  it('leaves a large heap to V8', () => {
    const { s, gcs } = settler(500)
    s.note()
    vi.advanceTimersByTime(2_000)
    expect(gcs()).toBe(0)
  })
})
