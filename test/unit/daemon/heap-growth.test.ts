// The heap-growth governor that pins V8's growing factor while blob bytes move (served or received).
import { describe, expect, it } from 'vitest'
import { HeapGrowthGovernor, shouldPin } from '../../../daemon/heap-growth.js'

const MiB = 1024 * 1024
const IDLE_MS = 30_000

function governor (execArgv: string[] = []): { g: HeapGrowthGovernor, flags: string[], heap: { used: number }, clock: { ms: number } } {
  const flags: string[] = []
  const heap = { used: 40 * MiB }
  const clock = { ms: 0 }
  const g = new HeapGrowthGovernor({ setFlags: f => { flags.push(f) }, heapUsed: () => heap.used, now: () => clock.ms, execArgv }, { everyMs: 60_000, idleMs: IDLE_MS })
  return { g, flags, heap, clock }
}

describe('heap growth governor', () => {
  it('pins only while bytes move: below the floor to pin, up to the ceiling to stay pinned', () => {
    expect(shouldPin(false, true, 95 * MiB, 128 * MiB, 96 * MiB)).toBe(true)
    expect(shouldPin(false, true, 100 * MiB, 128 * MiB, 96 * MiB)).toBe(false)
    expect(shouldPin(true, true, 100 * MiB, 128 * MiB, 96 * MiB)).toBe(true)
    expect(shouldPin(true, true, 129 * MiB, 128 * MiB, 96 * MiB)).toBe(false)
    expect(shouldPin(true, false, 10 * MiB, 128 * MiB, 96 * MiB)).toBe(false)
    expect(shouldPin(false, false, 10 * MiB, 128 * MiB, 96 * MiB)).toBe(false)
  })

  it('leaves V8 alone until a chunk moves, pins at the first one, and releases once no chunk has moved for the idle time', () => {
    const { g, flags, clock } = governor()
    g.start()
    g.check()
    expect(flags).toEqual([]) // an idle daemon keeps V8's own factor
    g.moved()
    expect(flags).toEqual(['--heap-growing-percent=200'])
    g.moved() // pinned already: nothing more to set
    clock.ms += IDLE_MS
    g.check()
    expect(flags).toHaveLength(1) // within the idle time
    clock.ms += 1
    g.check()
    expect(flags.at(-1)).toBe('--heap-growing-percent=0')
    g.stop()
  })

  it('gives the factor back to V8 when the heap grows past the ceiling, and takes it again below the floor', () => {
    const { g, flags, heap } = governor()
    g.start()
    g.moved()
    heap.used = 200 * MiB
    g.check()
    expect(flags.at(-1)).toBe('--heap-growing-percent=0')
    heap.used = 110 * MiB
    g.moved()
    expect(flags).toHaveLength(2) // between floor and ceiling: stays released
    heap.used = 50 * MiB
    g.moved()
    expect(flags.at(-1)).toBe('--heap-growing-percent=200')
    g.stop()
    expect(flags.at(-1)).toBe('--heap-growing-percent=0')
    expect(g.isPinned).toBe(false)
  })

  it("leaves an operator's own --heap-growing-percent alone", () => {
    const { g, flags } = governor(['--heap-growing-percent=50'])
    expect(g.active).toBe(false)
    g.start()
    g.moved()
    g.stop()
    expect(flags).toEqual([])
  })
})
