import { describe, expect, it } from 'vitest'
import { HeapGrowthGovernor, shouldPin } from '../../daemon/heap-growth.js'

const MiB = 1024 * 1024

function governor (execArgv: string[] = []): { g: HeapGrowthGovernor, flags: string[], heap: { used: number } } {
  const flags: string[] = []
  const heap = { used: 40 * MiB }
  const g = new HeapGrowthGovernor({ setFlags: f => { flags.push(f) }, heapUsed: () => heap.used, execArgv }, { everyMs: 60_000 })
  return { g, flags, heap }
}

describe('heap growth governor', () => {
  it('pins below the floor, releases above the ceiling, and holds in between', () => {
    expect(shouldPin(false, 95 * MiB, 128 * MiB, 96 * MiB)).toBe(true)
    expect(shouldPin(false, 100 * MiB, 128 * MiB, 96 * MiB)).toBe(false)
    expect(shouldPin(true, 100 * MiB, 128 * MiB, 96 * MiB)).toBe(true)
    expect(shouldPin(true, 129 * MiB, 128 * MiB, 96 * MiB)).toBe(false)
  })

  it('pins a small heap at start, gives the factor back to V8 when the heap grows, and takes it again when it shrinks', () => {
    const { g, flags, heap } = governor()
    g.start()
    expect(flags).toEqual(['--heap-growing-percent=200'])
    heap.used = 200 * MiB
    g.check()
    expect(flags.at(-1)).toBe('--heap-growing-percent=0')
    heap.used = 110 * MiB
    g.check()
    expect(flags).toHaveLength(2)
    heap.used = 50 * MiB
    g.check()
    expect(flags.at(-1)).toBe('--heap-growing-percent=200')
    g.stop()
    expect(flags.at(-1)).toBe('--heap-growing-percent=0')
    expect(g.isPinned).toBe(false)
  })

  it("leaves an operator's own --heap-growing-percent alone", () => {
    const { g, flags } = governor(['--heap-growing-percent=50'])
    expect(g.active).toBe(false)
    g.start()
    g.stop()
    expect(flags).toEqual([])
  })
})
